"""The graph nodes people print while debugging nn code: ``F.linear``'s top node for every input
rank and layout (with and without bias), and cross_entropy with probability targets recorded op
by op (DivBackward1 <- NegBackward0 <- SumBackward0 <- MulBackward0 <- LogSoftmaxBackward0).
Values and gradients are checked against NumPy. Runs on every device."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing.oracle import to_numpy


def chain(out):
    """The node names from ``out.grad_fn`` down the first edge that leads to a node."""
    names = []
    fn = out.grad_fn
    while fn is not None:
        names.append(fn.name())
        fn = next((f for f, _ in fn.next_functions if f is not None), None)
    return names


# ------------------------------------------------------------------ linear
def _layouts(rng):
    return {
        "1d": (rng.standard_normal(3), lambda a: a),
        "2d": (rng.standard_normal((5, 3)), lambda a: a),
        "2d_t": (rng.standard_normal((3, 5)), lambda a: a.t()),
        "3d": (rng.standard_normal((2, 5, 3)), lambda a: a),
        "3d_t01": (rng.standard_normal((5, 2, 3)), lambda a: a.transpose(0, 1)),
        "3d_t12": (rng.standard_normal((2, 3, 5)), lambda a: a.transpose(1, 2)),
        "3d_expanded": (rng.standard_normal((1, 5, 3)), lambda a: a.expand(2, 5, 3)),
        "3d_sliced": (rng.standard_normal((2, 5, 6)), lambda a: a[..., ::2]),
        "3d_single_row": (rng.standard_normal((1, 1, 3)), lambda a: a),
        "4d": (rng.standard_normal((2, 2, 5, 3)), lambda a: a),
        "4d_t": (rng.standard_normal((2, 5, 2, 3)), lambda a: a.transpose(1, 2)),
    }


TOP_NODE = {  # (bias, layout) -> PyTorch's grad_fn
    True: {"1d": "ViewBackward0", "2d": "AddmmBackward0", "2d_t": "AddmmBackward0", "3d": "ViewBackward0",
           "3d_t01": "AddBackward0", "3d_t12": "AddBackward0", "3d_expanded": "AddBackward0",
           "3d_sliced": "AddBackward0", "3d_single_row": "ViewBackward0", "4d": "ViewBackward0",
           "4d_t": "AddBackward0"},
    False: {"1d": "SqueezeBackward4", "2d": "MmBackward0", "2d_t": "MmBackward0"},
}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", list(TOP_NODE[True]))
def test_linear_top_node_values_and_gradients(layout, bias, tg_device):
    rng = np.random.default_rng(3)
    base, make = _layouts(rng)[layout]
    w = rng.standard_normal((4, 3))
    b = rng.standard_normal(4)
    x_leaf = tg.tensor(base, device=tg_device, requires_grad=True)
    x = make(x_leaf)
    wt = tg.tensor(w, device=tg_device, requires_grad=True)
    bt = tg.tensor(b, device=tg_device, requires_grad=True) if bias else None
    y = F.linear(x, wt, bt)
    assert y.grad_fn.name() == TOP_NODE[bias].get(layout, "UnsafeViewBackward0")
    xv = to_numpy(x)
    expected = xv @ w.T + (b if bias else 0)
    np.testing.assert_allclose(to_numpy(y), expected, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(expected.shape)
    y.backward(tg.tensor(g, device=tg_device))
    g2 = g.reshape(-1, 4)
    np.testing.assert_allclose(to_numpy(wt.grad), g2.T @ xv.reshape(-1, 3), rtol=1e-10)
    if bias:
        np.testing.assert_allclose(to_numpy(bt.grad), g2.sum(0), rtol=1e-10)
    gx = g @ w
    ref = tg.tensor(np.zeros(base.shape))
    ref_x = make(ref.requires_grad_())
    (ref_x * tg.tensor(gx)).sum().backward()  # maps the gradient back through the layout
    np.testing.assert_allclose(to_numpy(x_leaf.grad), to_numpy(ref.grad), rtol=1e-10)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "RNN"])
def test_batch_first_rnn_into_linear(cell):
    tg.manual_seed(0)
    rnn = getattr(nn, cell)(3, 4, batch_first=True)
    out, _ = rnn(tg.ones(2, 5, 3))
    assert not out.is_contiguous()
    assert nn.Linear(4, 2)(out).grad_fn.name() == "AddBackward0"
    assert nn.Linear(4, 2, bias=False)(out).grad_fn.name() == "UnsafeViewBackward0"
    out, _ = getattr(nn, cell)(3, 4)(tg.ones(5, 2, 3))
    assert nn.Linear(4, 2)(out).grad_fn.name() == "ViewBackward0"


# ------------------------------------------------------------------ cross entropy, probability targets
def _soft_ce_reference(x, t, w, reduction, eps):
    cdim = 1 if x.ndim > 1 else 0
    C = x.shape[cdim]
    m = x.max(axis=cdim, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=cdim, keepdims=True))
    t = t * (1 - eps) + eps / C
    shape = [1] * x.ndim
    shape[cdim] = C
    terms = logp * t * (w.reshape(shape) if w is not None else 1)
    if reduction == "none":
        return -terms.sum(axis=cdim)
    total = -terms.sum()
    return total / (x.size // C) if reduction == "mean" else total


def _expected_chain(reduction, weighted):
    names = {"mean": ["DivBackward1", "NegBackward0", "SumBackward0"], "sum": ["NegBackward0", "SumBackward0"],
             "none": ["NegBackward0", "SumBackward1"]}[reduction]
    names += ["MulBackward0"] * (2 if weighted else 1)
    return names + ["LogSoftmaxBackward0", "AccumulateGrad"]


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_soft_target_cross_entropy_graph(shape, reduction, eps, weighted, tg_device):
    rng = np.random.default_rng(7)
    xv = rng.standard_normal(shape)
    cdim = 1 if len(shape) > 1 else 0
    tv = rng.random(shape)
    tv /= tv.sum(axis=cdim, keepdims=True)
    wv = rng.random(shape[cdim]) + 0.5
    x = tg.tensor(xv, device=tg_device, requires_grad=True)
    t = tg.tensor(tv, device=tg_device, requires_grad=True)
    w = tg.tensor(wv, device=tg_device, requires_grad=True) if weighted else None
    loss = F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=eps)
    names = [n.replace("torch::autograd::", "") for n in chain(loss)]
    assert names == _expected_chain(reduction, weighted)
    assert loss.grad_fn.next_functions[0][0].name() == ("NegBackward0" if reduction == "mean" else "SumBackward0"
                                                        if reduction == "sum" else "SumBackward1")
    ref = _soft_ce_reference(xv, tv, wv if weighted else None, reduction, eps)
    np.testing.assert_allclose(to_numpy(loss), ref, rtol=1e-12)
    # gradients: central differences of the NumPy reference
    g = rng.standard_normal(np.shape(ref))
    loss.backward(tg.tensor(g, device=tg_device))

    def numeric(which, value):
        out = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            for sign in (1, -1):
                v = value.copy()
                v[i] += sign * 1e-6
                args = {"x": xv, "t": tv, "w": wv, which: v}
                out[i] += sign * (g * _soft_ce_reference(args["x"], args["t"], args["w"] if weighted else None,
                                                         reduction, eps)).sum() / 2e-6
        return out
    np.testing.assert_allclose(to_numpy(x.grad), numeric("x", xv), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(t.grad), numeric("t", tv), rtol=1e-5, atol=1e-7)
    if weighted:
        np.testing.assert_allclose(to_numpy(w.grad), numeric("w", wv), rtol=1e-5, atol=1e-7)


def test_soft_target_cross_entropy_smoothing_nodes_on_the_target():
    rng = np.random.default_rng(8)
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    t = tg.tensor(rng.random((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, t, label_smoothing=0.1)
    product = loss.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert product.name() == "MulBackward0"
    smoothed = product.next_functions[1][0]
    assert smoothed.name() == "AddBackward1" and smoothed.next_functions[0][0].name() == "MulBackward1"


def test_soft_target_cross_entropy_dtypes_and_empty_batch():
    rng = np.random.default_rng(9)
    x = tg.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    t64 = tg.tensor(np.full((4, 3), 1 / 3))
    assert F.cross_entropy(x, t64).dtype == tg.float64  # the operands promote, as in PyTorch
    assert F.cross_entropy(x, t64.to(tg.float16)).dtype == tg.float32
    assert F.cross_entropy(x, t64.float(), weight=tg.ones(3, dtype=tg.float64)).dtype == tg.float64
    with tg.no_grad():  # the same ops, no graph: same value
        plain = F.cross_entropy(x, t64.float())
    np.testing.assert_allclose(to_numpy(plain), to_numpy(F.cross_entropy(x, t64.float())), rtol=0, atol=0)
    empty = F.cross_entropy(tg.ones(0, 3, requires_grad=True), tg.ones(0, 3))
    assert np.isnan(to_numpy(empty)) and empty.grad_fn.name() == "NegBackward0"
