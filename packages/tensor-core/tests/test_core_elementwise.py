"""Elementwise ops of tensorgraft-core: values, dtypes and errors as in PyTorch.

The plain tests hard-code PyTorch's answers; the ``torch_*`` tests compare with PyTorch itself
when it is installed."""
import math

import numpy as np
import pytest

import tensorgraft as tg


def _vals(t):
    return np.asarray(t.tolist())


# --------------------------------------------------------------------------- dtype promotion (hard-coded)
@pytest.mark.parametrize("make, dtype", [
    (lambda: tg.tensor([1, 2]) / tg.tensor([2, 2]), tg.float32),
    (lambda: tg.tensor([1, 2]) / 2, tg.float32),
    (lambda: tg.tensor([1, 2]) + 2.5, tg.float32),
    (lambda: tg.tensor([1., 2]) + tg.tensor(1., dtype=tg.float64), tg.float32),
    (lambda: tg.tensor([1., 2]) + tg.tensor([1.], dtype=tg.float64), tg.float64),
    (lambda: tg.tensor([1], dtype=tg.uint8) + tg.tensor([1], dtype=tg.int8), tg.int16),
    (lambda: tg.tensor([True]) + tg.tensor([True]), tg.bool),
    (lambda: tg.tensor([True]) * tg.tensor([False]), tg.bool),
    (lambda: tg.tensor([1], dtype=tg.int32) + tg.tensor(1), tg.int32),
    (lambda: tg.tensor([1], dtype=tg.int32) * 1.5, tg.float32),
    (lambda: tg.tensor([1.], dtype=tg.float16) + tg.tensor([1]), tg.float16),
    (lambda: tg.tensor([1], dtype=tg.uint8) + 1, tg.uint8),
    (lambda: tg.tensor([2, 3]) ** 2, tg.int64),
    (lambda: tg.tensor([2, 3]) ** 2.0, tg.float32),
    (lambda: 2.0 ** tg.tensor([2, 3]), tg.float32),
    (lambda: tg.tensor([-2, 3]).square(), tg.int64),
    (lambda: tg.tensor([True]).square(), tg.int64),
    (lambda: tg.tensor([True, False]).sign(), tg.bool),
    (lambda: tg.tensor([1, 2]).exp(), tg.float32),
    (lambda: tg.tensor([1, 5]).clamp(min=2.5), tg.float32),
    (lambda: tg.clamp_min(tg.tensor([1, 5]), 2), tg.int64),
    (lambda: tg.clamp_max(tg.tensor([1, 5]), 2.5), tg.float32),
    (lambda: tg.logaddexp(tg.tensor([1., 2]), tg.tensor([3, 4])), tg.float32),  # (two integer tensors: refused)
    (lambda: tg.sinc(tg.tensor([0, 1])), tg.float32),
    (lambda: tg.deg2rad(tg.tensor([180])), tg.float32),
    (lambda: tg.logit(tg.tensor([0, 1])), tg.float32),
    (lambda: tg.nan_to_num(tg.tensor([1, 2])), tg.int64),
    (lambda: tg.addcmul(tg.tensor([1]), tg.tensor([2]), tg.tensor([3])), tg.int64),
    (lambda: tg.addcmul(tg.tensor([1]), tg.tensor([2.]), tg.tensor([3])), tg.float32),
    (lambda: tg.tensor([1, 2]) == 1.0, tg.bool),
])
def test_result_dtype(make, dtype):
    assert make().dtype is dtype


def test_hardcoded_values():
    assert tg.lerp(tg.tensor([1., 2]), tg.tensor([3., 5]), 0.5).tolist() == [2.0, 3.5]
    assert tg.lerp(tg.tensor([1., 2]), tg.tensor([3., 5]), tg.tensor([0.25, 1.0])).tolist() == [1.5, 5.0]
    r = tg.nan_to_num(tg.tensor([float("nan"), float("inf"), -float("inf"), 1.]))
    big = float(np.finfo(np.float32).max)
    assert r.tolist() == [0.0, big, -big, 1.0]
    r = tg.tensor([float("nan"), float("inf"), -float("inf")]).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0)
    assert r.tolist() == [1.0, 2.0, -3.0]
    assert tg.clamp_min(tg.tensor([1., 5]), 2.5).tolist() == [2.5, 5.0]
    assert tg.tensor([1., 5]).clamp_max(tg.tensor(2.5)).tolist() == [1.0, 2.5]
    r = tg.logaddexp(tg.tensor([1000., -1000.]), tg.tensor([1000., -1000.]))
    assert np.allclose(_vals(r), [1000 + math.log(2), -1000 + math.log(2)])
    assert tg.logaddexp2(tg.tensor([3.]), tg.tensor([3.])).tolist() == [4.0]
    assert np.allclose(_vals(tg.sinc(tg.tensor([0., 0.5]))), [1.0, 2 / math.pi])
    assert tg.addcdiv(tg.tensor([1.]), tg.tensor([2.]), tg.tensor([4.]), value=2).tolist() == [2.0]
    assert tg.heaviside(tg.tensor([-1., 0, 2]), tg.tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    assert tg.isclose(tg.tensor([1., 2]), tg.tensor([1.0000001, 2.1])).tolist() == [True, False]
    assert tg.allclose(tg.tensor([1., 2]), tg.tensor([1.0000001, 2.0])) is True
    assert tg.equal(tg.tensor([1, 2]), tg.tensor([1, 2])) is True
    assert tg.equal(tg.tensor([1, 2]), tg.tensor([1, 2, 3])) is False
    assert (tg.tensor([-7, 7]) // 2).tolist() == [-4, 3]
    assert (tg.tensor([-7, 7]) % 3).tolist() == [2, 1]
    assert tg.div(tg.tensor([-7, 7]), 2, rounding_mode="trunc").tolist() == [-3, 3]


# --------------------------------------------------------------------------- in-place ops
def test_inplace_variants_and_versions():
    x = tg.tensor([1., 2., 3.])
    v0 = x._version
    assert x.add_(1).tolist() == [2., 3., 4.]
    x.mul_(2).sub_(1).div_(tg.tensor(2.))
    assert x.tolist() == [1.5, 2.5, 3.5]
    x.clamp_(2.0, 3.0)
    assert x.tolist() == [2.0, 2.5, 3.0]
    x.pow_(2)
    assert x.tolist() == [4.0, 6.25, 9.0]
    x.clamp_min_(5.0).clamp_max_(8.0)
    assert x.tolist() == [5.0, 6.25, 8.0]
    assert x._version > v0
    y = tg.tensor([0.])
    y.exp_()
    assert y.tolist() == [1.0]
    z = tg.tensor([1., 2.])
    z.lerp_(tg.tensor([3., 4.]), 0.5)
    assert z.tolist() == [2.0, 3.0]


def test_inplace_cast_error():
    x = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.exp_()
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape \[2, 2\]"):
        tg.tensor([1., 2.]).add_(tg.ones(2, 2))


def test_fill_zero():
    x = tg.ones(2, 3)
    v = x._version
    assert x.fill_(2.5) is x
    assert x.tolist() == [[2.5] * 3] * 2
    assert x._version == v + 1
    x.fill_(tg.tensor(7.))
    assert x.tolist() == [[7.0] * 3] * 2
    x.zero_()
    assert x.tolist() == [[0.0] * 3] * 2
    assert x._version == v + 3
    i = tg.tensor([1, 2])
    i.fill_(2.7)  # truncates, as PyTorch
    assert i.tolist() == [2, 2] and i.dtype is tg.int64
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."):
        x.fill_(tg.tensor([1., 2.]))
    view = x[0]
    view.fill_(3.)
    assert x.tolist() == [[3.0] * 3, [0.0] * 3]


def test_copy_():
    x = tg.zeros(2, 3)
    v = x._version
    assert x.copy_(tg.tensor([1, 2, 3])) is x  # broadcast + int -> float
    assert x.tolist() == [[1.0, 2.0, 3.0]] * 2 and x.dtype is tg.float32
    assert x._version == v + 1
    i = tg.zeros(2, dtype=tg.int64)
    i.copy_(tg.tensor([1.7, -2.2]))
    assert i.tolist() == [1, -2]
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b \\(2\\) at "
                                           "non-singleton dimension 1"):
        x.copy_(tg.ones(2))
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        tg.zeros(3).copy_(tg.ones(2, 3))
    with pytest.raises(TypeError, match="must be Tensor"):
        x.copy_([1, 2, 3])


# --------------------------------------------------------------------------- error messages
def test_error_messages():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors is not supported"):
        tg.tensor([True]) - tg.tensor([False])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        -tg.tensor([True])
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        tg.tensor([2, 3]) ** -1
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tg.lerp(tg.tensor([1.]), tg.tensor([1.], dtype=tg.float64), 0.5)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        tg.addcdiv(tg.tensor([1]), tg.tensor([2]), tg.tensor([3]))
    with pytest.raises(TypeError, match=r"clamp_min\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        tg.clamp_min([1.0], 0.0)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        tg.clamp(tg.tensor([1.]))


# --------------------------------------------------------------------------- PyTorch as the oracle
torch_cases = {
    "neg": lambda t, x, y: -x,
    "abs": lambda t, x, y: x.abs(),
    "sign": lambda t, x, y: x.sign(),
    "exp": lambda t, x, y: x.exp(),
    "expm1": lambda t, x, y: t.expm1(x),
    "log_abs": lambda t, x, y: x.abs().log(),
    "log1p_abs": lambda t, x, y: x.abs().log1p(),
    "sqrt_abs": lambda t, x, y: x.abs().sqrt(),
    "rsqrt_abs": lambda t, x, y: (x.abs() + 1).rsqrt(),
    "reciprocal": lambda t, x, y: (x + 10).reciprocal(),
    "square": lambda t, x, y: x.square(),
    "sin": lambda t, x, y: x.sin(),
    "tanh": lambda t, x, y: x.tanh(),
    "sigmoid": lambda t, x, y: x.sigmoid(),
    "erf": lambda t, x, y: t.erf(x),
    "floor": lambda t, x, y: x.floor(),
    "round": lambda t, x, y: (x * 3).round(),
    "round_dec": lambda t, x, y: t.round(x, decimals=2),
    "frac": lambda t, x, y: x.frac(),
    "add_alpha": lambda t, x, y: t.add(x, y, alpha=2),
    "sub": lambda t, x, y: x - y,
    "rsub_scalar": lambda t, x, y: 1.5 - x,
    "mul": lambda t, x, y: x * y,
    "div": lambda t, x, y: x / (y.abs() + 0.5),
    "div_floor": lambda t, x, y: t.div(x, y.abs() + 0.5, rounding_mode="floor"),
    "remainder": lambda t, x, y: t.remainder(x, y.abs() + 0.5),
    "fmod": lambda t, x, y: t.fmod(x, y.abs() + 0.5),
    "pow": lambda t, x, y: x.abs() ** y,
    "atan2": lambda t, x, y: t.atan2(x, y),
    "hypot": lambda t, x, y: t.hypot(x, y),
    "maximum": lambda t, x, y: t.maximum(x, y),
    "fmin": lambda t, x, y: t.fmin(x, y),
    "copysign": lambda t, x, y: t.copysign(x, y),
    "xlogy": lambda t, x, y: t.xlogy(x, y.abs()),
    "xlogy_scalar": lambda t, x, y: t.xlogy(x, 1.25),
    "xlogy_rscalar": lambda t, x, y: t.xlogy(2.0, y.abs()),
    "xlogy_nan": lambda t, x, y: t.xlogy(x * 0, y.log()),
    "heaviside_scalar_like": lambda t, x, y: t.heaviside(x.round(), t.tensor(0.5)),
    "sub_scalar": lambda t, x, y: x - 2,
    "pow_scalar": lambda t, x, y: x.abs() ** 1.5,
    "rpow_scalar": lambda t, x, y: 1.5 ** x,
    "clamp": lambda t, x, y: x.clamp(-0.5, 0.5),
    "clamp_t": lambda t, x, y: x.clamp(min=y),
    "clamp_min": lambda t, x, y: t.clamp_min(x, 0.1),
    "clamp_max_t": lambda t, x, y: t.clamp_max(x, y),
    "lerp": lambda t, x, y: t.lerp(x, y, 0.3),
    "lerp_t": lambda t, x, y: t.lerp(x, y, y.sigmoid()),
    "logaddexp": lambda t, x, y: t.logaddexp(x, y),
    "logaddexp2": lambda t, x, y: t.logaddexp2(x, y),
    "sinc": lambda t, x, y: t.sinc(x),
    "logit": lambda t, x, y: t.logit(x.sigmoid()),
    "logit_eps": lambda t, x, y: t.logit(x.sigmoid(), eps=0.3),
    "deg2rad": lambda t, x, y: t.deg2rad(x),
    "rad2deg": lambda t, x, y: t.rad2deg(x),
    "addcmul": lambda t, x, y: t.addcmul(x, x, y, value=0.5),
    "addcdiv": lambda t, x, y: t.addcdiv(x, x, y.abs() + 1, value=-2),
    "nan_to_num": lambda t, x, y: t.nan_to_num(x.log(), nan=0.5, neginf=-7.0),
    "lt": lambda t, x, y: x < y,
    "eq_scalar": lambda t, x, y: x.round() == 0,
    "isclose": lambda t, x, y: t.isclose(x, x + 1e-7),
    "logical_xor": lambda t, x, y: t.logical_xor(x > 0, y > 0),
}


@pytest.mark.parametrize("name", sorted(torch_cases))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(hash(name) % 2**32)
    xa = rng.standard_normal((3, 4)).astype(np.float32)
    ya = rng.standard_normal((4,)).astype(np.float32)
    f = torch_cases[name]
    r = f(tg, tg.tensor(xa), tg.tensor(ya))
    e = f(torch, torch.tensor(xa), torch.tensor(ya))
    assert repr(r.dtype) == repr(e.dtype)
    assert tuple(r.shape) == tuple(e.shape)
    np.testing.assert_allclose(np.asarray(r.tolist(), dtype=np.float64), e.double().numpy(), rtol=2e-6, atol=2e-6,
                               equal_nan=True)


@pytest.mark.parametrize("a_dtype, b_dtype", [("int64", "float32"), ("uint8", "int8"), ("int32", "int64"),
                                              ("bool", "int16"), ("float16", "float64"), ("bool", "bool"),
                                              ("uint8", "bool"), ("int8", "float16")])
@pytest.mark.parametrize("b_kind", ["tensor", "zero_dim", "scalar_int", "scalar_float"])
def test_promotion_against_torch(a_dtype, b_dtype, b_kind):
    torch = pytest.importorskip("torch")
    a = np.array([1, 0, 1]).astype(a_dtype)

    def make(lib):
        x = lib.tensor(a.tolist(), dtype=getattr(lib, a_dtype))
        if b_kind == "tensor":
            y = lib.tensor([1, 1, 0], dtype=getattr(lib, b_dtype))
        elif b_kind == "zero_dim":
            y = lib.tensor(1, dtype=getattr(lib, b_dtype))
        elif b_kind == "scalar_int":
            y = 2
        else:
            y = 2.5
        return x, y

    for op in ("add", "mul", "maximum", "div", "eq"):
        if op == "maximum" and not isinstance(make(tg)[1], tg.Tensor):
            continue
        r = getattr(tg, op)(*make(tg))
        e = getattr(torch, op)(*make(torch))
        assert repr(r.dtype) == repr(e.dtype), (op, a_dtype, b_dtype, b_kind)
        np.testing.assert_allclose(np.asarray(r.tolist(), dtype=np.float64), e.double().numpy(), rtol=1e-3)


def test_inplace_and_fill_against_torch():
    torch = pytest.importorskip("torch")
    for lib_name, lib in (("tg", tg), ("torch", torch)):
        x = lib.arange(6, dtype=lib.float32).reshape(2, 3)
        x.add_(1, alpha=2).mul_(lib.tensor([1., 2., 3.])).sub_(0.5).div_(2).clamp_(0, 5).pow_(2)
        x.addcmul_(x, x, value=0.1)
        y = lib.zeros(3, 2)
        y.copy_(lib.tensor([[1], [2], [3]], dtype=lib.int32))
        if lib_name == "tg":
            got = (x.tolist(), y.tolist())
        else:
            want = (x.tolist(), y.tolist())
    np.testing.assert_allclose(np.array(got[0]), np.array(want[0]), rtol=1e-6)
    assert got[1] == want[1]


def test_frac_of_integers_is_refused():
    with pytest.raises(RuntimeError, match="\"frac_cpu\" not implemented for 'Long'"):
        tg.tensor([1, 2]).frac()
    assert tg.tensor([1.5, -2.25]).frac().tolist() == [0.5, -0.25]


def test_sign_of_nan_is_zero():
    assert tg.tensor([float("nan"), -2.0, 0.0, 3.0]).sign().tolist() == [0.0, -1.0, 0.0, 1.0]
    assert tg.tensor(float("nan")).sgn().item() == 0.0


def test_integer_bit_ops_and_misc():
    assert tg.gcd(tg.tensor([4, 6]), tg.tensor([6, 9])).tolist() == [2, 3]
    assert tg.lcm(tg.tensor([4, 6]), tg.tensor([6, 9])).tolist() == [12, 18]
    assert (tg.tensor([1, 2]) << 2).tolist() == [4, 8]
    assert (tg.tensor([8]) >> tg.tensor([1])).tolist() == [4]
    assert tg.ldexp(tg.tensor([1.]), tg.tensor([3])).tolist() == [8.0]
    assert tg.ldexp(tg.tensor([1]), tg.tensor([3])).dtype is tg.float32
    assert tg.rsub(tg.tensor([1., 2.]), 10, alpha=2).tolist() == [8.0, 6.0]
    assert tg.rsub(tg.tensor([1., 2.]), tg.tensor([5., 5.])).tolist() == [4.0, 3.0]
    assert (tg.nextafter(tg.tensor([1.]), tg.tensor([2.])) - 1).item() == pytest.approx(2 ** -23)
    assert tg.lgamma(tg.tensor([1, 2, 3])).tolist() == [0.0, 0.0, pytest.approx(math.log(2))]


@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma1", "polygamma2", "ldexp"])
def test_special_functions_against_torch(name):
    torch = pytest.importorskip("torch")
    if name != "ldexp":
        pytest.importorskip("scipy")
    f = {"lgamma": lambda t, x: t.lgamma(x), "digamma": lambda t, x: t.digamma(x),
         "polygamma1": lambda t, x: t.polygamma(1, x), "polygamma2": lambda t, x: x.polygamma(2),
         "ldexp": lambda t, x: t.ldexp(x, t.tensor([1, -2, 3, 0, 5]))}[name]
    a = np.array([0.5, 2.0, 3.5, -1.5, 7.25], dtype=np.float32)
    r, e = f(tg, tg.tensor(a)), f(torch, torch.tensor(a))
    assert repr(r.dtype) == repr(e.dtype)
    np.testing.assert_allclose(np.asarray(r.tolist()), e.double().numpy(), rtol=1e-5)
    if name in ("lgamma", "digamma"):
        s = [0.0, -1.0, -0.5]
        np.testing.assert_allclose(np.asarray(f(tg, tg.tensor(s)).tolist()), f(torch, torch.tensor(s)).double().numpy(),
                                   rtol=1e-5)
