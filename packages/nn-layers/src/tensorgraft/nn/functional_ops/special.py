"""Special functions on ``xp`` arrays, for kernels written against the array namespace.

``erf`` forwards to core's erf kernel (SciPy on CPU, cupyx on CUDA): full precision, which GELU
takes for float64 (PyTorch's double kernel is exact too) and on CUDA. For float32 on the CPU,
GELU takes ``erf_float32``: a polynomial fit, within 2 ulp, several times faster than SciPy's
loop (PyTorch's float32 GELU kernel uses a vectorised approximation of its own as well). The
``torch.erf`` op itself keeps core's kernel."""
from __future__ import annotations

import numpy as np

from tensorgraft.ops.elementwise import _erf


def erf(xp, x):
    """erf of an ``xp`` array, keeping its dtype."""
    return _erf(xp, x)




# erf for float32 in about twenty vectorised NumPy passes (SciPy's erf is a scalar loop, several
# times slower than the rest of GELU). erf(a) = -expm1(h(a)) for a = |z|, with h(a) = log(erfc(a))
# written as a * P(a), P of degree 10 fitted for tensorgraft by Chebyshev least squares in float64
# against scipy.special.erfc on [0, 4] (relative error of erf 3e-8; from 4 on, float32's erf is 1,
# so |z| is held at 4). One formula for every z: no branches to compute twice and select from,
# and expm1 keeps small arguments accurate (erf(1e-30) is 1.13e-30). Evaluated in float32: within
# 2 ulp of the correctly rounded erf, 99.9% within 1.
_LOG_ERFC_OVER_A = (-1.1283792051709944, -0.6366187556887508, -0.10277806524281045, 0.019133000683476065,
                    0.0002430358594624081, -0.0018115580152214344, 0.0007665614781411072,
                    -0.00018657575982716052, 2.848635166956902e-05, -2.5352735376675286e-06,
                    1.0052831690093525e-07)  # lowest power first
_F32_SIGN_BIT = np.int32(-2 ** 31)
_F32_MAGNITUDE_BITS = np.int32(2 ** 31 - 1)


def erf_float32(z):
    """erf of a float32 NumPy array (the fit above); NaN stays NaN, erf(+-inf) = +-1, erf(-0.) = -0."""
    f32 = np.float32
    a = np.abs(z)
    np.minimum(a, f32(4), out=a)  # (a >= 0 already: a one-sided bound is a third of np.clip's time)
    coeffs = _LOG_ERFC_OVER_A
    h = a * f32(coeffs[-1])  # Horner, highest power first, then times a
    for c in coeffs[-2:0:-1]:
        h += f32(c)
        h *= a
    h += f32(coeffs[0])
    h *= a
    r = np.expm1(h, out=h)  # -erf(|z|), <= 0
    bits = r.view(np.int32)
    bits &= _F32_MAGNITUDE_BITS  # erf(|z|)
    # erf is odd: z's sign bit (np.copysign is a scalar loop)
    bits |= np.bitwise_and(z.view(np.int32), _F32_SIGN_BIT)
    return r
