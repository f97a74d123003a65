"""contiguous and clone (copies into a fresh C-ordered array, or into a named memory format through
``memory_layout.py``) and as_strided (a view by explicit strides over the base's storage). meshgrid
(a composite of views) is declared here too, between clone and as_strided, where it always
registered."""
from __future__ import annotations

from tensorgraft.argument_errors import not_a_tensor_in_list

import warnings

import numpy as np

from ... import empty_views
from ...grad_mode import state as _gs
from ...memory_layout import strided_view
from ...tensor import Tensor, wrap_view
from .._frontend import check_tensor
from .._define import defop
from ._common import _finish_copy


# --------------------------------------------------------------------------- copies
def _contiguous_frontend(op):
    table = op.table

    def contiguous(input, *extra, memory_format=None):
        check_tensor(input, "contiguous")
        if extra:  # (memory_format is keyword-only in PyTorch)
            raise TypeError(f"contiguous() takes 0 positional arguments but {len(extra)} "
                            f"{'was' if len(extra) == 1 else 'were'} given")
        if memory_format is not None and memory_format is not _contiguous_format():
            from ..tensor_extras import contiguous_as  # channels_last & co. (memory_layout.py)
            return contiguous_as(input, memory_format)
        if input._data.flags.c_contiguous:
            return input
        return _finish_copy(op, input, table[input._device.type](input._data), None, node_name="CloneBackward0")
    return contiguous


defop("contiguous", kernel=lambda xp, a: xp.ascontiguousarray(a), frontend=_contiguous_frontend, public=False)


def _contiguous_format():
    from ...memory_layout import contiguous_format
    return contiguous_format


def _clone_frontend(op):
    table = op.table

    def clone(input, *, memory_format=None):
        check_tensor(input, "clone")
        if memory_format is not None:
            # a named format (memory_layout.py). Without one, the copy is C-ordered: PyTorch's default,
            # preserve_format, would keep a transposed input's strides, but tensorgraft's in-place
            # writes into views of a tensor that records gradients need a C-ordered base
            from ..tensor_extras import clone_as
            return clone_as(input, memory_format)
        return _finish_copy(op, input, table[input._device.type](input._data), None)
    return clone


defop("clone", kernel=lambda xp, a: a.copy(), frontend=_clone_frontend)


# --------------------------------------------------------------------------- meshgrid / as_strided
def _meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):  # (one TensorList argument, as PyTorch's parser sees it)
            raise not_a_tensor_in_list(i, t)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors, tensors[1:]):  # PyTorch checks these before the indexing and the dims
        if a._data.dtype != b._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if a._device != b._device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    if indexing is None:
        # PyTorch's default, with PyTorch's warning (Python shows it once per calling line)
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    ts = [t.reshape(-1) if t._data.ndim == 0 else t for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    n = len(ts)
    shape = tuple(t._data.shape[0] for t in ts)
    out = []
    for i, t in enumerate(ts):
        v = t.view(*([1] * i + [-1] + [1] * (n - i - 1)))
        out.append(v.expand(*shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


defop("meshgrid", frontend=lambda op: _meshgrid, method=False, differentiable=False)


def _as_strided_kernel(xp, a, base, size, stride, offset):
    isz = a.itemsize
    # the base covers one dense block of memory starting at its first element (C order, or any
    # other dense order such as a transposed clone's): view that block as the flat storage
    if xp is np:
        start = strided_view(np, base, (base.size,), (isz,))
        return strided_view(np, start[offset:], size, tuple(s * isz for s in stride))
    from cupy.lib.stride_tricks import as_strided  # pragma: no cover - CUDA only
    return as_strided(as_strided(base, (base.size,), (isz,))[offset:], size, tuple(s * isz for s in stride))


def _as_strided_frontend(op):
    table = op.table

    def as_strided(input, size, stride, storage_offset=None):
        """Strides in elements, relative to the start of the tensor's contiguous base storage."""
        check_tensor(input, "as_strided")
        b = storage_base(input)._data
        if not b.flags.c_contiguous and _dense_order(b) is None:
            raise RuntimeError("as_strided(): only supported on tensors whose base covers its memory densely "
                               "(call .contiguous() first)")
        size, stride = tuple(size), tuple(stride)
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        if storage_offset is None:
            # (an empty input's start is the one PyTorch records: NumPy drops it, see empty_views.py)
            storage_offset = _offset_of(input._data, b) if input._data.size else input.storage_offset()
        need = storage_offset + sum((s - 1) * st for s, st in zip(size, stride) if s > 0) + 1
        if any(s == 0 for s in size):
            need = 0
        if need > b.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                               f"{storage_offset}, and itemsize {b.itemsize} requiring a storage size of "
                               f"{need * b.itemsize} are out of bounds for storage of size {b.size * b.itemsize}")
        data = table[input._device.type](input._data, b, size, stride, storage_offset)
        out = wrap_view(data, input)
        if not data.size:
            empty_views.record(out, storage_offset, stride)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"size": size, "stride": stride, "offset": storage_offset,
                                                         "in_offset": _offset_of(input._data, b),
                                                         "in_stride": input.stride()})
        return out
    return as_strided


def storage_base(t):
    from ...storage import storage_base as base_of
    return base_of(t)


def _dense_order(b):
    from ...memory_layout import _dense_order as dense_order
    return dense_order(b)


def _offset_of(a, base):
    try:
        return (a.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // a.itemsize
    except AttributeError:  # pragma: no cover - CUDA
        return (a.data.ptr - base.data.ptr) // a.itemsize


defop("as_strided", kernel=_as_strided_kernel, frontend=_as_strided_frontend)
