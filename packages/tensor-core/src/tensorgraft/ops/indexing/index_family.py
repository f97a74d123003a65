"""index_select, index_add, index_copy and index_fill: whole slices along ``dim`` addressed by an
index vector. Each op checks its arguments in PyTorch's own order and words (the index dtypes
allowed, whether negative indices are, and the messages differ from op to op), which is most
of this module."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...sparse.coo_data import SparseCOOData
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import wrap_dim
from .._define import defop
from ..creation.fills import checked_fill_scalar
from .setitem import _add_at
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- index_* family
def _vec_index(index, fname, pos=3):
    if not isinstance(index, Tensor):
        raise F.not_a_tensor(fname, "index", pos, index)
    idx = index._data
    if idx.ndim > 1:  # the rank is checked before the dtype
        raise IndexError(f"{fname}(): Index is supposed to be a vector")
    # exactly int32/int64: a short or unsigned index is refused, not widened
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{fname}(): Expected dtype int32 or int64 for index")
    return idx.reshape(-1)


def _index_args(fname, input, dim, index, *source):
    """``(array, dim, index vector)`` of an index_* op (add, copy, fill) once its tensor arguments
    pass PyTorch's checks, in PyTorch's order; a ``source`` given is argument 4. index_select, a
    plain gather at a fraction of their cost, writes the checks out rather than pay the call."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(fname, "input", 1, input)
    for src in source:
        if not isinstance(src, Tensor):
            raise F.not_a_tensor(fname, "source", 4, src)
    a = input._data
    idx = _vec_index(index, fname)
    return a, wrap_dim(dim, a.ndim), idx


def _index_select_kernel(xp, a, dim, idx):
    if a.ndim == 0:  # (PyTorch keeps a 0-d input 0-d: its one index can only pick the one element)
        return a.reshape(1)[idx].reshape(())
    return xp.take(a, idx, axis=dim)


def _index_select_frontend(op):
    table = op.table

    def index_select(input, dim, index, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("index_select", "input", 1, input)
        a = input._data
        idx = _vec_index(index, "index_select")
        d = wrap_dim(dim, a.ndim)
        n = a.shape[d] if a.ndim else 1
        if a.ndim == 0 and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        bad = _first_out_of_range(idx, n, negatives=False)
        if bad is not None and a.__class__ is SparseCOOData:
            # PyTorch's sparse kernel counts negative indices from the end and words its own error
            bad = _first_out_of_range(idx, n)
            if bad is not None:
                raise IndexError(f"index_select(): index contains {bad} that is out of range for tensor of size "
                                 f"{list(a.shape)} at dimension {d}")
            idx = np.where(idx < 0, idx + n, idx)
        if bad is not None:
            if a.ndim > 1 and d == 1:  # PyTorch's own kernel for dim 1 words it its way
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
            raise IndexError("index out of range in self")
        if out is not None:
            F.check_out_grad("index_select", out, input)
            if isinstance(out, Tensor):  # (it reads other elements than it writes: no overlap at all)
                F.check_out_overlap(out, (input, index), full_ok=False)
        res = wrap(table[input._device.type](a, d, idx), input._device)
        if out is not None:
            F.write_out(out, res._data, "index_select")
            return out
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), {"dim": d})
        return res
    return index_select


defop("index_select", kernel=_index_select_kernel, frontend=_index_select_frontend, nondiff_inputs=(1,))


def _moved(xp, a, dim):
    return a.reshape(1) if a.ndim == 0 else xp.moveaxis(a, dim, 0)


def _index_add_kernel(xp, a, dim, idx, src, alpha):
    out = a.copy()
    s = src if alpha == 1 else src * alpha
    s = xp.asarray(s, dtype=a.dtype)
    _add_at(xp, _moved(xp, out, dim), idx, _moved(xp, s, dim) if s.ndim else s)
    return out


def _first_out_of_range(idx, n, negatives=True):
    """The first index (in the index's order, as PyTorch's loops meet it) outside ``[-n, n)``, or
    outside ``[0, n)`` where negative indices are refused; None when all are in range."""
    if not idx.size:
        return None
    lo, hi = int(idx.min()), int(idx.max())
    if (lo >= -n if negatives else lo >= 0) and hi < n:
        return None
    host = np.asarray(idx.get() if hasattr(idx, "get") else idx).reshape(-1)
    bad = (host >= n) | (host < (-n if negatives else 0))
    return int(host[int(np.argmax(bad))])


def _index_bounds(fname, idx, n, d, exc=IndexError, negatives=True):
    bad = _first_out_of_range(idx, n, negatives)
    if bad is not None:
        raise exc(f"{fname}index {bad} is out of bounds for dimension {d} with size {n}")


def _source_checks(fname, a, d, idx, s):
    if s.ndim and a.ndim and s.ndim != a.ndim:
        raise IndexError(f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(a.shape[:d] + a.shape[d + 1:])} at dimension {d} and source slice shape: "
                         f"{list(s.shape[:d] + s.shape[d + 1:])} at dimension 0.")
    ns = s.shape[d] if s.ndim else 1
    if ns != idx.size:
        raise RuntimeError(f"{fname}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({ns}), "
                           f"for dim: {d}")
    if s.ndim and a.ndim and (s.shape[:d] + s.shape[d + 1:]) != (a.shape[:d] + a.shape[d + 1:]):
        raise IndexError(f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(a.shape[:d] + a.shape[d + 1:])} at dimension {d} and source slice shape: "
                         f"{list(s.shape[:d] + s.shape[d + 1:])} at dimension {d}.")


def _index_vector_checks(fname, index):
    """The index of index_add/index_reduce: its rank checked before its dtype, as PyTorch does."""
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{fname}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{F._type_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index but got: {F._type_name(idx.dtype)}")
    return idx.reshape(-1)


def _index_add_checks(input, dim, index, source):
    """PyTorch's checks of index_add in its order (index, dtypes, count, shape, bounds): the source
    must have self's dtype (no promotion) and self's shape apart from ``dim``."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_add", "input", 1, input)
    # PyTorch's parser checks the arguments in their order: the index before the source
    if not isinstance(index, Tensor):
        raise F.not_a_tensor("index_add", "index", 3, index)
    if not isinstance(source, Tensor):
        raise F.not_a_tensor("index_add", "source", 4, source)
    a, s = input._data, source._data
    d = wrap_dim(dim, a.ndim)
    idx = _index_vector_checks("index_add_", index)
    if s.dtype != a.dtype:
        raise RuntimeError(f"index_add_(): self ({F._type_name(a.dtype)}) and source ({F._type_name(s.dtype)}) "
                           "must have the same scalar type")
    if idx.size != (s.shape[d] if s.ndim else 1):
        if not s.ndim:  # PyTorch's message asks a 0-d source for its size along dim
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({s.shape[d]}), for dim: {d}")
    if s.ndim != a.ndim or any(n != m for k, (n, m) in enumerate(zip(a.shape, s.shape)) if k != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(s.shape)}")
    if a.ndim < 2 and _first_out_of_range(idx, a.shape[0] if a.ndim else 1, negatives=False) is not None:
        raise IndexError("index out of range in self")  # PyTorch's 0-d and 1-d kernel words it so
    # index_add takes no negative indices (index_fill and indexing do)
    _index_bounds("", idx, a.shape[d] if a.ndim else 1, d, RuntimeError, negatives=False)
    return a, d, idx


def _index_copy_checks(input, dim, index, source):
    """PyTorch's checks of index_copy in its order: the index's rank, a 0-d source's single index,
    the ranks, the index dtype (int64 only, unlike index_add), the dtypes, the slice shapes, the
    index count and the bounds."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_copy", "input", 1, input)
    if not isinstance(index, Tensor):
        raise F.not_a_tensor("index_copy", "index", 3, index)
    if not isinstance(source, Tensor):
        raise F.not_a_tensor("index_copy", "source", 4, source)
    a, s, idx = input._data, source._data, index._data
    d = wrap_dim(dim, a.ndim)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if not s.ndim and idx.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {idx.size})")
    if s.ndim and a.ndim and s.ndim != a.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({s.ndim}), destination dimensionality ({a.ndim})")
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {F._type_name(idx.dtype)}")
    if s.dtype != a.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{F._type_name(a.dtype)} and (source) {F._type_name(s.dtype)}")
    dest_slice = a.shape[:d] + a.shape[d + 1:]
    src_slice = s.shape[:d] + s.shape[d + 1:]
    if dest_slice != src_slice:
        # PyTorch writes these shapes as bare sizes separated by spaces
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {' '.join(map(str, dest_slice))} at dimension {d} and source slice "
                           f"shape: {' '.join(map(str, src_slice))} at dimension 0.")
    if s.ndim and idx.size != s.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({s.shape[d]})")
    idx = idx.reshape(-1)
    _index_bounds("index_copy_(): ", idx, a.shape[d] if a.ndim else 1, d, negatives=False)
    return a, d, idx


def _index_add_frontend(op):
    table = op.table

    def index_add(input, dim, index, source, *, alpha=1, out=None):
        a, d, idx = _index_add_checks(input, dim, index, source)
        if out is not None:
            F.check_out_grad("index_add", out, input, source)
            if isinstance(out, Tensor):
                F.check_out_overlap(out, (input, index, source), full_ok=False)
        if alpha != 1 and _np_kind(a.dtype) in "iu":
            alpha = checked_fill_scalar(alpha, a.dtype)  # PyTorch casts alpha first (-1.5 -> -1)
        res = wrap(table[input._device.type](a, d, idx, source._data, alpha), input._device)
        if out is not None:
            return F.write_out(out, res._data, "index_add")
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, index, source), {"dim": d, "alpha": alpha})
        return res
    return index_add


defop("index_add", kernel=_index_add_kernel, frontend=_index_add_frontend, inplace="index_add_", nondiff_inputs=(1,))


def _index_copy_kernel(xp, a, dim, idx, src):
    out = a.copy()
    m = _moved(xp, out, dim)
    m[idx] = _moved(xp, src, dim) if src.ndim else src
    return out


def _index_copy_frontend(op):
    table = op.table

    def index_copy(input, dim, index, source):
        a, d, idx = _index_copy_checks(input, dim, index, source)
        res = wrap(table[input._device.type](a, d, idx, source._data), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, index, source), {"dim": d})
        return res
    return index_copy


defop("index_copy", kernel=_index_copy_kernel, frontend=_index_copy_frontend, inplace="index_copy_",
      nondiff_inputs=(1,))


def _index_fill_kernel(xp, a, dim, idx, value):
    out = a.copy()
    _moved(xp, out, dim)[idx] = value
    return out


def _index_fill_frontend(op):
    table = op.table

    def index_fill(input, dim, index, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("index_fill", "input", 1, input)
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("index_fill", "index", 3, index)
        if isinstance(value, Tensor) and value._data.ndim != 0:  # (checked first: PyTorch's overload for a
            # tensor value reads it as a number before anything else)
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        # index_fill takes int64 indices only, checked before their rank (PyTorch's order and types)
        if index._data.dtype != np.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if index._data.ndim > 1:
            raise RuntimeError("Index has to be a vector/scalar")
        a, idx = input._data, index._data.reshape(-1)
        if _np_kind(a.dtype) != "c" and (value.__class__ is complex or isinstance(value, np.complexfloating) or (
                isinstance(value, Tensor) and _np_kind(value._data.dtype) == "c")):
            raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not supported")
        d = wrap_dim(dim, a.ndim)
        _index_bounds("", idx, a.shape[d] if a.ndim else 1, d)
        if isinstance(value, Tensor):
            if value._device is not input._device:
                # any 0-d value, from any device (PyTorch reads it with .item()); copied
                # differentiably so that its gradient lands on its own device
                value = value.to(input._device)
            v = checked_fill_scalar(value._data, a.dtype).astype(a.dtype)
            name = "IndexFillBackward1"
        else:
            v = checked_fill_scalar(value, a.dtype)
            name = "IndexFillBackward0"
        res = wrap(table[input._device.type](a, d, idx, v), input._device)
        if F.needs_grad(input, value):
            Tensor._autograd.record(op, res, (input, index, value), {"dim": d}, node_name=name)
        return res
    return index_fill


defop("index_fill", kernel=_index_fill_kernel, frontend=_index_fill_frontend, inplace="index_fill_",
      nondiff_inputs=(1,), scalar_inputs=(2,))
