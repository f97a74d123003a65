"""The fuzz regressions checked against PyTorch itself: the same snippet, run by both libraries on
the same seeded data, gives the same values, dtypes, shapes, ``grad_fn`` names, gradients and
errors (type and text)."""
import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.autograd", reason="gradients need tensorgraft-autograd")


def _run(snippet, lib):
    try:
        out = snippet(lib)
    except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
        return "raised", type(exc).__name__, str(exc)
    return "ok", out


def _as_np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def same(snippet, rtol=1e-7, atol=1e-9):
    mine, theirs = _run(snippet, tg), _run(snippet, torch)
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] == "raised":
        assert mine == theirs
        return
    a, b = mine[1], theirs[1]
    a, b = (a, b) if isinstance(b, (tuple, list)) else ((a,), (b,))
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert str(x.dtype) == str(y.dtype)
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(_as_np(x), _as_np(y), rtol=rtol, atol=atol, equal_nan=True)


def _complex_data(seed, n=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n) * 1.5 + 1j * rng.standard_normal(n) * 1.5


def grads_match(fn, *arrays, seed=0, rtol=1e-7, atol=1e-9):
    """Value, grad_fn name and gradient of every input of ``fn(lib, *tensors)``, with a random
    (complex where the output is) cotangent, agree with PyTorch."""
    results = []
    for lib in (tg, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        rng = np.random.default_rng(seed + 1)
        ct = rng.standard_normal(tuple(y.shape))
        if y.is_complex():
            ct = ct + 1j * rng.standard_normal(tuple(y.shape))
        gs = lib.autograd.grad(y, xs, lib.tensor(ct, dtype=y.dtype), allow_unused=True)
        results.append((_as_np(y), str(y.dtype), type(y.grad_fn).__name__,
                        [None if g is None else _as_np(g) for g in gs]))
    (y1, d1, n1, g1), (y2, d2, n2, g2) = results
    assert (d1, n1) == (d2, n2)
    np.testing.assert_allclose(y1, y2, rtol=rtol, atol=atol)
    for a, b in zip(g1, g2):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "sinc", "tanh",
                                  "sqrt", "log1p"])
def test_complex_unary_gradients(name):
    grads_match(lambda lib, z: getattr(lib, name)(z), _complex_data(11), seed=11)


def test_acosh_real_gradient_outside_domain():
    grads_match(lambda lib, x: lib.acosh(x), np.array([-2.0, -1.5, 1.5, 3.0]), rtol=1e-7)


@pytest.mark.parametrize("make", [
    lambda lib, z: z.prod(),
    lambda lib, z: z.reshape(2, 3).prod(1),
    lambda lib, z: z.cumprod(0),
    lambda lib, z: lib.logsumexp(z.reshape(2, 3), 1),
    lambda lib, z: lib.logsumexp(z * 3, 0),
], ids=["prod", "prod-dim", "cumprod", "logsumexp", "logsumexp-wide-angles"])
@pytest.mark.parametrize("with_zero", [False, True])
def test_complex_reduction_gradients(make, with_zero):
    z = _complex_data(12)
    if with_zero:
        z[2] = 0
    grads_match(make, z, seed=12)


def test_complex_binary_gradients():
    a, b, c = _complex_data(13, 4), _complex_data(14, 4), _complex_data(15, 4)
    grads_match(lambda lib, x, y: lib.logaddexp(x, y), a, b, seed=13)
    grads_match(lambda lib, x, y, w: lib.addcmul(x, y, w, value=-1.5), a, b, c, seed=14)
    grads_match(lambda lib, x, y, w: lib.addcdiv(x, y, w + 3, value=2), a, b, c, seed=15)


@pytest.mark.parametrize("snippet", [
    lambda t: t.logaddexp(t.tensor([1 + 2j, -1 - 0.5j, float("inf")]), t.tensor([0.5 - 1j, 3 + 0j, 1 + 1j])),
    lambda t: t.logaddexp(t.tensor([1.0, 2.0]), t.tensor([1 + 1j], dtype=t.complex64)),
    lambda t: t.logsumexp(t.tensor(_complex_data(16, 8).reshape(2, 4) * 4), 1),
    lambda t: t.float_power(t.tensor([1 + 2j]), t.tensor([2], dtype=t.int8)),
    lambda t: t.float_power(t.tensor([1 + 2j], dtype=t.complex64), 2),
    lambda t: t.float_power(t.tensor([3]), 1 + 2j),
    lambda t: t.tensor([1 + 2j], dtype=t.complex128).float_power_(2),
    lambda t: t.lgamma(t.tensor([1.5, 0.0, -1.0, 3.0], dtype=t.float16)),
    lambda t: t.digamma(t.tensor([1.5, 3.0], dtype=t.float16)),
], ids=["logaddexp-complex", "logaddexp-mixed", "logsumexp-angle", "float-power-c-int", "float-power-c64",
        "float-power-scalar", "float-power-inplace", "lgamma-half", "digamma-half"])
def test_complex_and_half_values(snippet):
    names = snippet.__code__.co_names
    if "lgamma" in names or "digamma" in names:
        pytest.importorskip("scipy")
    same(snippet, rtol=1e-3 if "float16" in names else 1e-6)


@pytest.mark.parametrize("snippet", [
    lambda t: t.pow(t.tensor([0, 2, -1, 1, -2, 0, -1]), t.tensor([-1, -1, -3, -2, -1, 0, -2])),
    lambda t: t.pow(t.tensor([0, 2, 255, 1], dtype=t.uint8), t.tensor([-1, -1, -3, -2], dtype=t.int8)),
    lambda t: t.pow(t.tensor([0, 2, -1, 1], dtype=t.int8), t.tensor([-1, -1, -3, -2], dtype=t.int8)),
    lambda t: t.tensor([2, -1, 1]) ** t.tensor(-2),
    lambda t: t.pow(-2, t.tensor([-1, -2])),
    lambda t: t.tensor([2, -1, 1]) ** -2,
    lambda t: t.tensor([2, -1, 1]).pow_(t.tensor([-1, -1, -1])),
], ids=["int64", "uint8-int8", "int8", "0-d-exponent", "scalar-base", "python-exponent", "inplace"])
def test_integer_pow_negative_exponents(snippet):
    same(snippet)


@pytest.mark.parametrize("snippet", [
    lambda t: t.clamp(t.tensor([True, False]), min=-1),
    lambda t: t.clamp(t.tensor([True, False]), min=0.5),
    lambda t: t.clamp(t.tensor([True, False]), max=1),
    lambda t: t.clamp_min(t.tensor([True, False]), -1),
    lambda t: t.clamp_max(t.tensor([True, False]), 0.5),
    lambda t: t.clamp(t.tensor([True, False]), min=t.tensor(0.5)),
    lambda t: t.clamp(t.tensor([1, 2], dtype=t.int8), min=t.tensor([1.5, 1.5])),
    lambda t: t.clamp(t.tensor([1.0, 2.0]), min=t.tensor([1.5, 1.5], dtype=t.float64)),
    lambda t: t.clamp(t.tensor([1.0, 2.0]), min=t.tensor(1.5, dtype=t.float64)),
    lambda t: t.clamp(t.tensor([1, 2], dtype=t.int8), min=t.tensor([1, 1])),
    lambda t: t.clamp(t.tensor([1, 2], dtype=t.uint8), min=-1),
    lambda t: t.clamp(t.tensor([1, 2], dtype=t.int8), min=0, max=1.5),
    lambda t: t.clamp(t.tensor([1j, 2]), min=0),
    lambda t: t.clamp_min(t.tensor([1j, 2]), 0),
], ids=["bool-int", "bool-float", "bool-max", "min-bool", "max-bool-float", "bool-0d-float", "int8-float-t",
        "f32-f64-t", "f32-f64-0d", "int8-int64-t", "uint8-wrap", "int8-mixed", "complex", "complex-min"])
def test_clamp_dtypes(snippet):
    same(snippet)


def test_clamp_gradient_with_promoted_bound():
    grads_match(lambda lib, x: lib.clamp(x, lib.tensor(0.5), lib.tensor([1.0, 1.0, 1.0], dtype=lib.float64)),
                np.array([0.2, 0.7, 1.5], dtype=np.float32), seed=17)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["int32", "uint8", "int16"])
def test_scatter_reduce_integer_dtypes(reduce, include_self, dtype):
    rng = np.random.default_rng(18)
    x, src = rng.integers(0, 9, (3, 4)), rng.integers(0, 9, (3, 4))
    idx = rng.integers(0, 3, (3, 4))
    same(lambda t: t.scatter_reduce(t.tensor(x, dtype=getattr(t, dtype)), 0, t.tensor(idx),
                                    t.tensor(src, dtype=getattr(t, dtype)), reduce, include_self=include_self))


@pytest.mark.parametrize("snippet", [
    lambda t: t.addcmul(t.tensor([1, 2]), t.tensor([3, 4]), t.tensor([1, 1]), value=-2.0),
    lambda t: t.addcmul(t.tensor([1, 2]), t.tensor([3, 4]), t.tensor([1, 1]), value=0.5),
    lambda t: t.addcmul(t.tensor([1, 2]), t.tensor([3, 4]), t.tensor([1, 1]), value=True),
    lambda t: t.addcmul(t.tensor([1], dtype=t.uint8), t.tensor([3], dtype=t.uint8), t.tensor([1], dtype=t.uint8),
                        value=-1.5),
    lambda t: t.tensor([1, 2]).addcmul_(t.tensor([3, 4]), t.tensor([1, 1]), value=1.7),
], ids=["int-neg-float", "int-half", "int-bool", "uint8-overflow", "inplace"])
def test_addcmul_integer_value(snippet):
    same(snippet)


@pytest.mark.parametrize("snippet", [
    lambda t: t.movedim(t.tensor(1.5), 0, -1),
    lambda t: t.moveaxis(t.tensor(1.5), [-1], [0]),
    lambda t: t.tensor(1 + 1j).put_(t.tensor([0, 0]), t.tensor([2 + 0j, 3j]), accumulate=True),
    lambda t: t.tensor(1.0).put_(t.tensor([0]), t.tensor([2.0])),
], ids=["movedim", "moveaxis", "put-accumulate", "put"])
def test_zero_dim(snippet):
    same(snippet)


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: lib.remainder(a, b), lambda lib, a, b: a % 1.5,
    lambda lib, a, b: lib.fmod(a, b), lambda lib, a, b: a.fmod(2),
], ids=["remainder-tensor", "remainder-scalar", "fmod-tensor", "fmod-scalar"])
def test_remainder_fmod_nodes(fn):
    rng = np.random.default_rng(19)
    a, b = rng.standard_normal(5) * 3, rng.uniform(0.5, 2, 5)
    names = []
    for lib in (tg, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = fn(lib, x, y)
        names.append(type(out.grad_fn).__name__)
    assert names[0] == names[1]
    grads_match(lambda lib, x, y: fn(lib, x, y), a, b, seed=19)


@pytest.mark.parametrize("fn, arrays", [
    (lambda lib, z: (-2.5) ** z, [_complex_data(20, 4)]),
    (lambda lib, z: (1.5 - 0.2j) ** z, [np.array([1.0, 2.0, -0.5])]),
    (lambda lib, e: lib.pow(lib.tensor(-2), e), [_complex_data(21, 3)]),
    (lambda lib, x: 0 ** x, [np.array([1.0, 2.0, 0.0, -1.0])]),
    (lambda lib, x: 2.0 ** x, [np.array([1.0, -2.0, 0.5])]),
    (lambda lib, a, b: lib.float_power(a, b), [np.array([-1.5, 2.0]), _complex_data(22, 2)]),
    (lambda lib, a, b: lib.float_power(a, b), [np.array([1.5, 2.0], dtype=np.float32),
                                               np.array([0.5, 3.0], dtype=np.float32)]),
    (lambda lib, a, b: lib.pow(a, b), [_complex_data(23, 3), np.array([2.0, -1.0, 0.5])]),
    (lambda lib, x: lib.logit(x), [np.array([-0.5, 0.3, 1.5, 2.0])]),
    (lambda lib, x: lib.logit(x, eps=0.1), [np.array([-0.5, 0.3, 1.5, 0.01])]),
    (lambda lib, z: lib.ldexp(z, lib.tensor([0.5, 2.0], dtype=lib.float64)), [_complex_data(24, 2)]),
    (lambda lib, x: lib.ldexp(lib.tensor([1.0, 2.0], dtype=lib.float64), x), [_complex_data(25, 2)]),
    (lambda lib, x: 2 / x, [np.array([1.0, -2.0, 4.0])]),
    (lambda lib, x: lib.copysign(x, -1), [np.array([1.0, -2.0, 0.0])]),
    (lambda lib, x: lib.std(x.reshape(2, 3), 1), [np.array([1.0, 2.0, 3.0, 1.5, 1.5, 1.5])]),
    (lambda lib, x: lib.std(x), [np.array([1 + 1j, 1 + 1j])]),
    (lambda lib, x: x.reshape(1, 1, 1).cumprod(1), [np.array([np.inf])]),
    (lambda lib, x: lib.sort(x, stable=True).values, [np.array([3.0, 1.0, 2.0])]),
    (lambda lib, x: lib.sort(x, 0, True).values, [np.array([3.0, 1.0, 2.0])]),
    (lambda lib, x: lib.movedim(x.sum(), 0, -1), [np.array([3.0, 1.0])]),
], ids=["neg-scalar-base", "complex-scalar-base", "int-base-complex-exp", "zero-base", "two-base",
        "float-power-complex", "float-power-f32", "pow-complex-real-exp", "logit", "logit-eps", "ldexp-complex",
        "ldexp-complex-exp", "rdiv", "copysign-scalar", "std-zero-spread", "std-complex-zero-spread",
        "cumprod-single", "sort-stable", "sort-positional", "movedim-0d"])
def test_gradients_and_nodes(fn, arrays):
    grads_match(fn, *arrays, seed=20)


@pytest.mark.parametrize("snippet", [
    lambda t: t.std(t.tensor([3e29, -3e29, 1e29, 2.0])),
    lambda t: t.std(t.tensor([[3e29, -3e29], [1.0, 2.0]]), 1, correction=0),
    lambda t: t.std(t.tensor([60000.0, -60000.0], dtype=t.float16)),
    lambda t: t.std(t.tensor([1.0, 2.0, 4.0], dtype=t.float16)),
], ids=["float32-range", "float32-dim", "half-overflow", "half"])
def test_std_range(snippet):
    same(snippet, rtol=1e-3)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.fmod(1.5), lambda lib, x: x.remainder(-1.5), lambda lib, x: x % 2,
    lambda lib, x: lib.lerp(x, lib.ones(4, dtype=lib.float64), 0.3),
    lambda lib, x: lib.lerp(x, lib.ones(4, dtype=lib.float64), lib.tensor(0.3, dtype=lib.float64)),
], ids=["fmod", "remainder", "mod", "lerp", "lerp-tensor-weight"])
def test_second_backward(fn):
    """A second backward through the node: PyTorch runs it where the formula reads nothing saved."""
    outcomes = []
    for lib in (tg, torch):
        x = lib.tensor(np.random.default_rng(26).standard_normal(4) * 3, requires_grad=True)
        y = fn(lib, x)
        y.sum().backward()
        try:
            y.sum().backward()
            outcomes.append(("ok", type(y.grad_fn).__name__, _as_np(x.grad).round(6).tolist()))
        except RuntimeError as exc:
            outcomes.append(("raised", type(y.grad_fn).__name__, str(exc).split(".")[0]))
    assert outcomes[0] == outcomes[1]


def test_complex_lerp_gradients():
    a, b, w = _complex_data(27, 3), _complex_data(28, 3), _complex_data(29, 3)
    grads_match(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, w, seed=27)
    grads_match(lambda lib, x, y: lib.lerp(x, y, 0.3 + 0.2j), a, b, seed=28)


@pytest.mark.parametrize("value", [-2, -128, -129, 255, 256, -1.0, -0.5, 0.75, 255.9, 1e10, 1 + 0j, 1 + 1j, True])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "float32", "bool", "complex64"])
def test_fill_value_conversion(value, dtype):
    same(lambda t: t.full((2,), value, dtype=getattr(t, dtype)))
    same(lambda t: t.full_like(t.zeros(2, dtype=getattr(t, dtype)), value))
    same(lambda t: t.scalar_tensor(value, dtype=getattr(t, dtype)))


@pytest.mark.parametrize("data", [-3, -2.0, [1.25, -5.0], [255.5], [0, -0.25], [300, -1], [-1, -3], [1 + 1j], [1 + 0j],
                                  [[1, 2.5], [True, 3]]])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "float32", "bool", None])
def test_tensor_from_python_data(data, dtype):
    same(lambda t: t.tensor(data, dtype=None if dtype is None else getattr(t, dtype)))


@pytest.mark.parametrize("snippet", [
    lambda t: t.linspace(1 + 1j, -1.25, 1),
    lambda t: t.linspace(1 + 1j, 2, 3, dtype=t.int8),
    lambda t: t.linspace(0, 1j, 3, dtype=t.complex128),
    lambda t: t.linspace(1, 2, 3, dtype=t.bool),
    lambda t: t.linspace(-0.5, 0, 1, dtype=t.bool),
    lambda t: t.logspace(1 + 1j, 1, 2),
    lambda t: t.logspace(0, 1j, 3, base=2, dtype=t.complex128),
    lambda t: t.logspace(0, 1j, 3, dtype=t.float32),
    lambda t: t.logspace(1, 2, 2, dtype=t.bool),
    lambda t: t.heaviside(t.tensor([1.0, 0.0, -2.0]), t.tensor([0.5])),
    lambda t: t.heaviside(t.tensor([1.0, 0.0]), t.tensor([1], dtype=t.float64)),
    lambda t: t.heaviside(t.tensor([1j]), t.tensor([1j])),
    lambda t: t.heaviside(t.tensor([1.0]), 1.0),
    lambda t: t.tensor([1.0, 0.0]).heaviside_(t.tensor([1])),
    lambda t: t.linspace(3, -5, 4, dtype=t.uint8),
    lambda t: t.linspace(0, -0.25, 4, dtype=t.uint8),
    lambda t: t.linspace(2.7, -3.9, 4, dtype=t.int8),
    lambda t: t.logspace(3, -5, 4, base=2, dtype=t.uint8),
    lambda t: t.logspace(0, -0.25, 4, dtype=t.uint8),
    lambda t: t.logspace(2.7, -3.9, 4, base=2, dtype=t.int64),
], ids=["linspace-complex", "linspace-narrow", "linspace-c128", "linspace-bool", "linspace-bool-1",
        "logspace-complex", "logspace-base", "logspace-narrow", "logspace-bool", "heaviside", "heaviside-dtypes",
        "heaviside-complex", "heaviside-number", "heaviside_", "linspace-uint8-wrap", "linspace-uint8-refused",
        "linspace-int8", "logspace-uint8-wrap", "logspace-uint8-refused", "logspace-int64"])
def test_ranges_and_heaviside(snippet):
    same(snippet, rtol=1e-6)
