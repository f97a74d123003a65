"""Elementwise ops: arithmetic, comparisons, logic and math functions.

Gradients for these live in ``tensorgraft/autograd/formulas/elementwise.py`` (autograd-engine).
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import no_grad, state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import CORE_OPS, binary, defop, unary

_FIRST = len(CORE_OPS)


def _sx(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    """A conformance-kit sample tensor (tiny, deterministic)."""
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _si(shape, device, seed, lo=1, hi=9):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=_dt.int64, device=device, low=lo, high=hi, seed=seed)


def _int_pair_samples(lo=1, hi=9):
    def samples(dtype, device):
        return [((_si((2, 3), device, 1, lo, hi), _si((2, 3), device, 2, lo, hi)), {}),
                ((_si((2, 3), device, 3, lo, hi), _si((3,), device, 4, lo, hi)), {})]
    return samples


def _positive_unary_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1, 0.5, 3.0),), {}), ((_sx((), dtype, device, 2, 0.5, 3.0),), {})]

# --------------------------------------------------------------------------- unary math
_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _neg_kernel(xp, a):
    try:
        return xp.negative(a)
    except TypeError:
        if a.dtype.kind == "b":
            raise RuntimeError(_NEG_BOOL) from None
        raise


def _neg_cpu(a):
    try:
        return np.negative(a)
    except TypeError:
        return _neg_kernel(np, a)


unary("neg", kernel=_neg_kernel, dunders=("__neg__",), kernels={"cpu": _neg_cpu})
unary("negative", kernel=_neg_kernel, inplace=True, kernels={"cpu": _neg_cpu})
def _abs_kernel(xp, a):
    if a.dtype.kind == "b":  # PyTorch has no bool kernel; NumPy's absolute returns the bools
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return xp.absolute(a)


unary("abs", kernel=_abs_kernel, dunders=("__abs__",))
unary("absolute", kernel=_abs_kernel)
def _sign_kernel(xp, a):
    if a.dtype.kind == "b":
        return a.copy()
    r = xp.sign(a)
    if a.dtype.kind == "f":
        r = xp.where(r != r, xp.zeros((), r.dtype), r)  # PyTorch: sign(nan) == 0
    return r


def _sign_real_kernel(xp, a):
    if a.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    return _sign_kernel(xp, a)


def _sgn_kernel(xp, a):
    if a.dtype.kind == "c":  # z / |z| (0 at 0), whatever NumPy's own complex sign convention
        m = xp.abs(a)
        return xp.where(m == 0, xp.zeros((), a.dtype), a / xp.where(m == 0, xp.ones((), m.dtype), m))
    return _sign_kernel(xp, a)


unary("sign", kernel=_sign_real_kernel)
unary("sgn", kernel=_sgn_kernel)
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
unary("square", kernel=lambda xp, a: (a.astype(np.int64) if a.dtype.kind == "b" else a) ** 2,
      node="PowBackward0")
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
def _relu_kernel(xp, a):
    if a.dtype.kind in "bc":  # NumPy would keep bools as they are, and order complex numbers
        if a.dtype.kind == "c":  # PyTorch's relu is a clamp, which words the refusal
            raise NotImplementedError("clamp is not supported for complex types")
        raise RuntimeError("Boolean inputs not supported for relu")
    return xp.maximum(a, 0)


unary("relu", kernel=_relu_kernel)


# --------------------------------------------------------------------------- relu's backward
# ``threshold_backward(grad, x, t)``: exactly 0 where x <= t (also where grad is inf or NaN, which
# a multiplication by the 0/1 mask would turn into NaN), else grad. Written as "not x <= t" rather
# than "x > t" because PyTorch passes the gradient where x is NaN (relu(nan) = nan has grad 1).
# PyTorch's op of the same name, so a double backward through relu records ThresholdBackwardBackward0.
def _threshold_backward_kernel(xp, g, x, threshold):
    flat = x <= threshold
    if xp is np and g.dtype.kind == "f" and g.shape == flat.shape:
        # np.where branches per element and is ~15x slower than a multiply on a random mask;
        # and-ing the bits with an all-ones/all-zeros mask (flat - 1: 0 or -1) is branch-free
        ints = np.dtype(f"i{g.dtype.itemsize}")
        return np.bitwise_and(g.view(ints), np.subtract(flat.view(np.uint8), 1, dtype=ints)).view(g.dtype)
    return xp.where(flat, xp.zeros((), g.dtype), g)


def _threshold_backward_frontend(op):
    table = op.table

    def threshold_backward(grad, input, threshold):
        out = wrap(table[grad._device.type](grad._data, input._data, threshold), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (grad, input), {"threshold": threshold})
        return out
    return threshold_backward


def _threshold_backward_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2), 0.0), {}),
            ((_sx((4,), dtype, device, 3), _sx((4,), dtype, device, 4), 0.5), {})]


def _threshold_backward_ref(g, x, threshold):
    return np.where(x <= threshold, 0, g)


threshold_backward = defop("threshold_backward", kernel=_threshold_backward_kernel,
                           frontend=_threshold_backward_frontend, method=False, public=False,
                           samples=_threshold_backward_samples, reference=_threshold_backward_ref, elementwise=False)


def _real_only(a, kernel: str) -> None:
    """PyTorch has no complex kernel for the special functions (SciPy has some, or leaks a TypeError)."""
    if a.dtype.kind == "c":
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
    return sp.polygamma(n, a).astype(a.dtype, copy=False)


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
    if a.dtype.kind not in float_kinds:
        a = a.astype(_dt.get_default_dtype().np)
    out = wrap(op.table[input._device.type](a, order), input._device)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), {attr: order})
    return out


def check_polygamma_order(n, fname):
    """PyTorch's parser takes ``n`` as an int only (or a 0-d integer tensor): a float (even
    ``1.0``), a bool or another tensor is a TypeError rather than an order truncated to int."""
    if n.__class__ is bool or not isinstance(n, numbers.Integral):
        if isinstance(n, Tensor) and n._data.ndim == 0 and n._data.dtype.kind in "iu":
            return
        raise TypeError(f"{fname}(): argument 'n' (position 1) must be int, not {type(n).__name__}")


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


def _rounding(fn):
    def kernel(xp, a):
        if a.dtype.kind == "b":  # integers round to themselves; PyTorch has no bool kernel
            raise NotImplementedError(f"\"{fn}_vml_cpu\" not implemented for 'Bool'")
        if a.dtype.kind in "iu":
            return a.copy()
        try:
            return getattr(xp, fn)(a)
        except TypeError:  # NumPy has no complex rounding; neither has PyTorch, in its own words
            if a.dtype.kind == "c":
                raise NotImplementedError(f"{fn} is not supported for complex inputs") from None
            raise
    return kernel


unary("floor", kernel=_rounding("floor"))
unary("ceil", kernel=_rounding("ceil"))
unary("trunc", kernel=_rounding("trunc"))
unary("fix", kernel=_rounding("trunc"))
def _frac_kernel(xp, a):
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{F._type_name(a.dtype)}'")
    return a - xp.trunc(a)


unary("frac", kernel=_frac_kernel)


def _round_kernel(xp, a, decimals=0):
    if a.dtype.kind in "bc":  # no bool or complex kernel in PyTorch (NumPy rounds both)
        kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{F._type_name(a.dtype)}'")
    if a.dtype.kind in "iu":
        return a.copy()
    return xp.round(a, decimals)  # half to even, as PyTorch


# ``decimals`` not passed: rounds as 0 does, but PyTorch records another node for it
_NO_DECIMALS = object()


def _round_frontend(op):
    table = op.table

    def round(input, *, decimals=_NO_DECIMALS):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("round", "input", 1, input)
        plain = decimals is _NO_DECIMALS
        out = wrap(table[input._device.type](input._data, 0 if plain else decimals), input._device)
        if input._requires_grad and _gs.enabled:
            # passing ``decimals`` at all (even 0) is PyTorch's ``round.decimals`` overload, whose
            # node is RoundBackward1
            Tensor._autograd.record(op, out, (input,), None,
                                    node_name=None if plain else "RoundBackward1")
        return out
    return round


defop("round", kernel=_round_kernel, frontend=_round_frontend, inplace="round_")

unary("logical_not", kernel=lambda xp, a: xp.logical_not(a), differentiable=False)
def _bitwise_not_kernel(xp, a):
    if a.dtype.kind == "b":
        return xp.logical_not(a)
    if a.dtype.kind not in "iu":
        # (the ~ operator refuses these first, in Python's words: Tensor.__invert__)
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{F._type_name(a.dtype)}'")
    return xp.invert(a)


unary("bitwise_not", kernel=_bitwise_not_kernel, differentiable=False)
unary("isnan", "isnan", inplace=False, differentiable=False)
unary("isinf", "isinf", inplace=False, differentiable=False)
unary("isfinite", "isfinite", inplace=False, differentiable=False)
unary("isposinf", "isposinf", inplace=False, differentiable=False)
unary("isneginf", "isneginf", inplace=False, differentiable=False)
def _signbit_kernel(xp, a):
    try:
        return xp.signbit(a)
    except TypeError:
        if a.dtype.kind == "c":
            raise NotImplementedError("signbit is not implemented for complex tensors.") from None
        raise


unary("signbit", kernel=_signbit_kernel, inplace=False, differentiable=False)


def _positive_frontend(op):
    def positive(input):
        """``+x`` is ``x`` itself (no copy, no graph node), as in PyTorch."""
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("positive", "input", 1, input)
        if input._data.dtype.kind == "b":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return input
    return positive


defop("positive", kernel=lambda xp, a: a, frontend=_positive_frontend, dunders=("__pos__",), composite=True)


# --------------------------------------------------------------------------- binary arithmetic
def _with_alpha(torch_name, operand_check=None):
    """``add(input, other, *, alpha=1, out=None)``: alpha scales ``other`` first. The operator
    dunders bind the plain two-argument function, so ``a + b`` skips this layer. ``operand_check``
    sees the operands before the scaling changes ``other``'s dtype (a bool times 2 is an int)."""
    def wrapper(binary_fn):
        def fn(input, other, *, alpha=1, out=None):
            if out is not None:
                F.check_out_grad(torch_name, out, input, other)
            a = input._data if isinstance(input, Tensor) else input
            b = other._data if isinstance(other, Tensor) else other
            if alpha.__class__ is bool and not (_is_bool_operand(a) and _is_bool_operand(b)):
                # True == 1 would otherwise pass for an alpha of one
                raise RuntimeError("Boolean alpha only supported for Boolean results.")
            if alpha != 1:
                if isinstance(alpha, float) and isinstance(input, Tensor) and input._data.dtype.kind in "biu" \
                        and (not isinstance(other, Tensor) or other._data.dtype.kind in "biu"):
                    raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                                       "number.")
                if operand_check is not None:
                    operand_check(a, b)
                other = other * alpha
            r = binary_fn(input, other)
            if r is NotImplemented:
                raise TypeError(f"{torch_name}(): argument 'other' must be Tensor or Number, "
                                f"not {type(other).__name__}")
            if out is not None:
                F.write_out(out, r._data, torch_name)
                return out
            return r
        fn.__name__ = fn.__qualname__ = torch_name
        return fn
    return wrapper


_NO_ROUNDING = object()  # rounding_mode not passed: passing it, even as None, is another overload in PyTorch


def _div_wrapper(torch_name):
    def wrapper(binary_fn):
        def div(input, other, *, rounding_mode=_NO_ROUNDING, out=None):
            if out is not None:
                F.check_out_grad(torch_name, out, input, other)
            if rounding_mode is _NO_ROUNDING:
                r = binary_fn(input, other)
                if r is NotImplemented:
                    raise TypeError(f"div(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
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
    with no_grad():
        r = binary_fn(input, other)
        if r is NotImplemented:
            raise TypeError(f"div(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        if rounding_mode == "trunc":
            r = r.trunc()
        elif rounding_mode == "floor":
            r = r.floor()
    if rounding_mode is not None and not _both_float(input, other):
        divisor = other._data if isinstance(other, Tensor) else other
        zero = divisor == 0
        if zero.any() if hasattr(zero, "any") else zero:
            raise RuntimeError("ZeroDivisionError")  # integer division, as PyTorch
        r = r.to(_dt.result_type(input, other))
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (input, other)):
        from ..registry import registry
        Tensor._autograd.record(registry.ops[torch_name], r, (input, other), {"rounding_mode": rounding_mode},
                                node_name="DivBackward2")
    return r


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


def _sub_alpha_check(a, b):
    """``sub(x, y, alpha=2)``: the operands as given, before alpha turns a bool ``y`` into an int."""
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
       wrapper=_with_alpha("sub", _sub_alpha_check), operand_check=_sub_operand_check)
binary("subtract", kernel=_sub_kernel, kernels={"cpu": _sub_cpu}, wrapper=_with_alpha("subtract", _sub_alpha_check),
       operand_check=_sub_operand_check)
binary("mul", "multiply", dunders=("__mul__",), rdunders=("__rmul__",), idunders=("__imul__",))
binary("multiply", "multiply")
binary("div", "true_divide", mode="float", dunders=("__truediv__",), rdunders=("__rtruediv__",),
       idunders=("__itruediv__",), wrapper=_div_wrapper("div"), scalar_first_node="MulBackward0")
binary("divide", "true_divide", mode="float", wrapper=_div_wrapper("divide"), scalar_first_node="MulBackward0")
binary("true_divide", "true_divide", mode="float", scalar_first_node="MulBackward0")
def _int_div_kernel(fn):
    """Integer division and remainder raise on a zero divisor, as PyTorch does (NumPy gives 0).
    Operands arrive promoted to one dtype; a divisor without a dtype is a Python scalar next to
    a floating tensor (the fast path), where IEEE inf/nan is the answer."""
    def kernel(xp, a, b):
        if getattr(b, "dtype", None) is not None and b.dtype.kind in "iu" and not b.all():
            raise RuntimeError("ZeroDivisionError")
        try:
            r = getattr(xp, fn)(a, b)
        except TypeError:  # complex operands: word it as PyTorch
            _raise_if_complex(xp, _INT_DIV_KERNEL_NAMES[fn], a, b)
            raise
        if fn == "remainder" and r.dtype.kind == "f":
            # a zero remainder has the dividend's sign in PyTorch (NumPy gives it the divisor's)
            r = xp.where(r == 0, xp.copysign(r, a), r)
        return r
    return kernel


# PyTorch's names of the kernels, for its "not implemented for 'ComplexFloat'" errors
_INT_DIV_KERNEL_NAMES = {"remainder": "remainder", "fmod": "fmod", "floor_divide": "div_floor"}


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
       dunders=("__floordiv__",), rdunders=("__rfloordiv__",), idunders=("__ifloordiv__",))
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
       dunders=("__mod__",), rdunders=("__rmod__",), idunders=("__imod__",), scalar_other_op=_remainder_by_number)
binary("fmod", kernel=_int_div_kernel("fmod"), kernels={"cpu": _int_div_cpu("fmod")},
       scalar_other_op=_fmod_by_number)
def _pow_kernel(xp, a, b):
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
    try:
        return np.power(a, b)
    except ValueError:
        return _pow_kernel(np, a, b)


binary("pow", kernel=_pow_kernel, kernels={"cpu": _pow_cpu}, dunders=("__pow__",), rdunders=("__rpow__",), idunders=("__ipow__",))
def _float_power_kernel(xp, a, b):
    # PyTorch computes in double precision: complex128 when either operand is complex
    wide = np.complex128 if any(np.asarray(x).dtype.kind == "c" if not hasattr(x, "dtype") else x.dtype.kind == "c"
                                for x in (a, b)) else np.float64
    return xp.power(xp.asarray(a, dtype=wide), xp.asarray(b, dtype=wide) if hasattr(b, "dtype") else b)


binary("float_power", kernel=_float_power_kernel, inplace=False)
def _atan2_kernel(xp, a, b):
    try:
        return xp.arctan2(a, b)
    except TypeError:
        _raise_if_complex(xp, "atan2", a, b)
        raise


binary("atan2", kernel=_atan2_kernel, mode="float")
binary("arctan2", kernel=_atan2_kernel, mode="float")
binary("hypot", "hypot", mode="float")
def _real_extreme(name):
    """maximum/minimum/fmax/fmin: NumPy orders complex numbers, PyTorch refuses them.
    ``(kernel, cpu kernel)``, as for the comparisons."""
    def refuse(a, b):
        if a.dtype.kind == "c" or b.__class__ is complex or getattr(b, "dtype", a.dtype).kind == "c":
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
binary("copysign", "copysign", mode="float")
def _xlogy_kernel(xp, a, b):
    # either operand may arrive as a Python scalar (weak: it takes the tensor's dtype)
    dt = a.dtype if hasattr(a, "dtype") else b.dtype
    if not hasattr(a, "dtype"):
        a = xp.asarray(a, dtype=dt)
    if not hasattr(b, "dtype"):
        b = xp.asarray(b, dtype=dt)
    # 0 * log(y) is 0, except for y = NaN (as PyTorch)
    return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), dt), a * xp.log(b))


binary("xlogy", kernel=_xlogy_kernel, mode="float")

def _ldexp_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _si((2, 3), device, 2, -3, 4)), {}),
            ((_sx((2, 3), dtype, device, 3), _sx((3,), dtype, device, 4)), {})]


def _nextafter_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2)), {}),
            ((_sx((2, 1), dtype, device, 3), _sx((3,), dtype, device, 4)), {})]


binary("ldexp", kernel=lambda xp, a, b: a * xp.exp2(b), mode="float", samples=_ldexp_samples,
       reference=lambda a, b: a * np.exp2(b), elementwise=True, dtype_rule=False)
binary("nextafter", "nextafter", differentiable=False, inplace=True, samples=_nextafter_samples,
       reference=np.nextafter, elementwise=True)
binary("gcd", "gcd", differentiable=False, samples=_int_pair_samples(), reference=np.gcd, elementwise=True)
binary("lcm", "lcm", differentiable=False, samples=_int_pair_samples(), reference=np.lcm, elementwise=True)
binary("bitwise_left_shift", "left_shift", differentiable=False, dunders=("__lshift__",), rdunders=("__rlshift__",),
       idunders=("__ilshift__",), samples=_int_pair_samples(0, 5), reference=np.left_shift, elementwise=True)
binary("bitwise_right_shift", "right_shift", differentiable=False, dunders=("__rshift__",),
       rdunders=("__rrshift__",), idunders=("__irshift__",), samples=_int_pair_samples(0, 5),
       reference=np.right_shift, elementwise=True)


def _rsub_frontend(op):
    def rsub(input, other, *, alpha=1):
        """``other - alpha * input``, recorded as one node (``RsubBackward0``; ``RsubBackward1`` for
        a number ``other``), as PyTorch records it, rather than as the mul and sub it is made of."""
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("rsub", "input", 1, input)
        other_is_t = isinstance(other, Tensor)
        if alpha != 1 and not other_is_t:
            _sub_alpha_check(other, input._data)  # before alpha turns a bool input into an int
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


defop("rsub", frontend=_rsub_frontend, method=False, samples=_rsub_samples,
      reference=lambda a, b, alpha=1: b - alpha * a)

# comparisons: computed in the promoted dtype, result bool, never differentiable
def _ordering(ufunc, kernel_name):
    """lt/le/gt/ge: NumPy orders complex numbers lexicographically, PyTorch has no complex kernel.
    ``(kernel, cpu kernel)``: the CPU one calls NumPy's ufunc straight, after a test of the dtype."""
    def kernel(xp, a, b):
        _raise_if_complex(xp, kernel_name, a, b)
        return getattr(xp, ufunc)(a, b)
    np_ufunc = getattr(np, ufunc)

    def cpu(a, b):
        if a.dtype.kind == "c" or b.__class__ is complex or getattr(b, "dtype", a.dtype).kind == "c":
            _raise_if_complex(np, kernel_name, a, b)
        return np_ufunc(a, b)
    return kernel, cpu


_ORDER_KERNEL = {"less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge"}
for _name, _ufunc, _d in (("eq", "equal", "__eq__"), ("ne", "not_equal", "__ne__"), ("lt", "less", "__lt__"),
                          ("le", "less_equal", "__le__"), ("gt", "greater", "__gt__"),
                          ("ge", "greater_equal", "__ge__")):
    if _ufunc in _ORDER_KERNEL:
        _k, _cpu = _ordering(_ufunc, _ORDER_KERNEL[_ufunc])
        binary(_name, kernel=_k, kernels={"cpu": _cpu}, mode="bool", dunders=(_d,), differentiable=False,
               inplace=False)
    else:
        binary(_name, _ufunc, mode="bool", dunders=(_d,), differentiable=False, inplace=False)
for _alias, _ufunc in (("greater", "greater"), ("greater_equal", "greater_equal"), ("less", "less"),
                       ("less_equal", "less_equal"), ("not_equal", "not_equal")):
    if _ufunc in _ORDER_KERNEL:
        _k, _cpu = _ordering(_ufunc, _ORDER_KERNEL[_ufunc])
        binary(_alias, kernel=_k, kernels={"cpu": _cpu}, mode="bool", differentiable=False, inplace=False)
    else:
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


def _clamp_operands(name, input, *bounds):
    """The input's array and its bounds, all in PyTorch's result dtype of clamp: the usual
    promotion over the input and the bounds given (``clamp(bool_t, min=-1)`` is int64,
    ``clamp(int8_t, min=float64_t)`` float64). A tensor bound is already on ``input``'s device."""
    a = input._data
    if a.dtype.kind == "c":
        raise NotImplementedError(f"{name} is not supported for complex types")
    ranked = [(_dt._BY_NUMPY[a.dtype], _dt.ZERO_DIM if a.ndim == 0 else _dt.DIMENSIONED)]
    for v in bounds:
        if isinstance(v, Tensor):
            ranked.append((_dt._BY_NUMPY[v._data.dtype], _dt.ZERO_DIM if v._data.ndim == 0 else _dt.DIMENSIONED))
        elif v is not None:
            ranked.append((_dt._scalar_dtype(v), _dt.SCALAR))
    npd = _dt.result_type_ranked(ranked).np
    if a.dtype != npd:
        a = a.astype(npd)
    # a Python int out of the dtype's range wraps around, as PyTorch casts it
    out = [None if v is None else v._data.astype(npd, copy=False) if isinstance(v, Tensor) else F._weak_scalar(v, npd)
           for v in bounds]
    return a, out


def _clamp_frontend(op):
    table = op.table

    def clamp(input, min=None, max=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("clamp", "input", 1, input)
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) and min._device is not input._device or \
                isinstance(max, Tensor) and max._device is not input._device:
            input, min, max = F.join_cpu_scalars("clamp", input, min, max)
        a, (lo, hi) = _clamp_operands("clamp", input, min, max)
        try:
            out = wrap(table[input._device.type](a, lo, hi), input._device)
        except ValueError as e:
            raise F.shape_error(e, a, lo, hi) from None
        if _gs.enabled and (input._requires_grad or isinstance(min, Tensor) and min._requires_grad
                            or isinstance(max, Tensor) and max._requires_grad):
            # PyTorch's overloads: clamp(Tensor? min, Tensor? max) -> ClampBackward0 when every bound
            # given is a tensor; any Python number selects clamp(Scalar? min, Scalar? max) ->
            # ClampBackward1 (clamp_min/clamp_max record their own nodes only when called by name)
            numbers = (min is not None and not isinstance(min, Tensor)) or (max is not None and not isinstance(max, Tensor))
            name = "ClampBackward1" if numbers else "ClampBackward0"
            Tensor._autograd.record(op, out, (input, min, max), None, node_name=name)
        return out
    return clamp


_clamp = defop("clamp", kernel=_clamp_kernel, frontend=_clamp_frontend, inplace="clamp_")
defop("clip", kernel=_clamp_kernel, frontend=_clamp_frontend, inplace="clip_", formula_of="clamp")


def _clamp_side_frontend(op, side):
    """``clamp_min(input, min)`` / ``clamp_max(input, max)``: one bound, a number or a tensor."""
    table = op.table
    fname = op.name
    base = "ClampMin" if side == "min" else "ClampMax"

    def clamp_side(input, bound):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(fname, "input", 1, input)
        if bound is None:
            raise TypeError(f"{fname}(): argument '{side}' must be Number or Tensor, not NoneType")
        if isinstance(bound, Tensor) and bound._device is not input._device:
            input, bound = F.join_cpu_scalars(fname, input, bound)
        a, (b,) = _clamp_operands("clamp", input, bound)
        try:
            out = wrap(table[input._device.type](a, b), input._device)
        except ValueError as e:
            raise F.shape_error(e, a, b) from None
        if _gs.enabled and (input._requires_grad or isinstance(bound, Tensor) and bound._requires_grad):
            Tensor._autograd.record(op, out, (input, bound), None,
                                    node_name=base + ("Backward1" if isinstance(bound, Tensor) else "Backward0"))
        return out
    clamp_side.__name__ = clamp_side.__qualname__ = fname
    return clamp_side


defop("clamp_min", kernel=lambda xp, a, b: xp.maximum(a, b), frontend=lambda op: _clamp_side_frontend(op, "min"),
      inplace="clamp_min_")
defop("clamp_max", kernel=lambda xp, a, b: xp.minimum(a, b), frontend=lambda op: _clamp_side_frontend(op, "max"),
      inplace="clamp_max_")


# --------------------------------------------------------------------------- lerp, nan_to_num, logit ...
def _lerp_kernel(xp, a, b, w):
    # PyTorch's two-sided form: exact at both ends (w == 0 -> a, w == 1 -> b)
    d = b - a
    return xp.where(xp.abs(w) < 0.5, a + w * d, b - d * (1 - w))


def _legacy_name(npdtype):
    """PyTorch's C++ scalar-type names used in some messages ("float", "double")."""
    return _C_TYPE_NAMES.get(str(npdtype), str(npdtype))


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "complex64": "c10::complex<float>",
                 "complex128": "c10::complex<double>", "int64": "long int", "int32": "int", "int16": "short int",
                 "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _clamp_inplace_check(self, min=None, max=None):
    """``int_t.clamp_(0.5)``: PyTorch refuses a Python float bound for an integer tensor before it
    computes anything, naming the tensor's C type ("long int"); a complex bound cannot become the
    double its scalar overload takes. Tensor bounds go the generic in-place cast check."""
    for bound in (min, max):
        if bound is None or isinstance(bound, Tensor):
            continue
        if isinstance(bound, complex) and not isinstance(bound, (int, float)) and bound.imag != 0:
            raise RuntimeError("value cannot be converted to type double without overflow")
        if isinstance(bound, (float, np.floating)) and self._data.dtype.kind in "biu":
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_legacy_name(self._data.dtype)}")


F.INPLACE_PRECHECKS.update(clamp_=_clamp_inplace_check, clip_=_clamp_inplace_check,
                           clamp_min_=lambda self, min: _clamp_inplace_check(self, min=min),
                           clamp_max_=lambda self, max: _clamp_inplace_check(self, max=max))


def _lerp_frontend(op):
    table = op.table

    def lerp(input, end, weight):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("lerp", "input", 1, input)
        if not isinstance(end, Tensor):
            raise F.not_a_tensor("lerp", "end", 2, end)
        dev = input._device
        if end._device is not dev or isinstance(weight, Tensor) and weight._device is not dev:
            input, end, weight = F.join_cpu_scalars("lerp", input, end, weight)
            dev = input._device
        a, b = input._data, end._data
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected dtype {_legacy_name(a.dtype)} for `end` but got dtype {_legacy_name(b.dtype)}")
        if a.dtype.kind not in "fc":
            raise RuntimeError(f"\"lerp_kernel_scalar\" not implemented for '{F._type_name(a.dtype)}'")
        if isinstance(weight, Tensor):
            w = weight._data
            if w.dtype != a.dtype:
                if w.ndim:
                    raise RuntimeError(f"expected dtype {_legacy_name(a.dtype)} for `weight` but got dtype "
                                       f"{_legacy_name(w.dtype)}")
                w = w.astype(a.dtype)  # a 0-d weight is cast, as PyTorch does
            node = "LerpBackward1"
        elif isinstance(weight, F._SCALARS):
            w = a.dtype.type(weight)
            node = None
        else:
            raise TypeError(f"lerp(): argument 'weight' must be Number or Tensor, not {type(weight).__name__}")
        try:
            out = wrap(table[dev.type](a, b, w), dev)
        except ValueError as e:
            raise F.shape_error(e, a, b, w) from None
        if F.needs_grad(input, end, weight):
            if node is None:  # a number weight: the node saves nothing but the number
                Tensor._autograd.record(_lerp_by_number, out, (input, end, weight), {"weight": weight})
            else:
                Tensor._autograd.record(op, out, (input, end, weight), None, node_name=node)
        return out
    return lerp


# PyTorch refuses mixed float32/float64 operands here (no promotion): the conformance kit's mixed
# precision check does not apply
defop("lerp", kernel=_lerp_kernel, frontend=_lerp_frontend, inplace="lerp_", dtype_rule=False)
# lerp with a number weight (PyTorch's LerpBackward0): its gradients need only the number, so its
# node keeps no tensors and a second backward through it works, as in PyTorch
_lerp_by_number = defop("_lerp_scalar", kernel=_lerp_kernel, frontend=_lerp_frontend, method=False, public=False,
                        node="LerpBackward0", dtype_rule=False)


def _nan_to_num_kernel(xp, a, nan, posinf, neginf):
    if a.dtype.kind not in "fc":
        return a.copy()
    return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_frontend(op):
    table = op.table

    def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("nan_to_num", "input", 1, input)
        out = wrap(table[input._device.type](input._data, 0.0 if nan is None else nan, posinf, neginf),
                   input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return nan_to_num


defop("nan_to_num", kernel=_nan_to_num_kernel, frontend=_nan_to_num_frontend, inplace="nan_to_num_")


def _logit_kernel(xp, a, eps):
    if eps is not None:
        lo, hi = eps, 1 - eps
        if lo <= hi:
            a = xp.clip(a, lo, hi)
        else:  # eps > 0.5: PyTorch raises x below lo to lo first, so lo wins where the bounds cross
            a = xp.where(a < lo, xp.asarray(lo, dtype=a.dtype), xp.where(a > hi, xp.asarray(hi, dtype=a.dtype), a))
    return xp.log(a / (1 - a))


def _logit_frontend(op):
    table = op.table

    def logit(input, eps=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("logit", "input", 1, input)
        a = input._data
        if a.dtype.kind not in "fc":
            a = a.astype(_dt.get_default_dtype().np)
        _real_only(a, "logit_cpu")
        out = wrap(table[input._device.type](a, eps), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"eps": eps})
        return out
    return logit


defop("logit", kernel=_logit_kernel, frontend=_logit_frontend, inplace="logit_")

unary("sinc", kernel=lambda xp, a: xp.sinc(a), to_float=True)
unary("deg2rad", kernel=lambda xp, a: a * a.dtype.type(math.pi / 180.0), to_float=True, node="Deg2RadBackward0")
unary("rad2deg", kernel=lambda xp, a: a * a.dtype.type(180.0 / math.pi), to_float=True, node="Rad2DegBackward0")
def _logaddexp_kernel(xp, a, b):
    try:
        return xp.logaddexp(a, b)
    except TypeError:  # NumPy has no complex logaddexp; PyTorch does
        if np.result_type(a, b).kind != "c":
            raise
    a, b = xp.broadcast_arrays(xp.asarray(a), xp.asarray(b))
    first_bigger = a.real >= b.real
    big, small = xp.where(first_bigger, a, b), xp.where(first_bigger, b, a)
    r = big + xp.log1p(xp.exp(small - big))
    return xp.where(xp.isinf(big.real), big, r)  # exp(inf - inf) would make it NaN


binary("logaddexp", kernel=_logaddexp_kernel, mode="float", inplace=False,
       kernels={"cpu": functools.partial(_logaddexp_kernel, np)})
binary("logaddexp2", "logaddexp2", mode="float", inplace=False)
def _heaviside_wrapper(fast):
    """PyTorch's heaviside takes two tensors of one real dtype (no promotion, no numbers)."""
    def heaviside(input, values):
        if not isinstance(values, Tensor):
            raise F.not_a_tensor("heaviside", "values", 2, values)
        if isinstance(input, Tensor):
            if input._data.dtype.kind == "c" or values._data.dtype.kind == "c":
                raise RuntimeError("heaviside is not yet implemented for complex tensors.")
            if input._data.dtype != values._data.dtype:
                raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
        return fast(input, values)
    return heaviside


# no promotion in PyTorch: the conformance kit's mixed-precision check does not apply
binary("heaviside", kernel=lambda xp, a, b: xp.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype, copy=False),
       differentiable=False, wrapper=_heaviside_wrapper, dtype_rule=False)


# --------------------------------------------------------------------------- addcmul / addcdiv
def _addc_kernel(kind):
    def kernel(xp, a, t1, t2, value):
        if kind == "mul":
            return a + value * (t1 * t2)
        return a + value * (t1 / t2)
    return kernel


def _addc_frontend(op, kind):
    table = op.table
    fname = op.name

    def addc(input, tensor1, tensor2, *, value=1, out=None):
        for pos, (nm, t) in enumerate((("input", input), ("tensor1", tensor1), ("tensor2", tensor2)), 1):
            if not isinstance(t, Tensor):
                raise F.not_a_tensor(fname, nm, pos, t)
        if tensor1._device is not input._device or tensor2._device is not input._device:
            input, tensor1, tensor2 = F.join_cpu_scalars(fname, input, tensor1, tensor2)
        ranked = [(t.dtype, _dt.ZERO_DIM if t._data.ndim == 0 else _dt.DIMENSIONED) for t in (input, tensor1, tensor2)]
        common = _dt.result_type_ranked(ranked)
        if kind == "div" and common.category < 2 and tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                               "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior "
                               "can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                               "for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The "
                               "future addcdiv behavior is just the latter implementation: "
                               "(input + value * tensor1 / tensor2), for all dtypes.")
        npd = common.np
        if npd.kind in "iu" and not isinstance(value, bool):
            # PyTorch truncates a float ``value`` for integer tensors (unlike add's ``alpha``),
            # and refuses one the dtype cannot hold
            value = int(value)
            info = np.iinfo(npd)
            if not info.min <= value <= info.max:
                raise RuntimeError(f"value cannot be converted to type {F._CONVERT_NAMES[npd.name]} without overflow")
        arrs = [t._data if t._data.dtype == npd else t._data.astype(npd) for t in (input, tensor1, tensor2)]
        res = wrap(table[input._device.type](*arrs, npd.type(value)), input._device)
        if F.needs_grad(input, tensor1, tensor2):
            Tensor._autograd.record(op, res, (input, tensor1, tensor2), {"value": value})
        if out is not None:
            F.write_out(out, res._data, fname)
            return out
        return res
    addc.__name__ = addc.__qualname__ = fname
    return addc


defop("addcmul", kernel=_addc_kernel("mul"), frontend=lambda op: _addc_frontend(op, "mul"), inplace="addcmul_")
defop("addcdiv", kernel=_addc_kernel("div"), frontend=lambda op: _addc_frontend(op, "div"), inplace="addcdiv_")


# --------------------------------------------------------------------------- closeness (not differentiable)
def _isclose_kernel(xp, a, b, rtol, atol, equal_nan):
    return xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _isclose_frontend(op):
    table = op.table

    def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("isclose", "input", 1, input)
        if not isinstance(other, Tensor):
            raise F.not_a_tensor("isclose", "other", 2, other)
        if other._device is not input._device:
            input, other = F.join_cpu_scalars("isclose", input, other)
        if input._data.dtype != other._data.dtype:
            raise RuntimeError(f"{F._type_name(input._data.dtype)} did not match {F._type_name(other._data.dtype)}")
        try:
            return wrap(table[input._device.type](input._data, other._data, rtol, atol, equal_nan), input._device)
        except ValueError as e:  # NumPy's broadcast error, worded as PyTorch's
            raise F.shape_error(e, input, other) from None
    return isclose


_isclose = defop("isclose", kernel=_isclose_kernel, frontend=_isclose_frontend, differentiable=False)


def _allclose_frontend(op):
    def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(_isclose.frontend(input, other, rtol, atol, equal_nan)._data.all())
    return allclose


defop("allclose", frontend=_allclose_frontend, differentiable=False)


def _equal_frontend(op):
    def equal(input, other):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("equal", "input", 1, input)
        if not isinstance(other, Tensor):
            raise F.not_a_tensor("equal", "other", 2, other)
        if other._device is not input._device:
            raise F.device_mismatch("equal", input, other)
        a, b = input._data, other._data
        return a.shape == b.shape and bool((a == b).all())
    return equal


defop("equal", frontend=_equal_frontend, differentiable=False)


# --------------------------------------------------------------------------- fill_, zero_, copy_
def _begin_inplace(self, others, name):
    """Shared checks of the hand-written in-place ops; returns whether autograd records."""
    F.check_not_inference(self)
    rec = _gs.enabled and (self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    if rec:
        F.check_inplace_allowed(self, name)
    return rec


def _write_into_view(view, value):
    """A recorded fill/copy into a view: the base's history gets the write (CopySlices), as
    PyTorch records any in-place op on a view - also when only ``value`` requires grad."""
    from .indexing import assign_into_view
    return assign_into_view(view, value)


def _fill_kernel(xp, a, value):
    a[...] = value


def _fill_frontend(op):
    table = op.table

    def fill_(input, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("fill_", "input", 1, input)
        if not isinstance(value, (Tensor, *F._SCALARS)):
            raise TypeError(f"fill_(): argument 'value' (position 1) must be Number, not {type(value).__name__}")
        # the leaf check comes before the value's rank check, as in PyTorch
        rec = _begin_inplace(input, (value,), "fill_")
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            if value._device is not input._device:
                # any 0-d value, from any device (PyTorch reads it with .item()); copied
                # differentiably so that its gradient lands on its own device
                value = value.to(input._device)
            v = value._data
            node = "FillBackward3"
        else:
            v = value
            node = "FillBackward2"
        d = input._data
        if d.dtype.kind not in "c" and isinstance(v, complex):
            if d.dtype.kind != "b":  # a bool tensor takes any number (non-zero is True)
                raise F.complex_into_real(d.dtype)
        if v.__class__ is int and d.dtype.kind in "iu":
            # checked here, not left to NumPy: 1.x wraps out-of-range Python ints with a warning
            info = np.iinfo(d.dtype)
            if not info.min <= v <= info.max:
                if not (d.dtype.kind == "u" and -(1 << 63) <= v < 0):
                    raise RuntimeError(f"value cannot be converted to type {d.dtype.name}_t without overflow")
                v %= 1 << (8 * d.dtype.itemsize)  # PyTorch wraps negatives into unsigned types
        if rec and input._base is not None:
            return _write_into_view(input, value if isinstance(value, Tensor) else v)
        if d.__class__ is np.ndarray and not d.flags.writeable:
            alias = F.writable_alias(input, fill=True)  # expand()'s view: PyTorch fills it all the same
            d = d if alias is None else alias
        table[input._device.type](d, v)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input, value), None, node_name=node)
        return input
    return fill_


defop("fill_", kernel=_fill_kernel, frontend=_fill_frontend)


def _zero_frontend(op):
    table = op.table

    def zero_(input):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("zero_", "input", 1, input)
        rec = _begin_inplace(input, (), "zero_")
        if rec and input._base is not None:
            return _write_into_view(input, 0)
        d = input._data
        if d.__class__ is np.ndarray and not d.flags.writeable:
            alias = F.writable_alias(input, fill=True)  # expand()'s view: PyTorch fills it all the same
            d = d if alias is None else alias
        table[input._device.type](d, 0)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input,), None, node_name="ZeroBackward0")
        return input
    return zero_


defop("zero_", kernel=_fill_kernel, frontend=_zero_frontend)


def _copy_kernel(xp, dst, src):
    if src.dtype.kind == "c" and dst.dtype.kind != "c":
        src = src.real
    dst[...] = src


def _copy_frontend(op):
    table = op.table

    def copy_(input, src, non_blocking=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("copy_", "input", 1, input)
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
        # the leaf check comes before the shape check, as in PyTorch
        rec = _begin_inplace(input, (src,), "copy_")
        data = src._data
        if src._device is not input._device:
            from .conversion import move_array
            data = move_array(data, src._device, input._device)
        d = input._data
        if data.shape != d.shape:
            _check_broadcast_into(d.shape, data.shape)
        if rec and input is src:
            rec = False  # x.copy_(x) leaves the history as it is
        if rec and input._base is not None:
            return _write_into_view(input, src if src._device is input._device else src.to(input._device))
        table[input._device.type](d, data)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input, src), {"device": src._device}, node_name="CopyBackwards")
        return input
    return copy_


def _check_broadcast_into(dst, src):
    """PyTorch's messages when ``src`` cannot be broadcast into ``dst``'s shape."""
    n = max(len(dst), len(src))
    a = (1,) * (n - len(dst)) + tuple(dst)
    b = (1,) * (n - len(src)) + tuple(src)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                               f"non-singleton dimension {i}")
    full = [max(x, y) for x, y in zip(a, b)]
    if tuple(full) != tuple(dst):
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape {full}")


defop("copy_", kernel=_copy_kernel, frontend=_copy_frontend, public=False)


# the ops this module declares (tests check each differentiable one has a formula)
ELEMENTWISE_OPS = CORE_OPS[_FIRST:]
