"""(``torch.sparse.softmax`` is the function in ``sparse/__init__.py``; this module is named apart
from it so that importing it does not replace the function on the package.)

Softmax over the stored entries of a sparse COO tensor (``torch.sparse.softmax`` and
``log_softmax``): the entries that are not stored count as minus infinity, so each one's share is
taken among the stored entries of its slice along ``dim`` only, and the result keeps the input's
(coalesced) pattern.

Along a sparse dimension the slices are the groups of entries whose other sparse indices agree;
they are found by sorting the entries on those indices, so each group is a contiguous run and
``reduceat`` gives its maximum and sum in one pass (no per-group Python loop). Along a dense
dimension each entry's values are one softmax on their own axis. Both the forward values and the
gradients (``y * (g - sum(g * y))``, ``g - exp(y) * sum(g)``) are computed per group the same way.
"""
from __future__ import annotations

import numpy as np

from .coo_data import SparseCOOData, _linear_index


def _groups(c: SparseCOOData, dim: int):
    """(order, starts): the entries sorted so that those sharing every sparse index but ``dim``'s
    are adjacent, and where each such group starts in that order."""
    keep = [i for i in range(c.sparse_dim) if i != dim]
    if not keep:
        return np.arange(c.nnz), np.zeros(1 if c.nnz else 0, np.int64)
    key = _linear_index(c.indices[keep], tuple(c.shape[i] for i in keep))
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.concatenate(([0], np.flatnonzero(key[1:] != key[:-1]) + 1))
    return order, starts


def _per_group(values: np.ndarray, order, starts, reduce):
    """``reduce`` (a ufunc) over each group, broadcast back to every entry in the input order."""
    sizes = np.diff(np.append(starts, values.shape[0]))
    totals = reduce.reduceat(values[order], starts, axis=0)
    out = np.empty_like(totals, shape=values.shape)
    out[order] = np.repeat(totals, sizes, axis=0)
    return out


def softmax_values(c: SparseCOOData, dim: int, log: bool) -> np.ndarray:
    """The (log-)softmax of the coalesced ``c``'s values along ``dim``."""
    x = c.values
    if x.shape[0] == 0:
        return x.copy()
    if dim >= c.sparse_dim:  # a dense dimension: within each entry's values
        axis = 1 + dim - c.sparse_dim
        shifted = x - x.max(axis=axis, keepdims=True)
        total = np.exp(shifted).sum(axis=axis, keepdims=True)
    else:
        order, starts = _groups(c, dim)
        shifted = x - _per_group(x, order, starts, np.maximum)
        total = _per_group(np.exp(shifted), order, starts, np.add)
    return shifted - np.log(total) if log else np.exp(shifted) / total


def softmax_gradient(c: SparseCOOData, y: np.ndarray, gy: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """The gradient of the input's values given the output values ``y`` and their gradient ``gy``."""
    if y.shape[0] == 0:
        return gy.copy()
    if dim >= c.sparse_dim:
        axis = 1 + dim - c.sparse_dim

        def group_sum(v):
            return v.sum(axis=axis, keepdims=True)
    else:
        order, starts = _groups(c, dim)

        def group_sum(v):
            return _per_group(v, order, starts, np.add)
    if log:
        return gy - np.exp(y) * group_sum(gy)
    return y * (gy - group_sum(gy * y))
