"""Gradients of activations taken with create_graph=True: their values (second and mixed
derivatives written out by hand), that they require grad, and the node they hang on."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402


def _grad_with_graph(y, x):
    g, = tg.autograd.grad(y.sum(), x, create_graph=True)
    return g


def _names(t):
    return type(t.grad_fn).__name__, [None if n is None else type(n).__name__ for n, _ in t.grad_fn.next_functions]


@pytest.mark.parametrize("f,node", [
    (lambda x: F.leaky_relu(x, 0.1), "LeakyReluBackwardBackward0"),
    (F.hardtanh, "HardtanhBackwardBackward0"),
    (F.relu6, "HardtanhBackwardBackward0"),
    (lambda x: F.threshold(x, 0.1, 2.0), "ThresholdBackwardBackward0"),
    (F.hardshrink, "HardshrinkBackwardBackward0"),
    (F.softshrink, "SoftshrinkBackwardBackward0"),
    (F.rrelu, "RreluWithNoiseBackwardBackward0"),
    (F.elu, "EluBackwardBackward0"),
    (F.gelu, "GeluBackwardBackward0"),
    (F.softplus, "SoftplusBackwardBackward0"),
    (F.hardswish, "HardswishBackwardBackward0"),
    (F.logsigmoid, "LogSigmoidBackwardBackward0"),
    (F.glu, "GluBackwardBackward0"),
])
def test_piecewise_gradient_hangs_on_the_input(f, node):
    """Even with a constant upstream gradient (nothing else to differentiate), the gradient
    requires grad: its node has the upstream gradient (no edge) and x (its leaf) as inputs."""
    x = tg.tensor([[-1.5, -0.2, 0.4, 2.5]], requires_grad=True)
    g = _grad_with_graph(f(x), x)
    assert g.requires_grad
    assert _names(g) == (node, [None, "AccumulateGrad"])


def test_piecewise_linear_second_derivative_is_zeros_not_an_error():
    # the x * x term keeps the second pass connected, as in a PINN's u_xx
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    for f in (lambda t: F.leaky_relu(t, 0.1), F.hardtanh, F.hardshrink, lambda t: F.threshold(t, 0.0, 0.0)):
        g = _grad_with_graph(f(x), x)
        h, = tg.autograd.grad(g.sum(), x)
        assert h.tolist() == [0.0, 0.0, 0.0]
        assert not h.requires_grad


def test_leaky_relu_mixed_derivative_reaches_the_upstream_weight():
    x = tg.tensor([-2.0, 3.0], requires_grad=True)
    v = tg.tensor([1.5, -1.0], requires_grad=True)
    g = _grad_with_graph(F.leaky_relu(x * v, 0.2), x)   # v * slope(x * v)
    assert g.tolist() == pytest.approx([1.5 * 0.2, -1.0 * 0.2])
    assert _names(g)[0] == "MulBackward0"  # the chain rule's v * (...)
    dv, = tg.autograd.grad(g.sum(), v)
    assert dv.tolist() == pytest.approx([0.2, 0.2])


def _gelu_tanh_second(x):
    k, c = math.sqrt(2.0 / math.pi), 0.044715
    t = math.tanh(k * (x + c * x ** 3))
    du = k * (1 + 3 * c * x * x)
    return (1 - t * t) * (du + x * (6 * k * c * x - 2 * t * du * du) / 2)


@pytest.mark.parametrize("f,x0,second", [
    (F.elu, -1.0, math.exp(-1.0)),
    (F.elu, 2.0, 0.0),
    (lambda t: F.elu(t, 0.5), -2.0, 0.5 * math.exp(-2.0)),
    (lambda t: F.celu(t, 0.5), -1.0, math.exp(-2.0) / 0.5),  # e^(x / alpha) / alpha
    (F.selu, -1.0, 1.0507009873554805 * 1.6732632423543772 * math.exp(-1.0)),
    (F.gelu, 0.0, 2.0 / math.sqrt(2.0 * math.pi)),
    (F.gelu, 1.0, math.exp(-0.5) / math.sqrt(2.0 * math.pi)),
    (lambda t: F.gelu(t, approximate="tanh"), 0.0, math.sqrt(2.0 / math.pi)),
    # x (1 + tanh u) / 2, u = k (x + c x^3): f'' = (1 - t^2) (u' + x (u'' - 2 t u'^2) / 2)
    (lambda t: F.gelu(t, approximate="tanh"), 1.0, _gelu_tanh_second(1.0)),
    (F.softplus, 0.0, 0.25),
    (lambda t: F.softplus(t, 2.0), 0.0, 0.5),
    (lambda t: F.softplus(t, 1.0, 1.0), 2.0, 0.0),  # past the threshold: linear
    (F.logsigmoid, 0.0, -0.25),
    (F.hardswish, 1.0, 1.0 / 3.0),
    (F.hardswish, 4.0, 0.0),
    (F.silu, 0.0, 0.5),
    (F.mish, 0.0, 2 * (1 - 0.6 ** 2) * 0.5),  # 2 (1 - tanh(log 2)^2) sigmoid(0)
])
def test_second_derivative_values(f, x0, second):
    x = tg.tensor([x0], dtype=tg.float64, requires_grad=True)
    g = _grad_with_graph(f(x), x)
    h, = tg.autograd.grad(g.sum(), x)
    assert h.item() == pytest.approx(second, rel=1e-12, abs=1e-15)


def test_log_softmax_hessian():
    # log p_0 of two equal logits: gradient e_0 - p, Hessian -(diag(p) - p p^T)
    h = tg.autograd.functional.hessian(lambda x: F.log_softmax(x, 0)[0], tg.zeros(2, dtype=tg.float64))
    np.testing.assert_allclose(h.numpy(), [[-0.25, 0.25], [0.25, -0.25]], rtol=1e-12)


def test_softmax_hessian():
    # p_0 = sigmoid(x0 - x1) at 0: second derivative of sigmoid at 0 is 0
    h = tg.autograd.functional.hessian(lambda x: F.softmax(x, 0)[0], tg.zeros(2, dtype=tg.float64))
    np.testing.assert_allclose(h.numpy(), np.zeros((2, 2)), atol=1e-15)
    # p_0 with x = (log 3, 0): p = (3/4, 1/4); d2 p0 / dx0^2 = p0 (1 - p0) (1 - 2 p0) = -3/32
    h = tg.autograd.functional.hessian(lambda x: F.softmax(x, 0)[0], tg.tensor([math.log(3.0), 0.0],
                                                                             dtype=tg.float64))
    np.testing.assert_allclose(h.numpy(), [[-3 / 32, 3 / 32], [3 / 32, -3 / 32]], rtol=1e-12)


def test_glu_hessian():
    # a * sigmoid(b) at (a, b) = (1, 0): d2/da db = 1/4, d2/db2 = a s (1 - s)(1 - 2 s) = 0
    h = tg.autograd.functional.hessian(lambda x: F.glu(x, 0).sum(), tg.tensor([1.0, 0.0], dtype=tg.float64))
    np.testing.assert_allclose(h.numpy(), [[0.0, 0.25], [0.25, 0.0]], atol=1e-15)


def test_prelu_gradient_through_the_weight():
    x = tg.tensor([[-2.0, 1.0], [-1.0, -3.0]], requires_grad=True)
    w = tg.tensor([0.25], requires_grad=True)
    g = _grad_with_graph(F.prelu(x, w), x)
    assert g.tolist() == [[0.25, 1.0], [0.25, 0.25]]
    assert _names(g)[0] == "PreluKernelBackwardBackward0"
    dw, = tg.autograd.grad(g.sum(), w)
    assert dw.tolist() == [3.0]  # one per negative input


def test_hardsigmoid_gradient_of_gradient_is_not_implemented():
    x = tg.tensor([-1.0, 0.5], requires_grad=True)
    g = _grad_with_graph(F.hardsigmoid(x), x)
    assert g.requires_grad
    assert _names(g) == ("NotImplemented", ["AccumulateGrad"])  # only the inputs that require grad
    with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is not implemented"):
        g.sum().backward()


@pytest.mark.parametrize("act", [lambda: tg.nn.LeakyReLU(0.2), lambda: tg.nn.ELU(), lambda: tg.nn.GELU(),
                                 lambda: tg.nn.Softplus(), lambda: tg.nn.Hardtanh(-0.5, 0.5)])
def test_gradient_penalty_matches_finite_differences(act):
    """WGAN-GP's penalty ((|dD/dx| - 1) ** 2).mean() is differentiated through the activation's
    backward: its gradient for the first layer's weight equals central differences."""
    tg.manual_seed(0)
    d = tg.nn.Sequential(tg.nn.Linear(3, 5), act(), tg.nn.Linear(5, 1)).double()
    x = tg.randn(4, 3, dtype=tg.float64)

    def penalty():
        xi = x.detach().requires_grad_(True)
        g, = tg.autograd.grad(d(xi).sum(), xi, create_graph=True)
        return ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty().backward()
    w = d[0].weight
    analytic = w.grad.numpy().copy()
    assert np.abs(analytic).max() > 0
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    with tg.no_grad():
        for idx in np.ndindex(*analytic.shape):
            old = w[idx].item()
            w[idx] = old + eps
            up = _eval(penalty)
            w[idx] = old - eps
            down = _eval(penalty)
            w[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def _eval(penalty):
    with tg.enable_grad():
        return penalty().item()


def test_first_order_gradient_same_with_or_without_a_graph():
    x = tg.tensor([-2.0, -0.3, 0.2, 1.7], dtype=tg.float64, requires_grad=True)
    for f in (F.gelu, F.elu, F.softplus, F.logsigmoid, lambda t: F.softmax(t, 0), lambda t: F.log_softmax(t, 0),
              F.glu, lambda t: F.leaky_relu(t, 0.3)):
        plain, = tg.autograd.grad((f(x) * tg.arange(f(x).numel())).sum(), x)
        graph, = tg.autograd.grad((f(x) * tg.arange(f(x).numel())).sum(), x, create_graph=True)
        np.testing.assert_array_equal(plain.numpy(), graph.detach().numpy())
