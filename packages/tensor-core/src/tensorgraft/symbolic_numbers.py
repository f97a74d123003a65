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

__all__ = ["sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum", "sym_ite"]

# what sym_max/sym_min accept, and which of those make the result a float (PyTorch's tuples, with
# NumPy's scalars first: its refusal prints them in this order)
_ALL_TYPES = (np.integer, np.floating, builtins.int, builtins.float)
_FLOAT_TYPES = (np.floating, builtins.float)


def sym_int(a):
    r"""SymInt-aware utility for int casting.

    Args:
        a (SymInt, SymFloat, or object): Object to cast
    """
    if has_torch_function_unary(a):
        return handle_torch_function(sym_int, (a,), a)
    return builtins.int(a)


def sym_float(a):
    r"""SymInt-aware utility for float casting.

    Args:
        a (SymInt, SymFloat, or object): Object to cast
    """
    if has_torch_function_unary(a):
        return handle_torch_function(sym_float, (a,), a)
    if hasattr(a, "__sym_float__"):
        return a.__sym_float__()
    return builtins.float(a)


def _check_number(a) -> None:
    if not isinstance(a, _ALL_TYPES):
        raise AssertionError(f"expected {_ALL_TYPES}, got {type(a)}")


def sym_max(a, b):
    """
    SymInt-aware utility for max which avoids branching on a < b.
    Unlike builtins.max(), this only works for int/float, and it always
    promotes to float if any argument is float (unlike builtins.max, which
    will faithfully preserve the type of the input argument).
    """
    if has_torch_function((a, b)):
        return handle_torch_function(sym_max, (a, b), a, b)
    _check_number(a)
    _check_number(b)
    if isinstance(a, _FLOAT_TYPES) or isinstance(b, _FLOAT_TYPES):
        return builtins.float(builtins.max(a, b))
    return builtins.max(a, b)


def sym_min(a, b):
    """SymInt-aware utility for min()."""
    if has_torch_function((a, b)):
        return handle_torch_function(sym_min, (a, b), a, b)
    _check_number(a)
    _check_number(b)
    if isinstance(a, _FLOAT_TYPES) or isinstance(b, _FLOAT_TYPES):
        return builtins.float(builtins.min(a, b))
    return builtins.min(a, b)


def sym_not(a):
    r"""SymInt-aware utility for logical negation.

    Args:
        a (SymBool or bool): Object to negate
    """
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
    """SymInt-aware utility for ternary operator (``t if b else f``.)"""
    if has_torch_function((b, t, f)):
        return handle_torch_function(sym_ite, (b, t, f), b, t, f)
    if not isinstance(b, builtins.bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f
