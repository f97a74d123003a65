"""Sparse COO kernels that move entries around without computing on their values:
``index_select``, ``select`` (and ``t[i]``), ``narrow_copy``, ``unsqueeze``, ``cat`` and ``stack``.

They reach here the way every sparse kernel does (see ``coo_data.py``): the ops' NumPy calls
(``np.take``, ``a[key]``, ``np.concatenate``) land on ``SparseCOOData``, which hands them to the
functions below; ``unsqueeze``'s kernel asks for ``insert_axis`` directly, since a reshape cannot
say whether a new size-1 dimension is sparse or dense.

Along a sparse dimension the entries are filtered, repeated or offset in their index rows; along a
dense dimension the values are sliced or padded. The results list their entries in PyTorch's order
and carry its coalesced flag (``index_select``, ``select``, ``cat``, ``stack`` and ``unsqueeze``
give uncoalesced results, as PyTorch's kernels do), so they print the same.
"""
from __future__ import annotations

import numpy as np

from .coo_data import SparseCOOData, _unsupported


def take(a: SparseCOOData, idx, axis: int) -> SparseCOOData:
    """``index_select(a, axis, idx)``: output position ``j`` holds the entries whose index along
    ``axis`` is ``idx[j]``, in their input order, ``j`` after ``j``."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    k = a.sparse_dim
    if axis >= k:
        values = np.take(a.values, idx, axis=1 + axis - k)
        return SparseCOOData(a.indices, values, _resized(a.shape, axis, idx.size), a.coalesced)
    keys = a.indices[axis]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.searchsorted(sorted_keys, idx, side="left")
    counts = np.searchsorted(sorted_keys, idx, side="right") - starts
    total = int(counts.sum())
    # the positions (in ``order``) of every selected run, run after run: each run's start,
    # repeated over its length, plus the offset within it
    run_offsets = np.repeat(np.cumsum(counts) - counts, counts)
    picked = order[np.repeat(starts, counts) + np.arange(total) - run_offsets]
    indices = a.indices[:, picked].copy()
    indices[axis] = np.repeat(np.arange(idx.size), counts)
    return SparseCOOData(indices, a.values[picked], _resized(a.shape, axis, idx.size), False)


def select(a: SparseCOOData, axis: int, i: int):
    """``a.select(axis, i)``: the entries at ``i`` along ``axis``, that dimension gone. Selecting
    the only sparse dimension leaves no index: the result is the dense sum of those entries'
    values, as PyTorch returns."""
    k = a.sparse_dim
    shape = a.shape[:axis] + a.shape[axis + 1:]
    if axis >= k:
        return SparseCOOData(a.indices, np.take(a.values, i, axis=1 + axis - k), shape, a.coalesced)
    hit = a.indices[axis] == i
    if k == 1:
        return a.values[hit].sum(axis=0)
    indices = np.delete(a.indices[:, hit], axis, axis=0)
    return SparseCOOData(np.ascontiguousarray(indices), a.values[hit], shape, False)


def insert_axis(a: SparseCOOData, axis: int) -> SparseCOOData:
    """``a.unsqueeze(axis)``: a sparse dimension (an index row of zeros) at or before the last
    sparse one, a dense one (a size-1 axis of the values) after it."""
    shape = a.shape[:axis] + (1,) + a.shape[axis:]
    k = a.sparse_dim
    if axis <= k:
        indices = np.insert(a.indices, axis, 0, axis=0)
        return SparseCOOData(indices, a.values, shape, False)
    return SparseCOOData(a.indices, np.expand_dims(a.values, 1 + axis - k), shape, False)


def getitem(a: SparseCOOData, key):
    """``a[key]`` for the keys the shape ops build: full slices then one int (``select``) or one
    ``None`` (``stack``'s new axis), and trailing full slices or ``...``."""
    key = key if isinstance(key, tuple) else (key,)
    lead = 0
    while lead < len(key) and _is_full(key[lead]):
        lead += 1
    rest = key[lead + 1:]
    if lead < len(key) and all(_is_full(x) or x is Ellipsis for x in rest):
        item = key[lead]
        if item is None:
            return insert_axis(a, lead)
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool) and lead < a.ndim:
            n = a.shape[lead]
            if -n <= item < n:
                return select(a, lead, int(item) % n)
    # (a range, ``t[a:b]``/``narrow``/``split``, stays refused as PyTorch refuses it: its kernel is a
    # strided view; ``narrow_copy`` has a kernel of its own, ``narrow`` below)
    raise _unsupported("indexing other than selecting one index (t[i], t.select(dim, i))")


def narrow(a: SparseCOOData, axis: int, start: int, length: int) -> SparseCOOData:
    """``torch.narrow_copy(a, axis, start, length)``: along a sparse dimension the entries whose
    index lies in the range, in their order, that index shifted down by ``start``; along a dense
    one every entry's values cut to the range. As PyTorch's ``narrow_copy_sparse``, the result keeps
    the input's coalesced flag (dropping entries cannot unsort the rest)."""
    shape = _resized(a.shape, axis, length)
    k = a.sparse_dim
    if axis >= k:
        cut = (slice(None),) * (1 + axis - k) + (slice(start, start + length),)
        return SparseCOOData(a.indices, np.ascontiguousarray(a.values[cut]), shape, a.coalesced)
    keys = a.indices[axis]
    hit = (keys >= start) & (keys < start + length)
    indices = a.indices[:, hit]  # (a copy: boolean indexing)
    indices[axis] -= start
    return SparseCOOData(indices, a.values[hit], shape, a.coalesced)


def concatenate(arrays, axis: int = 0) -> SparseCOOData:
    """``torch.cat`` of sparse tensors: along a sparse dimension the entries one input after the
    other, their indices offset; along a dense dimension each input's values take their own slice
    of the longer axis, zero elsewhere (the entries are not merged)."""
    arrays = list(arrays)
    for pos, x in enumerate(arrays):
        if x.__class__ is not SparseCOOData:
            raise RuntimeError(f"Concatenating sparse tensors, but a dense tensor was found at position {pos}.")
    first = arrays[0]
    k, dense = first.sparse_dim, first.dense_dim
    for pos, x in enumerate(arrays):
        if (x.sparse_dim, x.dense_dim) != (k, dense):
            raise RuntimeError(f"All tensors must have the same sparse_dim and dense_dim: {k}, {dense}, but tensor "
                               f"at position {pos} has {x.sparse_dim}, {x.dense_dim}.")
    sizes = [x.shape[axis] for x in arrays]
    shape = _resized(first.shape, axis, sum(sizes))
    if axis < k:
        offsets = np.cumsum([0] + sizes[:-1])
        parts = []
        for x, offset in zip(arrays, offsets):
            moved = x.indices.copy()
            moved[axis] += offset
            parts.append(moved)
        return SparseCOOData(np.concatenate(parts, axis=1), np.concatenate([x.values for x in arrays]), shape,
                             False)
    values_axis = 1 + axis - k
    nnz = [x.nnz for x in arrays]
    values = np.zeros((sum(nnz),) + shape[k:], dtype=first.dtype)
    row = col = 0
    for x, n, size in zip(arrays, nnz, sizes):
        where = [slice(row, row + n)] + [slice(None)] * dense
        where[values_axis] = slice(col, col + size)
        values[tuple(where)] = x.values
        row, col = row + n, col + size
    return SparseCOOData(np.concatenate([x.indices for x in arrays], axis=1), values, shape, False)


def _is_full(item) -> bool:
    return isinstance(item, slice) and item == slice(None)


def _resized(shape: tuple, axis: int, size: int) -> tuple:
    return shape[:axis] + (size,) + shape[axis + 1:]
