"""``F.linear`` records PyTorch's graph (addmm/mm on rows of the input, ``TBackward0`` before the
weight, views back to the input's rank): the structures below are what PyTorch 2.13 builds
(``test_linear_graph_oracle.py`` compares with PyTorch itself where it is installed)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

import tensorgraft as tg  # noqa: E402

ACC, T = "AccumulateGrad", ("TBackward0", (("AccumulateGrad", ()),))


def structure(fn):
    if fn is None:
        return None
    return (type(fn).__name__, tuple(structure(n) for n, _ in fn.next_functions))


def leaf():
    return ("AccumulateGrad", ())


@pytest.mark.parametrize("shape,bias,input_grad,expected", [
    ((4, 3), True, False, ("AddmmBackward0", (leaf(), None, T))),
    ((4, 3), False, True, ("MmBackward0", (leaf(), T))),
    ((3,), True, True, ("ViewBackward0", (("AddmmBackward0", (leaf(), ("ViewBackward0", (leaf(),)), T)),))),
    ((3,), False, True, ("SqueezeBackward4", (("MmBackward0", (("UnsqueezeBackward0", (leaf(),)), T)),))),
    ((2, 4, 3), True, False, ("ViewBackward0", (("AddmmBackward0", (leaf(), None, T)),))),
    ((2, 4, 3), False, True, ("UnsafeViewBackward0", (("MmBackward0", (("ViewBackward0", (leaf(),)), T)),))),
])
def test_linear_records_pytorchs_graph(shape, bias, input_grad, expected):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=input_grad)
    w = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal(2), requires_grad=True) if bias else None
    y = tg.nn.functional.linear(x, w, b)
    assert structure(y.grad_fn) == expected
    # and the gradients through that graph are the product's
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g))
    x2, g2 = x.detach().numpy().reshape(-1, 3), g.reshape(-1, 2)
    np.testing.assert_allclose(w.grad.numpy(), g2.T @ x2, rtol=1e-12)
    assert w.grad.is_contiguous()
    if bias:
        np.testing.assert_allclose(b.grad.numpy(), g2.sum(0), rtol=1e-12)
    if input_grad:
        np.testing.assert_allclose(x.grad.numpy(), (g2 @ w.detach().numpy()).reshape(shape), rtol=1e-12)


def test_linear_without_grad_records_nothing():
    y = tg.nn.functional.linear(tg.ones(4, 3), tg.ones(2, 3), tg.ones(2))
    assert y.grad_fn is None and not y.requires_grad
    with tg.no_grad():
        assert tg.nn.functional.linear(tg.ones(4, 3), tg.ones(2, 3, requires_grad=True)).grad_fn is None


def test_linear_one_node_records_a_single_node_with_the_same_gradients():
    """The RNN layers' variant: one node (named as PyTorch's graph ends), same values and gradients."""
    from tensorgraft.nn.functional_ops.linear import linear_one_node
    rng = np.random.default_rng(1)
    data = rng.standard_normal((2, 4, 3))
    grads = []
    for fn in (tg.nn.functional.linear, linear_one_node):
        x = tg.tensor(data, requires_grad=True)
        w = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        b = tg.tensor([0.5, -1.0], dtype=tg.float64, requires_grad=True)
        y = fn(x, w, b)
        if fn is linear_one_node:
            assert type(y.grad_fn).__name__ == "ViewBackward0"
            assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["AccumulateGrad"] * 3
        (y * y).sum().backward()
        grads.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)

