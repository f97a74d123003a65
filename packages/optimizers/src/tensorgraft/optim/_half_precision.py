"""float16/bfloat16 parameters: each op of an update computed in float32 and rounded once, as PyTorch.

PyTorch's CPU kernels compute a half-type op in float32 (its "opmath" type) and round the result to
the tensor's dtype: ``exp_avg.lerp_(grad, 1 - beta1)``, ``addcmul_``, ``addcdiv_``, ``add_`` with an
``alpha`` each round once, and a Python scalar enters as a float32 (0.999 stays 0.999, not
float16's 0.99902). NumPy's half arithmetic rounds after every ufunc and casts the scalar to the half
type (PyTorch does that only for ``add``'s scalar and ``alpha``: ``half_scalar``), so a kernel run
on the half arrays themselves lands one half-type step off on a share of the
elements after every step. An optimizer that sets ``_half_opmath = True`` has its kernel run on
float32 copies of the bucket's chunk instead (``run_in_float32``); the kernel calls
``round_to_half_`` where one of PyTorch's ops ends inside it, and the parameter and the half-type
state are rounded back once at the end. For float32/float64 buckets ``round_to_half_`` does nothing,
so one kernel serves every dtype.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.ops._bfloat16 import BF16, F16, narrow, widen_half
from tensorgraft.ops.float16_casts import round_to_float16_
from tensorgraft.ops.fused_multiply_add import add_scaled_ as fused_add_scaled_

HALF_TYPES = (F16, BF16)
_F32 = np.dtype(np.float32)


def round_to_half_(k, *arrays) -> None:
    """Round the float32 ``arrays`` in place to the bucket's half type (``k["half"]``), where one of
    PyTorch's ops would store its result; nothing for a float32/float64 bucket."""
    half = k.get("half")
    if half is None:
        return
    for a in arrays:
        if half is F16:
            round_to_float16_(a)  # (integer arithmetic on the bits: no casts)
        else:
            a[...] = a.astype(half).astype(_F32)


def half_scalar(k, value):
    """``value`` as PyTorch's ``add`` takes it for a half-type tensor: its ``alpha`` (``add_(grad,
    alpha=-lr)``) and a scalar addend (``add_(eps)``) are rounded to the tensor's dtype first (through
    float32, as ``c10::Half(float)``); ``value`` itself for a float32/float64 bucket. (``mul``, ``div``,
    ``lerp``, ``addcmul`` and ``addcdiv`` take their scalars in float32.)"""
    half = k.get("half")
    if half is None:
        return value
    return float(np.asarray(np.float32(value)).astype(half).astype(_F32))


def add_scaled_(xp, y, alpha, x, tmp) -> None:
    """``y.add_(x, alpha=alpha)`` as PyTorch's kernel computes it: ``y + alpha * x`` rounded once (a
    fused multiply-add; BLAS's axpy for NumPy float32/float64 arrays, ``ops/fused_multiply_add.py``),
    else through ``tmp``. The caller rounds ``y`` to a half type where PyTorch's op would."""
    if xp is not np or not fused_add_scaled_(y, alpha, x):
        xp.multiply(x, alpha, out=tmp)
        y += tmp


def multiply_add_(xp, k, out, a, b, c) -> None:
    """``out = a * b + c`` (``b`` an array or a number; ``a`` is scratch, and may be overwritten) as
    PyTorch's vectorised ``lerp_`` and ``addcmul_`` compute it: one fused multiply-add. For a
    half-type bucket the float32 product is exact in float64, so the sum rounds once there, and the
    result is rounded to the half type (a float16 subnormal result can tell the difference). A number
    ``b`` on float32/float64 NumPy arrays (lerp's weight) is BLAS's axpy; an array ``b`` (addcmul's
    second factor) is a multiply and an add there (PyTorch fuses those too, so a last-bit difference
    remains: the price of float64 passes in every float32 step would be too high)."""
    if k.get("half") is None:
        if xp is np and b.__class__ is not np.ndarray and out is not a:
            if out is not c:
                out[...] = c
            if fused_add_scaled_(out, b, a):
                return
            a *= b  # (not float32/float64: out holds c)
            out += a
            return
        a *= b
        xp.add(c, a, out=out)
        return
    fused = a.astype(np.float64)
    fused *= b
    fused += c
    out[...] = fused
    round_to_half_(k, out)


def run_in_float32(kernel, xp, group, k, half, P, G, S, T) -> None:
    """``kernel`` over float32 copies of the half arrays ``P`` (the chunk's parameters), ``G`` and
    ``S`` (the chunk's state; state of another dtype, such as a float32 counter, is passed as it is),
    with float32 scratch; then the parameters and the half state take the results, rounded once."""
    wide_p = widen_half(P)
    wide_s = {name: widen_half(a) for name, a in S.items()}
    scratch = [np.empty(t.shape, dtype=_F32) for t in T]
    kernel(xp, group, {**k, "half": half}, wide_p, widen_half(G), wide_s, scratch)
    P[...] = narrow(wide_p, half)
    for name, a in S.items():
        if a.dtype == half:
            a[...] = narrow(wide_s[name], half)
