"""float32 <-> float16 casts of NumPy arrays at full speed for every value, bit for bit NumPy's.

NumPy's casts take a slow path for each value at the edges of float16's range: a float32 value
that rounds to a float16 subnormal (below 2**-14 in magnitude) or overflows to inf costs ~100 ns
instead of ~2 ns (the cast raises the floating-point underflow/overflow flag per value), and a
float16 subnormal widened to float32 ~10 ns instead of ~1 ns. A float16 gradient is often full of
such values — softmax's, a loss's 1/N scaled ones — and every float16 kernel of tensorgraft widens
its operands and rounds its result (``ops/_bfloat16.py``), so one backward of a float16 softmax
over 256K values spent 35 ms in casts where PyTorch's whole step takes 0.4 ms. Here a strided
sample of each array decides: without such values it is NumPy's cast itself; with them the edge
values are rounded by arithmetic (subnormals as multiples of 2**-24, ties to even, as IEEE and
NumPy round) and the rest cast at full speed, or widened through a 65536-entry table.
"""
from __future__ import annotations

import numpy as np

F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)

_MIN_NORMAL_BITS = np.uint32(np.float32(2.0 ** -14).view(np.uint32))  # float16's smallest normal
_OVERFLOW_BITS = np.uint32(np.float32(65520.0).view(np.uint32))  # from here float32 rounds to inf
_INF_BITS = np.uint32(0x7F800000)
_MAGNITUDE = np.uint32(0x7FFFFFFF)
_SUBNORMAL_SCALE = np.float32(2.0 ** 24)  # float16 subnormals are the multiples of 2**-24
_SIGN16 = np.uint16(0x8000)
_INF16 = np.uint16(0x7C00)
# below this many values NumPy's cast is cheap whatever they are; a sample of every 61st value finds
# an array that is mostly edge values (a few of them cost NumPy's cast little)
_SMALL = 4096
_STRIDE = 61
_TABLE = []  # the float32 value of each float16 bit pattern, made at the first need (256 KB)


def _edges(bits):
    """Masks of the float32 values (as uint32 bits) that round to a nonzero float16 subnormal and
    of those that overflow float16 to inf (finite ones only: inf and NaN cast fast)."""
    magnitude = bits & _MAGNITUDE
    tiny = (magnitude - np.uint32(1)) < (_MIN_NORMAL_BITS - np.uint32(1))  # (0 wraps around: not tiny)
    huge = (magnitude >= _OVERFLOW_BITS) & (magnitude < _INF_BITS)
    return tiny, huge


def to_float16(a):
    """``a.astype(float16)`` for a float32 NumPy array, bit for bit, without NumPy's slow path."""
    if a.size < _SMALL or not a.flags.c_contiguous:
        return a.astype(F16)
    bits = a.reshape(-1).view(np.uint32)
    tiny, huge = _edges(bits[::_STRIDE])
    if not (tiny.any() or huge.any()):
        return a.astype(F16)
    tiny, huge = _edges(bits)
    flat = a.reshape(-1)
    out = np.where(tiny | huge, np.float32(0), flat).astype(F16)
    out_bits = out.view(np.uint16)
    at = np.flatnonzero(tiny)
    if at.size:
        small = flat[at]
        rounded = np.rint(np.abs(small) * _SUBNORMAL_SCALE).astype(np.uint16)  # (1024: the smallest normal)
        out_bits[at] = rounded | ((bits[at] >> np.uint32(16)).astype(np.uint16) & _SIGN16)
    at = np.flatnonzero(huge)
    if at.size:
        out_bits[at] = _INF16 | ((bits[at] >> np.uint32(16)).astype(np.uint16) & _SIGN16)
    return out.reshape(a.shape)


def from_float16(h):
    """``h.astype(float32)`` for a float16 NumPy array, bit for bit, without NumPy's slow path."""
    if h.size < _SMALL or not h.flags.c_contiguous:
        return h.astype(F32)
    bits = h.reshape(-1).view(np.uint16)
    sample = bits[::_STRIDE]
    if not np.any(((sample & _INF16) == 0) & ((sample & np.uint16(0x03FF)) != 0)):
        return h.astype(F32)
    if not _TABLE:
        _TABLE.append(np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(F16).astype(F32))
    return np.take(_TABLE[0], bits).reshape(h.shape)
