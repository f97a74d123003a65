"""The ``torch.special`` functions that no other op family holds: scaled error and Bessel
functions, normal-distribution helpers, the incomplete gamma and Hurwitz zeta functions and the
orthogonal polynomials. ``tensorgraft.special`` exposes them under PyTorch's names; the ops carry
ATen's names (``special_erfcx``) so the graph nodes read as PyTorch's (``SpecialErfcxBackward0``).

On CPU the transcendental ones need SciPy (optional: a clear error names it when missing); on
CUDA they use ``cupyx.scipy.special``. The polynomials, ``entr``, ``xlog1py`` and
``spherical_bessel_j0`` are plain array arithmetic and need neither.

Gradients live in ``tensorgraft/autograd/formulas/special_functions.py``.
"""
from __future__ import annotations

import math
import types

import numpy as np

from . import _frontend as F
from ._define import CORE_OPS, binary, unary
from .elementwise import _special
from .special_math import float32_bessel_overflow
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)


def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _sp(xp, name):
    """SciPy's (or CuPy's) special-function module; without SciPy on CPU an error naming it."""
    sp = _special(xp)
    if not isinstance(sp, types.ModuleType):
        raise RuntimeError(f"torch.special.{name} needs SciPy on CPU: pip install scipy")
    return sp


def _ref(name, *pre):
    def ref(*args):
        import scipy.special as sp
        return getattr(sp, name)(*pre, *args)
    return ref


def _float_only(aten, a):
    # PyTorch has no integer kernels for these (and does not promote): the same error
    if _np_kind(a.dtype) != "f":
        raise NotImplementedError(f"\"{aten}_cpu\" not implemented for '{F._type_name(a.dtype)}'")


# =========================================================================== unary, through SciPy
def _real_only(name, xp, a):
    # PyTorch has no complex kernels for these: its dispatch error, raised before any computation
    if _np_kind(a.dtype) == "c":
        where = "cpu" if xp is np else "cuda"
        raise NotImplementedError(f"\"{name}_{where}\" not implemented for '{F._type_name(a.dtype)}'")


_HALF_TYPES = ("float16", "bfloat16")


def _full_only(name, xp, a):
    """PyTorch dispatches these on float32/float64 only: a float16 or bfloat16 operand (after
    promotion) is its dispatch error. Ops that call this are declared ``bf16_native`` so that the
    half-type operand reaches the kernel instead of a float32 copy of it."""
    if getattr(a, "dtype", None) is not None and a.dtype.name in _HALF_TYPES:
        where = "cpu" if xp is np else "cuda"
        raise NotImplementedError(f"\"{name}_{where}\" not implemented for '{F._type_name(a.dtype)}'")


def _scipy_unary(name, sp_name, half=True):
    exp_overflow = sp_name in ("i0", "i1")  # PyTorch's float32 I0/I1 overflow with float32 exp(x)

    def kernel(xp, a):
        _real_only(name, xp, a)
        if not half:
            _full_only(name, xp, a)
        r = getattr(_sp(xp, name), sp_name)(a).astype(a.dtype, copy=False)  # SciPy: float16 in float32
        return float32_bessel_overflow(xp, a, r, odd=sp_name == "i1") if exp_overflow else r
    return kernel


def _unary_samples(lo, hi, seed):
    def samples(dtype, device):
        return [((_mk((2, 3), dtype, device, seed, lo, hi),), {}), ((_mk((), dtype, device, seed + 1, lo, hi),), {})]
    return samples


_SCIPY = ("scipy",)
# differentiable (formulas in autograd/formulas/special_functions.py)
unary("special_erfcx", kernel=_scipy_unary("erfcx", "erfcx", half=False), bf16_native=True, to_float=True, inplace=False, method=False,
      public=False, samples=_unary_samples(-2.0, 3.0, 400), reference=_ref("erfcx"), requires=_SCIPY, elementwise=True)
unary("special_i0e", kernel=_scipy_unary("i0e", "i0e"), to_float=True, inplace=False, method=False, public=False,
      samples=_unary_samples(-3.0, 3.0, 402), reference=_ref("i0e"), requires=_SCIPY, elementwise=True)
unary("special_i1e", kernel=_scipy_unary("i1e", "i1e"), to_float=True, inplace=False, method=False, public=False,
      samples=_unary_samples(0.2, 3.0, 404), reference=_ref("i1e"), requires=_SCIPY, elementwise=True)
unary("special_ndtri", kernel=_scipy_unary("ndtri", "ndtri", half=False), bf16_native=True, to_float=True, inplace=False, method=False,
      public=False, samples=_unary_samples(0.05, 0.95, 406), reference=_ref("ndtri"), requires=_SCIPY,
      elementwise=True)
unary("special_log_ndtr", kernel=_scipy_unary("log_ndtr", "log_ndtr", half=False), bf16_native=True, to_float=True, inplace=False, method=False,
      public=False, samples=_unary_samples(-3.0, 3.0, 408), reference=_ref("log_ndtr"), requires=_SCIPY,
      elementwise=True)


def _entr_kernel(xp, a):
    # -x log x; 0 at 0; -inf below 0; NaN stays NaN (as PyTorch's kernel)
    _real_only("entr", xp, a)
    pos = a > 0
    r = -a * xp.log(xp.where(pos, a, xp.ones((), a.dtype)))
    r = xp.where(pos, r, xp.where(a == 0, xp.zeros((), a.dtype), xp.full((), -np.inf, a.dtype)))
    return xp.where(xp.isnan(a), a, r)


def _entr_ref(a):
    with np.errstate(all="ignore"):
        return np.where(a > 0, -a * np.log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, -np.inf))


unary("special_entr", kernel=_entr_kernel, to_float=True, inplace=False, method=False, public=False,
      samples=_unary_samples(0.2, 3.0, 410), reference=_entr_ref, elementwise=True)

# not differentiable in PyTorch either (their outputs never require grad)
for _name, _spname, _lo, _hi in (("bessel_j0", "j0", -5.0, 5.0), ("bessel_j1", "j1", -5.0, 5.0),
                                  ("bessel_y0", "y0", 0.2, 5.0), ("bessel_y1", "y1", 0.2, 5.0),
                                  ("modified_bessel_i0", "i0", -3.0, 3.0), ("modified_bessel_i1", "i1", -3.0, 3.0),
                                  ("modified_bessel_k0", "k0", 0.2, 3.0), ("modified_bessel_k1", "k1", 0.2, 3.0),
                                  ("scaled_modified_bessel_k0", "k0e", 0.2, 3.0),
                                  ("scaled_modified_bessel_k1", "k1e", 0.2, 3.0)):
    unary("special_" + _name, kernel=_scipy_unary(_name, _spname, half=False), bf16_native=True, to_float=True, inplace=False, method=False,
          public=False, differentiable=False, samples=_unary_samples(_lo, _hi, 420), reference=_ref(_spname),
          requires=_SCIPY, elementwise=True)


# Ai(x) ~ exp(-2/3 x^1.5) underflows to 0 in float64 from about x = 104; SciPy returns NaN far past
# that (x = 1e10) where PyTorch returns the 0 the function really is
_AIRY_UNDERFLOW = 110.0


def _airy_ai_kernel(xp, a):
    _real_only("airy_ai", xp, a)
    _full_only("airy_ai", xp, a)
    if xp is np:
        r = _sp(xp, "airy_ai").airy(a)[0]
    else:
        import scipy.special as host_sp  # cupyx.scipy.special has no airy: computed on the host
        r = xp.asarray(host_sp.airy(xp.asnumpy(a))[0])
    return xp.where(a > _AIRY_UNDERFLOW, xp.zeros((), r.dtype), r).astype(a.dtype, copy=False)


unary("special_airy_ai", kernel=_airy_ai_kernel, bf16_native=True, to_float=True, inplace=False, method=False, public=False,
      differentiable=False, samples=_unary_samples(-3.0, 3.0, 430), reference=lambda a: _ref("airy")(a)[0],
      requires=_SCIPY, elementwise=True)


def _spherical_j0_kernel(xp, a):
    # PyTorch's: a Taylor polynomial below 0.5 (no 0/0 at the origin), sin(x)/x above, 0 at +-inf
    _real_only("spherical_bessel_j0", xp, a)
    _full_only("spherical_bessel_j0", xp, a)
    x2 = a * a
    c = (1.0 / 6227020800.0, -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0)
    poly = x2 * a.dtype.type(c[0])
    for k in c[1:]:
        poly = x2 * (a.dtype.type(k) + poly)
    small = xp.abs(a) < 0.5
    r = xp.where(small, 1.0 + poly, xp.sin(a) / xp.where(small, xp.ones((), a.dtype), a))
    return xp.where(xp.isinf(a), xp.zeros((), a.dtype), r).astype(a.dtype, copy=False)


unary("special_spherical_bessel_j0", kernel=_spherical_j0_kernel, bf16_native=True, to_float=True, inplace=False, method=False,
      public=False, differentiable=False, samples=_unary_samples(-5.0, 5.0, 432),
      reference=lambda a: np.sinc(a / np.pi), elementwise=True)


# =========================================================================== binary
def _xlog1py_kernel(xp, a, b):
    r = a * xp.log1p(b)
    return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), r.dtype), r)


def _pair_samples(lo_a, hi_a, lo_b, hi_b, seed, grad=None):
    def samples(dtype, device):
        from ..testing.conformance import Sample
        pairs = [(_mk((2, 3), dtype, device, seed, lo_a, hi_a), _mk((2, 3), dtype, device, seed + 1, lo_b, hi_b)),
                 (_mk((3,), dtype, device, seed + 2, lo_a, hi_a), _mk((2, 1), dtype, device, seed + 3, lo_b, hi_b))]
        return [Sample(p, {}, grad=grad) for p in pairs]
    return samples


def _xlog1py_ref(a, b):
    return np.where(a == 0, 0.0, a * np.log1p(b))


binary("special_xlog1py", kernel=_xlog1py_kernel, mode="float", inplace=False, method=False, public=False,
       samples=_pair_samples(-2.0, 2.0, -0.5, 3.0, 440), reference=_xlog1py_ref, elementwise=True)


def _zeta_kernel(xp, a, b):
    _full_only("zeta", xp, a if hasattr(a, "dtype") else b)
    r = _sp(xp, "zeta").zeta(a, b)
    # PyTorch's series does not converge to SciPy's limit 0 at q = +inf: it gives NaN (x = 1 stays inf)
    r = xp.where((b == np.inf) & (a != 1), xp.full((), np.nan, r.dtype), r)
    return r.astype(np.result_type(a, b), copy=False)


# the derivative in ``x`` is not implemented in PyTorch: only ``q`` is differentiated
binary("special_zeta", kernel=_zeta_kernel, bf16_native=True, mode="float", inplace=False, method=False, public=False,
       samples=_pair_samples(1.5, 4.0, 0.5, 3.0, 444, grad=(1,)), reference=_ref("zeta"), requires=_SCIPY,
       elementwise=True, gradgrad=False)


def _igamma_kernel(fn, aten):
    def kernel(xp, a, x):
        _float_only(aten, a)
        r = getattr(_sp(xp, fn), fn)(a, x)
        # PyTorch settles these before looking at NaN: P(a, 0) = 0, P(a, inf) = 1, P(inf, x) = 0
        lower = xp.where((x == 0) & ~(a <= 0), 0.0, xp.where(xp.isinf(a) & (a > 0) & xp.isnan(x), 0.0,
                                               xp.where(xp.isnan(a) & (x == np.inf), 1.0, np.nan)))
        settled = xp.isnan(r) & ~xp.isnan(lower)
        r = xp.where(settled, lower if fn == "gammainc" else 1.0 - lower, r)
        return r.astype(a.dtype, copy=False)
    return kernel


_NO_INPUT_GRAD = {"inplace": "the in-place check differentiates self, whose derivative PyTorch does not implement"}
# torch.igamma/igammac (and Tensor methods); the derivative in ``input`` is not implemented in PyTorch
binary("igamma", kernel=_igamma_kernel("gammainc", "igamma"), samples=_pair_samples(0.5, 3.0, 0.2, 4.0, 448, grad=(1,)),
       reference=_ref("gammainc"), requires=_SCIPY, elementwise=True, conformance_skip=_NO_INPUT_GRAD)
binary("igammac", kernel=_igamma_kernel("gammaincc", "igammac"),
       samples=_pair_samples(0.5, 3.0, 0.2, 4.0, 452, grad=(1,)), reference=_ref("gammaincc"), requires=_SCIPY,
       elementwise=True, conformance_skip=_NO_INPUT_GRAD)


# =========================================================================== orthogonal polynomials
# Each kernel below reads its degree as PyTorch does: truncated toward zero, and a degree that is
# negative, not finite or past the int64 range gives the zero polynomial. The values come from
# textbook mathematics: the three-term recurrence p_{k+1} = A_k p_k - B_k p_{k-1}, run for every
# element at once up to the largest degree asked for, and for Chebyshev polynomials their
# trigonometric / hyperbolic closed forms, with the exact values the definitions give at x = 0, ±1.
_INT64_SPAN = 2.0 ** 63


def _poly_operands(xp, x, n, name):
    """``x`` as a floating array and the degree as an int64 array (``-1``: the zero polynomial),
    broadcast together. The frontend has already promoted: either operand may still be a Python
    number, and the floating dtype is that of whichever operand is an array."""
    dtype = x.dtype if hasattr(x, "dtype") else n.dtype
    xs = xp.asarray(x, dtype=dtype)
    _full_only(name, xp, xs)
    if hasattr(n, "dtype"):
        ns = xp.asarray(n)
        if _np_kind(ns.dtype) == "f":
            usable = xp.isfinite(ns) & (xp.abs(ns) < _INT64_SPAN)
            ns = xp.where(usable, xp.trunc(ns), -1)
        deg = ns.astype(xp.int64)
        deg = xp.where(deg < 0, -1, deg)
    else:
        value = float(n)
        whole = math.trunc(value) if math.isfinite(value) and abs(value) < _INT64_SPAN else -1
        deg = xp.full(xs.shape, max(whole, -1), dtype=xp.int64)
    xs, deg = xp.broadcast_arrays(xs, deg)
    return xs, deg


def _climb(xp, x, deg, first, step):
    """p_deg(x) for the family p_0 = 1, p_1 = ``first``, p_{k+1} = ``step(k, p_k, p_{k-1})``: all
    elements step together and each keeps the value at its own degree. When the values overflow,
    the recurrence turns to inf - inf = NaN and stays there; once every element still climbing is
    NaN the remaining steps are skipped."""
    result = xp.where(deg == 0, xp.ones_like(x), xp.zeros_like(x))
    highest = int(deg.max()) if deg.size else -1
    if highest < 1:
        return result
    below, here = xp.ones_like(x), first
    result = xp.where(deg == 1, here, result)
    for k in range(1, highest):
        below, here = here, step(k, here, below)
        result = xp.where(deg == k + 1, here, result)
        if k % 32 == 0:
            pending = deg > k + 1
            if not bool(xp.any(pending & ~xp.isnan(here))):
                return xp.where(pending, xp.asarray(xp.nan, dtype=x.dtype), result)
    return result


def _finish(xp, x, deg, values):
    """Degree 0 is the constant 1 (whatever x is); an unusable degree gives 0."""
    one, zero = xp.ones_like(x), xp.zeros_like(x)
    return xp.where(deg < 0, zero, xp.where(deg == 0, one, values))


def _parity(xp, deg, dtype):
    """(-1)^deg as floats."""
    return xp.where(deg % 2 == 0, 1.0, -1.0).astype(dtype)


# first-degree polynomial of each Chebyshev kind (all share p_{k+1} = 2x p_k - p_{k-1})
_CHEB_FIRST = {"t": lambda x: x, "u": lambda x: x + x, "v": lambda x: (x + x) - 1, "w": lambda x: (x + x) + 1}


def _cheb_forms(xp, kind, y, nf):
    """The closed forms at y = |x| (0 < y < inf, y != 1), for the given kind.

    y < 1, y = cos θ: T = cos nθ, U = sin (n+1)θ / sin θ, V = cos (n+½)θ / cos (θ/2),
    W = sin (n+½)θ / sin (θ/2). y > 1, y = cosh t: the hyperbolic counterparts, written as e^{nt}
    times a ratio of bounded factors so that nothing overflows before the value itself does."""
    inside = y < 1
    theta = xp.arccos(xp.where(inside, y, 0))
    excess = xp.where(inside, 1, y) - 1
    t = xp.log1p(excess + xp.sqrt(excess * (excess + 2)))      # arccosh without cancellation
    growth = xp.exp(xp.where(inside, 0, nf * t))
    odd = 2 * nf + 1
    if kind == "t":
        trig, hyp = xp.cos(nf * theta), (1 + xp.exp(-2 * nf * t)) / 2
    elif kind == "u":
        trig, hyp = xp.sin((nf + 1) * theta) / xp.sin(theta), xp.expm1(-2 * (nf + 1) * t) / xp.expm1(-2 * t)
    elif kind == "v":
        trig, hyp = xp.cos((nf + 0.5) * theta) / xp.cos(theta / 2), (1 + xp.exp(-odd * t)) / (1 + xp.exp(-t))
    else:
        trig, hyp = xp.sin((nf + 0.5) * theta) / xp.sin(theta / 2), xp.expm1(-odd * t) / xp.expm1(-t)
    return xp.where(inside, trig, growth * hyp)


def _cheb_closed(xp, kind, x, nf, deg):
    """Finite x other than 0 and ±1. Negative x reflects onto |x| (which keeps θ away from π, where
    arccos loses accuracy): T_n(-y) = (-1)^n T_n(y), U likewise, V_n(-y) = (-1)^n W_n(y) and W the
    other way round. A value past the float range is NaN, as the recurrence PyTorch's results
    follow gives there (inf - inf)."""
    y = xp.abs(x)
    mirror = {"v": "w", "w": "v"}.get(kind, kind)
    values = _cheb_forms(xp, kind, y, nf)
    mirrored = values if mirror == kind else _cheb_forms(xp, mirror, y, nf)
    values = xp.where(x < 0, mirrored * _parity(xp, deg, x.dtype), values)
    return xp.where(xp.isfinite(values), values, xp.asarray(xp.nan, dtype=x.dtype))


def _cheb_exact(xp, kind, x, nf, deg):
    """Values at x = 1, x = -1 and x = 0, straight from the trigonometric definitions."""
    sign = _parity(xp, deg, x.dtype)
    at_one = {"t": 1.0 + 0 * nf, "u": nf + 1, "v": 1.0 + 0 * nf, "w": 2 * nf + 1}[kind]
    at_minus_one = {"t": sign, "u": sign * (nf + 1), "v": sign * (2 * nf + 1), "w": sign}[kind]
    # at 0 (θ = π/2): T and U are 0 for odd n, (-1)^(n/2) for even n; V is (-1)^ceil(n/2) and
    # W is (-1)^floor(n/2)
    half_up, half_down = (deg + 1) // 2, deg // 2
    if kind in ("t", "u"):
        at_zero = xp.where(deg % 2 == 1, 0.0, _parity(xp, half_down, x.dtype)).astype(x.dtype)
    else:
        at_zero = _parity(xp, half_up if kind == "v" else half_down, x.dtype)
    return xp.where(x == 1, at_one, xp.where(x == -1, at_minus_one, at_zero))


def _chebyshev_values(xp, kind, x, deg):
    nf = xp.maximum(deg, 0).astype(x.dtype)
    size = xp.abs(x)
    finite = xp.isfinite(x)
    special = (size == 1) | (x == 0)
    values = _cheb_closed(xp, kind, xp.where(special | ~finite, 0.5, x).astype(x.dtype), nf, deg)
    values = xp.where(special, _cheb_exact(xp, kind, x, nf, deg), values)
    # inf and NaN: the recurrence itself (degrees 1 and 2 follow it, beyond that it is NaN)
    first = _CHEB_FIRST[kind]
    wild = xp.where(finite, -1, xp.minimum(deg, 3))
    two_x = x + x
    unbounded = _climb(xp, x, wild, first(x), lambda k, p, q: two_x * p - q)
    return xp.where(finite, values, unbounded)


def _chebyshev(kind, shifted=False):
    """Chebyshev polynomial of the first (T), second (U), third (V) or fourth (W) kind; the shifted
    ones are the same polynomials of 2x - 1, mapping [0, 1] onto [-1, 1]."""
    def kernel(xp, x, n):
        x, deg = _poly_operands(xp, x, n, f"{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}")
        if shifted:
            x = (x + x) - 1
        with np.errstate(all="ignore"):
            return _finish(xp, x, deg, _chebyshev_values(xp, kind, x, deg))
    kernel.__name__ = f"_{'shifted_' if shifted else ''}chebyshev_{kind}"
    return kernel


def _physicists_hermite(xp, x, n):
    """H_0 = 1, H_1 = 2x, H_{k+1} = 2x H_k - 2k H_{k-1}."""
    x, deg = _poly_operands(xp, x, n, "hermite_polynomial_h")
    two_x = x + x
    with np.errstate(all="ignore"):
        return _finish(xp, x, deg, _climb(xp, x, deg, two_x, lambda k, p, q: two_x * p - (2 * k) * q))


def _probabilists_hermite(xp, x, n):
    """He_0 = 1, He_1 = x, He_{k+1} = x He_k - k He_{k-1}."""
    x, deg = _poly_operands(xp, x, n, "hermite_polynomial_he")
    with np.errstate(all="ignore"):
        return _finish(xp, x, deg, _climb(xp, x, deg, x, lambda k, p, q: x * p - k * q))


def _laguerre(xp, x, n):
    """L_0 = 1, L_1 = 1 - x, (k+1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}; L_n(0) = 1 exactly."""
    x, deg = _poly_operands(xp, x, n, "laguerre_polynomial_l")
    with np.errstate(all="ignore"):
        values = _climb(xp, x, deg, 1 - x, lambda k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1))
        values = xp.where(x == 0, xp.ones_like(x), values)
        return _finish(xp, x, deg, values)


def _legendre(xp, x, n):
    """P_0 = 1, P_1 = x, (k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}; P_n(±1) = (±1)^n exactly."""
    x, deg = _poly_operands(xp, x, n, "legendre_polynomial_p")
    with np.errstate(all="ignore"):
        values = _climb(xp, x, deg, x, lambda k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1))
        values = xp.where(x == 1, xp.ones_like(x), values)
        values = xp.where(x == -1, _parity(xp, deg, x.dtype), values)
        return _finish(xp, x, deg, values)


def _poly_samples(seed, lo=-1.5, hi=1.5):
    def samples(dtype, device):
        return [((_mk((2, 3), dtype, device, seed, lo, hi), 3), {}), ((_mk((5,), dtype, device, seed + 1, lo, hi), 0), {}),
                ((_mk((4,), dtype, device, seed + 2, -0.9, 0.9), 9), {})]
    return samples


def _poly_ref(fn_name, shifted=False):
    def ref(x, n):
        import scipy.special as sp
        y = 2 * x - 1 if shifted else x
        fn = {"t": sp.eval_chebyt, "u": sp.eval_chebyu, "h": sp.eval_hermite, "he": sp.eval_hermitenorm,
              "l": sp.eval_laguerre, "p": sp.eval_legendre}.get(fn_name)
        if fn is not None:
            return fn(int(n), y)
        # V and W: the third- and fourth-kind polynomials through U (V_n = U_n - U_{n-1}, W_n = U_n + U_{n-1})
        um1 = sp.eval_chebyu(int(n) - 1, y) if n > 0 else 0.0
        return sp.eval_chebyu(int(n), y) + (um1 if fn_name == "w" else -um1)
    return ref


for _k in "tuvw":
    binary(f"special_chebyshev_polynomial_{_k}", kernel=_chebyshev(_k), bf16_native=True, mode="float", inplace=False, method=False, public=False,
           differentiable=False, samples=_poly_samples(460), reference=_poly_ref(_k), requires=_SCIPY, elementwise=True)
    binary(f"special_shifted_chebyshev_polynomial_{_k}", kernel=_chebyshev(_k, shifted=True), bf16_native=True,
           mode="float", inplace=False,
           method=False, public=False, differentiable=False, samples=_poly_samples(464, -0.2, 1.2),
           reference=_poly_ref(_k, shifted=True), requires=_SCIPY, elementwise=True)
for _name, _kern, _r in (("hermite_polynomial_h", _physicists_hermite, "h"),
                         ("hermite_polynomial_he", _probabilists_hermite, "he"),
                         ("laguerre_polynomial_l", _laguerre, "l"),
                         ("legendre_polynomial_p", _legendre, "p")):
    binary("special_" + _name, kernel=_kern, bf16_native=True, mode="float", inplace=False, method=False, public=False,
           differentiable=False, samples=_poly_samples(470), reference=_poly_ref(_r), requires=_SCIPY,
           elementwise=True)

SPECIAL_FUNCTIONS_OPS = CORE_OPS[_FIRST:]
