"""The helpers that several core ops (and the autograd formulas) share since the duplication
clean-up: each one checked through the ops that use it, so that a helper serving one caller
wrongly shows up here and not only in that op's own tests."""
import collections
import pickle
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import memory_layout as ml
from tensorgraft.ops._args import spread_args
from tensorgraft.utils.data import _collate


def _needs_autograd():
    return pytest.importorskip("tensorgraft.autograd", reason="recording gradients needs tensorgraft-autograd")


# --------------------------------------------------------------------------- out= for named tuples
@pytest.mark.parametrize("call", [
    lambda x, out: tg.frexp(x, out=out),
    lambda x, out: tg.cummax(x, 0, out=out),
])
def test_write_outs_fills_each_out_and_returns_them(call):
    x = tg.tensor(np.random.default_rng(0).uniform(0.5, 9.0, 6))
    expected = call(x, None)
    first = tg.empty(6, dtype=expected[0].dtype)
    second = tg.empty(6, dtype=expected[1].dtype)
    res = call(x, (first, second))
    # PyTorch's class for results written into out= tensors: torch.return_types.frexp_out, cummax_out
    assert type(res).__name__ == type(expected).__name__ + "_out" and res._fields == expected._fields
    assert res[0] is first and res[1] is second
    assert np.array_equal(first.numpy(), expected[0].numpy())
    assert np.array_equal(second.numpy(), expected[1].numpy())


def test_write_outs_resize_warning_names_the_callers_line():
    x = tg.tensor(np.random.default_rng(1).uniform(-3.0, 3.0, 4))
    out = (tg.zeros(2), tg.zeros(2, dtype=tg.int32))  # non-empty, wrong shape: resized with a warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.frexp(x, out=out)
    assert len(caught) == 2
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    assert tuple(out[0].shape) == (4,) and tuple(out[1].shape) == (4,)


def test_write_outs_histogram():
    x = tg.tensor(np.random.default_rng(2).uniform(0.0, 1.0, 20))
    hist, edges = tg.empty(0), tg.empty(0)
    res = tg.histogram(x, 4, out=(hist, edges))
    assert res.hist is hist and res.bin_edges is edges
    assert float(hist.sum()) == 20.0 and tuple(edges.shape) == (5,)


# --------------------------------------------------------------------------- gradient scatters
def test_gradient_scatter_ops_place_the_gradient():
    from tensorgraft.ops.indexing import index_backward
    from tensorgraft.ops.shape import diagonal_backward
    from tensorgraft.ops.views import unfold_backward
    g = tg.tensor([1.0, 2.0, 3.0])
    assert np.array_equal(diagonal_backward(g, (3, 3), 0, 0, 1).numpy(), np.diag([1.0, 2.0, 3.0]))
    # repeated positions accumulate
    assert np.array_equal(index_backward(g, (5,), (None, (np.array([0, 0, 4]),))).numpy(), [3.0, 0, 0, 0, 3.0])
    windows = tg.ones(3, 2)  # unfold(0, 2, 1) of a length-4 vector: the middle entries sit in two windows
    assert np.array_equal(unfold_backward(windows, (4,), 0, 2, 1).numpy(), [1.0, 2.0, 2.0, 1.0])
    assert not diagonal_backward(g, (3, 3), 0, 0, 1).requires_grad


def test_gradient_scatter_records_its_arguments():
    _needs_autograd()
    from tensorgraft.ops.shape import diagonal_backward
    from tensorgraft.registry import registry
    g = tg.tensor([1.0, 2.0], requires_grad=True)
    out = diagonal_backward(g, (2, 3), 1, 0, 1)
    assert np.array_equal(out.detach().numpy(), [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    # its own gradient reads the recorded offset and dims: the diagonal taken again
    up = tg.tensor(np.arange(6.0).reshape(2, 3))
    (gg,) = tg.autograd.grad(out, g, up)
    assert np.array_equal(gg.numpy(), [1.0, 5.0])
    for name in ("_index_backward", "_diagonal_backward", "_unfold_backward"):
        assert registry.ops[name].frontend.__name__ == name[1:]


def test_unfold_double_backward_goes_through_the_scatter():
    _needs_autograd()
    x = tg.tensor(np.random.default_rng(3).standard_normal(5), requires_grad=True)
    y = x.unfold(0, 3, 1)
    (g,) = tg.autograd.grad((y * y).sum(), x, create_graph=True)
    assert np.allclose(g.detach().numpy(), 2 * x.detach().numpy() * np.array([1, 2, 3, 2, 1]))
    (gg,) = tg.autograd.grad(g.sum(), x)
    assert np.allclose(gg.numpy(), 2 * np.array([1, 2, 3, 2, 1]))


# --------------------------------------------------------------------------- argument helpers
def test_spread_args():
    a, b = tg.ones(1), tg.ones(2)
    assert spread_args((a, b)) == (a, b)
    assert spread_args(([a, b],)) == (a, b)
    assert spread_args(((a, b),)) == (a, b)
    assert spread_args((a,)) == (a,)
    assert tg.einsum("i,i->", [tg.ones(3), tg.ones(3)]).item() == 3.0
    # block_diag takes tensors, not one list of them (PyTorch's message)
    with pytest.raises(TypeError, match="^expected Tensor as element 0 in argument 0, but got list$"):
        tg.block_diag([tg.ones(1, 1), tg.ones(2, 2)])


def test_square_matrix_checks_name_each_caller():
    with pytest.raises(TypeError, match=r"linalg_matrix_power\(\): argument 'input' \(position 1\) must be Tensor"):
        tg.linalg.matrix_power([[1.0]], 2)
    with pytest.raises(TypeError, match=r"cholesky_inverse\(\): argument 'input' \(position 1\) must be Tensor"):
        tg.cholesky_inverse([[1.0]])
    with pytest.raises(RuntimeError, match="cholesky_inverse: The input tensor A must have at least 2 dimensions."):
        tg.cholesky_inverse(tg.ones(3))
    with pytest.raises(RuntimeError, match="linalg.matrix_power: A must be batches of square matrices, but they are "
                                           "2 by 3 matrices"):
        tg.linalg.matrix_power(tg.ones(2, 3), 2)
    # matrix_power takes integers (no float check), cholesky_inverse does not
    assert tg.linalg.matrix_power(tg.tensor([[1, 1], [0, 1]]), 3).tolist() == [[1, 3], [0, 1]]
    with pytest.raises(NotImplementedError):
        tg.cholesky_inverse(tg.tensor([[1, 0], [0, 1]]))


@pytest.mark.parametrize("fname", ["triangular_solve", "cholesky_solve"])
def test_legacy_solvers_share_their_checks(fname):
    rng = np.random.default_rng(4)
    a = tg.tensor(np.tril(rng.uniform(1.0, 2.0, (3, 3))))
    solve = (lambda b, a: tg.triangular_solve(b, a, upper=False)) if fname == "triangular_solve" \
        else (lambda b, a: tg.cholesky_solve(b, a))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 3 by 2 matrices"):
        solve(tg.ones(3, 1), tg.ones(3, 2))
    with pytest.raises(RuntimeError, match=f"{fname}: Incompatible matrix sizes for {fname}: each A matrix is 3 by 3 "
                                           "but each b matrix is 2 by 1"):
        solve(tg.ones(2, 1), a)
    prefix = "triangular_solve: " if fname == "triangular_solve" else ""
    with pytest.raises(RuntimeError) as err:
        solve(tg.ones(3, 1, dtype=tg.float32), a)
    assert str(err.value) == (f"{prefix}Expected b and A to have the same dtype, but found b of type Float and A of "
                              "type Double instead.")
    with pytest.raises(RuntimeError, match="Target sizes|must match|broadcast"):
        solve(tg.ones(2, 3, 1), tg.ones(4, 3, 3))


def test_cut_dim_errors_per_op():
    s = tg.tensor(1.0)
    with pytest.raises(RuntimeError, match=r"narrow\(\) cannot be applied to a 0-dim tensor."):
        s.narrow(0, 0, 1)
    with pytest.raises(IndexError, match=r"select\(\) cannot be applied to a 0-dim tensor."):
        s.select(0, 0)
    with pytest.raises(RuntimeError, match="split expects at least a 1-dimensional tensor"):
        s.split(1)
    with pytest.raises(TypeError, match=r"narrow\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        tg.narrow([1.0], 0, 0, 1)
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    assert x.narrow(-1, 1, 2).tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]
    assert [p.shape[1] for p in x.split(3, dim=-1)] == [3, 1]


def test_t_and_t_inplace_share_their_permutation():
    with pytest.raises(RuntimeError, match=r"^t\(\) expects a tensor with <= 2 dimensions, but self is 3D$"):
        tg.ones(1, 2, 3).t()
    with pytest.raises(RuntimeError, match=r"^t_\(\) expects a tensor with <= 2 dimensions, but self is 3D$"):
        tg.ones(1, 2, 3).t_()
    with pytest.raises(TypeError, match=r"t_\(\): argument 'input' \(position 1\) must be Tensor"):
        tg.Tensor.t_(5)
    m = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert m.t().tolist() == m.clone().t_().tolist() == np.arange(6.0).reshape(2, 3).T.tolist()
    v = tg.ones(4)
    assert v.t().shape == v.clone().t_().shape == (4,)


def test_index_family_argument_order():
    x = tg.zeros(3, 2)
    idx = tg.tensor([0, 2])
    # the arguments are checked in their order: input, index, then source (as PyTorch's parser)
    with pytest.raises(TypeError, match=r"index_copy\(\): argument 'input' \(position 1\)"):
        tg.index_copy([0.0], 0, [0], [1.0])
    with pytest.raises(TypeError, match=r"index_add\(\): argument 'index' \(position 3\) must be Tensor, not list"):
        tg.index_add(x, 0, [0], [1.0])
    with pytest.raises(TypeError, match=r"index_add\(\): argument 'source' \(position 4\) must be Tensor, not list"):
        tg.index_add(x, 0, tg.tensor([0]), [1.0])
    with pytest.raises(TypeError, match=r"index_fill\(\): argument 'index' \(position 3\) must be Tensor, not list"):
        x.index_fill(0, [0], 1.0)
    src = tg.ones(2, 2)
    assert x.index_copy(0, idx, src).tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    assert x.index_add(-2, idx, src, alpha=2).tolist() == [[2.0, 2.0], [0.0, 0.0], [2.0, 2.0]]
    assert x.index_fill(1, tg.tensor([1]), 5.0).tolist() == [[0.0, 5.0]] * 3


# --------------------------------------------------------------------------- special functions with an order
def test_integer_inputs_of_order_functions_become_default_float():
    x = tg.tensor([2, 3, 4])
    for f in (lambda t: tg.mvlgamma(t, 2), lambda t: tg.polygamma(0, t)):
        pytest.importorskip("scipy")
        assert f(x).dtype == tg.get_default_dtype()
    assert tg.polygamma(1, tg.tensor([2.0], dtype=tg.float32)).dtype == tg.float32


def test_order_functions_record_their_order():
    _needs_autograd()
    pytest.importorskip("scipy")
    import scipy.special as sp
    x = tg.tensor([2.5, 3.5], requires_grad=True)
    tg.polygamma(1, x).sum().backward()
    assert np.allclose(x.grad.numpy(), sp.polygamma(2, [2.5, 3.5]))
    y = tg.tensor([2.5, 3.5], requires_grad=True)
    tg.mvlgamma(y, 3).sum().backward()
    assert np.allclose(y.grad.numpy(), [sum(sp.digamma(v - j / 2) for j in range(3)) for v in (2.5, 3.5)])


# --------------------------------------------------------------------------- memory formats and layouts
def test_named_singletons():
    for obj, cls, text in ((tg.channels_last, ml.memory_format, "torch.channels_last"),
                           (tg.preserve_format, ml.memory_format, "torch.preserve_format"),
                           (tg.strided, ml.layout, "torch.strided")):
        assert type(obj) is cls and repr(obj) == str(obj) == text
        assert pickle.loads(pickle.dumps(obj)) is obj
        with pytest.raises(AttributeError):
            obj.extra = 1
    assert not isinstance(tg.strided, ml.memory_format) and not isinstance(tg.channels_last, ml.layout)


def test_packed_strides():
    a = np.zeros((2, 3, 4, 5)).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)  # channels-last buffer
    assert ml.is_contiguous_as(a, tg.channels_last)
    assert not ml.is_contiguous_as(np.zeros((2, 3, 4, 5)), tg.channels_last)
    assert ml._dense_order(a) == (0, 2, 3, 1)
    assert ml._dense_order(np.zeros((4, 6))[:, ::2]) is None  # gaps between the rows' elements
    assert ml._packed((3, 1, 2), (2, 99, 1), (0, 1, 2))  # a size-1 dim may have any stride


# --------------------------------------------------------------------------- collate containers
class _NoArgsMapping(collections.abc.Mapping):
    """A read-only mapping whose type cannot be rebuilt from a dict."""

    def __init__(self):
        self._d = {"a": np.float64(1.0)}

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


def test_collate_rebuilds_containers_in_their_type():
    od = collections.OrderedDict(b=np.float64(2.0), a=np.float64(1.0))
    conv = _collate.default_convert(od)
    assert type(conv) is collections.OrderedDict and list(conv) == ["b", "a"]
    assert isinstance(conv["a"], tg.Tensor)
    assert type(_collate.default_convert(_NoArgsMapping())) is dict
    batch = _collate.default_collate([[1.0, 2], [3.0, 4]])
    assert type(batch) is list and batch[0].tolist() == [1.0, 3.0] and batch[1].tolist() == [2, 4]
    collated = _collate.default_collate([collections.OrderedDict(x=1), collections.OrderedDict(x=2)])
    assert type(collated) is collections.OrderedDict and collated["x"].tolist() == [1, 2]
    assert type(_collate.default_collate([(1, 2), (3, 4)])) is list  # tuples collate into a list, as PyTorch
    assert _collate._rebuilt_sequence(range(2), [5, 6]) == [5, 6]  # range(list) fails: a plain list


# --------------------------------------------------------------------------- deprecated amp aliases
def test_cpu_amp_aliases_warn_and_default_to_bfloat16():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ac = tg.cpu.amp.autocast()
        scaler = tg.cpu.amp.GradScaler(enabled=False)
    messages = [str(w.message) for w in caught if w.category is FutureWarning]
    assert messages == ["`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                        "`torch.amp.autocast('cpu', args...)` instead.",
                        "`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
                        "`torch.amp.GradScaler('cpu', args...)` instead."]
    assert all(w.filename == __file__ for w in caught if w.category is FutureWarning)
    assert ac.device == "cpu" and ac.fast_dtype is tg.bfloat16
    assert isinstance(scaler, tg.amp.GradScaler) and not scaler.is_enabled()


# --------------------------------------------------------------------------- autograd helpers
def test_written_grads_of_fill_and_copy_ops():
    _needs_autograd()
    x = tg.tensor(np.arange(6.0).reshape(2, 3), dtype=tg.float32, requires_grad=True)
    v = tg.tensor(2.0, requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, True]])
    up = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    gx, gv = tg.autograd.grad(x.masked_fill(mask, v), (x, v), up)
    assert gx.tolist() == [[0.0, 2.0, 0.0], [4.0, 5.0, 0.0]] and gv.item() == 1.0 + 3.0 + 6.0
    src = tg.tensor([[10.0, 20.0], [30.0, 40.0]], requires_grad=True)
    gx, gs = tg.autograd.grad(x.index_copy(1, tg.tensor([2, 0]), src), (x, src), up)
    assert gx.tolist() == [[0.0, 2.0, 0.0], [0.0, 5.0, 0.0]] and gs.tolist() == [[3.0, 1.0], [6.0, 4.0]]
    # only the gradients asked for are computed
    (gv,) = tg.autograd.grad(x.index_fill(0, tg.tensor([1]), v), v, up)
    assert gv.item() == 4.0 + 5.0 + 6.0


def test_double_vjp_products():
    _needs_autograd()
    from tensorgraft.autograd import functional as AF
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)
    u = rng.standard_normal(3)
    A, x, v = tg.tensor(a), tg.tensor(x0), tg.tensor(u)
    _, jv = AF.jvp(lambda t: A.matmul(t * t), x, v)
    assert np.allclose(jv.numpy(), a @ (2 * x0 * u))
    _, hv = AF.hvp(lambda t: (t * t * t).sum(), x, v)
    assert np.allclose(hv.numpy(), 6 * x0 * u)
    with pytest.raises(RuntimeError, match="^The output of the user-provided function is independent of input 1. "):
        AF.jvp(lambda s, t: s * 2, (x, x), (v, v), strict=True)


def test_mean_gradient_counts_the_reduced_elements():
    _needs_autograd()
    x = tg.zeros(2, 3, 4, requires_grad=True)
    x.mean((0, 2)).sum().backward()
    assert np.allclose(x.grad.numpy(), 1.0 / 8)
    y = tg.zeros(0, 3, requires_grad=True)
    y.mean().backward()  # an empty reduction divides by one, not zero
    assert tuple(y.grad.shape) == (0, 3)


def test_lazy_attributes_of_autograd_and_func():
    autograd = _needs_autograd()
    func = pytest.importorskip("tensorgraft.func")
    assert func.vmap is func.__dict__["vmap"]  # loaded once, then kept in the module
    assert autograd.Function.__name__ == "Function"
    with pytest.raises(AttributeError, match="^module 'tensorgraft.func' has no attribute 'nope'$"):
        _ = func.nope
    with pytest.raises(AttributeError, match="^module 'tensorgraft.autograd' has no attribute 'nope'$"):
        _ = autograd.nope
