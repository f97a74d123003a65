"""Smaller tensor functions against PyTorch: values, dtypes, shapes, grad_fn names, gradients and
error messages of the ``*_copy`` functions, splits, storages, ``asarray``/``frombuffer``,
``gradient``, ``nonzero_static``, ``fill`` and ``resize_``."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402


def _pair(shape, seed, grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return torch.tensor(a, requires_grad=grad), tg.tensor(a, requires_grad=grad)


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


COPY_CALLS = [
    ("alias_copy", (3, 4), ()), ("as_strided_copy", (3, 4), ((2, 2), (1, 2), 1)), ("diagonal_copy", (3, 4), (1,)),
    ("expand_copy", (3, 1), ((2, 3, 4),)), ("narrow_copy", (3, 4), (1, 1, 2)), ("permute_copy", (2, 3, 4), ((2, 0, 1),)),
    ("select_copy", (3, 4), (0, -1)), ("slice_copy", (3, 4), (1, 0, 3, 2)), ("split_copy", (3, 4), (3, 1)),
    ("split_with_sizes_copy", (3, 4), ([1, 3], 1)), ("squeeze_copy", (1, 3, 1), ()), ("squeeze_copy", (1, 3, 1), (2,)),
    ("squeeze_copy", (1, 3, 1), ((0, 2),)), ("t_copy", (3, 4), ()), ("transpose_copy", (2, 3, 4), (0, 2)),
    ("unbind_copy", (3, 4), (1,)), ("unfold_copy", (3, 5), (1, 2, 2)), ("unsqueeze_copy", (3, 4), (-1,)),
    ("view_copy", (3, 4), ((2, 6),)), ("unsafe_chunk", (4, 6), (3, 1)), ("unsafe_split", (4, 6), (4, 1)),
    ("unsafe_split_with_sizes", (4, 6), ([2, 4], 1)), ("dsplit", (2, 2, 6), ([1, 4],)), ("fill", (3, 4), (1.5,)),
]


@pytest.mark.parametrize("name,shape,args", COPY_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(COPY_CALLS)])
def test_values_nodes_and_gradients(name, shape, args):
    tx, gx = _pair(shape, 1)
    t_out, g_out = _outs(getattr(torch, name)(tx, *args)), _outs(getattr(tg, name)(gx, *args))
    assert len(t_out) == len(g_out)
    weights = [np.random.default_rng(2 + i).standard_normal(tuple(o.shape)) for i, o in enumerate(t_out)]
    for t, g in zip(t_out, g_out):
        assert g.shape == t.shape and str(g.dtype) == str(t.dtype)
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy())
        assert g.grad_fn.name() == t.grad_fn.name()
        assert g.is_contiguous() == t.is_contiguous()
    sum(torch.sum(t * torch.tensor(w)) for t, w in zip(t_out, weights)).backward()
    sum(tg.sum(g * tg.tensor(w)) for g, w in zip(g_out, weights)).backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy())


def test_complex_view_copies_and_detach_copy():
    c = np.array([1 + 2j, 3 - 1j])
    tr, gr = torch.view_as_real_copy(torch.tensor(c, requires_grad=True)), tg.view_as_real_copy(tg.tensor(c, requires_grad=True))
    assert gr.grad_fn.name() == tr.grad_fn.name() and gr.tolist() == tr.tolist()
    assert tg.view_as_complex_copy(gr.detach()).tolist() == torch.view_as_complex_copy(tr.detach()).tolist()
    for lib, x in ((torch, tr), (tg, gr)):
        with pytest.raises(RuntimeError, match="view_as_complex_copy does not support automatic differentiation"):
            lib.view_as_complex_copy(x)
    tx, gx = _pair((2, 3), 3)
    assert tg.view_copy(gx, tg.int64).tolist() == torch.view_copy(tx, torch.int64).tolist()
    assert tg.detach_copy(gx).tolist() == torch.detach_copy(tx).tolist()


def test_small_functions():
    z = np.array([1 + 0j, 2 + 1j, 0j])
    assert tg.isreal(tg.tensor(z)).tolist() == torch.isreal(torch.tensor(z)).tolist()
    assert str(tg.isreal(tg.tensor([1, 2])).dtype) == str(torch.isreal(torch.tensor([1, 2])).dtype)
    m = np.array([[1, 0, 2], [0, 0, 3]])
    for kw in ({"size": 5}, {"size": 2}, {"size": 4, "fill_value": 7}):
        t, g = torch.nonzero_static(torch.tensor(m), **kw), tg.nonzero_static(tg.tensor(m), **kw)
        assert g.tolist() == t.tolist() and str(g.dtype) == str(t.dtype)
    assert tg.is_conj(tg.ones(1)) == torch.is_conj(torch.ones(1)) and tg.is_neg(tg.ones(1)) == torch.is_neg(torch.ones(1))
    tx, gx = _pair((2, 3), 4)
    assert tg.detach(gx).requires_grad == torch.detach(tx).requires_grad
    tv, gv = _pair((), 5)
    t_fill, g_fill = torch.fill(tx, tv), tg.fill(gx, gv)
    assert g_fill.grad_fn.name() == t_fill.grad_fn.name()
    t_fill.sum().backward()
    g_fill.sum().backward()
    assert float(gv.grad) == float(tv.grad)
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())


ERRORS = [
    lambda L: L.dsplit(L.ones(2, 2), 2), lambda L: L.dsplit(L.ones(1, 2, 6), 4),
    lambda L: L.nonzero_static(L.ones(2), size=-1), lambda L: L.fill(L.ones(2), L.ones(2)),
    lambda L: L.ones(3, requires_grad=True).resize_(4), lambda L: L.ones(3).set_(L.ones(3, dtype=L.float64)),
    lambda L: L.ones(2, requires_grad=True).set_(L.ones(3)), lambda L: L.gradient(L.ones(2), edge_order=2),
    lambda L: L.gradient(L.ones(4), edge_order=3), lambda L: L.gradient(L.ones(2, 3), spacing=[1.0, 2.0, 3.0]),
    lambda L: L.gradient(L.ones(2, 3), dim=1, spacing=[1.0, 2.0]),
    lambda L: L.ones(4).map_(L.ones(2, 1), lambda p, q: p), lambda L: L.ones(2, requires_grad=True).apply_(abs),
    lambda L: L.asarray(L.ones(2), dtype=L.float64, copy=False), lambda L: L.asarray([1, 2], copy=False),
    lambda L: L.frombuffer(bytearray(16), dtype=L.int32, count=5), lambda L: L.frombuffer(bytearray(16), dtype=L.int32, offset=2),
    lambda L: L.frombuffer(bytearray(), dtype=L.int32), lambda L: L.frombuffer([1], dtype=L.int32),
    lambda L: L.ones(2).as_subclass(int), lambda L: L.is_conj(3),
]


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_error_messages(call):
    assert_same_error(call)


def test_storages():
    a_np = np.arange(6, dtype=np.float32)
    ta, ga = torch.tensor(a_np), tg.tensor(a_np)
    ts, gs = ta.untyped_storage(), ga.untyped_storage()
    assert (gs.nbytes(), gs.size(), len(gs), gs.tolist(), gs[5]) == (ts.nbytes(), ts.size(), len(ts), ts.tolist(), ts[5])
    assert (gs.data_ptr() == ga[2:].untyped_storage().data_ptr()) == (ts.data_ptr() == ta[2:].untyped_storage().data_ptr())
    assert repr(gs) == repr(ts) and str(gs.device) == str(ts.device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tt, gt = ta[1:3].storage(), ga[1:3].storage()
    assert (gt.size(), gt.element_size(), gt.nbytes(), gt.tolist(), gt[2], gt.type()) == \
        (tt.size(), tt.element_size(), tt.nbytes(), tt.tolist(), tt[2], tt.type())
    assert str(gt.dtype) == str(tt.dtype) and repr(gt) == repr(tt)
    ts[4] = 7
    gs[4] = 7
    assert ga.tolist() == ta.tolist()


def test_set_resize_apply_map():
    tb, gb = torch.arange(6.), tg.arange(6.)
    assert gb.resize_(2, 2).tolist() == tb.resize_(2, 2).tolist()
    tb.resize_(3, 3)
    gb.resize_(3, 3)
    assert gb.flatten()[:6].tolist() == tb.flatten()[:6].tolist()
    assert tg.zeros(2, 3).resize_as_(tg.ones(3, 2)).shape == torch.zeros(2, 3).resize_as_(torch.ones(3, 2)).shape
    ty, tz = torch.zeros(3), torch.arange(4.)
    gy, gz = tg.zeros(3), tg.arange(4.)
    ty.set_(tz)
    gy.set_(gz)
    assert (gy.tolist(), gy.is_set_to(gz), gy[1:].is_set_to(gz)) == (ty.tolist(), ty.is_set_to(tz), ty[1:].is_set_to(tz))
    tc = torch.empty(0).set_(torch.arange(6.).untyped_storage(), 1, (2,), (2,))
    gc = tg.empty(0).set_(tg.arange(6.).untyped_storage(), 1, (2,), (2,))
    assert (gc.tolist(), gc.storage_offset(), gc.stride()) == (tc.tolist(), tc.storage_offset(), tc.stride())
    assert tg.arange(4).apply_(lambda v: v * 2.5).tolist() == torch.arange(4).apply_(lambda v: v * 2.5).tolist()
    assert tg.arange(4.).map2_(tg.ones(4), tg.ones(1), lambda p, q, r: p - q * r).tolist() == \
        torch.arange(4.).map2_(torch.ones(4), torch.ones(1), lambda p, q, r: p - q * r).tolist()
    class TSub(torch.Tensor):
        pass

    class GSub(tg.Tensor):
        pass
    tx, gx = _pair((3,), 6)
    ts_, gs_ = tx.as_subclass(TSub), gx.as_subclass(GSub)
    assert gs_.grad_fn.name() == ts_.grad_fn.name() and gs_.output_nr == ts_.output_nr


def test_asarray_and_frombuffer():
    for obj in ([1, 2.5], [[1, 2], [3, 4]], 3.0, np.arange(3.0), np.arange(3), np.float64(2.5)):
        t, g = torch.asarray(obj), tg.asarray(obj)
        assert g.tolist() == t.tolist() and str(g.dtype) == str(t.dtype)
    a = np.arange(3.0)
    assert (tg.asarray(a).data_ptr() == a.ctypes.data) == (torch.asarray(a).data_ptr() == a.ctypes.data)
    assert (tg.asarray(a, copy=True).data_ptr() == a.ctypes.data) == (torch.asarray(a, copy=True).data_ptr() == a.ctypes.data)
    buf = bytearray(range(16))
    for kw in ({"dtype": torch.int32}, {"dtype": torch.int16, "count": 3, "offset": 2}, {"dtype": torch.uint8}):
        t = torch.frombuffer(buf, **kw)
        g = tg.frombuffer(buf, **{k: (getattr(tg, str(v).split(".")[1]) if k == "dtype" else v) for k, v in kw.items()})
        assert g.tolist() == t.tolist() and str(g.dtype) == str(t.dtype)
    ba = bytearray(8)
    t, g = torch.asarray(ba, dtype=torch.int32), tg.asarray(ba, dtype=tg.int32)
    ba[0] = 5
    assert g.tolist() == t.tolist() == [5, 0]


@pytest.mark.parametrize("kw", [{}, {"spacing": 2.0}, {"edge_order": 2}, {"dim": 1}, {"dim": [0, 1], "spacing": [0.5, 2.0]},
                                {"spacing": "coords", "dim": 1}, {"spacing": "coords", "dim": 1, "edge_order": 2}])
def test_gradient(kw):
    tx, gx = _pair((4, 6), 7)
    coords = np.array([0.0, 1.0, 3.0, 4.0, 6.5, 7.0])
    tkw, gkw = dict(kw), dict(kw)
    if kw.get("spacing") == "coords":
        tkw["spacing"], gkw["spacing"] = (torch.tensor(coords),), (tg.tensor(coords),)
    t_out, g_out = torch.gradient(tx, **tkw), tg.gradient(gx, **gkw)
    assert len(t_out) == len(g_out)
    for t, g in zip(t_out, g_out):
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-12)
        assert g.grad_fn.name() == t.grad_fn.name()
    sum(t.sum() * (i + 1) for i, t in enumerate(t_out)).backward()
    sum(g.sum() * (i + 1) for i, g in enumerate(g_out)).backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    assert str(tg.gradient(tg.tensor([1, 2, 4]))[0].dtype) == str(torch.gradient(torch.tensor([1, 2, 4]))[0].dtype)


def test_samplers_grad_fn_and_dtypes():
    tx, gx = _pair((3,), 8)
    t, g = torch.poisson(tx.detach().abs().requires_grad_()), tg.poisson(gx.detach().abs().requires_grad_())
    assert g.grad_fn.name() == t.grad_fn.name() and str(g.dtype) == str(t.dtype)
    n, p = np.full(3, 5.0), np.full(3, 0.5)
    t, g = torch.binomial(torch.tensor(n), torch.tensor(p)), tg.binomial(tg.tensor(n), tg.tensor(p))
    assert str(g.dtype) == str(t.dtype) and g.shape == t.shape
