"""Gradients of activations taken with create_graph=True, against PyTorch: second and mixed
derivatives (through an upstream weight, as a WGAN-GP gradient penalty takes them), whether the
gradient requires grad, and the nodes it hangs on (``LeakyReluBackwardBackward0`` ...)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_values_close, seeded_normal, to_numpy  # noqa: E402

# (name, call(lib, x)): every activation of nn.functional, its in-place variant and its module
ACTIVATIONS = [
    ("relu", lambda L, x: L.nn.functional.relu(x)),
    ("relu6", lambda L, x: L.nn.functional.relu6(x)),
    ("leaky_relu", lambda L, x: L.nn.functional.leaky_relu(x, 0.1)),
    ("hardtanh", lambda L, x: L.nn.functional.hardtanh(x, -0.5, 0.7)),
    ("threshold", lambda L, x: L.nn.functional.threshold(x, 0.1, 2.0)),
    ("elu", lambda L, x: L.nn.functional.elu(x, 0.8)),
    ("selu", lambda L, x: L.nn.functional.selu(x)),
    ("celu", lambda L, x: L.nn.functional.celu(x, 0.7)),
    ("gelu", lambda L, x: L.nn.functional.gelu(x)),
    ("gelu_tanh", lambda L, x: L.nn.functional.gelu(x, approximate="tanh")),
    ("silu", lambda L, x: L.nn.functional.silu(x)),
    ("mish", lambda L, x: L.nn.functional.mish(x)),
    ("softplus", lambda L, x: L.nn.functional.softplus(x)),
    ("softplus_beta", lambda L, x: L.nn.functional.softplus(x, 2.0, 1.0)),
    ("softplus_negbeta", lambda L, x: L.nn.functional.softplus(x, -1.5, 3.0)),
    ("hardswish", lambda L, x: L.nn.functional.hardswish(x)),
    ("logsigmoid", lambda L, x: L.nn.functional.logsigmoid(x)),
    ("softsign", lambda L, x: L.nn.functional.softsign(x)),
    ("tanhshrink", lambda L, x: L.nn.functional.tanhshrink(x)),
    ("softshrink", lambda L, x: L.nn.functional.softshrink(x, 0.3)),
    ("hardshrink", lambda L, x: L.nn.functional.hardshrink(x, 0.3)),
    ("rrelu_eval", lambda L, x: L.nn.functional.rrelu(x)),
    ("prelu", lambda L, x: L.nn.functional.prelu(x, L.tensor([0.25, -0.3, 0.5, 0.1], dtype=L.float64))),
    ("glu", lambda L, x: L.nn.functional.glu(x)),
    ("glu_dim0", lambda L, x: L.nn.functional.glu(x.t(), 0)),
    ("sigmoid", lambda L, x: L.sigmoid(x)),
    ("tanh", lambda L, x: L.tanh(x)),
    ("softmax", lambda L, x: L.nn.functional.softmax(x, 1)),
    ("softmax_dim0", lambda L, x: L.nn.functional.softmax(x, 0)),
    ("log_softmax", lambda L, x: L.nn.functional.log_softmax(x, 1)),
    ("log_softmax_dim0", lambda L, x: L.nn.functional.log_softmax(x, 0)),
    ("softmin", lambda L, x: L.nn.functional.softmin(x, 1)),
    # in-place variants (on a non-leaf, as a network applies them)
    ("relu_", lambda L, x: L.nn.functional.relu(x * 1, inplace=True)),
    ("leaky_relu_", lambda L, x: L.nn.functional.leaky_relu(x * 1, 0.2, inplace=True)),
    ("hardtanh_", lambda L, x: L.nn.functional.hardtanh(x * 1, inplace=True)),
    ("relu6_", lambda L, x: L.nn.functional.relu6(x * 3, inplace=True)),
    ("threshold_", lambda L, x: L.nn.functional.threshold(x * 1, 0.1, 2.0, inplace=True)),
    ("elu_", lambda L, x: L.nn.functional.elu(x * 1, inplace=True)),
    ("selu_", lambda L, x: L.nn.functional.selu(x * 1, inplace=True)),
    ("celu_", lambda L, x: L.nn.functional.celu(x * 1, 0.7, inplace=True)),
    ("silu_", lambda L, x: L.nn.functional.silu(x * 1, inplace=True)),
    ("mish_", lambda L, x: L.nn.functional.mish(x * 1, inplace=True)),
    ("hardswish_", lambda L, x: L.nn.functional.hardswish(x * 1, inplace=True)),
    ("rrelu_", lambda L, x: L.nn.functional.rrelu(x * 1, inplace=True)),
    # modules
    ("LeakyReLU", lambda L, x: L.nn.LeakyReLU(0.2)(x)),
    ("ELU", lambda L, x: L.nn.ELU()(x)),
    ("GELU", lambda L, x: L.nn.GELU()(x)),
    ("Softplus", lambda L, x: L.nn.Softplus(beta=2.0)(x)),
    ("Hardtanh", lambda L, x: L.nn.Hardtanh()(x)),
    ("ReLU6", lambda L, x: L.nn.ReLU6()(x * 3)),
    ("LogSoftmax", lambda L, x: L.nn.LogSoftmax(1)(x)),
    ("SiLU", lambda L, x: L.nn.SiLU()(x)),
    ("GLU", lambda L, x: L.nn.GLU()(x)),
]

def _tolerance(name):
    # PyTorch takes CELU's input scale 1 / alpha in float32, which moves its float64 derivatives by
    # ~1e-8 relative; ours keep the float64 quotient
    return (1e-6, 1e-12) if name.lower().startswith("celu") else (1e-9, 1e-12)

# the node each activation's gradient hangs on when taken with create_graph=True
DOUBLE_NODES = {
    "relu": "ThresholdBackwardBackward0", "relu6": "HardtanhBackwardBackward0",
    "leaky_relu": "LeakyReluBackwardBackward0", "hardtanh": "HardtanhBackwardBackward0",
    "threshold": "ThresholdBackwardBackward0", "elu": "EluBackwardBackward0", "selu": "EluBackwardBackward0",
    "celu": "EluBackwardBackward0", "gelu": "GeluBackwardBackward0", "gelu_tanh": "GeluBackwardBackward0",
    "softplus": "SoftplusBackwardBackward0", "softplus_beta": "SoftplusBackwardBackward0",
    "hardswish": "HardswishBackwardBackward0", "logsigmoid": "LogSigmoidBackwardBackward0",
    "softshrink": "SoftshrinkBackwardBackward0", "hardshrink": "HardshrinkBackwardBackward0",
    "rrelu_eval": "RreluWithNoiseBackwardBackward0", "prelu": "PreluKernelBackwardBackward0",
    "glu": "GluBackwardBackward0", "softmax": "SoftmaxBackwardDataBackward0",
    "log_softmax": "LogSoftmaxBackwardDataBackward0",
    "leaky_relu_": "LeakyReluBackwardBackward0", "elu_": "EluBackwardBackward0", "celu_": "EluBackwardBackward0",
    "rrelu_": "RreluWithNoiseBackwardBackward0", "LeakyReLU": "LeakyReluBackwardBackward0",
    "GELU": "GeluBackwardBackward0", "Softplus": "SoftplusBackwardBackward0",
}


def _x(seed=0, shape=(3, 4)):
    # values kept off the kinks (0, +-0.3, +-0.5, +-1, +-3, 0.1) where one-sided derivatives differ
    a = seeded_normal(*shape, seed=seed, scale=1.5)
    return np.where(np.abs(a) < 0.05, 0.4, a)


def _second(L, f, xa, va, wa):
    """d/d(x, v) of sum(w * d/dx sum(v * f(x))), and whether the inner gradient requires grad."""
    x = L.tensor(xa, requires_grad=True)
    v = L.tensor(va, requires_grad=True)
    g, = L.autograd.grad((f(L, x) * v).sum(), x, create_graph=True)
    dx, dv = L.autograd.grad((g * L.tensor(wa)).sum(), (x, v), allow_unused=True)
    return g, dx, dv


@pytest.mark.parametrize("name,f", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_second_and_mixed_derivatives(name, f):
    xa = _x(0)
    out_shape = tuple(f(torch, torch.tensor(xa)).shape)
    va, wa = seeded_normal(*out_shape, seed=1), seeded_normal(*xa.shape, seed=2)
    ours, theirs = _second(tg, f, xa, va, wa), _second(torch, f, xa, va, wa)
    assert_values_close(ours[0], theirs[0], msg=f"{name}: first derivative")
    for o, t, what in zip(ours[1:], theirs[1:], ("second derivative", "mixed derivative")):
        assert (o is None) == (t is None), (name, what)
        if t is not None:
            rtol, atol = _tolerance(name)
            assert_values_close(o, t, rtol=rtol, atol=atol, msg=f"{name}: {what}")


@pytest.mark.parametrize("name,f", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_gradient_requires_grad_as_pytorch(name, f):
    """With a constant upstream gradient (``f(x).sum()``) the gradient still requires grad in
    PyTorch for every activation, the piecewise-linear ones included (their node hangs on x)."""
    def run(L):
        x = L.tensor(_x(3), requires_grad=True)
        g, = L.autograd.grad(f(L, x).sum(), x, create_graph=True)
        return g.requires_grad
    assert run(tg) == run(torch)


def _structure(node, depth):
    if node is None:
        return None
    if depth == 0:
        return type(node).__name__
    return type(node).__name__, [(_structure(n, depth - 1), i) for n, i in node.next_functions]


@pytest.mark.parametrize("name", sorted(DOUBLE_NODES))
@pytest.mark.parametrize("upstream", [False, True])
def test_double_backward_node_and_edges(name, upstream):
    f = dict(ACTIVATIONS)[name]

    def run(L):
        x = L.tensor(_x(4), requires_grad=True)
        y = f(L, x)
        if upstream:
            y = y * L.tensor(seeded_normal(*y.shape, seed=5), requires_grad=True)
        g, = L.autograd.grad(y.sum(), x, create_graph=True)
        node = g.grad_fn
        if name.endswith("_"):  # the in-place variants run on x * 1: the gradient ends in MulBackward0
            assert type(node).__name__ == "MulBackward0"
            node = node.next_functions[0][0]
        return _structure(node, 2)
    ours = run(tg)
    assert ours[0] == DOUBLE_NODES[name]
    if not name.endswith("_"):  # (PyTorch's in-place nodes hang on their result, ours on their input)
        assert ours == run(torch)


def test_hardsigmoid_gradient_node_raises_when_reached():
    def run(L):
        x = L.tensor(_x(6), requires_grad=True)
        g, = L.autograd.grad(L.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
        nf = [type(n).__name__ for n, _ in g.grad_fn.next_functions]
        try:
            g.sum().backward()
        except RuntimeError as e:
            return type(g.grad_fn).__name__, nf, str(e)
        return None
    assert run(tg) == run(torch)


def _wgan_gp(L, act, seed=0):
    """One WGAN-GP critic step's penalty through Linear -> act -> Linear (-> act -> Linear): the
    weights' gradients of ((|d critic / d x| - 1) ** 2).mean()."""
    L.manual_seed(seed)
    d = L.nn.Sequential(L.nn.Linear(6, 8), act(L), L.nn.Linear(8, 8), act(L), L.nn.Linear(8, 1)).double()
    real = L.randn(5, 6, dtype=L.float64)
    fake = L.randn(5, 6, dtype=L.float64)
    eps = L.rand(5, 1, dtype=L.float64)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    g, = L.autograd.grad(d(x).sum(), x, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    return penalty, [p.grad for p in d.parameters()]


WGAN_ACTS = [
    ("LeakyReLU", lambda L: L.nn.LeakyReLU(0.2)),
    ("ReLU", lambda L: L.nn.ReLU()),
    ("ReLU_inplace", lambda L: L.nn.ReLU(inplace=True)),
    ("LeakyReLU_inplace", lambda L: L.nn.LeakyReLU(0.2, inplace=True)),
    ("Hardtanh", lambda L: L.nn.Hardtanh(-0.3, 0.3)),
    ("ReLU6", lambda L: L.nn.ReLU6()),
    ("ELU", lambda L: L.nn.ELU()),
    ("SELU", lambda L: L.nn.SELU()),
    ("CELU", lambda L: L.nn.CELU(0.5)),
    ("GELU", lambda L: L.nn.GELU()),
    ("GELU_tanh", lambda L: L.nn.GELU("tanh")),
    ("SiLU", lambda L: L.nn.SiLU()),
    ("Mish", lambda L: L.nn.Mish()),
    ("Softplus", lambda L: L.nn.Softplus(2.0, 1.0)),
    ("Hardswish", lambda L: L.nn.Hardswish()),
    ("LogSigmoid", lambda L: L.nn.LogSigmoid()),
    ("Softsign", lambda L: L.nn.Softsign()),
    ("Tanhshrink", lambda L: L.nn.Tanhshrink()),
    ("Softshrink", lambda L: L.nn.Softshrink(0.1)),
    ("Hardshrink", lambda L: L.nn.Hardshrink(0.1)),
    ("RReLU_eval", lambda L: L.nn.RReLU().eval()),
    ("PReLU", lambda L: L.nn.PReLU(8, 0.2).double()),
    ("Sigmoid", lambda L: L.nn.Sigmoid()),
    ("Tanh", lambda L: L.nn.Tanh()),
    ("Threshold", lambda L: L.nn.Threshold(0.05, -1.0)),
]


@pytest.mark.parametrize("name,act", WGAN_ACTS, ids=[a[0] for a in WGAN_ACTS])
def test_wgan_gp_penalty_reaches_the_weights(name, act):
    pen, grads = _wgan_gp(tg, act)
    tpen, tgrads = _wgan_gp(torch, act)
    assert_values_close(pen, tpen, rtol=1e-10, atol=1e-12)
    assert len(grads) == len(tgrads)
    for o, t in zip(grads, tgrads):
        assert (o is None) == (t is None), name
        if t is not None:
            assert_values_close(o, t, rtol=1e-8, atol=1e-12, msg=name)
    # the penalty reaches the first layer's weight through the activation's backward
    assert np.abs(to_numpy(grads[0])).max() > 0


def _prelu_weight_grads(L):
    x = L.tensor(_x(7, (2, 3, 4)), requires_grad=True)
    w = L.tensor([0.3, -0.2, 0.6], dtype=L.float64, requires_grad=True)
    g, = L.autograd.grad(L.nn.functional.prelu(x, w).pow(2).sum(), x, create_graph=True)
    gx, gw = L.autograd.grad(g.pow(2).sum(), (x, w))
    gw_first, = L.autograd.grad(L.nn.functional.prelu(x, w).pow(3).sum(), w, create_graph=True)
    hx, hw = L.autograd.grad(gw_first.pow(2).sum(), (x, w))
    return gx, gw, hx, hw


def test_prelu_double_backward_through_weight():
    for o, t in zip(_prelu_weight_grads(tg), _prelu_weight_grads(torch)):
        assert_values_close(o, t, rtol=1e-10, atol=1e-12)


HESSIAN = ["elu", "selu", "celu", "gelu", "gelu_tanh", "softplus_beta", "softplus_negbeta", "logsigmoid", "silu",
           "mish", "glu", "softmax", "log_softmax", "leaky_relu", "hardswish", "prelu"]


@pytest.mark.parametrize("name", HESSIAN)
def test_hessian(name):
    f = dict(ACTIVATIONS)[name]
    xa = _x(8, (2, 4))
    wa = seeded_normal(*f(torch, torch.tensor(xa)).shape, seed=9)

    def run(L):
        return L.autograd.functional.hessian(lambda x: (f(L, x) * L.tensor(wa)).pow(2).sum(), L.tensor(xa))
    rtol, atol = _tolerance(name)
    assert_values_close(run(tg), run(torch), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "softplus", "logsigmoid", "glu", "softmax",
                                  "log_softmax", "hardswish", "leaky_relu"])
def test_third_derivative(name):
    f = dict(ACTIVATIONS)[name]

    def run(L):
        x = L.tensor(_x(10), requires_grad=True)
        g, = L.autograd.grad(f(L, x).pow(2).sum(), x, create_graph=True)
        h, = L.autograd.grad(g.pow(2).sum(), x, create_graph=True)
        t, = L.autograd.grad(h.sum(), x, allow_unused=True)
        return h, t
    for o, t in zip(run(tg), run(torch)):
        assert (o is None) == (t is None)
        if t is not None:
            assert_values_close(o, t, rtol=1e-9, atol=1e-12)
