"""Special functions on ``xp`` arrays, for kernels written against the array namespace.

GELU needs erf to full precision: its derivative at 0 is exactly 1/2, and in the tails the
Gaussian CDF is a small number that a fitted approximation gets wrong in relative terms. Core's
erf kernel (SciPy on CPU, cupyx on CUDA) gives that, so this module only forwards to it."""
from __future__ import annotations

from tensorgraft.ops.elementwise import _erf


def erf(xp, x):
    """erf of an ``xp`` array, keeping its dtype."""
    return _erf(xp, x)
