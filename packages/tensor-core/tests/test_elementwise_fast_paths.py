"""Elementwise ops whose NumPy spelling has a slow path, computed another way: ``x ** 2``,
``x ** -1`` and ``x ** 1`` (products, as PyTorch's kernel, not the power ufunc's general loop), logaddexp (PyTorch's
formula instead of NumPy's per-element libm calls), sign (NaN to 0 without np.where) and lerp with
a tensor weight. Each gives the plain spelling's values: to the bit, or for logaddexp within 2 ulp
of NumPy's, with NaN, infinities and -0. among the inputs."""
import numpy as np
import pytest

import tensorgraft as tg

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 3e38, 1e-45]


def _x(dtype, n=2000, seed=0):
    v = np.random.default_rng(seed).standard_normal(n) * 8
    v[:len(SPECIALS)] = SPECIALS
    return v.astype(dtype)


def _bits_equal(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    width = {4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(width), expected[~nan].view(width))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [2, 2.0, -1, 1, 3, -2])
def test_pow_by_products_is_pytorchs_formula_to_the_bit(dtype, exponent):
    # PyTorch's CPU kernel: x * x, 1 / x, x * x * x, 1 / (x * x), a copy for 1 (IEEE products and
    # quotients, correctly rounded; NumPy 1's power ufunc is 1 ulp off in a tenth of the squares)
    x = _x(dtype)
    got = (tg.tensor(x) ** exponent).numpy()
    with np.errstate(all="ignore"):
        expected = {2: x * x, -1: 1 / x, 1: x, 3: x * x * x, -2: 1 / (x * x)}[exponent]
    _bits_equal(got, expected)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0" and exponent in (2, 1):
        # (NumPy 2's power agrees for these; its x ** -1 is 1 ulp off in some versions, e.g. 2.2)
        with np.errstate(all="ignore"):
            _bits_equal(got, np.power(x, dtype(exponent)))


def test_pow_gradient_at_two_and_in_place_square():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.tensor([3.0, -0.5, 0.0], requires_grad=True)
    (x ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.float32([6.0, -1.0, 0.0]))
    y = tg.tensor([1.5, -2.0])
    y **= 2
    np.testing.assert_array_equal(y.numpy(), np.float32([2.25, 4.0]))
    assert (tg.tensor([2, -3]) ** 2).tolist() == [4, 9]  # integers: the power ufunc as before
    assert (tg.tensor([4.0], dtype=tg.float16) ** -1).item() == 0.25


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp_agrees_with_numpys_within_two_ulp(dtype):
    # both are max + log1p(exp(-|a - b|)), which cancels where the result is near 0 (PyTorch's
    # too): the difference is measured in ulps of the largest of the inputs and the result
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(100000) * 8).astype(dtype), (rng.standard_normal(100000) * 8).astype(dtype)
    a[:len(SPECIALS)] = SPECIALS
    b[:len(SPECIALS)] = SPECIALS[::-1]
    got = tg.logaddexp(tg.tensor(a), tg.tensor(b)).numpy()
    assert got.dtype == dtype
    with np.errstate(all="ignore"):
        expected = np.logaddexp(a, b)
    finite = np.isfinite(expected)
    inputs = np.maximum(np.abs(a), np.abs(b))
    inputs[~np.isfinite(inputs)] = 0  # (-inf and a finite number: the finite one is the result)
    scale = np.spacing(np.maximum(inputs, np.abs(expected))[finite])
    assert np.max(np.abs(got[finite] - expected[finite]) / scale) <= 2
    np.testing.assert_array_equal(got[~finite], expected[~finite])


def test_logaddexp_special_values_as_pytorch():
    inf, nan = float("inf"), float("nan")
    a = tg.tensor([inf, -inf, inf, -inf, nan, 1.0, 0.0, -inf])
    b = tg.tensor([inf, -inf, -inf, 2.0, 1.0, nan, 0.0, 5.0])
    got = tg.logaddexp(a, b).tolist()
    assert got[:4] == [inf, -inf, inf, 2.0]
    assert np.isnan(got[4]) and np.isnan(got[5])
    assert got[6] == pytest.approx(np.log(2.0)) and got[7] == 5.0
    # broadcasting and the gradient
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.tensor([[0.0], [1.0]], requires_grad=True)
    y = tg.tensor([0.0, 2.0, -1.0])
    out = tg.logaddexp(x, y)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.detach().numpy(), np.logaddexp(np.float32([[0.0], [1.0]]), np.float32([0, 2, -1])),
                               rtol=1e-6)
    out.sum().backward()
    expected = (1 / (1 + np.exp(np.float32([0, 2, -1]) - np.float32([[0.0], [1.0]])))).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sign_sends_nan_to_zero_bit_for_bit(dtype):
    x = _x(dtype)
    expected = np.sign(x)
    expected[np.isnan(expected)] = 0
    _bits_equal(tg.tensor(x).sign().numpy(), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_with_a_tensor_weight_takes_the_nearer_end(dtype):
    a, b = _x(dtype, seed=3), _x(dtype, seed=4)
    w = np.random.default_rng(5).uniform(-0.5, 1.5, a.size).astype(dtype)
    w[:4] = [0.0, 1.0, 0.5, np.nan]
    got = tg.lerp(tg.tensor(a), tg.tensor(b), tg.tensor(w)).numpy()
    with np.errstate(all="ignore"):
        d = b - a
        expected = np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))
    _bits_equal(got, expected)
