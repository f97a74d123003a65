"""PyTorch's SIMD float32 ``log`` and ``sin``/``cos``, bit for bit, for the random stream's normals.

PyTorch's CPU kernels for float32 normals (AVX2 and AVX512 builds) do not call the C library: they
evaluate Cephes' single-precision algorithms on eight lanes at once (``log256_ps`` and
``sincos256_ps`` of ``avx_mathfun.h``, Julien Pommier's SSE port of Cephes widened to AVX): an
exponent/mantissa split or a reduction by multiples of pi/4, then fixed float32 polynomials. The
compiler (GCC, ``-mfma``) contracts each ``a * b + c`` of the polynomial evaluation into one fused
multiply-add, rounded once. The results differ from correctly rounded ``log``/``sin``/``cos`` (and
from NumPy's) by an ulp in about a third of the values, so the random stream repeats the
algorithms step by step here:

- every plain float32 operation is a NumPy float32 operation (the same IEEE rounding);
- every fused multiply-add of float32 values is computed in float64, where the product is exact,
  and rounded to float32 once. The float64 sum is itself rounded, which could in principle
  round a second time the wrong way; checked over all 2**24 inputs each function receives from
  the sampler (``1 - u`` and ``2 pi u`` for ``u = k * 2**-24``), against an emulation rounding
  to odd first, it never changes a result;
- contractions whose product is exact in float32 (by 2, by 0.5, the first two pi/4 reduction
  steps, ``e * 0.693359375``) stay plain float32 operations: fused or not, they round the same.

Which ``a * b + c`` are fused was found by comparing with PyTorch: all of them (with any one of
them left unfused, between 3 and 300,000 of the 2**24 inputs get another result). Inputs are
processed in chunks that stay in the CPU cache. Only the inputs the sampler produces are supported: ``log`` of
normal positive floats, ``sincos`` of non-negative finite floats below 2**24 (no NaN/infinity
paths; Cephes' sign handling for negative angles is not needed).
"""
from __future__ import annotations

import numpy as np

__all__ = ["log_ps", "sincos_ps"]

_F32 = np.float32
# elements per chunk: float64 temporaries of 256 KiB, inside the L2 cache
_CHUNK = 1 << 15

# Cephes logf: log(1 + x) = x - x**2 / 2 + x**3 * P(x) for x in [sqrt(1/2) - 1, sqrt(2) - 1],
# P of degree 8 (Horner, highest coefficient first), plus e * log(2) split in two parts
_LOG_P = tuple(float(_F32(c)) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LOG_Q1 = _F32(-2.12194440e-4)
_LOG_Q2 = _F32(0.693359375)
_SQRT_HALF = _F32(0.707106781186547524)
# the same split on the bits: mantissa field, its value for sqrt(1/2), the exponent field of 0.5
_MANTISSA = np.int32(0x7F_FFFF)
_SQRT_HALF_MANTISSA = np.int32(_SQRT_HALF.view(np.int32) & 0x7F_FFFF)
_HALF_BITS = np.int32(0x3F00_0000)

# Cephes sinf/cosf: reduction by j * pi/4 (pi/4 in three parts, the first two short enough that
# j * part is exact), then polynomials in z = x**2 on [-pi/4, pi/4]
_FOUR_OVER_PI = _F32(1.27323954473516)
_DP1 = _F32(-0.78515625)
_DP2 = _F32(-2.4187564849853515625e-4)
_DP3 = float(_F32(-3.77489497744594108e-8))
_COS = tuple(float(_F32(c)) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2))
_SIN = tuple(float(_F32(c)) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))


def _horner(x64, coefs, y32, t64):
    """``y32 = fma(... fma(c0, x, c1) ..., x, cn)`` with every step rounded to float32 once:
    the product of two float32 values is exact in float64."""
    np.multiply(x64, coefs[0], out=t64)
    np.add(t64, coefs[1], out=y32, casting="same_kind")
    for c in coefs[2:]:
        np.multiply(y32, x64, out=t64)
        np.add(t64, c, out=y32, casting="same_kind")
    return y32


def log_ps(x):
    """Natural log of the float32 array ``x`` (positive, normal) as ``log256_ps`` computes it."""
    x = np.ascontiguousarray(x, dtype=_F32).reshape(-1)
    out = np.empty_like(x)
    for i in range(0, x.size, _CHUNK):
        _log_chunk(x[i:i + _CHUNK], out[i:i + _CHUNK])
    return out


def _log_chunk(x, out):
    n = x.size
    # x = m * 2**e with m in [0.5, 1) (on the bits, as the C code does); below sqrt(1/2) take 2m
    # and e - 1 instead: f = m - 1 in [sqrt(1/2) - 1, sqrt(2) - 1), exact
    bits = x.view(np.int32)
    mant = bits & _MANTISSA
    low = mant < _SQRT_HALF_MANTISSA
    mant |= _HALF_BITS
    mant += np.left_shift(low, 23, dtype=np.int32)  # exponent + 1: 2m
    f = mant.view(_F32)
    f -= _F32(1.0)
    ex = bits >> 23
    ex -= low
    e = np.subtract(ex, 126, out=ex).astype(_F32)
    z = f * f
    t64 = np.empty(n)
    y = _horner(f.astype(np.float64), _LOG_P, np.empty(n, dtype=_F32), t64)
    y *= f
    # y * z + e * q1, fused
    np.multiply(y, z.astype(np.float64), out=t64)
    np.multiply(e, _LOG_Q1, out=y)
    np.add(t64, y, out=y, casting="same_kind")
    z *= _F32(0.5)
    y -= z
    np.add(f, y, out=out)
    e *= _LOG_Q2  # exact: e has at most 8 bits, q2 9
    out += e


def sincos_ps(x):
    """``(sin(x), cos(x))`` of the float32 array ``x`` (non-negative, below 2**24) as
    ``sincos256_ps`` computes them."""
    x = np.ascontiguousarray(x, dtype=_F32).reshape(-1)
    sin, cos = np.empty_like(x), np.empty_like(x)
    for i in range(0, x.size, _CHUNK):
        _sincos_chunk(x[i:i + _CHUNK], sin[i:i + _CHUNK], cos[i:i + _CHUNK])
    return sin, cos


def _sincos_chunk(x, sin, cos):
    n = x.size
    # j: x * 4/pi truncated, then rounded up to even (the octant pair, 0 to 8 here); y = j as float
    j = np.multiply(x, _FOUR_OVER_PI).astype(np.int32)
    j += 1
    j &= -2
    y = j.astype(_F32)
    # x - j * pi/4 in three steps: the first two products are exact, the last one fused
    r = np.multiply(y, _DP1)
    r += x
    t = np.multiply(y, _DP2)
    r += t
    t64 = np.empty(n)
    np.multiply(y, _DP3, out=t64, dtype=np.float64)
    np.add(t64, r, out=r, casting="same_kind")
    z = r * r
    z64 = z.astype(np.float64)
    # cos polynomial: ((c0 z + c1) z + c2) z z - z / 2 + 1, the last product fused with the subtraction
    c = _horner(z64, _COS, np.empty(n, dtype=_F32), t64)
    c *= z
    np.multiply(c, z64, out=t64)
    np.multiply(z, _F32(0.5), out=c)
    np.subtract(t64, c, out=c, casting="same_kind")
    c += _F32(1.0)
    # sin polynomial: ((s0 z + s1) z + s2) z x + x, the last product fused with the addition
    s = _horner(z64, _SIN, y, t64)
    s *= z
    np.multiply(s, r, out=t64, dtype=np.float64)
    np.add(t64, r, out=s, casting="same_kind")
    # octants 2 and 6 (mod 8) swap the polynomials (a bitwise select, as the C code does it); sin's
    # sign flips in octants 4 and 6, cos's in 2 and 4
    si, ci = s.view(np.int32), c.view(np.int32)
    swap = j >> 1
    swap &= 1
    np.negative(swap, out=swap)
    diff = np.bitwise_xor(si, ci)
    diff &= swap
    sign = j & 4
    sign <<= 29
    np.bitwise_xor(si, diff, out=sin.view(np.int32))
    sin.view(np.int32)[...] ^= sign
    j += 2
    j &= 4
    j <<= 29
    np.bitwise_xor(ci, diff, out=cos.view(np.int32))
    cos.view(np.int32)[...] ^= j
