"""Selections and bounds for kernels written against ``xp``, without NumPy's slow paths.

Two NumPy loops are far slower than the arithmetic around them, and elementwise kernels
(relu, clamp, leaky_relu and their gradients) are made of little else:

- ``np.where(mask, a, b)`` branches per element: on a mask that follows the data (``x > 0`` of
  activations) it mispredicts half the time, ~6x slower than blending the bits of ``a`` and
  ``b`` through an all-ones/all-zeros mask, which is what ``select``/``keep_where`` do;
- ``np.maximum``/``np.minimum`` against a *scalar* take an unvectorised loop for float32/64
  (~4x slower than the same ufunc on two arrays), while ``np.clip`` with both bounds is
  vectorised: ``clamp`` passes the missing bound as an infinity.

Both give the very values of the plain spelling, bit for bit: a blend copies bits, and ``clip``
is ``minimum(maximum(a, lo), hi)`` with NaN propagated and -0.0 kept (``relu(-0.)`` is ``-0.``, as
in PyTorch). Anything else (CuPy arrays, integer or complex dtypes, operands that broadcast)
takes the plain spelling: only the NumPy float path needs the help.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.dtypes import np_kind as _np_kind

# dtypes whose clip can be written into its input (ml_dtypes' bfloat16 clips in float32)
_CLIP_IN_PLACE = (np.dtype(np.float32), np.dtype(np.float64))
# the integer type of each float width, for looking at a float array's bits
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def _blendable(mask, *arrays) -> bool:
    """NumPy float arrays of one dtype and of the mask's shape (no broadcasting to take care of)."""
    first = arrays[0]
    if first.__class__ is not np.ndarray or mask.__class__ is not np.ndarray or first.shape != mask.shape:
        return False
    if _np_kind(first.dtype) != "f":
        return False
    return all(a.__class__ is np.ndarray and a.dtype == first.dtype and a.shape == first.shape for a in arrays[1:])


def _all_ones_where(mask, ints, where_true=True):
    """-1 (every bit set) where ``mask`` is true (``where_true=False``: where it is false), 0
    elsewhere, as ``ints``."""
    m = mask.view(np.int8).astype(ints)
    if where_true:
        np.negative(m, out=m)
    else:
        m -= 1
    return m


def select(xp, mask, a, b):
    """``xp.where(mask, a, b)``; blended bit by bit for NumPy float operands of one dtype, arrays
    of the mask's shape or scalars (a NumPy scalar or 0-d array of that dtype: ``select(xp, x > 0,
    x.dtype.type(1), d)``). A mask that broadcasts (the ``(L, S)`` causal mask of ``(N, H, L, S)``
    attention scores) stays with ``np.where``: its values come in runs, where np.where's branches
    are predicted (0.16 ms for 1M scores), while the blend would first expand the mask (0.5 ms).
    On a full-size mask the blend is as fast as np.where's best case (a mask in long runs) and 7x
    faster than its worst (a mask that follows the data, ``x > 0``)."""
    if xp is not np:
        return xp.where(mask, a, b)
    shape = _blend_shape(mask, a, b)
    if shape is None:
        return xp.where(mask, a, b)
    ints = _BITS[a.dtype.itemsize]
    a_bits, b_bits = _bits(a, ints), _bits(b, ints)
    # b ^ ((a ^ b) & m): a where m is all ones, b where it is zero
    if a_bits.shape == shape or b_bits.shape == shape:
        r = np.bitwise_xor(a_bits, b_bits)
        r &= _all_ones_where(mask, ints)
    else:  # both scalars: the result's shape comes in with the mask
        r = np.bitwise_and(_all_ones_where(mask, ints), a_bits ^ b_bits)
    r ^= b_bits
    return r.view(a.dtype)


def _blend_shape(mask, a, b):
    """The result's shape when ``select`` can blend (NumPy float operands of one dtype, each an
    array of the mask's shape or a scalar; a boolean mask array), else None."""
    if mask.__class__ is not np.ndarray:
        return None
    if a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.shape == b.shape:
        return mask.shape if _blendable(mask, a, b) else None  # (the common case)
    dtype = getattr(a, "dtype", None)
    if dtype is None or getattr(b, "dtype", None) != dtype or _np_kind(dtype) != "f":
        return None
    if all(v.__class__ is np.ndarray and v.shape in ((), mask.shape) or isinstance(v, np.generic) for v in (a, b)):
        return mask.shape
    return None


def _bits(v, ints):
    """The bits of a float array or NumPy scalar as ``ints`` (a scalar as a 0-d array)."""
    return v.view(ints) if v.__class__ is np.ndarray else np.asarray(v).view(ints)


def keep_where(xp, mask, a):
    """``xp.where(mask, a, 0)`` (a zero of ``a``'s dtype elsewhere, also where ``a`` is inf or NaN,
    which a multiplication by the mask would not give)."""
    return _zero_unless(xp, mask, a, True)


def drop_where(xp, mask, a):
    """``xp.where(mask, 0, a)``: ``keep_where`` of the negated mask, without a pass to negate it."""
    return _zero_unless(xp, mask, a, False)


def _zero_unless(xp, mask, a, keep_true):
    if xp is not np or not _blendable(mask, a):
        zero = xp.zeros((), a.dtype)
        return xp.where(mask, a, zero) if keep_true else xp.where(mask, zero, a)
    ints = _BITS[a.dtype.itemsize]
    r = _all_ones_where(mask, ints, keep_true)
    r &= a.view(ints)
    return r.view(a.dtype)


def clamp(xp, a, lo=None, hi=None, out=None):
    """``minimum(maximum(a, lo), hi)``, either bound None for none; NaN in ``a`` or in a bound
    gives NaN, and ``lo > hi`` gives ``hi``, as PyTorch's clamp. ``out``: ``a`` itself when ``a``
    may be overwritten (an in-place clamp, or a kernel's own temporary); it is written only for a
    float32/float64 NumPy array, so a caller that needs ``a`` written checks that first."""
    if xp is np and a.__class__ is np.ndarray and _np_kind(a.dtype) == "f" and a.dtype != np.float16:
        # (float16 is the exception: there NumPy's clip is the slower of the two)
        # the missing bound: an infinity beside a scalar bound (clip is vectorised with two
        # scalars, maximum against one is not), None beside an array bound (clip with an array
        # and a scalar takes a slow loop; with None it is the maximum/minimum of two arrays)
        if lo is None:
            lo = None if _is_array(hi) else a.dtype.type(-np.inf)
        if hi is None:
            hi = None if _is_array(lo) else a.dtype.type(np.inf)
        r = np.clip(a, lo, hi, out=out if a.dtype in _CLIP_IN_PLACE else None)
        # (ml_dtypes' bfloat16 clips in float32: rounding back is exact, the values are a's or a bound's)
        return r if r.dtype == a.dtype else r.astype(a.dtype)
    if lo is not None:
        a = xp.maximum(a, lo)
    if hi is not None:
        a = xp.minimum(a, hi)
    return a


def _is_array(bound) -> bool:
    return bound.__class__ is np.ndarray and bound.ndim > 0
