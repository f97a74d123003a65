"""Gradient regressions found by differential fuzzing of complex and special functions against
PyTorch 2.13 (expected values hard-coded from PyTorch)."""
import math

import pytest

import tensorgraft as torch

pytest.importorskip("tensorgraft.autograd")


@pytest.mark.parametrize("eps", [-0.1, -1e-6, -2.0])
def test_logit_gradient_with_negative_eps_is_unclamped(eps):
    # PyTorch treats a negative eps as no eps: NaN outside [0, 1], 1 / (x (1 - x)) inside
    x = torch.tensor([-0.5, 0.25, 1.5, 0.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.logit(x, eps).sum(), x)
    v = g.tolist()
    assert math.isnan(v[0]) and math.isnan(v[2])
    assert abs(v[1] - 1 / (0.25 * 0.75)) < 1e-12
    assert v[3] == math.inf
    # a positive eps still clamps: 0 outside [eps, 1 - eps]
    (g,) = torch.autograd.grad(torch.logit(x, 0.1).sum(), x)
    assert g.tolist()[0] == 0.0 and g.tolist()[2] == 0.0


@pytest.mark.parametrize("name", ["asin", "acos", "acosh"])
@pytest.mark.parametrize("point", [1 + 0j, -1 + 0j])
def test_complex_inverse_trig_gradient_at_branch_points_is_nan(name, point):
    z = torch.tensor([point, 0.5 + 0.5j], dtype=torch.complex128, requires_grad=True)
    out = getattr(torch, name)(z)
    (g,) = torch.autograd.grad(out, z, torch.ones_like(out) * (0.7 - 0.3j))
    at_pole, regular = g.tolist()
    assert math.isnan(at_pole.real) and math.isnan(at_pole.imag)  # PyTorch: nan+nanj
    assert math.isfinite(regular.real) and math.isfinite(regular.imag)
    if name == "asin":  # real gradients at the branch point stay inf (PyTorch's)
        x = torch.tensor([point.real], dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(torch.asin(x).sum(), x)
        assert g.tolist() == [math.inf]
