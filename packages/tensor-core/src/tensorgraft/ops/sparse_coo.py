"""Sparse COO tensors: construction, conversion to and from dense, and the sparse matrix product.

A sparse tensor is a ``Tensor`` whose ``_data`` is a ``sparse.coo_data.SparseCOOData`` (see that
module for how ops reach sparse kernels without a check on the dense path). The ops here are the
ones with a gradient of their own, each recorded under PyTorch's node name; their formulas live in
the autograd-engine's ``formulas/sparse_coo.py``:

- ``sparse_coo_tensor(indices, values, size)`` (SparseCooTensorWithDimsAndTensorsBackward0: the
  gradient of ``values``, read at the indices);
- ``Tensor.to_dense()`` (ToDenseBackward0: the gradient masked to the stored entries, sparse);
- ``Tensor.to_sparse()`` (ToSparseBackward0: the gradient made dense);
- ``Tensor.values()``/``_values()`` (ValuesBackward0/ValuesBackward0 alias: a sparse gradient);
- ``tensorgraft.sparse.mm`` (SparseAddmmBackward0: a sparse gradient with the first operand's
  pattern, a dense one for the second), and ``tensorgraft.sparse.sum``;
- ``tensorgraft.sparse.softmax``/``log_softmax`` (SparseSoftmaxBackward0/SparseLogSoftmaxBackward0:
  over the stored entries only, kernels in ``sparse/softmax_kernels.py``; a sparse gradient with the
  coalesced input's pattern);
- ``Tensor.sparse_mask(mask)`` (SparseMaskBackward0: ``self``'s values at ``mask``'s entries; the
  gradient of a dense ``self`` is dense, zero off the mask, that of a sparse one has the mask's
  pattern, as PyTorch's); a CSR/CSC/BSR/BSC mask gives a result in its layout, recorded under the same
  node but without a gradient, as PyTorch's backward fails on it;
- ``sparse_narrow_copy`` (``torch.narrow_copy`` of a COO tensor; kernel in ``sparse/structure.py``).

``to_sparse(layout=..., blocksize=..., dense_dim=...)`` checks its arguments as PyTorch does, under
PyTorch's function names (``sparse/conversion_checks.py``).

``torch.mm``/``matmul``/``@`` with a sparse first operand run through the ordinary matmul op (its
kernel calls ``a.dot(b)``, which the sparse data answers) and, as in PyTorch, give the sparse
operand a dense gradient.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from .. import dtypes as _dt
from .conversion import resolve_device
from ..sparse import conversion_checks as _conversion_checks
from ..sparse import softmax_kernels as _softmax_kernels
from ..sparse.compressed_data import SparseCompressedData, layout_word
from ..sparse.coo_data import SparseCOOData, sum_dtype
from ..tensor import Tensor, wrap
from ._args import wrap_dim
from ._frontend import _type_name
from ._define import defop
from .linalg.checks import _record, inner_size_mismatch  # (records a node when an input requires grad)

_CPU_ONLY = ("sparse COO tensors live on the CPU in tensorgraft (there are no CUDA sparse kernels): "
             "keep the sparse tensor on the CPU, or convert it with .to_dense() before moving it")


def is_sparse_coo(t) -> bool:
    return t._data.__class__ is SparseCOOData


def _as_tensor(x, what, dtype=None):
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype is dtype else x.to(dtype)
    from .creation.from_data import tensor_from_data
    try:
        return tensor_from_data(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"sparse_coo_tensor(): argument '{what}' must be a Tensor or array-like ({e})") from None


# --------------------------------------------------------------------------- construction
def _sparse_coo_tensor_frontend(op):
    def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                          requires_grad=False, check_invariants=None, is_coalesced=None):
        if dtype is not None and not isinstance(dtype, _dt.dtype):
            raise TypeError(f"sparse_coo_tensor(): argument 'dtype' must be torch.dtype, not {c_type_name(dtype)}")
        if resolve_device(device).type != "cpu":
            raise RuntimeError(f"sparse_coo_tensor(): device '{resolve_device(device)}': {_CPU_ONLY}")
        idx = _as_tensor(indices, "indices")
        vals = _as_tensor(values, "values", dtype)
        if idx._device.type != "cpu" or vals._device.type != "cpu":
            raise RuntimeError(f"sparse_coo_tensor(): indices on {idx.device}, values on {vals.device}: {_CPU_ONLY}")
        if is_sparse_coo(idx) or is_sparse_coo(vals):
            raise RuntimeError("sparse_coo_tensor(): indices and values must be dense (strided) tensors")
        ia = idx._data
        if ia.dtype.kind not in "iuf":
            raise RuntimeError(f"indices must be an int64 tensor, got {idx.dtype}")
        if ia.ndim != 2:
            raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(ia.shape)}")
        va = vals._data
        if va.ndim == 0:
            raise RuntimeError("values must be at least 1-dimensional (one value per column of indices), got a "
                               "0-d tensor")
        if ia.shape[1] != va.shape[0]:
            raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {ia.shape[1]}, "
                               f"nnz from values: {va.shape[0]}")
        ia = ia.astype(np.int64, copy=False)
        sparse_dim = ia.shape[0]
        if ia.size and ia.min() < 0:
            raise RuntimeError(f"found negative index {int(ia.min())} for dim {int(np.argmin(ia.min(axis=1)))}")
        if size is None:  # as PyTorch: the smallest size that holds every index
            lead = tuple(int(m) + 1 for m in ia.max(axis=1)) if ia.shape[1] else (0,) * sparse_dim
            shape = lead + tuple(va.shape[1:])
        else:
            shape = tuple(int(s) for s in size)
            if len(shape) != sparse_dim + va.ndim - 1:
                raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(shape)}, "
                                   f"sparse_dim = {sparse_dim}, dense_dim = {va.ndim - 1}")
            if tuple(va.shape[1:]) != shape[sparse_dim:]:
                raise RuntimeError(f"values has incorrect size, expected {[va.shape[0], *shape[sparse_dim:]]}, got "
                                   f"{list(va.shape)}")
            if ia.shape[1]:
                top = ia.max(axis=1)
                for d in range(sparse_dim):
                    if top[d] >= shape[d]:
                        raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {shape[d]} but "
                                           f"found index {int(top[d])}")
        if is_coalesced and _checks_enabled(check_invariants) and ia.shape[1] > 1:
            linear = np.ravel_multi_index(tuple(ia), shape[:sparse_dim]) if sparse_dim else np.zeros(ia.shape[1])
            if (np.diff(linear) <= 0).any():
                raise RuntimeError("cannot set is_coalesced to true if indices correspond to uncoalesced COO tensor")
        # (PyTorch's default flag: coalesced when nothing can repeat; an explicit False is kept)
        coalesced = ia.shape[1] < 2 if is_coalesced is None else bool(is_coalesced)
        data = SparseCOOData(np.array(ia, copy=True), np.array(va, copy=True), shape, coalesced)
        data.coalesced = coalesced
        out = wrap(data)
        if requires_grad:  # a new leaf (values' own graph, if any, is not followed, as PyTorch)
            return out.requires_grad_()
        return _record(op, out, (vals,), {"indices": data.indices}, "SparseCooTensorWithDimsAndTensorsBackward0")
    return sparse_coo_tensor


def _checks_enabled(check_invariants) -> bool:
    """Whether PyTorch would check the arrays: the factory's argument, else the global switch."""
    if check_invariants is not None:
        return bool(check_invariants)
    from ..sparse import check_sparse_tensor_invariants
    return check_sparse_tensor_invariants.is_enabled()


# (an internal op behind the public function: the registry's conformance checks compare dense
# outputs across devices, which a CPU-only sparse result cannot take part in; this file's tests
# and the oracle tests check it instead)
_sparse_coo_tensor_op = defop("_sparse_coo_tensor", frontend=_sparse_coo_tensor_frontend, method=False, public=False)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """``torch.sparse_coo_tensor``: a sparse COO tensor of ``size`` (inferred from the indices when
    left out) holding ``values[i]`` at ``indices[:, i]``; repeated indices add up. ``values`` that
    require grad get their gradient through it."""
    return _sparse_coo_tensor_op.frontend(indices, values, size, dtype=dtype, device=device, pin_memory=pin_memory,
                                          requires_grad=requires_grad, check_invariants=check_invariants,
                                          is_coalesced=is_coalesced)


# --------------------------------------------------------------------------- dense <-> sparse
def _to_dense_frontend(op):
    def to_dense(self):
        return _record(op, wrap(self._data.to_dense(), self._device), (self,), None, "ToDenseBackward0")
    return to_dense


_to_dense_op = defop("_sparse_to_dense", frontend=_to_dense_frontend, method=False, public=False)


def _to_sparse_frontend(op):
    def to_sparse(self, sparse_dim, name):
        if self._device.type != "cpu":
            raise RuntimeError(f"to_sparse(): the tensor is on {self.device}: {_CPU_ONLY}")
        data = SparseCOOData.from_dense(self._host(), sparse_dim)
        return _record(op, wrap(data), (self,), None, name)
    return to_sparse


_to_sparse_op = defop("_to_sparse", frontend=_to_sparse_frontend, method=False, public=False)


def _values_frontend(op):
    def values(self):
        d = self._data
        return _record(op, wrap(d.values, self._device), (self,), None, "ValuesBackward0")
    return values


_values_op = defop("_sparse_values", frontend=_values_frontend, method=False, public=False)


# --------------------------------------------------------------------------- products and sums
def check_matrix_product(fname: str, mat1, mat2) -> None:
    """The checks of a sparse @ dense product (also the compressed layouts' ``sparse.mm(reduce)``),
    in PyTorch's words."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2 or getattr(a, "dense_dim", 0):
        raise RuntimeError(f"{fname}: expected 2-D matrices, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[1] != b.shape[0]:
        raise inner_size_mismatch(a, b)
    if a.dtype != b.dtype:  # (PyTorch's COO kernel names mat1's dtype as expected, its CSR kernel mat2's)
        expected, found = (a.dtype, b.dtype) if a.__class__ is SparseCOOData else (b.dtype, a.dtype)
        raise RuntimeError(f"expected scalar type {_type_name(expected)} but found {_type_name(found)}")


def _sparse_mm_frontend(op):
    def sparse_mm(mat1, mat2):
        a, b = mat1._data, mat2._data
        if b.__class__ is SparseCOOData:  # sparse @ sparse: a sparse result, as PyTorch
            return to_sparse_result(mat1, mat2)
        if a.__class__ is not SparseCOOData and a.dtype.kind in "biu":  # (PyTorch's CSR kernel: no integers)
            raise NotImplementedError(f"\"addmm_out_sparse_csr_impl_mkl\" not implemented for "
                                      f"'{_type_name(a.dtype)}'")
        check_matrix_product("sparse.mm", mat1, mat2)
        if mat2._device.type != "cpu":
            raise RuntimeError(f"sparse.mm: mat2 is on {mat2.device}: {_CPU_ONLY}")
        return _record(op, wrap(a.dot(b)), (mat1, mat2), None, "SparseAddmmBackward0")

    def to_sparse_result(mat1, mat2):
        if mat1._requires_grad or mat2._requires_grad:
            raise NotImplementedError("tensorgraft.sparse.mm of two sparse tensors has no gradient in tensorgraft: "
                                      "detach them, or make the second one dense with .to_dense()")
        a, b = mat1._data, mat2._data
        dense = a.dot(b.to_dense())
        return wrap(SparseCOOData.from_dense(dense, 2))
    return sparse_mm


_sparse_mm_op = defop("_sparse_mm", frontend=_sparse_mm_frontend, method=False, public=False)


def _sparse_addmm_frontend(op):
    def sparse_addmm(mat, mat1, mat2, beta, alpha):
        """``beta * mat + alpha * (mat1 @ mat2)``, ``mat1`` sparse (COO or CSR), the others dense:
        one SparseAddmmBackward0 node, ``mat1``'s gradient with its pattern."""
        a, m = mat1._data, mat._data
        compressed = a.__class__ is not SparseCOOData
        if compressed and a.dtype.kind in "biu":  # (PyTorch's CSR kernel has no integer case)
            raise NotImplementedError(f"\"addmm_out_sparse_csr_impl_mkl\" not implemented for "
                                      f"'{_type_name(a.dtype)}'")
        check_matrix_product("sparse.addmm", mat1, mat2)
        if m.dtype != a.dtype:  # (PyTorch's two kernels name the two operands the other way round)
            expected, found = (m.dtype, a.dtype) if compressed else (a.dtype, m.dtype)
            raise RuntimeError(f"expected scalar type {_type_name(expected)} but found {_type_name(found)}")
        if a.dtype.kind in "biu" and isinstance(beta, float) and beta not in (0, 1):
            # (PyTorch scales mat by a float beta in place; 0 and 1 skip that)
            raise RuntimeError(f"result type Double can't be cast to the desired output type {_type_name(a.dtype)}")
        for t in (mat, mat2):
            if t._device.type != "cpu":
                raise RuntimeError(f"sparse.addmm: a tensor is on {t.device}: {_CPU_ONLY}")
        product = a.dot(mat2._data)
        if m.ndim > 2 or np.broadcast_shapes(m.shape, product.shape) != product.shape:
            raise RuntimeError(f"The expanded size of the tensor must match the existing size: mat of size "
                               f"{list(m.shape)} cannot be broadcast to the product's size {list(product.shape)}")
        scale = a.dtype.type  # (alpha and beta in the operands' dtype, as PyTorch casts them)
        out = product * scale(alpha) if alpha != 1 else product
        if beta != 0:  # (beta == 0 ignores mat, NaN included)
            out = out + (m * scale(beta) if beta != 1 else m)
        out = np.ascontiguousarray(np.broadcast_to(out, product.shape), dtype=a.dtype)
        return _record(op, wrap(out), (mat, mat1, mat2), {"beta": beta, "alpha": alpha}, "SparseAddmmBackward0")
    return sparse_addmm


_sparse_addmm_op = defop("_sparse_addmm", frontend=_sparse_addmm_frontend, method=False, public=False)


def _sparse_sum_frontend(op):
    def sparse_sum(input, dim=None, dtype=None):
        source = input._data
        if dtype is not None:
            input = input.to(dtype)
        d = input._data
        # a dense result sums integers as int64 unless a dtype is asked for (PyTorch's rule)
        result_dtype = d.dtype if dtype is not None else sum_dtype(d.dtype)
        if dim is None:  # (PyTorch coalesces before the cast: repeated bool entries count once)
            out = wrap(np.asarray(source.coalesce().values.sum(dtype=result_dtype)), input._device)
            # (PyTorch's full sum is ``input.sum()``: SumBackward0, with the sparse gradient below)
            return _record(op, out, (input,), {"dims": None}, "SumBackward0")
        dims = sorted({int(x) % max(d.ndim, 1) for x in ((dim,) if isinstance(dim, int) else dim)})
        total = d.sum_dims(dims)
        if total.__class__ is not SparseCOOData:
            total = total.astype(result_dtype, copy=False)
        out = wrap(total, input._device)
        return _record(op, out, (input,), {"dims": tuple(dims)}, "SparseSumBackward0")
    return sparse_sum


_sparse_sum_op = defop("_sparse_sum", frontend=_sparse_sum_frontend, method=False, public=False)


def _coalesce_frontend(op):
    def coalesce(self):
        d = self._data
        if d.coalesced:
            return self
        return _record(op, wrap(d.coalesce(), self._device), (self,), None, "CoalesceBackward0")
    return coalesce


_coalesce_op = defop("_sparse_coalesce", frontend=_coalesce_frontend, method=False, public=False)


_SOFTMAX_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sparse_softmax_frontend(op):
    def sparse_softmax(input, dim, dtype, log):
        fname = "sparse.log_softmax" if log else "sparse.softmax"
        if not isinstance(input, Tensor):
            raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
        if input._data.__class__ is not SparseCOOData:
            kernel = "_sparse_log_softmax" if log else "_sparse_softmax"
            raise NotImplementedError(f"Could not run 'aten::{kernel}' with arguments from the 'CPU' backend: "
                                      f"torch.{fname} takes a sparse COO tensor; use torch.{fname[7:]} for a "
                                      f"dense (strided) one")
        dim = wrap_dim(dim, input._data.ndim, fname)
        if dtype is not None:
            input = input.to(dtype)
        if input._data.dtype not in _SOFTMAX_DTYPES:  # (PyTorch's sparse CPU kernels: float and double)
            raise NotImplementedError(f"\"{'log_softmax' if log else 'softmax'}\" not implemented for "
                                      f"'{_type_name(input._data.dtype)}'")
        c = input._data.coalesce()
        y = _softmax_kernels.softmax_values(c, dim, log)
        node = "SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0"
        return _record(op, wrap(c.with_values(y), input._device), (input,), {"dim": dim, "log": log, "output": y},
                       node)
    return sparse_softmax


_sparse_softmax_op = defop("_sparse_softmax", frontend=_sparse_softmax_frontend, method=False, public=False)


def _sparse_mask_frontend(op):
    def sparse_mask(self, mask):
        if not isinstance(mask, Tensor):
            raise TypeError(f"sparse_mask(): argument 'mask' (position 1) must be Tensor, not {c_type_name(mask)}")
        m = mask._data
        if m.__class__ is not SparseCOOData and m.__class__ is not SparseCompressedData:
            raise NotImplementedError("Could not run 'aten::sparse_mask' with arguments from the 'CPU' backend: the "
                                      "mask must be a sparse COO tensor or a CSR/CSC/BSR/BSC one (mask.to_sparse() "
                                      "makes one from a dense tensor)")
        if tuple(self._data.shape) != m.shape:
            raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size "
                               f"{list(self._data.shape)} but mask has size {list(m.shape)}")
        if self._device != mask._device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                               f"{self.device} and {mask.device}! (when checking argument for sparse_mask)")
        d = self._data
        if m.__class__ is SparseCompressedData:
            return compressed_mask(self, m)
        if d.__class__ is SparseCOOData:
            values = d.read_at(m.indices)
        else:
            # the entries of self at the mask's indices, with their dense dimensions
            values = np.asarray(d[tuple(m.indices)]).reshape((m.nnz,) + tuple(d.shape[m.sparse_dim:]))
        out = wrap(m.with_values(values.astype(d.dtype, copy=True)), self._device)
        attrs = {"indices": m.indices, "sparse_self": d.__class__ is SparseCOOData, "coalesced": m.coalesced}
        return _record(op, out, (self,), attrs, "SparseMaskBackward0")
    def compressed_mask(self, m):
        """A CSR/CSC/BSR/BSC mask: ``self``'s elements at its stored entries (whole blocks for the
        block layouts), in the mask's layout and order, as PyTorch's ``sparse_mask_sparse_compressed``."""
        d = self._data
        if d.__class__ is SparseCompressedData and (d.layout != m.layout or d.blocksize != m.blocksize):
            # (PyTorch's kernel turns a compressed self of another layout into COO first, then refuses it)
            raise RuntimeError("sparse_mask_sparse_compressed expects mask to have sparse compressed layout, got "
                               "Sparse")
        dense = d if isinstance(d, np.ndarray) else d.to_dense()
        out = wrap(m.with_values(np.array(m.read_dense(dense), dtype=d.dtype)), self._device)
        # (PyTorch records the node but its backward fails on the compressed gradient; here it
        # fails reading that gradient at ``indices``, and ``compressed_mask`` tells the formula
        # the mask's layout for PyTorch's message)
        attrs = {"indices": m._element_indices(), "sparse_self": d.__class__ is not np.ndarray, "coalesced": True,
                 "compressed_mask": layout_word(m)}
        return _record(op, out, (self,), attrs, "SparseMaskBackward0")
    return sparse_mask


_sparse_mask_op = defop("_sparse_mask", frontend=_sparse_mask_frontend, method=False, public=False)


def _sparse_mask_method(self, mask):
    return _sparse_mask_op.frontend(self, mask)


def sparse_narrow_copy(input, dim, start, length):
    """``torch.narrow_copy`` of a sparse COO tensor (PyTorch's ``narrow_copy_sparse``; kernel
    ``sparse/structure.py`` ``narrow``), with its checks: unlike the strided op it takes no negative
    ``dim`` or ``start``. ``narrow``, ``t[a:b]`` and ``split`` stay refused, as PyTorch refuses them."""
    from ..grad_mode import state as _gs
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not 0 <= dim < d.ndim:
        raise RuntimeError(f"Dimension {dim} out of range. Expecting 0 <= dim < {d.ndim}.")
    n = d.shape[dim]
    if start < 0 or start + length > n:
        raise RuntimeError(f"Invalid range to narrow. range(start, start+length) must be a subset of range(0, {n}).")
    if input._requires_grad and _gs.enabled:
        # (PyTorch records NarrowCopyBackward0 here, whose backward then fails: it has no sparse kernel)
        raise NotImplementedError("narrow_copy of a sparse COO tensor that requires grad has no gradient (PyTorch's "
                                  "NarrowCopyBackward0 fails on it: \"Could not run 'aten::as_strided' with arguments "
                                  "from the 'SparseCPU' backend\"): detach it, or narrow_copy its .to_dense()")
    from ..sparse import structure
    return wrap(structure.narrow(d, dim, start, length), input._device)


def _spdiags_frontend(op):
    def spdiags(diagonals, offsets, shape, layout=None):
        from ..memory_layout import sparse_coo, strided
        if not isinstance(diagonals, Tensor) or not isinstance(offsets, Tensor):
            bad = "diagonals" if not isinstance(diagonals, Tensor) else "offsets"
            value = diagonals if bad == "diagonals" else offsets
            raise TypeError(f"spdiags(): argument '{bad}' must be Tensor, not {c_type_name(value)}")
        if layout is not None and layout is not sparse_coo:
            if layout is strided:
                raise RuntimeError("Only output layouts (Sparse, SparseCsc, SparseCsr) are supported, got Strided")
            raise NotImplementedError(f"spdiags(layout={layout}): tensorgraft has the sparse COO layout only")
        if len(shape) != 2:
            raise RuntimeError("Output shape must be 2d")
        if offsets._data.dtype != np.int64:
            raise RuntimeError(f"Offset Tensor must have dtype Long but got {_type_name(offsets._data.dtype)}")
        diag = diagonals._data if diagonals._data.ndim == 2 else diagonals._data.reshape(1, -1)
        ks = offsets._data.reshape(-1)
        if diag.shape[0] != ks.size:
            raise RuntimeError(f"Number of diagonals ({diag.shape[0]}) does not match the number of offsets "
                               f"({ks.size})")
        if np.unique(ks).size != ks.size:
            raise RuntimeError("Offset tensor contains duplicate values")
        m, n = (int(x) for x in shape)
        rows, cols, picked = [], [], []
        for d, k in enumerate(ks.tolist()):
            if not -m <= k <= n:
                raise RuntimeError(f"spdiags(): offset {k} lies outside a {m}x{n} output (offsets must be in "
                                   f"[{-m}, {n}])")
            # diagonal k holds (i, i + k); as SciPy's spdiags, its value is diagonals[d, i + k] (the
            # column), so a diagonal row shorter than n ends it early
            i = np.arange(max(0, -k), min(m, n - k, diag.shape[1] - k))
            rows.append(i)
            cols.append(i + k)
            picked.append(diag[d, i + k])
        indices = np.stack([np.concatenate(rows), np.concatenate(cols)]).astype(np.int64)
        values = np.concatenate(picked).astype(diag.dtype, copy=False)
        out = wrap(SparseCOOData(indices, values, (m, n), False), diagonals._device)
        return _record(op, out, (diagonals,), None, "NotImplemented")
    return spdiags


_spdiags_op = defop("_sparse_spdiags", frontend=_spdiags_frontend, method=False, public=False)


# --------------------------------------------------------------------------- Tensor methods
# Strided tensors answer the sparse queries as PyTorch does for them (sparse_dim 0, ``values``
# refused ...); the sparse answers are read off the SparseCOOData.
def _is_sparse(self) -> bool:
    return self._data.__class__ is SparseCOOData


def _layout(self):
    from ..memory_layout import sparse_coo, strided
    return sparse_coo if self._data.__class__ is SparseCOOData else strided


def _to_dense(self, dtype=None, *, masked_grad=None):
    if dtype is not None and not isinstance(dtype, _dt.dtype):
        raise TypeError(f"to_dense(): argument 'dtype' (position 1) must be torch.dtype, not {c_type_name(dtype)}")
    if masked_grad is not None and not isinstance(masked_grad, bool):
        raise TypeError(f"to_dense(): argument 'masked_grad' must be bool, not {c_type_name(masked_grad)}")
    if self._data.__class__ is SparseCOOData:
        out = _to_dense_op.frontend(self)
        return out if dtype is None or dtype is out.dtype else out.to(dtype)
    return self if dtype is None or dtype is self.dtype else self.to(dtype)


def _to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
    """``to_sparse(sparse_dim)`` and, for the COO and strided layouts, ``to_sparse(*, layout, blocksize,
    dense_dim)`` (ops/sparse_compressed.py wraps it with the compressed layouts)."""
    from ..memory_layout import sparse_coo, strided
    if len(args) > 1:
        raise TypeError(f"to_sparse() takes at most 1 positional argument (sparse_dim), got {len(args)}")
    if layout is not None or blocksize is not None or dense_dim is not None:
        if args:  # (PyTorch's two overloads: ``to_sparse(sparse_dim)`` and the keyword-only layout one)
            raise TypeError(f"to_sparse() takes 0 positional arguments but {len(args)} was given")
        if layout is not None and layout is not sparse_coo and layout is not strided:
            raise RuntimeError(f"to_sparse(layout={layout}): the compressed layouts are converted by "
                               f"ops/sparse_compressed.py, which is not loaded")
        target = "strided" if layout is strided else "sparse_coo"
        _conversion_checks.check_to_sparse_arguments(self._data, target, blocksize, dense_dim)
        if target == "strided":
            return self.to_dense()
        if self._data.__class__ is SparseCOOData:
            return self
        return to_sparse_with_dims(self, self.ndim - (dense_dim or 0))
    sparse_dim = args[0] if args else None
    if self._data.__class__ is SparseCOOData:
        if sparse_dim is not None and sparse_dim != self._data.sparse_dim:
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim argument !=self."
                               "sparse_dim() is not supported")
        return self
    if sparse_dim is None:  # PyTorch's layout overload (ToSparseBackward1), else the sparse_dim one
        return to_sparse_with_dims(self, self.ndim)
    if not isinstance(sparse_dim, int) or not 0 <= sparse_dim <= self.ndim:
        raise RuntimeError(f"sparse_dim argument must be in [0, {self.ndim}] range, but {sparse_dim} is given")
    if sparse_dim == 0 and self.ndim > 0:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when self.dim()>0")
    return _to_sparse_op.frontend(self, sparse_dim, "ToSparseBackward0")


def to_sparse_with_dims(self, sparse_dim):
    """A strided tensor as a COO tensor with ``sparse_dim`` sparse dims, recorded as PyTorch's
    layout overload records it (ToSparseBackward1)."""
    return _to_sparse_op.frontend(self, sparse_dim, "ToSparseBackward1")


def _to_sparse_coo(self):
    return _to_sparse(self)


def _sparse_data(self, name):
    d = self._data
    if d.__class__ is not SparseCOOData:
        raise RuntimeError(f"{name} expected sparse coordinate tensor layout but got {layout_word(self._data)}")
    return d


def _uncoalesced_check(d, what):
    if not d.coalesced:
        raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call .coalesce() first")


def _indices(self):
    d = _sparse_data(self, "indices")
    _uncoalesced_check(d, "indices")
    return wrap(d.indices, self._device)


def _raw_indices(self):
    return wrap(_sparse_data(self, "_indices").indices, self._device)


def _values_method(self):
    d = self._data
    if d.__class__ is not SparseCOOData:
        raise RuntimeError(f"values expected sparse tensor layout but got {layout_word(self._data)}")
    _uncoalesced_check(d, "values")
    return _values_op.frontend(self)


def _raw_values(self):
    _sparse_data(self, "_values")
    return _values_op.frontend(self)


def _nnz(self) -> int:
    return _sparse_data(self, "_nnz").nnz


def _coalesce_method(self):
    _sparse_data(self, "coalesce")
    return _coalesce_op.frontend(self)


def _is_coalesced(self) -> bool:
    return _sparse_data(self, "is_coalesced").coalesced


def _sparse_dim(self) -> int:
    d = self._data
    return d.sparse_dim if d.__class__ is SparseCOOData else 0


def _dense_dim(self) -> int:
    d = self._data
    return d.dense_dim if d.__class__ is SparseCOOData else d.ndim


for _name, _fn in (("to_dense", _to_dense), ("to_sparse", _to_sparse), ("to_sparse_coo", _to_sparse_coo),
                   ("indices", _indices), ("_indices", _raw_indices), ("values", _values_method),
                   ("_values", _raw_values), ("_nnz", _nnz), ("coalesce", _coalesce_method),
                   ("is_coalesced", _is_coalesced), ("sparse_dim", _sparse_dim), ("dense_dim", _dense_dim),
                   ("sparse_mask", _sparse_mask_method)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
Tensor.is_sparse = property(_is_sparse)
Tensor.layout = property(_layout)
del _name, _fn


def sparse_frontends():
    """The bound frontends ``tensorgraft.sparse`` calls."""
    return {"mm": _sparse_mm_op.frontend, "addmm": _sparse_addmm_op.frontend, "sum": _sparse_sum_op.frontend, "softmax": _sparse_softmax_op.frontend,
            "spdiags": _spdiags_op.frontend}
