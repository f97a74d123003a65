"""Elementwise NumPy kernels of many passes, run block by block.

A kernel written as a dozen or more ufunc calls (GELU with its erf: ~40) reads and writes every
temporary once per call; over a layer's activations (1024 x 512 float32 = 2 MB an array) those
temporaries do not fit in the cache and each pass goes to memory, several times slower than the
same pass over a block that stays in L2. ``in_blocks`` cuts same-shape operands into blocks of
``BLOCK`` elements and runs the kernel on each, so the temporaries of one block are reused while
they are hot. The values are the kernel's own: elementwise kernels do not see the cut.
"""
from __future__ import annotations

import numpy as np

from ...memory_layout import _dense_order

# elements per block: a float32 temporary of 256 KB; a kernel's dozen live temporaries stay in
# L2/L3, and the Python cost of a block's ufunc calls (~1 us each) stays small beside their work
BLOCK = 1 << 16


def in_blocks(kernel, *arrays):
    """``kernel(*arrays)`` for NumPy arrays of one shape, computed a block at a time into one
    result array (the dtype of the first block's result). A small input is one block."""
    first = arrays[0]
    if first.ndim == 0:  # (a 0-d array's ufunc results are scalars, which in-place steps cannot write)
        return kernel(*(a.reshape(1) for a in arrays)).reshape(())
    if first.size <= BLOCK:
        return kernel(*arrays)
    if not first.flags.c_contiguous and all(a.strides == first.strides for a in arrays[1:]):
        # operands in one transposed or channels-last layout: run on the views that read them in
        # memory order and give the result that layout too (as PyTorch's elementwise kernels do)
        order = _dense_order(first)
        if order is not None:
            back = tuple(sorted(range(first.ndim), key=order.__getitem__))
            return in_blocks(kernel, *(a.transpose(order) for a in arrays)).transpose(back)
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    head = kernel(*(f[:BLOCK] for f in flat))
    out = np.empty(first.size, head.dtype)
    out[:BLOCK] = head
    for start in range(BLOCK, first.size, BLOCK):
        out[start:start + BLOCK] = kernel(*(f[start:start + BLOCK] for f in flat))
    return out.reshape(first.shape)
