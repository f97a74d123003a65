"""The special functions among the elementwise ops: erf/erfc/erfinv, lgamma, digamma, polygamma.

Separate because their kernels come from SciPy (cupyx.scipy.special on CUDA), imported on first use,
with libm's erf/erfc/lgamma as the fallback when SciPy is absent. ``_special``, ``run_with_order`` and
``check_polygamma_order`` are shared with ``ops/special_math.py`` and ``ops/special_functions.py``,
which hold the rest of ``torch.special``."""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop, unary
from ._samples import _positive_unary_samples, _sx
from tensorgraft.dtypes import np_kind as _np_kind


def _real_only(a, kernel: str) -> None:
    """PyTorch has no complex kernel for the special functions (SciPy has some, or leaks a TypeError)."""
    if _np_kind(a.dtype) == "c":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{F._type_name(a.dtype)}'")


def _erf(xp, a):
    _real_only(a, "erf_vml_cpu")
    return _special(xp).erf(a).astype(a.dtype, copy=False)  # SciPy computes float16 in float32/64


def _erfc(xp, a):
    _real_only(a, "erfc_vml_cpu")
    return _special(xp).erfc(a).astype(a.dtype, copy=False)  # SciPy computes float16 in float32/64


def _erfinv(xp, a):
    _real_only(a, "erfinv_vml_cpu")
    return _special(xp).erfinv(a).astype(a.dtype, copy=False)  # SciPy computes float16 in float32/64


def _special(xp):
    """SciPy's special functions for erf & co. (CuPy ships its own as cupyx.scipy.special).
    Imported on first use so ``import tensorgraft`` stays light."""
    if xp is np:
        try:
            import scipy.special as sp
            return sp
        except ImportError:
            return _VectorizedMath
    import cupyx.scipy.special as csp
    return csp


class _VectorizedMath:
    """Fallback when SciPy is absent: exact (libm) but element by element."""
    erf = staticmethod(lambda a: np.vectorize(math.erf, otypes=[a.dtype])(a) if a.size else a.copy())
    erfc = staticmethod(lambda a: np.vectorize(math.erfc, otypes=[a.dtype])(a) if a.size else a.copy())

    @staticmethod
    def erfinv(a):
        raise RuntimeError("erfinv needs SciPy on CPU: pip install scipy")


def _lgamma(xp, a):
    _real_only(a, "lgamma_vml_cpu")
    sp = _special(xp)
    if sp is _VectorizedMath:
        return np.vectorize(lambda v: math.lgamma(v) if v > 0 or v != math.floor(v) else math.inf,
                            otypes=[a.dtype])(a) if a.size else a.copy()
    r = sp.gammaln(a).astype(a.dtype, copy=False)  # SciPy computes float16 in float64
    # SciPy's gammaln(-inf) is -inf; PyTorch follows C's lgamma: |Gamma| grows without bound there, +inf
    return xp.where(r == -xp.inf, xp.asarray(xp.inf, dtype=r.dtype), r)


def _digamma(xp, a):
    _real_only(a, "digamma")
    sp = _special(xp)
    if sp is _VectorizedMath:
        raise RuntimeError("digamma needs SciPy on CPU: pip install scipy")
    r = sp.digamma(a).astype(a.dtype, copy=False)  # SciPy computes float16 in float64
    # PyTorch: digamma(+0) = -inf and digamma(-0) = +inf, the limits from each side of the pole
    return xp.where(a == 0, xp.copysign(xp.asarray(xp.inf, dtype=r.dtype), -a), r)


def _polygamma_kernel(xp, a, n):
    if n == 0:
        return _digamma(xp, a)
    sp = _special(xp)
    if sp is _VectorizedMath:
        raise RuntimeError("polygamma needs SciPy on CPU: pip install scipy")
    r = sp.polygamma(n, a).astype(a.dtype, copy=False)
    # PyTorch's series give NaN where SciPy takes the limit: +inf for n >= 2 (zeta(n+1, inf)), and
    # -inf for n = 1 (its reflection through sin(pi x))
    return xp.where(a == (xp.inf if n >= 2 else -xp.inf), xp.asarray(xp.nan, dtype=r.dtype), r)


def _special_ref(name):
    def ref(a, *args):
        import scipy.special as sp
        return getattr(sp, name)(*args, a) if args else getattr(sp, name)(a)
    return ref


unary("lgamma", kernel=_lgamma, to_float=True, samples=_positive_unary_samples, reference=_special_ref("gammaln"),
      elementwise=True)
unary("digamma", kernel=_digamma, to_float=True, samples=_positive_unary_samples, reference=_special_ref("digamma"),
      elementwise=True, requires=("scipy",))


def run_with_order(op, input, order, attr, float_kinds="fc"):
    """The kernel of a special function with an integer order (polygamma's n, mvlgamma's p) run on
    ``input``, an integer one cast to the default float dtype first; records the order as ``attr``."""
    a = input._data
    if _np_kind(a.dtype) not in float_kinds:
        a = a.astype(_dt.get_default_dtype().np)
    out = wrap(op.table[input._device.type](a, order), input._device)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), {attr: order})
    return out


def check_polygamma_order(n, fname):
    """PyTorch's parser takes ``n`` as an int only (or a 0-d integer tensor): a float (even
    ``1.0``), a bool or another tensor is a TypeError rather than an order truncated to int."""
    if n.__class__ is bool or not isinstance(n, numbers.Integral):
        if isinstance(n, Tensor) and n._data.ndim == 0 and _np_kind(n._data.dtype) in "iu":
            return
        raise TypeError(f"{fname}(): argument 'n' (position 1) must be int, not {c_type_name(n)}")


def _polygamma_frontend(op):
    def polygamma(n, input):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("polygamma", "input", 2, input)
        check_polygamma_order(n, "polygamma")
        if n < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        return run_with_order(op, input, int(n), "n")
    return polygamma


def _polygamma_method(self, n):
    return _polygamma_op.frontend(n, self)


def _polygamma_samples(dtype, device):
    return [((1, _sx((2, 3), dtype, device, 1, 0.5, 3.0)), {}), ((2, _sx((3,), dtype, device, 2, 0.5, 3.0)), {})]


def _polygamma_ref(n, a):
    import scipy.special as sp
    return sp.polygamma(n, a)


_polygamma_op = defop("polygamma", kernel=_polygamma_kernel, frontend=_polygamma_frontend, method=False,
                      samples=_polygamma_samples, reference=_polygamma_ref, requires=("scipy",), elementwise=False)
Tensor.polygamma = _polygamma_method


unary("erf", kernel=_erf, to_float=True)
unary("erfc", kernel=_erfc, to_float=True)
unary("erfinv", kernel=_erfinv, to_float=True)
