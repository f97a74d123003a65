"""The array behind a compressed sparse tensor (CSR, CSC, BSR, BSC), and its kernels.

A compressed sparse tensor is an ordinary ``Tensor`` whose ``_data`` is a ``SparseCompressedData``,
as a COO tensor's is a ``SparseCOOData`` (see ``coo_data.py`` for how ops reach sparse kernels
through NumPy's override protocol without a check on the dense path). It holds PyTorch's three
arrays:

- ``compressed`` (``crow_indices`` of CSR/BSR, ``ccol_indices`` of CSC/BSC): ``(*batch, n + 1)``, where
  entry ``i`` is where row (column) ``i``'s entries start in the other two;
- ``plain`` (``col_indices``/``row_indices``): ``(*batch, nnz)``, each entry's column (row), sorted and
  distinct within a row (column);
- ``values``: ``(*batch, nnz, *block, *dense)``; the block variants store a ``blocksize`` block of
  elements per entry.

Leading batch dimensions (every batch has the same ``nnz``, PyTorch's rule) and trailing dense
dimensions are kept as PyTorch keeps them. Kernels that only touch the values (``x * 2``, ``sin``,
``relu``, a dtype change) keep the arrays; the products go through SciPy's compiled CSR/CSC/BSR
kernels; anything that changes the pattern (``a + b`` of two patterns) is computed on the element
COO form (``to_coo``) and compressed again. Compressed tensors live on the CPU, as COO ones.
"""
from __future__ import annotations

import math

import numpy as np

from .array_base import SparseArray
from .coo_data import SparseCOOData, SparseLayoutError, _is_scalar, _keeps_zero, _keeps_zero_with, sum_dtype

# the layouts, by the name PyTorch's ``torch.sparse_csr`` ... singletons carry
ROW_MAJOR = frozenset({"sparse_csr", "sparse_bsr"})
BLOCKED = frozenset({"sparse_bsr", "sparse_bsc"})
LAYOUTS = ("sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc")

# PyTorch's names for the layouts in its messages ("... layout but got SparseCsr")
DISPATCH_NAME = {"sparse_csr": "SparseCsr", "sparse_csc": "SparseCsc", "sparse_bsr": "SparseBsr",
                 "sparse_bsc": "SparseBsc"}

def layout_word(data) -> str:
    """The layout of a tensor's array as PyTorch's messages name it: "Strided", "Sparse" (COO),
    "SparseCsr", "SparseCsc" ..."""
    if data.__class__ is SparseCompressedData:
        return DISPATCH_NAME[data.layout]
    return "Sparse" if data.__class__ is SparseCOOData else "Strided"


# the transposed layout: the same three arrays read the other way round
TRANSPOSED = {"sparse_csr": "sparse_csc", "sparse_csc": "sparse_csr", "sparse_bsr": "sparse_bsc",
              "sparse_bsc": "sparse_bsr"}

_TO_DENSE_HINT = "convert it with .to_dense() (or .to_sparse() for the COO layout) first"


def unsupported(layout: str, what: str) -> SparseLayoutError:
    return SparseLayoutError(f"{what} is not supported for {DISPATCH_NAME[layout]} tensors (layout=torch.{layout}) in "
                             f"tensorgraft: {_TO_DENSE_HINT}")


def _no_kernel(layout: str, name: str) -> SparseLayoutError:
    """PyTorch's wording for an op without a kernel for the layout, with what to do about it."""
    return SparseLayoutError(f"Could not run '{name}' with arguments from the '{DISPATCH_NAME[layout]}CPU' backend: "
                             f"tensorgraft has no torch.{layout} kernel for it; {_TO_DENSE_HINT}")


class SparseCompressedData(SparseArray):
    # ``_cache``: what is derived from the index arrays alone (the element COO indices, their
    # order), reused by later products; the index arrays are made read-only so it cannot go stale,
    # while the values may change in place (``values().mul_(2)``).
    __slots__ = ("layout", "compressed", "plain", "values", "shape", "blocksize", "_cache")

    def __init__(self, layout: str, compressed: np.ndarray, plain: np.ndarray, values: np.ndarray, shape: tuple,
                 blocksize: tuple | None = None):
        self.layout = layout
        self.compressed = compressed
        self.plain = plain
        self.values = values
        self.shape = tuple(int(s) for s in shape)
        self.blocksize = tuple(blocksize) if layout in BLOCKED else None
        self._cache = None
        compressed.flags.writeable = False
        plain.flags.writeable = False

    def no_kernel(self, name: str) -> SparseLayoutError:
        return _no_kernel(self.layout, name)

    def unsupported(self, what: str) -> SparseLayoutError:
        return unsupported(self.layout, what)

    # ------------------------------------------------------------------ what an array answers
    @property
    def batch_dim(self) -> int:
        return self.compressed.ndim - 1

    @property
    def sparse_dim(self) -> int:
        return 2

    @property
    def dense_dim(self) -> int:
        return self.ndim - self.batch_dim - 2

    @property
    def nnz(self) -> int:
        """Entries per batch (blocks for BSR/BSC): PyTorch's ``_nnz()``."""
        return self.plain.shape[-1]

    @property
    def row_major(self) -> bool:
        return self.layout in ROW_MAJOR

    def copy(self) -> "SparseCompressedData":
        return self.with_values(self.values.copy())

    def astype(self, dtype, copy=True) -> "SparseCompressedData":
        values = self.values.astype(dtype, copy=copy)
        return self if values is self.values else self.with_values(values)

    def with_values(self, values: np.ndarray) -> "SparseCompressedData":
        """The same pattern holding ``values`` (same leading ``(*batch, nnz)``); the index arrays
        and what was derived from them are shared."""
        out = SparseCompressedData(self.layout, self.compressed, self.plain, values, self.shape, self.blocksize)
        if self._cache is None:
            self._cache = {}
        out._cache = self._cache  # (one cache for the arrays both share)
        return out

    def conj(self) -> "SparseCompressedData":
        return self.with_values(self.values.conj()) if self.dtype.kind == "c" else self

    # ------------------------------------------------------------------ the element COO form
    def _element_indices(self) -> np.ndarray:
        """The ``(batch_dim + 2, N)`` indices of every stored element, in the order of the values
        flattened over ``(*batch, nnz, *block)``."""
        def build():
            nb = self.batch_dim
            batch_shape = self.shape[:nb]
            n_compressed = self.compressed.shape[-1] - 1
            comp = self.compressed.reshape(-1, n_compressed + 1).astype(np.int64, copy=False)
            plain = self.plain.reshape(comp.shape[0], -1).astype(np.int64, copy=False)
            nnz = plain.shape[1]
            per_batch = np.repeat(np.arange(n_compressed, dtype=np.int64)[None, :].repeat(comp.shape[0], 0).ravel(),
                                  np.diff(comp, axis=1).ravel()).reshape(comp.shape[0], nnz) if nnz else \
                np.zeros((comp.shape[0], 0), np.int64)
            rows, cols = (per_batch, plain) if self.row_major else (plain, per_batch)
            if self.blocksize is not None:  # each block's elements, row by row within the block
                br, bc = self.blocksize
                inner_r, inner_c = np.divmod(np.arange(br * bc, dtype=np.int64), bc)
                rows = (rows[..., None] * br + inner_r).reshape(comp.shape[0], -1)
                cols = (cols[..., None] * bc + inner_c).reshape(comp.shape[0], -1)
            per = rows.shape[1]
            batch = np.unravel_index(np.repeat(np.arange(comp.shape[0]), per), batch_shape) if nb else ()
            return np.stack([*batch, rows.ravel(), cols.ravel()]).reshape(nb + 2, -1)
        return self._cached("element_indices", build)

    def _element_values(self) -> np.ndarray:
        dense_shape = self.shape[self.batch_dim + 2:]
        return self.values.reshape((-1,) + dense_shape)

    def to_coo(self) -> SparseCOOData:
        """The element COO form (batch dims become sparse dims, as PyTorch's ``to_sparse()``):
        coalesced, with a block's zeros kept as stored entries."""
        indices = self._element_indices()
        values = self._element_values()
        sparse_shape = self.shape[:self.batch_dim + 2]
        order = self._cached("coo_order", lambda: np.argsort(np.ravel_multi_index(tuple(indices), sparse_shape)
                                                             if indices.shape[1] else np.zeros(0, np.int64),
                                                             kind="stable"))
        return SparseCOOData(indices[:, order], values[order], self.shape, True)

    def to_coo_in_storage_order(self) -> SparseCOOData:
        """PyTorch's ``to_sparse()`` of a compressed tensor: the entries in the order they are
        stored (CSC column by column, BSR block by block), coalesced only for CSR, whose storage
        order is the COO order."""
        if self.layout == "sparse_csr":
            return self.to_coo()
        return SparseCOOData(self._element_indices(), self._element_values(), self.shape, False)

    def to_dense(self) -> np.ndarray:
        out = np.zeros(self.shape, self.dtype)
        out[tuple(self._element_indices())] = self._element_values()
        return out

    def read_dense(self, dense: np.ndarray) -> np.ndarray:
        """``dense``'s elements at the stored entries, shaped as ``values``: what a gradient
        flowing into this tensor keeps (PyTorch's masked gradient)."""
        dense = np.broadcast_to(dense, self.shape)
        return dense[tuple(self._element_indices())].reshape(self.values.shape)

    def read(self, g) -> np.ndarray:
        """``g`` (dense or sparse, this shape) at the stored entries, shaped as ``values``."""
        if g.__class__ is SparseCompressedData and g.layout == self.layout and g.blocksize == self.blocksize and \
                np.array_equal(g.compressed, self.compressed) and np.array_equal(g.plain, self.plain):
            return g.values
        if g.__class__ in (SparseCompressedData, SparseCOOData):
            g = g.to_dense()
        return self.read_dense(g)

    @classmethod
    def from_coo(cls, coo: SparseCOOData, layout: str, blocksize=None, batch_dim: int = 0,
                 dense_source: bool = False, where: str | None = None) -> "SparseCompressedData":
        """A coalesced COO tensor's entries in ``layout``: its last two sparse dims are the matrix,
        those before them batch dims (every batch must hold as many entries). ``where``: the
        function PyTorch's refusals name (``dense_to_sparse_bsr`` for ``to_sparse_bsr()``,
        ``dense_to_sparse`` for ``to_sparse(layout=...)``); by default the source's
        ``<source>_to_<layout>``."""
        coo = coo.coalesce()
        nb = batch_dim
        shape = coo.shape
        if coo.sparse_dim != nb + 2:
            raise RuntimeError(f"conversion to torch.{layout} needs {nb + 2} sparse dimensions (batch dims and the "
                               f"matrix), the COO tensor has sparse_dim {coo.sparse_dim}")
        idx, vals = coo.indices, coo.values
        dense_shape = shape[nb + 2:]
        nrows, ncols = shape[nb], shape[nb + 1]
        if layout in BLOCKED:
            br, bc = blocksize
            if nrows % br or ncols % bc:
                where = where or f"{'dense' if dense_source else 'coo'}_to_{layout}"
                raise RuntimeError(f"{where}: tensor sparse size ({nrows},{ncols}) must be divisible by given "
                                   f"blocksize ({br},{bc})")
            # the blocks holding an entry, and each entry's place in its block
            block_idx = np.concatenate([idx[:nb], idx[nb:nb + 1] // br, idx[nb + 1:nb + 2] // bc])
            block_shape = shape[:nb] + (nrows // br, ncols // bc)
            key = np.ravel_multi_index(tuple(block_idx), block_shape) if idx.shape[1] else np.zeros(0, np.int64)
            blocks, where = np.unique(key, return_inverse=True)
            bvals = np.zeros((len(blocks), br, bc) + dense_shape, coo.dtype)
            bvals[where, idx[nb] % br, idx[nb + 1] % bc] = vals
            unit_idx = np.array(np.unravel_index(blocks, block_shape), dtype=np.int64).reshape(nb + 2, -1)
            unit_vals, unit_shape = bvals, block_shape
        else:
            unit_idx, unit_vals, unit_shape = idx, vals, shape[:nb + 2]
        row_major = layout in ROW_MAJOR
        major, minor = (unit_idx[nb], unit_idx[nb + 1]) if row_major else (unit_idx[nb + 1], unit_idx[nb])
        n_major = unit_shape[nb] if row_major else unit_shape[nb + 1]
        n_batch = math.prod(shape[:nb])
        batch_lin = np.ravel_multi_index(tuple(unit_idx[:nb]), shape[:nb]) if nb and unit_idx.shape[1] else \
            np.zeros(unit_idx.shape[1], np.int64)
        counts = np.bincount(batch_lin, minlength=n_batch) if n_batch else np.zeros(0, np.int64)
        if n_batch and counts.size and (counts != counts[0]).any():
            raise RuntimeError("Expect the same number of specified elements per batch.")
        order = np.lexsort((minor, major, batch_lin))
        nnz = int(counts[0]) if n_batch else 0
        batch_shape = shape[:nb]
        per_major = np.zeros((n_batch, n_major), np.int64)
        np.add.at(per_major, (batch_lin, major), 1)
        compressed = np.concatenate([np.zeros((n_batch, 1), np.int64), np.cumsum(per_major, axis=1)], axis=1)
        plain = minor[order].reshape(n_batch, nnz) if n_batch else np.zeros((0, nnz), np.int64)
        values = unit_vals[order].reshape((n_batch, nnz) + unit_vals.shape[1:]) if n_batch else \
            unit_vals.reshape((0, 0) + unit_vals.shape[1:])
        return cls(layout, compressed.reshape(batch_shape + (n_major + 1,)), plain.reshape(batch_shape + (nnz,)),
                   values.reshape(batch_shape + values.shape[1:]), shape, blocksize)

    @classmethod
    def from_dense(cls, a: np.ndarray, layout: str, blocksize=None, dense_dim: int = 0,
                   where: str | None = None) -> "SparseCompressedData":
        """The nonzero elements (blocks: the blocks holding one) of ``a`` in ``layout``: the last
        ``dense_dim`` dims stay dense, the two before them are the matrix, the rest batch dims."""
        nb = a.ndim - 2 - dense_dim
        coo = SparseCOOData.from_dense(a, nb + 2)
        return cls.from_coo(coo, layout, blocksize, nb, dense_source=True, where=where)

    @classmethod
    def empty(cls, layout: str, shape: tuple, dtype, batch_dim: int, blocksize=None) -> "SparseCompressedData":
        """A tensor of ``shape`` storing nothing (``zeros(..., layout=torch.sparse_csr)``,
        ``zeros_like``, ``zero_()``): ``batch_dim`` batch dims, the two matrix dims, the rest dense."""
        nb = batch_dim
        br, bc = blocksize or (1, 1)
        n_major = shape[nb] // br if layout in ROW_MAJOR else shape[nb + 1] // bc
        block = (br, bc) if layout in BLOCKED else ()
        return cls(layout, np.zeros(shape[:nb] + (n_major + 1,), np.int64), np.zeros(shape[:nb] + (0,), np.int64),
                   np.zeros(shape[:nb] + (0,) + block + shape[nb + 2:], dtype), shape, blocksize)

    def relayout(self, layout: str, blocksize=None, where: str | None = None) -> "SparseCompressedData":
        if layout == self.layout and (blocksize is None or tuple(blocksize) == self.blocksize):
            return self
        # (PyTorch names the compressed source's conversion in its refusals, not the COO step between)
        return SparseCompressedData.from_coo(self.to_coo(), layout, blocksize, self.batch_dim,
                                             where=where or f"sparse_compressed_to_{layout}")

    # ------------------------------------------------------------------ transposition
    def transposed_matrix(self) -> "SparseCompressedData":
        """The transpose of the matrix dims: the same arrays in the other layout (CSR <-> CSC,
        BSR <-> BSC with each block transposed), as PyTorch's ``t()``."""
        nb = self.batch_dim
        shape = list(self.shape)
        shape[nb], shape[nb + 1] = shape[nb + 1], shape[nb]
        values, blocksize = self.values, self.blocksize
        if blocksize is not None:
            values = np.swapaxes(values, nb + 1, nb + 2)
            blocksize = blocksize[::-1]
        return SparseCompressedData(TRANSPOSED[self.layout], self.compressed, self.plain, values, shape, blocksize)

    def _dim_kind(self, d: int) -> str:
        nb = self.batch_dim
        return "Batch" if d < nb else "Sparse" if d < nb + 2 else "Dense"

    def swapaxes(self, d0: int, d1: int) -> "SparseCompressedData":
        d0, d1 = d0 % self.ndim, d1 % self.ndim
        if d0 == d1:
            return self
        nb = self.batch_dim
        if sorted((d0, d1)) == [nb, nb + 1]:
            return self.transposed_matrix()
        k0, k1 = self._dim_kind(d0), self._dim_kind(d1)
        if k0 != k1:
            raise RuntimeError(f"transpose(): can only transpose dimensions of the same type (Batch, Sparse, Dense), "
                               f"got {d0}({k0}) and {d1}({k1})")
        raise unsupported(self.layout, f"transposing two {k0.lower()} dimensions ({d0} and {d1})")

    def transpose(self, *axes) -> "SparseCompressedData":
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not axes or axes is None:
            axes = tuple(range(self.ndim))[::-1]
        axes = tuple(a % self.ndim for a in axes)
        moved = [d for d in range(self.ndim) if axes[d] != d]
        if not moved:
            return self
        if len(moved) == 2 and axes[moved[0]] == moved[1]:  # one swap: transpose(d0, d1)
            return self.swapaxes(*moved)
        raise unsupported(self.layout, f"a permutation {axes}")

    @property
    def T(self) -> "SparseCompressedData":
        return self.transpose()

    # ------------------------------------------------------------------ products
    def _scipy_matrix(self, dtype):
        import scipy.sparse as sp
        values = self.values.astype(dtype, copy=False)
        if self.layout == "sparse_csr":
            return sp.csr_matrix((values, self.plain, self.compressed), shape=self.shape, copy=False)
        if self.layout == "sparse_csc":
            return sp.csc_matrix((values, self.plain, self.compressed), shape=self.shape, copy=False)
        if self.layout == "sparse_bsr":
            return sp.bsr_matrix((values, self.plain, self.compressed), shape=self.shape, copy=False)
        # BSC: the BSR matrix of the transpose, transposed back
        return sp.bsr_matrix((np.swapaxes(values, 1, 2), self.plain, self.compressed), shape=self.shape[::-1],
                             copy=False).T

    def dot(self, other) -> np.ndarray:
        """``self @ other`` for a 2-D compressed matrix (no dense dims) and a dense 1-D/2-D array; a
        compressed ``other`` gives a result in this layout (PyTorch: CSR @ CSR is CSR)."""
        if other.__class__ is SparseCompressedData:
            product = self.dot(other.to_dense())
            # (a block layout's product is CSR: its blocks need not fit the product's nonzeros)
            return SparseCompressedData.from_dense(product, "sparse_csr" if self.blocksize else self.layout)
        if other.__class__ is SparseCOOData:
            raise RuntimeError(f"addmm: computation on CPU is not implemented for {DISPATCH_NAME[self.layout]} @ "
                               f"Sparse: convert the second operand with .to_sparse(layout=torch.{self.layout}) or "
                               f".to_dense()")
        other = np.asarray(other)
        if self.batch_dim and not self.dense_dim and other.ndim == self.ndim:  # batched: one product per matrix
            if other.shape[:-2] != self.shape[:-2]:
                raise RuntimeError(f"a batched product needs the same batch shape, got {list(self.shape[:-2])} and "
                                   f"{list(other.shape[:-2])} (compressed sparse tensors do not broadcast)")
            parts = [self.matrix(i).dot(o) for i, o in enumerate(other.reshape((-1,) + other.shape[-2:]))]
            out = np.stack(parts) if parts else np.zeros((0, self.shape[-2], other.shape[-1]),
                                                         np.result_type(self.values, other))
            return out.reshape(self.shape[:-1] + other.shape[-1:])
        if self.ndim != 2 or self.dense_dim:
            raise unsupported(self.layout, f"a matrix product of a {self.ndim}-D tensor with {self.dense_dim} dense "
                                           f"dims and a {other.ndim}-D one")
        if other.ndim not in (1, 2) or other.shape[0] != self.shape[1]:
            raise ValueError(f"sparse matrix product: shapes {self.shape} and {other.shape} do not fit")
        dtype = np.result_type(self.values, other)
        if self.nnz == 0 or other.size == 0:
            return np.zeros((self.shape[0],) + other.shape[1:], dtype=dtype)
        if dtype.kind in "fc" and dtype.itemsize >= 4:  # SciPy's compiled kernels
            return np.ascontiguousarray(self._scipy_matrix(dtype) @ other.astype(dtype, copy=False))
        return self.to_coo().dot(other)  # (float16, bfloat16, integers: the COO NumPy path)

    def matrix(self, i: int) -> "SparseCompressedData":
        """The ``i``-th matrix of a batched tensor (the batch dims flattened)."""
        nb = self.batch_dim
        comp = self.compressed.reshape((-1,) + self.compressed.shape[nb:])[i]
        plain = self.plain.reshape((-1,) + self.plain.shape[nb:])[i]
        values = self.values.reshape((-1,) + self.values.shape[nb:])[i]
        return SparseCompressedData(self.layout, comp, plain, values, self.shape[nb:], self.blocksize)

    def masked_product(self, g: np.ndarray, other: np.ndarray) -> "SparseCompressedData":
        """``g @ other.T`` at the stored entries only (a 2-D CSR/CSC matrix): the gradient of a
        product with respect to this sparse factor, with its pattern."""
        rows, cols = self._element_indices()
        vals = g[rows] * other[cols] if g.ndim == 1 else np.einsum("ij,ij->i", g[rows], other[cols])
        return self.with_values(vals.astype(self.dtype, copy=False).reshape(self.values.shape))

    # ------------------------------------------------------------------ gradient accumulation
    def accumulated(self, other) -> "SparseCompressedData":
        """``self + other`` for two gradients of one compressed tensor (the union of the patterns)."""
        if other.__class__ is SparseCompressedData and other.layout == self.layout and \
                other.blocksize == self.blocksize and np.array_equal(other.compressed, self.compressed) and \
                np.array_equal(other.plain, self.plain):
            return self.with_values(self.values + other.values)
        return _add(self, other)

    def add_into(self, out: np.ndarray) -> None:
        """``out += self`` for a dense ``out`` (a compressed gradient reaching a dense ``.grad``)."""
        np.add.at(out, tuple(self._element_indices()), self._element_values())

    # ------------------------------------------------------------------ in place
    def __setitem__(self, key, value) -> None:
        """``data[...] = value``: how in-place ops store their result (``c.mul_(2)``, ``c.copy_(d)``,
        ``c.zero_()``). A compressed result of the same layout replaces the arrays; zero empties the
        tensor, as PyTorch."""
        if key is not Ellipsis and key != ():
            raise unsupported(self.layout, "assigning to part of a compressed sparse tensor")
        if value.__class__ is not SparseCompressedData:
            if _is_scalar(value) and value == 0:  # zero_(): no entries left
                value = SparseCompressedData.empty(self.layout, self.shape, self.dtype, self.batch_dim, self.blocksize)
            else:
                raise unsupported(self.layout, "writing dense values into a compressed sparse tensor")
        if value.shape != self.shape or value.layout != self.layout:
            raise RuntimeError(f"a torch.{self.layout} tensor of size {list(self.shape)} cannot take a "
                               f"torch.{value.layout} result of size {list(value.shape)} in place")
        self.compressed, self.plain, self.blocksize = value.compressed, value.plain, value.blocksize
        self.values = value.values.astype(self.dtype, copy=False)
        self._cache = value._cache

    def __iadd__(self, other):
        raise TypeError("a compressed sparse array is not added into in place")  # (the engine accumulates apart)

    # ------------------------------------------------------------------ NumPy's override protocol
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            kernel = _UFUNC_KERNELS.get(ufunc.__name__)
            if kernel is not None:
                return kernel(*inputs)
            if ufunc.nin == 1 and _keeps_zero(ufunc, self.dtype):  # (neg, abs, sin, sqrt ...: the pattern kept)
                return self.with_values(ufunc(self.values))
            if ufunc.nin == 2 and ufunc.nout == 1:
                a, b = inputs
                scalar = b if a is self else a
                if _is_scalar(scalar) and _keeps_zero_with(ufunc, self.dtype, scalar, a is self):  # relu: maximum(S, 0)
                    return self.with_values(ufunc(self.values, scalar) if a is self else ufunc(scalar, self.values))
        if method == "reduce" and ufunc is np.add and inputs[0] is self and kwargs.get("axis") is None \
                and not kwargs.get("keepdims"):
            return np.asarray(self.values.sum(dtype=kwargs.get("dtype") or sum_dtype(self.dtype)))
        if method == "reduce" and ufunc is np.add:
            raise RuntimeError(f"reduction operations on {DISPATCH_NAME[self.layout].replace('Sparse', '').upper()} "
                               f"tensors with keepdim=False is unsupported: sum every element, or sum over a "
                               f"dimension of .to_dense()")
        raise _no_kernel(self.layout, ufunc.__name__)

    def __getattr__(self, name):
        if name in ("strides", "flags"):  # (stride(), is_contiguous(): PyTorch's refusals)
            what = "strides" if name == "strides" else "is_contiguous"
            raise RuntimeError(f"Sparse {DISPATCH_NAME[self.layout][6:].upper()} tensors do not have {what}")
        return SparseArray.__getattr__(self, name)

    def __eq__(self, other):  # (torch.equal, ==: PyTorch has no compressed kernel either)
        raise _no_kernel(self.layout, "equal")

    __ne__ = __eq__
    __hash__ = object.__hash__

    def __getitem__(self, key):
        """``t[i]`` ...: read through the element COO form (PyTorch returns a COO tensor too)."""
        return self.to_coo()[key]

    def __reduce__(self):
        return (SparseCompressedData, (self.layout, self.compressed, self.plain, self.values, self.shape,
                                       self.blocksize))


# ------------------------------------------------------------------ elementwise kernels
def _same_pattern(a: SparseCompressedData, b: SparseCompressedData) -> bool:
    return a.layout == b.layout and a.blocksize == b.blocksize and a.shape == b.shape and \
        (a.compressed is b.compressed or np.array_equal(a.compressed, b.compressed)) and \
        (a.plain is b.plain or np.array_equal(a.plain, b.plain))


def _add(a, b, sign=1):
    """``a + b`` (``a - b``): two compressed tensors of one layout give that layout (the union of
    their patterns); with a dense operand the result is dense, as PyTorch's."""
    ca, cb = a.__class__ is SparseCompressedData, b.__class__ is SparseCompressedData
    if ca and cb:
        if a.layout != b.layout:
            raise RuntimeError(f"add: expected both operands to have the layout torch.{a.layout}, got torch.{b.layout}; "
                               f"convert one with .to_sparse(layout=torch.{a.layout})")
        if a.shape != b.shape:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                               f"{list(a.shape)} while other has size {list(b.shape)} (sparse tensors do not "
                               f"broadcast)")
        if _same_pattern(a, b):
            return a.with_values(a.values + b.values if sign == 1 else a.values - b.values)
        total = np.add(a.to_coo(), b.to_coo()) if sign == 1 else np.subtract(a.to_coo(), b.to_coo())
        return SparseCompressedData.from_coo(total, a.layout, a.blocksize, a.batch_dim)
    if (ca and b.__class__ is SparseCOOData) or (cb and a.__class__ is SparseCOOData):
        raise RuntimeError("add: a compressed sparse tensor and a sparse COO tensor cannot be added; convert one "
                           "with .to_sparse(layout=...) so both have one layout")
    dense_a = a.to_dense() if ca else np.asarray(a)
    dense_b = b.to_dense() if cb else np.asarray(b)
    return np.add(dense_a, dense_b) if sign == 1 else np.subtract(dense_a, dense_b)


def _multiply(a, b):
    if a.__class__ is not SparseCompressedData:
        a, b = b, a
    if _is_scalar(b):
        return a.with_values(a.values * b)
    if b.__class__ is SparseCompressedData:
        if _same_pattern(a, b):
            return a.with_values(a.values * b.values)
        if a.layout != b.layout or a.shape != b.shape:
            raise RuntimeError(f"mul: compressed sparse operands need one layout and one shape, got torch.{a.layout} "
                               f"{list(a.shape)} and torch.{b.layout} {list(b.shape)}")
        # the product lives on the intersection of the patterns (PyTorch's): a's entries that b stores
        ca, cb = a.to_coo(), b.to_coo()
        sparse_shape = a.shape[:a.batch_dim + 2]
        la = np.ravel_multi_index(tuple(ca.indices), sparse_shape) if ca.nnz else np.zeros(0, np.int64)
        lb = np.ravel_multi_index(tuple(cb.indices), sparse_shape) if cb.nnz else np.zeros(0, np.int64)
        keep = np.isin(la, lb)
        at = np.searchsorted(lb, la[keep])
        product = SparseCOOData(ca.indices[:, keep], ca.values[keep] * cb.values[at], a.shape, True)
        return SparseCompressedData.from_coo(product, a.layout, a.blocksize, a.batch_dim)
    if b.__class__ is SparseCOOData:
        raise RuntimeError("mul: a compressed sparse tensor and a sparse COO tensor cannot be multiplied; convert "
                           "one with .to_sparse(layout=...) so both have one layout")
    b = np.asarray(b)
    if np.broadcast_shapes(a.shape, b.shape) != a.shape:
        raise RuntimeError(f"mul: a sparse tensor of shape {list(a.shape)} cannot be multiplied by a dense one of "
                           f"shape {list(b.shape)} (the result would not keep the sparse tensor's shape)")
    # (a dense factor: a's pattern, each entry times the factor's element there)
    return a.with_values(a.values * a.read_dense(b))


def _divide(a, b):
    if a.__class__ is not SparseCompressedData or not _is_scalar(b):
        raise unsupported(a.layout if a.__class__ is SparseCompressedData else b.layout,
                          "division other than a sparse tensor by a number")
    return a.with_values(a.values / b)


def _matmul(a, b):
    if a.__class__ is SparseCompressedData:
        return a.dot(b)
    return b.T.dot(np.asarray(a).T).T  # dense @ sparse, as (sparse.T @ dense.T).T


_UFUNC_KERNELS = {
    "add": _add,
    "subtract": lambda a, b: _add(a, b, sign=-1),
    "multiply": _multiply,
    "true_divide": _divide,
    "divide": _divide,
    "matmul": _matmul,
}


def _sum(a, axis=None, dtype=None, keepdims=False, **kwargs):
    return np.add.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)


_FUNCTION_KERNELS = {
    "swapaxes": lambda a, d0, d1: a.swapaxes(d0, d1),
    "transpose": lambda a, axes=None: a.transpose(axes),
    "sum": _sum,
    "copy": lambda a, **kw: a.copy(),
    "conj": lambda a: a.conj(),
    "conjugate": lambda a: a.conj(),
    "matmul": _matmul,
    "dot": _matmul,
}
SparseCompressedData.FUNCTION_KERNELS = _FUNCTION_KERNELS
