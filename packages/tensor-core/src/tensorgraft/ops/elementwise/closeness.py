"""isclose, allclose and equal: comparisons of whole tensors, never differentiable."""
from __future__ import annotations

from ...sparse.array_base import dispatch_key, no_aten_kernel
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop


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
        for what, tol in (("rtol", rtol), ("atol", atol)):
            if tol < 0:
                raise RuntimeError(f"{what} must be greater than or equal to zero, but got {tol}")
        try:
            return wrap(table[input._device.type](input._data, other._data, rtol, atol, equal_nan), input._device)
        except ValueError as e:  # NumPy's broadcast error, worded as PyTorch's
            raise F.shape_error(e, input, other) from None
    return isclose


_isclose = defop("isclose", kernel=_isclose_kernel, frontend=_isclose_frontend, differentiable=False)


def _allclose_frontend(op):
    def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        if not isinstance(input, Tensor):  # (refused in its own name, not isclose's)
            raise F.not_a_tensor("allclose", "input", 1, input)
        if not isinstance(other, Tensor):
            raise F.not_a_tensor("allclose", "other", 2, other)
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
        if dispatch_key(a) or dispatch_key(b):  # (PyTorch has no sparse kernel; == would not be elementwise)
            raise no_aten_kernel("equal", a, b)
        return a.shape == b.shape and bool((a == b).all())
    return equal


defop("equal", frontend=_equal_frontend, differentiable=False)
