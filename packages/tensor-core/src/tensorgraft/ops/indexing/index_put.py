"""The functional ``index_put(input, indices, values, accumulate=False)`` (``index_put_`` is bound
from it): ``__setitem__`` on a copy, or an ``index_backward`` scatter-add when accumulating, run
without recording, and then recorded as one node, PyTorch's ``IndexPutBackward0`` with edges to
``input`` and ``values`` (the indices have none). It registers after every other indexing op."""
from __future__ import annotations

from ...grad_mode import state as _gs
from ...tensor import Tensor
from .. import _frontend as F
from .._define import defop
from .normalize import apply_index, normalize_index
from .setitem import index_backward


# --------------------------------------------------------------------------- index_put (functional)
def _index_put_frontend(op):
    def index_put(input, indices, values, accumulate=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("index_put", "input", 1, input)
        indices = tuple(indices)
        if len(indices) > input._data.ndim:  # (PyTorch counts the list before anything else)
            raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} (got {len(indices)})")
        if not isinstance(values, Tensor):  # (a number, a list, an array: PyTorch takes none of them)
            raise F.not_a_tensor("index_put", "values", 3, values)
        if values._data.dtype != input._data.dtype:
            from .setitem import index_put_dtype_error
            raise index_put_dtype_error(input._data.dtype, values._data.dtype)
        idx, _ = normalize_index(indices, input._device, input._data.shape)
        record = F.needs_grad(input, values)
        enabled = _gs.enabled
        _gs.enabled = False  # the building ops below would each record a node of their own
        try:
            out = _accumulated(input, indices, idx, values) if accumulate else _written(input, indices, values)
        finally:
            _gs.enabled = enabled
        if record:
            Tensor._autograd.record(op, out, (input, values), {"index": idx, "accumulate": bool(accumulate)})
        return out
    return index_put


def _accumulated(input, indices, idx, values):
    try:
        target = apply_index(input._data, idx).shape
    except (IndexError, ValueError):
        input[indices]  # an index out of bounds, a mask of another shape: indexing's own error, PyTorch's
        raise
    v = values if values._data.dtype == input._data.dtype else values.to(input.dtype)
    if v._data.shape != target:
        try:
            v = v.expand(*target)
        except RuntimeError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(v._data.shape)} cannot be broadcast "
                               f"to indexing result of shape {list(target)}") from None
    return input + index_backward(v, input._data.shape, idx)


def _written(input, indices, values):
    out = input.clone()
    out[indices] = values
    return out


defop("index_put", frontend=_index_put_frontend, inplace="index_put_")
