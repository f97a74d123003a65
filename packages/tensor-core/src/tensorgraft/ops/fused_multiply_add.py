"""``y + alpha * x`` rounded once (a fused multiply-add), as PyTorch's CPU kernels round it.

PyTorch's vectorised CPU kernels end ``add``/``sub``/``rsub`` with ``alpha=``, ``lerp`` and the
optimizers' updates built on them (``p.add_(g, alpha=-lr)``, ``exp_avg.lerp_(g, 1 - beta1)``) in a
fused multiply-add: the product is not rounded before the sum. NumPy has no fused multiply-add, and
its two ufuncs (``alpha * x``, then ``+ y``) land one float32 step off PyTorch in 2-20% of the
elements, so trained weights drift apart from PyTorch's in the last bits after a few steps.

BLAS's ``axpy`` (``y += alpha * x``) is that fused multiply-add, one vectorised pass over ``x`` and
``y`` (OpenBLAS's kernels use the FMA instructions of the CPUs PyTorch's vectorised kernels need):
the values are PyTorch's bit for bit and the update reads and writes each value once instead of
going through a temporary, ~4x faster than the two ufuncs on 100K float32 values. SciPy (a
dependency of tensor-core already) wraps it as ``scipy.linalg.blas.saxpy``/``daxpy``; its linalg
package is imported at the first use (0.1-0.2 s, once), not with tensorgraft.

float32 and float64 only: the half types compute in float32 and round once on their own paths
(``_frontend/half_alpha.py``, ``optim/_half_precision.py``); complex and integer arithmetic has no
rounding to fuse differently (PyTorch's complex kernels do not fuse either).
"""
from __future__ import annotations

import numpy as np

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_BLAS_MAX_LENGTH = 2 ** 31 - 1  # (SciPy's BLAS wrappers take 32-bit lengths)
_axpy: dict = {}  # dtype -> SciPy's axpy wrapper, filled at the first use


def _axpy_for(dtype):
    """SciPy's axpy for ``dtype``, or None where SciPy's BLAS cannot be loaded (the callers then
    keep NumPy's two roundings)."""
    fn = _axpy.get(dtype, _axpy)
    if fn is _axpy:
        try:
            from scipy.linalg import blas
        except ImportError:
            _axpy[_F32] = _axpy[_F64] = None
            return None
        _axpy[_F32], _axpy[_F64] = blas.saxpy, blas.daxpy
        from ..threads import limit_new_libraries
        limit_new_libraries()  # (SciPy's OpenBLAS is its own library: set_num_threads' limit extends to it)
        fn = _axpy[dtype]
    return fn


def add_scaled_(y, alpha, x) -> bool:
    """``y += alpha * x`` in place, each element rounded once. False, with ``y`` untouched, unless
    ``y`` and ``x`` are NumPy float32/float64 arrays of one dtype and shape and ``y`` is writable
    (then the caller's own arithmetic applies)."""
    if y.__class__ is not np.ndarray or x.__class__ is not np.ndarray:
        return False
    dt = y.dtype
    if x.dtype is not dt or (dt is not _F32 and dt is not _F64) or x.shape != y.shape or not y.flags.writeable:
        return False
    if y.size == 0:
        return True
    if y.size > _BLAS_MAX_LENGTH:
        return False
    if y.flags.c_contiguous:
        order = "C"
    elif y.flags.f_contiguous:
        order = "F"
    else:  # a strided view: computed in a contiguous copy, then written back
        work = np.ascontiguousarray(y)
        if not add_scaled_(work, alpha, x):
            return False
        y[...] = work
        return True
    flat_y = y.reshape(-1, order=order)  # (a view: y is contiguous in that order)
    flat_x = x.reshape(-1, order=order)  # (a copy where x's layout differs)
    axpy = _axpy_for(dt)
    if axpy is None:
        return False
    if flat_x is not flat_y and x is not y and np.may_share_memory(flat_x, flat_y):
        flat_x = flat_x.copy()  # (x overlaps y in another element order: read it before y changes)
    result = axpy(flat_x, flat_y, a=alpha)
    if result is not flat_y and not np.shares_memory(result, flat_y):
        flat_y[...] = result  # (the wrapper copied y after all: write its result back)
    return True


def scaled_sum(base, alpha, x):
    """``base + alpha * x`` as a new array (the operands broadcast), each element rounded once; None
    unless both are NumPy float32/float64 arrays of one dtype."""
    if base.__class__ is not np.ndarray or x.__class__ is not np.ndarray:
        return None
    dt = base.dtype
    if x.dtype is not dt or (dt is not _F32 and dt is not _F64):
        return None
    shape = base.shape if base.shape == x.shape else np.broadcast_shapes(base.shape, x.shape)
    if base.shape == shape:
        out = base.copy(order="K")  # (keeps a transposed operand's layout, as the ufunc would)
    else:
        out = np.empty(shape, dt)
        out[...] = base
    if not add_scaled_(out, alpha, x if x.shape == shape else np.broadcast_to(x, shape)):
        return None
    return out


# lerp computes ``end - start`` before its multiply-add; in blocks of this many elements that
# difference stays in the CPU's cache (and a block-sized scratch replaces a whole-array allocation,
# whose page faults cost as much as the arithmetic): ~1.7x faster on 1.2 M values
_LERP_BLOCK = 1 << 16


def lerp_into(out, start, end, weight) -> bool:
    """``out = start + weight * (end - start)`` for a number ``weight``, as PyTorch's kernel: one
    fused multiply-add from the nearer end (``end + (weight - 1) * (end - start)`` from 0.5 on, exact
    at both ends), ``weight - 1`` in the dtype. ``out`` may be ``start`` (``lerp_``). False, with
    nothing written, unless the three are NumPy float32/float64 arrays of one dtype and shape, laid
    out alike in one contiguous order, ``out`` writable and sharing no memory with the other two
    (except being ``start`` itself)."""
    if out.__class__ is not np.ndarray or start.__class__ is not np.ndarray or end.__class__ is not np.ndarray:
        return False
    dt = out.dtype
    if (dt is not _F32 and dt is not _F64) or start.dtype is not dt or end.dtype is not dt \
            or not out.shape == start.shape == end.shape or not out.flags.writeable:
        return False
    n = out.size
    if n > _BLAS_MAX_LENGTH:
        return False
    if out.flags.c_contiguous and start.flags.c_contiguous and end.flags.c_contiguous:
        order = "C"
    elif out.flags.f_contiguous and start.flags.f_contiguous and end.flags.f_contiguous:
        order = "F"
    else:
        return False
    if np.may_share_memory(out, end) or (start is not out and np.may_share_memory(out, start)):
        return False  # (a block written before the next one is read)
    if n == 0:
        return True
    w = dt.type(weight)
    small = abs(w) < 0.5
    coeff = w if small else w - dt.type(1)
    if out.ndim == 1:
        flat_out, flat_start, flat_end = out, start, end
    elif order == "C":
        flat_out, flat_start, flat_end = out.reshape(-1), start.reshape(-1), end.reshape(-1)
    else:
        flat_out, flat_start, flat_end = out.reshape(-1, order="F"), start.reshape(-1, order="F"), end.reshape(-1, order="F")
    flat_base = flat_start if small else flat_end
    copy_base = not (small and start is out)
    axpy = _axpy_for(dt)
    if axpy is None:
        return False
    scratch = np.empty(min(n, _LERP_BLOCK), dt)
    for lo in range(0, n, _LERP_BLOCK):
        hi = lo + _LERP_BLOCK
        block = flat_out[lo:hi]
        d = scratch[:block.size]
        np.subtract(flat_end[lo:hi], flat_start[lo:hi], out=d)
        if copy_base:
            block[...] = flat_base[lo:hi]
        result = axpy(d, block, a=coeff)
        if result is not block:
            block[...] = result
    return True
