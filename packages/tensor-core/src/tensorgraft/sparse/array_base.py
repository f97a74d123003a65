"""What the arrays behind sparse tensors share: ``SparseCOOData`` (coo_data.py) and
``SparseCompressedData`` (compressed_data.py) both stand in for a NumPy array in a Tensor's ``_data``.

They answer the metadata an array answers (``shape``, ``dtype``, ``ndim``, ``size``, ``itemsize``)
from their ``values`` and ``shape``, so ``t.shape``, ``t.dtype`` and ``t.numel()`` need no sparse
case; they route Python's operators to NumPy's ufuncs and NumPy's functions to a table of kernels
of their own (NumPy's override protocol), so the ops' kernels reach them without a check on the
dense path; anything without a kernel raises the layout's error, naming what to do.
"""
from __future__ import annotations

import math

import numpy as np


def dispatch_key(data) -> str | None:
    """The backend PyTorch names for a tensor's array in "Could not run ..." messages:
    "SparseCPU" for COO, "SparseCsrCPU" for every compressed layout, None for a dense array."""
    if not isinstance(data, SparseArray):
        return None
    return "SparseCsrCPU" if hasattr(data, "plain") else "SparseCPU"


def no_aten_kernel(name: str, *arrays) -> NotImplementedError:
    """PyTorch's refusal of an operator without a kernel for the first sparse array among
    ``arrays`` (``aten::equal``, ``aten::count_nonzero.dim_IntList`` ...), for the ops whose dense
    frontends would otherwise compute a wrong answer from a sparse array."""
    key = next(k for k in map(dispatch_key, arrays) if k is not None)
    return NotImplementedError(f"Could not run 'aten::{name}' with arguments from the '{key}' backend. This could be "
                               f"because the operator doesn't exist for this backend: convert the sparse tensor with "
                               f".to_dense() first")


class SparseArray:
    """The shared part; a subclass has ``values``, ``shape`` and ``_cache`` slots, a
    ``FUNCTION_KERNELS`` table (NumPy function name -> kernel) and ``no_kernel(name)``/
    ``unsupported(what)`` building its layout's errors."""

    __slots__ = ()

    # NumPy's binary operators and functions defer to these classes' overrides
    __array_priority__ = 1000

    FUNCTION_KERNELS: dict = {}

    def no_kernel(self, name: str) -> Exception:
        raise NotImplementedError

    def unsupported(self, what: str) -> Exception:
        raise NotImplementedError

    def _cached(self, key, build):
        """What is derived from the index arrays alone, kept with them (they are read-only, so it
        cannot go stale; the values may change in place and are never cached)."""
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        value = cache.get(key)
        if value is None:
            value = cache[key] = build()
        return value

    # ------------------------------------------------------------------ what an array answers
    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.values.itemsize

    # ------------------------------------------------------------------ operators: NumPy's ufuncs
    # Comparisons are elementwise, as an array's: ``r != r`` (the NaN test in sign's kernel) keeps a COO
    # pattern; the others raise the missing-kernel error instead of Python's identity answer, which
    # a kernel would have taken for a mask. (Hashing stays by identity: the data caches use it.)
    def __ne__(self, other):
        return np.not_equal(self, other)

    def __eq__(self, other):
        return np.equal(self, other)

    def __lt__(self, other):
        return np.less(self, other)

    def __le__(self, other):
        return np.less_equal(self, other)

    def __gt__(self, other):
        return np.greater(self, other)

    def __ge__(self, other):
        return np.greater_equal(self, other)

    __hash__ = object.__hash__

    def __add__(self, other):
        return np.add(self, other)

    def __radd__(self, other):
        return np.add(other, self)

    def __sub__(self, other):
        return np.subtract(self, other)

    def __rsub__(self, other):
        return np.subtract(other, self)

    def __mul__(self, other):
        return np.multiply(self, other)

    def __rmul__(self, other):
        return np.multiply(other, self)

    def __truediv__(self, other):
        return np.true_divide(self, other)

    def __neg__(self):
        return np.negative(self)

    def __pow__(self, other):
        return np.power(self, other)

    # ------------------------------------------------------------------ NumPy's override protocol
    def __array__(self, dtype=None, copy=None):
        raise self.unsupported("this operation (it needs the values as a dense array)")

    def __array_function__(self, func, types, args, kwargs):
        kernel = self.FUNCTION_KERNELS.get(func.__name__)
        if kernel is None:
            raise self.no_kernel(func.__name__)
        return kernel(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.no_kernel(name)
