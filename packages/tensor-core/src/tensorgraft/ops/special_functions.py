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

import types

import numpy as np

from . import _frontend as F
from ._define import CORE_OPS, binary, unary
from ._frontend.kernel_dtypes import kernel_dtypes
from .elementwise import _special
from .special_math import float32_bessel_overflow
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.special_polynomials import POLYNOMIAL_KERNELS as _POLY

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
       samples=_pair_samples(-2.0, 2.0, -0.5, 3.0, 440), reference=_xlog1py_ref, elementwise=True,
       operand_check=kernel_dtypes("xlog1py", "biuf"))


def _zeta_kernel(xp, a, b):
    _full_only("zeta", xp, a if hasattr(a, "dtype") else b)
    r = _sp(xp, "zeta").zeta(a, b)
    # PyTorch's series does not converge to SciPy's limit 0 at q = +inf: it gives NaN (x = 1 stays inf)
    r = xp.where((b == np.inf) & (a != 1), xp.full((), np.nan, r.dtype), r)
    return r.astype(np.result_type(a, b), copy=False)


# the derivative in ``x`` is not implemented in PyTorch: only ``q`` is differentiated
binary("special_zeta", kernel=_zeta_kernel, bf16_native=True, mode="float", inplace=False, method=False, public=False,
       samples=_pair_samples(1.5, 4.0, 0.5, 3.0, 444, grad=(1,)), reference=_ref("zeta"), requires=_SCIPY,
       elementwise=True, gradgrad=False, operand_check=kernel_dtypes("zeta", "biuf"))


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
# The kernels are in tensorgraft/special_polynomials.py (PyTorch's per-element formulas, bit for bit);
# here their registrations, samples and SciPy references.


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


# the kernels themselves reproduce PyTorch's per-element formulas bit for bit: tensorgraft/special_polynomials.py
for _k in "tuvw":
    # (real kernels only: a complex operand is PyTorch's '"chebyshev_polynomial_t_cpu" not implemented')
    binary(f"special_chebyshev_polynomial_{_k}", kernel=_POLY[f"chebyshev_polynomial_{_k}"], bf16_native=True, mode="float", inplace=False, method=False, public=False,
           differentiable=False, samples=_poly_samples(460), reference=_poly_ref(_k), requires=_SCIPY, elementwise=True,
           operand_check=kernel_dtypes(f"chebyshev_polynomial_{_k}", "biuf"))
    binary(f"special_shifted_chebyshev_polynomial_{_k}", kernel=_POLY[f"shifted_chebyshev_polynomial_{_k}"],
           bf16_native=True, mode="float", inplace=False, method=False, public=False, differentiable=False,
           samples=_poly_samples(464, -0.2, 1.2), reference=_poly_ref(_k, shifted=True), requires=_SCIPY,
           elementwise=True, operand_check=kernel_dtypes(f"shifted_chebyshev_polynomial_{_k}", "biuf"))
for _name, _r in (("hermite_polynomial_h", "h"), ("hermite_polynomial_he", "he"), ("laguerre_polynomial_l", "l"),
                  ("legendre_polynomial_p", "p")):
    binary("special_" + _name, kernel=_POLY[_name], bf16_native=True, mode="float", inplace=False, method=False, public=False,
           differentiable=False, samples=_poly_samples(470), reference=_poly_ref(_r), requires=_SCIPY,
           elementwise=True, operand_check=kernel_dtypes(_name, "biuf"))

SPECIAL_FUNCTIONS_OPS = CORE_OPS[_FIRST:]
