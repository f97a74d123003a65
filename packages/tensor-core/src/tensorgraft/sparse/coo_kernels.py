"""The elementwise kernels of sparse COO arrays: what ``SparseCOOData.__array_ufunc__`` runs for
``np.add``/``np.multiply``/... (``_UFUNC_KERNELS``) and ``__array_function__`` for ``np.sum``,
``np.where``, ``np.round`` ... (``FUNCTION_KERNELS``), with PyTorch's rules for which pattern the
result keeps. ``coo_data.py`` imports this module once its class is defined."""
from __future__ import annotations

import numpy as np

from .coo_data import SparseCOOData, _is_scalar, _linear_index, _no_kernel, _unsupported


def _add(a, b, sign=1):
    if a.__class__ is SparseCOOData and b.__class__ is SparseCOOData:
        if a.shape != b.shape:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                               f"{list(a.shape)} while other has size {list(b.shape)} (sparse tensors do not "
                               f"broadcast)")
        if a.sparse_dim != b.sparse_dim:
            raise RuntimeError(f"add: expected 'self' and 'other' to have the same sparse_dim, got {a.sparse_dim} "
                               f"and {b.sparse_dim}")
        dtype = np.result_type(a.values, b.values)
        b_values = (b.values if sign == 1 else -b.values).astype(dtype, copy=False)
        a_values = a.values.astype(dtype, copy=False)
        if a.coalesced and b.coalesced:  # the merge of two sorted lists: concatenate and coalesce
            return SparseCOOData(np.concatenate([a.indices, b.indices], axis=1),
                                 np.concatenate([a_values, b_values]), a.shape, False).coalesce()
        return _merge(a, a_values, b, b_values)
    if a.__class__ is SparseCOOData:  # sparse + dense: PyTorch refuses this order
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    b_dense = b.to_dense()
    a_shape = tuple(np.shape(a))  # (a Python number is a 0-d dense operand: 1 - S)
    if a_shape != tuple(b.shape):  # PyTorch's dense + sparse kernel does not broadcast
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size {list(a_shape)} "
                           f"while other has size {list(b.shape)} (FYI: dense-sparse addition does not currently "
                           "support broadcasting)")
    return np.add(a, b_dense) if sign == 1 else np.subtract(a, b_dense)


def _merge(a, a_values, b, b_values):
    """PyTorch's sparse addition walks both entry lists at once, taking the smaller index first and
    adding the two values when the indices are equal. For entries that are not sorted the order of
    the result (which printing and ``_indices()`` show) depends on that walk, so it is done here
    entry by entry; coalesced operands take the vectorised path above."""
    sparse_shape = a.shape[:a.sparse_dim]
    la = _linear_index(a.indices, sparse_shape).tolist()
    lb = _linear_index(b.indices, sparse_shape).tolist()
    take_a, take_b = [], []  # for each result entry: the entry of a and/or of b (-1: none)
    i = j = 0
    while i < len(la) and j < len(lb):
        from_a, from_b = la[i] <= lb[j], lb[j] <= la[i]
        take_a.append(i if from_a else -1)
        take_b.append(j if from_b else -1)
        i += from_a
        j += from_b
    take_a += list(range(i, len(la))) + [-1] * (len(lb) - j)
    take_b += [-1] * (len(la) - i) + list(range(j, len(lb)))
    ta, tb = np.array(take_a, np.int64), np.array(take_b, np.int64)
    values = np.zeros((len(ta),) + a_values.shape[1:], a_values.dtype)
    values[ta >= 0] += a_values[ta[ta >= 0]]
    values[tb >= 0] += b_values[tb[tb >= 0]]
    # (each result entry's index from whichever side holds it; either side may hold none at all)
    indices = np.empty((a.sparse_dim, len(ta)), np.int64)
    indices[:, ta >= 0] = a.indices[:, ta[ta >= 0]]
    indices[:, ta < 0] = b.indices[:, tb[ta < 0]]
    return SparseCOOData(indices, values, a.shape, False)


def _multiply(a, b):
    if a.__class__ is not SparseCOOData:
        a, b = b, a
    if b.__class__ is SparseCOOData:  # PyTorch's intersection kernel (also the mul/pow gradients')
        return sparse_product(a, b)
    if _is_scalar(b):
        return a.with_values(a.values * b)
    b = np.asarray(b)
    if np.broadcast_shapes(a.shape, b.shape) != a.shape:
        raise RuntimeError(f"mul: a sparse tensor of shape {list(a.shape)} cannot be multiplied by a dense one of "
                           f"shape {list(b.shape)} (the result would not keep the sparse tensor's shape)")
    dense = np.broadcast_to(b, a.shape)[tuple(a.indices)]
    return a.with_values(a.values * dense)


def sparse_product(x: SparseCOOData, y: SparseCOOData) -> SparseCOOData:
    """``x * y`` of two sparse tensors, as PyTorch's intersection kernel computes it: it walks the
    entries of one operand (the "source") and reads the other, coalesced, at each one. The source
    is the uncoalesced one when only one is coalesced, else the one with fewer entries (``y`` on a
    tie). Two coalesced operands give the entries both store, coalesced; otherwise every source
    entry is kept (zero where the other stores nothing), uncoalesced, so repeated entries still
    add up to the product."""
    if x.shape[:x.sparse_dim] != y.shape[:y.sparse_dim] or x.ndim != y.ndim or x.sparse_dim != y.sparse_dim:
        raise RuntimeError("sparse_binary_op_intersection_cpu(): expects sparse inputs with equal dimensionality, "
                           "number of sparse dimensions, and shape of sparse dimensions")
    if x.coalesced != y.coalesced:
        other, source = (x, y) if x.coalesced else (y, x)
    else:
        other, source = (x, y) if x.nnz >= y.nnz else (y, x)
    dtype = np.result_type(x.values, y.values)
    if other.nnz == 0 or source.nnz == 0:  # (an empty operand: an empty, coalesced product)
        return SparseCOOData(source.indices[:, :0], source.values[:0].astype(dtype), x.shape, True)
    other = other.coalesce()
    sparse_shape = x.shape[:x.sparse_dim]
    stored = _linear_index(other.indices, sparse_shape)
    wanted = _linear_index(source.indices, sparse_shape)
    pos = np.minimum(np.searchsorted(stored, wanted), other.nnz - 1)
    hit = stored[pos] == wanted
    if x.coalesced and y.coalesced:
        values = source.values[hit].astype(dtype) * other.values[pos[hit]].astype(dtype)
        return SparseCOOData(source.indices[:, hit], values, x.shape, True)
    read = np.zeros((len(wanted),) + other.values.shape[1:], dtype)
    read[hit] = other.values[pos[hit]]
    out = SparseCOOData(source.indices, source.values.astype(dtype) * read, x.shape, False)
    out.coalesced = False
    return out


def _divide(a, b):
    if a.__class__ is not SparseCOOData or not _is_scalar(b):
        raise _unsupported("division other than a sparse tensor by a number")
    return a.with_values(a.values / b)


def _power(a, b):
    """``sparse ** p`` for a positive number ``p`` (0 ** p stays 0), on the coalesced entries."""
    if a.__class__ is SparseCOOData and _is_scalar(b) and b == 0:
        raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would make the result tensor dense")
    if a.__class__ is not SparseCOOData or not _is_scalar(b) or not np.real(b) > 0:
        raise _unsupported("pow other than a sparse tensor to a positive number")
    c = a.coalesce()
    return c.with_values(np.power(c.values, b))


_UFUNC_KERNELS = {
    "add": _add,
    "subtract": lambda a, b: _add(a, b, sign=-1),
    "multiply": _multiply,
    "true_divide": _divide,
    "power": _power,
    "float_power": _power,
    "divide": _divide,
    "matmul": lambda a, b: a.dot(b) if a.__class__ is SparseCOOData else _dense_matmul_sparse(a, b),
}


def _dense_matmul_sparse(a, b):
    """``dense @ sparse`` as ``(sparse.T @ dense.T).T``."""
    return b.T.dot(np.asarray(a).T).T


def _sum(a, axis=None, dtype=None, keepdims=False, **kwargs):
    if keepdims:
        raise _unsupported("a sum with keepdim=True")
    axes = range(a.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    return (a if dtype is None else a.astype(dtype)).sum_dims(axes)


def _coalesced_map(function):
    """A function with ``f(0) == 0`` (or False) applied to the coalesced values."""
    def kernel(a, *args, **kwargs):
        c = a.coalesce()
        return c.with_values(function(c.values, *args, **kwargs))
    return kernel


def _any(a, axis=None, keepdims=False, **kwargs):
    if axis is not None or keepdims:
        raise _unsupported("any() over a dimension")
    return np.asarray(bool(a.coalesce().values.any()))


def _structure(name):
    def kernel(*args, **kwargs):
        from . import structure
        return getattr(structure, name)(*args, **kwargs)
    return kernel


def _where(condition, x, y):
    """``where(C, x, S)`` (or ``where(C, S, 0)``) with ``C`` and ``S`` sparse on one pattern:
    false where nothing is stored, so the result stores on that pattern too (sign's NaN step)."""
    if condition.__class__ is SparseCOOData and (y.__class__ is SparseCOOData) != (x.__class__ is SparseCOOData):
        sparse, other, sparse_first = (y, x, False) if y.__class__ is SparseCOOData else (x, y, True)
        c, s = condition.coalesce(), sparse.coalesce()
        plain = not hasattr(other, "shape") or other.shape == ()
        if plain and (not sparse_first or other == 0) and c.indices.shape == s.indices.shape \
                and np.array_equal(c.indices, s.indices):
            values = np.where(c.values, s.values, other) if sparse_first else np.where(c.values, other, s.values)
            return s.with_values(values.astype(s.dtype, copy=False))
    raise _no_kernel("where")


def _round(a, decimals=0, out=None):
    if out is not None:
        raise _unsupported("round(out=...)")
    return _coalesced_map(np.round)(a, decimals)


_FUNCTION_KERNELS = {
    "where": _where,
    "round": _round,
    "around": _round,
    "take": _structure("take"),
    "concatenate": _structure("concatenate"),
    "isposinf": _coalesced_map(np.isposinf),
    "isneginf": _coalesced_map(np.isneginf),
    "nan_to_num": _coalesced_map(np.nan_to_num),
    "any": _any,
    "swapaxes": lambda a, d0, d1: a.swapaxes(d0, d1),
    "transpose": lambda a, axes=None: a.transpose(axes),
    "sum": _sum,
    "copy": lambda a, **kw: a.copy(),
    "conj": lambda a: a.conj(),
    "conjugate": lambda a: a.conj(),
    "matmul": lambda a, b: _UFUNC_KERNELS["matmul"](a, b),
    "dot": lambda a, b: _UFUNC_KERNELS["matmul"](a, b),
}


SparseCOOData.FUNCTION_KERNELS = _FUNCTION_KERNELS
