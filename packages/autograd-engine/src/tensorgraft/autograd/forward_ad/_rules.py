"""Forward formulas for the commonest ops: the short way to a tangent.

Every op gets its tangent from its reverse-mode formulas (``_propagation.py``: a shadow run and two
backward passes, ~100 µs a call). For the elementwise ops, products and sums that make up most of
a program, the Jacobian-vector product is one or two ops written down directly, as PyTorch's
forward formulas are; those are here. A rule answers None where its shortcut does not apply
(complex values, an unexpected argument, an exponent that is a tensor), and the call takes the
general path. The rules run with the forward-AD mode off (a mode is popped while its handler runs),
under the program's grad mode, so a tangent records a graph exactly when it depends on something
that requires grad.

Each rule is ``rule(func, args, kwargs, out, tangent)`` where ``tangent(v)`` is the tangent of
argument ``v`` (None: a constant), and returns the tangent of ``out``.
"""
from __future__ import annotations

import math

from tensorgraft.tensor import Tensor


def _unary(derivative):
    """``f(x)`` with ``f'`` given as ``derivative(x, out)``: ``f'(x) * t``."""
    def rule(func, args, kwargs, out, tangent):
        if len(args) != 1 or kwargs:
            return None
        t = tangent(args[0])
        return None if t is None else t * derivative(args[0], out)
    return rule


def _linear(func, args, kwargs, out, tangent):
    """An op linear in its one tensor argument (``neg``, ``sum``, ``mean`` with their dims and
    dtype): the op applied to the tangent."""
    if not args or tangent(args[0]) is None or any(isinstance(v, Tensor) for v in (*args[1:], *kwargs.values())):
        return None
    return func(tangent(args[0]), *args[1:], **kwargs)


def _add(sign):
    def rule(func, args, kwargs, out, tangent):
        if len(args) != 2 or set(kwargs) - {"alpha"}:
            return None
        ta, tb = tangent(args[0]), tangent(args[1])
        alpha = kwargs.get("alpha", 1) * sign
        if tb is not None and alpha != 1:
            tb = tb * alpha
        if ta is None:
            return tb
        return ta if tb is None else ta + tb
    return rule


def _mul(func, args, kwargs, out, tangent):
    if len(args) != 2 or kwargs:
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    left = None if ta is None else ta * b
    right = None if tb is None else a * tb
    return right if left is None else left if right is None else left + right


def _div(func, args, kwargs, out, tangent):
    if len(args) != 2 or kwargs:  # (rounding_mode: no derivative to speak of; the general path)
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    if tb is None:
        return ta / b
    numerator = -(out * tb) if ta is None else ta - out * tb
    return numerator / b


def _pow(func, args, kwargs, out, tangent):
    if len(args) != 2 or kwargs or isinstance(args[1], Tensor) or not isinstance(args[1], (int, float)):
        return None
    x, p = args
    t = tangent(x)
    if t is None:
        return None
    if p == 0:
        return t * 0
    return t * (p * x.pow(p - 1))


def _matmul(func, args, kwargs, out, tangent):
    if len(args) != 2 or kwargs:
        return None
    a, b = args
    ta, tb = tangent(a), tangent(b)
    left = None if ta is None else ta @ b
    right = None if tb is None else a @ tb
    return right if left is None else left if right is None else left + right


def _linear_layer(func, args, kwargs, out, tangent):
    """``F.linear(x, w, b)``: ``tx @ w.T + x @ tw.T + tb``."""
    if len(args) + len(kwargs) > 3 or set(kwargs) - {"bias"} or len(args) < 2:
        return None
    x, w = args[:2]
    b = args[2] if len(args) > 2 else kwargs.get("bias")
    tx, tw, tb = tangent(x), tangent(w), (tangent(b) if b is not None else None)
    parts = [p for p in (None if tx is None else tx @ w.T, None if tw is None else x @ tw.T, tb) if p is not None]
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


_LN2, _LN10 = math.log(2.0), math.log(10.0)

RULES = {
    "sin": _unary(lambda x, y: x.cos()),
    "cos": _unary(lambda x, y: -x.sin()),
    "tan": _unary(lambda x, y: 1 + y * y),
    "exp": _unary(lambda x, y: y),
    "exp2": _unary(lambda x, y: y * _LN2),
    "expm1": _unary(lambda x, y: y + 1),
    "log": _unary(lambda x, y: x.reciprocal()),
    "log2": _unary(lambda x, y: (x * _LN2).reciprocal()),
    "log10": _unary(lambda x, y: (x * _LN10).reciprocal()),
    "log1p": _unary(lambda x, y: (x + 1).reciprocal()),
    "sqrt": _unary(lambda x, y: (y * 2).reciprocal()),
    "rsqrt": _unary(lambda x, y: -0.5 * y / x),
    "tanh": _unary(lambda x, y: 1 - y * y),
    "sigmoid": _unary(lambda x, y: y * (1 - y)),
    "sinh": _unary(lambda x, y: x.cosh()),
    "cosh": _unary(lambda x, y: x.sinh()),
    "atan": _unary(lambda x, y: (1 + x * x).reciprocal()),
    "reciprocal": _unary(lambda x, y: -(y * y)),
    "square": _unary(lambda x, y: x * 2),
    "relu": _unary(lambda x, y: (x > 0).to(x.dtype)),
    "erf": _unary(lambda x, y: (-(x * x)).exp() * (2 / math.sqrt(math.pi))),
    "neg": _linear, "negative": _linear, "__neg__": _linear,
    "sum": _linear, "mean": _linear,
    "add": _add(1), "__add__": _add(1), "__radd__": _add(1),
    "sub": _add(-1), "subtract": _add(-1), "__sub__": _add(-1),
    "mul": _mul, "multiply": _mul, "__mul__": _mul, "__rmul__": _mul,
    "div": _div, "divide": _div, "true_divide": _div, "__truediv__": _div,
    "pow": _pow, "__pow__": _pow,
    "matmul": _matmul, "mm": _matmul, "__matmul__": _matmul,
    "linear": _linear_layer,
}


def tangent_by_rule(func, name, args, kwargs, out, duals):
    """The tangent of ``out`` from a rule, or None where no rule applies (the general path then)."""
    rule = RULES.get(name)
    if rule is None or not isinstance(out, Tensor) or not out.is_floating_point():
        return None
    for t, tangent in duals.values():
        if not t.is_floating_point() or tangent.is_complex():
            return None  # (complex values: the general path keeps PyTorch's conjugate conventions)

    def tangent_of(v):
        entry = duals.get(id(v)) if isinstance(v, Tensor) else None
        if entry is None:
            return None
        primal, tangent = entry  # (a float64 tangent of a float32 primal computes in the primal's dtype)
        return tangent if tangent.dtype == primal.dtype else tangent.to(primal.dtype)

    t = rule(func, args, kwargs, out, tangent_of)
    if t is None or not isinstance(t, Tensor):
        return None
    if t.dtype != out.dtype:
        t = t.to(out.dtype)
    if tuple(t.shape) != tuple(out.shape):  # (a broadcast operand: its tangent spread over the result)
        t = t.expand(out.shape).contiguous()
    return t

