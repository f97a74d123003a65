"""Which dtypes a two-operand op's kernel takes, checked before it runs.

PyTorch dispatches an elementwise kernel on the operands' common dtype (type promotion, before
any integer-to-float step) and refuses a dtype it has no loop for: ``torch.hypot`` of two int64
tensors is ``"hypot_cpu" not implemented for 'Long'``. NumPy would instead compute in a dtype of
its choosing (``np.hypot`` of ints gives float64) or fail with its own ufunc message, so the ops
declare what their kernel takes (``binary(..., operand_check=kernel_dtypes("hypot", "f"))``) and
the frontend asks before computing.
"""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from .writes import _type_name, check_cast_dtype



def _device_type(array) -> str:
    """'cpu' for NumPy's arrays (a memmap too), else 'cuda' (CuPy's; the test suite's stand-in
    CuPy subclasses NumPy's array, in a module of its own)."""
    return "cpu" if isinstance(array, (np.ndarray, np.generic)) and type(array).__module__ == "numpy" else "cuda"


def _rank(x):
    if isinstance(x, (bool, int, float, complex)):
        return _dt.SCALAR
    return _dt.ZERO_DIM if x.ndim == 0 else _dt.DIMENSIONED


def _dtype_of(x, rank):
    return _dt._scalar_dtype(x) if rank is _dt.SCALAR else _dt._BY_NUMPY[x.dtype]


def common_dtype_name(a, b) -> str:
    """PyTorch's name of the dtype ``a`` and ``b`` (arrays or Python numbers) promote to, as its
    kernel errors print it. A float16 tensor with a Python complex number is 'ComplexHalf' there
    (tensorgraft has no complex32 and computes such a pair in complex64)."""
    ra, rb = _rank(a), _rank(b)
    da, db = _dtype_of(a, ra), _dtype_of(b, rb)
    common = _dt.binary_result_dtype(da, ra, db, rb)
    if common is _dt.complex64 and (ra is _dt.SCALAR) is not (rb is _dt.SCALAR) \
            and (db if ra is _dt.SCALAR else da) is _dt.float16:
        return "ComplexHalf"
    return _type_name(common.np)


def kernel_dtypes(kernel_stem: str, kinds: str):
    """An ``operand_check`` refusing operands whose common dtype's kind (``dtypes.np_kind``: 'b'
    bool, 'i'/'u' integers, 'f' floats, 'c' complex) is not in ``kinds``, with PyTorch's
    ``"<kernel_stem>_<device>" not implemented for '<dtype>'``. ``every_call``: the frontend runs
    it for operands of one dtype too (other operand checks run only where dtypes meet)."""
    taken = {}  # NumPy dtype -> whether the kernel takes it: operands of one dtype pay a dict lookup

    def check(a, b):
        dt = getattr(a, "dtype", None)
        if dt is not None and dt is getattr(b, "dtype", None) and taken.get(dt):
            return
        ra, rb = _rank(a), _rank(b)
        if ra is _dt.SCALAR or rb is _dt.SCALAR or a.dtype is not b.dtype:
            kind = _dt.np_kind(_dt.binary_result_dtype(_dtype_of(a, ra), ra, _dtype_of(b, rb), rb).np)
        else:
            kind = _dt.np_kind(a.dtype)
        if kind in kinds:
            if ra is not _dt.SCALAR and rb is not _dt.SCALAR and a.dtype is b.dtype:
                taken[a.dtype] = True
        else:
            array = b if ra is _dt.SCALAR else a
            device = _device_type(array)
            raise NotImplementedError(f"\"{kernel_stem}_{device}\" not implemented for '{common_dtype_name(a, b)}'")
    check.every_call = True
    check.takes_integers = "i" in kinds
    return check


def check_inplace_result(dest, other, to_float: bool) -> None:
    """``x.hypot_(y)``: PyTorch refuses a result dtype of a higher category than ``x``'s (a complex
    ``y`` for a float ``x``) before its kernel's dtype check, so an op declaring ``kernel_dtypes``
    has its in-place form check that first. ``dest``, ``other``: an array and an array or number;
    ``to_float``: the op computes integers as floats (copysign, xlogy; not hypot, whose kernel
    refuses them)."""
    rd, ro = _rank(dest), _rank(other)
    common = _dt.binary_result_dtype(_dtype_of(dest, rd), rd, _dtype_of(other, ro), ro)
    check_cast_dtype((_dt.to_float(common) if to_float else common).np, dest.dtype)
