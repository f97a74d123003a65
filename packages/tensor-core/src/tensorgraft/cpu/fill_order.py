"""The order in which PyTorch's CPU samplers fill a tensor, for the PyTorch-matching stream.

An in-place sampler (``t.uniform_()``, ``t.bernoulli_(p)``, the dropout mask of a transposed
input) draws one value after another while walking the tensor's *memory* (strides from the largest
to the smallest), fills a complex tensor through its float view (real, imaginary, real, ...), and
takes the bulk normal path only for a contiguous tensor (``random_stream.py``). These helpers lay
values drawn in that order out in the tensor's logical shape.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["memory_axes", "to_memory_order", "from_memory_order", "fill_values"]


def memory_axes(a) -> tuple:
    """The axes of the array ``a`` from the largest stride to the smallest (ties in order):
    ``a.transpose(axes)`` walked in C order visits ``a``'s memory in order."""
    strides = a.strides
    return tuple(sorted(range(a.ndim), key=lambda i: -abs(strides[i])))


def to_memory_order(a, axes):
    return a.transpose(axes)


def from_memory_order(values, axes):
    """``values``, laid out in memory order by ``axes``, back in the logical axes."""
    return values.transpose(np.argsort(axes)) if axes != tuple(range(len(axes))) else values


def fill_values(like, draw):
    """The values an in-place sampler writes into an array laid out as ``like``: ``draw(shape,
    dtype, serial)`` makes them in PyTorch's order (``dtype`` a real float or integer dtype;
    ``serial`` True where PyTorch draws element by element: a non-contiguous tensor)."""
    axes = memory_axes(like)
    shape = tuple(like.shape[i] for i in axes)
    serial = not like.flags.c_contiguous
    if _np_kind(like.dtype) == "c":
        part = np.float32 if like.dtype == np.complex64 else np.float64
        parts = np.ascontiguousarray(draw(shape + (2,), part, serial))
        values = parts.view(like.dtype).reshape(shape)
    else:
        values = draw(shape, like.dtype, serial)
    return from_memory_order(values, axes)
