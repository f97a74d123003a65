"""Gradients of the compressed sparse ops (CSR/CSC/BSR/BSC, ``tensorgraft/ops/sparse_compressed.py``).

As for COO tensors, a gradient flowing into a compressed tensor through these ops keeps that
tensor's pattern (only the stored entries are parameters) and the formulas are first-order. The
ordinary ops a compressed tensor goes through (``mm``, ``mul``, ``sum`` ...) keep their own formulas,
which give what PyTorch gives there (a dense gradient through ``mm``, a CSR one through ``mul``).
"""
from __future__ import annotations

import numpy as np

from tensorgraft.sparse.compressed_data import SparseCompressedData
from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import wrap

from . import formula
from .sparse_coo import _first_order


def _dense(g) -> np.ndarray:
    d = g._data
    return d.to_dense() if d.__class__ in (SparseCOOData, SparseCompressedData) else d


def _pattern_gradient(s: SparseCompressedData, g):
    """``g`` at the stored entries of ``s``, as a tensor of ``s``'s layout and pattern."""
    return wrap(s.with_values(np.asarray(s.read(g._data), dtype=s.dtype).copy()), g._device)


@formula("_sparse_compressed_tensor", saves=())
def sparse_compressed_tensor(node, g):
    _first_order("SparseCompressedTensorBackward0")
    shape, dtype = node.in_meta[0]
    pattern = node.attrs["pattern"]
    return (wrap(np.asarray(pattern.read(g._data), dtype=dtype).reshape(shape), g._device),)


@formula("_to_sparse_compressed")
def to_sparse_compressed(node, g):
    # PyTorch's: the gradient converted back to the input's layout (not masked to its pattern:
    # a dense gradient arriving here keeps all its nonzeros)
    _first_order("ToSparseCsrBackward0 (and the CSC/BSR/BSC ones)")
    x = node.inputs[0]._data
    gd = g._data
    if x.__class__ is SparseCompressedData:
        if gd.__class__ is SparseCompressedData:
            out = gd.relayout(x.layout, x.blocksize)
        else:
            dense = _dense(g).astype(x.dtype, copy=False)
            out = SparseCompressedData.from_dense(dense, x.layout, x.blocksize, x.dense_dim)
        return (wrap(out, g._device),)
    if x.__class__ is SparseCOOData:
        coo = gd.to_coo() if gd.__class__ is SparseCompressedData else \
            SparseCOOData.from_dense(_dense(g).astype(x.dtype, copy=False), x.sparse_dim)
        return (wrap(coo, g._device),)
    return (wrap(_dense(g).astype(x.dtype, copy=False), g._device),)


@formula("_sparse_compressed_to_dense")
def compressed_to_dense(node, g):
    _first_order("ToDenseBackward0")
    return (_pattern_gradient(node.inputs[0]._data, g),)


@formula("_sparse_compressed_to_coo")
def compressed_to_coo(node, g):
    _first_order("ToSparseBackward1")
    return (_pattern_gradient(node.inputs[0]._data, g),)


@formula("_sparse_compressed_values")
def compressed_values(node, g):
    _first_order("ValuesBackward0")
    s = node.inputs[0]._data
    return (wrap(s.with_values(np.asarray(g._data, dtype=s.dtype).copy()), g._device),)


@formula("_sparse_mm_reduce")
def sparse_mm_reduce(node, g):
    _first_order("SparseMmReduceImplBackward0")
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    s, other = a._data, b._data
    reduce, arg = node.attrs["reduce"], node.attrs["arg"]
    gd = _dense(g)
    cols = s._element_indices()[1]
    if reduce in ("sum", "mean"):
        if reduce == "mean":  # each row's gradient shared by its entries
            counts = np.diff(s.compressed)
            gd = gd / np.maximum(counts, 1)[:, None]
        ga = s.masked_product(gd, other) if need_a else None
        gb = s.transposed_matrix().dot(gd) if need_b else None
    else:  # amax/amin: each output element's gradient goes to the entry it came from
        hit = arg >= 0
        entry = arg[hit]
        col_of_out = np.nonzero(hit)[1]
        ga = gb = None
        if need_a:
            vals = np.zeros(s.values.shape, s.dtype)
            np.add.at(vals, entry, gd[hit] * other[cols[entry], col_of_out])
            ga = s.with_values(vals)
        if need_b:
            gb = np.zeros(other.shape, other.dtype)
            np.add.at(gb, (cols[entry], col_of_out), gd[hit] * s.values[entry])
    return (wrap(ga, g._device) if ga is not None else None,
            wrap(np.asarray(gb, dtype=other.dtype), g._device) if gb is not None else None)


@formula("_sparse_sampled_addmm")
def sparse_sampled_addmm(node, g):
    _first_order("SparseSampledAddmmBackward0")
    s, a, b = (t._data for t in node.inputs)
    need_s, need_a, need_b = node.needs_input_grad
    beta, alpha = node.attrs["beta"], node.attrs["alpha"]
    gs = s.read(g._data)  # the gradient at the stored entries: the only outputs there are
    grad_pattern = s.with_values(np.asarray(gs * alpha, dtype=s.dtype))
    return (wrap(s.with_values(np.asarray(gs * beta, dtype=s.dtype)), g._device) if need_s else None,
            wrap(np.asarray(grad_pattern.dot(b.T), dtype=a.dtype), g._device) if need_a else None,
            wrap(np.asarray(grad_pattern.transposed_matrix().dot(a).T, dtype=b.dtype), g._device) if need_b else None)
