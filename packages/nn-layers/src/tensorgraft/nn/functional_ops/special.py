"""Special functions on ``xp`` arrays, for kernels written against the array namespace.

``erf`` forwards to core's erf kernel (SciPy on CPU, cupyx on CUDA): full precision, which GELU
takes for float64 (PyTorch's double kernel is exact too) and on CUDA. For float32 on the CPU,
GELU takes ``erf_float32``: polynomial fits, within 3 ulp, several times faster than SciPy's
loop (PyTorch's float32 GELU kernel uses a vectorised approximation of its own as well). The
``torch.erf`` op itself keeps core's kernel."""
from __future__ import annotations

import numpy as np

from tensorgraft.ops.elementwise import _erf
from tensorgraft.ops.elementwise.branch_free import clamp, select


def erf(xp, x):
    """erf of an ``xp`` array, keeping its dtype."""
    return _erf(xp, x)



# erf for float32 in a few dozen vectorised NumPy passes (SciPy's erf is a scalar loop, ~25x slower
# than the rest of GELU). Two fits, made for tensorgraft by Chebyshev least squares in float64
# against scipy.special.erf/erfc, coefficients lowest power first:
# - |z| <= 1: erf(z) = z P(z^2), P of degree 6 (relative error 5e-9);
# - 1 < |z| < 4: erf(|z|) = 1 - exp(Q(|z|) - z^2), Q of degree 9 in |z| (relative error of erfc
#   2e-8); from 4 on, float32's erf is 1 (|z| is held at 4 there, where exp(-z^2) vanishes anyway).
# Evaluated in float32: within 3 ulp of the correctly rounded erf, 98% within 1 (PyTorch's own GELU
# kernel is not correctly rounded either; its results and these agree to ~1e-6 at |x| <= 12).
_ERF_NEAR = (1.128379166232648, -0.3761262976709734, 0.11283634634373804, -0.026856069570540427,
             0.005192957871041935, -0.000805375115221978, 8.006874252129397e-05)
_ERFC_LOG_FAR = (0.0004179477359140815, -1.1306768033510748, 0.3690399894980059, -0.11103697328125377,
                 0.027080601381828603, -0.005053868883147202, 0.0006819369176971098, -6.147683638526455e-05,
                 3.226104697471098e-06, -7.109802915384097e-08)
_F32_SIGN_BIT = np.int32(-2 ** 31)


def _horner_float32(coeffs, v):
    """sum(c_k v^k) for float32 ``v``, coefficients lowest power first, in one buffer."""
    p = v * np.float32(coeffs[-1])
    for c in coeffs[-2:0:-1]:
        p += np.float32(c)
        p *= v
    p += np.float32(coeffs[0])
    return p


def erf_float32(z):
    """erf of a float32 NumPy array (the fits above); NaN stays NaN, erf(+-inf) = +-1, erf(-0.) = -0."""
    f32 = np.float32
    square = np.square(z)
    near = _horner_float32(_ERF_NEAR, square)
    near *= z
    magnitude = np.abs(z)
    far = _horner_float32(_ERFC_LOG_FAR, clamp(np, magnitude, f32(1), f32(4)))
    far -= square
    np.exp(far, out=far)
    np.subtract(f32(1), far, out=far)  # erf(|z|)
    # erf is odd: z's sign bit onto erf(|z|) (np.copysign is a scalar loop)
    far.view(np.int32)[...] |= np.bitwise_and(z.view(np.int32), _F32_SIGN_BIT)
    return select(np, magnitude <= f32(1), near, far)
