"""The activation kernels written with ``branch_free`` (leaky_relu, elu, softplus, threshold,
hardtanh, hardsigmoid, hardswish, the shrinks) give the values of their plain ``np.where``
definitions bit for bit, forward and backward, with NaN, infinities and -0. among the inputs."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 3.0, -3.0, 1e-30, -1e-30, 25.0, -0.5]


def _x(dtype=np.float32, n=300):
    v = np.random.default_rng(0).standard_normal(n) * 4
    v[:len(SPECIALS)] = SPECIALS
    return v.astype(dtype)


def _bits_equal(got, expected):
    got, expected = np.asarray(got), np.asarray(expected, dtype=got.dtype)
    width = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    # NaNs compare by being NaN (their payloads are not PyTorch's business either)
    nan = np.isnan(expected.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got.astype(np.float64)), nan)
    np.testing.assert_array_equal(got[~nan].view(width), expected[~nan].view(width))


def _forward_and_grad(fn, x, g):
    t = tg.tensor(x, requires_grad=True)
    y = fn(t)
    y.backward(tg.tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.01, 0.0, 1.0, 0.3, 1.5, -0.2])
def test_leaky_relu_matches_its_definition(dtype, slope):
    x = _x(dtype)
    g = _x(dtype)[::-1].copy()
    y, gx = _forward_and_grad(lambda t: F.leaky_relu(t, slope), x, g)

    def times_slope(a):  # (half: PyTorch multiplies in float32 by the unrounded slope, rounding once)
        if dtype == np.float16:
            return (a.astype(np.float32) * np.float32(slope)).astype(dtype)
        return a * x.dtype.type(slope)
    _bits_equal(y, np.where(x > 0, x, times_slope(x)))
    _bits_equal(gx, np.where(x > 0, g, times_slope(g)))


def test_threshold_hardtanh_hardsigmoid_shrink_gradients_match_their_definitions():
    x = _x()
    g = _x()[::-1].copy()
    zero = np.float32(0)
    cases = [
        (lambda t: F.threshold(t, 0.5, -2.0), np.where(x <= 0.5, np.float32(-2), x), np.where(x <= 0.5, zero, g)),
        (lambda t: F.hardtanh(t), np.clip(x, -1, 1), np.where((x > -1) & (x < 1), g, zero)),
        (lambda t: F.hardshrink(t, 0.5), None, np.where((x > 0.5) | (x < -0.5), g, zero)),
    ]
    for fn, y_expected, g_expected in cases:
        y, gx = _forward_and_grad(fn, x, g)
        if y_expected is not None:
            _bits_equal(y, y_expected)
        _bits_equal(gx, g_expected)
    _, gx = _forward_and_grad(F.hardsigmoid, x, g)
    _bits_equal(gx, np.where((x > -3) & (x < 3), g * np.float32(1 / 6), zero))
    _, gx = _forward_and_grad(F.hardswish, x, g)
    d = np.where(x >= 3.0, 1.0, np.where(x <= -3.0, 0.0, x / 3.0 + 0.5)).astype(np.float32)
    _bits_equal(gx, g * d)


def test_elu_and_softplus_match_their_definitions():
    x = _x()
    g = np.ones_like(x)
    y, _ = _forward_and_grad(F.elu, x, g)
    # (-0. stays -0., as PyTorch's elu(-0.) is)
    _bits_equal(y, np.where(x > 0, x, np.expm1(np.where(x > 0, 0, x)).astype(np.float32)))
    y, gx = _forward_and_grad(lambda t: F.softplus(t, beta=2.0, threshold=10.0), x, g)
    bx = x * np.float32(2.0)
    smooth = (np.log1p(np.exp(-np.abs(bx))) / 2.0 + np.maximum(bx, 0) / 2.0).astype(np.float32)
    _bits_equal(y, np.where(bx > 10.0, x, smooth))
    _bits_equal(gx, np.where(bx > 10.0, g, (g / (1 + np.exp(-bx))).astype(np.float32)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn,alpha,scale,input_scale", [
    (F.elu, 1.0, 1.0, 1.0), (lambda t: F.elu(t, 0.3), 0.3, 1.0, 1.0), (F.selu, 1.6732632423543772, 1.0507009873554805, 1.0),
    (lambda t: F.celu(t, 2.0), 2.0, 1.0, 0.5)])
def test_elu_family_gradient_matches_its_definition(dtype, fn, alpha, scale, input_scale):
    x = _x(dtype)
    g = _x(dtype)[::-1].copy()
    _, gx = _forward_and_grad(fn, x, g)
    exponential_side = (np.exp(np.minimum(x, 0) * input_scale) * (alpha * scale * input_scale)).astype(dtype)
    _bits_equal(gx, g * np.where(x > 0, x.dtype.type(scale), exponential_side))


def test_hardswish_forward_matches_its_definition():
    for dtype in (np.float16, np.float32, np.float64):
        x = _x(dtype)
        y, _ = _forward_and_grad(F.hardswish, x, np.ones_like(x))
        # float16 computed in float32 and rounded once, as PyTorch's kernel (ops/_bfloat16.py)
        wide = np.float32 if dtype == np.float16 else dtype
        w = x.astype(wide)
        _bits_equal(y, (w * np.clip(w + 3.0, 0.0, 6.0).astype(wide) / wide(6.0)).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [1.0, 0.25, 3.0, 0.0, float("inf")])
def test_smooth_l1_loss_matches_its_definition(dtype, beta):
    x, y = _x(dtype), _x(dtype)[::-1].copy()
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    t, u = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    loss = F.smooth_l1_loss(t, u, reduction="none", beta=beta)
    loss.backward(tg.tensor(g))
    d = x - y
    if beta == 0:
        # (beta 0 is l1_loss, recorded as PyTorch builds it, (x - y).abs(): its sgn(NaN) is 0)
        expected_loss, s = np.abs(d), np.where(np.isnan(d), 0, np.sign(d)).astype(dtype)
    else:
        a = np.abs(d)
        expected_loss = np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta).astype(dtype)
        s = np.where(np.abs(d) < beta, d / beta, np.sign(d)).astype(dtype)
    _bits_equal(loss.detach().numpy(), expected_loss)
    _bits_equal(t.grad.numpy(), s * g)
    _bits_equal(u.grad.numpy(), -s * g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("delta", [1.0, 0.25, 3.0, float("inf")])
def test_huber_loss_matches_its_definition(dtype, delta):
    x, y = _x(dtype), _x(dtype)[::-1].copy()
    g = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    t = tg.tensor(x, requires_grad=True)
    loss = F.huber_loss(t, tg.tensor(y), reduction="none", delta=delta)
    loss.backward(tg.tensor(g))
    d = x - y
    a = np.abs(d)
    _bits_equal(loss.detach().numpy(), np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta)).astype(dtype))
    _bits_equal(t.grad.numpy(), np.where(a < delta, d, delta * np.sign(d)).astype(dtype) * g)


def test_smooth_l1_and_huber_reductions_and_scalars():
    x = tg.tensor([0.5, -2.0, float("nan")], requires_grad=True)
    y = tg.tensor([0.0, 0.0, 0.0])
    F.smooth_l1_loss(x[:2], y[:2]).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.float32([0.25, -0.5, 0.0]))
    s = tg.tensor(3.0, requires_grad=True)
    loss = F.huber_loss(s, tg.tensor(1.0), delta=0.5)  # 0-d operands: NumPy scalars inside
    loss.backward()
    assert loss.item() == 0.5 * (2.0 - 0.25) and s.grad.item() == 0.5


def test_leaky_relu_keeps_negative_zero_as_pytorch():
    x = tg.tensor([-0.0, 0.0, -1.0, float("nan")])
    assert repr(F.leaky_relu(x)) == "tensor([-0.0000,  0.0000, -0.0100,     nan])"


def test_float32_erf_of_gelu_is_within_two_ulp_of_the_correctly_rounded_erf():
    from scipy import special
    from tensorgraft.nn.functional_ops.special import erf_float32
    z = np.concatenate([np.linspace(-6, 6, 200_001), np.random.default_rng(1).standard_normal(50_000) * 3,
                        [0.0, -0.0, 1e-30, -1e-20, 1.0, -1.0, 4.0, 4.5, 1e4]]).astype(np.float32)
    got = erf_float32(z)
    exact = special.erf(z.astype(np.float64)).astype(np.float32)
    ulps = np.abs(got.view(np.int32).astype(np.int64) - exact.view(np.int32).astype(np.int64))
    # (2 ulp here; a CPU whose NumPy has another expm1 loop may add one)
    assert ulps.max() <= 3 and np.mean(ulps <= 1) > 0.99
    specials = erf_float32(np.array([np.nan, np.inf, -np.inf, -0.0], np.float32))
    assert np.isnan(specials[0]) and specials[1] == 1 and specials[2] == -1 and np.signbit(specials[3])


def test_float32_gelu_and_its_gradient_agree_with_the_exact_formula():
    from scipy import special
    x = np.concatenate([np.linspace(-12, 12, 4001), [0.0]]).astype(np.float32)
    t = tg.tensor(x, requires_grad=True)
    y = F.gelu(t)
    y.sum().backward()
    x64 = x.astype(np.float64)
    cdf = 0.5 * (1 + special.erf(x64 / np.sqrt(2)))
    np.testing.assert_allclose(y.detach().numpy(), x64 * cdf, rtol=2e-6, atol=2e-6)
    grad = cdf + x64 * np.exp(-0.5 * x64 ** 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(t.grad.numpy(), grad, rtol=2e-6, atol=2e-6)
    assert t.grad.numpy()[-1] == 0.5  # GELU'(0) is 1/2 exactly, as PyTorch's
