"""The functional ``index_put(input, indices, values, accumulate=False)`` (``index_put_`` is bound
from it): ``__setitem__`` on a clone, or an ``index_backward`` scatter-add when accumulating.
A composite over ``setitem``; it registers after every other indexing op."""
from __future__ import annotations

from ...tensor import Tensor
from .. import _frontend as F
from .._define import defop
from .normalize import apply_index, normalize_index
from .setitem import index_backward


# --------------------------------------------------------------------------- index_put (functional)
def _index_put(input, indices, values, accumulate=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_put", "input", 1, input)
    indices = tuple(indices)
    if not isinstance(values, Tensor):
        from ..creation import tensor as _tensor
        values = _tensor(values, dtype=input.dtype, device=input._device)
    if accumulate:
        idx, _ = normalize_index(indices, input._device, input._data.ndim)
        target = apply_index(input._data, idx).shape
        v = values if values._data.dtype == input._data.dtype else values.to(input.dtype)
        if v._data.shape != target:
            v = v.expand(*target)
        return input + index_backward(v, input._data.shape, idx)
    out = input.clone()
    out[indices] = values
    return out


defop("index_put", frontend=lambda op: _index_put, inplace="index_put_", differentiable=False)
