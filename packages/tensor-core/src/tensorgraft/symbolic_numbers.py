"""PyTorch's "SymInt-aware" helpers (``sym_int``, ``sym_float``, ``sym_max``, ``sym_min``, ``sym_not``,
``sym_sqrt``, ``sym_sum``, ``sym_ite``) as they behave in eager mode.

PyTorch writes these so one piece of code works both on plain Python numbers and on the symbolic
numbers its compiler traces with. tensorgraft runs eagerly and has no symbolic numbers, so each is
PyTorch's plain-number path: the same results and result types (``sym_max(1, 2.5)`` is the float
2.5, ``sym_max(3, 2.5)`` the float 3.0), the same refusals in the same words, and the same
``__torch_function__`` dispatch for tensor-like arguments.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .overrides import handle_torch_function, has_torch_function, has_torch_function_unary

__all__ = ["sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum", "sym_ite",
           "SymInt", "SymFloat", "SymBool"]


class _SymbolicNumber:
    """PyTorch's symbolic numbers wrap a node of its compiler's shape graph. tensorgraft runs eagerly,
    so sizes and strides are plain Python numbers and no value is ever one of these; the classes
    exist so that code written for both worlds (``isinstance(n, (int, torch.SymInt))``) runs."""

    def __init__(self, node):
        raise TypeError(f"tensorgraft.{type(self).__name__} cannot be created: tensorgraft runs eagerly and has no "
                        f"symbolic shapes (sizes are plain Python numbers); use a Python "
                        f"{type(self).__name__[3:].lower()} instead")


class SymInt(_SymbolicNumber):
    """Where PyTorch's compiler traces a size symbolically; never produced in tensorgraft."""


class SymFloat(_SymbolicNumber):
    """Where PyTorch's compiler traces a float symbolically; never produced in tensorgraft."""


class SymBool(_SymbolicNumber):
    """Where PyTorch's compiler traces a condition symbolically; never produced in tensorgraft."""


for _cls in (SymInt, SymFloat, SymBool):
    _cls.__module__ = "tensorgraft"  # printed <class 'tensorgraft.SymInt'>, as PyTorch prints torch.SymInt

# what sym_max/sym_min accept, and which of those make the result a float (PyTorch's tuples, with
# NumPy's scalars first: its refusal prints them in this order)
_ALL_TYPES = (np.integer, np.floating, builtins.int, builtins.float)
_FLOAT_TYPES = (np.floating, builtins.float)


def sym_int(a):
    """``int(a)``, or the override of an argument with ``__torch_function__``."""
    if has_torch_function_unary(a):
        return handle_torch_function(sym_int, (a,), a)
    return builtins.int(a)


def sym_float(a):
    """``float(a)`` (through ``__sym_float__`` where ``a`` has one), or the override."""
    if has_torch_function_unary(a):
        return handle_torch_function(sym_float, (a,), a)
    if hasattr(a, "__sym_float__"):
        return a.__sym_float__()
    return builtins.float(a)


def _check_number(a) -> None:
    if not isinstance(a, _ALL_TYPES):
        raise AssertionError(f"expected {_ALL_TYPES}, got {type(a)}")


def sym_max(a, b):
    """The larger of ``a`` and ``b`` with PyTorch's result type (a float when either is one)."""
    if has_torch_function((a, b)):
        return handle_torch_function(sym_max, (a, b), a, b)
    _check_number(a)
    _check_number(b)
    if isinstance(a, _FLOAT_TYPES) or isinstance(b, _FLOAT_TYPES):
        return builtins.float(builtins.max(a, b))
    return builtins.max(a, b)


def sym_min(a, b):
    """The smaller of ``a`` and ``b`` with PyTorch's result type (a float when either is one)."""
    if has_torch_function((a, b)):
        return handle_torch_function(sym_min, (a, b), a, b)
    _check_number(a)
    _check_number(b)
    if isinstance(a, _FLOAT_TYPES) or isinstance(b, _FLOAT_TYPES):
        return builtins.float(builtins.min(a, b))
    return builtins.min(a, b)


def sym_not(a):
    """``not a`` (through ``__sym_not__`` where ``a`` has one), or the override."""
    if has_torch_function_unary(a):
        return handle_torch_function(sym_not, (a,), a)
    if hasattr(a, "__sym_not__"):
        return a.__sym_not__()
    return not a


def sym_sqrt(a):
    """The square root through ``math.sqrt`` (a float; a one-element tensor is read as its number)."""
    if has_torch_function_unary(a):
        return handle_torch_function(sym_sqrt, (a,), a)
    if hasattr(a, "__sym_sqrt__"):
        return a.__sym_sqrt__()
    return math.sqrt(a)


def sym_sum(*args):
    """
    N-ary add which is faster to compute for long lists than iterated binary
    addition.  Only does something special for integers.

    Accepts both ``sym_sum([a, b, c])`` and ``sym_sum(a, b, c)``.
    """
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    if has_torch_function(args):
        return handle_torch_function(sym_sum, args, args)
    return builtins.sum(args)


def sym_ite(b, t, f):
    """``t if b else f`` for a plain bool ``b``."""
    if has_torch_function((b, t, f)):
        return handle_torch_function(sym_ite, (b, t, f), b, t, f)
    if not isinstance(b, builtins.bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f
