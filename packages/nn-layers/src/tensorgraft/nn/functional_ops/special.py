"""Special functions on ``xp`` arrays (NumPy has no erf; SciPy is not a dependency)."""
from __future__ import annotations

_C = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
      -0.82215223, 0.17087277)


def erf(xp, x):
    """erf with relative error of erfc below 1.2e-7 (Chebyshev fit), vectorized, computed in float64."""
    z = xp.abs(x).astype(xp.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    p = _C[9]
    for c in _C[8::-1]:
        p = c + t * p
    erfc = t * xp.exp(-z * z + p)
    r = 1.0 - erfc
    return xp.where(x < 0, -r, r).astype(x.dtype, copy=False)
