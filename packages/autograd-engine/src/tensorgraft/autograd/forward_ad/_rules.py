"""Forward formulas for the commonest ops: the short way to a tangent.

Every op gets its tangent from its reverse-mode formulas (``_propagation.py``: a shadow run and two
backward passes, ~100 µs a call). For the elementwise ops, products and sums that make up most of
a program, the Jacobian-vector product is one or two ops written down directly, as PyTorch's
forward formulas are; those are here. A rule answers None where its shortcut does not apply
(complex values, an unexpected argument, an exponent that is a tensor), and the call takes the
general path. The rules run with the forward-AD mode off (a mode is popped while its handler runs),
under the program's grad mode, so a tangent records a graph exactly when it depends on something
that requires grad.

Each rule is ``rule(func, args, kwargs, out, tangent, o)`` where ``tangent(v)`` is the tangent of
argument ``v`` (None: a constant) and ``o`` the ops to compute with (``_ops.py``: the dispatching
ones, or the plain implementations where nothing can override them), and returns the tangent of
``out``.
"""
from __future__ import annotations

import math

from tensorgraft.dtypes import _BY_NUMPY
from tensorgraft.overrides._binding import unwrapped
from tensorgraft.tensor import Tensor

from ._ops import DISPATCHING, PLAIN


def _unary(derivative):
    """``f(x)`` with ``f'`` given as ``derivative(o, x, out)``: ``f'(x) * t``."""
    def rule(func, args, kwargs, out, tangent, o):
        if len(args) != 1 or kwargs:
            return None
        t = tangent(args[0])
        return None if t is None else o.mul(t, derivative(o, args[0], out))
    return rule


def _linear(func, args, kwargs, out, tangent, o):
    """An op linear in its one tensor argument (``neg``, ``sum``, ``mean`` with their dims and
    dtype): the op applied to the tangent."""
    if not args or tangent(args[0]) is None or any(isinstance(v, Tensor) for v in (*args[1:], *kwargs.values())):
        return None
    return func(tangent(args[0]), *args[1:], **kwargs)


def _linear_given_indices(func, args, kwargs, out, tangent, o):
    """An op linear in its first argument whose other tensors are integer indices (``max_unpool``:
    where a duplicated index lets one value win, its tangent wins with it — a double vjp would sum
    them): the op applied to the tangent."""
    if not args or tangent(args[0]) is None:
        return None
    if any(isinstance(v, Tensor) and (tangent(v) is not None or _floating(v)) for v in (*args[1:], *kwargs.values())):
        return None
    return func(tangent(args[0]), *args[1:], **kwargs)


def _add(sign):
    def rule(func, args, kwargs, out, tangent, o):
        if len(args) != 2 or set(kwargs) - {"alpha"}:
            return None
        ta, tb = tangent(args[0]), tangent(args[1])
        alpha = kwargs.get("alpha", 1) * sign
        if tb is not None and alpha != 1:
            tb = o.mul(tb, alpha)
        if ta is None:
            return tb
        return ta if tb is None else o.add(ta, tb)
    return rule


def _mul(func, args, kwargs, out, tangent, o):
    if len(args) != 2 or kwargs:
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    left = None if ta is None else o.mul(ta, b)
    right = None if tb is None else o.mul(a, tb)
    return right if left is None else left if right is None else o.add(left, right)


def _div(func, args, kwargs, out, tangent, o):
    if len(args) != 2 or kwargs:  # (rounding_mode: no derivative to speak of; the general path)
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    if tb is None:
        return o.div(ta, b)
    numerator = o.neg(o.mul(out, tb)) if ta is None else o.sub(ta, o.mul(out, tb))
    return o.div(numerator, b)


def _pow(func, args, kwargs, out, tangent, o):
    if len(args) != 2 or kwargs or isinstance(args[1], Tensor) or not isinstance(args[1], (int, float)):
        return None
    x, p = args
    t = tangent(x)
    if t is None:
        return None
    if p == 0:
        return o.mul(t, 0)
    if p == 2:  # (x ** 2, the common case: ``x * 2`` is ``2 * x.pow(1)`` bit for bit, one op fewer)
        return o.mul(t, o.mul(x, p))
    return o.mul(t, o.rmul(o.pow(x, p - 1), p))


def _matmul(func, args, kwargs, out, tangent, o):
    if len(args) != 2 or kwargs:
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    left = None if ta is None else o.matmul(ta, b)
    right = None if tb is None else o.matmul(a, tb)
    return right if left is None else left if right is None else o.add(left, right)


def _linear_layer(func, args, kwargs, out, tangent, o):
    """``F.linear(x, w, b)``: ``tx @ w.T + x @ tw.T + tb``."""
    if len(args) + len(kwargs) > 3 or set(kwargs) - {"bias"} or len(args) < 2:
        return None
    x, w = args[:2]
    b = args[2] if len(args) > 2 else kwargs.get("bias")
    tx, tw, tb = tangent(x), tangent(w), (tangent(b) if b is not None else None)
    parts = [p for p in (None if tx is None else o.matmul(tx, o.T(w)), None if tw is None else o.matmul(x, o.T(tw)), tb)
             if p is not None]
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = o.add(total, p)
    return total


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_ERF_SCALE = 2 / math.sqrt(math.pi)

# each derivative as ``derivative(o, x, y)`` (``y``: the op's result), in the ops of ``_ops.py``
RULES = {
    "sin": _unary(lambda o, x, y: o.cos(x)),
    "cos": _unary(lambda o, x, y: o.neg(o.sin(x))),
    "tan": _unary(lambda o, x, y: o.radd(o.mul(y, y), 1)),
    "exp": _unary(lambda o, x, y: y),
    "exp2": _unary(lambda o, x, y: o.mul(y, _LN2)),
    "expm1": _unary(lambda o, x, y: o.add(y, 1)),
    "log": _unary(lambda o, x, y: o.reciprocal(x)),
    "log2": _unary(lambda o, x, y: o.reciprocal(o.mul(x, _LN2))),
    "log10": _unary(lambda o, x, y: o.reciprocal(o.mul(x, _LN10))),
    "log1p": _unary(lambda o, x, y: o.reciprocal(o.add(x, 1))),
    "sqrt": _unary(lambda o, x, y: o.reciprocal(o.mul(y, 2))),
    "rsqrt": _unary(lambda o, x, y: o.div(o.rmul(y, -0.5), x)),
    "tanh": _unary(lambda o, x, y: o.rsub(o.mul(y, y), 1)),
    "sigmoid": _unary(lambda o, x, y: o.mul(y, o.rsub(y, 1))),
    "sinh": _unary(lambda o, x, y: o.cosh(x)),
    "cosh": _unary(lambda o, x, y: o.sinh(x)),
    "atan": _unary(lambda o, x, y: o.reciprocal(o.radd(o.mul(x, x), 1))),
    "reciprocal": _unary(lambda o, x, y: o.neg(o.mul(y, y))),
    "square": _unary(lambda o, x, y: o.mul(x, 2)),
    "relu": _unary(lambda o, x, y: o.to(o.gt(x, 0), o.dtype(x))),
    # (hardsigmoid's backward has no derivative, as in PyTorch: the double vjp cannot serve)
    "hardsigmoid": _unary(lambda o, x, y: o.mul(o.to(o.gt(x, -3), o.dtype(x)),
                                                o.mul(o.to(o.gt(o.neg(x), -3), o.dtype(x)), 1 / 6))),
    "erf": _unary(lambda o, x, y: o.mul(o.exp(o.neg(o.mul(x, x))), _ERF_SCALE)),
    "neg": _linear, "negative": _linear, "__neg__": _linear,
    "sum": _linear, "mean": _linear,
    "max_unpool1d": _linear_given_indices, "max_unpool2d": _linear_given_indices,
    "max_unpool3d": _linear_given_indices,
    "add": _add(1), "__add__": _add(1), "__radd__": _add(1),
    "sub": _add(-1), "subtract": _add(-1), "__sub__": _add(-1),
    "mul": _mul, "multiply": _mul, "__mul__": _mul, "__rmul__": _mul,
    "div": _div, "divide": _div, "true_divide": _div, "__truediv__": _div,
    "pow": _pow, "__pow__": _pow,
    "matmul": _matmul, "mm": _matmul, "__matmul__": _matmul,
    "linear": _linear_layer,
}


# A plain Tensor's dtype, shape and floating-pointness read straight from its array: through the
# dispatch wrappers (on while a level is entered) each read costs ~0.5 µs, and a call reads ~8. For
# a plain Tensor nothing can override them; anything else (a subclass) is asked as usual.
_is_float = unwrapped(Tensor.is_floating_point)
_is_complex = unwrapped(Tensor.is_complex)


def _floating(t) -> bool:
    return _is_float(t) if type(t) is Tensor else t.is_floating_point()


def _complex(t) -> bool:
    return _is_complex(t) if type(t) is Tensor else t.is_complex()


def _dtype(t):
    return _BY_NUMPY[t._data.dtype] if type(t) is Tensor else t.dtype


def _shape(t) -> tuple:
    return t._data.shape if type(t) is Tensor else tuple(t.shape)


def tangent_by_rule(func, name, args, kwargs, out, duals, run=None):
    """The tangent of ``out`` from a rule, or None where no rule applies (the general path then).
    ``run``: the implementation behind ``func``'s dispatch wrapper where nothing overrides the
    call (no mode left on, no argument with ``__torch_function__``), else None or ``func``."""
    rule = RULES.get(name)
    if rule is None:
        return None
    plain_out = type(out) is Tensor
    if not (_is_float(out) if plain_out else isinstance(out, Tensor) and out.is_floating_point()):
        return None
    same_dtypes = True  # (the common case: each tangent in its primal's dtype, all plain Tensors)
    for t, tangent in duals.values():
        if type(t) is Tensor and type(tangent) is Tensor and (dtype := t._data.dtype) is tangent._data.dtype:
            if dtype.kind != "f" and not _is_float(t):
                return None  # (complex values: the general path keeps PyTorch's conjugate conventions)
            continue
        if not _floating(t) or _complex(tangent):
            return None
        same_dtypes = False

    if same_dtypes:
        def tangent_of(v):
            entry = duals.get(id(v))  # (a live dual tensor's id is no other live object's)
            return None if entry is None else entry[1]
    else:
        def tangent_of(v):
            entry = duals.get(id(v)) if isinstance(v, Tensor) else None
            if entry is None:
                return None
            primal, tangent = entry  # (a float64 tangent of a float32 primal computes in the primal's dtype)
            dtype = _dtype(primal)
            return tangent if _dtype(tangent) == dtype else tangent.to(dtype)

    # plain Tensors all round (arguments, result, tangents): the rule's ops skip the dispatch wrappers
    if same_dtypes and plain_out and run is not None and run is not func:
        t = rule(run, args, kwargs, out, tangent_of, PLAIN)
    else:
        t = rule(func, args, kwargs, out, tangent_of, DISPATCHING)
    if type(t) is Tensor and plain_out:
        a, b = t._data, out._data
        if a.dtype is b.dtype and a.shape == b.shape:
            return unaliased(t, duals)
    elif t is None or not isinstance(t, Tensor):
        return None
    dtype = _dtype(out)
    if _dtype(t) != dtype:
        t = t.to(dtype)
    if _shape(t) != _shape(out):  # (a broadcast operand: its tangent spread over the result)
        t = t.expand(out.shape).contiguous()
    return unaliased(t, duals)


def unaliased(t, duals):
    """``t``, or a copy where it is (or views the memory of) a tangent the op was given: a non-view
    op's tangent is new memory in PyTorch, so an in-place op on its result (``x.clone().mul_(2)``,
    ``(x + 3).mul_(2)``) never writes into ``make_dual``'s tangent. (``add``'s rule hands its operand's
    tangent back; so does the double-vjp of ``clone``.)"""
    data = t._data
    for _, tangent in duals.values():
        other = tangent._data
        if data is other or data.base is not None and (data.base is other or data.base is other.base):
            return t.clone()
    return t
