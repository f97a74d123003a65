"""Ops that pick elements by position or report positions: take and take_along_dim (flat or
per-dim indices), nonzero, argwhere and where (by condition; ``Tensor.where`` too), and
searchsorted and bucketize (by sorted order)."""
from __future__ import annotations

import numbers

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import invalid_combination, wrap_dim
from .._define import defop
from ..elementwise import branch_free
from .normalize import _xp
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- take
def _take_kernel(xp, a, idx):
    return a.reshape(-1)[idx]


def _take_frontend(op):
    table = op.table

    def take(input, index):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("take", "input", 1, input)
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("take", "index", 2, index)
        idx = index._data
        if idx.dtype != np.int64:  # take wants int64 alone (int32 is refused as well)
            raise RuntimeError("take(): Expected a long tensor for index, but got " + F._type_name(idx.dtype))
        n = input._data.size
        if idx.size and not n:
            raise IndexError("take(): tried to take from an empty tensor")
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < -n or hi >= n:
                bad = hi if hi >= n else lo
                raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
        res = wrap(table[input._device.type](input._data, idx), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), None)
        return res
    return take


defop("take", kernel=_take_kernel, frontend=_take_frontend, nondiff_inputs=(1,))


def _take_along_dim(input, indices, dim=None, *, out=None):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("take_along_dim", "input", 1, input)
    if not isinstance(indices, Tensor):
        raise F.not_a_tensor("take_along_dim", "indices", 2, indices)
    if dim is None:  # (gather's own checks: int32 indices too, no negative ones)
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if indices._data.dtype != np.int64:  # int64 alone along a dim
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{F._type_name(indices._data.dtype)}")
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {nd} dimensions for input, and {indices._data.ndim} dimensions for indices")
    d = wrap_dim(dim, nd)
    n = input._data.shape[d] if nd else 1
    idx = indices._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        if n == 0:
            raise RuntimeError("ZeroDivisionError")
        indices = indices.remainder(n)  # PyTorch wraps indices along a dim (-1 is the last, n the first)
    si, sx = list(input._data.shape), list(indices._data.shape)
    si[d] = sx[d] = 1
    from ..shape.squeeze_expand import infer_broadcast_shape
    b = list(infer_broadcast_shape(si, sx))
    bi, bx = list(b), list(b)
    bi[d] = input._data.shape[d]
    bx[d] = indices._data.shape[d]
    x = input.expand(*bi)  # also when it changes nothing: PyTorch's graph has the ExpandBackward0 node
    ix = indices if tuple(bx) == indices._data.shape else indices.expand(*bx)
    return x.gather(d, ix)


defop("take_along_dim", frontend=lambda op: _take_along_dim, differentiable=False)


# --------------------------------------------------------------------------- nonzero / where
def _nonzero_kernel(xp, a):
    if a.ndim == 0:
        return xp.zeros((1 if a else 0, 0), dtype=np.int64)
    return xp.stack(xp.nonzero(a), axis=1).astype(np.int64, copy=False) if a.ndim else None


def _nonzero_frontend(op):
    table = op.table

    def nonzero(input, *, out=None, as_tuple=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("nonzero", "input", 1, input)
        a = input._data
        if as_tuple:
            xp = _xp(input)
            if a.ndim == 0:
                return (wrap(xp.zeros(1 if a else 0, dtype=np.int64), input._device),)
            return tuple(wrap(i.astype(np.int64, copy=False), input._device) for i in xp.nonzero(a))
        return wrap(table[input._device.type](a), input._device)
    return nonzero


defop("nonzero", kernel=_nonzero_kernel, frontend=_nonzero_frontend, differentiable=False)


def _argwhere(input):
    return input.nonzero()


defop("argwhere", frontend=lambda op: _argwhere, differentiable=False)


def _where_kernel(xp, cond, a, b):
    # (NumPy's where branches per element; branch_free blends the bits of same-typed float operands)
    return branch_free.select(xp, cond, a, b)


_TENSOR_OR_NUMBER = (Tensor, numbers.Number, np.bool_)  # (NumPy bools are numbers to PyTorch too)
_WHERE_OVERLOADS = ("Tensor condition", "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor condition, Number self, Tensor other", "Tensor condition, Tensor input, Number other",
                    "Tensor condition, Number self, Number other")


def _where_frontend(op):
    table = op.table

    def where(condition, input=None, other=None, *, out=None):
        if input is None and other is None:
            if not isinstance(condition, Tensor):
                raise F.not_a_tensor("where", "condition", 1, condition)
            return condition.nonzero(as_tuple=True)
        if not isinstance(condition, Tensor):
            raise F.not_a_tensor("where", "condition", 1, condition)
        if not (isinstance(input, _TENSOR_OR_NUMBER) and isinstance(other, _TENSOR_OR_NUMBER)):
            raise invalid_combination("where", (condition, input, other), overloads=_WHERE_OVERLOADS)
        if _np_kind(condition._data.dtype) != "b":
            if condition._data.dtype != np.uint8:
                raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                                   f"{F._type_name(condition._data.dtype)}")
            # PyTorch still takes a uint8 mask (older code's masks), with a once-per-process warning
            from ...caller_warnings import warn_once_at_caller
            warn_once_at_caller("where received a uint8 condition tensor. This behavior is deprecated and will be "
                                "removed in a future version of PyTorch. Use a boolean condition instead.")
            condition = wrap(condition._data != 0, condition._device)
        dev = condition._device
        if isinstance(input, Tensor) and input._device is not dev or \
                isinstance(other, Tensor) and other._device is not dev:
            condition, input, other = F.join_cpu_scalars("where", condition, input, other)
            dev = condition._device
        ref = input if isinstance(input, Tensor) else other
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            a, b, _ = F._promote_pair("where", input._data, 1 if input._data.ndim == 0 else 0,
                                      other._data, 1 if other._data.ndim == 0 else 0, "same") \
                if input._data.dtype != other._data.dtype else (input._data, other._data, None)
        elif isinstance(ref, Tensor):
            scalar = other if ref is input else input
            ra = 1 if ref._data.ndim == 0 else 0
            if ref is input:
                a, b, _ = F._promote_pair("where", ref._data, ra, scalar, 2, "same")
            else:
                a, b, _ = F._promote_pair("where", scalar, 2, ref._data, ra, "same")
        else:
            da, db = _dt._scalar_dtype(input), _dt._scalar_dtype(other)
            npd = _dt.promote_types(da, db).np
            xp = _xp(condition)
            a, b = xp.asarray(input, dtype=npd), xp.asarray(other, dtype=npd)
        try:
            res = wrap(table[dev.type](condition._data, a, b), dev)
        except ValueError as e:
            raise F.shape_error(e, condition, a, b) from None
        if out is not None:
            F.write_out(out, res._data, "where")
            return out
        if F.needs_grad(input, other):
            Tensor._autograd.record(op, res, (condition, input, other), None, node_name="WhereBackward0")
        return res
    return where


_where = defop("where", kernel=_where_kernel, frontend=_where_frontend, method=False, nondiff_inputs=(0,))


def _where_method(self, condition, other):
    """``Tensor.where(condition, y)`` is ``torch.where(condition, self, y)``."""
    if not isinstance(other, _TENSOR_OR_NUMBER):  # (refused before the condition's dtype is looked at)
        raise invalid_combination("where", (condition, other),
                                  overloads=("Tensor condition, Tensor other", "Tensor condition, Number other"))
    return _where.frontend(condition, self, other)


defop("_where_method", frontend=lambda op: _where_method, method="where", public=False, differentiable=False,
      composite=True)


# --------------------------------------------------------------------------- searchsorted / bucketize
def _searchsorted_kernel(xp, seq, vals, side, sorter):
    if seq.ndim == 1:
        return _search_row(xp, seq, vals, side, sorter).astype(np.int64, copy=False)
    # (explicit leading sizes: a -1 cannot be inferred where the last dim is 0)
    rows = seq.size // seq.shape[-1] if seq.shape[-1] else int(np.prod(seq.shape[:-1]))
    s2 = seq.reshape(rows, seq.shape[-1])
    v2 = vals.reshape(rows, vals.shape[-1])
    out = xp.empty(v2.shape, dtype=np.int64)
    for i in range(rows):  # one search per leading index (boundaries differ per row)
        srt = None if sorter is None else sorter.reshape(rows, seq.shape[-1])[i]
        out[i] = _search_row(xp, s2[i], v2[i], side, srt)
    return out.reshape(vals.shape)


def _search_row(xp, seq, vals, side, sorter):
    """One row's search. NumPy's sorts NaN last; PyTorch's binary search compares with ``>=``
    (``>`` for the right side), to which a NaN boundary is never greater: where the boundaries hold
    NaN its bisection is run here, step for step, on all values at once."""
    if seq.dtype.kind != "f" or not bool(xp.isnan(seq).any()):
        return xp.searchsorted(seq, vals, side=side, sorter=sorter)
    bd = seq if sorter is None else seq[sorter]
    v = xp.asarray(vals)
    start = xp.zeros(v.shape, dtype=np.int64)
    end = xp.full(v.shape, bd.shape[0], dtype=np.int64)
    while bool((start < end).any()):
        active = start < end
        mid = start + ((end - start) >> 1)
        mid_val = bd[xp.minimum(mid, bd.shape[0] - 1)]
        after = ~(mid_val > v) if side == "right" else ~(mid_val >= v)  # (PyTorch's cus_upper/lower_bound)
        start = xp.where(active & after, mid + 1, start)
        end = xp.where(active & ~after, mid, end)
    return start


def _warn_non_contiguous(what):
    # PyTorch copies a non-contiguous operand and says so, once per process (bucketize too)
    from ...caller_warnings import warn_once_at_caller
    warn_once_at_caller(f"torch.searchsorted(): {what} is non-contiguous, this will lower the performance due to "
                        "extra data copy when converting non-contiguous tensor to contiguous, please use contiguous "
                        f"{what} if possible. This message will only appear once per program.")


def _searchsorted_frontend(op):
    table = op.table

    def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
        if not isinstance(sorted_sequence, Tensor):
            raise F.not_a_tensor("searchsorted", "sorted_sequence", 1, sorted_sequence)
        scalar = not isinstance(input, Tensor)
        seq = sorted_sequence._data
        if side is not None:
            if side not in ("left", "right"):
                raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
            if right and side == "left":
                raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                                   "while right was True")
            right = side == "right"
        xp = _xp(sorted_sequence)
        if scalar:
            # PyTorch wraps the number as a 0-d tensor and promotes: one of a higher category than the
            # boundaries (0.5 against integers) compares in the promoted dtype, else in theirs
            vals = xp.asarray(input)
            if F._CATEGORY[vals.dtype.kind] > F._CATEGORY[seq.dtype.kind]:
                seq = seq.astype(np.result_type(seq.dtype, vals.dtype))
            vals = vals.astype(seq.dtype)
        else:
            vals = input._data
        if seq.ndim > 1 and (scalar or vals.shape[:-1] != seq.shape[:-1]):
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(vals.shape) if not scalar else []}")
        if not scalar and not input.is_contiguous():
            _warn_non_contiguous("input value tensor")
        if not sorted_sequence.is_contiguous():
            _warn_non_contiguous("boundary tensor")
        srt = sorter._data if isinstance(sorter, Tensor) else None
        if srt is not None and srt.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{F._type_name(srt.dtype)}")
        res = table[sorted_sequence._device.type](seq, vals, "right" if right else "left", srt)
        if out_int32:
            res = res.astype(np.int32)
        return wrap(xp.asarray(res), sorted_sequence._device)
    return searchsorted


_searchsorted = defop("searchsorted", kernel=_searchsorted_kernel, frontend=_searchsorted_frontend, method=False,
                      differentiable=False)


def _bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if not isinstance(boundaries, Tensor):
        raise F.not_a_tensor("bucketize", "boundaries", 2, boundaries)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return _searchsorted.frontend(boundaries, input, out_int32=out_int32, right=right)


defop("bucketize", frontend=lambda op: _bucketize, differentiable=False)
