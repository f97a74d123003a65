"""The per-call and per-slice savings of the slice-by-slice ``vmap`` (``func/_vmap.py``,
``_vmap_guards.py``, ``_vmap_random.py``) change nothing that can be seen: results (values,
dtypes, shapes, strides, requires_grad, grad_fn names), errors and their messages, and what is
left patched afterwards. Each case here gave the same answer before those changes (checked by
running this file against the previous versions of the three modules); grad_fn names and
messages are PyTorch 2.13's (computed with torch).

The savings: arguments that are all leaves are passed without unflattening; the randomness
guard's no-op calls are skipped; a nested vmap reuses the enclosing one's generator state when
the fingerprints say it is the same; the ~600 kernel-table patches are checked, installed and
removed by C loops; the batch-norm check sits in ``_BatchNorm.__call__`` (not a global hook that
slowed every module call) when that is equivalent."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.func import _vmap, _vmap_guards, grad, vmap


@pytest.fixture
def loop_vmap(monkeypatch):
    """The slice-by-slice vmap (``TENSORGRAFT_VMAP=loop``, a supported mode) whatever mode this
    process runs: the test checks that loop's own workings."""
    monkeypatch.setattr(_vmap, "_MODE", "loop")


@pytest.fixture
def vectorized_vmap(monkeypatch):
    """The vectorized vmap (``TENSORGRAFT_VMAP=vectorized``) whatever mode this process runs."""
    monkeypatch.setattr(_vmap, "_MODE", "vectorized")


def _x(*shape, dtype=np.float32):
    n = int(np.prod(shape))
    return tg.tensor((np.arange(n, dtype=np.float64) / 7 - 1.5).reshape(shape).astype(dtype))


def _looped(f, x, dim=0):
    return tg.stack([f(x.select(dim, i)) for i in range(x.shape[dim])])


# --------------------------------------------------------------------------- results
@pytest.mark.parametrize("out_dims, shape, strides", [
    (0, (5, 3, 4), (12, 4, 1)), (1, (3, 5, 4), (20, 4, 1)), (2, (3, 4, 5), (20, 5, 1)),
    (-1, (3, 4, 5), (20, 5, 1)), ((1,), (3, 5, 4), (20, 4, 1)),
])
@pytest.mark.usefixtures("loop_vmap")
def test_out_dims_place_the_batch_and_give_contiguous_results(out_dims, shape, strides):
    x = _x(5, 4, 3)
    out = vmap(lambda a: a.t() * 2, out_dims=out_dims)(x)  # each slice's result is not contiguous
    assert tuple(out.shape) == shape and out.stride() == strides and out.is_contiguous()
    expected = np.moveaxis(np.swapaxes(x.numpy(), 1, 2) * 2, 0, out_dims if isinstance(out_dims, int)
                           else out_dims[0])
    assert np.array_equal(out.numpy(), expected)



@pytest.mark.parametrize("out_dims, shape, strides", [
    (0, (5, 3, 4), (12, 1, 3)), (1, (3, 5, 4), (1, 12, 3)), (2, (3, 4, 5), (1, 3, 12)),
    (-1, (3, 4, 5), (1, 3, 12)), ((1,), (3, 5, 4), (1, 12, 3)),
])
@pytest.mark.usefixtures("vectorized_vmap")
def test_vectorized_out_dims_keep_the_strides_of_the_batched_computation(out_dims, shape, strides):
    # PyTorch 2.13's shapes and strides (computed with torch): the batch's transpose, not a contiguous stack
    x = _x(5, 4, 3)
    out = vmap(lambda a: a.t() * 2, out_dims=out_dims)(x)
    assert tuple(out.shape) == shape and out.stride() == strides
    expected = np.moveaxis(np.swapaxes(x.numpy(), 1, 2) * 2, 0, out_dims if isinstance(out_dims, int)
                           else out_dims[0])
    assert np.array_equal(out.numpy(), expected)

def test_integer_bool_and_tuple_outputs_keep_their_dtypes():
    x = _x(4, 3)
    ints, flags, (s, m) = vmap(lambda a: (a.long() * 2, a > 0, (a.sum(), a.max())))(x)
    assert ints.dtype == tg.int64 and flags.dtype == tg.bool and s.dtype == tg.float32
    assert ints.tolist() == (x.long() * 2).tolist() and flags.tolist() == (x > 0).tolist()
    assert np.allclose(s.numpy(), x.numpy().sum(1)) and np.array_equal(m.numpy(), x.numpy().max(1))


@pytest.mark.usefixtures("loop_vmap")
def test_leaf_arguments_none_dims_numbers_and_containers():
    x, w = _x(4, 3), _x(3)
    # all leaves: a tensor mapped, a tensor and a number not
    out = vmap(lambda a, b, c: a * b + c, in_dims=(0, None, None))(x, w, 0.5)
    assert np.allclose(out.numpy(), x.numpy() * w.numpy() + 0.5)
    # containers: a dict and a list, the dict rebuilt fresh for every slice
    seen = []

    def f(d, lst):
        seen.append(d)
        return d["a"] * lst[0] - d["b"]
    out = vmap(f, in_dims=({"a": 0, "b": None}, [1]))({"a": x, "b": w}, [x.t()])
    assert np.allclose(out.numpy(), x.numpy() * x.numpy() - w.numpy())
    assert len(seen) == 4 and len({id(d) for d in seen}) == 4
    # None is no leaf of the arguments' tree: its slot is kept
    assert vmap(lambda a, n: a if n is None else -a, in_dims=(0, None))(x, None).shape == (4, 3)



@pytest.mark.usefixtures("vectorized_vmap")
def test_vectorized_containers_run_the_function_once():
    # PyTorch 2.13 (computed with torch): the function runs once, on the whole batch
    x, w = _x(4, 3), _x(3)
    seen = []

    def f(d, lst):
        seen.append(d)
        return d["a"] * lst[0] - d["b"]
    out = vmap(f, in_dims=({"a": 0, "b": None}, [1]))({"a": x, "b": w}, [x.t()])
    assert np.allclose(out.numpy(), x.numpy() * x.numpy() - w.numpy())
    assert len(seen) == 1

def test_an_input_returned_unchanged_and_a_captured_tensor():
    x, w = _x(4, 3), _x(3)
    assert vmap(lambda a: a)(x) is x
    moved = vmap(lambda a: a, in_dims=1, out_dims=0)(x)
    assert moved.shape == (3, 4) and moved.stride() == (1, 3)
    ex = vmap(lambda a: w)(x)
    assert ex.shape == (4, 3) and ex.stride() == (0, 1)


def test_nested_vmap_and_vmap_of_grad():
    x = _x(2, 3, 4)
    out = vmap(vmap(lambda r: (r.sin() * r).sum()))(x)
    assert np.allclose(out.numpy(), (np.sin(x.numpy()) * x.numpy()).sum(-1), atol=1e-6)
    g = vmap(grad(lambda w, v: (w * v).sin().sum()), in_dims=(None, 0))(_x(4), _x(6, 4))
    v, w = _x(6, 4).numpy(), _x(4).numpy()
    assert np.allclose(g.numpy(), np.cos(w * v) * v, atol=1e-6)
    assert not g.requires_grad and g.grad_fn is None


def test_results_keep_the_batched_graph_node_names_and_gradients():
    x = _x(4, 3).requires_grad_()
    s = vmap(lambda a: (a * a).sum())(x)
    m = vmap(lambda a: a.sin(), out_dims=1)(x)
    # grad_fn names: what PyTorch 2.13's vmap gives (computed with torch)
    assert type(s.grad_fn).__name__ == "SumBackward1" and type(m.grad_fn).__name__ == "PermuteBackward0"
    (s.sum() + m.sum()).backward()
    assert np.allclose(x.grad.numpy(), 2 * x.detach().numpy() + np.cos(x.detach().numpy()), atol=1e-6)


def test_zero_sized_batch():
    out = vmap(lambda a: a.sum(0))(tg.zeros(0, 3, 2))
    assert out.shape == (0, 2) and out.dtype == tg.float32


# --------------------------------------------------------------------------- errors
@pytest.mark.usefixtures("loop_vmap")
def test_messages_for_non_tensor_outputs_and_bad_out_dims():
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
        vmap(lambda a: 1.0)(_x(3))
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda a: a * 2, out_dims=None)(_x(3))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"):
        vmap(lambda a: a * 2, out_dims=2)(_x(3, 2))
    calls = []

    def ragged(a):
        calls.append(1)
        return tg.zeros(len(calls))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        vmap(ragged)(_x(3, 2))



@pytest.mark.usefixtures("vectorized_vmap")
def test_vectorized_messages_and_a_function_returning_a_new_tensor_once():
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
        vmap(lambda a: 1.0)(_x(3))
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda a: a * 2, out_dims=None)(_x(3))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"):
        vmap(lambda a: a * 2, out_dims=2)(_x(3, 2))
    calls = []

    def ragged(a):
        calls.append(1)
        return tg.zeros(len(calls))
    # PyTorch 2.13 (computed with torch): one call; its unbatched result expanded over the batch
    out = vmap(ragged)(_x(3, 2))
    assert calls == [1] and tuple(out.shape) == (3, 1) and out.stride() == (0, 1)

def test_randomness_error_mode_nested_and_after_reseeding():
    msg = "vmap: called random operation while in randomness error mode"
    x = _x(3, 2)
    tg.manual_seed(7)
    state = tg.get_rng_state()
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda a: a + tg.randn(()))(x)
    assert tg.equal(tg.get_rng_state(), state)  # put back
    # an inner vmap drawing: refused by the inner one, which puts back the state it started from
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda r: vmap(lambda a: a + tg.rand(()))(r))(_x(2, 3, 2))
    assert tg.equal(tg.get_rng_state(), state)

    def draws_before_inner(r):
        noise = tg.rand(())
        return vmap(lambda a: a * 2)(r) + noise
    with pytest.raises(RuntimeError, match=msg):  # the outer one sees its slice draw
        vmap(draws_before_inner)(_x(2, 3, 2))
    assert tg.equal(tg.get_rng_state(), state)
    # a new stream (another seed) is watched as well
    tg.manual_seed(8)
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda a: a + tg.randn(()))(x)
    # 'same' around 'error': every inner vmap starts where the outer one restored the state
    tg.manual_seed(0)
    out = vmap(lambda r: vmap(lambda a: a * 2)(r) + tg.rand(()), randomness="same")(_x(2, 3, 2))
    assert out.shape == (2, 3, 2) and np.allclose(out[0].numpy() - out[1].numpy(),
                                                  (_x(2, 3, 2)[0] - _x(2, 3, 2)[1]).numpy() * 2)


def test_guards_removed_and_a_kernel_bound_meanwhile_stays():
    from tensorgraft.registry import registry
    op = registry.ops["sin"]
    original, cos, add_ = op.table["cpu"], registry.ops["cos"].table["cpu"], vars(tg.Tensor)["add_"]

    def anew(*args, **kwargs):
        return original(*args, **kwargs)

    def f(a):
        op.table["cpu"] = anew  # bound while the vmap runs: stays bound afterwards
        return a.sin()
    try:
        assert vmap(f)(_x(3, 2)).shape == (3, 2)
        assert op.table["cpu"] is anew and _vmap_guards._users == 0
        assert registry.ops["cos"].table["cpu"] is cos and vars(tg.Tensor)["add_"] is add_
    finally:
        op.table["cpu"] = original
    assert np.allclose(vmap(lambda a: a.sin())(_x(3, 2)).numpy(), np.sin(_x(3, 2).numpy()))


@pytest.mark.usefixtures("loop_vmap")
def test_a_tensor_method_added_between_calls_is_guarded():
    vmap(lambda a: a * 2)(_x(3, 2))  # (a plan exists)
    tg.Tensor.twice_ = lambda self, other: self.mul_(2)
    try:
        with pytest.raises(RuntimeError, match=r"vmap: aten::twice_\(self, \*extra_args\) is not possible"):
            vmap(lambda a, b: b.twice_(a), in_dims=(0, None))(_x(3, 2), _x(2))
    finally:
        del tg.Tensor.twice_
    assert vmap(lambda a: a * 2)(_x(3, 2)).shape == (3, 2)


# --------------------------------------------------------------------------- batch norm
def _bn_setup():
    pytest.importorskip("tensorgraft.nn", reason="uses nn layers (tensorgraft-nn)")
    from tensorgraft.nn.modules import _global_hooks
    from tensorgraft.nn.modules.batchnorm import _BatchNorm
    return _global_hooks, _BatchNorm


BN_MSG = "Batch norm got a batched tensor as input while the running_mean"


def test_batch_norm_refused_in_a_model_and_nothing_left_installed():
    hooks, base = _bn_setup()
    model = tg.nn.Sequential(tg.nn.Linear(4, 4), tg.nn.BatchNorm1d(4))
    closed = []
    model[1].register_forward_hook(lambda m, a, out: closed.append(out), always_call=True)
    with pytest.raises(RuntimeError, match=BN_MSG):
        vmap(model)(_x(3, 2, 4))
    assert closed == [None]  # the always_call hook ran on the refusal, as with the hook
    assert model[1].num_batches_tracked.item() == 0
    assert "__call__" not in vars(base) and not hooks.forward_pre_hooks and _vmap._bn_hook_handle is None
    # modules that are no batch norm run as usual meanwhile
    lin = tg.nn.Linear(4, 2)
    assert vmap(lin)(_x(3, 4)).shape == (3, 2)


def test_batch_norm_refused_with_a_user_global_pre_hook_which_runs_first():
    hooks, base = _bn_setup()
    order = []
    handle = hooks.register_module_forward_pre_hook(lambda m, a: order.append(type(m).__name__))
    try:
        with pytest.raises(RuntimeError, match=BN_MSG):
            vmap(tg.nn.BatchNorm1d(4))(_x(3, 2, 4))
        assert order == ["BatchNorm1d"]  # registered before the vmap: before the check
    finally:
        handle.remove()
    assert "__call__" not in vars(base) and not hooks.forward_pre_hooks and _vmap._bn_hook_handle is None


def test_batch_norm_subclass_with_its_own_call():
    hooks, base = _bn_setup()
    calls = []

    class Traced(tg.nn.BatchNorm1d):
        def __call__(self, *args, **kwargs):
            calls.append(1)
            return super().__call__(*args, **kwargs)
    try:
        bn = Traced(4)
        with pytest.raises(RuntimeError, match=BN_MSG):
            vmap(bn)(_x(3, 2, 4))
        assert calls == [1] and bn.num_batches_tracked.item() == 0
        assert vmap(Traced(4).eval())(_x(3, 2, 4)).shape == (3, 2, 4)
    finally:
        del Traced
    assert "__call__" not in vars(base) and not hooks.forward_pre_hooks
