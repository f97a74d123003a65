"""PyTorch's TypeError for an argument of the wrong type, in its words:
``add(): argument 'other' (position 2) must be Tensor, not numpy.ndarray``.

This module imports nothing of tensorgraft, so any module can word the error the same way, even
one that loads before the op frontends (``ops._frontend`` re-exports these names for the ops).
"""
from __future__ import annotations

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class written in Python


def c_type_name(value) -> str:
    """The type name PyTorch's argument errors print: CPython's ``tp_name``, which for a type
    defined in C carries its module (``numpy.ndarray``, ``numpy.float64``) and for a Python class
    or a builtin is its bare name (``list``, ``MyModule``)."""
    cls = type(value)
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def wrong_type(opname: str, argname: str, expected: str, value, pos: int | None = None) -> TypeError:
    """``opname(): argument 'argname' (position pos) must be expected, not <type>``; ``pos`` None
    for a keyword-only argument (PyTorch prints no position for those: ``out``)."""
    where = "" if pos is None else f" (position {pos})"
    return TypeError(f"{opname}(): argument '{argname}'{where} must be {expected}, not {c_type_name(value)}")


def not_a_tensor(opname: str, argname: str, pos: int | None, value) -> TypeError:
    """``wrong_type`` for an argument that must be a Tensor (the common mistake: a NumPy array or a
    list passed where a tensor goes)."""
    return wrong_type(opname, argname, "Tensor", value, pos)


def not_a_tensor_in_list(index: int, value, argument: int = 0) -> TypeError:
    """PyTorch's error for an element of a tensor-list argument that is not a tensor (``torch.cat``,
    ``torch.broadcast_tensors``): ``index`` counts from 0 within the list, ``argument`` is the
    list's own position, also from 0."""
    return TypeError(f"expected Tensor as element {index} in argument {argument}, but got {c_type_name(value)}")
