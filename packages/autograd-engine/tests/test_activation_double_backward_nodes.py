"""The nodes a create_graph gradient of an activation records (PyTorch's names, written out here;
``..._oracle.py`` checks them against PyTorch itself), the values of their higher derivatives,
the ``sigmoid_backward``/``tanh_backward`` ops and their rounding, in-place activations' gradient
nodes, sigmoid's negative tail and pow's products."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.elementwise import sigmoid_backward, tanh_backward


def _names(t):
    node = t.grad_fn
    return type(node).__name__, [type(n).__name__ if n is not None else None for n, _ in node.next_functions]


def _leaf(seed=0, shape=(3, 4), scale=1.5):
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    return tg.tensor(np.where(np.abs(a) < 0.05, 0.4, a), requires_grad=True)


# ------------------------------------------------------------------ sigmoid_backward / tanh_backward
def test_backward_ops_are_private_as_in_pytorch():
    # PyTorch has them under torch.ops.aten only: no torch.sigmoid_backward, no Tensor method
    for name in ("sigmoid_backward", "tanh_backward"):
        assert not hasattr(tg, name)
        assert not hasattr(tg.Tensor, name)


def test_sigmoid_gradient_is_one_node_on_the_output():
    x = _leaf()
    g, = tg.autograd.grad(x.sigmoid().sum(), x, create_graph=True)
    assert _names(g) == ("SigmoidBackwardBackward0", [None, "SigmoidBackward0"])
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    # d/dy of grad * (1 - y) * y is grad * (-2 y + 1), PyTorch's Scalar ops, then sigmoid's backward
    assert _names(h) == ("SigmoidBackwardBackward0", ["MulBackward0", "SigmoidBackward0"])
    slope = h.grad_fn.next_functions[0][0].next_functions[1][0]
    assert type(slope).__name__ == "AddBackward1"
    assert type(slope.next_functions[0][0]).__name__ == "MulBackward1"


def test_tanh_gradient_is_one_node_on_the_output():
    x = _leaf(1)
    g, = tg.autograd.grad(x.tanh().sum(), x, create_graph=True)
    assert _names(g) == ("TanhBackwardBackward0", [None, "TanhBackward0"])
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    assert _names(h) == ("TanhBackwardBackward0", ["MulBackward0", "TanhBackward0"])


def _sigmoid_derivatives(a):
    s = 1 / (1 + np.exp(-a))
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d1 * (1 - 6 * s + 6 * s * s)
    return d1, d2, d3


def _tanh_derivatives(a):
    t = np.tanh(a)
    d1 = 1 - t * t
    d2 = -2 * t * d1
    d3 = -2 * d1 * (1 - 3 * t * t)
    return d1, d2, d3


@pytest.mark.parametrize("fn,expected", [("sigmoid", _sigmoid_derivatives), ("tanh", _tanh_derivatives)])
def test_three_derivatives(fn, expected):
    x = _leaf(2)
    g, = tg.autograd.grad(getattr(x, fn)().sum(), x, create_graph=True)
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    t, = tg.autograd.grad(h.sum(), x)
    for ours, want in zip((g, h, t), expected(x.detach().numpy())):
        np.testing.assert_allclose(ours.detach().numpy(), want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("fn", ["sigmoid", "tanh"])
def test_mixed_derivative_through_the_incoming_gradient(fn):
    # d/dv of sum(w * d/dx sum(v * f(x))) = w * f'(x): the op's gradient for grad_output
    x = _leaf(3)
    v = tg.tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    w = np.random.default_rng(5).standard_normal((3, 4))
    g, = tg.autograd.grad((getattr(x, fn)() * v).sum(), x, create_graph=True)
    dv, = tg.autograd.grad((g * tg.tensor(w)).sum(), v)
    d1 = (_sigmoid_derivatives if fn == "sigmoid" else _tanh_derivatives)(x.detach().numpy())[0]
    np.testing.assert_allclose(dv.numpy(), w * d1, rtol=1e-12)


def test_sigmoid_backward_rounds_left_to_right():
    rng = np.random.default_rng(6)
    g = rng.standard_normal(1000).astype(np.float32)
    y = (1 / (1 + np.exp(-3 * rng.standard_normal(1000)))).astype(np.float32)
    out = sigmoid_backward.frontend(tg.tensor(g), tg.tensor(y))
    assert out.dtype == tg.float32
    np.testing.assert_array_equal(out.numpy(), g * (1 - y) * y)


def test_tanh_backward_float32_is_near_the_fused_product():
    # PyTorch rounds 1 - t*t once (a fused multiply-add; exact in float64 for float32 t): ours is
    # (1 - t)(1 + t), within a few float32 roundings of it, also where tanh saturates
    rng = np.random.default_rng(7)
    g = rng.standard_normal(1000).astype(np.float32)
    t = np.tanh(3 * rng.standard_normal(1000)).astype(np.float32)
    out = tanh_backward.frontend(tg.tensor(g), tg.tensor(t))
    assert out.dtype == tg.float32
    fused = (1.0 - t.astype(np.float64) ** 2).astype(np.float32) * g
    np.testing.assert_allclose(out.numpy(), fused, rtol=3 * 2.0 ** -23, atol=0)


def test_tanh_backward_keeps_digits_where_tanh_saturates():
    from fractions import Fraction
    t = np.tanh(np.array([8.0, 12.0, 15.0, -16.0]))
    out = tanh_backward.frontend(tg.ones(4, dtype=tg.float64), tg.tensor(t)).numpy()
    exact = np.array([float(1 - Fraction(v) * Fraction(v)) for v in t])
    np.testing.assert_allclose(out, exact, rtol=4e-16)


def test_complex_backward_ops_conjugate():
    z = np.array([0.3 + 0.4j, -1.2 + 0.7j])
    g = np.array([1.0 + 0.5j, -0.3 + 2.0j])
    ys = 1 / (1 + np.exp(-z))
    out = sigmoid_backward.frontend(tg.tensor(g), tg.tensor(ys)).numpy()
    np.testing.assert_allclose(out, g * np.conj((1 - ys) * ys))
    ts = np.tanh(z)
    out = tanh_backward.frontend(tg.tensor(g), tg.tensor(ts)).numpy()
    np.testing.assert_allclose(out, g * np.conj(1 - ts * ts))


# ------------------------------------------------------------------ sigmoid forward
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_negative_tail(dtype):
    a = [-80.0, -50.0, -30.0, -17.0, -5.0, 0.0, 5.0, 30.0]
    out = tg.tensor(a, dtype=getattr(tg, dtype)).sigmoid().numpy().astype(np.float64)
    want = np.array([1 / (1 + math.exp(-v)) for v in a])
    if dtype == "float32":  # float32 subnormals start below 1.2e-38: sigmoid(-80) = 1.8e-35 is normal
        np.testing.assert_allclose(out, want, rtol=1e-6)
    else:
        np.testing.assert_allclose(out, want, rtol=1e-15)
    assert np.all(out[:4] > 0)


def test_float16_sigmoid_computes_in_float32():
    a = np.array([-14.0, -11.0, -3.0, 0.0, 2.5, 9.0], dtype=np.float16)
    out = tg.tensor(a).sigmoid()
    assert out.dtype == tg.float16
    want = (1 / (1 + np.exp(-a.astype(np.float32)))).astype(np.float16)
    np.testing.assert_array_equal(out.numpy(), want)
    assert out[0].item() > 0  # exp(14) overflows half precision


# ------------------------------------------------------------------ pow, rsub, Scalar nodes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_by_products(dtype):
    a = (np.random.default_rng(8).standard_normal(500) * 3).astype(dtype)
    x = tg.tensor(a)
    np.testing.assert_array_equal((x ** 3).numpy(), a * a * a)
    np.testing.assert_array_equal(x.pow(3.0).numpy(), a * a * a)
    np.testing.assert_array_equal((x ** -2).numpy(), 1 / (a * a))
    b = np.abs(a)
    np.testing.assert_array_equal(tg.tensor(b).pow(-0.5).numpy(), 1 / np.sqrt(b))
    assert (x ** 3).dtype == x.dtype


def test_integer_pow_unchanged():
    # the products are for floating-point bases only: integers keep NumPy's exact power
    r = tg.arange(-3, 4).pow(3)
    assert r.dtype == tg.int64 and r.tolist() == [-27, -8, -1, 0, 1, 8, 27]


def test_number_operands_have_no_edge():
    x = tg.ones(2, requires_grad=True)
    assert _names(x ** 2) == ("PowBackward0", ["AccumulateGrad"])
    assert _names(2 ** x) == ("PowBackward2", ["AccumulateGrad"])
    assert _names(tg.rsub(x, 2)) == ("RsubBackward1", ["AccumulateGrad"])
    assert _names(x * 2) == ("MulBackward0", ["AccumulateGrad", None])  # Python's x * 2 keeps it
    g, = tg.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert _names(g) == ("MulBackward0", [None, "MulBackward1"])


def test_gradient_of_a_scalar_product_is_one_again():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    g, = tg.autograd.grad(x.rsqrt().sum(), x, create_graph=True)
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    assert _names(h)[1][0] == "MulBackward1"
    np.testing.assert_allclose(h.detach().numpy(), 0.75 * np.array([1.0, 2.0]) ** -2.5)


# ------------------------------------------------------------------ nn activations
nn = pytest.importorskip("tensorgraft.nn", reason="needs the activations (tensorgraft-nn)")
F = nn.functional


@pytest.mark.parametrize("name,call,node,below", [
    ("logsigmoid", lambda x: F.logsigmoid(x), "MulBackward0", ["MulBackward0", "SigmoidBackward0"]),
    ("log_softmax", lambda x: F.log_softmax(x, 1), "LogSoftmaxBackwardDataBackward0",
     ["MulBackward0", "LogSoftmaxBackward0"]),
    ("softmax", lambda x: F.softmax(x, 1), "SoftmaxBackwardDataBackward0", ["SubBackward0", "SoftmaxBackward0"]),
    ("elu", lambda x: F.elu(x), "MulBackward0", ["EluBackwardBackward0", None]),
    ("gelu", lambda x: F.gelu(x), "MulBackward0", [None, "SubBackward0"]),
    ("softplus", lambda x: F.softplus(x, 2.0), "MulBackward1", ["MulBackward0"]),  # (no edge for the number)
    ("silu", lambda x: F.silu(x), "AddBackward0", ["MulBackward0", "SigmoidBackwardBackward0"]),
    ("mish", lambda x: F.mish(x), "AddBackward0", ["AddBackward0", "SigmoidBackwardBackward0"]),
])
def test_second_derivative_nodes(name, call, node, below):
    x = _leaf(9)
    g, = tg.autograd.grad(call(x).sum(), x, create_graph=True)
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    assert _names(h) == (node, below)


def test_hardsigmoid_gradient_scales_by_a_float32_sixth():
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    w = np.array([0.3, 1.7, -2.9])
    (F.hardsigmoid(x) * tg.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w * float(np.float32(1 / 6)))


@pytest.mark.parametrize("call,inplace_node,double", [
    (lambda y: F.leaky_relu_(y, 0.2), "LeakyReluBackward1", "LeakyReluBackwardBackward0"),
    (lambda y: nn.LeakyReLU(0.1, inplace=True)(y), "LeakyReluBackward1", "LeakyReluBackwardBackward0"),
    (lambda y: F.elu_(y), "EluBackward1", "EluBackwardBackward0"),
    (lambda y: F.selu(y, inplace=True), "EluBackward1", "EluBackwardBackward0"),
    (lambda y: F.rrelu(y, inplace=True), "RreluWithNoiseBackward1", "RreluWithNoiseBackwardBackward0"),
])
def test_inplace_gradient_hangs_on_the_inplace_node(call, inplace_node, double):
    x = _leaf(10)
    g, = tg.autograd.grad(call(x * 1).sum(), x, create_graph=True)
    inner = g.grad_fn.next_functions[0][0]
    assert type(inner).__name__ == double
    assert [type(n).__name__ if n else None for n, _ in inner.next_functions] == [None, inplace_node]
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    assert h.requires_grad  # PyTorch's zeros still hang on the graph (before: no grad_fn)


@pytest.mark.parametrize("call,node", [
    (lambda y: F.hardtanh(y, inplace=True), "HardtanhBackwardBackward0"),
    (lambda y: nn.ReLU6(inplace=True)(y), "HardtanhBackwardBackward0"),
    (lambda y: F.threshold_(y, 0.1, 2.0), "ThresholdBackwardBackward0"),
    (lambda y: F.hardswish(y, inplace=True), "HardswishBackwardBackward0"),
])
def test_inplace_gradient_hangs_on_a_clone_of_the_input(call, node):
    """PyTorch's hardtanh_, threshold_ and hardswish_ differentiate from a clone of their input:
    the create_graph gradient's node hangs on CloneBackward0, itself on the input's history."""
    x = _leaf(12)
    g, = tg.autograd.grad(call(x * 1).sum(), x, create_graph=True)
    inner = g.grad_fn.next_functions[0][0]
    assert type(inner).__name__ == node
    clone = inner.next_functions[1][0]
    assert type(clone).__name__ == "CloneBackward0"
    assert type(clone.next_functions[0][0]).__name__ == "MulBackward0"
    # a plain backward records nothing of the kind
    y = call(x * 1)
    y.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_inplace_elu_higher_derivatives(alpha):
    a = _leaf(11).detach().numpy()

    def derivatives(inplace):
        x = tg.tensor(a, requires_grad=True)
        y = F.elu(x * 1, alpha, inplace=inplace)
        g, = tg.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = tg.autograd.grad((g * g).sum(), x, create_graph=True)
        t, = tg.autograd.grad(h.sum(), x)
        return g, h, t
    for o, r in zip(derivatives(True), derivatives(False)):
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-14)
