"""Complex ``pow`` computed as PyTorch's CPU kernels compute it (checked element for element).

PyTorch's complex pow is the C library's ``cpow`` (glibc: ``cexp(y * clog(x))``, the product taken
with C99's Annex G rules for infinities), except for the Python-number exponents its kernel
special-cases: 0.5 is ``sqrt``, -0.5 is ``1 / sqrt``, 2 and 3 are products, -1 and -2 reciprocals.
NumPy's ``power`` agrees with ``cpow`` for exponents with an imaginary part and a nonzero base, but
for integer exponents it multiplies repeatedly, and for a zero base it answers from its own rules —
both differ from PyTorch (``(1j) ** 1`` is ``6e-17+1j`` there, ``0 ** 0`` NaN). So:

- real exponents (a Python number, or a tensor whose imaginary parts are 0): ``exp(y * log(x))``
  with the C99 product (equal to ``cpow`` for these, bit for bit);
- exponents with an imaginary part: NumPy's ``power`` (``cpow``), the C99 form where the base is 0.
"""
from __future__ import annotations

import numpy as np

from . import complex_unary

# Python-number exponents PyTorch's kernel computes otherwise; NumPy's power matches it for these
_NUMPY_POWER_NUMBERS = (2, 3, 0, 1)


def c99_multiply(xp, a, b):
    """``a * b`` of complex arrays as C99 (Annex G) multiplies: the textbook formula, and where both
    parts come out NaN, infinities recovered from the infinite factor (glibc's ``__muldc3``)."""
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    ac, bd, ad, bc = ar * br, ai * bi, ar * bi, ai * br
    # (parts assigned, not ``re + 1j * im``: that product would turn an infinite im into a NaN re)
    out = xp.empty(np.broadcast_shapes(a.shape, b.shape), np.result_type(a.dtype, b.dtype))
    out.real, out.imag = ac - bd, ad + bc
    lost = xp.isnan(out.real) & xp.isnan(out.imag)
    if not lost.any():
        return out
    # recovery, vectorised over the lost elements
    ar, ai, br, bi = (xp.broadcast_to(v, out.shape)[lost] for v in (ar, ai, br, bi))
    ac, bd, ad, bc = (xp.broadcast_to(v, out.shape)[lost] for v in (ac, bd, ad, bc))
    a_inf = xp.isinf(ar) | xp.isinf(ai)
    b_inf = xp.isinf(br) | xp.isinf(bi)

    def box(x):  # an infinite part becomes +-1, a finite one +-0
        return xp.copysign(xp.where(xp.isinf(x), 1.0, 0.0).astype(x.dtype), x)

    def unnan(x):
        return xp.where(xp.isnan(x), xp.copysign(xp.zeros((), x.dtype), x), x)
    ar2, ai2 = xp.where(a_inf, box(ar), ar), xp.where(a_inf, box(ai), ai)
    br2, bi2 = xp.where(a_inf, unnan(br), br), xp.where(a_inf, unnan(bi), bi)
    br2, bi2 = xp.where(b_inf, box(br2), br2), xp.where(b_inf, box(bi2), bi2)
    ar2, ai2 = xp.where(b_inf, unnan(ar2), ar2), xp.where(b_inf, unnan(ai2), ai2)
    overflow = ~a_inf & ~b_inf & (xp.isinf(ac) | xp.isinf(bd) | xp.isinf(ad) | xp.isinf(bc))
    ar2, ai2, br2, bi2 = (xp.where(overflow, unnan(v), v) for v in (ar2, ai2, br2, bi2))
    recalc = a_inf | b_inf | overflow
    inf = np.inf
    re = xp.where(recalc, inf * (ar2 * br2 - ai2 * bi2), out.real[lost])
    im = xp.where(recalc, inf * (ar2 * bi2 + ai2 * br2), out.imag[lost])
    fixed = out[lost]
    fixed.real, fixed.imag = re, im
    out[lost] = fixed
    return out


def _exp_log(xp, a, y):
    """``cexp(y * clog(a))``: glibc's cpow."""
    with np.errstate(all="ignore"):
        return xp.exp(c99_multiply(xp, xp.asarray(y, dtype=a.dtype), xp.log(a))).astype(a.dtype, copy=False)


def complex_pow(xp, a, b):
    """``a ** b`` for a complex array ``a`` and a Python number or array ``b`` (same dtype after
    promotion), as PyTorch's CPU kernel."""
    if not isinstance(b, xp.ndarray):  # a Python number (a NumPy scalar here); a 0-d tensor is an array
        y = complex(b)
        if y == 0.5:
            return xp.sqrt(a)
        # -0.5, -1, -2: PyTorch's rsqrt and reciprocal kernels (1 / 0 is inf+nanj, 1 / inf is 0),
        # whose CPU rounding complex_unary repeats
        if y == -0.5:
            return complex_unary.rsqrt(a) if xp is np else (1 / xp.sqrt(a)).astype(a.dtype, copy=False)
        if y in (-1, -2):
            base = a if y == -1 else xp.power(a, a.dtype.type(2))
            return complex_unary.reciprocal(base) if xp is np else (1 / base).astype(a.dtype, copy=False)
        if y.imag == 0 and y.real in _NUMPY_POWER_NUMBERS:
            return xp.power(a, a.dtype.type(y))
        if y.imag == 0:
            return _exp_log(xp, a, xp.full((), y, a.dtype))
        with np.errstate(all="ignore"):
            general = xp.power(a, a.dtype.type(y))
        return xp.where(a == 0, _exp_log(xp, a, xp.full((), y, a.dtype)), general)
    b = xp.asarray(b)
    if b.dtype.kind != "c":
        b = b.astype(a.dtype)
    with np.errstate(all="ignore"):
        general = xp.power(a, b)
    special = (b.imag == 0) | (a == 0)
    if not special.any():
        return general
    return xp.where(special, _exp_log(xp, a, b), general)
