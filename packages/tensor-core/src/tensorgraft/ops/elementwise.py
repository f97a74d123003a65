"""Elementwise ops: arithmetic, comparisons, logic and math functions.

Gradients for these live in ``tensorgraft/autograd/formulas/elementwise.py`` (autograd-engine).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import binary, defop, unary

# --------------------------------------------------------------------------- unary math
unary("neg", "negative", dunders=("__neg__",))
unary("negative", "negative", inplace=True)
unary("abs", "absolute", dunders=("__abs__",))
unary("absolute", "absolute")
unary("sign", "sign")
unary("sgn", "sign")
unary("exp", "exp", to_float=True)
unary("exp2", "exp2", to_float=True)
unary("expm1", "expm1", to_float=True)
unary("log", "log", to_float=True)
unary("log2", "log2", to_float=True)
unary("log10", "log10", to_float=True)
unary("log1p", "log1p", to_float=True)
unary("sqrt", "sqrt", to_float=True)
unary("rsqrt", kernel=lambda xp, a: 1.0 / xp.sqrt(a), to_float=True)
unary("reciprocal", kernel=lambda xp, a: 1.0 / a, to_float=True)
unary("square", kernel=lambda xp, a: a * a)
unary("sin", "sin", to_float=True)
unary("cos", "cos", to_float=True)
unary("tan", "tan", to_float=True)
unary("asin", "arcsin", to_float=True)
unary("acos", "arccos", to_float=True)
unary("atan", "arctan", to_float=True)
unary("sinh", "sinh", to_float=True)
unary("cosh", "cosh", to_float=True)
unary("tanh", "tanh", to_float=True)
unary("asinh", "arcsinh", to_float=True)
unary("acosh", "arccosh", to_float=True)
unary("atanh", "arctanh", to_float=True)
# tanh form of the logistic function: no overflow for large |x|, exact in the tails.
unary("sigmoid", kernel=lambda xp, a: 0.5 * (1.0 + xp.tanh(0.5 * a)), to_float=True)
unary("relu", kernel=lambda xp, a: xp.maximum(a, 0))


def _erf(xp, a):
    return _special(xp).erf(a)


def _erfc(xp, a):
    return _special(xp).erfc(a)


def _erfinv(xp, a):
    return _special(xp).erfinv(a)


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


unary("erf", kernel=_erf, to_float=True)
unary("erfc", kernel=_erfc, to_float=True)
unary("erfinv", kernel=_erfinv, to_float=True)


def _rounding(fn):
    def kernel(xp, a):
        return a.copy() if a.dtype.kind in "biu" else getattr(xp, fn)(a)
    return kernel


unary("floor", kernel=_rounding("floor"))
unary("ceil", kernel=_rounding("ceil"))
unary("trunc", kernel=_rounding("trunc"))
unary("fix", kernel=_rounding("trunc"))
unary("frac", kernel=lambda xp, a: a - xp.trunc(a))


def _round_kernel(xp, a, decimals=0):
    if a.dtype.kind in "biu":
        return a.copy()
    return xp.round(a, decimals)  # half to even, as PyTorch


def _round_frontend(op):
    table = op.table

    def round(input, *, decimals=0):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("round", "input", 1, input)
        out = wrap(table[input._device.type](input._data, decimals), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return round


defop("round", kernel=_round_kernel, frontend=_round_frontend, inplace="round_")

unary("logical_not", kernel=lambda xp, a: xp.logical_not(a), differentiable=False)
unary("bitwise_not", kernel=lambda xp, a: xp.logical_not(a) if a.dtype.kind == "b" else xp.invert(a),
      differentiable=False, dunders=("__invert__",))
unary("isnan", "isnan", inplace=False, differentiable=False)
unary("isinf", "isinf", inplace=False, differentiable=False)
unary("isfinite", "isfinite", inplace=False, differentiable=False)
unary("isposinf", "isposinf", inplace=False, differentiable=False)
unary("isneginf", "isneginf", inplace=False, differentiable=False)
unary("signbit", "signbit", inplace=False, differentiable=False)
unary("positive", kernel=lambda xp, a: a, inplace=False, dunders=("__pos__",))


# --------------------------------------------------------------------------- binary arithmetic
def _with_alpha(torch_name):
    """``add(input, other, *, alpha=1, out=None)``: alpha scales ``other`` first. The operator
    dunders bind the plain two-argument function, so ``a + b`` skips this layer."""
    def wrapper(binary_fn):
        def fn(input, other, *, alpha=1, out=None):
            if alpha != 1:
                other = other * alpha
            r = binary_fn(input, other)
            if r is NotImplemented:
                raise TypeError(f"{torch_name}(): argument 'other' must be Tensor or Number, "
                                f"not {type(other).__name__}")
            if out is not None:
                F.store_into(out, r._data, torch_name)
                return out
            return r
        fn.__name__ = fn.__qualname__ = torch_name
        return fn
    return wrapper


def _div_wrapper(binary_fn):
    def div(input, other, *, rounding_mode=None, out=None):
        r = binary_fn(input, other)
        if r is NotImplemented:
            raise TypeError(f"div(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        if rounding_mode == "trunc":
            r = r.trunc()
        elif rounding_mode == "floor":
            r = r.floor()
        elif rounding_mode is not None:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        if rounding_mode is not None and not _both_float(input, other):
            r = r.to(_dt.result_type(input, other))
        if out is not None:
            F.store_into(out, r._data, "div")
            return out
        return r
    return div


def _both_float(a, b):
    def isf(x):
        return (x.is_floating_point() or x.is_complex()) if isinstance(x, Tensor) else isinstance(x, (float, complex))
    return isf(a) or isf(b)


binary("add", "add", dunders=("__add__",), rdunders=("__radd__",), idunders=("__iadd__",), wrapper=_with_alpha("add"))
binary("sub", "subtract", dunders=("__sub__",), rdunders=("__rsub__",), idunders=("__isub__",),
       wrapper=_with_alpha("sub"))
binary("subtract", "subtract", wrapper=_with_alpha("subtract"))
binary("mul", "multiply", dunders=("__mul__",), rdunders=("__rmul__",), idunders=("__imul__",))
binary("multiply", "multiply")
binary("div", "true_divide", mode="float", dunders=("__truediv__",), rdunders=("__rtruediv__",),
       idunders=("__itruediv__",), wrapper=_div_wrapper)
binary("divide", "true_divide", mode="float", wrapper=_div_wrapper)
binary("true_divide", "true_divide", mode="float")
binary("floor_divide", "floor_divide", dunders=("__floordiv__",), rdunders=("__rfloordiv__",),
       idunders=("__ifloordiv__",))
binary("remainder", "remainder", dunders=("__mod__",), rdunders=("__rmod__",), idunders=("__imod__",))
binary("fmod", "fmod")
binary("pow", "power", dunders=("__pow__",), rdunders=("__rpow__",), idunders=("__ipow__",))
binary("float_power", kernel=lambda xp, a, b: xp.power(xp.asarray(a, dtype=np.float64), b), inplace=False)
binary("atan2", "arctan2", mode="float")
binary("arctan2", "arctan2", mode="float")
binary("hypot", "hypot", mode="float")
binary("maximum", "maximum", inplace=False)
binary("minimum", "minimum", inplace=False)
binary("fmax", "fmax", inplace=False)
binary("fmin", "fmin", inplace=False)
binary("copysign", "copysign", mode="float")
binary("xlogy", kernel=lambda xp, a, b: xp.where(a == 0, xp.zeros((), a.dtype), a * xp.log(b)), mode="float")

# comparisons: computed in the promoted dtype, result bool, never differentiable
for _name, _ufunc, _d in (("eq", "equal", "__eq__"), ("ne", "not_equal", "__ne__"), ("lt", "less", "__lt__"),
                          ("le", "less_equal", "__le__"), ("gt", "greater", "__gt__"),
                          ("ge", "greater_equal", "__ge__")):
    binary(_name, _ufunc, mode="bool", dunders=(_d,), differentiable=False, inplace=False)
for _alias, _ufunc in (("greater", "greater"), ("greater_equal", "greater_equal"), ("less", "less"),
                       ("less_equal", "less_equal"), ("not_equal", "not_equal")):
    binary(_alias, _ufunc, mode="bool", differentiable=False, inplace=False)
binary("logical_and", "logical_and", mode="bool", differentiable=False, inplace=False)
binary("logical_or", "logical_or", mode="bool", differentiable=False, inplace=False)
binary("logical_xor", "logical_xor", mode="bool", differentiable=False, inplace=False)
binary("bitwise_and", "bitwise_and", differentiable=False, dunders=("__and__",), rdunders=("__rand__",),
       idunders=("__iand__",))
binary("bitwise_or", "bitwise_or", differentiable=False, dunders=("__or__",), rdunders=("__ror__",),
       idunders=("__ior__",))
binary("bitwise_xor", "bitwise_xor", differentiable=False, dunders=("__xor__",), rdunders=("__rxor__",),
       idunders=("__ixor__",))


# --------------------------------------------------------------------------- clamp
def _clamp_kernel(xp, a, lo, hi):
    if lo is not None:
        a = xp.maximum(a, lo)
    if hi is not None:
        a = xp.minimum(a, hi)
    return a


def _bound(v, input, name):
    if v is None:
        return None
    if isinstance(v, Tensor):
        if v._device is not input._device:
            raise F.device_mismatch(name, input, v)
        return v._data.astype(input._data.dtype, copy=False)
    if input._data.dtype.kind in "biu" and isinstance(v, float):
        return v
    return input._data.dtype.type(v)


def _clamp_frontend(op):
    table = op.table

    def clamp(input, min=None, max=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("clamp", "input", 1, input)
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        a = input._data
        lo, hi = _bound(min, input, "clamp"), _bound(max, input, "clamp")
        if a.dtype.kind in "biu" and (isinstance(lo, float) or isinstance(hi, float)):
            a = a.astype(_dt.get_default_dtype().np)
        out = wrap(table[input._device.type](a, lo, hi), input._device)
        if _gs.enabled and (input._requires_grad or isinstance(min, Tensor) and min._requires_grad
                            or isinstance(max, Tensor) and max._requires_grad):
            if isinstance(min, Tensor) or isinstance(max, Tensor):
                name = "ClampBackward0"
            elif max is None:
                name = "ClampMinBackward0"
            elif min is None:
                name = "ClampMaxBackward0"
            else:
                name = "ClampBackward1"
            Tensor._autograd.record(op, out, (input, min, max), None, node_name=name)
        return out
    return clamp


_clamp = defop("clamp", kernel=_clamp_kernel, frontend=_clamp_frontend, inplace="clamp_")
defop("clip", kernel=_clamp_kernel, frontend=_clamp_frontend, inplace="clip_", formula_of="clamp")
