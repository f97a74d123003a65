"""A specialised CUDA kernel for ``example.swish`` (one fused CuPy ``ElementwiseKernel`` instead of
the generic kernel's four array operations).

Only registered when CuPy is importable; the kernel is compiled on first use, so registering it
costs nothing at import time.
"""
from __future__ import annotations

_kernel = None


def _swish_kernel():
    global _kernel
    if _kernel is None:
        import cupy
        _kernel = cupy.ElementwiseKernel(
            "T x, T beta", "T y",
            "y = x / (T(1) + exp(-beta * x))",
            "tensorgraft_example_swish")
    return _kernel


def swish_cuda(a, beta):
    """Same arguments as the generic kernel, without ``xp``."""
    if a.dtype.kind != "f":  # the frontend promotes to float; keep other dtypes on the generic path
        import cupy
        from .ops import swish_kernel
        return swish_kernel(cupy, a, beta)
    return _swish_kernel()(a, a.dtype.type(beta))
