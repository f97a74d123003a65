"""In-place activations record PyTorch's node names (``LeakyReluBackward1``, ``EluBackward1``,
``CeluBackward1``, ``ThresholdBackward1``, ...) while computing the same values and gradients as the
out-of-place calls; their backward refuses negative slopes as PyTorch's does. Also the dedicated
nodes of celu, threshold, logsigmoid, hardshrink and softshrink. Oracle twins at the end."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing.oracle import assert_same_error

X = np.array([-2.5, -1.0, -0.2, 0.0, 0.05, 0.1, 0.3, 0.7, 1.5, 3.0, float("nan")])

# name -> (out-of-place call, in-place call, node name out of place, node name in place)
CASES = {
    "relu": (F.relu, lambda y: F.relu(y, inplace=True), "ReluBackward0", "ReluBackward0"),
    "relu_": (F.relu, F.relu_, "ReluBackward0", "ReluBackward0"),
    "relu6": (F.relu6, lambda y: F.relu6(y, inplace=True), "HardtanhBackward0", "HardtanhBackward0"),
    "leaky_relu": (lambda y: F.leaky_relu(y, 0.1), lambda y: F.leaky_relu(y, 0.1, inplace=True),
                   "LeakyReluBackward0", "LeakyReluBackward1"),
    "leaky_relu_": (F.leaky_relu, F.leaky_relu_, "LeakyReluBackward0", "LeakyReluBackward1"),
    "leaky_relu-slope0": (lambda y: F.leaky_relu(y, 0.0), lambda y: F.leaky_relu_(y, 0.0),
                          "LeakyReluBackward0", "LeakyReluBackward1"),
    "elu": (lambda y: F.elu(y, 0.7), lambda y: F.elu(y, 0.7, inplace=True), "EluBackward0", "EluBackward1"),
    "elu_": (F.elu, F.elu_, "EluBackward0", "EluBackward1"),
    "selu": (F.selu, lambda y: F.selu(y, inplace=True), "EluBackward0", "EluBackward1"),
    "selu_": (F.selu, F.selu_, "EluBackward0", "EluBackward1"),
    "celu": (lambda y: F.celu(y, 0.5), lambda y: F.celu(y, 0.5, inplace=True), "CeluBackward0", "CeluBackward1"),
    "celu_": (F.celu, F.celu_, "CeluBackward0", "CeluBackward1"),
    "hardtanh": (lambda y: F.hardtanh(y, -0.5, 1.0), lambda y: F.hardtanh_(y, -0.5, 1.0),
                 "HardtanhBackward0", "HardtanhBackward0"),
    "threshold": (lambda y: F.threshold(y, 0.1, 2.0), lambda y: F.threshold(y, 0.1, 2.0, inplace=True),
                  "ThresholdBackward0", "ThresholdBackward1"),
    "threshold_": (lambda y: F.threshold(y, 0.1, -3.0), lambda y: F.threshold_(y, 0.1, -3.0),
                   "ThresholdBackward0", "ThresholdBackward1"),
    "silu": (F.silu, lambda y: F.silu(y, inplace=True), "SiluBackward0", "SiluBackward0"),
    "mish": (F.mish, lambda y: F.mish(y, inplace=True), "MishBackward0", "MishBackward0"),
    "hardswish": (F.hardswish, lambda y: F.hardswish(y, inplace=True), "HardswishBackward0", "HardswishBackward0"),
    "hardsigmoid": (F.hardsigmoid, lambda y: F.hardsigmoid(y, inplace=True), "HardsigmoidBackward0",
                    "HardsigmoidBackward0"),
    "rrelu-eval": (F.rrelu, lambda y: F.rrelu(y, inplace=True), "RreluWithNoiseBackward0", "RreluWithNoiseBackward1"),
}


def run(fn, device="cpu", x_np=X):
    x = tg.tensor(x_np, requires_grad=True, device=device)
    y = fn(x * 1.0)          # in place on a non-leaf
    name = y.grad_fn.name()
    y.backward(tg.tensor(np.linspace(0.5, 1.5, x_np.size), device=device))
    return y.detach().cpu().numpy(), x.grad.cpu().numpy(), name


@pytest.mark.parametrize("case", sorted(CASES))
def test_inplace_names_values_and_gradients(case):
    out_of_place, in_place, name0, name1 = CASES[case]
    y0, g0, n0 = run(out_of_place)
    y1, g1, n1 = run(in_place)
    assert (n0, n1) == (name0, name1)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(g1, g0)


@pytest.mark.parametrize("fn, msg", [
    (lambda y: F.leaky_relu(y, -0.1, inplace=True), "In-place leakyReLu backward calculation is triggered with a "
     "negative slope which is not supported."),
    (lambda y: F.elu_(y, -0.5), "In-place elu backward calculation is triggered with a negative slope"),
    (lambda y: F.celu(y, -0.5, inplace=True), "In-place elu backward calculation is triggered with a negative slope"),
])
def test_inplace_backward_refuses_negative_slopes(fn, msg):
    x = tg.tensor(X[:-1], requires_grad=True)
    y = fn(x * 1.0)
    with pytest.raises(RuntimeError, match="^" + msg.replace(".", r"\.")):
        y.sum().backward()
    # out of place is fine
    x = tg.tensor(X[:-1], requires_grad=True)
    F.leaky_relu(x, -0.1).sum().backward()


def test_modules_inplace_names():
    x = tg.tensor(X[:-1], requires_grad=True)
    for m, name in [(nn.LeakyReLU(0.2, inplace=True), "LeakyReluBackward1"), (nn.ELU(inplace=True), "EluBackward1"),
                    (nn.SELU(inplace=True), "EluBackward1"), (nn.CELU(inplace=True), "CeluBackward1"),
                    (nn.Threshold(0.1, 0.0, inplace=True), "ThresholdBackward1"), (nn.CELU(), "CeluBackward0"),
                    (nn.Threshold(0.1, 0.0), "ThresholdBackward0")]:
        assert m(x * 1.0).grad_fn.name() == name, m


def test_threshold_nan_integers_and_bool():
    x = tg.tensor([float("nan"), 0.0, 1.0], requires_grad=True)
    y = F.threshold(x, 0.5, 7.0)
    assert np.isnan(y.detach().numpy()[0]) and y.detach().numpy()[1:].tolist() == [7.0, 1.0]
    y.sum().backward()
    assert x.grad.numpy().tolist() == [1.0, 0.0, 1.0]       # NaN is not <= threshold: it passes
    t = F.threshold(tg.tensor([1, 5, -2]), 2.5, 7.5)
    assert t.dtype == tg.int64 and t.tolist() == [7, 5, 7]
    with pytest.raises(NotImplementedError, match="\"threshold_cpu\" not implemented for 'Bool'"):
        F.threshold(tg.tensor([True, False]), 0.5, 1)


def test_shrink_and_logsigmoid_nodes():
    x = tg.tensor(X, requires_grad=True)
    for fn, name in [(F.hardshrink, "HardshrinkBackward0"), (F.softshrink, "SoftshrinkBackward0"),
                     (F.logsigmoid, "LogSigmoidBackward0"), (nn.Hardshrink(0.2), "HardshrinkBackward0"),
                     (nn.Softshrink(0.2), "SoftshrinkBackward0"), (nn.LogSigmoid(), "LogSigmoidBackward0")]:
        assert fn(x).grad_fn.name() == name
    y = F.softshrink(x, 0.5)
    ref = np.where(np.abs(X) <= 0.5, 0.0, X - np.sign(X) * 0.5)
    np.testing.assert_allclose(y.detach().numpy(), ref)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(np.abs(X) > 0.5, 1.0, 0.0))   # NaN: no gradient
    big = tg.tensor([-40.0, 40.0], dtype=tg.float64)
    np.testing.assert_allclose(F.logsigmoid(big).numpy(), [-40.0 - np.log1p(np.exp(-40.0)), -np.log1p(np.exp(-40.0))])
    with pytest.raises(RuntimeError, match=r"^lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but "
                                           r"found -1$"):
        F.softshrink(tg.ones(2), -1)


def test_gradgrad_of_new_nodes():
    from tensorgraft.autograd import gradgradcheck
    x = tg.tensor(X[:-1] + 0.013, requires_grad=True)
    for fn in (lambda t: F.threshold(t, 0.1, 2.0), F.logsigmoid, lambda t: F.hardshrink(t, 0.25),
               lambda t: F.softshrink(t, 0.25), lambda t: F.celu(t, 0.5)):
        assert gradgradcheck(fn, (x,))


_on = assert_on_device  # the result lives on the device, as the device's own array


@pytest.mark.parametrize("case", sorted(CASES))
def test_inplace_on_device(tg_device, case):
    _, in_place, _, name1 = CASES[case]
    y, g, n = run(in_place)
    yd, gd, nd = run(in_place, tg_device)
    assert nd == name1
    np.testing.assert_allclose(yd, y, rtol=1e-6)
    np.testing.assert_allclose(gd, g, rtol=1e-6)


# ------------------------------------------------------------------ PyTorch as the oracle
# without NaN: PyTorch's gradient at NaN differs between its vectorised loop and the scalar tail
XO = X[:-1]
@pytest.mark.parametrize("case", sorted(CASES))
def test_oracle(case):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    import types
    for fn in CASES[case][:2]:
        g = dict(fn.__globals__)
        g["F"] = TF
        tfn = types.FunctionType(fn.__code__, g, closure=fn.__closure__) if isinstance(fn, types.LambdaType) and \
            fn.__name__ == "<lambda>" else getattr(TF, fn.__name__)
        x = torch.tensor(XO, requires_grad=True)
        y = tfn(x * 1.0)
        y.backward(torch.tensor(np.linspace(0.5, 1.5, XO.size)))
        ours = run(fn, x_np=XO)
        assert ours[2] == y.grad_fn.name()
        np.testing.assert_allclose(ours[0], y.detach().numpy(), rtol=1e-12, atol=1e-12)
        # (PyTorch's float64 hardsigmoid gradient uses a float32 1/6)
        tol = 1e-7 if case == "hardsigmoid" else 1e-12
        np.testing.assert_allclose(ours[1], x.grad.numpy(), rtol=tol, atol=tol)


def test_oracle_nodes_errors():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    for name, kw in [("hardshrink", {"lambd": 0.2}), ("softshrink", {"lambd": 0.2}), ("logsigmoid", {}),
                     ("threshold", {"threshold": 0.1, "value": 2.0})]:
        x, tx = tg.tensor(XO, requires_grad=True), torch.tensor(XO, requires_grad=True)
        y, ty = getattr(F, name)(x, **kw), getattr(TF, name)(tx, **kw)
        assert y.grad_fn.name() == ty.grad_fn.name()
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for fn in (lambda F, t: F.leaky_relu(t * 1, -0.1, inplace=True).sum().backward(),
               lambda F, t: F.elu(t * 1, -0.5, inplace=True).sum().backward(),
               lambda F, t: F.celu(t * 1, -0.5, inplace=True).sum().backward(),
               lambda F, t: F.softshrink(t, -1.0),
               lambda F, t: F.threshold(t > 0, 0.5, 1)):
        assert_same_error(lambda: fn(F, tg.tensor(X[:-1], requires_grad=True)),
                          lambda: fn(TF, torch.tensor(X[:-1], requires_grad=True)))
