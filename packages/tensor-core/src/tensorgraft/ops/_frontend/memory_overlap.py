"""PyTorch's memory-overlap rules for writes: a result may not be written where reading it would
see the write (``out=`` sharing memory with an input, ``x[1:].copy_(x[:-1])``) nor into memory two of
its elements share (an ``expand``ed ``out``).

PyTorch's kernels refuse three cases, and each op picks the ones it refuses:

- internal overlap: the written tensor has a dimension of stride 0 and length > 1 (``expand``);
- partial overlap: the written tensor and an input share some memory but are not the same elements
  in the same layout (``torch.add(x[1:], 1, out=x[:-1])``); elementwise ops allow the full overlap
  (``torch.add(x, 1, out=x)``: each element is read before it is written);
- any overlap: ops that read elements other than the one they write (``gather``, ``cat``,
  ``index_select``) refuse the full overlap as well.

As in PyTorch, overlap is decided from byte ranges for "dense" tensors only (some order of the
dimensions is a contiguous layout); other strided layouts are not refused. Only tensors that are
views of one root tensor are compared (``same_root``): the cheap test that lets most calls pass.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor

INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                    "location. Please clone() the tensor before performing the operation.")
PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                   "single memory location. Please clone() the tensor before performing the operation.")


def same_root(a, b) -> bool:
    """Whether tensors ``a`` and ``b`` are views of one tensor (the cheap filter before the
    overlap check: most writes come from another tensor)."""
    return (a._base if a._base is not None else a) is (b._base if b._base is not None else b)


def _addressable(a) -> bool:
    """Whether ``a``'s memory address can be read: a NumPy array (or subclass) or a CuPy one (a
    meta tensor's placeholder has none)."""
    return isinstance(a, np.ndarray) or hasattr(getattr(a, "data", None), "ptr")


def check_overlap(dst, src, full_ok=True):
    """PyTorch's ``assert_no_partial_overlap`` (``full_ok``) or ``assert_no_overlap`` for a write of
    array ``src`` into array ``dst`` of the same memory: refused when the byte ranges of the two
    (both dense, as PyTorch can only tell for those) overlap, unless they coincide exactly with the
    same strides and ``full_ok``."""
    if dst is src:
        if full_ok:
            return
        raise RuntimeError(PARTIAL_OVERLAP)
    if not dst.size or not src.size or not (_addressable(dst) and _addressable(src)):
        return
    if not (_dense(dst) and _dense(src)):
        return
    a_lo, a_hi = _byte_range(dst)
    b_lo, b_hi = _byte_range(src)
    if a_lo == b_lo and a_hi == b_hi and full_ok and dst.strides == src.strides:
        return
    if a_lo < b_hi and b_lo < a_hi:
        raise RuntimeError(PARTIAL_OVERLAP)


def has_internal_overlap(a) -> bool:
    """Whether two elements of array ``a`` share memory that PyTorch can tell (a stride of 0; an
    empty array has no elements to share, whatever NumPy's strides for it say)."""
    if not _addressable(a) or not a.size:
        return False
    return any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape))


def check_out_overlap(out, inputs, full_ok=True) -> None:
    """The checks PyTorch makes before writing an op's result into ``out``: no internal overlap,
    and no overlap (partial; any, unless ``full_ok``) with any tensor of ``inputs`` that shares
    ``out``'s root tensor."""
    data = out._data
    if has_internal_overlap(data):
        raise RuntimeError(INTERNAL_OVERLAP)
    for x in inputs:
        if x is out:
            if not full_ok:
                raise RuntimeError(PARTIAL_OVERLAP)
        elif isinstance(x, Tensor) and same_root(out, x):
            check_overlap(data, x._data, full_ok)


# in-place name -> the overlap of self with its tensor operands PyTorch refuses: "partial" (the
# elementwise kernels of three operands, and the comparisons, which are not ``binary_mode`` ops
# here; the logical ones check in ops/inplace.py) or "any"
INPLACE_OVERLAP_CHECKED = {"addcmul_": "partial", "addcdiv_": "partial", "lerp_": "partial", "clamp_": "partial",
                           "clip_": "partial", "index_add_": "any",
                           **{f"{c}_": "partial" for c in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
                                                           "less", "less_equal", "not_equal")}}


def check_operands_overlap(self, operands, full_ok):
    """An in-place op's checks of ``self`` against its tensor ``operands`` (INPLACE_OVERLAP_CHECKED)."""
    root = self._base if self._base is not None else self
    for a in operands:  # (same_root written out for plain tensors: optimizers' addcmul_/lerp_ run this per parameter)
        if a.__class__ is Tensor:
            if (a._base if a._base is not None else a) is not root:
                continue
        elif not (isinstance(a, Tensor) and same_root(self, a)):
            continue
        if a is self:
            if not full_ok:
                raise RuntimeError(PARTIAL_OVERLAP)
        else:
            check_overlap(self._data, a._data, full_ok)


def _dense(a) -> bool:
    """PyTorch's is_non_overlapping_and_dense: some order of the dims is a contiguous layout."""
    expected = a.itemsize
    for st, n in sorted((st, n) for st, n in zip(a.strides, a.shape) if n != 1):
        if st != expected:
            return False
        expected *= n
    return True


def _byte_range(a):
    ptr = a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr
    return ptr, ptr + a.size * a.itemsize  # (dense, non-negative strides)
