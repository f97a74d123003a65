"""masked_fill, masked_select and masked_scatter (a boolean mask broadcast against the input), and
the checks their in-place forms run before anything is written (``F.INPLACE_PRECHECKS``)."""
from __future__ import annotations

import numbers

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import invalid_combination
from .._define import defop
from ..creation.fills import checked_fill_scalar
from ..elementwise import branch_free
from tensorgraft.dtypes import CPP_TYPE_NAMES


# --------------------------------------------------------------------------- masked ops


def _mask_arg(mask, fname, inplace_name):
    if not isinstance(mask, Tensor):
        raise F.not_a_tensor(fname, "mask", 2, mask)
    if mask._data.dtype != np.bool_:
        # three ops, three wordings in PyTorch: masked_fill_ names the C type ("float"),
        # masked_scatter_ the scalar type ("Float"), masked_select neither
        if fname == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        name = F._type_name(mask._data.dtype) if fname == "masked_scatter" else \
            CPP_TYPE_NAMES.get(str(mask._data.dtype), str(mask._data.dtype))
        raise RuntimeError(f"{inplace_name} only supports boolean masks, but got mask with dtype {name}")
    return mask._data


def _broadcast_shape(a, b):
    from ..shape.squeeze_expand import infer_broadcast_shape
    return tuple(infer_broadcast_shape(a, b))


_MASKED_FILL_OVERLOADS = ("Tensor mask, Tensor value", "Tensor mask, Number value")


def _check_fill_value(fname, mask, value):
    """A value neither a tensor nor a number: PyTorch's parser refuses the call as a whole, before
    the mask is looked at (worded as the method, ``x.masked_fill(m, "a")``, is usually called)."""
    if not isinstance(value, (Tensor, numbers.Number, np.bool_)):  # (NumPy bools are numbers to PyTorch too)
        raise invalid_combination(fname, (mask, value), overloads=_MASKED_FILL_OVERLOADS)


def _masked_fill_kernel(xp, a, mask, value):
    # (NumPy's where branches per element; branch_free blends the bits for float inputs)
    return branch_free.select(xp, mask, xp.asarray(value, dtype=a.dtype), a)


def _masked_fill_frontend(op):
    table = op.table

    def masked_fill(input, mask, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_fill", "input", 1, input)
        if not isinstance(mask, Tensor):
            raise F.not_a_tensor("masked_fill", "mask", 2, mask)
        _check_fill_value("masked_fill", mask, value)
        # the shapes before the mask's dtype (the in-place op checks the other way round); PyTorch
        # names the mask "tensor a"
        _broadcast_shape(mask._data.shape, input._data.shape)
        m = _mask_arg(mask, "masked_fill", "masked_fill_")
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value._data.ndim} dimension(s).")
            if value._device is not input._device:
                input, value = F.join_cpu_scalars("masked_fill", input, value)
            v = checked_fill_scalar(value._data, input._data.dtype)
            # in the input's dtype before the kernel: the CPU table's half-type wrapper rounds a result
            # to the half type of any operand, so a float16 value made a float32 input's result float16
            v = v.astype(input._data.dtype) if v.dtype != input._data.dtype else v
            name = "MaskedFillBackward1"
        else:
            v = checked_fill_scalar(value, input._data.dtype)
            name = "MaskedFillBackward0"
        if mask._device is not input._device:  # the mask is no scalar: it never crosses
            raise RuntimeError(f"expected self and mask to be on the same device, but got mask on {mask.device} "
                               f"and self on {input.device}")
        res = wrap(table[input._device.type](input._data, m, v), input._device)
        if F.needs_grad(input, value):
            Tensor._autograd.record(op, res, (input, mask, value), None, node_name=name)
        return res
    return masked_fill


defop("masked_fill", kernel=_masked_fill_kernel, frontend=_masked_fill_frontend, inplace="masked_fill_",
      nondiff_inputs=(1,), scalar_inputs=(2,))


def _masked_select_kernel(xp, a, mask):
    shape = xp.broadcast_shapes(a.shape, mask.shape) if hasattr(xp, "broadcast_shapes") else \
        np.broadcast_shapes(a.shape, mask.shape)
    return xp.broadcast_to(a, shape)[xp.broadcast_to(mask, shape)]


def _masked_select_frontend(op):
    table = op.table

    def masked_select(input, mask, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_select", "input", 1, input)
        m = _mask_arg(mask, "masked_select", "masked_select")
        _broadcast_shape(m.shape, input._data.shape)  # PyTorch names the mask "tensor a"
        res = wrap(table[input._device.type](input._data, m), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, mask), None)
        return res
    return masked_select


defop("masked_select", kernel=_masked_select_kernel, frontend=_masked_select_frontend, nondiff_inputs=(1,))


def _masked_scatter_kernel(xp, a, mask, src):
    shape = np.broadcast_shapes(a.shape, mask.shape)
    out = xp.array(xp.broadcast_to(a, shape), order="C")  # (contiguous, as PyTorch's clone of the expanded input)
    m = xp.broadcast_to(mask, shape)
    n = int(m.sum())
    out[m] = src.reshape(-1)[:n]
    return out


def _masked_scatter_frontend(op):
    table = op.table

    def masked_scatter(input, mask, source):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_scatter", "input", 1, input)
        if not isinstance(source, Tensor):
            raise F.not_a_tensor("masked_scatter", "source", 3, source)
        m = _mask_arg(mask, "masked_scatter", "masked_scatter_")
        shape = _broadcast_shape(m.shape, input._data.shape)  # the mask is "tensor a" here too
        if int(np.broadcast_to(m if isinstance(m, np.ndarray) else mask._host(), shape).sum()) > source._data.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        if source._data.dtype != input._data.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                               f"{F._type_name(input._data.dtype)} and {F._type_name(source._data.dtype)}")
        res = wrap(table[input._device.type](input._data, m, source._data), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, mask, source), None)
        return res
    return masked_scatter


defop("masked_scatter", kernel=_masked_scatter_kernel, frontend=_masked_scatter_frontend, inplace="masked_scatter_",
      nondiff_inputs=(1,))


def _masked_fill_inplace_check(self, mask, value):
    """``t.masked_fill_(mask, v)``: the mask broadcasts to ``t`` (named "tensor a" here, unlike in
    the out-of-place op), checked after the mask's dtype and the value's rank."""
    if isinstance(mask, Tensor):
        _check_fill_value("masked_fill_", mask, value)
        m = _mask_arg(mask, "masked_fill", "masked_fill_")
        if isinstance(value, Tensor) and value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        _broadcast_shape(self._data.shape, m.shape)


def _masked_scatter_inplace_check(self, mask, source):
    """``t.masked_scatter_(mask, src)`` expands the mask to ``t``'s shape: expand's message."""
    if isinstance(mask, Tensor) and mask._data.dtype == np.bool_:
        from ..shape.squeeze_expand import _expand_error
        err = _expand_error(tuple(self._data.shape), tuple(mask._data.shape)) \
            if mask._data.ndim <= self._data.ndim else None
        if err is not None:
            raise err


F.INPLACE_PRECHECKS.update(masked_fill_=_masked_fill_inplace_check, masked_scatter_=_masked_scatter_inplace_check)
