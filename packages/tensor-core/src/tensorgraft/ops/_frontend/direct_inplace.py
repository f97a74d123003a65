"""``x.add_(y)`` & co. while nothing records: the result is computed into x's array itself, instead
of into a new array that is then copied over (half the memory traffic, no allocation). Only where
that gives what the general path would store: a CPU float32/float64 ``x``, operands of its dtype
and of its shape (or 0-d), or Python numbers. ``make_inplace`` (``_frontend/__init__.py``) looks
the op up in ``DIRECT_INPLACE``: op name -> store(self, args, kwargs), True once it has written
the result (False, with nothing done, leaves the call to the general path); op modules register
theirs (add/sub/mul/div here, addcmul/addcdiv/lerp and clamp in elementwise). The op's in-place
precheck, if any, has run before.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from ..fused_multiply_add import add_scaled_

# NumPy 2 treats Python scalars as "weak" (NEP 50), like PyTorch; NumPy 1.x lets them upcast 0-d
# arrays, so a number operand goes the direct way only into a >0-d tensor there
NUMPY2 = int(np.__version__.split(".")[0]) >= 2

DIRECT_INPLACE: dict = {}
_DIRECT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def direct_target(self: Tensor):
    """``self``'s array when the direct in-place path may write into it (a writable NumPy
    float32/float64 array), else None."""
    a = self._data
    if a.__class__ is np.ndarray and a.dtype in _DIRECT_DTYPES and a.flags.writeable:
        return a
    return None


def direct_operand(self: Tensor, a, other):
    """``other``'s array when it is a tensor on ``self``'s device of ``a``'s dtype and of its shape
    or 0-d (nothing to broadcast into ``a``, nothing to cast), else None."""
    if isinstance(other, Tensor) and other._device is self._device:
        b = other._data
        if b.__class__ is np.ndarray and b.dtype is a.dtype and (b.shape == a.shape or b.ndim == 0):
            return b
    return None


def _ufunc_store(ufunc, takes_alpha: bool):
    """``x.op_(other[, alpha=number])`` as ``ufunc(x, other * alpha, out=x)``: the ufunc the
    two-operand frontend calls (``other * alpha`` first, as ``_with_alpha``)."""
    def store(self, args, kwargs):
        a = direct_target(self)
        if a is None or len(args) != 1:
            return False
        alpha = 1
        if kwargs:
            if not takes_alpha or len(kwargs) != 1 or kwargs.get("alpha").__class__ not in (int, float):
                return False  # (a bool alpha is refused there, with PyTorch's message)
            alpha = kwargs["alpha"]
        other = args[0]
        b = direct_operand(self, a, other)
        if b is None:
            if other.__class__ not in (int, float) or not (NUMPY2 or a.ndim):
                return False
            b = other  # a Python number: weak, as on the general path
        if alpha != 1:
            if b.__class__ is np.ndarray and b.shape == a.shape and \
                    add_scaled_(a, alpha if ufunc is np.add else -alpha, b):
                return True  # (one rounding, as PyTorch's kernel: fused_multiply_add.py)
            b = b * alpha
        ufunc(a, b, out=a)
        return True
    return store


DIRECT_INPLACE.update(
    add=_ufunc_store(np.add, True), sub=_ufunc_store(np.subtract, True), subtract=_ufunc_store(np.subtract, True),
    mul=_ufunc_store(np.multiply, False), multiply=_ufunc_store(np.multiply, False),
    div=_ufunc_store(np.true_divide, False), divide=_ufunc_store(np.true_divide, False),
    true_divide=_ufunc_store(np.true_divide, False))
