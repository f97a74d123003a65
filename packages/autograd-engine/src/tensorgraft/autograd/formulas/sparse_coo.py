"""Gradients of the sparse COO ops (``tensorgraft/ops/sparse_coo.py``).

A gradient flowing into a sparse tensor is sparse, with that tensor's pattern (PyTorch's masked
gradients): only the stored entries are parameters. The formulas work on the arrays, so they give
first-order gradients; ``create_graph=True`` through a sparse op raises instead of returning a
gradient that would not be differentiable again.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.grad_mode import state as _gs
from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.sparse.softmax_kernels import softmax_gradient
from tensorgraft.tensor import wrap

from . import formula


def _first_order(name):
    if _gs.enabled:
        raise NotImplementedError(f"{name}: tensorgraft's sparse COO gradients are first-order only "
                                  f"(create_graph=True through a sparse op is not supported)")


def _dense(g) -> np.ndarray:
    d = g._data
    return d.to_dense() if d.__class__ is SparseCOOData else d


def _read_at(g, indices) -> np.ndarray:
    """``g``'s values at the entries ``indices`` of a sparse tensor, sparse ``g`` kept sparse."""
    d = g._data
    if d.__class__ is SparseCOOData:
        return d.read_at(indices)
    return d[tuple(indices)]


@formula("_sparse_coo_tensor", saves=())
def sparse_coo_tensor(node, g):
    _first_order("SparseCooTensorWithDimsAndTensorsBackward0")
    return (wrap(_read_at(g, node.attrs["indices"]), g._device),)


@formula("_sparse_to_dense")
def sparse_to_dense(node, g):
    _first_order("ToDenseBackward0")
    s = node.inputs[0]._data.coalesce()
    return (wrap(s.with_values(g._data[tuple(s.indices)]), g._device),)


@formula("_to_sparse", saves=())
def to_sparse(node, g):
    _first_order("ToSparseBackward0")
    return (wrap(_dense(g), g._device),)


@formula("_sparse_values")
def sparse_values(node, g):
    _first_order("ValuesBackward0")
    s = node.inputs[0]._data
    return (wrap(s.with_values(np.asarray(g._data, dtype=s.dtype)), g._device),)


@formula("_sparse_coalesce", saves=())
def sparse_coalesce(node, g):
    return (g,)


@formula("_sparse_mm")
def sparse_mm(node, g):
    _first_order("SparseAddmmBackward0")
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    gd = _dense(g)
    ga = wrap(a._data.masked_product(gd, b._data.conj()), g._device) if need_a else None
    gb = wrap(a._data.T.conj().dot(gd), g._device) if need_b else None
    return ga, gb


@formula("_sparse_sum")
def sparse_sum(node, g):
    _first_order("SparseSumBackward0")
    s = node.inputs[0]._data.coalesce()
    dims = node.attrs["dims"]
    if dims is None:
        values = np.broadcast_to(np.asarray(g._data, dtype=s.dtype), s.values.shape).copy()
        return (wrap(s.with_values(values), g._device),)
    k = s.sparse_dim
    keep = [i for i in range(k) if i not in dims]
    if keep:
        at = _read_at(g, s.indices[keep])
    else:  # every sparse dimension summed: g is dense, one slice for every entry
        at = np.broadcast_to(np.asarray(g._data), (s.nnz,) + g._data.shape)
    for i in dims:  # summed dense dimensions come back as broadcast axes
        if i >= k:
            at = np.expand_dims(at, 1 + i - k)
    values = np.broadcast_to(at, s.values.shape).astype(s.dtype, copy=True)
    return (wrap(s.with_values(values), g._device),)


@formula("_sparse_softmax")
def sparse_softmax(node, g):
    log = node.attrs["log"]
    _first_order("SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0")
    c = node.inputs[0]._data.coalesce()
    y = node.attrs["output"]
    gy = _read_at(g, c.indices).astype(y.dtype, copy=False)
    return (wrap(c.with_values(softmax_gradient(c, y, gy, node.attrs["dim"], log)), g._device),)


@formula("_sparse_mask", saves=())
def sparse_mask(node, g):
    _first_order("SparseMaskBackward0")
    indices = node.attrs["indices"]
    shape, dtype = node.in_meta[0]
    at = _read_at(g, indices).astype(dtype, copy=False)
    if node.attrs["sparse_self"]:
        # as PyTorch: the mask's pattern, also where self stores nothing (an implicit zero of
        # self is an input like any other)
        return (wrap(SparseCOOData(indices, at, shape, node.attrs["coalesced"]), g._device),)
    dense = np.zeros(shape, dtype)
    np.add.at(dense, tuple(indices), at)  # a repeated mask entry takes its gradient once per copy
    return (wrap(dense, g._device),)


@formula("_sparse_spdiags", saves=(), node="NotImplemented")
def sparse_spdiags(node, g):
    # PyTorch records spdiags without a derivative: the error comes when backward reaches it
    raise RuntimeError("derivative for aten::_spdiags is not implemented")
