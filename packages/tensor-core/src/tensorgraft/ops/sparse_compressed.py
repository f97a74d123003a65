"""Compressed sparse tensors (CSR, CSC, BSR, BSC): construction, conversion, and the Tensor methods.

A compressed tensor is a ``Tensor`` whose ``_data`` is a ``sparse.compressed_data.SparseCompressedData``
(its arrays and kernels are described there). The ops with a gradient of their own are here, each
recorded under PyTorch's node name; their formulas live in the autograd-engine's
``formulas/sparse_compressed.py``:

- ``sparse_csr_tensor``/``sparse_csc_tensor``/``sparse_bsr_tensor``/``sparse_bsc_tensor``/
  ``sparse_compressed_tensor`` (SparseCompressedTensorBackward0: the gradient of ``values``, read at
  the stored entries);
- ``Tensor.to_sparse_csr()``/``to_sparse_csc()``/``to_sparse_bsr(blocksize)``/``to_sparse_bsc(blocksize)``
  and ``to_sparse(layout=...)`` (ToSparseCsrBackward0 ...: the gradient in the input's layout);
- ``Tensor.to_dense()`` (ToDenseBackward0: the gradient masked to the stored entries), ``to_sparse()``
  to COO (ToSparseBackward1), ``values()`` (ValuesBackward0);
- ``tensorgraft.sparse.mm(csr, dense, reduce)`` (SparseMmReduceImplBackward0).

Everything else reaches the data's kernels through the ordinary ops: ``csr @ dense`` (``mm``,
``matmul``, ``addmm``, the ``@`` operator: MmBackward0, a dense gradient for the sparse operand as in
PyTorch), ``csr * 2``, ``csr + csr``, ``sin``/``relu``/``abs``, ``t()`` (a CSC tensor on the same
arrays), ``sum()``, ``clone``/``detach``/``to(dtype)``.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from .. import dtypes as _dt
from .. import memory_layout as _ml
from ..sparse.compressed_data import BLOCKED, DISPATCH_NAME, LAYOUTS, ROW_MAJOR, SparseCompressedData, layout_word
from ..sparse import conversion_checks as _conversion_checks
from ..sparse.coo_data import SparseCOOData
from ..tensor import Tensor, wrap
from . import sparse_coo as _coo
from ._define import defop
from ._frontend import _type_name
from .conversion import resolve_device
from .linalg.checks import _record  # (records a node when an input requires grad)

_CPU_ONLY = ("compressed sparse tensors live on the CPU in tensorgraft (there are no CUDA sparse kernels): keep "
             "the tensor on the CPU, or convert it with .to_dense() before moving it")

# the names of each layout's index arrays, its compressed and plain dimension, as PyTorch's messages say them
_INDEX_NAMES = {"sparse_csr": ("crow_indices", "col_indices"), "sparse_bsr": ("crow_indices", "col_indices"),
                "sparse_csc": ("ccol_indices", "row_indices"), "sparse_bsc": ("ccol_indices", "row_indices")}

_NODE_NAMES = {"sparse_csr": "ToSparseCsrBackward0", "sparse_csc": "ToSparseCscBackward0",
               "sparse_bsr": "ToSparseBsrBackward0", "sparse_bsc": "ToSparseBscBackward0"}


def is_compressed(t) -> bool:
    return t._data.__class__ is SparseCompressedData


def _layout_name(layout) -> str | None:
    """``torch.sparse_csr`` ... -> "sparse_csr"; None for the other layouts."""
    for name in LAYOUTS:
        if layout is getattr(_ml, name):
            return name
    return None


def _as_index_tensor(x, fname, what):
    if isinstance(x, Tensor):
        return x
    from .creation.from_data import tensor_from_data
    try:
        return tensor_from_data(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fname}(): argument '{what}' must be a Tensor or array-like ({e})") from None


# --------------------------------------------------------------------------- construction
def _check_invariants(layout, comp, plain, nnz, shape, blocksize):
    """PyTorch's ``check_invariants=True`` checks (here always made: a wrong index array would
    read out of bounds later), with its messages."""
    c_name, p_name = _INDEX_NAMES[layout]
    nb = comp.ndim - 1
    row_major = layout in ROW_MAJOR
    br, bc = blocksize or (1, 1)
    n_major = shape[nb] // br if row_major else shape[nb + 1] // bc
    n_minor = shape[nb + 1] // bc if row_major else shape[nb] // br
    major_word, minor_word = ("rows", "ncols") if row_major else ("columns", "nrows")
    if comp.shape[-1] != n_major + 1:
        raise RuntimeError(f"{c_name}.shape[-1] must be equal to the number of {major_word} + 1 (={n_major + 1}), "
                           f"but got {comp.shape[-1]}")
    if plain.shape[-1] != nnz:
        raise RuntimeError(f"{p_name}.shape[-1] must be equal to nnz (={nnz}) as defined by values.shape[{nb}], but "
                           f"got {plain.shape[-1]}")
    if comp.shape[:-1] != plain.shape[:-1]:
        raise RuntimeError(f"{c_name} and {p_name} must have the same batch shape, got {list(comp.shape[:-1])} and "
                           f"{list(plain.shape[:-1])}")
    if comp.size and (comp[..., 0] != 0).any():
        raise RuntimeError(f"`{c_name}[..., 0] == 0` is not satisfied.")
    if comp.size and (comp[..., -1] != nnz).any():
        raise RuntimeError(f"`{c_name}[..., -1] == nnz` is not satisfied.")
    steps = np.diff(comp, axis=-1)
    if steps.size and ((steps < 0) | (steps > n_minor)).any():
        raise RuntimeError(f"`0 <= {c_name}[..., 1:] - {c_name}[..., :-1] <= {minor_word}` is not satisfied.")
    if plain.size and ((plain < 0) | (plain >= n_minor)).any():
        raise RuntimeError(f"`0 <= {p_name} < {minor_word}` is not satisfied.")
    if plain.shape[-1] > 1:
        # within each compressed row (column), the plain indices must increase strictly
        flat_comp = comp.reshape(-1, comp.shape[-1])
        flat_plain = plain.reshape(flat_comp.shape[0], -1)
        rising = np.diff(flat_plain, axis=1) > 0
        starts = np.zeros_like(rising)
        for b in range(flat_comp.shape[0]):  # (a boundary between rows may step down)
            inner = flat_comp[b, 1:-1]
            inner = inner[(inner > 0) & (inner < flat_plain.shape[1])]
            starts[b, inner - 1] = True
        if not (rising | starts).all():
            raise RuntimeError(f"`{p_name}[..., {c_name}[..., i - 1]:{c_name}[..., i]] for all i = 1, ..., "
                               f"{'nrows' if row_major else 'ncols'} are sorted and distinct along the last dimension "
                               f"values` is not satisfied.")


def _compressed_tensor_frontend(op):
    def sparse_compressed_tensor(fname, layout, compressed_indices, plain_indices, values, size, dtype, device,
                                 requires_grad):
        if dtype is not None and not isinstance(dtype, _dt.dtype):
            raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {c_type_name(dtype)}")
        if resolve_device(device).type != "cpu":
            raise RuntimeError(f"{fname}(): device '{resolve_device(device)}': {_CPU_ONLY}")
        c_name, p_name = _INDEX_NAMES[layout]
        comp_t = _as_index_tensor(compressed_indices, fname, c_name)
        plain_t = _as_index_tensor(plain_indices, fname, p_name)
        if isinstance(values, Tensor):
            vals = values if dtype is None or values.dtype is dtype else values.to(dtype)
        else:
            from .creation.from_data import tensor_from_data
            vals = tensor_from_data(values, dtype=dtype)
        for t in (comp_t, plain_t, vals):
            if t._device.type != "cpu":
                raise RuntimeError(f"{fname}(): an argument is on {t.device}: {_CPU_ONLY}")
            if t._data.__class__ in (SparseCOOData, SparseCompressedData):
                raise RuntimeError(f"{fname}(): {c_name}, {p_name} and values must be dense (strided) tensors")
        comp, plain, va = comp_t._data, plain_t._data, vals._data
        if comp.dtype != plain.dtype:
            raise RuntimeError(f"{c_name} and {p_name} must have the same dtype, but got "
                               f"{_type_name(comp.dtype)} and {_type_name(plain.dtype)}, respectively")
        if comp.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
            raise RuntimeError(f"{c_name} and {p_name} must be an int32 or int64 type, but got: "
                               f"{_type_name(comp.dtype)}")
        if comp.ndim < 1 or plain.ndim < 1 or comp.ndim != plain.ndim:
            raise RuntimeError(f"{c_name} and {p_name} must have the same number of dimensions (at least 1), got "
                               f"{comp.ndim} and {plain.ndim}")
        nb = comp.ndim - 1
        blocked = layout in BLOCKED
        if va.ndim < nb + 1 + (2 if blocked else 0):
            raise RuntimeError(f"values must have at least {nb + 1 + (2 if blocked else 0)} dimensions (batch, nnz"
                               f"{', the block' if blocked else ''}), got {va.ndim}")
        nnz = va.shape[nb]
        blocksize = tuple(int(s) for s in va.shape[nb + 1:nb + 3]) if blocked else None
        dense_shape = va.shape[nb + 3:] if blocked else va.shape[nb + 1:]
        if size is None:  # inferred as PyTorch infers it: the rows from the compressed indices, the rest from the max
            br, bc = blocksize or (1, 1)
            n_major = comp.shape[-1] - 1
            n_minor = int(plain.max()) + 1 if plain.size else 0
            rows, cols = (n_major * br, n_minor * bc) if layout in ROW_MAJOR else (n_minor * br, n_major * bc)
            shape = tuple(comp.shape[:-1]) + (rows, cols) + tuple(dense_shape)
        else:
            shape = tuple(int(s) for s in size)
            if len(shape) != nb + 2 + len(dense_shape):
                raise RuntimeError(f"{fname}(): size {list(shape)} has {len(shape)} dimensions, the index and value "
                                   f"arrays give {nb} batch, 2 sparse and {len(dense_shape)} dense dimensions")
            if shape[:nb] != tuple(comp.shape[:-1]) or shape[nb + 2:] != tuple(dense_shape):
                raise RuntimeError(f"{fname}(): size {list(shape)} does not fit the batch shape "
                                   f"{list(comp.shape[:-1])} of {c_name} and the dense shape {list(dense_shape)} of "
                                   f"values")
            if blocked and (shape[nb] % blocksize[0] or shape[nb + 1] % blocksize[1]):
                raise RuntimeError(f"{fname}(): the sparse size ({shape[nb]}, {shape[nb + 1]}) must be divisible by "
                                   f"the blocksize ({blocksize[0]}, {blocksize[1]}) of values")
        _check_invariants(layout, comp, plain, nnz, shape, blocksize)
        data = SparseCompressedData(layout, comp.copy(), plain.copy(), va, shape, blocksize)
        out = wrap(data)
        if requires_grad:
            if vals._requires_grad:
                raise RuntimeError(f"{fname}(): requires_grad=True with values that already require grad: leave "
                                   f"requires_grad out, the result then takes values' gradient")
            return out.requires_grad_()
        return _record(op, out, (vals,), {"pattern": data}, "SparseCompressedTensorBackward0")

    return sparse_compressed_tensor


_compressed_tensor_op = defop("_sparse_compressed_tensor", frontend=_compressed_tensor_frontend, method=False,
                              public=False)


def sparse_compressed_tensor(compressed_indices, plain_indices, values, size=None, *, dtype=None, layout=None,
                             device=None, pin_memory=False, requires_grad=False, check_invariants=None):
    """``torch.sparse_compressed_tensor``: a CSR/CSC/BSR/BSC tensor (``layout``) from its three arrays.
    ``values`` that require grad get their gradient through it."""
    name = _layout_name(layout)
    if name is None:
        raise RuntimeError(f"sparse_compressed_tensor(): layout must be one of torch.sparse_csr, torch.sparse_csc, "
                           f"torch.sparse_bsr, torch.sparse_bsc, got {layout}")
    return _compressed_tensor_op.frontend("sparse_compressed_tensor", name, compressed_indices, plain_indices, values,
                                          size, dtype, device, requires_grad)


def _layout_factory(name, c_name, p_name):
    def factory(compressed, plain, values, size=None, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False, check_invariants=None):
        if layout is not None and _layout_name(layout) != name:
            word = DISPATCH_NAME.get(_layout_name(layout), str(layout))
            raise RuntimeError(f"sparse_{name[7:]}_tensor: layout must be {DISPATCH_NAME[name]} but got {word}")
        return _compressed_tensor_op.frontend(f"sparse_{name[7:]}_tensor", name, compressed, plain, values, size,
                                              dtype, device, requires_grad)
    factory.__name__ = factory.__qualname__ = f"sparse_{name[7:]}_tensor"
    factory.__doc__ = (f"``torch.{factory.__name__}({c_name}, {p_name}, values, size=None, *, dtype, device, "
                       f"requires_grad, check_invariants)``: a torch.{name} tensor from its arrays (the invariants "
                       f"are always checked).")
    return factory


sparse_csr_tensor = _layout_factory("sparse_csr", "crow_indices", "col_indices")
sparse_csc_tensor = _layout_factory("sparse_csc", "ccol_indices", "row_indices")
sparse_bsr_tensor = _layout_factory("sparse_bsr", "crow_indices", "col_indices")
sparse_bsc_tensor = _layout_factory("sparse_bsc", "ccol_indices", "row_indices")


# --------------------------------------------------------------------------- conversions
def _to_compressed_frontend(op):
    def to_compressed(self, layout, blocksize, dense_dim):
        fname = "to_" + layout
        if self._device.type != "cpu":
            raise RuntimeError(f"{fname}(): the tensor is on {self.device}: {_CPU_ONLY}")
        d = self._data
        # PyTorch's checks, under the name of its function for this source and layout
        source = _conversion_checks.source_layout(d)
        where = {"strided": f"dense_to_{layout}", "sparse_coo": f"coo_to_{layout}"}.get(
            source, fname if source == layout else f"sparse_compressed_to_{layout}")
        blocksize = _conversion_checks.check_to_sparse_arguments(d, layout, blocksize, dense_dim, fname=where)
        if d.__class__ is SparseCompressedData:
            if d.layout in BLOCKED and layout not in BLOCKED:
                raise RuntimeError(f"sparse_compressed_to_{layout}: expected SparseCsr or SparseCsc layout but got "
                                   f"{DISPATCH_NAME[d.layout]}")
            if d.layout == layout and (blocksize is None or blocksize == d.blocksize):
                return self
            data = d.relayout(layout, blocksize)
        elif d.__class__ is SparseCOOData:
            data = SparseCompressedData.from_coo(d, layout, blocksize, 0)
        else:
            dense_dim = dense_dim or 0
            if d.ndim - dense_dim < 2:
                raise RuntimeError(f"{fname}(): expected a tensor of at least {2 + dense_dim} dimensions "
                                   f"(2 sparse + {dense_dim} dense), got {d.ndim}-D; a vector has no compressed form")
            data = SparseCompressedData.from_dense(self._host(), layout, blocksize, dense_dim)
        return _record(op, wrap(data), (self,), None, _NODE_NAMES[layout])
    return to_compressed


_to_compressed_op = defop("_to_sparse_compressed", frontend=_to_compressed_frontend, method=False, public=False)


def _compressed_to_dense_frontend(op):
    def to_dense(self):
        return _record(op, wrap(self._data.to_dense()), (self,), None, "ToDenseBackward0")
    return to_dense


_compressed_to_dense_op = defop("_sparse_compressed_to_dense", frontend=_compressed_to_dense_frontend, method=False,
                                public=False)


def _compressed_to_coo_frontend(op):
    def to_coo(self):
        return _record(op, wrap(self._data.to_coo_in_storage_order()), (self,), None, "ToSparseBackward1")
    return to_coo


_compressed_to_coo_op = defop("_sparse_compressed_to_coo", frontend=_compressed_to_coo_frontend, method=False,
                              public=False)


def _compressed_values_frontend(op):
    def values(self):
        return _record(op, wrap(self._data.values), (self,), None, "ValuesBackward0")
    return values


_compressed_values_op = defop("_sparse_compressed_values", frontend=_compressed_values_frontend, method=False,
                              public=False)


# --------------------------------------------------------------------------- sparse.mm(csr, dense, reduce)
_REDUCTIONS = ("sum", "mean", "amax", "amin")


def _mm_reduce_frontend(op):
    def mm_reduce(mat1, mat2, reduce):
        a = mat1._data
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (PyTorch accepts both spellings)
        if reduce not in _REDUCTIONS + ("prod",):
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        if reduce == "prod":
            raise RuntimeError("sparse_mm_reduce: reduce type of prod has not been enabled.")
        if a.layout != "sparse_csr":
            raise RuntimeError(f"sparse_mm_reduce: expect self to be SparseCsr, got {DISPATCH_NAME[a.layout]}")
        b = mat2._data
        if not isinstance(b, np.ndarray) or mat2._device.type != "cpu":
            raise RuntimeError("sparse_mm_reduce: expect other to be a dense (strided) tensor on the CPU")
        _coo.check_matrix_product("sparse_mm_reduce", mat1, mat2)
        out, arg = _mm_reduce_kernel(a, b, reduce)
        return _record(op, wrap(out), (mat1, mat2), {"reduce": reduce, "arg": arg}, "SparseMmReduceImplBackward0")
    return mm_reduce


def _mm_reduce_kernel(a: SparseCompressedData, b: np.ndarray, reduce: str):
    """Each row's stored entries, ``value * b[col]``, reduced; a row without entries gives zeros. For
    amax/amin also the entry each output element came from (-1: none), for the gradient."""
    rows, cols = a._element_indices()
    counts = np.diff(a.compressed)
    contrib = a.values[:, None] * b[cols]
    out = np.zeros((a.shape[0], b.shape[1]), np.result_type(a.values, b))
    filled = counts > 0
    starts = a.compressed[:-1][filled]
    if reduce in ("sum", "mean"):
        if contrib.shape[0]:
            out[filled] = np.add.reduceat(contrib, starts, axis=0)
        if reduce == "mean":
            out[filled] /= counts[filled, None]
        return out, None
    pick = np.maximum if reduce == "amax" else np.minimum
    arg = np.full(out.shape, -1, np.int64)
    if contrib.shape[0]:
        out[filled] = pick.reduceat(contrib, starts, axis=0)
        # the first entry of the row that holds the extreme (PyTorch's CPU kernel keeps the first)
        hit = contrib == out[rows]
        entry = np.arange(contrib.shape[0])[:, None]
        first = np.where(hit, entry, contrib.shape[0])
        arg[filled] = np.minimum.reduceat(first, starts, axis=0)
    return out, arg


_mm_reduce_op = defop("_sparse_mm_reduce", frontend=_mm_reduce_frontend, method=False, public=False)


def sparse_mm_reduce(mat1, mat2, reduce):
    return _mm_reduce_op.frontend(mat1, mat2, reduce)


# --------------------------------------------------------------------------- sparse.sampled_addmm
def _sampled_addmm_frontend(op):
    def sampled_addmm(input, mat1, mat2, beta, alpha):
        for name, t in (("input", input), ("mat1", mat1), ("mat2", mat2)):
            if not isinstance(t, Tensor):
                raise TypeError(f"sampled_addmm(): argument '{name}' must be Tensor, not {c_type_name(t)}")
        s = input._data
        if s.__class__ is not SparseCompressedData:
            raise NotImplementedError(f"Could not run 'aten::sparse_sampled_addmm' with arguments from the "
                                      f"'{'SparseCPU' if input.is_sparse else 'CPU'}' backend: sampled_addmm takes a "
                                      f"CSR input (.to_sparse_csr() makes one)")
        if s.layout != "sparse_csr":
            raise RuntimeError(f"sampled_addmm: Expected result to have sparse csr layout, but got "
                               f"{DISPATCH_NAME[s.layout]}")
        a, b = mat1._data, mat2._data
        if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
            raise RuntimeError("sampled_addmm: mat1 and mat2 must be dense (strided) tensors")
        if s.ndim != 2 or s.dense_dim or a.ndim != 2 or b.ndim != 2:
            raise RuntimeError(f"sampled_addmm: expected 2-D matrices, got {s.ndim}-D, {a.ndim}-D and {b.ndim}-D")
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"sampled_addmm: mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                               f"and {b.shape[0]}x{b.shape[1]})")
        if (a.shape[0], b.shape[1]) != s.shape:
            raise RuntimeError(f"sampled_addmm: input shape ({s.shape[0]}x{s.shape[1]}) must match mat1 @ mat2 "
                               f"shape ({a.shape[0]}x{b.shape[1]})")
        if not (s.dtype == a.dtype == b.dtype):
            raise RuntimeError(f"sampled_addmm: expected input, mat1 and mat2 to have the same dtype, but got "
                               f"{input.dtype}, {mat1.dtype} and {mat2.dtype}")
        rows, cols = s._element_indices()
        # each stored entry's dot product only: a row of mat1 with a column of mat2
        sampled = np.einsum("ij,ij->i", a[rows], b.T[cols]).astype(s.dtype, copy=False)
        values = s.values * beta + sampled * alpha if beta != 0 else sampled * alpha
        out = wrap(s.with_values(np.asarray(values, dtype=s.dtype)))
        return _record(op, out, (input, mat1, mat2), {"beta": beta, "alpha": alpha}, "SparseSampledAddmmBackward0")
    return sampled_addmm


_sampled_addmm_op = defop("_sparse_sampled_addmm", frontend=_sampled_addmm_frontend, method=False, public=False)


def sparse_sampled_addmm(input, mat1, mat2, beta=1.0, alpha=1.0):
    return _sampled_addmm_op.frontend(input, mat1, mat2, beta, alpha)


# --------------------------------------------------------------------------- Tensor methods
# The COO methods (ops/sparse_coo.py) answer for strided and COO tensors; these wrap them with
# the compressed case, which they cannot see.

_coo_to_dense, _coo_to_sparse, _coo_values, _coo_raw_values = (Tensor.to_dense, Tensor.to_sparse, Tensor.values,
                                                               Tensor._values)
_coo_nnz, _coo_sparse_dim, _coo_dense_dim, _coo_layout = (Tensor._nnz, Tensor.sparse_dim, Tensor.dense_dim,
                                                          _coo._layout)


def _to_dense(self, dtype=None, *, masked_grad=None):
    if self._data.__class__ is SparseCompressedData:
        if dtype is not None and not isinstance(dtype, _dt.dtype):
            raise TypeError(f"to_dense(): argument 'dtype' (position 1) must be torch.dtype, not {c_type_name(dtype)}")
        out = _compressed_to_dense_op.frontend(self)
        return out if dtype is None or dtype is out.dtype else out.to(dtype)
    return _coo_to_dense(self, dtype, masked_grad=masked_grad)


def _to_sparse(self, *args, sparse_dim=None, layout=None, blocksize=None, dense_dim=None):
    if sparse_dim is not None:  # (``to_sparse(sparse_dim=2)``: the positional overload by keyword)
        if args:
            raise TypeError("to_sparse() got multiple values for argument 'sparse_dim'")
        args = (sparse_dim,)
    if args and (layout is not None or blocksize is not None or dense_dim is not None):
        # (PyTorch's two overloads: ``to_sparse(sparse_dim)`` and ``to_sparse(*, layout, blocksize, dense_dim)``)
        raise TypeError(f"to_sparse() takes 0 positional arguments but {len(args)} was given")
    if layout is None and blocksize is None and dense_dim is None:
        if self._data.__class__ is SparseCompressedData:
            if args and args[0] != 2:  # (2 even for a batched tensor, whose result has sparse_dim 3 or more)
                raise RuntimeError(f"sparse_compressed_to_sparse: conversion from "
                                   f"{DISPATCH_NAME[self._data.layout]} to Sparse with sparse_dim argument !=2 is "
                                   f"not supported")
            return _compressed_to_coo_op.frontend(self)
        return _coo_to_sparse(self, *args)
    # the layout overload: PyTorch's checks under the source's function name (sparse/conversion_checks.py),
    # then the layout's own conversion
    target = "sparse_coo" if layout is None else _layout_name(layout) or \
        ("strided" if layout is _ml.strided else "sparse_coo" if layout is _ml.sparse_coo else None)
    if target is None:
        raise TypeError(f"to_sparse(): argument 'layout' must be torch.layout, not {c_type_name(layout)}")
    d = self._data
    blocksize = _conversion_checks.check_to_sparse_arguments(d, target, blocksize, dense_dim)
    source = _conversion_checks.source_layout(d)
    if target == "strided":
        return self if source == "strided" else self.to_dense()
    if target == "sparse_coo":
        if source == "strided":  # (dense_dim gives the sparse_dim; PyTorch records ToSparseBackward1 either way)
            return _coo.to_sparse_with_dims(self, self.ndim - (dense_dim or 0))
        return self if source == "sparse_coo" else _compressed_to_coo_op.frontend(self)
    return _to_compressed_op.frontend(self, target, blocksize, dense_dim)


def _to_sparse_coo(self):
    return _to_sparse(self)


def _to_layout_method(name):
    if name in BLOCKED:
        def method(self, blocksize, dense_dim=None):
            return _to_compressed_op.frontend(self, name, blocksize, dense_dim)
    else:
        def method(self, dense_dim=None):
            return _to_compressed_op.frontend(self, name, None, dense_dim)
    method.__name__ = method.__qualname__ = "to_" + name
    return method


def _index_method(name, layouts, what, compressed):
    def method(self):
        d = self._data
        if d.__class__ is not SparseCompressedData or d.layout not in layouts:
            raise RuntimeError(f"{name} expected {what} layout but got {layout_word(d)}")
        return wrap(d.compressed if compressed else d.plain)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"The ``{name}`` of a {what} tensor (no gradient: indices are not differentiable)."
    return method


def _copy_function(name):
    """``torch.crow_indices_copy(t)`` ...: the accessor's result as a tensor of its own."""
    def copy(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}_copy(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
        result = getattr(input, name)()
        return wrap(result._data.copy(), result._device) if name != "values" else result.clone()
    copy.__name__ = copy.__qualname__ = name + "_copy"
    copy.__doc__ = f"``torch.{name}_copy(input)``: a copy of ``input.{name}()`` (not a view of its array)."
    return copy


crow_indices_copy = _copy_function("crow_indices")
col_indices_copy = _copy_function("col_indices")
ccol_indices_copy = _copy_function("ccol_indices")
row_indices_copy = _copy_function("row_indices")
values_copy = _copy_function("values")


def _values(self):
    if self._data.__class__ is SparseCompressedData:
        return _compressed_values_op.frontend(self)
    return _coo_values(self)


def _raw_values(self):
    if self._data.__class__ is SparseCompressedData:
        return _compressed_values_op.frontend(self)
    return _coo_raw_values(self)


def _nnz(self) -> int:
    d = self._data
    return d.nnz if d.__class__ is SparseCompressedData else _coo_nnz(self)


def _sparse_dim(self) -> int:
    return 2 if self._data.__class__ is SparseCompressedData else _coo_sparse_dim(self)


def _dense_dim(self) -> int:
    d = self._data
    return d.dense_dim if d.__class__ is SparseCompressedData else _coo_dense_dim(self)


def _layout(self):
    d = self._data
    return getattr(_ml, d.layout) if d.__class__ is SparseCompressedData else _coo_layout(self)


def _is_sparse_csr(self) -> bool:
    d = self._data
    return d.__class__ is SparseCompressedData and d.layout == "sparse_csr"


_ROW = frozenset({"sparse_csr", "sparse_bsr"})
_COL = frozenset({"sparse_csc", "sparse_bsc"})
for _name, _fn in (("to_dense", _to_dense), ("to_sparse", _to_sparse), ("to_sparse_coo", _to_sparse_coo),
                   ("values", _values), ("_values", _raw_values), ("_nnz", _nnz), ("sparse_dim", _sparse_dim),
                   ("dense_dim", _dense_dim),
                   *(("to_" + n, _to_layout_method(n)) for n in LAYOUTS),
                   ("crow_indices", _index_method("crow_indices", _ROW, "sparse row compressed tensor", True)),
                   ("col_indices", _index_method("col_indices", _ROW, "sparse row compressed tensor", False)),
                   ("ccol_indices", _index_method("ccol_indices", _COL, "sparse column compressed tensor", True)),
                   ("row_indices", _index_method("row_indices", _COL, "sparse column compressed tensor", False))):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
Tensor.layout = property(_layout)
Tensor.is_sparse_csr = property(_is_sparse_csr)
del _name, _fn
