"""Smaller tensor functions: the ``*_copy`` view copies, unsafe splits, storages, ``set_``,
``resize_``, ``apply_``/``map_``, ``asarray``/``frombuffer``, ``gradient``, samplers."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import TypedStorage, UntypedStorage
from tensorgraft.testing.oracle import grad_fn_name

# nearly every case checks graph nodes, gradients or requires_grad rules
pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


def _x(shape, seed, device="cpu", grad=False):
    t = tg.tensor(np.random.default_rng(seed).standard_normal(shape), device=device)
    return t.requires_grad_() if grad else t


# --------------------------------------------------------------------------- *_copy
COPIES = [
    ("alias_copy", (), "AliasBackward0_copy", lambda a: a),
    ("t_copy", (), "TBackward0_copy", lambda a: a.T),
    ("permute_copy", ((1, 0),), "PermuteBackward0_copy", lambda a: a.T),
    ("transpose_copy", (0, 1), "TransposeBackward0_copy", lambda a: a.T),
    ("diagonal_copy", (), "DiagonalBackward0_copy", lambda a: np.diagonal(a)),
    ("select_copy", (1, 2), "SelectBackward0_copy", lambda a: a[:, 2]),
    ("slice_copy", (1, 0, 3, 2), "SliceBackward0_copy", lambda a: a[:, 0:3:2]),
    ("narrow_copy", (1, 1, 2), "NarrowCopyBackward0", lambda a: a[:, 1:3]),
    ("view_copy", ((4, 3),), "ViewBackward0_copy", lambda a: a.reshape(4, 3)),
    ("unsqueeze_copy", (0,), "UnsqueezeBackward0_copy", lambda a: a[None]),
    ("unfold_copy", (1, 2, 1), "UnfoldBackward0_copy", lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, 1)),
    ("as_strided_copy", ((2, 2), (1, 2)), "AsStridedBackward0_copy",
     lambda a: np.lib.stride_tricks.as_strided(a, (2, 2), (8, 16))),
    ("expand_copy", ((2, 3, 4),), "ExpandBackward0_copy", lambda a: np.broadcast_to(a, (2, 3, 4))),
]


@pytest.mark.parametrize("name,args,node,ref", COPIES, ids=[c[0] for c in COPIES])
def test_view_copies(name, args, node, ref, tg_device):
    x = _x((3, 4), 1, tg_device, grad=True)
    out = getattr(tg, name)(x, *args)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), ref(x.detach().cpu().numpy()))
    assert out.is_contiguous() and grad_fn_name(out) == node
    assert out.data_ptr() != x.data_ptr()           # fresh memory, unlike the view
    out.sum().backward()
    view_fn = {"narrow_copy": lambda t: t.narrow(*args)}.get(name)
    assert x.grad is not None and x.grad.shape == x.shape
    if view_fn is not None:
        y = x.detach().requires_grad_()
        view_fn(y).sum().backward()
        np.testing.assert_array_equal(x.grad.cpu().numpy(), y.grad.cpu().numpy())


def test_squeeze_copy_nodes_and_method():
    x = _x((1, 3, 1), 2, grad=True)
    assert grad_fn_name(tg.squeeze_copy(x)) == "SqueezeBackward0_copy" and tg.squeeze_copy(x).shape == (3,)
    assert grad_fn_name(tg.squeeze_copy(x, 0)) == "SqueezeBackward1_copy"
    assert grad_fn_name(tg.squeeze_copy(x, (0, 2))) == "SqueezeBackward2_copy"
    assert grad_fn_name(x.narrow_copy(1, 0, 2)) == "NarrowCopyBackward0"
    assert not hasattr(tg.Tensor, "permute_copy")


def test_multi_output_copies():
    x = _x((3, 4), 3, grad=True)
    parts = tg.split_copy(x, 2, 1)
    assert [p.shape for p in parts] == [(3, 2), (3, 2)] and all(grad_fn_name(p) == "SplitBackward0_copy" for p in parts)
    sizes = tg.split_with_sizes_copy(x, [1, 3], 1)
    assert grad_fn_name(sizes[1]) == "SplitWithSizesBackward0_copy"
    rows = tg.unbind_copy(x, 1)
    assert len(rows) == 4 and all(grad_fn_name(r) == "UnbindBackward0_copy" for r in rows)
    # the pieces share one multi-output node (as in PyTorch): it is renamed once, on every call
    assert all(grad_fn_name(r) == "UnbindBackward0_copy" for r in tg.unbind_copy(x, 1))
    assert [r.output_nr for r in rows] == [0, 1, 2, 3]
    (parts[0].sum() + 2 * parts[1].sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[1, 1, 2, 2]] * 3, dtype=float))
    outs = (tg.empty(3, 2, dtype=tg.float64), tg.empty(3, 2, dtype=tg.float64))
    assert tg.split_copy(x.detach(), 2, 1, out=outs) is None
    np.testing.assert_array_equal(outs[1].numpy(), x.detach().numpy()[:, 2:])


def test_copy_out_and_detach_and_dtype_views():
    x = _x((3, 4), 4, grad=True)
    out = tg.empty(4, 3, dtype=tg.float64)
    assert tg.t_copy(x.detach(), out=out) is out
    np.testing.assert_array_equal(out.numpy(), x.detach().numpy().T)
    d = tg.detach_copy(x)
    assert not d.requires_grad and d.data_ptr() != x.data_ptr()
    assert tg.view_copy(x, tg.int64).dtype == tg.int64 and tg.view_copy(x, tg.int64).grad_fn is None
    c = tg.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    r = tg.view_as_real_copy(c)
    assert grad_fn_name(r) == "ViewAsRealBackward0_copy" and r.tolist() == [[1.0, 2.0], [3.0, -1.0]]
    assert tg.view_as_complex_copy(r.detach()).tolist() == [1 + 2j, 3 - 1j]
    with pytest.raises(RuntimeError, match="view_as_complex_copy does not support automatic differentiation"):
        tg.view_as_complex_copy(r)


# --------------------------------------------------------------------------- splits and small functions
def test_unsafe_splits_and_dsplit():
    x = _x((4, 6), 5, grad=True)
    assert all(grad_fn_name(p) == "UnsafeSplitBackward0" for p in tg.unsafe_chunk(x, 2, 1))
    assert [p.shape for p in x.unsafe_split(4, 1)] == [(4, 4), (4, 2)]
    assert grad_fn_name(x.unsafe_split_with_sizes([1, 5], 1)[1]) == "UnsafeSplitWithSizesBackward0"
    y = tg.arange(16.).reshape(2, 2, 4)
    assert [p.shape for p in tg.dsplit(y, 2)] == [(2, 2, 2)] * 2
    assert [p.shape for p in y.dsplit([1, 3])] == [(2, 2, 1), (2, 2, 2), (2, 2, 1)]
    with pytest.raises(RuntimeError, match="torch.dsplit requires a tensor with at least 3 dimension"):
        tg.dsplit(tg.ones(2, 2), 2)
    with pytest.raises(RuntimeError, match="not divisible by the split_size 4"):
        tg.dsplit(tg.ones(1, 2, 6), 4)


def test_isreal_is_conj_is_neg_detach_fill():
    assert tg.isreal(tg.tensor([1 + 0j, 1 + 1j])).tolist() == [True, False]
    assert tg.tensor([1, 2]).isreal().tolist() == [True, True]
    assert tg.is_conj(tg.ones(2)) is False and tg.is_neg(tg.ones(2)) is False
    with pytest.raises(TypeError, match=r"is_conj\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        tg.is_conj(3)
    x = _x((2, 3), 6, grad=True)
    assert not tg.detach(x).requires_grad and tg.detach(x).data_ptr() == x.data_ptr()
    f = tg.fill(x, 2.5)
    assert f.tolist() == [[2.5] * 3] * 2 and grad_fn_name(f) == "FillBackward0"
    v = tg.tensor(1.5, dtype=tg.float64, requires_grad=True)
    g = tg.fill(x, v)
    assert grad_fn_name(g) == "FillBackward1"
    g.sum().backward()
    assert float(v.grad) == 6.0 and np.all(x.grad.numpy() == 0)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got tensor with 1 dim"):
        tg.fill(x, tg.ones(2))


def test_nonzero_static():
    t = tg.tensor([[1, 0], [0, 1]])
    assert tg.nonzero_static(t, size=4).tolist() == [[0, 0], [1, 1], [-1, -1], [-1, -1]]
    assert tg.tensor([1, 0, 1, 1]).nonzero_static(size=2, fill_value=9).tolist() == [[0], [2]]
    assert tg.nonzero_static(t, size=3, fill_value=7).tolist()[2] == [7, 7]
    with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
        tg.nonzero_static(t, size=-1)


# --------------------------------------------------------------------------- storage
def test_untyped_storage_is_shared_between_views():
    a = tg.arange(6.)
    s = a.untyped_storage()
    assert isinstance(s, UntypedStorage)
    assert s.nbytes() == 24 and s.size() == 24 and len(s) == 24 and s.element_size() == 1
    assert s.data_ptr() == a[1:].untyped_storage().data_ptr() == a.data_ptr()
    assert s.device == tg.device("cpu") and not s.is_cuda
    assert s.tolist()[4:8] == [0, 0, 128, 63] and s[6] == 128
    s[6], s[7] = 0, 64  # the bytes are the tensor's memory: 1.0 becomes 2.0
    assert a[1].item() == 2.0
    with pytest.raises(IndexError, match="index 100 out of range for storage of size 24"):
        s[100]
    assert repr(tg.tensor([1, 2], dtype=tg.int8).untyped_storage()).endswith(
        "[torch.storage.UntypedStorage(device=cpu) of size 2]")


def test_typed_storage_warns_and_counts_elements():
    a = tg.arange(6.)
    tg.set_warn_always(True)  # (the deprecation warning is PyTorch's once-per-process one)
    try:
        with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
            ts = a[2:4].storage()
    finally:
        tg.set_warn_always(False)
    assert isinstance(ts, TypedStorage)
    assert ts.dtype == tg.float32 and ts.size() == 6 and len(ts) == 6 and ts.element_size() == 4
    assert ts.nbytes() == 24 and ts.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and ts[1] == 1.0
    assert ts.type() == "torch.FloatStorage" and ts.untyped().nbytes() == 24
    with pytest.raises(IndexError, match="index 10 out of range for storage of size 6"):
        ts[10]


def test_set_shares_memory():
    y, z = tg.zeros(3), tg.arange(4.)
    assert y.set_(z) is y
    assert y.data_ptr() == z.data_ptr() and y.is_set_to(z) and z.is_set_to(y) and not y[1:].is_set_to(z)
    z[0] = 5.0
    assert y[0].item() == 5.0
    a = tg.arange(6.)
    c = tg.empty(0).set_(a.untyped_storage(), 1, (2,), (2,))
    assert c.tolist() == [1.0, 3.0] and c.storage_offset() == 1
    c[0] = 9.0
    assert a[1].item() == 9.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tg.empty(0).set_(a.storage()).tolist() == a.tolist()
    assert tg.ones(2).set_().shape == (0,)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        tg.ones(2, requires_grad=True).set_(tg.ones(3))
    with pytest.raises(RuntimeError, match="Could not set tensor of type double to a tensor of type float"):
        tg.ones(2).set_(tg.ones(3, dtype=tg.float64))


def test_resize():
    b = tg.arange(6.)
    assert b.resize_(2, 2) is b and b.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert b.untyped_storage().nbytes() == 24
    b.resize_(3, 3)
    assert b.shape == (3, 3) and b.flatten()[:6].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    c = tg.zeros(2, 3).resize_as_(tg.ones(3, 2))
    assert c.shape == (3, 2)
    for call in (lambda t: t.resize_(4), lambda t: t.resize_as_(tg.ones(2))):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            call(tg.ones(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        tg.ones(3).resize_(-1)


def test_apply_map():
    assert tg.arange(4.).apply_(lambda v: v * 2).tolist() == [0.0, 2.0, 4.0, 6.0]
    assert tg.arange(4).apply_(lambda v: v * 2.5).tolist() == [0, 2, 5, 7]
    assert tg.arange(4.).map_(tg.ones(4), lambda p, q: p + q).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert tg.arange(4.).map2_(tg.ones(4), tg.ones(1), lambda p, q, r: p + q + r).tolist() == [2.0, 3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match=r"expand\(torch.FloatTensor\{\[2, 1\]\}, size=\[4\]\)"):
        tg.arange(4.).map_(tg.ones(2, 1), lambda p, q: p)
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
        tg.ones(2, requires_grad=True).apply_(lambda v: v)


def test_apply_refuses_other_devices(tg_device):
    if tg_device == "cpu":
        pytest.skip("the CPU is where apply_ works")
    with pytest.raises(TypeError, match="apply_ is only implemented on CPU tensors"):
        tg.ones(2, device=tg_device).apply_(lambda v: v)


def test_output_nr_const_data_ptr_as_subclass():
    class Sub(tg.Tensor):
        pass
    w = tg.ones(3)
    assert w.output_nr == 0 and w.const_data_ptr() == w.data_ptr()
    assert tg.ones(4, requires_grad=True).sum(0).output_nr == 0
    m = w.as_subclass(Sub)
    assert type(m) is Sub and m.data_ptr() == w.data_ptr()
    r = tg.ones(3, requires_grad=True)
    s = r.as_subclass(Sub)
    assert grad_fn_name(s) == "AliasBackward0" and s.requires_grad
    (s * 2).sum().backward()
    assert r.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        w.as_subclass(int)


# --------------------------------------------------------------------------- asarray / frombuffer
def test_asarray_sharing_rules():
    t = tg.arange(3.)
    assert tg.asarray(t) is t
    assert tg.asarray(t, copy=True).data_ptr() != t.data_ptr()
    assert tg.asarray(t, dtype=tg.float64).dtype == tg.float64
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'Float' into dtype 'Double'."):
        tg.asarray(t, dtype=tg.float64, copy=False)
    a = np.arange(3.)
    assert tg.asarray(a).data_ptr() == a.ctypes.data and tg.asarray(a).dtype == tg.float64
    with pytest.raises(ValueError, match="can't alias arbitrary sequence into a tensor."):
        tg.asarray([1, 2], copy=False)
    assert tg.asarray([1, 2.5]).dtype == tg.float32
    ba = bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00")
    x = tg.asarray(ba, dtype=tg.int32)
    ba[0] = 9
    assert x.tolist() == [9, 2]
    r = tg.asarray(t, requires_grad=True)
    assert r is t and t.requires_grad
    tg.set_warn_always(True)  # PyTorch warns once per process: an earlier test may have had the warning
    try:
        with pytest.warns(UserWarning, match="unspecified requires_grad now defaults to obj.requires_grad"):
            assert tg.asarray(t).requires_grad
    finally:
        tg.set_warn_always(False)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        tg.asarray([1, 2], requires_grad=True)


def test_frombuffer():
    buf = bytearray(range(16))
    f = tg.frombuffer(buf, dtype=tg.int32)
    assert f.tolist() == [50462976, 117835012, 185207048, 252579084]
    buf[0] = 100
    assert f[0].item() == 50463076
    assert tg.frombuffer(buf, dtype=tg.int16, count=2, offset=2).tolist() == [770, 1284]
    errors = [
        (dict(dtype=tg.int32, count=5), r"requested buffer length \(5 \* 4 bytes\) after offset \(0 bytes\)"),
        (dict(dtype=tg.int32, offset=17), r"offset \(17 bytes\) must be non-negative"),
        (dict(dtype=tg.int32, count=0), r"both buffer length \(16\) and count \(0\) must not be 0"),
        (dict(dtype=tg.int32, offset=2), r"buffer length \(14 bytes\) after offset \(2 bytes\) must be a multiple"),
    ]
    for kw, msg in errors:
        with pytest.raises(ValueError, match=msg):
            tg.frombuffer(buf, **kw)
    with pytest.raises(ValueError, match="object does not implement Python buffer protocol."):
        tg.frombuffer([1, 2], dtype=tg.int32)
    assert tg.frombuffer(buf, dtype=tg.float32, requires_grad=True).requires_grad


# --------------------------------------------------------------------------- gradient, samplers
def test_gradient_matches_numpy():
    rng = np.random.default_rng(20)
    f = rng.standard_normal((5, 6))
    for kw, np_args in [({}, ()), ({"spacing": 2.0}, (2.0,)), ({"edge_order": 2}, ())]:
        got = tg.gradient(tg.tensor(f), **kw)
        want = np.gradient(f, *np_args, edge_order=kw.get("edge_order", 1))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w, rtol=1e-12)
    coords = np.array([0.0, 1.0, 3.0, 4.0, 6.5, 7.0])
    for order in (1, 2):
        (g,) = tg.gradient(tg.tensor(f), spacing=(tg.tensor(coords),), dim=1, edge_order=order)
        np.testing.assert_allclose(g.numpy(), np.gradient(f, coords, axis=1, edge_order=order), rtol=1e-12)
    assert tg.gradient(tg.tensor([1, 2, 4, 7]))[0].dtype == tg.float32
    x = tg.tensor(f, requires_grad=True)
    assert grad_fn_name(tg.gradient(x, dim=1)[0]) == "CatBackward0"
    with pytest.raises(RuntimeError, match="at least edge_order\\+1"):
        tg.gradient(tg.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="only supports edge_order=1 and edge_order=2"):
        tg.gradient(tg.ones(4), edge_order=3)
    with pytest.raises(RuntimeError, match="a list of length equal to 'self.dim\\(\\) = 2'"):
        tg.gradient(tg.ones(2, 3), spacing=[1.0, 2.0, 3.0])


def test_poisson_binomial_use_the_generator(tg_device):
    lam = tg.full((2000,), 4.0, device=tg_device)
    a = tg.poisson(lam, generator=tg.Generator(device=tg_device).manual_seed(3))
    b = tg.poisson(lam, generator=tg.Generator(device=tg_device).manual_seed(3))
    assert a.tolist() == b.tolist() and a.dtype == tg.float32
    assert abs(a.mean().item() - 4.0) < 0.3
    n = tg.full((2000,), 10.0, device=tg_device)
    k = tg.binomial(n, tg.full((2000,), 0.3, device=tg_device))
    assert abs(k.mean().item() - 3.0) < 0.3 and float(k.max()) <= 10
    x = tg.full((3,), 2.0, requires_grad=True)
    out = tg.poisson(x)
    assert grad_fn_name(out) == "PoissonBackward0"
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
        tg.binomial(tg.full((3,), 5.0, requires_grad=True), tg.full((3,), 0.5)).sum().backward()
