"""Gradient regressions found by the reductions/statistics differential fuzzer; the expected values
are PyTorch 2.13's, hard-coded."""
import math
import warnings

import pytest

import tensorgraft as torch

nan, inf = float("nan"), float("inf")


def _grad(x, f, g=None):
    x = x.detach().clone().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(x)
        out.backward(g) if g is not None else out.sum().backward()
    return x.grad


def _same(t, want):
    got = t.tolist()
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-4), (got, want)


# --------------------------------------------------------------------------- renorm of complex (5)
def test_renorm_complex_gradient():
    x = torch.tensor([[-3 + 1j, 1 + 1j, 1 + 2j, 3 - 1j], [0.1 + 0j, 0.2j, 0, 0]], dtype=torch.complex128)
    g = torch.tensor([[1 + 2j, -1j, 0.5, 2], [1, 1, 1, 1]], dtype=torch.complex128)
    got = _grad(x, lambda t: torch.renorm(t, 2, 0, 0.5), g)
    want = [[0.1443 + 0.1764j, -0.0160 - 0.1123j, 0.0321 - 0.0321j, 0.1443 + 0.0160j], [1, 1, 1, 1]]
    for row, wrow in zip(got.tolist(), want):
        for a, b in zip(row, wrow):
            assert abs(a - b) < 1e-4


def test_dist_complex_gradient():
    a = torch.tensor([1 + 1j, -2 + 0j])
    got = _grad(a, lambda t: torch.dist(t, torch.tensor([0.5 + 0j, 1.0])))
    for x, w in zip(got.tolist(), [0.1562 + 0.3123j, -0.9370 + 0j]):
        assert abs(x - w) < 1e-4


# --------------------------------------------------------------------------- prod (6, 10)
def test_prod_dtype_gradient_uses_the_cast_input():
    x = torch.tensor([.5 + .5j, -.8 - 1.5j, 2 + 1j])
    for f in (lambda t: torch.prod(t, 0, dtype=torch.float64), lambda t: torch.prod(t, dtype=torch.float64)):
        g = _grad(x, f)
        assert g.dtype == torch.complex64
        for a, b in zip(g.tolist(), [-1.6, 1.0, -0.4]):
            assert abs(a - b) < 1e-6


def test_prod_gradient_two_zeros_and_nan():
    x = torch.tensor([[0., 0.], [nan, 1.]], dtype=torch.float64)
    assert _grad(x, lambda t: t.prod()).tolist() == [[0., 0.], [0., 0.]]
    _same(_grad(x, lambda t: t.prod(0)).reshape(-1), [nan, 1., 0., 0.])


# --------------------------------------------------------------------------- var / std (7)
def test_var_std_gradient_when_correction_exceeds_n():
    x = torch.tensor([1., 2., 4.], dtype=torch.float64)
    _same(_grad(x, lambda t: torch.var(t, correction=5)), [inf, inf, inf])
    _same(_grad(x, lambda t: torch.var(t, correction=3)), [inf, inf, inf])
    _same(_grad(x, lambda t: torch.std(t, correction=5)), [nan, nan, nan])
    _same(_grad(torch.tensor([2., 2., 2.], dtype=torch.float64), lambda t: t.var(correction=5)), [nan, nan, nan])
    _same(_grad(x, lambda t: torch.var_mean(t, correction=5)[0]), [inf, inf, inf])
    _same(_grad(x, lambda t: torch.std_mean(t, correction=5)[0]), [nan, nan, nan])
    _same(_grad(x, lambda t: t.var(correction=5), torch.tensor(-2., dtype=torch.float64)), [-inf, -inf, -inf])
    # with a dim, PyTorch does not clamp: 2 / (n - correction)
    _same(_grad(x, lambda t: torch.var(t, 0, correction=5)), [4 / 3, 1 / 3, -5 / 3])
