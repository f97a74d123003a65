"""Special functions missing from ``elementwise.py``: ``i0``, ``frexp``, ``mvlgamma``, the in-place
variants PyTorch has only as Tensor methods (``float_power_``, ``polygamma_``) and ``torch.i0_``.

Gradients live in ``tensorgraft/autograd/formulas/special_math.py``.
"""
from __future__ import annotations

import math
import numbers
import types
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ..grad_mode import no_grad, state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._define import CORE_OPS, defop, unary
from .elementwise import _polygamma_op, _special, run_with_order
from .elementwise.special import _lgamma
from ._return_types import return_type
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)

FrexpResult = return_type("frexp", ("mantissa", "exponent"))


def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


# =========================================================================== i0 (and i1 for its gradient)
def _no_complex_kernel(kernel_name, xp, a):
    # PyTorch registers no complex kernel for i0/i1: its dispatch error instead of SciPy's TypeError
    if _np_kind(a.dtype) == "c":
        device = "cpu" if xp is np else "cuda"
        raise NotImplementedError(f"\"{kernel_name.format(device)}\" not implemented for '{F._type_name(a.dtype)}'")


# Above this |x|, float32 exp(x) overflows. PyTorch's float32 I0/I1 (Cephes: exp(x) * series / sqrt(x))
# take that exp first, so they return inf where the true value (up to ~5e37 at 90) is still finite.
_FLOAT32_EXP_OVERFLOW = np.float32(88.72283935546875)


def float32_bessel_overflow(xp, a, r, odd=False):
    """``r`` (I0, I1 or their ``special`` spellings of ``a``) with PyTorch's float32 overflow: inf
    (times the sign of ``a`` for the odd I1) where float32 exp(|a|) is inf."""
    if r.dtype != np.float32:
        return r
    big = (xp.abs(a) >= _FLOAT32_EXP_OVERFLOW) & xp.isfinite(a)  # at ±inf both give inf / inf: NaN
    inf = xp.sign(a).astype(r.dtype) * np.float32(np.inf) if odd else np.float32(np.inf)
    return xp.where(big, inf, r)


def _i0_kernel(xp, a):
    _no_complex_kernel("i0_vml_{}", xp, a)
    sp = _special(xp)
    if isinstance(sp, types.ModuleType):
        return float32_bessel_overflow(xp, a, sp.i0(a).astype(a.dtype, copy=False))  # SciPy: float16 in float32
    return float32_bessel_overflow(xp, a, np.i0(a).astype(a.dtype, copy=False))  # no SciPy: NumPy's (CPU only)


def _i1_kernel(xp, a):
    _no_complex_kernel("i1_{}", xp, a)
    sp = _special(xp)
    if not isinstance(sp, types.ModuleType):
        raise RuntimeError("the gradient of i0 needs SciPy on CPU: pip install scipy")
    return float32_bessel_overflow(xp, a, sp.i1(a).astype(a.dtype, copy=False), odd=True)


def _i0_samples(dtype, device):
    return [((_mk((2, 3), dtype, device, 150, -3.0, 3.0),), {}), ((_mk((), dtype, device, 151),), {})]


def _i0_reference(a):
    return np.i0(a)


def _i1_reference(a):
    import scipy.special as sp
    return sp.i1(a)


unary("i0", kernel=_i0_kernel, to_float=True, samples=_i0_samples, reference=_i0_reference, elementwise=True)
# torch.special.i1: only the gradient of i0 calls it (internal, so not a public name here)
unary("_i1", kernel=_i1_kernel, to_float=True, inplace=False, method=False, public=False, samples=_i0_samples,
      reference=_i1_reference, requires=("scipy",), node="SpecialI1Backward0")


# =========================================================================== frexp
def _frexp_kernel(xp, a):
    m, e = xp.frexp(a)
    return m, e.astype(np.int32, copy=False)


def _frexp_frontend(op):
    table = op.table

    def frexp(input, *, out=None):
        check_tensor(input, "frexp")
        a = input._data
        if _np_kind(a.dtype) != "f":
            raise RuntimeError("torch.frexp() only supports floating-point dtypes")
        dev = input._device
        m, e = table[dev.type](a)
        mant, expo = wrap(m, dev), wrap(e, dev)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, mant, (input,), {"exponent": expo})
        if out is not None:
            return F.write_outs(out, (mant, expo), "frexp", FrexpResult)
        return FrexpResult(mant, expo)
    return frexp


def _frexp_samples(dtype, device):
    return [((_mk((2, 3), dtype, device, 152, -5.0, 5.0),), {}), ((_mk((4,), dtype, device, 153, 0.1, 40.0),), {})]


def _frexp_reference(a):
    m, e = np.frexp(a)
    return m, e


# the exponent is piecewise constant: finite differences across a power of two would see a jump
defop("frexp", kernel=_frexp_kernel, frontend=_frexp_frontend, samples=_frexp_samples, reference=_frexp_reference)


# =========================================================================== mvlgamma
def _mvlgamma_kernel(xp, a, p):
    # PyTorch: sum_{j < p} lgamma(x - j/2) + p(p-1)/4 log(pi), summed from j = p-1 down to 0 (torch.lgamma's
    # kernel: lgamma(-inf) is +inf, as C's)
    acc = None
    for j in range(p - 1, -1, -1):
        term = _lgamma(xp, a - a.dtype.type(0.5 * j))
        acc = term if acc is None else acc + term
    return acc + a.dtype.type(p * (p - 1) * 0.25 * math.log(math.pi))


def _mvlgamma_frontend(op):
    def mvlgamma(input, p):
        check_tensor(input, "mvlgamma")
        if not isinstance(p, numbers.Integral) or isinstance(p, bool):
            raise TypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not {c_type_name(p)}")
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        return run_with_order(op, input, int(p), "p", float_kinds="f")
    return mvlgamma


def _mvlgamma_samples(dtype, device):
    return [((_mk((2, 3), dtype, device, 154, 1.6, 4.0), 2), {}), ((_mk((3,), dtype, device, 155, 2.1, 5.0), 4), {}),
            ((_mk((2,), dtype, device, 156, 0.5, 3.0), 1), {})]


def _mvlgamma_ref(a, p):
    import scipy.special as sp
    return sum(sp.gammaln(a - 0.5 * j) for j in range(p)) + p * (p - 1) * 0.25 * math.log(math.pi)


defop("mvlgamma", kernel=_mvlgamma_kernel, frontend=_mvlgamma_frontend, inplace="mvlgamma_",
      samples=_mvlgamma_samples, reference=_mvlgamma_ref, requires=("scipy",))


# =========================================================================== in-place Tensor methods
def _method_inplace(name, out_of_place):
    """An in-place variant PyTorch has only as a Tensor method, built like the declared ones."""
    return F.make_inplace(types.SimpleNamespace(inplace=name), out_of_place)


def _polygamma_self_first(self, n):
    from .elementwise import check_polygamma_order
    check_polygamma_order(n, "polygamma_")  # named as the in-place overload, before anything is written
    # PyTorch records the in-place overload as PolygammaBackward1
    with no_grad():
        out = _polygamma_op.frontend(n, self)
    if self._requires_grad and _gs.enabled:
        Tensor._autograd.record(_polygamma_op, out, (self,), {"n": int(n)}, node_name="PolygammaBackward1")
    return out


_polygamma_inplace = _method_inplace("polygamma_", _polygamma_self_first)


def _polygamma_(self, n):
    return _polygamma_inplace(self, n)


def _float_power_out(self, exponent):
    from ..registry import registry
    return registry.ops["float_power"].frontend(self, exponent)


_float_power_inplace = _method_inplace("float_power_", _float_power_out)


def _float_power_(self, exponent):
    # float_power computes in double; in place, PyTorch refuses to narrow the result back
    complex_ = _np_kind(self._data.dtype) == "c" or (isinstance(exponent, Tensor) and _np_kind(exponent._data.dtype) == "c") \
        or isinstance(exponent, complex)
    want = np.complex128 if complex_ else np.float64
    if self._data.dtype != want:
        raise RuntimeError(f"the base given to float_power_ has dtype {F._type_name(self._data.dtype)} but the "
                           f"operation's result requires dtype {F._type_name(np.dtype(want))}")
    return _float_power_inplace(self, exponent)


Tensor.polygamma_ = _polygamma_
Tensor.float_power_ = _float_power_


# =========================================================================== torch.i0_
def _i0_inplace_frontend(op):
    # the other top-level in-place functions (torch.xlogy_, torch.nan_to_num_...) are in
    # aliases.py; this one needs i0, declared here
    def i0_(input):
        check_tensor(input, "i0_")
        return input.i0_()
    return i0_


defop("i0_", frontend=_i0_inplace_frontend, method=False, composite=True, mutates=(0,),
      samples=lambda dtype, device: [((_mk((2, 3), dtype, device, 165, -3.0, 3.0),), {})], reference=np.i0)

SPECIAL_MATH_OPS = CORE_OPS[_FIRST:]
