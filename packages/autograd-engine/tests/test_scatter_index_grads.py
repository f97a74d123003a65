"""Gradients and graph edges of the indexing/scatter family, with expected values worked out by
hand: scatter_reduce/index_reduce with tied extrema and zero factors, index_put's single
``IndexPutBackward0`` node, and ``next_functions`` holding one edge per differentiable input only
(no edge for an index, a mask, a condition, or a number passed as a Scalar)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _edges(t):
    return [(type(fn).__name__ if fn is not None else None, nr) for fn, nr in t.grad_fn.next_functions]


def _grads(out, *inputs):
    return [g.numpy().tolist() for g in tg.autograd.grad(out.sum(), inputs)]


def _leaf(values):
    return tg.tensor(values, dtype=tg.float64, requires_grad=True)


def _index_reduce(x, idx, src, reduce, include_self):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "index_reduce() is in beta"
        return x.index_reduce(0, tg.tensor(idx), src, reduce, include_self=include_self)


# --------------------------------------------------------------------------- amax / amin
# position 0: input 5 and both sources 5 tie; position 2: the source 3 beats the input 2
@pytest.mark.parametrize("via", ["scatter_reduce", "index_reduce"])
@pytest.mark.parametrize("include_self, x_grad, src_grad", [
    (True, [1 / 3, 1, 0], [1 / 3, 1 / 3, 1]),
    # the input's own value still counts among the ties (PyTorch), but gets no share of its own
    (False, [0, 1, 0], [1 / 3, 1 / 3, 1]),
])
def test_extremum_shares_the_gradient_among_ties(via, include_self, x_grad, src_grad):
    x, src = _leaf([5.0, 1.0, 2.0]), _leaf([5.0, 5.0, 3.0])
    if via == "scatter_reduce":
        out = x.scatter_reduce(0, tg.tensor([0, 0, 2]), src, "amax", include_self=include_self)
    else:
        out = _index_reduce(x, [0, 0, 2], src, "amax", include_self)
    assert out.detach().numpy().tolist() == [5.0, 1.0, 3.0]
    gx, gs = _grads(out, x, src)
    np.testing.assert_allclose(gx, x_grad)
    np.testing.assert_allclose(gs, src_grad)


def test_amin_ties_among_sources_only():
    x, src = _leaf([4.0, 0.0]), _leaf([1.0, 1.0, 2.0])
    out = x.scatter_reduce(0, tg.tensor([0, 0, 0]), src, "amin")
    assert out.detach().numpy().tolist() == [1.0, 0.0]
    gx, gs = _grads(out, x, src)
    np.testing.assert_allclose(gx, [0, 1])
    np.testing.assert_allclose(gs, [0.5, 0.5, 0])


# --------------------------------------------------------------------------- prod with zeros
# groups (include_self=True): 0 <- {2, 3, 0} one zero; 1 <- {0, 5, 0} two zeros; 2 <- {3, 0.5};
# 3 untouched; 4 <- {0, 7} the input is the one zero
_PROD_X = [2.0, 0.0, 3.0, 4.0, 0.0]
_PROD_SRC = [3.0, 0.0, 5.0, 0.0, 0.5, 7.0]
_PROD_IDX = [0, 0, 1, 1, 2, 4]


@pytest.mark.parametrize("via", ["scatter_reduce", "index_reduce"])
@pytest.mark.parametrize("include_self, value, x_grad, src_grad", [
    (True, [0, 0, 1.5, 4, 0], [0, 0, 0.5, 1, 7], [0, 6, 0, 0, 3, 0]),
    (False, [0, 0, 0.5, 4, 7], [0, 0, 0, 1, 0], [0, 3, 0, 5, 1, 1]),
])
def test_prod_gives_each_factor_the_product_of_the_others(via, include_self, value, x_grad, src_grad):
    x, src = _leaf(_PROD_X), _leaf(_PROD_SRC)
    if via == "scatter_reduce":
        out = x.scatter_reduce(0, tg.tensor(_PROD_IDX), src, "prod", include_self=include_self)
    else:
        out = _index_reduce(x, _PROD_IDX, src, "prod", include_self)
    np.testing.assert_allclose(out.detach().numpy(), value)
    gx, gs = _grads(out, x, src)
    assert not np.isnan(gx).any() and not np.isnan(gs).any()
    np.testing.assert_allclose(gx, x_grad)
    np.testing.assert_allclose(gs, src_grad)


@pytest.mark.parametrize("include_self, value, x_grad, src_grad", [
    (True, [3.0, 2.0], [1 / 3, 1], [1 / 3, 1 / 3]),
    (False, [4.0, 2.0], [0, 1], [0.5, 0.5]),
])
def test_mean(include_self, value, x_grad, src_grad):
    x, src = _leaf([1.0, 2.0]), _leaf([3.0, 5.0])
    out = x.scatter_reduce(0, tg.tensor([0, 0]), src, "mean", include_self=include_self)
    np.testing.assert_allclose(out.detach().numpy(), value)
    gx, gs = _grads(out, x, src)
    np.testing.assert_allclose(gx, x_grad)
    np.testing.assert_allclose(gs, src_grad)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_second_order(reduce, include_self):
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)
    src = tg.tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)
    idx = tg.tensor([[0, 1, 0, 2], [1, 1, 0, 0], [2, 0, 0, 1]])

    def f(x, src):
        return x.scatter_reduce(0, idx, src, reduce, include_self=include_self)
    assert gradcheck(f, (x, src))
    assert gradgradcheck(f, (x, src))


# --------------------------------------------------------------------------- index_put
@pytest.mark.parametrize("accumulate, x_grad", [(True, [1, 2, 3]), (False, [0, 2, 0])])
def test_index_put_is_one_node(accumulate, x_grad):
    x, v = _leaf([0.0, 0.0, 0.0]), _leaf([1.0, 2.0])
    w = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64)
    out = x.index_put((tg.tensor([0, 2]),), v, accumulate=accumulate)
    assert type(out.grad_fn).__name__ == "IndexPutBackward0"
    assert _edges(out) == [("AccumulateGrad", 0), ("AccumulateGrad", 0)]  # input, values: no index
    gx, gv = _grads(out * w, x, v)
    assert gx == x_grad
    assert gv == [1.0, 3.0]


@pytest.mark.parametrize("accumulate", [True, False])
def test_index_put_inplace_rebases_onto_the_clone(accumulate):
    x, v = _leaf([1.0, 1.0, 1.0]), _leaf(2.0)
    y = x.clone()
    y.index_put_((tg.tensor([1, 1]),), v, accumulate=accumulate)
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"
    assert _edges(y) == [("CloneBackward0", 0), ("AccumulateGrad", 0)]
    assert y.detach().numpy().tolist() == ([1.0, 5.0, 1.0] if accumulate else [1.0, 2.0, 1.0])
    gx, gv = _grads(y, x, v)
    assert gx == ([1.0, 1.0, 1.0] if accumulate else [1.0, 0.0, 1.0])
    assert gv == 2.0  # the value went to two positions (a 0-d value broadcast)


def test_index_put_values_only_need_grad():
    x = tg.zeros(3, dtype=tg.float64)
    v = _leaf([4.0])
    out = x.index_put((tg.tensor([1]),), v)
    assert _edges(out) == [(None, 0), ("AccumulateGrad", 0)]
    assert _grads(out * tg.tensor([1.0, 5.0, 1.0], dtype=tg.float64), v) == [[5.0]]


def test_index_put_without_grad_records_nothing():
    out = tg.zeros(3).index_put((tg.tensor([1]),), tg.tensor(2.0))
    assert out.grad_fn is None and out.numpy().tolist() == [0.0, 2.0, 0.0]


# --------------------------------------------------------------------------- edges
def _x():
    return _leaf(np.arange(12.0).reshape(3, 4) - 5)


IDX = [[0], [1], [2]]


@pytest.mark.parametrize("call, edges", [
    (lambda x: x.gather(1, tg.tensor(IDX)), [("AccumulateGrad", 0)]),
    (lambda x: x.index_select(1, tg.tensor([0, 2])), [("AccumulateGrad", 0)]),
    (lambda x: x.take(tg.tensor([0, 5])), [("AccumulateGrad", 0)]),
    (lambda x: x.masked_select(x > 0), [("AccumulateGrad", 0)]),
    (lambda x: x[tg.tensor([0, 2])], [("AccumulateGrad", 0)]),
    # a number passed as the value is a Scalar: no edge; a tensor gets one, needed or not
    (lambda x: x.scatter(1, tg.tensor(IDX), 1.0), [("AccumulateGrad", 0)]),
    (lambda x: x.masked_fill(x > 0, 1.0), [("AccumulateGrad", 0)]),
    (lambda x: x.masked_fill(x > 0, tg.tensor(1.0, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.index_fill(1, tg.tensor([0]), 2.0), [("AccumulateGrad", 0)]),
    (lambda x: x.index_fill(1, tg.tensor([0]), tg.tensor(2.0, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    # the condition has no edge; where's "other" has one even when a number (PyTorch wraps it)
    (lambda x: tg.where(x > 0, x, 0.0), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.where(x > 0, tg.zeros(3, 4, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.scatter_add(1, tg.tensor(IDX), tg.ones(3, 1, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.scatter_reduce(0, tg.tensor([[0, 1, 0, 1]]), tg.ones(1, 4, dtype=tg.float64), "amax"),
     [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.index_add(0, tg.tensor([0]), tg.ones(1, 4, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.index_copy(0, tg.tensor([0]), tg.ones(1, 4, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.masked_scatter(x > 0, tg.ones(3, 4, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: x.put(tg.tensor([0]), tg.ones(1, dtype=tg.float64)), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: _index_reduce(x, [0], tg.ones(1, 4, dtype=tg.float64), "mean", True), [("AccumulateGrad", 0), (None, 0)]),
    (lambda x: tg.take_along_dim(x, tg.tensor(IDX), 1), [("ExpandBackward0", 0)]),
])
def test_next_functions_one_edge_per_differentiable_input(call, edges):
    assert _edges(call(_x())) == edges


def test_gradients_reach_the_right_input_past_a_dropped_edge():
    # masked_scatter's mask sits between input and source: the source's gradient must not
    # land on the mask's position
    x = tg.zeros(3, dtype=tg.float64)
    src = _leaf([1.0, 2.0, 3.0])
    out = x.masked_scatter(tg.tensor([True, False, True]), src)
    assert _edges(out) == [(None, 0), ("AccumulateGrad", 0)]
    (gs,) = _grads(out * tg.tensor([10.0, 20.0, 30.0], dtype=tg.float64), src)
    assert gs == [10.0, 30.0, 0.0]


def test_node_hooks_see_one_gradient_per_edge():
    x = _x()
    out = x.gather(1, tg.tensor(IDX))
    seen = []
    out.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    out.sum().backward()
    assert seen == [1]
    assert x.grad.numpy()[:, :3].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_scatter_value_backward():
    x = _x()
    out = x.scatter(1, tg.tensor(IDX), 1.0)
    (gx,) = _grads(out, x)
    assert gx == [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1]]


def test_augmented_setitem_graph():
    x, v = _leaf([1.0, 2.0, 3.0]), _leaf(10.0)
    y = x.clone()
    y[tg.tensor([0, 2])] += v
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"
    assert [name for name, _ in _edges(y)] == ["CloneBackward0", "AddBackward0"]
    gx, gv = _grads(y, x, v)
    assert gx == [1.0, 1.0, 1.0] and gv == 2.0
