"""Two-operand arithmetic: add/sub/mul/div with their ``alpha=``/``rounding_mode=``/``out=``
wrappers, floor_divide/remainder/fmod, pow and float_power, atan2, hypot, maximum/minimum/fmax/fmin,
copysign, xlogy, ldexp, nextafter, gcd/lcm, the bit shifts, and rsub.

This is the per-op hot path: ``a + b`` calls the plain two-operand function ``_frontend.make_binary``
builds, not the ``alpha=``/``out=`` wrappers here, and CPU table entries such as ``_sub_cpu`` and
``_pow_cpu`` call NumPy's ufunc straight, turning to PyTorch's errors only once NumPy has refused."""
from __future__ import annotations

import functools
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import no_grad, state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import binary, defop
from .._frontend.half_alpha import half_alpha
from ..fused_multiply_add import scaled_sum
from .._frontend.kernel_dtypes import kernel_dtypes
from ._samples import _int_pair_samples, _si, _sx
from .complex_pow import complex_pow
from tensorgraft.dtypes import int64 as _dt_int64
from tensorgraft.dtypes import np_kind as _np_kind


def _with_alpha(torch_name, operand_check=None):
    """``add(input, other, *, alpha=1, out=None)``: alpha scales ``other`` first. The operator
    dunders bind the plain two-argument function, so ``a + b`` skips this layer. ``operand_check``
    sees the operands before the scaling changes ``other``'s dtype (a bool times 2 is an int)."""
    def wrapper(binary_fn):
        def fn(input, other, *, alpha=1, out=None):
            if out is not None:
                F.check_out_grad(torch_name, out, input, other)
                if isinstance(out, Tensor):
                    F.check_out_overlap(out, (input, other))
            a = input._data if isinstance(input, Tensor) else input
            b = other._data if isinstance(other, Tensor) else other
            if alpha.__class__ is bool and not (_is_bool_operand(a) and _is_bool_operand(b)):
                # True == 1 would otherwise pass for an alpha of one
                raise RuntimeError("Boolean alpha only supported for Boolean results.")
            if alpha == 1 and torch_name != "add" and isinstance(other, Tensor) and not isinstance(input, Tensor) \
                    and isinstance(input, numbers.Number) and F.needs_grad(input, other):
                # ``torch.sub(2., x)`` wraps the number: SubBackward0 (``2. - x`` is RsubBackward1)
                return _alpha_node(torch_name, binary_fn, input, other, alpha)
            if alpha != 1:
                if _first_of_two_numbers(input, other):  # (the alpha checks need input's dtype)
                    input = _number_tensor(input)
                if isinstance(alpha, float) and isinstance(input, Tensor) and _np_kind(input._data.dtype) in "biu" \
                        and (not isinstance(other, Tensor) or _np_kind(other._data.dtype) in "biu"):
                    raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                                       "number.")
                if operand_check is not None:
                    operand_check(a, b)
                if F.needs_grad(input, other):
                    # PyTorch records one node (AddBackward0/SubBackward0 keeping ``_saved_alpha``),
                    # not a MulBackward0 for ``other * alpha`` under it (out= was refused above)
                    return _alpha_node(torch_name, binary_fn, input, other, alpha)
                fused = _fused(torch_name, input, other, alpha)
                if fused is not None:
                    if out is not None:
                        F.write_out(out, fused._data, torch_name)
                        return out
                    return fused
                if isinstance(other, Tensor) and other._data.dtype == np.bool_ and isinstance(input, Tensor):
                    # PyTorch scales in the result's dtype: a bool ``other`` takes the input's
                    # dtype first (int8 + bool * 2 stays int8), and bool + bool * 2 stays bool
                    if input._data.dtype == np.bool_:
                        r = (input.to(_dt_int64) + other.to(_dt_int64) * alpha) != 0
                        if out is not None:
                            F.write_out(out, r._data, torch_name)
                            return out
                        return r
                    other = other.to(input.dtype)
                other = other * alpha
            try:
                r = binary_fn(input, other)
            except TypeError:
                r = _two_numbers(binary_fn, input, other)
            if r is NotImplemented:
                raise TypeError(f"{torch_name}(): argument 'other' must be Tensor or Number, "
                                f"not {c_type_name(other)}")
            if out is not None:
                F.write_out(out, r._data, torch_name)
                return out
            return r
        fn.__name__ = fn.__qualname__ = torch_name
        return fn
    return wrapper


def _alpha_node(torch_name, binary_fn, input, other, alpha):
    """``add``/``sub`` with ``alpha != 1`` while recording: the value computed as without
    recording (``other * alpha`` first, so alpha's dtype rules are unchanged), the graph one
    node of the op over the operands as given, its ``attrs`` keeping alpha for the formula."""
    with no_grad():
        r = _fused(torch_name, input, other, alpha)
        if r is None:
            r = binary_fn(input, other * alpha)
    if r is NotImplemented:
        raise TypeError(f"{torch_name}(): argument 'other' must be Tensor or Number, not {c_type_name(other)}")
    from ...registry import registry
    # ``torch.sub(2, x, alpha=2)`` is SubBackward0 in PyTorch (``2 - x``, without alpha, is rsub's node)
    name = "SubBackward0" if torch_name != "add" and not isinstance(input, Tensor) else None
    Tensor._autograd.record(registry.ops[torch_name], r, (input, other), {"alpha": alpha}, node_name=name)
    return r


def _fused(torch_name, input, other, alpha):
    """``input ± alpha * other`` rounded once as PyTorch's kernel, for two CPU tensors of one dtype:
    a fused multiply-add for float32/float64 (``fused_multiply_add.py``), a float32 computation for
    the half types (``_frontend/half_alpha.py``); else None."""
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)) or input._device is not other._device:
        return None
    a, b = input._data, other._data
    if alpha.__class__ in (int, float):
        r = scaled_sum(a, alpha if torch_name == "add" else -alpha, b)
        if r is not None:
            return wrap(r, input._device)
    r = half_alpha(np.add if torch_name == "add" else np.subtract, a, b, alpha)
    return None if r is None else wrap(r, input._device)


def _first_of_two_numbers(input, other) -> bool:
    return isinstance(input, numbers.Number) and not isinstance(other, Tensor)


def _number_tensor(value):
    from ..creation import tensor
    return tensor(value)


def _two_numbers(binary_fn, input, other):
    """PyTorch's add/sub/mul/div also take two plain numbers (``torch.add(1, 2)`` is ``tensor(3)``,
    ``torch.div(1, 2)`` a float one): the first then stands as a 0-d tensor of its own dtype.
    Called once the two-operand function has refused the call, so tensors never pay for it; any
    other refusal is re-raised (``add("a", 2)`` names ``input``, ``add(1, "a")`` then ``other``)."""
    if not _first_of_two_numbers(input, other):
        raise
    return binary_fn(_number_tensor(input), other)


def _with_out(torch_name):
    """``mul(input, other, *, out=None)`` and the like: ``out=`` written here rather than by the
    generic ``_frontend.with_out`` so that two plain numbers can be taken in the same frame (the
    method ``Tensor.mul`` binds the plain two-operand function: ``method_fast``)."""
    def wrapper(binary_fn):
        def fn(input, other, *, out=None):
            if out is None:
                try:
                    return binary_fn(input, other)
                except TypeError:
                    return _two_numbers(binary_fn, input, other)
            F.check_out_grad(torch_name, out, input, other)
            if isinstance(out, Tensor):
                F.check_out_overlap(out, (input, other))
            try:
                r = binary_fn(input, other)
            except TypeError:
                r = _two_numbers(binary_fn, input, other)
            return F.write_out(out, r._data, torch_name)
        fn.__name__ = fn.__qualname__ = torch_name
        return fn
    return wrapper


_NO_ROUNDING = object()  # rounding_mode not passed: passing it, even as None, is another overload in PyTorch


def _div_wrapper(torch_name):
    def wrapper(binary_fn):
        def div(input, other, *, rounding_mode=_NO_ROUNDING, out=None):
            if out is not None:
                F.check_out_grad(torch_name, out, input, other)
                if isinstance(out, Tensor):
                    F.check_out_overlap(out, (input, other))
            if rounding_mode is _NO_ROUNDING:
                try:
                    r = binary_fn(input, other)
                except TypeError:
                    r = _two_numbers(binary_fn, input, other)
                if r is NotImplemented:
                    raise TypeError(f"div(): argument 'other' must be Tensor or Number, not {c_type_name(other)}")
            else:
                r = _div_rounding(torch_name, binary_fn, input, other, rounding_mode)
            if out is not None:
                F.write_out(out, r._data, "div")
                return out
            return r
        div.__name__ = div.__qualname__ = torch_name
        return div
    return wrapper


def _div_rounding(torch_name, binary_fn, input, other, rounding_mode):
    """``div(..., rounding_mode=...)``: PyTorch's ``div.Tensor_mode``, one node (``DivBackward2``)
    whose gradient is zero when rounding (and the true-division one for ``rounding_mode=None``)."""
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    if _first_of_two_numbers(input, other):
        input = _number_tensor(input)
    if rounding_mode is not None and not _both_float(input, other):
        rt = _dt.result_type(input, other)
        if rt.category <= 1:  # an integer result: the operands in its dtype first, numbers cast the C way
            input, other = (_in_dtype(x, rt) for x in (input, other))
    with no_grad():
        r = binary_fn(input, other)
        if r is NotImplemented:
            raise TypeError(f"div(): argument 'other' must be Tensor or Number, not {c_type_name(other)}")
        if rounding_mode is not None and r.is_complex():  # (PyTorch's kernel names itself)
            raise NotImplementedError(f"\"div_{rounding_mode}_cpu\" not implemented for '{F._type_name(r._data.dtype)}'")
        if rounding_mode == "trunc":
            r = r.trunc()
        elif rounding_mode == "floor" and r.dtype is _dt.bfloat16:
            # PyTorch floors the float32 quotient of the bfloat16 values (a number divisor rounded to
            # bfloat16 first), not the quotient already rounded to bfloat16: 3 / 0.3 floors to 9
            r = _bfloat16_floor_quotient(input, other)
        elif rounding_mode == "floor" and r.is_floating_point():
            r = _floor_quotient(input, other, r)
        elif rounding_mode == "floor":
            r = r.floor()
    if rounding_mode is not None and not _both_float(input, other):
        divisor = other._data if isinstance(other, Tensor) else other
        zero = divisor == 0
        if zero.any() if hasattr(zero, "any") else zero:
            raise RuntimeError("ZeroDivisionError")  # integer division, as PyTorch
        r = r.to(_dt.result_type(input, other))
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (input, other)):
        from ...registry import registry
        Tensor._autograd.record(registry.ops[torch_name], r, (input, other), {"rounding_mode": rounding_mode},
                                node_name="DivBackward2")
    return r


def _in_dtype(x, dtype):
    """An integer division operand in the result's dtype: ``uint8 // -2`` divides by 254, as
    PyTorch's kernel (whose operands are converted before it runs) does."""
    if isinstance(x, Tensor):
        return x if x.dtype is dtype else x.to(dtype)
    if isinstance(x, int) and not isinstance(x, bool):
        from .._frontend import _weak_scalar
        return int(_weak_scalar(x, dtype.np))
    return x


def _floor_quotient(input, other, quotient):
    """``div(..., rounding_mode='floor')`` of floats: the floor of the exact quotient, as Python's
    ``//`` (NumPy's ``floor_divide``), not the floor of the rounded one: 0.25 / 0.001 rounds to 250
    but 0.001 is a little more than a thousandth, and PyTorch's answer is 249. The operands in the
    quotient's dtype first, as PyTorch's kernel takes them."""
    npd = quotient._data.dtype
    if quotient._device.type == "cpu":
        xp = np
    else:
        from ...device import get_backend
        xp = get_backend(quotient._device).xp

    def operand(x):
        return x._data.astype(npd, copy=False) if isinstance(x, Tensor) else npd.type(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return wrap(xp.floor_divide(operand(input), operand(other)), quotient._device)


def _bfloat16_floor_quotient(input, other):
    def f32(x):
        if isinstance(x, Tensor):
            return x._data.astype(np.float32)
        return np.float32(np.asarray(x, dtype=_dt.BF16))
    a, b = f32(input), f32(other)
    dev = (input if isinstance(input, Tensor) else other)._device
    return wrap(np.floor(a / b).astype(_dt.BF16), dev)


def _both_float(a, b):
    def isf(x):
        return (x.is_floating_point() or x.is_complex()) if isinstance(x, Tensor) else isinstance(x, (float, complex))
    return isf(a) or isf(b)


binary("add", "add", dunders=("__add__",), rdunders=("__radd__",), idunders=("__iadd__",), wrapper=_with_alpha("add"))
_SUB_BOOL = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
             "`logical_xor()` operator instead.")


_SUB_ONE_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                 "mask, use the `~` or `logical_not()` operator instead.")


def _is_bool_operand(x):
    return x.__class__ is bool or getattr(x, "dtype", None) == np.bool_


def _sub_operand_check(a, b):
    """PyTorch refuses ``-`` with exactly one bool operand (``1 - mask``), whatever the other is;
    two bool operands reach the kernel, which words that case (``_SUB_BOOL``). Runs before
    promotion, which would turn the bool into the other operand's dtype."""
    if _is_bool_operand(a) is not _is_bool_operand(b):
        raise RuntimeError(_SUB_ONE_BOOL)


def refuse_bool_subtraction(a, b):
    """Subtraction's refusals of bool operands (two, or one), on the operands as given: for
    ``sub(x, y, alpha=2)`` before alpha turns a bool ``y`` into an int, and for ops PyTorch computes
    through a subtraction (``dist``)."""
    if _is_bool_operand(a) and _is_bool_operand(b):
        raise RuntimeError(_SUB_BOOL)
    _sub_operand_check(a, b)


def _sub_kernel(xp, a, b):
    try:
        return xp.subtract(a, b)
    except TypeError:
        if getattr(a, "dtype", None) == np.bool_:
            raise RuntimeError(_SUB_BOOL) from None
        raise


def _sub_cpu(a, b):  # the CPU table entry: no partial() layer on this hot path
    try:
        return np.subtract(a, b)
    except TypeError:
        return _sub_kernel(np, a, b)


_sub_op = binary("sub", kernel=_sub_kernel, kernels={"cpu": _sub_cpu}, dunders=("__sub__",), rdunders=("__rsub__",), idunders=("__isub__",),
       wrapper=_with_alpha("sub", refuse_bool_subtraction), operand_check=_sub_operand_check)
binary("subtract", kernel=_sub_kernel, kernels={"cpu": _sub_cpu}, wrapper=_with_alpha("subtract", refuse_bool_subtraction),
       operand_check=_sub_operand_check)
binary("mul", "multiply", dunders=("__mul__",), rdunders=("__rmul__",), idunders=("__imul__",), wrapper=_with_out("mul"),
       method_fast=True)
binary("multiply", "multiply", wrapper=_with_out("multiply"), method_fast=True)
# (``__div__``/``__rdiv__``/``__idiv__``: Python 2's names, which PyTorch's Tensor still has as aliases)
binary("div", "true_divide", mode="float", dunders=("__truediv__", "__div__"), rdunders=("__rtruediv__", "__rdiv__"),
       idunders=("__itruediv__", "__idiv__"), wrapper=_div_wrapper("div"), scalar_first_node="MulBackward0")
binary("divide", "true_divide", mode="float", wrapper=_div_wrapper("divide"), scalar_first_node="MulBackward0")
binary("true_divide", "true_divide", mode="float", scalar_first_node="MulBackward0", wrapper=_with_out("true_divide"),
       method_fast=True)
def _int_div_kernel(fn):
    """Integer division and remainder raise on a zero divisor, as PyTorch does (NumPy gives 0).
    Operands arrive promoted to one dtype (bool and complex ones were refused by the ops'
    ``kernel_dtypes`` check); a divisor without a dtype is a Python scalar next to a floating
    tensor (the fast path), where IEEE inf/nan is the answer."""
    def kernel(xp, a, b):
        if getattr(b, "dtype", None) is not None and _np_kind(b.dtype) in "iu" and not b.all():
            raise RuntimeError("ZeroDivisionError")
        r = getattr(xp, fn)(a, b)
        if fn == "remainder" and _np_kind(r.dtype) == "f":
            # a zero remainder has the dividend's sign in PyTorch (NumPy gives it the divisor's)
            r = xp.where(r == 0, xp.copysign(r, a), r)
        return r
    return kernel


def _raise_if_complex(xp, kernel, a, b) -> None:
    """PyTorch's error for a complex operand of an op that (in NumPy as in PyTorch) has only a real
    kernel. Called where NumPy has already refused, so the common case pays nothing."""
    dt = xp.result_type(a, b)
    if dt.kind == "c":
        device = "cpu" if xp is np else "cuda"
        raise NotImplementedError(f"\"{kernel}_{device}\" not implemented for '{F._type_name(dt)}'") from None


def _int_div_cpu(fn):
    return functools.partial(_int_div_kernel(fn), np)


binary("floor_divide", kernel=_int_div_kernel("floor_divide"), kernels={"cpu": _int_div_cpu("floor_divide")},
       dunders=("__floordiv__",), rdunders=("__rfloordiv__",), idunders=("__ifloordiv__",),
       wrapper=_with_out("floor_divide"), method_fast=True, operand_check=kernel_dtypes("div_floor", "iuf"))
# ``x.fmod(1.5)`` / ``x % 2``: PyTorch's Scalar overloads (FmodBackward0, RemainderBackward0) save
# nothing - the gradient is the incoming one - so a second backward through them works. Their own
# hidden ops carry a formula that saves nothing; ``tensor op tensor`` keeps the full node.
_remainder_by_number = binary("_remainder_scalar", kernel=_int_div_kernel("remainder"),
                              kernels={"cpu": _int_div_cpu("remainder")}, inplace=False, method=False,
                              public=False, node="RemainderBackward0", samples=_int_pair_samples())
_fmod_by_number = binary("_fmod_scalar", kernel=_int_div_kernel("fmod"), kernels={"cpu": _int_div_cpu("fmod")},
                         inplace=False, method=False, public=False, node="FmodBackward0",
                         samples=_int_pair_samples())
binary("remainder", kernel=_int_div_kernel("remainder"), kernels={"cpu": _int_div_cpu("remainder")},
       dunders=("__mod__",), rdunders=("__rmod__",), idunders=("__imod__",), scalar_other_op=_remainder_by_number,
       operand_check=kernel_dtypes("remainder", "iuf"))
binary("fmod", kernel=_int_div_kernel("fmod"), kernels={"cpu": _int_div_cpu("fmod")},
       scalar_other_op=_fmod_by_number, operand_check=kernel_dtypes("fmod", "iuf"))
# exponents PyTorch's CPU kernel computes with products rather than pow() (checked bit for bit;
# pow() rounds differently in a third of the elements): x ** 3 = x * x * x, x ** -2 = 1 / (x * x),
# x ** -0.5 = 1 / sqrt(x) (for a Python number exponent and a real floating-point base). x ** 2,
# x ** -1 and x ** 1 give pow()'s very values as x * x, 1 / x and a copy, which NumPy's power ufunc
# does not see (it takes its general loop, 3x slower than square)
_BY_PRODUCTS = (2, 3, -1, -2, -0.5, 1)


def _pow_by_products(xp, a, b):
    if b == 2:
        return xp.square(a)
    if b == 3:
        return a * a * a
    if b == -1:
        return 1 / a
    if b == -2:
        return 1 / (a * a)
    if b == 1:
        return a.copy()
    return 1 / xp.sqrt(a)


def _bool_pow(xp, a, b):
    """pow with a bool base and a bool exponent (their common dtype bool): PyTorch has no bool
    kernel, but its Tensor-Scalar overload answers exponents 1 and 0 without one (a copy, ones)."""
    if isinstance(a, xp.ndarray) and not isinstance(b, xp.ndarray):  # (the number arrives as np.bool_)
        return a.copy() if b else xp.ones(a.shape, dtype=a.dtype)
    raise NotImplementedError("\"pow\" not implemented for 'Bool'")


def _is_bool_pair(a, b):
    return getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_


def _pow_kernel(xp, a, b):
    if getattr(a, "dtype", None) is not None and _np_kind(a.dtype) == "c":
        return complex_pow(xp, a, b)
    if _is_bool_pair(a, b):
        return _bool_pow(xp, a, b)
    if b.__class__ in (int, float) and b in _BY_PRODUCTS and getattr(a, "dtype", None) is not None \
            and _np_kind(a.dtype) == "f" and a.dtype.itemsize >= 4:  # (float16 goes through float32 in PyTorch)
        return _pow_by_products(xp, a, b)
    try:
        return xp.power(a, b)
    except ValueError as e:  # NumPy: integers to negative integer powers
        if "broadcast" in str(e):
            raise  # the frontend turns it into PyTorch's shape message
        if isinstance(b, xp.ndarray):
            return _int_pow_tensor_exponents(xp, a, b)
        raise RuntimeError(str(e)) from None  # PyTorch too refuses a negative Python int exponent


def _int_pow_tensor_exponents(xp, a, b):
    """PyTorch's integer pow where a tensor of exponents holds negative ones: a ** -n is 1 / a ** n
    truncated toward zero, so 0 except for a base of 1 (1) or -1 (+-1 by parity); 0 ** -n is 0."""
    negative = b < 0
    dt = xp.result_type(a, b)
    one = xp.ones((), dt)
    r = xp.power(a, xp.where(negative, xp.zeros((), b.dtype), b)).astype(dt, copy=False)
    odd = (b % 2) != 0
    at_negative = xp.where(a == 1, one, xp.where((a == -1) & ~odd, one, xp.where(a == -1, -one, xp.zeros((), dt))))
    return xp.where(negative, at_negative, r)


def _pow_cpu(a, b):
    if a.dtype.kind in "cb" if a.__class__ is np.ndarray else a.__class__ is np.bool_:
        return _pow_kernel(np, a, b)
    if b.__class__ in (int, float) and b in _BY_PRODUCTS and a.__class__ is np.ndarray and _np_kind(a.dtype) == "f" \
            and a.dtype.itemsize >= 4:
        return _pow_by_products(np, a, b)
    try:
        return np.power(a, b)
    except ValueError:
        return _pow_kernel(np, a, b)


# a number base or exponent gets no edge: PyTorch's Scalar overloads (x ** 2: PowBackward0, 2 ** x:
# PowBackward2) have one input, so their next_functions hold the tensor's edge only
def _pow_operand_check(a, b):
    """An integer tensor to a negative Python int: PyTorch refuses it (the promotion would turn
    ``uint8 ** -2`` into ``uint8 ** 254`` before NumPy could)."""
    if b.__class__ is int and b < 0 and getattr(a, "dtype", None) is not None and _np_kind(a.dtype) in "iu":
        raise RuntimeError("Integers to negative integer powers are not allowed.")


_UNSET = object()


def _pow_keywords(binary_fn):
    """``pow(input, exponent)`` with PyTorch's keyword names (``pow(x, exponent=2)``,
    ``x.pow(exponent=2)``, and ``pow(self=2, exponent=x)`` of its number-base overload); the
    operators bind the plain two-argument function."""
    def pow(input=_UNSET, exponent=_UNSET, **kwargs):
        if "self" in kwargs and input is _UNSET:
            input = kwargs.pop("self")
        if kwargs:
            raise TypeError(f"pow() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if input is _UNSET or exponent is _UNSET:
            missing = "input" if input is _UNSET else "exponent"
            raise TypeError(f"pow() missing 1 required positional arguments: \"{missing}\"")
        return binary_fn(input, exponent)
    return pow


binary("pow", kernel=_pow_kernel, kernels={"cpu": _pow_cpu}, dunders=("__pow__",), rdunders=("__rpow__",), idunders=("__ipow__",),
       scalar_inputs=(0, 1), operand_check=_pow_operand_check, wrapper=_pow_keywords)
def _float_power_kernel(xp, a, b):
    # PyTorch computes in double precision: complex128 when either operand is complex
    wide = np.complex128 if any(np.asarray(x).dtype.kind == "c" if not hasattr(x, "dtype") else _np_kind(x.dtype) == "c"
                                for x in (a, b)) else np.float64
    return xp.power(xp.asarray(a, dtype=wide), xp.asarray(b, dtype=wide) if hasattr(b, "dtype") else b)


def _limited_retry(convert):
    """``wrapper=`` of ops PyTorch computes by converting its operands first, so that a limited
    dtype (uint16/32/64, the 8-bit floats) never meets type promotion there: the plain function
    runs as before, and only its promotion refusal turns to ``convert(binary_fn, input, other,
    error)``, PyTorch's own computation (common dtypes never reach the except branch)."""
    def wrapper(binary_fn):
        def fn(input, other):
            try:
                return binary_fn(input, other)
            except RuntimeError as e:
                if not str(e).startswith("Promotion for "):
                    raise
                return convert(binary_fn, input, other, e)
        fn.__name__ = fn.__qualname__ = binary_fn.__name__
        return fn
    return wrapper


def _float_power_in_double(binary_fn, input, other, err):
    # PyTorch's float_power converts both operands to double first (complex128 if complex)
    def wide(x):
        if not isinstance(x, Tensor) or not x.dtype.limited:
            return x
        return x.to(_dt.float64)
    return binary_fn(wide(input), wide(other))


def _ldexp_as_mul(binary_fn, input, other, err):
    # PyTorch's ldexp is mul(input, pow(2., other)): a uint tensor with an int64 exponent is float32
    if not isinstance(other, Tensor):
        raise err
    if isinstance(input, Tensor) and input.dtype.limited and input.dtype.is_floating_point \
            and not other.dtype.is_floating_point:
        # (an 8-bit float with an integer exponent: PyTorch's kernel refuses before any promotion)
        raise NotImplementedError(f"\"ldexp_{input._device.type}\" not implemented for '{input.dtype.scalar_type}'")
    from ... import mul, pow
    return mul(input, pow(2., other))


binary("float_power", kernel=_float_power_kernel, inplace=False, mode="double",
       wrapper=_limited_retry(_float_power_in_double))
def _atan2_kernel(xp, a, b):
    try:
        return xp.arctan2(a, b)
    except TypeError:
        _raise_if_complex(xp, "atan2", a, b)
        raise


binary("atan2", kernel=_atan2_kernel, mode="float")
binary("arctan2", kernel=_atan2_kernel, mode="float")
binary("hypot", "hypot", mode="float", operand_check=kernel_dtypes("hypot", "f"))
def _real_extreme(name):
    """maximum/minimum/fmax/fmin: NumPy orders complex numbers, PyTorch refuses them.
    ``(kernel, cpu kernel)``, as for the comparisons."""
    def refuse(a, b):
        if _np_kind(a.dtype) == "c" or b.__class__ is complex or getattr(b, "dtype", a.dtype).kind == "c":
            raise RuntimeError(f"{name} not implemented for complex tensors.")

    def kernel(xp, a, b):
        refuse(a, b)
        return getattr(xp, name)(a, b)
    np_ufunc = getattr(np, name)

    def cpu(a, b):
        refuse(a, b)
        return np_ufunc(a, b)
    return {"kernel": kernel, "kernels": {"cpu": cpu}}


binary("maximum", **_real_extreme("maximum"), inplace=False)
binary("minimum", **_real_extreme("minimum"), inplace=False)
binary("fmax", **_real_extreme("fmax"), inplace=False)
binary("fmin", **_real_extreme("fmin"), inplace=False)
binary("copysign", "copysign", mode="float", operand_check=kernel_dtypes("copysign", "biuf"))
def _xlogy_kernel(xp, a, b):
    # either operand may arrive as a Python scalar (weak: it takes the tensor's dtype)
    dt = a.dtype if hasattr(a, "dtype") else b.dtype
    if not hasattr(a, "dtype"):
        a = xp.asarray(a, dtype=dt)
    if not hasattr(b, "dtype"):
        b = xp.asarray(b, dtype=dt)
    # 0 * log(y) is 0, except for y = NaN (as PyTorch)
    return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), dt), a * xp.log(b))


# (half types step by step: PyTorch's xlogy kernel rounds log(y) to the half type before the product)
binary("xlogy", kernel=_xlogy_kernel, mode="float", bf16_native=True, operand_check=kernel_dtypes("xlogy", "biuf"))

def _ldexp_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _si((2, 3), device, 2, -3, 4)), {}),
            ((_sx((2, 3), dtype, device, 3), _sx((3,), dtype, device, 4)), {})]


def _nextafter_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2)), {}),
            ((_sx((2, 1), dtype, device, 3), _sx((3,), dtype, device, 4)), {})]


def _ldexp_float8_refusal(input, other):
    """PyTorch 2.13's refusal of ``ldexp`` where an 8-bit float takes part, or None. Its ldexp runs an
    integer exponent through its own kernel (no 8-bit floats there) and a floating one as
    ``mul(input, pow(2., other))``, whose ``pow`` refuses an 8-bit float exponent and whose product
    refuses to promote an 8-bit float; the order below is the one PyTorch's errors show."""
    di, do = input.dtype, other.dtype
    f8_in, f8_other = di in _dt.FLOAT8_DTYPES, do in _dt.FLOAT8_DTYPES
    if not do.is_floating_point and not do.is_complex:
        return NotImplementedError(f"\"ldexp_{input._device.type}\" not implemented for '{di.scalar_type}'") \
            if f8_in else None
    pow_refusal = NotImplementedError(f"\"pow\" not implemented for '{do.scalar_type}'")
    promotion = RuntimeError(f"Promotion for Float8 Types is not supported, attempted to promote {di.scalar_type} "
                             f"and {do.scalar_type}")
    if f8_other:
        if other.ndim:
            return RuntimeError(f"Unknown Complex ScalarType for {do.scalar_type}") if di.is_complex else pow_refusal
        # a 0-d exponent: the product's promotion speaks first, except with float32 (pow's own dtype)
        if di is do or di is _dt.float32 or not (di.is_floating_point or di.is_complex):
            return pow_refusal
        return promotion
    if f8_in and not (input.ndim == 0 and other.ndim):
        return promotion
    return None


def _ldexp_wrapper(binary_fn):
    retrying = _limited_retry(_ldexp_as_mul)(binary_fn)

    def ldexp(input, other):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            if input.dtype.limited or other.dtype.limited:
                err = _ldexp_float8_refusal(input, other)
                if err is not None:
                    raise err
            if other._data.dtype == np.bool_ and _np_kind(input._data.dtype) == "f":
                # a floating input takes PyTorch's exponent kernel, which has no bool loop
                raise NotImplementedError(f"\"ldexp_{input._device.type}_exp\" not implemented for 'Bool'")
        return retrying(input, other)
    ldexp.__name__ = ldexp.__qualname__ = binary_fn.__name__
    return ldexp


binary("ldexp", kernel=lambda xp, a, b: a * xp.exp2(b), mode="float", samples=_ldexp_samples,
       wrapper=_ldexp_wrapper,
       reference=lambda a, b: a * np.exp2(b), elementwise=True, dtype_rule=False)
binary("nextafter", "nextafter", inplace=True, samples=_nextafter_samples,
       reference=np.nextafter, elementwise=True, operand_check=kernel_dtypes("nextafter", "f"))
binary("gcd", "gcd", differentiable=False, samples=_int_pair_samples(), reference=np.gcd, elementwise=True,
       operand_check=kernel_dtypes("gcd", "iu"))
binary("lcm", "lcm", differentiable=False, samples=_int_pair_samples(), reference=np.lcm, elementwise=True,
       operand_check=kernel_dtypes("lcm", "iu"))
binary("bitwise_left_shift", "left_shift", differentiable=False, dunders=("__lshift__",), rdunders=("__rlshift__",),
       idunders=("__ilshift__",), samples=_int_pair_samples(0, 5), reference=np.left_shift, elementwise=True,
       operand_check=kernel_dtypes("lshift", "iu"))
binary("bitwise_right_shift", "right_shift", differentiable=False, dunders=("__rshift__",),
       rdunders=("__rrshift__",), idunders=("__irshift__",), samples=_int_pair_samples(0, 5),
       reference=np.right_shift, elementwise=True, operand_check=kernel_dtypes("rshift", "iu"))


def _rsub_frontend(op):
    def rsub(input, other, *, alpha=1):
        """``other - alpha * input``, recorded as one node (``RsubBackward0``; ``RsubBackward1`` for
        a number ``other``), as PyTorch records it, rather than as the mul and sub it is made of."""
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("rsub", "input", 1, input)
        other_is_t = isinstance(other, Tensor)
        if not other_is_t and not isinstance(other, (int, float, complex, bool, np.number, np.bool_)):
            raise TypeError(f"rsub() received an invalid combination of arguments - got (Tensor, "
                            f"{c_type_name(other)}), but expected one of:\n"
                            " * (Tensor input, Tensor other, *, Number alpha = 1)\n"
                            " * (Tensor input, Number other, Number alpha = 1)\n")
        if alpha != 1 and not other_is_t:
            refuse_bool_subtraction(other, input._data)  # before alpha turns a bool input into an int
        with no_grad():
            out = _sub_op.frontend(other, input, alpha=alpha) if other_is_t else \
                (input * alpha if alpha != 1 else input).__rsub__(other)
        if _gs.enabled and (input._requires_grad or other_is_t and other._requires_grad):
            Tensor._autograd.record(op, out, (input, other), {"alpha": alpha},
                                    node_name="RsubBackward0" if other_is_t else "RsubBackward1")
        return out
    return rsub


def _rsub_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2)), {}),
            ((_sx((2, 3), dtype, device, 3), 1.5), {"alpha": 2})]


# torch.rsub(x, 2) is RsubBackward1 over x alone (the number gets no edge)
defop("rsub", frontend=_rsub_frontend, method=False, samples=_rsub_samples,
      reference=lambda a, b, alpha=1: b - alpha * a, scalar_inputs=(1,))
