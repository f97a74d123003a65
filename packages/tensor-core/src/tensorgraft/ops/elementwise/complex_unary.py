"""CPU kernels for complex64/complex128 one-tensor math ops that round as PyTorch's CPU kernels.

PyTorch computes these with formulas of its own (``c10/util/complex*.h``, and the AVX-512
``Vectorized<c10::complex<T>>`` classes of ATen's CPU kernels), which NumPy's complex ufuncs round
differently; each kernel below repeats PyTorch's formula from steps NumPy rounds the same way.
Checked bit for bit against PyTorch 2.13's CPU build on signed zeros, infinities, NaNs, huge and
tiny parts and random values (tests/test_core_complex_unary_numerics.py):

- ``log2``/``log10``: ``log(z)`` with both parts divided by ``ln 2``/``ln 10`` rounded to the part type
- ``reciprocal`` (complex64): ``c10::complex``'s division ``1 / z`` (Smith's algorithm, as NumPy's),
  whose denominator ``c + d * (d / c)`` the compiler fuses into one multiply-add (one rounding)
- ``rsqrt`` = ``reciprocal(sqrt(z))``, ``sigmoid`` = ``reciprocal(1 + exp(0 - z))``, complex128 too
- ``sgn``: ``z / |z|``, 0 where ``|z| == 0``, in either of PyTorch's two roundings (see ``sgn``)
- ``acos`` (complex128): ``pi/2 - asin(z)``, the AVX-512 complex128 kernel's identity

The fused multiply-add NumPy lacks is emulated: float32 operands multiply exactly in float64;
float64 ones use ``np.longdouble`` (x87 80-bit on x86-64: correct but for rare near-ties; where
long double is plain double the product is rounded twice). For complex128 that emulation makes
``reciprocal`` 4x slower than NumPy's division, so that op keeps NumPy's unfused one (an ulp off
PyTorch's in ~8% of values); ``rsqrt`` and ``sigmoid``, dearer, take it (~1.6x their NumPy cost).
Left to NumPy, as no cheap formula gives PyTorch's values: complex ``abs`` (Sleef's correctly
rounded ``hypot``: libm's costs 15x NumPy's ``absolute``), ``angle`` (Sleef's ``atan2``),
``square`` (unfused ``a*a - b*b``: ~8x NumPy's fused ``z**2``), ``log1p`` (it needs the complex
``log``, 2x NumPy's ``log1p``) and ``expm1`` (glibc's float32 ``sin``/``cos``/``expm1f``).
Only the CPU table gets these kernels: CuPy keeps its own complex ufuncs.
"""
from __future__ import annotations

import math

import numpy as np

from .branch_free import select as _select

_F32 = np.dtype(np.float32)
_C64 = np.dtype(np.complex64)
_INTS = {4: np.int32, 8: np.int64}


def _arrays(kernel):
    """``kernel`` made to take 0-d arrays too (NumPy's ufuncs return scalars for them, which
    take no ``out=``): it sees a 1-element array."""
    def run(z):
        if z.ndim == 0:
            return kernel(z.reshape(1)).reshape(())
        return kernel(z)
    run.__name__ = run.__qualname__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    return run


def _pack(re, im):
    """A complex array from its parts (not ``re + 1j * im``: ``inf * 1j`` puts NaN in the real part)."""
    out = np.empty(re.shape, _C64 if re.dtype == _F32 else np.complex128)
    out.real = re
    out.imag = im
    return out


def _fma(a, b, c):
    """``a * b + c`` rounded once (or as near as NumPy gets): ``c`` may be a part array or a scalar."""
    if a.dtype == _F32:  # the float32 product is exact in float64; the sum rounds twice only in near-ties
        w = a.astype(np.float64)
        w *= b
        w += c
        return w.astype(_F32)
    w = a.astype(np.longdouble)
    w *= b
    w += c
    return w.astype(a.dtype)


def _reciprocal_parts(c, d):
    """``1 / (c + d i)`` as ``c10::complex``'s ``operator/`` computes it (compiled with fused
    multiply-adds): the real and imaginary parts."""
    big = np.abs(c) >= np.abs(d)  # False where either is NaN, as the C++ comparison
    m = _select(np, big, c, d)    # the divisor's larger part (a blend: np.where branches per element)
    ints = _INTS[m.dtype.itemsize]  # the other part: c ^ d ^ m, bit by bit
    n = np.bitwise_xor(c.view(ints), d.view(ints))
    n ^= m.view(ints)
    n = n.view(m.dtype)
    rat = n / m
    scl = _fma(n, rat, m)
    np.divide(1, scl, out=scl)
    # with a = 1, b = 0: re = (a + b*rat) scl, im = (b - a*rat) scl where |c| >= |d|, else
    # re = (a*rat + b) scl, im = (b*rat - a) scl; each fused sum is rounded once, so they are 1,
    # 0 - rat, rat + 0 (-0 turns +0) and -1 (a NaN rat makes scl NaN, which carries it)
    one = c.dtype.type(1)
    re = _select(np, big, one, rat + 0)
    im = _select(np, big, 0 - rat, -one)
    re *= scl
    im *= scl
    zero = m == 0
    zero &= big
    if zero.any():  # both parts zero: c10 gives a / |c| and b / |d|, inf and NaN
        re[zero] = np.inf
        im[zero] = np.nan
    return re, im


@_arrays
def reciprocal(z):
    if z.dtype != _C64:  # complex128: NumPy's (unfused) division; see the module's docstring
        return 1.0 / z
    with np.errstate(all="ignore"):
        return _pack(*_reciprocal_parts(z.real, z.imag))


def _fused_reciprocal(z):
    with np.errstate(all="ignore"):
        return _pack(*_reciprocal_parts(z.real, z.imag))


@_arrays
def rsqrt(z):
    return _fused_reciprocal(np.sqrt(z))


@_arrays
def sigmoid(z):
    # the vectorised kernel negates as 0 - z (+0 for a zero part), and 1 + w adds 1 to the real
    # part and 0 to the imaginary one (-0 turns +0), as NumPy's 1 + w does
    with np.errstate(all="ignore"):
        w = np.subtract(0, z)
        np.exp(w, out=w)
        w += 1
    return _fused_reciprocal(w)


def _log_base(ln_base):
    def log_base(z):
        w = np.log(z)
        c = w.real.dtype.type(ln_base)  # std::log(2) rounded to the part type, as the kernel's constant
        w.real /= c
        w.imag /= c
        return w
    return log_base


log2 = _arrays(_log_base(math.log(2)))
log10 = _arrays(_log_base(math.log(10)))


# complex values per iteration of PyTorch's vectorised loop (two AVX-512 vectors): the last
# numel % _STEP elements of a dense tensor go through its scalar loop instead
_STEP = {np.dtype(np.complex64): 16, np.dtype(np.complex128): 8}
# complex128 sizes up to which sgn's |z| is libm's hypot (which costs sgn at most 1.3x there)
_EXACT_ABS_MAX = 1024


@_arrays
def sgn(z):
    """PyTorch's two sgn kernels round differently: the vectorised one divides each part by
    ``|z|``, the scalar one (the tail of a dense tensor, all of a tensor with gaps, a tensor of
    fewer elements than ``_STEP``) divides by the complex ``|z| + 0i``, which is ``c10``'s
    multiplication by ``1 / |z|``. ``|z|`` is correctly rounded in both (Sleef's or libm's
    ``hypot``), which ``hypot`` gives; for complex128 libm's ``hypot`` costs 3x the op on large
    tensors, so beyond ``_EXACT_ABS_MAX`` elements NumPy's ``absolute`` stands in (within an ulp).
    (Tensors of 32768 elements or more are split among threads, each with its own tail: only the
    last one is taken care of here.)"""
    if not z.flags.c_contiguous and z.ndim > 1:
        # a dense tensor in another dimension order (a transpose): PyTorch's loop takes its
        # elements in memory order, as this C-contiguous view of them
        order = sorted(range(z.ndim), key=lambda i: -z.strides[i])
        zt = z.transpose(order)
        if zt.flags.c_contiguous:
            return sgn(zt).transpose(np.argsort(order))
    flat = z.reshape(-1)
    re, im = flat.real, flat.imag
    h = np.hypot(re, im) if z.dtype == _C64 or flat.size <= _EXACT_ABS_MAX else np.absolute(flat)
    with np.errstate(all="ignore"):
        if z.flags.c_contiguous:
            out = _pack(re / h, im / h)
            tail = flat.size % _STEP[z.dtype]
        else:
            out = np.empty_like(flat)
            tail = flat.size
        if tail:
            t = slice(flat.size - tail, None)
            a, b, r = re[t], im[t], 1 / h[t]
            # (a + b i) / (|z| + 0 i) in c10's division: (a + b*0) / |z|... as products with 1 / |z|
            out.real[t] = (a + b * 0) * r
            out.imag[t] = (b - a * 0) * r
    out[h == 0] = 0
    return out.reshape(z.shape)


@_arrays
def acos(z):
    if z.dtype == _C64:
        return np.arccos(z)  # the complex64 kernel calls std::acos, as NumPy
    with np.errstate(all="ignore"):
        w = np.arcsin(z)
        return _pack(math.pi / 2 - w.real, 0 - w.imag)


KERNELS = {"log2": log2, "log10": log10, "rsqrt": rsqrt, "sigmoid": sigmoid, "reciprocal": reciprocal,
           "sgn": sgn, "acos": acos}


def cpu(name, real_kernel):
    """The CPU kernel of op ``name``: ``real_kernel`` for every dtype but complex64/complex128
    (one test of the dtype in front of the real kernel: ~0.08 us a call)."""
    complex_kernel = KERNELS[name]

    def kernel(a):
        if a.dtype.kind == "c":
            return complex_kernel(a)
        return real_kernel(a)
    kernel.__name__ = f"{name}_cpu"
    return kernel
