"""``add``/``sub`` with ``alpha=`` on the half types, rounded as PyTorch's CPU kernel rounds them.

PyTorch converts alpha to the tensor's own type (bfloat16 or float16) and computes
``a + alpha * b`` in float32, rounding once: the product of two half values is exact in float32,
so the one rounding is that of the sum. NumPy's half loops would round ``alpha * b`` to the half
type first (one half step off PyTorch's in about a sixth of the elements).

float32 and float64 end in a fused multiply-add in PyTorch's vectorized kernel (the product
unrounded): BLAS's axpy computes that (``ops/fused_multiply_add.py``), tried first by the caller.
"""
from __future__ import annotations

import numpy as np

from ...dtypes import BF16

_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)
_ndarray = np.ndarray


def half_alpha(ufunc, a, b, alpha, out=None):
    """``ufunc(a, alpha * b)`` (``ufunc`` np.add or np.subtract) for two NumPy arrays of one half
    type, rounded once as PyTorch's kernel, written into ``out`` if given; None for other operands,
    which take the caller's general path."""
    if a.__class__ is not _ndarray or b.__class__ is not _ndarray or alpha.__class__ not in (int, float):
        return None
    dt = a.dtype
    if b.dtype is not dt or not (dt is _F16 or dt is BF16):
        return None
    scaled = b.astype(_F32) * np.float32(np.asarray(alpha, dtype=dt))  # exact: 11 (8) bits each
    r = ufunc(a.astype(_F32), scaled)
    if out is not None:
        out[...] = r
        return out
    return r.astype(dt)
