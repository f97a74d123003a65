"""Regressions found by differential fuzzing of complex and special functions against PyTorch 2.13
(expected values and messages hard-coded from PyTorch)."""
import math

import pytest

import tensorgraft as torch

pytest.importorskip("scipy")

HALF_TYPES = [(torch.float16, "Half"), (torch.bfloat16, "BFloat16")]

UNARY_FULL_ONLY = ["erfcx", "ndtri", "log_ndtr", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
                   "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                   "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai"]
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
               "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("dtype,tname", HALF_TYPES)
@pytest.mark.parametrize("name", UNARY_FULL_ONLY)
def test_half_types_refused_by_float_only_special_functions(name, dtype, tname):
    x = torch.tensor([0.5, 1.5], dtype=dtype)
    with pytest.raises(NotImplementedError, match=f"^\"{name}_cpu\" not implemented for '{tname}'$"):
        getattr(torch.special, name)(x)
    # their siblings with half-type kernels in PyTorch are still computed
    for sibling in ("i0e", "i1e", "ndtr", "entr", "i1"):
        assert getattr(torch.special, sibling)(x).dtype == dtype


@pytest.mark.parametrize("dtype,tname", HALF_TYPES)
def test_half_types_refused_by_zeta(dtype, tname):
    x = torch.tensor([2.0], dtype=dtype)
    for args in ((x, x), (x, 1.0), (2.0, x)):
        with pytest.raises(NotImplementedError, match=f"^\"zeta_cpu\" not implemented for '{tname}'$"):
            torch.special.zeta(*args)
    # a float32 operand wins the promotion: computed, as in PyTorch (zeta(2, 1) = pi^2 / 6)
    r = torch.special.zeta(torch.tensor([2.0]), torch.tensor([1.0], dtype=dtype))
    assert r.dtype == torch.float32 and abs(r.item() - math.pi ** 2 / 6) < 1e-6


@pytest.mark.parametrize("dtype,tname", HALF_TYPES)
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_half_types_refused_by_orthogonal_polynomials(name, dtype, tname):
    fn = getattr(torch.special, name)
    x = torch.tensor([0.5, 1.0], dtype=dtype)
    msg = f"^\"{name}_cpu\" not implemented for '{tname}'$"
    with pytest.raises(NotImplementedError, match=msg):
        fn(x, 2)
    with pytest.raises(NotImplementedError, match=msg):
        fn(0.5, torch.tensor([2.0], dtype=dtype))
    # float32 x with a half-type degree promotes to float32 and is computed
    r = fn(torch.tensor([0.5]), torch.tensor([0.0], dtype=dtype))
    assert r.dtype == torch.float32 and r.tolist() == [1.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_polygamma_at_infinities(dtype):
    inf = math.inf
    x = torch.tensor([inf, -inf], dtype=dtype)
    r1 = torch.polygamma(1, x).tolist()
    assert r1[0] == 0.0 and math.isnan(r1[1])          # PyTorch: [0., nan]
    for n, minus_inf in ((2, -inf), (3, inf), (4, -inf)):
        r = torch.polygamma(n, x).tolist()
        assert math.isnan(r[0]) and r[1] == minus_inf  # PyTorch: [nan, -inf] / [nan, inf]
    assert math.isnan(x.polygamma(2).tolist()[0])
    assert math.isnan(torch.special.polygamma(5, x).tolist()[0])
    # finite values keep SciPy's (polygamma(2, 1) = -2 zeta(3))
    assert abs(torch.polygamma(2, torch.tensor([1.0], dtype=dtype)).item() + 2.4041138063191885) < 1e-5


# --------------------------------------------------------------------------- refusals in PyTorch's words
# (PyTorch 2.13's messages, from the complex/special fuzzing round)
def test_angle_unit_conversions_refuse_complex():
    z = torch.tensor([1 + 1j])
    for name in ("deg2rad", "rad2deg"):
        with pytest.raises(RuntimeError, match=f"^{name} is not supported for complex tensors.$"):
            getattr(torch, name)(z)


def test_rounding_division_of_complex_names_the_kernel():
    z = torch.tensor([1 + 1j])
    with pytest.raises(NotImplementedError, match="^\"div_floor_cpu\" not implemented for 'ComplexFloat'$"):
        torch.div(z, z, rounding_mode="floor")
    with pytest.raises(NotImplementedError, match="^\"div_trunc_cpu\" not implemented for 'ComplexDouble'$"):
        torch.div(z.to(torch.complex128), z, rounding_mode="trunc")


def test_negative_tolerances_are_refused():
    with pytest.raises(RuntimeError, match="^rtol must be greater than or equal to zero, but got -1$"):
        torch.isclose(torch.ones(2), torch.ones(2), rtol=-1)
    with pytest.raises(RuntimeError, match="^atol must be greater than or equal to zero, but got -1$"):
        torch.allclose(torch.ones(2), torch.ones(2), atol=-1)


def test_half_logit_bounds_round_in_the_half_type():
    # 1 - 1e-6 rounds to 1 in float16: logit(1) stays inf, as PyTorch's half kernel gives
    assert torch.logit(torch.tensor([1.0], dtype=torch.float16), 1e-6).tolist() == [float("inf")]
    r = torch.logit(torch.tensor([0.0, 1.0], dtype=torch.bfloat16), 1e-3)
    assert r.tolist() == [-6.90625, float("inf")]


def test_polar_of_float16_is_refused_as_pytorch():
    with pytest.raises(NotImplementedError, match="^\"polar_cpu\" not implemented for 'Half'$"):
        torch.polar(torch.ones(2, dtype=torch.float16), torch.ones(2, dtype=torch.float16))
