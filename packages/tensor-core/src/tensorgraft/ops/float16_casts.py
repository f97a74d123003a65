"""float32 <-> float16 casts of NumPy arrays at full speed for every value, bit for bit NumPy's.

NumPy's casts take a slow path for each value at the edges of float16's range: a float32 value
that rounds to a float16 subnormal (below 2**-14 in magnitude) or overflows to inf costs ~100 ns
instead of ~2 ns (the cast raises the floating-point underflow/overflow flag per value), and a
float16 subnormal widened to float32 ~10 ns instead of ~1 ns. A float16 gradient is often full of
such values — softmax's, a loss's 1/N scaled ones — and every float16 kernel of tensorgraft widens
its operands and rounds its result (``ops/_bfloat16.py``), so one backward of a float16 softmax
over 256K values spent 35 ms in casts where PyTorch's whole step takes 0.4 ms. Here a strided
sample of each array decides: without such values it is NumPy's cast itself; with them every value
is rounded by integer arithmetic on its bits (``round_to_float16_``: ties to even, subnormals as
multiples of 2**-24, as IEEE and NumPy round) and its float16 bits then read off exactly, or
widened through a 65536-entry table.

``round_to_float16_`` rounds a float32 array to float16's values in place, staying float32 (what a
kernel that emulates a chain of float16 ops does between them: PyTorch's optimizers on float16
parameters), by integer arithmetic on the bits: ~5x faster than the two casts there and back.
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
_INF16 = np.uint16(0x7C00)
# for the bit arithmetic of round_to_float16_ and _to_float16_by_bits
_U32 = np.dtype(np.uint32)
_KEEP_HALF_BITS = np.uint32(0xFFFFE000)  # float16 keeps 10 of float32's 23 significand bits
_HALF_ULP_BELOW = np.uint32(0x0FFF)  # (added with the kept lowest bit: round to nearest, ties to even)
_NORMAL_SPAN = _OVERFLOW_BITS - _MIN_NORMAL_BITS  # magnitudes whose rounding is the bit arithmetic
_TINY_FROM = np.uint32(2 ** 32 - int(_MIN_NORMAL_BITS))  # (below the smallest normal, after wrapping)
_SIGN32 = np.uint32(0x80000000)
_THIRTEEN_OCTAVES = np.uint32(13 << 23)  # added to an exponent: 2**13 times the value
_HALF_PAYLOAD = np.uint32(0x007FE000)  # the NaN payload bits float16 keeps
_LOWEST_HALF_PAYLOAD = np.uint32(0x00002000)
_REBIAS = np.uint32((127 - 15) << 10)  # float32's exponent bias against float16's, in float16's bit places
_INF16_32 = np.uint32(_INF16)
_HALF_SIGNIFICAND = np.uint32(0x03FF)
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
    if a.size < _SMALL:
        return a.astype(F16)
    contiguous = a.flags.c_contiguous
    if not contiguous and a.flags.f_contiguous:  # (a transposed product: a weight's gradient)
        return to_float16(a.T).T  # (keeps its layout, as NumPy's cast)
    sample = a.reshape(-1)[::_STRIDE] if contiguous else a.flat[::_STRIDE]
    tiny, huge = _edges(sample.view(np.uint32))
    if (np.count_nonzero(tiny) + np.count_nonzero(huge)) * 32 <= sample.size:
        # none, or so few (~3% at most) that NumPy's slow path on them costs less than a pass of
        # arithmetic over every value
        return a.astype(F16)
    flat = a.reshape(-1) if contiguous else np.ascontiguousarray(a).reshape(-1)
    return _to_float16_by_bits(flat).reshape(a.shape)


def _to_float16_by_bits(flat):
    """``to_float16`` of a 1-D float32 array with edge values: rounded to float16's values by
    ``round_to_float16_`` (on a copy), then each value's float16 bits, which are exact now: the
    exponent rebiased for normal values, the count of 2**-24 steps for subnormals, and inf or the NaN
    payload float16 keeps. Five times faster than NumPy's cast where a third of the values are
    float16 subnormals (a gradient's, an optimizer state's)."""
    rounded = flat.copy()
    round_to_float16_(rounded)
    bits = rounded.view(_U32)
    magnitude = bits & _MAGNITUDE
    half = magnitude >> np.uint32(13)
    half -= _REBIAS  # (wraps around below float16's smallest normal: replaced below)
    small = magnitude < _MIN_NORMAL_BITS  # subnormals and zeros
    if small.any():
        steps = np.abs(rounded)
        steps *= _SUBNORMAL_SCALE
        np.copyto(half, steps.astype(_U32), where=small)
    special = np.flatnonzero(magnitude >= _INF_BITS)
    if special.size:
        half[special] = _INF16_32 | ((magnitude[special] >> np.uint32(13)) & _HALF_SIGNIFICAND)
    sign = bits >> np.uint32(16)
    sign &= np.uint32(0x8000)
    half |= sign
    return half.astype(np.uint16).view(F16)


def round_to_float16_(a) -> None:
    """Round the float32 NumPy array ``a`` in place to the float16 values it casts to: the same
    values as ``a.astype(float16).astype(float32)``, bit for bit (NaN payloads included), without
    the two casts. Where every magnitude is normal for float16 (or zero), by adding half a float16
    step to the bits (plus the kept lowest bit, for ties to even) and clearing the 13 dropped bits;
    otherwise by float32 arithmetic (``_round_by_magic_constants``), with overflows made infinities
    and NaNs keeping what NumPy's casts keep of them."""
    if a.dtype != F32 or not a.flags.c_contiguous or a.size < _SMALL:
        with np.errstate(all="ignore"):
            a[...] = a.astype(F16).astype(F32)
        return
    flat = a.reshape(-1)
    bits = flat.view(_U32)
    offset = bits & _MAGNITUDE
    offset -= _MIN_NORMAL_BITS  # (wraps around below the smallest normal; a zero lands on _TINY_FROM)
    edge = offset >= _NORMAL_SPAN
    at = None
    if edge.any():
        edge &= offset != _TINY_FROM  # (zeros: the bit arithmetic keeps them)
        edges = int(np.count_nonzero(edge))
        if edges * 64 > flat.size:  # (a tiny gradient, an optimizer's squared-gradient average)
            _round_by_magic_constants(flat)
            return
        if edges:  # a few: by the magic constants too, those alone
            at = np.flatnonzero(edge)
            edge_values = flat[at]
            _round_by_magic_constants(edge_values)
    lowest_kept = bits >> np.uint32(13)
    lowest_kept &= np.uint32(1)
    lowest_kept += _HALF_ULP_BELOW
    bits += lowest_kept
    bits &= _KEEP_HALF_BITS
    if at is not None:
        flat[at] = edge_values


def _round_by_magic_constants(flat) -> None:
    """``round_to_float16_`` for values with float16 subnormals or overflows among them: for
    ``|x|`` in [2**e, 2**(e+1)), ``(|x| + 2**(e+13)) - 2**(e+13)`` rounds ``|x|`` to float16's step
    2**(e-10) by float32's own round-to-nearest-even, and with ``e`` held at -14 below float16's
    normals to its subnormal step 2**-24 (zeros stay zeros) - one formula for every value."""
    magic = flat.view(_U32) & _INF_BITS  # (the exponent field)
    np.maximum(magic, _MIN_NORMAL_BITS, out=magic)
    magic += _THIRTEEN_OCTAVES
    magic = magic.view(F32)
    rounded = np.abs(flat)
    rounded += magic
    rounded -= magic
    # overflows (65520 and up round to 65536), infinities and NaNs (inf - inf): few, if any
    special = np.flatnonzero(~(rounded <= np.float32(65504.0)))
    special_values = _big_values(flat[special]) if special.size else None
    np.copysign(rounded, flat, out=flat)
    if special_values is not None:
        flat[special] = special_values


def _big_values(values):
    """float16's values of float32 overflows and infinities (inf of their sign) and NaNs (NumPy's
    casts keep a NaN's sign and its 10 highest payload bits, and set the lowest of those if none is
    set, so that it stays a NaN), by the same bit arithmetic."""
    bits = values.view(_U32)
    out = bits & _SIGN32
    out |= _INF_BITS
    nan = np.flatnonzero((bits & _MAGNITUDE) > _INF_BITS)
    if nan.size:
        payload = bits[nan] & _HALF_PAYLOAD
        payload[payload == 0] = _LOWEST_HALF_PAYLOAD
        out[nan] |= payload
    return out.view(F32)


def from_float16(h):
    """``h.astype(float32)`` for a float16 NumPy array, bit for bit, without NumPy's slow path."""
    if h.size < _SMALL:
        return h.astype(F32)
    if not h.flags.c_contiguous:
        if h.flags.f_contiguous:
            return from_float16(h.T).T
        h = np.ascontiguousarray(h)
    bits = h.reshape(-1).view(np.uint16)
    sample = bits[::_STRIDE]
    if not np.any(((sample & _INF16) == 0) & ((sample & np.uint16(0x03FF)) != 0)):
        return h.astype(F32)
    if not _TABLE:
        _TABLE.append(np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(F16).astype(F32))
    return np.take(_TABLE[0], bits).reshape(h.shape)
