"""Gradients of the sparse COO ops (``tensorgraft/ops/sparse_coo.py``).

A gradient flowing into a sparse tensor is sparse, with that tensor's pattern (PyTorch's masked
gradients): only the stored entries are parameters. The formulas work on the arrays, so they give
first-order gradients; ``create_graph=True`` through a sparse op raises instead of returning a
gradient that would not be differentiable again.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.grad_mode import state as _gs
from tensorgraft.sparse.compressed_data import layout_word
from tensorgraft.sparse.coo_data import SparseCOOData, sparse_product
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


def has_sparse_coo(*xs) -> bool:
    """Whether any of ``xs`` (tensors or numbers) is a sparse COO tensor: the sparse branches of
    the ``mul``/``pow`` formulas."""
    return any(getattr(x, "_data", None).__class__ is SparseCOOData for x in xs)


def sparse_times(x, y):
    """``x * y`` in a gradient formula. Two sparse COO tensors (a sparse gradient times a sparse
    operand) are multiplied by PyTorch's intersection kernel, which the ``*`` of two sparse tensors
    does not reach in tensorgraft (``coo_data.sparse_product``); anything else is ``x * y``."""
    if has_sparse_coo(x) and has_sparse_coo(y):
        _first_order("MulBackward0")
        return wrap(sparse_product(x._data, y._data), x._device)
    return x * y


def sparse_pow_gradient(g, a, exponent):
    """The gradient of ``a ** exponent`` for a sparse COO ``a`` and a number: ``g`` times
    ``exponent * a ** (exponent - 1)`` on ``a``'s coalesced entries (any exponent: only stored
    entries are raised, so a negative power of an implicit zero never appears)."""
    _first_order("PowBackward0")
    if exponent == 1:  # (PyTorch's backward computes a ** 0, which it refuses for a sparse tensor)
        raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would make the result tensor "
                           "dense")
    c = a._data.coalesce()
    factor = np.power(c.values, exponent - 1) * np.asarray(exponent, c.dtype)
    return sparse_times(g, wrap(c.with_values(factor.astype(c.dtype, copy=False)), g._device))


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


def _product_gradients(a, b, gd, need_a, need_b):
    """The gradients of ``a @ b`` (``a`` sparse, ``b`` dense) for the product's gradient ``gd``:
    ``a``'s with its pattern, ``b``'s dense."""
    if need_a and a.__class__ is not SparseCOOData and a.layout != "sparse_csr":
        raise RuntimeError(f"sparse_addmm_sparse_backward: unsupported combination of layouts, grad: Strided, "
                           f"mat1: {layout_word(a)}, mat2: Strided")
    ga = a.masked_product(gd, b.conj()) if need_a else None
    gb = a.T.conj().dot(gd) if need_b else None
    return ga, gb


@formula("_sparse_mm")
def sparse_mm(node, g):
    _first_order("SparseAddmmBackward0")
    a, b = node.inputs
    ga, gb = _product_gradients(a._data, b._data, _dense(g), *node.needs_input_grad)
    return (None if ga is None else wrap(ga, g._device)), (None if gb is None else wrap(gb, g._device))


@formula("_sparse_addmm")
def sparse_addmm(node, g):
    _first_order("SparseAddmmBackward0")
    _, a, b = node.inputs
    need_mat, need_a, need_b = node.needs_input_grad
    beta, alpha = node.attrs["beta"], node.attrs["alpha"]
    gd = _dense(g)
    # (the engine sums a broadcast mat's gradient down to its shape)
    gm = wrap(gd * np.conj(beta), g._device) if need_mat else None
    ga, gb = _product_gradients(a._data, b._data, gd * np.conj(alpha), need_a, need_b)
    return gm, (None if ga is None else wrap(ga, g._device)), (None if gb is None else wrap(gb, g._device))


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
    if node.attrs.get("compressed_mask"):  # PyTorch's backward reads the mask as COO and fails so
        raise RuntimeError(f"is_coalesced expected sparse coordinate tensor layout but got {node.attrs['compressed_mask']}")
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
