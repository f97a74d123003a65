"""Backward formulas of the elementwise ops (and fill_/zero_/copy_): every differentiable op has one,
its gradients match PyTorch and finite differences, node names follow PyTorch."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.ops.elementwise import ELEMENTWISE_OPS
from tensorgraft.ops.reduction import REDUCTION_OPS
from tensorgraft.registry import registry


def test_every_differentiable_op_has_a_formula():
    missing = []
    for op in ELEMENTWISE_OPS + REDUCTION_OPS:
        if not op.differentiable or op.extra.get("composite"):
            continue
        f = op.formula
        if f is None and op.extra.get("formula_of"):
            f = registry.ops[op.extra["formula_of"]].formula
        if f is None:
            missing.append(op.name)
    assert missing == []


def _x(seed, shape=(2, 3), lo=-1.0, hi=1.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, shape)


# name -> (function of (lib, x, y), domain of x, domain of y); y broadcasts against x
UNARY_BINARY = {
    "neg": (lambda t, x, y: -x, None, None),
    "abs": (lambda t, x, y: x.abs(), None, None),
    "exp": (lambda t, x, y: x.exp(), None, None),
    "exp2": (lambda t, x, y: t.exp2(x), None, None),
    "expm1": (lambda t, x, y: x.expm1(), None, None),
    "log": (lambda t, x, y: x.log(), (0.5, 2), None),
    "log2": (lambda t, x, y: x.log2(), (0.5, 2), None),
    "log10": (lambda t, x, y: x.log10(), (0.5, 2), None),
    "log1p": (lambda t, x, y: x.log1p(), (0.5, 2), None),
    "sqrt": (lambda t, x, y: x.sqrt(), (0.5, 2), None),
    "rsqrt": (lambda t, x, y: x.rsqrt(), (0.5, 2), None),
    "reciprocal": (lambda t, x, y: x.reciprocal(), (0.5, 2), None),
    "square": (lambda t, x, y: x.square(), None, None),
    "sin": (lambda t, x, y: x.sin(), None, None),
    "cos": (lambda t, x, y: x.cos(), None, None),
    "tan": (lambda t, x, y: x.tan(), None, None),
    "asin": (lambda t, x, y: x.asin(), (-0.9, 0.9), None),
    "acos": (lambda t, x, y: x.acos(), (-0.9, 0.9), None),
    "atan": (lambda t, x, y: x.atan(), None, None),
    "sinh": (lambda t, x, y: x.sinh(), None, None),
    "cosh": (lambda t, x, y: x.cosh(), None, None),
    "tanh": (lambda t, x, y: x.tanh(), None, None),
    "asinh": (lambda t, x, y: x.asinh(), None, None),
    "acosh": (lambda t, x, y: x.acosh(), (1.5, 3), None),
    "atanh": (lambda t, x, y: x.atanh(), (-0.9, 0.9), None),
    "sigmoid": (lambda t, x, y: x.sigmoid(), None, None),
    "relu": (lambda t, x, y: x.relu(), None, None),
    "erf": (lambda t, x, y: t.erf(x), None, None),
    "erfc": (lambda t, x, y: t.erfc(x), None, None),
    "erfinv": (lambda t, x, y: t.erfinv(x), (-0.9, 0.9), None),
    "frac": (lambda t, x, y: x.frac(), (0.1, 0.9), None),
    "floor": (lambda t, x, y: x.floor() * x, (0.1, 0.9), None),
    "sinc": (lambda t, x, y: t.sinc(x), None, None),
    "deg2rad": (lambda t, x, y: t.deg2rad(x), None, None),
    "rad2deg": (lambda t, x, y: t.rad2deg(x), None, None),
    "logit": (lambda t, x, y: t.logit(x), (0.1, 0.9), None),
    "logit_eps": (lambda t, x, y: t.logit(x, eps=0.05), (0.1, 0.9), None),
    "nan_to_num": (lambda t, x, y: t.nan_to_num(x), None, None),
    "add": (lambda t, x, y: t.add(x, y, alpha=3), None, None),
    "sub": (lambda t, x, y: x - y, None, None),
    "rsub": (lambda t, x, y: 2.0 - x, None, None),
    "mul": (lambda t, x, y: x * y, None, None),
    "div": (lambda t, x, y: x / y, None, (0.5, 2)),
    "rdiv": (lambda t, x, y: 2.0 / y, None, (0.5, 2)),
    "pow": (lambda t, x, y: x ** y, (0.5, 2), None),
    "pow_scalar": (lambda t, x, y: x ** 3, None, None),
    "rpow": (lambda t, x, y: 2.0 ** x, None, None),
    "float_power": (lambda t, x, y: t.float_power(x, y), (0.5, 2), None),
    "atan2": (lambda t, x, y: t.atan2(x, y), None, (0.5, 2)),
    "hypot": (lambda t, x, y: t.hypot(x, y), None, None),
    "maximum": (lambda t, x, y: t.maximum(x, y), None, None),
    "minimum": (lambda t, x, y: t.minimum(x, y), None, None),
    "fmax": (lambda t, x, y: t.fmax(x, y), None, None),
    "remainder": (lambda t, x, y: t.remainder(x, y), (0.1, 0.4), (0.5, 1)),
    "fmod": (lambda t, x, y: t.fmod(x, y), (0.1, 0.4), (0.5, 1)),
    "xlogy": (lambda t, x, y: t.xlogy(x, y), None, (0.5, 2)),
    "copysign": (lambda t, x, y: t.copysign(x, y), (0.1, 1), None),
    "clamp": (lambda t, x, y: x.clamp(-0.5, 0.5), None, None),
    "clamp_tensor": (lambda t, x, y: t.clamp(x, min=y), None, None),
    "clamp_min": (lambda t, x, y: t.clamp_min(x, 0.2), None, None),
    "clamp_min_tensor": (lambda t, x, y: t.clamp_min(x, y), None, None),
    "clamp_max": (lambda t, x, y: x.clamp_max(0.2), None, None),
    "clamp_max_tensor": (lambda t, x, y: x.clamp_max(y), None, None),
    "lerp": (lambda t, x, y: t.lerp(x, y.expand(2, 3), 0.3), None, None),
    "lerp_tensor": (lambda t, x, y: t.lerp(x, y * 2, y), None, None),
    "logaddexp": (lambda t, x, y: t.logaddexp(x, y), None, None),
    "logaddexp2": (lambda t, x, y: t.logaddexp2(x, y), None, None),
    "addcmul": (lambda t, x, y: t.addcmul(x, x, y, value=0.5), None, None),
    "addcdiv": (lambda t, x, y: t.addcdiv(x, x, y, value=-2), None, (0.5, 2)),
    "where": (lambda t, x, y: t.where(x > 0, x, y), None, None),
    "lgamma": (lambda t, x, y: t.lgamma(x), (0.5, 3), None),
    "digamma": (lambda t, x, y: t.digamma(x), (0.5, 3), None),
    "polygamma": (lambda t, x, y: t.polygamma(1, x), (0.5, 3), None),
    "ldexp": (lambda t, x, y: t.ldexp(x, y), None, None),
    "rsub_alpha": (lambda t, x, y: t.rsub(x, y, alpha=2), None, None),
}

NODE_NAMES = {
    "neg": "NegBackward0", "exp": "ExpBackward0", "square": "PowBackward0", "add": "AddBackward0",
    "mul": "MulBackward0", "div": "DivBackward0", "clamp": "ClampBackward1", "clamp_tensor": "ClampBackward0",
    "clamp_min": "ClampMinBackward0", "clamp_min_tensor": "ClampMinBackward1", "clamp_max": "ClampMaxBackward0",
    "clamp_max_tensor": "ClampMaxBackward1", "lerp": "LerpBackward0", "lerp_tensor": "LerpBackward1",
    "nan_to_num": "NanToNumBackward0", "logaddexp": "LogaddexpBackward0", "logaddexp2": "Logaddexp2Backward0",
    "sinc": "SincBackward0", "deg2rad": "Deg2RadBackward0", "logit": "LogitBackward0", "addcmul": "AddcmulBackward0",
    "addcdiv": "AddcdivBackward0", "xlogy": "XlogyBackward0", "maximum": "MaximumBackward0",
    "lgamma": "LgammaBackward0", "digamma": "DigammaBackward0", "polygamma": "PolygammaBackward0",
    "ldexp": "LdexpBackward0",
}


def _inputs(name, lib, requires_grad=True):
    if name in ("erfinv", "digamma", "polygamma", "lgamma"):
        pytest.importorskip("scipy")  # erfinv's CPU kernel comes from SciPy (an optional dependency)
    _, dx, dy = UNARY_BINARY[name]
    xa = _x(len(name), (2, 3), *(dx or (-1, 1)))
    ya = _x(len(name) + 100, (3,), *(dy or (-1, 1)))
    return (lib.tensor(xa, requires_grad=requires_grad), lib.tensor(ya, requires_grad=requires_grad))


@pytest.mark.parametrize("name", sorted(UNARY_BINARY))
def test_gradcheck(name):
    f = UNARY_BINARY[name][0]
    x, y = _inputs(name, tg)
    assert gradcheck(lambda x, y: f(tg, x, y), (x, y))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tan", "tanh", "sigmoid", "erf", "sinc", "logit", "mul", "div",
                                  "pow", "atan2", "hypot", "xlogy", "lerp_tensor", "logaddexp", "addcmul", "addcdiv",
                                  "float_power", "lgamma", "ldexp"])
def test_gradgradcheck(name):
    f = UNARY_BINARY[name][0]
    x, y = _inputs(name, tg)
    assert gradgradcheck(lambda x, y: f(tg, x, y), (x, y))


@pytest.mark.parametrize("name", sorted(UNARY_BINARY))
def test_grad_against_torch(name):
    torch = pytest.importorskip("torch")
    f = UNARY_BINARY[name][0]
    res = []
    for lib in (tg, torch):
        x, y = _inputs(name, lib)
        out = f(lib, x, y)
        go = np.random.default_rng(5).standard_normal(tuple(out.shape))
        out.backward(lib.tensor(go))
        res.append([np.asarray(t.grad.tolist()) if t.grad is not None else None for t in (x, y)])
    for got, want in zip(*res):
        if got is None or want is None:  # no gradient and a zero gradient are the same answer
            assert not np.any(got) and not np.any(want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", sorted(NODE_NAMES))
def test_node_names(name):
    x, y = _inputs(name, tg)
    assert type(UNARY_BINARY[name][0](tg, x, y).grad_fn).__name__ == NODE_NAMES[name]


def test_ties_split_for_maximum_like_torch():
    torch = pytest.importorskip("torch")
    for op in ("maximum", "minimum"):
        grads = []
        for lib in (tg, torch):
            a = lib.tensor([1., 2., 3.], requires_grad=True)
            b = lib.tensor([1., 0., 4.], requires_grad=True)
            getattr(lib, op)(a, b).sum().backward()
            grads.append((a.grad.tolist(), b.grad.tolist()))
        assert grads[0] == grads[1]


# --------------------------------------------------------------------------- in-place ops under autograd
def test_inplace_chain_grad_against_torch():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (tg, torch):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.add_(x, alpha=2).mul_(x).sub_(0.5).div_(x.abs() + 1).clamp_(-2, 2).pow_(2)
        y.clamp_min_(0.1).lerp_(x, 0.25).addcmul_(x, x).mul_(0.5).exp_()
        names = type(y.grad_fn).__name__
        y.sum().backward()
        res.append((np.asarray(x.grad.tolist()), names, y._version))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
    assert res[0][1] == res[1][1] == "ExpBackward0"


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = tg.ones(2, requires_grad=True)
    for f in (lambda: x.add_(1), lambda: x.fill_(2.0), lambda: x.zero_(), lambda: x.copy_(tg.zeros(2)),
              lambda: x.clamp_min_(0.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            f()
    with tg.no_grad():
        x.fill_(3.0)
        x.add_(1)
    assert x.tolist() == [4.0, 4.0] and x.grad_fn is None


def test_fill_zero_grads():
    x = tg.tensor([1., 2., 3.], requires_grad=True)
    v = tg.tensor(5., requires_grad=True)
    y = x * 2
    y.fill_(v)
    assert type(y.grad_fn).__name__ == "FillBackward3"
    (y * tg.tensor([1., 2., 3.])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and v.grad.item() == 6.0
    z = x * 3
    z.zero_()
    assert type(z.grad_fn).__name__ == "ZeroBackward0"
    x.grad = None
    (z + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    w = x * 1
    w.fill_(2.0)
    assert type(w.grad_fn).__name__ == "FillBackward2"


def test_copy_grads_with_broadcast_and_dtype():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (tg, torch):
        src = lib.tensor([1., 2., 3.], dtype=lib.float64, requires_grad=True)
        x = lib.tensor([[1., 1., 1.], [2., 2., 2.]], requires_grad=True)
        y = x * 2
        y.copy_(src * src)  # float64 -> float32, broadcast over rows
        assert y.dtype == lib.float32
        name = type(y.grad_fn).__name__
        (y * lib.tensor([[1., 2., 3.], [4., 5., 6.]])).sum().backward()
        res.append((x.grad.tolist(), src.grad.tolist(), src.grad.dtype, name))
    assert res[0][0] == res[1][0] and res[0][1] == res[1][1]
    assert repr(res[0][2]) == repr(res[1][2]) and res[0][3] == res[1][3] == "CopyBackwards"


def test_copy_gradcheck():
    src = tg.tensor(_x(0, (3,)), requires_grad=True)

    def f(src):
        y = tg.zeros(2, 3, dtype=tg.float64)
        y.copy_(src * 2)
        return y * y
    assert gradcheck(f, (src,))
    assert gradgradcheck(f, (src,))


def test_saved_tensor_modified_in_place_is_detected():
    x = tg.tensor([1., 2.], requires_grad=True)
    y = x * 1
    z = y.exp()  # saves its output
    z.fill_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


_CROSS_DEVICE = r"""
import numpy as np
import tensorgraft as tg
from tensorgraft.device import DeviceBackend
from tensorgraft.plugins import hookimpl
from tensorgraft.plugins.manager import load_plugin


class Backend(DeviceBackend):
    type = "opscopy"
    xp = np

    def device_count(self):
        return 1

    def current_index(self):
        return 0

    def from_host(self, array, index):
        return np.array(array, copy=True)

    def to_host(self, array):
        return np.array(array, copy=True)

    def owns(self, array):
        return False

    def array_index(self, array):
        return 0


class Plugin:
    @hookimpl
    def tensorgraft_register_devices(self, registrar):
        registrar.register_device(Backend())


load_plugin(Plugin(), "ops1-test-device")
a = tg.tensor([1., 2., 3.], requires_grad=True)
z = tg.zeros(2, 3, device="opscopy") * 1
z.copy_(a * 2)
assert str(z.device) == "opscopy:0" and type(z.grad_fn).__name__ == "CopyBackwards"
assert z.cpu().tolist() == [[2., 4., 6.], [2., 4., 6.]]
(z * tg.tensor([[1., 2., 3.], [4., 5., 6.]], device="opscopy")).sum().backward()
assert str(a.grad.device) == "cpu" and a.grad.tolist() == [10., 14., 18.], a.grad
h = tg.zeros(3)
h.copy_(tg.tensor([7., 8., 9.], device="opscopy"))
assert h.tolist() == [7., 8., 9.] and str(h.device) == "cpu"
print("OK")
"""


def test_copy_across_devices_moves_data_and_gradient():
    """copy_ from another device (a throw-away NumPy-backed device, in a subprocess so the
    registration does not leak into other tests)."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", _CROSS_DEVICE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stderr[-3000:]


def test_copysign_gradients_follow_the_sign_bit_and_give_the_sign_source_zeros():
    # d/da copysign(a, b) = result / a, 0 at a == 0: a -0.0 sign source flips the gradient (its sign
    # bit counts, though sign(-0.0) == 0); the sign source gets zeros, not None (as PyTorch)
    a = tg.tensor([1.0, -2.0, 0.0, 3.0], requires_grad=True)
    b = tg.tensor([-1.0, 3.0, -1.0, -0.0], requires_grad=True)
    tg.copysign(a, b).sum().backward()
    assert a.grad.tolist() == [-1.0, -1.0, 0.0, -1.0]
    assert b.grad is not None and b.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    c = tg.tensor([1.0, -2.0], requires_grad=True)
    tg.copysign(c, -0.0).sum().backward()
    assert c.grad.tolist() == [-1.0, 1.0]
