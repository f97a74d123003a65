"""The array behind a sparse COO tensor, and its kernels.

A sparse tensor is an ordinary ``Tensor`` whose ``_data`` is a ``SparseCOOData`` instead of a NumPy
array: ``indices`` (int64, ``(sparse_dim, nnz)``) and ``values`` (``(nnz, *dense_shape)``) as in
PyTorch, plus the full ``shape`` and whether the entries are known to be coalesced (sorted, no
repeated index). It answers ``shape``/``dtype``/``ndim``/``size`` as an array does, so metadata
(``t.shape``, ``t.dtype``, ``t.numel()``, ``requires_grad_``) needs no sparse case.

The ops that have a sparse kernel reach it without a sparse check on the dense path: an op kernel
that calls a NumPy ufunc or function on the data lands in ``__array_ufunc__``/``__array_function__``
here (NumPy's override protocol), and a kernel that calls an array method (``a.dot(b)``, ``a.T``,
``a.astype``) finds it on this class. Everything else raises ``SparseLayoutError``, naming what was
asked of the sparse tensor and what to do, instead of computing on a wrong representation.

Sparse tensors live on the CPU (NumPy arrays); there is no CuPy kernel for them.

The kernels NumPy's protocol hands sparse operands to (``_UFUNC_KERNELS``, ``FUNCTION_KERNELS``:
sums, products, ``where`` ...) are in ``coo_kernels.py``.
"""
from __future__ import annotations

import math

import numpy as np

from .array_base import SparseArray


class SparseLayoutError(NotImplementedError, AttributeError):
    """An operation without a sparse COO kernel was given a sparse tensor. It is an AttributeError
    too, so ``hasattr``/``getattr(obj, name, default)`` probes of the data keep working."""


_TO_DENSE_HINT = "convert it with .to_dense() first"


def _unsupported(what: str) -> SparseLayoutError:
    return SparseLayoutError(f"{what} is not supported for sparse COO tensors (layout=torch.sparse_coo) in "
                             f"tensorgraft: {_TO_DENSE_HINT}")


def dense_softmax_refusal(log: bool) -> SparseLayoutError:
    """``torch.softmax``/``F.softmax`` of a sparse tensor: PyTorch's refusal, pointing at the
    sparse softmax (over the stored entries), which is what such code usually wants."""
    name = "log_softmax" if log else "softmax"
    return SparseLayoutError(f"Could not run 'aten::_{name}' with arguments from the 'SparseCPU' backend: use "
                             f"torch.sparse.{name}(input, dim) for the {name} over the stored entries, or "
                             f".to_dense() first for the one over every entry")


def _no_kernel(name: str) -> SparseLayoutError:
    """PyTorch's wording for an op without a sparse kernel, with what to do about it."""
    return SparseLayoutError(f"Could not run '{name}' with arguments from the 'SparseCPU' backend: tensorgraft has "
                             f"no sparse COO kernel for it; {_TO_DENSE_HINT}")


class SparseCOOData(SparseArray):
    # ``_cache``: what is derived from the indices alone (the sort that coalesces them, the row
    # pointers of SciPy's CSR form, the transposed matrix), reused by later products: an adjacency
    # matrix is multiplied on every step. The indices are made read-only so it cannot go stale;
    # the values may change in place (``_values().mul_(2)``) and are never cached.
    __slots__ = ("indices", "values", "shape", "coalesced", "_cache")

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple, coalesced: bool = False):
        self.indices = indices
        self.values = values
        self.shape = tuple(int(s) for s in shape)
        self.coalesced = coalesced or indices.shape[1] < 2  # (one entry or none is coalesced, as PyTorch)
        self._cache = None
        indices.flags.writeable = False

    def no_kernel(self, name: str) -> SparseLayoutError:
        return _no_kernel(name)

    def unsupported(self, what: str) -> SparseLayoutError:
        return _unsupported(what)

    # ------------------------------------------------------------------ what an array answers
    @property
    def sparse_dim(self) -> int:
        return self.indices.shape[0]

    @property
    def dense_dim(self) -> int:
        return self.values.ndim - 1

    @property
    def nnz(self) -> int:
        return self.indices.shape[1]

    def copy(self) -> "SparseCOOData":
        return SparseCOOData(self.indices.copy(), self.values.copy(), self.shape, self.coalesced)

    def astype(self, dtype, copy=True) -> "SparseCOOData":
        values = self.values.astype(dtype, copy=copy)
        return self if values is self.values else SparseCOOData(self.indices, values, self.shape, self.coalesced)

    def with_values(self, values: np.ndarray) -> "SparseCOOData":
        """The same pattern holding ``values`` (same leading ``nnz``)."""
        return SparseCOOData(self.indices, values, self.shape, self.coalesced)

    # ------------------------------------------------------------------ conversions
    def coalesce(self) -> "SparseCOOData":
        """Entries sorted by index, repeated indices summed (PyTorch's ``coalesce``)."""
        if self.coalesced:
            return self
        if self.nnz == 0:
            return SparseCOOData(self.indices, self.values, self.shape, True)
        order, starts, indices = self._cached("coalesce_plan", self._coalesce_plan)
        # dtype=: NumPy would sum small integers as int64 (and bool as a count); PyTorch keeps the
        # dtype, and adds bool duplicates as a logical or (which is NumPy's add in bool)
        values = np.add.reduceat(self.values[order], starts, axis=0, dtype=self.dtype)
        return SparseCOOData(indices, values, self.shape, True)

    def _coalesce_plan(self):
        """(the stable sort of the entries by index, where each distinct index starts in it, the
        distinct indices): the part of coalescing that depends on the indices only."""
        sparse_shape = self.shape[:self.sparse_dim]
        linear = _linear_index(self.indices, sparse_shape)
        order = np.argsort(linear, kind="stable")
        linear = linear[order]
        starts = np.concatenate(([0], np.flatnonzero(linear[1:] != linear[:-1]) + 1))
        if sparse_shape:
            indices = np.stack(np.unravel_index(linear[starts], sparse_shape)).astype(np.int64, copy=False)
        else:
            indices = self.indices[:, :1]
        return order, starts, indices.reshape(self.sparse_dim, -1)

    def add_into(self, out: np.ndarray) -> None:
        """``out += self`` in place, entry after entry in their order (a sparse gradient applied to a
        parameter: PyTorch's ``param.add_(grad)`` adds them one by one, so repeated rows round alike)."""
        values = self.values.astype(out.dtype, copy=False)
        if self.sparse_dim == 0:
            for v in values:
                out += v
            return
        if not out.flags.c_contiguous:
            np.add.at(out, tuple(self.indices), values)
            return
        # the sparse dimensions flattened into one row index of a view of ``out``: then the rows
        # fold as an embedding's gradient does, many times faster than ufunc.at, in the same order
        from ..ops.indexing.row_folding import scatter_rows
        sparse_shape = self.shape[:self.sparse_dim]
        rows = out.reshape((math.prod(sparse_shape),) + out.shape[self.sparse_dim:])
        scatter_rows(np, "add", rows, _linear_index(self.indices, sparse_shape), values)

    def accumulated(self, other: "SparseCOOData") -> "SparseCOOData":
        """``self + other`` as PyTorch accumulates sparse gradients: the entries one after the
        other, coalesced when both were (an embedding's gradient keeps one entry per lookup)."""
        dtype = np.result_type(self.values, other.values)
        out = SparseCOOData(np.concatenate([self.indices, other.indices], axis=1),
                            np.concatenate([self.values.astype(dtype, copy=False),
                                            other.values.astype(dtype, copy=False)]), self.shape, False)
        return out.coalesce() if self.coalesced and other.coalesced else out

    def to_dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.dtype)
        if self.sparse_dim == 0:  # at most one entry (repeated ones add up): the whole tensor
            out[...] = self.values.sum(axis=0)
            return out
        # added, not assigned, even when flagged coalesced: a factory told is_coalesced=True may
        # hold repeated indices, which PyTorch adds up (and 0 + -0.0 is 0.0, as PyTorch prints it)
        self.add_into(out)
        return out

    @classmethod
    def from_dense(cls, a: np.ndarray, sparse_dim: int) -> "SparseCOOData":
        """The nonzero entries of ``a`` (with dense dimensions: its slices that hold a nonzero)."""
        if sparse_dim == 0:  # one entry, the whole tensor, unless it is all zeros
            nnz = int(bool(np.any(a != 0)))
            return cls(np.zeros((0, nnz), np.int64), a[None][:nnz].copy(), a.shape, True)
        if sparse_dim == a.ndim:
            where = np.nonzero(a)
        else:
            dense_size = math.prod(a.shape[sparse_dim:])
            where = np.nonzero((a.reshape(a.shape[:sparse_dim] + (dense_size,)) != 0).any(axis=-1))
        indices = np.stack(where).astype(np.int64, copy=False)
        return cls(indices, np.ascontiguousarray(a[where]), a.shape, True)

    # ------------------------------------------------------------------ transposes
    def swapaxes(self, d0: int, d1: int) -> "SparseCOOData":
        d0, d1 = d0 % self.ndim, d1 % self.ndim
        if d0 == d1:
            return self
        k = self.sparse_dim
        if (d0 < k) != (d1 < k):
            raise _unsupported("transposing a sparse dimension with a dense one")
        shape = list(self.shape)
        shape[d0], shape[d1] = shape[d1], shape[d0]
        if d0 < k:
            if self.ndim == 2:  # the transposed matrix, kept (with what its products derive)
                return self._cached("T", self._transposed_matrix)
            rows = list(range(k))
            rows[d0], rows[d1] = rows[d1], rows[d0]
            return SparseCOOData(self.indices[rows], self.values, shape, False)
        return SparseCOOData(self.indices, np.swapaxes(self.values, d0 - k + 1, d1 - k + 1), shape, self.coalesced)

    def _transposed_matrix(self) -> "SparseCOOData":
        t = SparseCOOData(self.indices[::-1].copy(), self.values, self.shape[::-1], False)
        t._cache = {"T": self}
        return t

    def transpose(self, *axes) -> "SparseCOOData":
        """A permutation of the dimensions (as ``ndarray.transpose``) that keeps sparse dimensions
        among the sparse ones, as PyTorch's ``permute`` of a sparse tensor requires."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        axes = tuple(range(self.ndim))[::-1] if axes is None or axes == () else tuple(int(a) % self.ndim for a in axes)
        k = self.sparse_dim
        if axes == (1, 0) and k == 2:
            return self.T
        if sorted(axes[:k]) != list(range(k)):
            raise _unsupported("a permutation that moves a sparse dimension among the dense ones")
        shape = tuple(self.shape[a] for a in axes)
        values = self.values.transpose((0,) + tuple(a - k + 1 for a in axes[k:])) if self.values.ndim > 1 else self.values
        same = axes[:k] == tuple(range(k))
        return SparseCOOData(self.indices if same else self.indices[list(axes[:k])], values, shape,
                             self.coalesced and same)

    @property
    def T(self) -> "SparseCOOData":
        if self.ndim != 2:
            raise _unsupported(f"T of a {self.ndim}-D tensor")
        return self.swapaxes(0, 1)

    def conj(self) -> "SparseCOOData":
        return self.with_values(self.values.conj()) if self.dtype.kind == "c" else self

    # ------------------------------------------------------------------ products
    def dot(self, other) -> np.ndarray:
        """``self @ other`` for a 2-D sparse matrix (no dense dimensions) and a dense 1-D/2-D array:
        each stored entry contributes ``value * other[col]`` to its row, summed row by row."""
        if other.__class__ is SparseCOOData:
            other = other.to_dense()
        other = np.asarray(other)
        if self.ndim == 3 and other.ndim == 3:  # bmm: one matrix product a batch
            if self.dense_dim:
                raise RuntimeError(f"bmm_sparse: Tensor 'self' must have 0 dense dims, but has {self.dense_dim}")
            return self._batched_dot(other)
        if self.ndim != 2 or self.sparse_dim != 2:
            raise _unsupported(f"a matrix product with a {self.ndim}-D sparse tensor of sparse_dim {self.sparse_dim}")
        if other.ndim not in (1, 2) or other.shape[0] != self.shape[1]:
            raise ValueError(f"sparse matrix product: shapes {self.shape} and {other.shape} do not fit")
        dtype = np.result_type(self.values, other)
        if self.nnz == 0 or other.size == 0:
            return np.zeros((self.shape[0],) + other.shape[1:], dtype=dtype)
        product = _scipy_product(self, other, dtype)
        if product is not None:
            return product
        c = self.coalesce()
        rows, cols = c.indices
        vals = c.values.astype(dtype, copy=False)
        starts = c._cached("row_starts", lambda: np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1)))
        if other.ndim == 1:
            out = np.zeros(self.shape[0], dtype=dtype)
            out[rows[starts]] = np.add.reduceat(other[cols].astype(dtype, copy=False) * vals, starts)
            return out
        # each entry contributes value * other[col] to its row; summed row by row with reduceat,
        # which is several times faster along the last axis, so in the transposed layout
        contrib = np.take(np.ascontiguousarray(other.T, dtype=dtype), cols, axis=1)
        contrib *= vals
        out_t = np.zeros((other.shape[1], self.shape[0]), dtype=dtype)
        out_t[:, rows[starts]] = np.add.reduceat(contrib, starts, axis=1)
        return np.ascontiguousarray(out_t.T)

    def _batched_dot(self, other: np.ndarray) -> np.ndarray:
        """``bmm(self, other)`` for a batch of sparse matrices (sparse_dim 3): each batch's entries
        as a 2-D sparse matrix times its dense matrix."""
        if other.shape[0] != self.shape[0] or other.shape[1] != self.shape[2]:
            raise ValueError(f"sparse batched product: shapes {self.shape} and {other.shape} do not fit")
        batch = self.indices[0]
        out = [SparseCOOData(self.indices[1:, batch == i], self.values[batch == i], self.shape[1:]).dot(other[i])
               for i in range(self.shape[0])]
        dtype = np.result_type(self.values, other)
        return np.stack(out).astype(dtype, copy=False) if out else np.zeros((0, self.shape[1], other.shape[2]), dtype)

    def masked_product(self, g: np.ndarray, other: np.ndarray) -> "SparseCOOData":
        """``(g @ other.T)`` at this matrix's stored entries only: the gradient of
        ``sparse.mm(self, other)`` with respect to ``self``, as PyTorch's sparse gradient."""
        c = self.coalesce()
        rows, cols = c.indices
        if g.ndim == 1:
            vals = g[rows] * other[cols]
        else:
            vals = np.einsum("ij,ij->i", g[rows], other[cols])
        return c.with_values(vals.astype(self.dtype, copy=False))

    def sum_dims(self, dims) -> "SparseCOOData | np.ndarray":
        """The sum over ``dims`` (``torch.sparse.sum(s, dims)``): sparse, in this dtype, while a
        sparse dimension is left; else a dense array, integers and bool summed as int64 (PyTorch's
        rules for the two results)."""
        dims = sorted({int(d) % max(self.ndim, 1) for d in dims})
        if len(dims) == self.ndim:
            return np.asarray(self.values.sum(axis=tuple(range(self.values.ndim)), dtype=sum_dtype(self.dtype)))
        k = self.sparse_dim
        keep = [i for i in range(k) if i not in dims]
        dense_axes = tuple(1 + i - k for i in dims if i >= k)
        if not keep:  # every sparse dimension summed: a dense result (repeated bool entries count twice)
            return np.asarray(self.values.sum(axis=(0,) + dense_axes, dtype=sum_dtype(self.dtype)))
        c = self.coalesce()
        if dense_axes and self.dtype.kind in "biu":
            # (PyTorch sums the dense dimensions as int64, then refuses to store that in the result)
            raise RuntimeError(f"dtype of values (Long) must match dtype of sparse tensor "
                               f"({_DTYPE_WORDS[self.dtype.name]})")
        values = c.values.sum(axis=dense_axes, dtype=self.dtype) if dense_axes else c.values
        shape = tuple(s for i, s in enumerate(self.shape) if i not in dims)
        return SparseCOOData(c.indices[keep], values, shape, False).coalesce()

    def read_at(self, indices: np.ndarray) -> np.ndarray:
        """The values at ``indices`` (``(sparse_dim, n)``), zero where nothing is stored: a gradient
        read at another sparse tensor's entries, without making either dense."""
        c = self.coalesce()
        sparse_shape = self.shape[:self.sparse_dim]
        out = np.zeros((indices.shape[1],) + c.values.shape[1:], dtype=self.dtype)
        if c.nnz == 0 or indices.shape[1] == 0:
            return out
        stored = _linear_index(c.indices, sparse_shape)
        wanted = _linear_index(indices, sparse_shape)
        pos = np.minimum(np.searchsorted(stored, wanted), c.nnz - 1)
        hit = stored[pos] == wanted
        out[hit] = c.values[pos[hit]]
        return out

    # ------------------------------------------------------------------ in place, indexing, operators
    def __setitem__(self, key, value) -> None:
        """``data[...] = value``: how in-place ops store their result (``S.mul_(2)``, ``S.add_(T)``,
        ``S.zero_()``). A sparse result replaces the entries, zero empties the tensor, as PyTorch."""
        if key is not Ellipsis and key != ():
            raise _unsupported("assigning to part of a sparse tensor")
        if value.__class__ is not SparseCOOData:
            if _is_scalar(value) and value == 0:  # zero_(): no entries left
                value = SparseCOOData(np.zeros((self.sparse_dim, 0), np.int64),
                                      np.zeros((0,) + self.values.shape[1:], self.dtype), self.shape, True)
            else:
                raise _unsupported("writing dense values into a sparse tensor")
        if value.shape != self.shape:
            raise RuntimeError(f"a sparse tensor of size {list(self.shape)} cannot take a result of size "
                               f"{list(value.shape)} in place")
        self.indices = value.indices
        self.values = value.values.astype(self.dtype, copy=False)
        self.coalesced = value.coalesced
        self._cache = None

    def __getitem__(self, key):
        from . import structure  # (t[i], select and stack's new axis: structure.py)
        return structure.getitem(self, key)

    def insert_axis(self, axis: int) -> "SparseCOOData":
        """``unsqueeze(axis)``'s kernel (``structure.insert_axis``)."""
        from . import structure
        return structure.insert_axis(self, axis)

    def __iadd__(self, other):
        """In place, as autograd accumulates a sparse gradient into a sparse ``.grad`` (the entries
        one after the other, see ``accumulated``); a dense ``other`` cannot go into a sparse array."""
        if other.__class__ is not SparseCOOData:
            raise TypeError("a dense array cannot be added into a sparse one in place")
        self[...] = self.accumulated(other)
        return self

    # ------------------------------------------------------------------ NumPy's override protocol
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            kernel = _UFUNC_KERNELS.get(ufunc.__name__)
            if kernel is not None:
                return kernel(*inputs)
            if ufunc.nin == 1 and _keeps_zero(ufunc, self.dtype):
                # a linear map keeps the entries as they are; any other one needs repeated
                # indices summed first (sqrt(a) + sqrt(b) is not sqrt(a + b)), as PyTorch
                linear = ufunc in (np.negative, np.positive, np.conjugate)
                data = self if linear else self.coalesce()
                return data.with_values(ufunc(data.values))
        if method == "__call__" and not kwargs and ufunc.nin == 2 and ufunc.nout == 1:
            a, b = inputs
            if a is self and b is self and _keeps_zero_with(ufunc, self.dtype, 0, True, bool_ok=True):
                # f(S, S) with f(0, 0) zero or False (``r != r``, the NaN test of sign's kernel)
                c = self.coalesce()
                return c.with_values(ufunc(c.values, c.values))
            # a sparse tensor and a number where f(0, number) == 0 (maximum(S, 0): relu) keeps the
            # pattern: the coalesced values, as PyTorch's sparse kernels for those ops
            scalar = b if a is self else a
            if _is_scalar(scalar) and (a is self or b is self) and _keeps_zero_with(ufunc, self.dtype, scalar, a is self):
                c = self.coalesce()
                return c.with_values(ufunc(c.values, scalar) if a is self else ufunc(scalar, c.values))
        if method == "reduce" and ufunc is np.add and inputs[0] is self and not kwargs.get("keepdims"):
            axis = kwargs.get("axis")  # Tensor.sum(), or Tensor.sum(dim) (sparse while a sparse dim is left)
            axes = range(self.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
            dtype = kwargs.get("dtype")
            return (self if dtype is None else self.astype(dtype)).sum_dims(axes)
        raise _no_kernel(ufunc.__name__)

    def __reduce__(self):
        return (SparseCOOData, (self.indices, self.values, self.shape, self.coalesced))


# SciPy's compiled CSR product (SciPy is a dependency of tensorgraft-core, imported on first use):
# it adds each stored entry's contribution row by row as the NumPy path below does, without the
# nnz x columns temporary that path builds, and is about ten times faster on a graph's adjacency
# matrix. The NumPy path serves the dtypes SciPy has no kernel for (integers, float16, bfloat16).
_SCIPY_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))


def _scipy_product(a: SparseCOOData, other: np.ndarray, dtype):
    """``a @ other`` through SciPy, or None where SciPy is missing or has no kernel for the dtype."""
    if a.dtype != dtype or other.dtype != dtype or dtype not in _SCIPY_DTYPES:
        return None
    import scipy.sparse as sp
    source = a._cache.get("T") if a._cache else None
    if not a.coalesced and source is not None and source.coalesced:  # a transposed matrix: CSC of the source
        matrix = _csr(sp, source).T
    else:
        matrix = _csr(sp, a.coalesce())
    return np.ascontiguousarray(matrix @ other)


def _csr(sp, c: SparseCOOData):
    """A coalesced matrix in SciPy's CSR form; the values are shared, the row pointers kept."""
    rows, cols = c.indices
    indptr = c._cached("csr_indptr", lambda: np.concatenate(
        ([0], np.cumsum(np.bincount(rows, minlength=c.shape[0])))).astype(np.int64))
    return sp.csr_matrix((c.values, cols, indptr), shape=c.shape, copy=False)


def _linear_index(indices: np.ndarray, sparse_shape: tuple) -> np.ndarray:
    if not sparse_shape:
        return np.zeros(indices.shape[1], np.int64)
    return np.ravel_multi_index(tuple(indices), sparse_shape)


def _keeps_zero(ufunc, dtype) -> bool:
    """A unary ufunc with ``f(0) == 0`` maps a sparse tensor to one with the same pattern (PyTorch
    has sparse kernels for those: neg, abs, sqrt, sin, tanh ...); others would fill the zeros."""
    if ufunc.__name__ in _FALSE_AT_ZERO:
        return True
    if ufunc.__name__ in ("isfinite", "logical_not", "invert"):
        return False  # (true at zero: PyTorch has no sparse kernel for them either)
    try:
        with np.errstate(all="ignore"):
            zero = ufunc(np.zeros((), dtype))
    except TypeError:
        return False
    return zero.dtype.kind != "b" and bool(zero == 0)


# predicates false at zero: a bool sparse tensor with the (coalesced) pattern, as PyTorch's
_FALSE_AT_ZERO = frozenset({"isnan", "isinf", "signbit"})


def _keeps_zero_with(ufunc, dtype, scalar, sparse_first, bool_ok=False) -> bool:
    if bool_ok and ufunc.__name__ == "not_equal":  # (of a tensor with itself: False at zero)
        return True
    if ufunc.__name__ in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
                          "logical_or", "logical_xor"):
        return False  # (a bool result: PyTorch has no sparse kernel for comparisons)
    try:
        with np.errstate(all="ignore"):
            zero = np.zeros((), dtype)
            out = ufunc(zero, scalar) if sparse_first else ufunc(scalar, zero)
    except TypeError:
        return False
    return bool(out == 0)


def sum_dtype(dtype):
    """The dtype of a dense sum, as PyTorch's: integers and bool add up as int64."""
    return np.dtype(np.int64) if dtype.kind in "biu" else dtype


# PyTorch's names for the integer dtypes in its messages ("... sparse tensor (Int)")
_DTYPE_WORDS = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long"}


def _is_scalar(x) -> bool:
    return isinstance(x, (int, float, complex, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0)


# The kernels need the class above, and ``__array_ufunc__`` looks ``_UFUNC_KERNELS`` up in this
# module: so they are imported here, at the end (importing them assigns ``FUNCTION_KERNELS``).
from .coo_kernels import _UFUNC_KERNELS, sparse_product  # noqa: E402, F401
