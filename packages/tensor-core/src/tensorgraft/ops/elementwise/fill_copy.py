"""fill_, zero_ and copy_: in-place writes with no out-of-place op to derive them from, so each
frontend does its own in-place checks; a recorded write into a view goes to its base (PyTorch's
CopySlices)."""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor
from .. import _frontend as F
from .._define import defop
from ..conversion import through_pytorch_step
from tensorgraft.dtypes import np_kind as _np_kind


def _begin_inplace(self, others, name):
    """Shared checks of the hand-written in-place ops; returns whether autograd records."""
    F.check_not_inference(self)
    rec = _gs.enabled and (self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    if rec:
        F.check_inplace_allowed(self, name)
    return rec


# float8_e8m0fnu's zero is its bits 0 (2**-127, the smallest value it holds) in PyTorch; ml_dtypes reads 0 as NaN
_E8M0 = np.dtype(_dt.float8_e8m0fnu.np)
_E8M0_ZERO = np.zeros((), np.uint8).view(_E8M0)[()]


def _write_into_view(view, value):
    """A recorded fill/copy into a view: the base's history gets the write (CopySlices), as
    PyTorch records any in-place op on a view - also when only ``value`` requires grad."""
    from ..indexing import assign_into_view
    return assign_into_view(view, value)


def checked_fill_number(d, v):
    """The number ``v`` as PyTorch's fill writes it into the array ``d`` (``fill_`` and ``fill``
    share it), with c10's checks: its overflow error where a number does not fit an integer type
    (negative ints wrap into the unsigned ones: -1 fills a uint16 with 65535)."""
    kind = _np_kind(d.dtype)
    if v.__class__ is int and not -(1 << 63) <= v < 1 << 64:  # (PyTorch's parser reads an int64 or a uint64)
        raise OverflowError("int too big to convert" if v > 0 else "can't convert negative int to unsigned")
    if kind not in "c" and isinstance(v, complex):
        if kind != "b":  # a bool tensor takes any number (non-zero is True)
            raise F.complex_into_real(d.dtype)
    if v.__class__ is int and kind in "iu":
        # checked here, not left to NumPy: 1.x wraps out-of-range Python ints with a warning
        info = np.iinfo(d.dtype)
        if not info.min <= v <= info.max:
            if not (kind == "u" and -info.max <= v < 0):  # (-255 wraps into a uint8, -256 overflows)
                raise RuntimeError(f"value cannot be converted to type {d.dtype.name}_t without overflow")
            v %= 1 << (8 * d.dtype.itemsize)  # PyTorch wraps negatives into unsigned types
    elif v.__class__ is float and kind in "iu" or kind in "fc" and d.dtype.char not in "dD" \
            and v.__class__ in (bool, int, float, complex):
        from ..creation.fills import checked_fill_value
        # a float into an integer type: c10's range check (NumPy raises OverflowError or wraps); the
        # narrower floats: c10 checks the range (float32 and complex64 always; the 16- and 8-bit floats
        # only when filling other than one element: its one-element fill_ converts them unchecked, so
        # 1e10 saturates into e4m3fn and 1e5 becomes a half's inf)
        v = checked_fill_value(v, d.dtype, range_check=kind != "f" or d.size != 1)
    return v


def fill_tensor_value(d, v):
    """A 0-d value array as fill writes it into ``d``: converted as c10 converts (a tensor(0)
    into float8_e8m0fnu is its 0 bits, where ml_dtypes gives NaN; 1e10 saturates into e4m3fn)
    where ``d`` holds an 8-bit float; NumPy's assignment otherwise."""
    if v.dtype != d.dtype and d.dtype in _FLOAT8_NP:
        from ..conversion import _to_kernel
        v = _to_kernel(np, v.get() if hasattr(v, "get") else v, d.dtype, False)
    return v


_FLOAT8_NP = frozenset(x.np for x in _dt.FLOAT8_DTYPES)


def _fill_kernel(xp, a, value):
    a[...] = value


def _fill_frontend(op):
    table = op.table

    def fill_(input, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("fill_", "input", 1, input)
        if not isinstance(value, (Tensor, *F._SCALARS)):
            raise TypeError(f"fill_(): argument 'value' (position 1) must be Number, not {c_type_name(value)}")
        # the leaf check comes before the value's rank check, as in PyTorch
        rec = _begin_inplace(input, (value,), "fill_")
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            if value._device is not input._device:
                # any 0-d value, from any device (PyTorch reads it with .item()); copied
                # differentiably so that its gradient lands on its own device
                value = value.to(input._device)
            d = input._data
            v = fill_tensor_value(d, value._data)
            node = "FillBackward3"
        else:
            d = input._data
            v = checked_fill_number(d, value)
            node = "FillBackward2"
        if rec and input._base is not None:
            return _write_into_view(input, value if isinstance(value, Tensor) else v)
        if d.__class__ is np.ndarray and not d.flags.writeable:
            alias = F.writable_alias(input, fill=True)  # expand()'s view: PyTorch fills it all the same
            d = d if alias is None else alias
        table[input._device.type](d, v)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input, value), None, node_name=node)
        return input
    return fill_


defop("fill_", kernel=_fill_kernel, frontend=_fill_frontend, bf16_native=True)  # writes into its operand


def _zero_frontend(op):
    table = op.table

    def zero_(input):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("zero_", "input", 1, input)
        rec = _begin_inplace(input, (), "zero_")
        if rec and input._base is not None:
            return _write_into_view(input, 0)
        d = input._data
        if d.__class__ is np.ndarray and not d.flags.writeable:
            alias = F.writable_alias(input, fill=True)  # expand()'s view: PyTorch fills it all the same
            d = d if alias is None else alias
        table[input._device.type](d, 0 if d.dtype is not _E8M0 else _E8M0_ZERO)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input,), None, node_name="ZeroBackward0")
        return input
    return zero_


defop("zero_", kernel=_fill_kernel, frontend=_zero_frontend, bf16_native=True)


def _copy_kernel(xp, dst, src):
    if _np_kind(src.dtype) == "c" and _np_kind(dst.dtype) != "c":
        # into bool: any non-zero part is True (PyTorch's cast); otherwise the real part
        src = src != 0 if _np_kind(dst.dtype) == "b" else src.real
    dst[...] = through_pytorch_step(src, dst.dtype)  # (PyTorch's cast, as ``to``'s)


def _copy_frontend(op):
    table = op.table

    def copy_(input, src, non_blocking=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("copy_", "input", 1, input)
        if isinstance(src, (bool, int, float, complex)):  # (a number: PyTorch copies it as a 0-d tensor)
            from ..creation import tensor as _tensor
            src = _tensor(src, device=input.device)
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {c_type_name(src)}")
        # the leaf check comes before the shape check, as in PyTorch
        rec = _begin_inplace(input, (src,), "copy_")
        data = src._data
        if src._device is not input._device:
            from ..conversion import move_array
            data = move_array(data, src._device, input._device)
        d = input._data
        if data.shape != d.shape:
            _check_broadcast_into(d.shape, data.shape)
        if input is not src and data is src._data:
            from .._frontend.memory_overlap import check_overlap, same_root
            if same_root(input, src):
                check_overlap(d, data)
        if _np_kind(data.dtype) == "c" and _np_kind(d.dtype) not in "cb":
            # PyTorch's warning (once per process, shared with ``.to()``), at the user's line
            from ..conversion import _discard_imaginary
            data = _discard_imaginary(data, d.dtype)
        if rec and input._base is not None:
            return _write_into_view(input, src if src._device is input._device else src.to(input._device))
        if d.__class__ is np.ndarray and not d.flags.writeable:
            alias = F.writable_alias(input)  # expand()'s view: refused where elements share memory
            d = d if alias is None else alias
        table[input._device.type](d, data)
        input._vc[0] += 1
        if rec:
            Tensor._autograd.record(op, input, (input, src), {"device": src._device}, node_name="CopyBackwards")
        return input
    return copy_


def _check_broadcast_into(dst, src):
    """PyTorch's messages when ``src`` cannot be broadcast into ``dst``'s shape."""
    n = max(len(dst), len(src))
    a = (1,) * (n - len(dst)) + tuple(dst)
    b = (1,) * (n - len(src)) + tuple(src)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                               f"non-singleton dimension {i}")
    full = [x if y == 1 else y for x, y in zip(a, b)]  # (a size 1 broadcasts to 0 as well)
    if tuple(full) != tuple(dst):
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape {full}")


defop("copy_", kernel=_copy_kernel, frontend=_copy_frontend, public=False, bf16_native=True)
