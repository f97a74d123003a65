"""The argument checks the activation frontends share (and the other ``*_api`` modules use): a
non-tensor input, and ATen's ``Number`` and ``int`` parameters given something else, refused as
PyTorch's argument parser refuses them."""
from __future__ import annotations

import numpy as np

from ._common import Tensor
from tensorgraft.dtypes import np_kind as _np_kind


# ---------------------------------------------------------------- argument errors
# PyTorch's argument parser refuses a wrong type with a TypeError naming the function, the argument
# and its position. The frontends test the usual type themselves (``type(v) is float``) and call
# these only when it is something else, so a well-formed call pays one identity test per argument.
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement (or type())


def type_name(value) -> str:
    """The name CPython's C code gives ``value``'s type (its ``tp_name``), which is what PyTorch's
    messages print: the bare name for builtins and Python classes ("str", "Tensor", "Fraction"),
    "module.name" for types written in C elsewhere ("numpy.ndarray", "numpy.float64")."""
    cls = type(value)
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def check_tensor(x, fname: str, argname: str = "input", pos: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {type_name(x)}")


def number_arg(value, fname: str, argname: str, pos: int, input=None):
    """ATen's ``Number`` parameter given something other than a float: a Python or NumPy number
    (returned as a Python number), or a 0-d tensor that does not require grad (its value). A
    string, None, a list, an array, a tensor of several elements or one that requires grad is a
    TypeError. ``input``, when given, is checked first, as PyTorch parses the arguments in order."""
    if input is not None:
        check_tensor(input, fname)
    if isinstance(value, (int, float, complex)):  # (bool is an int)
        return value
    if isinstance(value, (np.number, np.bool_)):
        return value.item()
    if isinstance(value, Tensor) and value.ndim == 0 and not value.requires_grad:
        return value.item()
    raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Number, not {type_name(value)}")


def int_arg(value, fname: str, argname: str, pos: int) -> int:
    """ATen's ``int`` parameter given something other than an int: a NumPy integer or a 0-d integer
    tensor; not a bool, a float, a string, None or an object that merely has ``__index__``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor) and value.ndim == 0 and _np_kind(value._data.dtype) in "iu":
        return int(value.item())
    raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be int, not {type_name(value)}")
