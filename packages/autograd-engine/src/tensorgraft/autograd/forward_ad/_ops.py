"""The arithmetic the forward formulas of ``_rules.py`` do, in two flavours.

``DISPATCHING`` is Python's operators and Tensor's methods: what a program writing the formula
would run, so a Tensor subclass or a mode among the arguments sees every op. ``PLAIN`` calls the
implementations behind Tensor's dispatch wrappers straight away. While a dual level is entered
those wrappers are on for the whole process, and each call first checks for modes and overriding
arguments (~0.5 µs, as much as a small op itself); for plain Tensors, with no mode left on, the
wrapper would call the implementation anyway, so the result is the same. ``tangent_by_rule`` picks
``PLAIN`` only then.

The implementation is looked up through the wrapper on each call (two attribute reads), so a plugin
that binds an op again later is followed as the wrapper would follow it. Operand order matters and
is kept: ``rmul(a, p)`` is ``p * a``, ``rsub(a, c)`` is ``c - a`` (``1 - y`` and ``-(y - 1)``
differ in the sign of a zero).
"""
from __future__ import annotations

import operator
from types import SimpleNamespace

from tensorgraft.dtypes import _BY_NUMPY
from tensorgraft.tensor import Tensor

DISPATCHING = SimpleNamespace(
    mul=operator.mul, add=operator.add, sub=operator.sub, div=operator.truediv, matmul=operator.matmul,
    neg=operator.neg, gt=operator.gt,
    rmul=lambda a, c: c * a, radd=lambda a, c: c + a, rsub=lambda a, c: c - a,
    cos=lambda x: x.cos(), sin=lambda x: x.sin(), cosh=lambda x: x.cosh(), sinh=lambda x: x.sinh(),
    exp=lambda x: x.exp(), reciprocal=lambda x: x.reciprocal(), pow=lambda x, p: x.pow(p),
    to=lambda x, dtype: x.to(dtype), T=lambda x: x.T, dtype=lambda x: x.dtype,
)


def _binary(attr: str, fallback):
    """``Tensor.<attr>``'s implementation for a plain Tensor on the left; anything else on the left
    (a number) goes through ``fallback``, the operator."""
    def call(a, b):
        if type(a) is Tensor:
            return getattr(Tensor, attr).__torch_function_wrapped__(a, b)
        return fallback(a, b)
    call.__name__ = attr
    return call


def _method(attr: str):
    def call(x, *args):
        return getattr(Tensor, attr).__torch_function_wrapped__(x, *args)
    call.__name__ = attr
    return call


def _mul(a, b):  # (the commonest: spelled out, a little faster than _binary's)
    if type(a) is Tensor:
        return Tensor.__mul__.__torch_function_wrapped__(a, b)
    return a * b


def _add(a, b):
    if type(a) is Tensor:
        return Tensor.__add__.__torch_function_wrapped__(a, b)
    return a + b


def _transpose(x):
    return vars(Tensor)["T"].fget.__torch_function_wrapped__(x)


PLAIN = SimpleNamespace(
    mul=_mul, add=_add,
    sub=_binary("__sub__", operator.sub), div=_binary("__truediv__", operator.truediv),
    matmul=_binary("__matmul__", operator.matmul),
    neg=_method("__neg__"), gt=_method("__gt__"),
    rmul=_method("__rmul__"), radd=_method("__radd__"), rsub=_method("__rsub__"),
    cos=_method("cos"), sin=_method("sin"), cosh=_method("cosh"), sinh=_method("sinh"), exp=_method("exp"),
    reciprocal=_method("reciprocal"), pow=_method("pow"), to=_method("to"), T=_transpose,
    dtype=lambda x: _BY_NUMPY[x._data.dtype],
)
