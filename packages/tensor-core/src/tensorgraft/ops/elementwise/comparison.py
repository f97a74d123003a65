"""Comparisons (eq/ne/lt/le/gt/ge and their aliases) and the two-operand logical and bitwise
ops: computed in the promoted dtype, never differentiable; comparisons and logical ops return bool."""
from __future__ import annotations

import numpy as np

from .._define import binary
from .arithmetic import _raise_if_complex
from tensorgraft.dtypes import np_kind as _np_kind


def _ordering(ufunc, kernel_name):
    """lt/le/gt/ge: NumPy orders complex numbers lexicographically, PyTorch has no complex kernel.
    ``(kernel, cpu kernel)``: the CPU one calls NumPy's ufunc straight, after a test of the dtype."""
    def kernel(xp, a, b):
        _raise_if_complex(xp, kernel_name, a, b)
        return getattr(xp, ufunc)(a, b)
    np_ufunc = getattr(np, ufunc)

    def cpu(a, b):
        if _np_kind(a.dtype) == "c" or b.__class__ is complex or getattr(b, "dtype", a.dtype).kind == "c":
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
