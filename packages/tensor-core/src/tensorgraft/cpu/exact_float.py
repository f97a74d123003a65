"""Float64 arithmetic rounded as PyTorch's compiled CPU kernels round it, for NumPy arrays.

The CPU random stream (``random_stream.py``) must reproduce PyTorch's values to the last bit, and
two things NumPy does not give directly stand in the way:

- the kernels are compiled with fused multiply-add, so ``x * scale + shift`` is rounded *once*
  (``fma``); NumPy has no FMA, so it is emulated exactly here;
- they call the C library's ``log``/``log1p``/``exp``/``tan`` (glibc on Linux), whose last bit
  differs from NumPy's own vectorised versions in a fraction of a percent (``log``) to several
  percent (``log1p``) of the inputs where NumPy has SIMD versions (AVX-512 builds). Python's
  ``math`` calls the same C library, so ``libm(math.log1p, x)`` gives the C library's bits, one
  element at a time unless NumPy's function proves to be the C library's. (Vectorising it by
  rounding an 80-bit ``long double`` log and sending near-ties to the C library was tried: exact,
  but slower than the loop, long double arithmetic being slow.)

``sin``, ``cos`` and ``sqrt`` need nothing: NumPy's float64 results equal the C library's.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["fma", "libm"]

_SPLITTER = 134217729.0  # 2**27 + 1: Veltkamp's constant for splitting a double into two halves


def _split(x):
    t = _SPLITTER * x
    hi = t - (t - x)
    return hi, x - hi


def fma(a, b, c):
    """``a * b + c`` rounded once, elementwise (float64 arrays or scalars; returns an array).

    Boldo and Melquiond's emulation: the product's rounding error (Dekker) and the sum's
    (Knuth's TwoSum) are exact; adding the two errors *rounded to odd* and that to the rounded sum
    gives the correctly rounded result. Non-finite or overflowing elements fall back to
    ``a * b + c`` (their error terms mean nothing, and the FMA gives the same inf/nan there)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        s = p + c
        bb = s - p
        s_err = (p - (s - bb)) + (c - bb)
        v = s_err + p_err
        bv = v - s_err
        v_err = (s_err - (v - bv)) + (p_err - bv)
        # round v to odd: an inexact v with an even last bit moves one ulp towards the exact sum
        even = (np.asarray(v).view(np.int64) & 1) == 0
        fix = (v_err != 0) & even
        if np.any(fix):
            v = np.where(fix, np.nextafter(v, np.where(v_err > 0, np.inf, -np.inf)), v)
        r = s + v
        bad = ~np.isfinite(r) | ~np.isfinite(p_err)
        if np.any(bad):
            r = np.where(bad, p + c, r)
    return r


# Up to this many elements libm() loops through the C library for its exact bits (at most ~0.1 ms);
# larger arrays take NumPy's vectorised function, at most one ulp away in a few percent of elements
# (the same closeness float32 normals have): bit-exactness for what people print, speed for bulk draws.
EXACT_LIMIT = 1024


def libm(fn, x):
    """``fn`` (``math.log``, ``log1p``, ``exp`` or ``tan``) of every element of the float64 array
    ``x``: the C library's bits. NumPy's own function where it gives the same bits on this machine
    (NumPy builds without a vectorised version call the C library; checked once per function) or
    where ``x`` has more than ``EXACT_LIMIT`` elements, else one element at a time through ``math``
    (about 0.1 us an element)."""
    x = np.asarray(x, dtype=np.float64)
    same = x.size > EXACT_LIMIT or _NUMPY_IS_LIBM.get(fn)
    if same is None:
        same = _NUMPY_IS_LIBM[fn] = _numpy_matches(fn)
    if same:
        with np.errstate(all="ignore"):
            return _NUMPY_TWIN[fn](x)
    values = x.ravel().tolist()
    try:
        out = np.fromiter(map(fn, values), dtype=np.float64, count=x.size)
    except (ValueError, OverflowError):  # log(0), exp(1000): C gives -inf/inf/nan where math raises
        out = np.fromiter((_ieee(fn, v) for v in values), dtype=np.float64, count=x.size)
    return out.reshape(x.shape)


_NUMPY_TWIN = {math.log: np.log, math.log1p: np.log1p, math.exp: np.exp, math.tan: np.tan}
# where the samplers call each function (the probe covers it)
_PROBE_RANGE = {math.log: (2.0 ** -20, 1.0), math.log1p: (-1.0 + 2.0 ** -20, 0.0), math.exp: (-40.0, 40.0),
                math.tan: (-1.5707963, 1.5707963)}
_NUMPY_IS_LIBM: dict = {}


def _numpy_matches(fn) -> bool:
    """Whether NumPy's twin of ``fn`` gives the C library's bits: on 4096 fixed inputs (a vectorised
    NumPy version differs in 0.3%-7% of them, so it would not pass by chance)."""
    lo, hi = _PROBE_RANGE[fn]
    x = lo + (hi - lo) * ((np.arange(4096) * 0.6180339887498949) % 1.0)
    return bool(np.array_equal(_NUMPY_TWIN[fn](x), np.fromiter(map(fn, x.tolist()), dtype=np.float64, count=x.size)))


def _ieee(fn, v):
    """``fn(v)`` with the C library's special values instead of ``math``'s exceptions."""
    try:
        return fn(v)
    except (ValueError, OverflowError):
        with np.errstate(all="ignore"):
            return float(_NUMPY_TWIN[fn](np.float64(v)))
