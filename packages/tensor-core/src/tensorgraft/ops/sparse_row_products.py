"""PyTorch's older sparse @ dense products with a sparse result: ``hspmm``/``hsmm``, ``smm``,
``sspaddmm``/``saddmm``, and the dense-result spellings ``spmm``/``dsmm`` (plain ``mm``).

Each keeps the rows of ``mat1 @ mat2`` that ``mat1`` has entries in (sorted), as PyTorch's kernels:

- ``hspmm(mat1, mat2)``: a hybrid tensor (sparse_dim 1, dense_dim 1) — one index per kept row and
  that row as a dense value;
- ``sspaddmm(input, mat1, mat2, beta, alpha)``: ``input``'s entries times ``beta`` (in their stored
  order), then every element of the kept rows times ``alpha`` — uncoalesced, 2 sparse dims;
  ``smm(mat1, mat2)`` is that without ``input``.

PyTorch records them with no derivative (``NotImplemented`` nodes, formulas in the autograd-engine's
``formulas/sparse_row_products.py``): backward through them raises.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from ..sparse.coo_data import SparseCOOData
from ..tensor import Tensor, wrap
from ._define import defop
from ._frontend import _type_name
from .linalg.checks import _record


def _layout_name(t) -> str:
    return "Sparse" if t._data.__class__ is SparseCOOData else "Strided"


def _check_tensor(fname, name, value, position):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{c_type_name(value)}")


def _check_product(fname, mat1, mat2):
    """PyTorch's argument checks of the product, in its words (argument #2 is mat1, #3 mat2)."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"{fname}: Argument #2: matrices expected, got {a.ndim}D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"{fname}: Argument #3: matrices expected, got {b.ndim}D tensor")
    if getattr(a, "dense_dim", 0):
        raise RuntimeError(f"{fname}: Argument #2: expected a sparse matrix with 2 sparse dims, got one with "
                           f"{a.sparse_dim} sparse and {a.dense_dim} dense dims")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"{fname}: Argument #3: Expected dim 0 size {a.shape[1]}, got {b.shape[0]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(a.dtype)} but found {_type_name(b.dtype)}")
    for t in (mat1, mat2):
        if t._device.type != "cpu":
            raise RuntimeError(f"{fname}: a tensor is on {t.device}: sparse COO tensors live on the CPU in "
                               f"tensorgraft; move both operands to the CPU")


def _kept_rows(a: SparseCOOData, b: np.ndarray):
    """The sorted rows ``a`` stores entries in, and those rows of ``a @ b``."""
    c = a.coalesce()
    rows = np.unique(c.indices[0])
    product = np.asarray(c.dot(b)).astype(a.dtype, copy=False)
    return rows, product[rows]


def _hspmm_frontend(op):
    def hspmm(mat1, mat2):
        _check_tensor("hspmm", "mat1", mat1, 1)
        _check_tensor("hspmm", "mat2", mat2, 2)
        if mat1._data.__class__ is not SparseCOOData:
            raise NotImplementedError("Could not run 'aten::hspmm' with arguments from the 'CPU' backend: 'mat1' must "
                                      "be a sparse COO tensor (layout torch.sparse_coo), got a strided one; make it "
                                      "sparse with .to_sparse()")
        if mat2._data.__class__ is SparseCOOData:
            raise RuntimeError("addmm_sparse_dense: expected strided result tensor, got tensor with layout Sparse")
        _check_product("hspmm", mat1, mat2)
        rows, values = _kept_rows(mat1._data, mat2._data)
        out = SparseCOOData(rows.reshape(1, -1).astype(np.int64), values,
                            (mat1._data.shape[0], mat2._data.shape[1]), False)
        return _record(op, wrap(out), (mat1, mat2), None, "NotImplemented")
    return hspmm


def _sspaddmm_frontend(op):
    def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1):
        for position, (name, value) in enumerate((("input", input), ("mat1", mat1), ("mat2", mat2)), 1):
            _check_tensor("sspaddmm", name, value, position)
        for name, value, wanted in (("self", input, "Sparse"), ("mat1", mat1, "Sparse"), ("mat2", mat2, "Strided")):
            if _layout_name(value) != wanted:
                raise RuntimeError(f"sspaddmm: expected '{name}' to have {wanted.lower()} layout, got '{name}' "
                                   f"with layout {_layout_name(value)}")
        _check_product("sspaddmm", mat1, mat2)
        m, a, b = input._data, mat1._data, mat2._data
        if m.ndim != 2 or m.dense_dim:
            raise RuntimeError(f"sspaddmm: Argument #1: matrices expected, got {m.ndim}D tensor")
        for dim, expected in ((0, a.shape[0]), (1, b.shape[1])):
            if m.shape[dim] != expected:
                raise RuntimeError(f"sspaddmm: Argument #1: Expected dim {dim} size {expected}, got {m.shape[dim]}")
        if m.dtype != a.dtype:
            raise RuntimeError(f"dtype of values ({_type_name(a.dtype)}) must match dtype of sparse tensor "
                               f"({_type_name(m.dtype)})")
        rows, values = _kept_rows(a, b)
        n = b.shape[1]
        scale = a.dtype.type  # (beta and alpha in the operands' dtype, as PyTorch casts them)
        product_indices = np.stack([np.repeat(rows, n), np.tile(np.arange(n), rows.size)]).astype(np.int64)
        indices = np.concatenate([m.indices, product_indices], axis=1)
        out_values = np.concatenate([m.values * scale(beta), values.reshape(-1) * scale(alpha)]).astype(a.dtype)
        out = wrap(SparseCOOData(indices, out_values, tuple(m.shape), False))
        return _record(op, out, (input, mat1, mat2), None, "NotImplemented")
    return sspaddmm


# (private ops: their operands are sparse, which the conformance kit's dense samples cannot be;
# the public spellings below call them)
_hspmm_op = defop("_sparse_hspmm", frontend=_hspmm_frontend, method=False, public=False)
_sspaddmm_op = defop("_sparse_sspaddmm", frontend=_sspaddmm_frontend, method=False, public=False)


def hspmm(mat1, mat2):
    """``torch.hspmm``: the rows of ``mat1 @ mat2`` that ``mat1`` stores entries in, as a hybrid
    sparse tensor (1 sparse dim, 1 dense dim)."""
    return _hspmm_op.frontend(mat1, mat2)


def hsmm(mat1, mat2):
    """``torch.hsmm``: ``hspmm``."""
    return _hspmm_op.frontend(mat1, mat2)


def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``torch.sspaddmm``/``Tensor.sspaddmm``: ``beta * input + alpha * (mat1 @ mat2)`` kept sparse
    (``input``'s entries, then the kept rows of the product; uncoalesced)."""
    return _sspaddmm_op.frontend(input, mat1, mat2, beta=beta, alpha=alpha)


def smm(input, mat2):
    """``torch.smm``/``Tensor.smm``: the kept rows of ``input @ mat2`` as a sparse matrix
    (``sspaddmm`` of an empty sparse matrix)."""
    _check_tensor("smm", "input", input, 1)
    if input._data.__class__ is not SparseCOOData:
        raise RuntimeError("tensor.sspaddmm(...) can only be called on sparse tensors")
    _check_tensor("smm", "mat2", mat2, 2)
    rows = input._data.shape[0]
    cols = mat2._data.shape[1] if mat2._data.ndim == 2 else 0
    empty = wrap(SparseCOOData(np.zeros((2, 0), np.int64), np.zeros((0,), input._data.dtype), (rows, cols), True))
    return _sspaddmm_op.frontend(empty, input, mat2, beta=0, alpha=1)


def saddmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``torch.saddmm``: ``sspaddmm``."""
    return _sspaddmm_op.frontend(input, mat1, mat2, beta=beta, alpha=alpha)


def spmm(input, mat2):
    """``torch.spmm``: ``mm`` (a dense result, ``MmBackward0``)."""
    return input.mm(mat2)


def dsmm(input, mat2):
    """``torch.dsmm``: ``mm`` (a dense result, ``MmBackward0``)."""
    return input.mm(mat2)


Tensor.smm = smm
Tensor.sspaddmm = sspaddmm
