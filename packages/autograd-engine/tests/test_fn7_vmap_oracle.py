"""``tensorgraft.func.vmap`` against ``torch.func.vmap``: reading a batched value as a Python
value (``.item()``, ``float()``, ``if t > 0``, ``.tolist()``, using it as an index) is refused
with PyTorch's errors, a training BatchNorm with unbatched running stats is refused, results
carry the grad_fn PyTorch's batched ops record (and the same gradients), ``out_dims`` out of
range and random ops under ``jacfwd`` fail as in PyTorch. Each case is written once against the
library module ``m`` and run with both."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import (  # noqa: E402
    assert_same_error,
    assert_same_result,
    assert_values_close,
    grad_fn_name,
    run_in_both,
)

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 3)).astype(np.float32)
W = RNG.standard_normal((3, 2)).astype(np.float32)
V = RNG.standard_normal(3).astype(np.float32)
LOGITS = RNG.standard_normal((2, 4, 3)).astype(np.float32)
BN_IN = RNG.standard_normal((4, 2, 3)).astype(np.float32)
ENS_IN = RNG.standard_normal((4, 3)).astype(np.float32)


def _x(m, **kw):
    return m.tensor(X, **kw)


# ---------------------------------------------------------------- reading batched values
READS = {
    "item": lambda m: m.func.vmap(lambda t: t.sum().item())(_x(m)),
    "item_of_slice": lambda m: m.func.vmap(lambda t: t[0].item())(_x(m)),
    "float": lambda m: m.func.vmap(lambda t: float(t.sum()))(_x(m)),
    "int": lambda m: m.func.vmap(lambda t: int(t[0]))(_x(m)),
    "format": lambda m: m.func.vmap(lambda t: f"{t.sum():.2f}")(_x(m)),
    "if": lambda m: m.func.vmap(lambda t: t * 2 if t.sum() > 0 else t)(_x(m)),
    "bool": lambda m: m.func.vmap(lambda t: bool(t[0]))(_x(m)),
    "tolist": lambda m: m.func.vmap(lambda t: t.tolist())(_x(m)),
    "range": lambda m: m.func.vmap(lambda i: i * len(range(i)))(m.tensor([1, 2])),
    "list_index": lambda m: m.func.vmap(lambda i: i * [5, 6, 7][i])(m.tensor([1, 2])),
    "item_in_grad": lambda m: m.func.vmap(m.func.grad(lambda w: w.sum() * w.sum().item()))(_x(m)),
    "if_in_grad": lambda m: m.func.vmap(m.func.grad(lambda w: w.sum() if w.sum() > 0 else -w.sum()))(_x(m)),
    "outer_slice_in_grad": lambda m: m.func.vmap(lambda t: m.func.grad(lambda w: w.sum() * t.sum().item())(
        m.ones(3)))(_x(m)),
    "tolist_in_grad": lambda m: m.func.vmap(m.func.grad(lambda w: w.sum() * w.tolist()[0]))(_x(m)),
    "nested_inner": lambda m: m.func.vmap(lambda r: m.func.vmap(lambda t: t.item())(r))(_x(m)),
    "nested_outer": lambda m: m.func.vmap(lambda r: m.func.vmap(lambda t: t * 2)(r).sum().item())(_x(m)),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_reading_a_batched_value_is_refused(case):
    assert_same_error(READS[case])


ALLOWED = {
    # a value that does not depend on the mapped inputs may be read
    "unbatched_item": lambda m: m.func.vmap(lambda t: t * m.tensor(2.).item())(_x(m)),
    "unmapped_input": lambda m: m.func.vmap(lambda t, s: t * s.item(), in_dims=(0, None))(_x(m), m.tensor(3.)),
    # tensorgraft's own ops read values internally (PyTorch does so in C++): that is no user read
    "cross_entropy": lambda m: m.func.vmap(lambda t, y: m.nn.functional.cross_entropy(t, y))(
        m.tensor(LOGITS), m.tensor([[0, 1, 2, 1], [2, 2, 0, 0]])),
    "embedding": lambda m: m.func.vmap(lambda i: m.nn.functional.embedding(i, m.eye(4)))(m.tensor([[0, 1], [2, 3]])),
    "shape_read": lambda m: m.func.vmap(lambda t: t.view(t.shape[0], 1) * len(t))(_x(m)),
}


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_reads_pytorch_allows_still_work(case):
    ours, theirs = run_in_both(ALLOWED[case])
    assert_same_result(ours, theirs)


def test_results_read_normally_after_vmap():
    def run(m):
        x = _x(m, requires_grad=True)
        y = m.func.vmap(lambda t: (t.sin() * t).sum())(x)
        y.sum().backward()
        return y.detach().tolist(), x.grad.sum().item(), bool(x.grad[0, 0] > -10), float(y[0])
    ours, theirs = run_in_both(run)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1:], theirs[1:], rtol=1e-5)


# ---------------------------------------------------------------- batch norm
def _bn_input(m):
    return m.tensor(BN_IN)


def test_batch_norm_with_running_stats_is_refused():
    assert_same_error(lambda m: m.func.vmap(m.nn.BatchNorm1d(3))(_bn_input(m)))
    assert_same_error(lambda m: m.func.vmap(m.nn.Sequential(m.nn.Linear(3, 3), m.nn.BatchNorm1d(3)))(_bn_input(m)))

    def via_functional_call(m):
        model = m.nn.Sequential(m.nn.Linear(3, 2), m.nn.BatchNorm1d(2))
        params = {k: v.detach() for k, v in model.named_parameters()}
        return m.func.vmap(lambda p, x: m.func.functional_call(model, p, (x,)), in_dims=(None, 0))(params,
                                                                                                   _bn_input(m))
    assert_same_error(via_functional_call)


BN_OK = {
    "eval": lambda m: m.nn.BatchNorm1d(3).eval(),
    "no_tracking": lambda m: m.nn.BatchNorm1d(3, track_running_stats=False),
    "replaced": lambda m: m.func.replace_all_batch_norm_modules_(m.nn.Sequential(m.nn.BatchNorm1d(3))),
}


@pytest.mark.parametrize("case", sorted(BN_OK))
def test_batch_norm_pytorch_allows(case):
    def run(m):
        m.manual_seed(0)
        return m.func.vmap(BN_OK[case](m))(_bn_input(m))
    ours, theirs = run_in_both(run)
    assert_same_result(ours, theirs, rtol=1e-4, atol=1e-5)


def test_replace_all_batch_norm_modules_state():
    def run(m):
        model = m.nn.Sequential(m.nn.Linear(3, 3), m.nn.BatchNorm1d(3), m.nn.Sequential(m.nn.BatchNorm1d(3)))
        out = m.func.replace_all_batch_norm_modules_(model)
        return (out is model, repr(model), list(model.state_dict()), model[1].running_mean,
                model[2][0].num_batches_tracked, model[1].track_running_stats)
    ours, theirs = run_in_both(run)
    assert ours == theirs


def test_ensemble_batch_norm_with_stacked_buffers():
    def run(m):
        m.manual_seed(0)
        models = [m.nn.Sequential(m.nn.Linear(3, 2), m.nn.BatchNorm1d(2)) for _ in range(2)]
        params, buffers = m.func.stack_module_state(models)
        base = m.nn.Sequential(m.nn.Linear(3, 2), m.nn.BatchNorm1d(2))
        x = m.tensor(ENS_IN)
        out = m.func.vmap(lambda p, b, x: m.func.functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(
            params, buffers, x)
        return out.detach(), buffers["1.running_mean"], buffers["1.num_batches_tracked"]
    ours, theirs = run_in_both(run)
    # each library's Linear draws its own initial weights from the same seed: compare the parts
    # that do not depend on them
    assert ours[0].shape == tuple(theirs[0].shape)
    assert ours[2].tolist() == theirs[2].tolist()


# ---------------------------------------------------------------- grad_fn of results
NODES = {
    "mul": lambda m, t: t * 2, "sin": lambda m, t: t.sin(), "sum": lambda m, t: t.sum(),
    "mean": lambda m, t: t.mean(), "add": lambda m, t: t + m.tensor(V), "relu": lambda m, t: m.relu(t),
    "pow": lambda m, t: t ** 2, "view": lambda m, t: t.view(3, 1), "index": lambda m, t: t[0],
    "matmul": lambda m, t: t @ m.tensor(W, requires_grad=True),
    "mv": lambda m, t: m.tensor(W.T.copy(), requires_grad=True) @ t, "dot": lambda m, t: m.dot(t, m.tensor(V)),
    "max": lambda m, t: t.max(), "prod": lambda m, t: t.prod(), "squeeze": lambda m, t: t.view(3, 1).squeeze(1),
    "t": lambda m, t: t.view(3, 1).t(), "softmax": lambda m, t: t.softmax(0),
    "linear_nobias": lambda m, t: m.nn.functional.linear(t, m.tensor(W.T.copy())),
    "mm": lambda m, t: t.view(3, 1) @ m.ones(1, 2),
    "linear_1d": lambda m, t: m.nn.functional.linear(t, m.tensor(W.T.copy()), m.ones(2)),
    "linear_2d": lambda m, t: m.nn.functional.linear(t.view(1, 3), m.tensor(W.T.copy()), m.ones(2)),
    "conv": lambda m, t: m.nn.functional.conv1d(t.view(1, 3), m.ones(2, 1, 2)),
    "conv_batch": lambda m, t: m.nn.functional.conv1d(t.view(1, 1, 3), m.ones(2, 1, 2)),
    "mse_mean": lambda m, t: m.nn.functional.mse_loss(t, m.tensor(V)),
    "mse_sum": lambda m, t: m.nn.functional.mse_loss(t, m.tensor(V), reduction="sum"),
    "l1_mean": lambda m, t: m.nn.functional.l1_loss(t, m.tensor(V)),
    "cross_entropy": lambda m, t: m.nn.functional.cross_entropy(t.view(1, 3), m.tensor([2])),
    "cross_entropy_sum": lambda m, t: m.nn.functional.cross_entropy(t.view(1, 3), m.tensor([0]), reduction="sum"),
}


@pytest.mark.parametrize("case", sorted(NODES))
def test_result_grad_fn_and_gradients(case):
    def run(m):
        x = _x(m, requires_grad=True)
        y = m.func.vmap(lambda t: NODES[case](m, t))(x)
        g, = m.autograd.grad((y * y).sum(), x)
        return y, g
    (ours, og), (theirs, tg) = run_in_both(run)
    assert grad_fn_name(ours) == grad_fn_name(theirs)
    assert_values_close(ours, theirs)
    assert_values_close(og, tg)


DIMS = {
    "out_dims1": lambda m, x: m.func.vmap(lambda t: t * 2, out_dims=1)(x),
    "out_dims-1": lambda m, x: m.func.vmap(lambda t: t.sin(), out_dims=-1)(x),
    "in_dims1": lambda m, x: m.func.vmap(lambda t: t * 2, in_dims=1)(x),
    "identity": lambda m, x: m.func.vmap(lambda t: t)(x),
    "identity_moved": lambda m, x: m.func.vmap(lambda t: t, in_dims=1)(x),
    "captured": lambda m, x: m.func.vmap(lambda t, w: w, in_dims=(0, None))(x.detach(), x[0]),
    "nested": lambda m, x: m.func.vmap(m.func.vmap(lambda t: t * 2))(x.view(2, 3, 1)),
    "nested_sum": lambda m, x: m.func.vmap(m.func.vmap(lambda t: t.sum()))(x.view(2, 3, 1)),
}


@pytest.mark.parametrize("case", sorted(DIMS))
def test_result_grad_fn_with_dims(case):
    def run(m):
        x = _x(m, requires_grad=True)
        y = DIMS[case](m, x)
        g, = m.autograd.grad((y * y).sum(), x)
        return y, g, y is x, y.is_leaf
    (ours, og, o_is, o_leaf), (theirs, tg, t_is, t_leaf) = run_in_both(run)
    assert grad_fn_name(ours) == grad_fn_name(theirs)
    assert (o_is, o_leaf) == (t_is, t_leaf)
    assert_values_close(ours, theirs)
    assert_values_close(og, tg)


def test_ensemble_output_grad_fn():
    def run(m):
        m.manual_seed(0)
        models = [m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2)) for _ in range(3)]
        params, buffers = m.func.stack_module_state(models)
        base = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
        call = lambda p, b, x: m.func.functional_call(base, (p, b), (x,))  # noqa: E731
        two_d = m.func.vmap(call, in_dims=(0, 0, None))(params, buffers, m.tensor(ENS_IN))
        one_d = m.func.vmap(call, in_dims=(0, 0, None))(params, buffers, m.tensor(ENS_IN[0]))
        return grad_fn_name(two_d), grad_fn_name(one_d), tuple(two_d.shape)
    ours, theirs = run_in_both(run)
    assert ours == theirs


def test_per_sample_grads_of_vmap_outputs_are_correct():
    def run(m):
        x = _x(m, requires_grad=True)
        w = m.tensor(W, requires_grad=True)
        y = m.func.vmap(lambda t: ((t.sin() * 2) @ w).tanh())(x)
        return m.autograd.grad(y.pow(2).sum(), (x, w), create_graph=True)
    (ox, ow), (tx, tw) = run_in_both(run)
    assert_values_close(ox, tx)
    assert_values_close(ow, tw)


# ---------------------------------------------------------------- argument errors
ERRORS = {
    "out_dims_too_big": lambda m: m.func.vmap(lambda t: t, out_dims=2)(_x(m)),
    "out_dims_too_small": lambda m: m.func.vmap(lambda t: t.sum(), out_dims=-2)(_x(m)),
    "out_dims_tuple_too_big": lambda m: m.func.vmap(lambda t: (t, t), out_dims=(0, 3))(_x(m)),
    "out_dims_none_batched": lambda m: m.func.vmap(lambda t: t * 2, out_dims=None)(_x(m)),
    "out_dims_none_in_tuple": lambda m: m.func.vmap(lambda t: (t.sum(), t + 1), out_dims=(0, None))(_x(m)),
    "out_dims_none_outer_batched": lambda m: m.func.vmap(lambda s: m.func.vmap(
        lambda a, t: t * 2, in_dims=(0, None), out_dims=None)(m.ones(4), s))(_x(m)),
    "chunk_size_float": lambda m: m.func.vmap(lambda t: t.sum(), chunk_size=2.0)(_x(m)),
    "chunk_size_float_one_slice": lambda m: m.func.vmap(lambda t: t.sum(), chunk_size=1.5)(_x(m)[:1]),
    "chunk_size_float_bad_in_dims": lambda m: m.func.vmap(lambda t: t.sum(), in_dims=5, chunk_size=1.5)(_x(m)),
    "jacfwd_random": lambda m: m.func.jacfwd(lambda a: a + m.rand(3))(m.tensor(V)),
    "hessian_random": lambda m: m.func.hessian(lambda a: (a * m.rand(3)).sum())(m.tensor(V)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match(case):
    assert_same_error(ERRORS[case])


def test_jacfwd_random_error_leaves_generator_alone():
    import tensorgraft as tg
    tg.manual_seed(3)
    state = tg.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tg.func.jacfwd(lambda a: a + tg.rand(3))(tg.tensor(V))
    assert bool((tg.get_rng_state() == state).all())


def test_jacfwd_randomness_same_allows_random_ops():
    def run(m):
        m.manual_seed(0)
        return m.func.jacfwd(lambda a: a * 2 + m.rand(3), randomness="same")(m.tensor(V))
    ours, theirs = run_in_both(run)
    assert_same_result(ours, theirs)


def test_unbatched_output_with_out_dims_none_is_returned_as_is():
    def run(m):
        y = m.tensor(V)
        a, b = m.func.vmap(lambda t: (t * 2, y), out_dims=(0, None))(_x(m))
        return a, b, b is y
    ours, theirs = run_in_both(run)
    assert_same_result(ours, theirs)


@pytest.mark.parametrize("aux", ["sum", "vector", "dict", "unrelated"])
def test_jacfwd_aux_grad_fn(aux):
    def run(m):
        a = m.tensor(V, requires_grad=True)
        auxes = {"sum": lambda x: x.sum(), "vector": lambda x: x * 2, "dict": lambda x: {"x": x * 2, "y": x.detach()},
                 "unrelated": lambda x: a * 3}
        arg = a.detach() if aux == "unrelated" else a
        jac, out = m.func.jacfwd(lambda x: (x.sin(), auxes[aux](x)), has_aux=True)(arg)
        jr, out_rev = m.func.jacrev(lambda x: (x.sin(), auxes[aux](x)), has_aux=True)(arg)
        leaves = out if isinstance(out, dict) else {"": out}
        rev = out_rev if isinstance(out_rev, dict) else {"": out_rev}
        return ({k: grad_fn_name(v) for k, v in leaves.items()}, {k: grad_fn_name(v) for k, v in rev.items()},
                jac, leaves)
    (on, orv, oj, ol), (tn, trv, tj, tl) = run_in_both(run)
    assert on == tn
    assert orv == trv
    assert_same_result(oj, tj)
    assert_same_result(ol, tl)
