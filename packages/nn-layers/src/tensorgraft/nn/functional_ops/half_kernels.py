"""Kernels that reproduce how ATen's CPU kernels round float16 and bfloat16 where they do not compute
in float32 and round once.

The registry runs a kernel on float32 copies of half operands and rounds its result once
(``tensorgraft/ops/_bfloat16.py``), which is what most of ATen's CPU kernels do (their "opmath").
Some do not: composites made of several ATen ops round after each op (those are written in the
half type in their own modules, with ``bf16_native=True``), and a few native kernels accumulate in
``scalar_t`` itself. The latter are here, each checked element for element against PyTorch 2.13.
"""
from __future__ import annotations

import itertools
import math

import numpy as np


def adaptive_avg3d_half(x, sizes):
    """ATen's CPU adaptive_avg_pool3d for float16/bfloat16: each bin summed in the half type, one
    rounding per element in (t, h, w) order, then divided by its depth, height and width in turn,
    each rounded (``scalar_t sum``; ``sum / kT / kH / kW``). Gathered as (..., bins, bin elements)
    with positions past a bin's end reading an appended zero (adding it is exact), summed by
    ``add.accumulate``, which rounds after each element as ATen does."""
    n_in, n_out = sizes
    half = x.dtype
    if x.size == 0 or min(n_out) == 0:
        return np.zeros(x.shape[:2] + tuple(n_out), half)
    index, counts = [], []
    for n, o in zip(n_in, n_out):
        i = np.arange(o)
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        k = np.arange(int((end - start).max()))
        index.append(np.where(k < (end - start)[:, None], start[:, None] + k, n))  # (o, K); n: the zero
        counts.append((end - start).astype(half))
    xz = np.pad(x, [(0, 0), (0, 0), (0, 1), (0, 1), (0, 1)])
    t, h, w = index
    g = xz[:, :, t[:, :, None, None, None, None], h[:, :, None, None], w]  # (B, C, oT, KT, oH, KH, oW, KW)
    B, C, oT, KT, oH, KH, oW, KW = g.shape
    g = g.transpose(0, 1, 2, 4, 6, 3, 5, 7).reshape(B, C, oT, oH, oW, KT * KH * KW)
    s = np.add.accumulate(g, axis=-1)[..., -1]
    s = s / counts[0][:, None, None]
    s = s / counts[1][:, None]
    return np.ascontiguousarray(s / counts[2])


def batch_norm_float16(x, w, b, rm, rv, training, momentum, eps):
    """ATen's CPU batch norm for a float16 input (batch_norm_kernel.cpp, its reduced-float kernels)
    as PyTorch 2.13 rounds it (found by comparing outputs element for element): the mean and the
    sum of squared deviations from it are summed in float32; in training the mean and ``invstd =
    1 / sqrt(var_sum / n + eps)`` are saved in the parameters' dtype (float16, or float32 for float32
    parameters), so rounded to it; evaluation takes ``invstd`` from the running variance in float32,
    unrounded. Then ``alpha = invstd * weight`` and ``beta = bias - mean * alpha`` in float32 and the
    output ``x * alpha + beta`` (a fused multiply-add) rounded once. The running statistics are
    updated from the unrounded float32 statistics, in double precision. Returns (output, xhat,
    invstd), the last two float32 for the backward; ``rm``/``rv`` are updated in place. (bfloat16
    rounds differently again in training; it keeps the float32-then-round-once computation.)"""
    f32 = np.float32
    C = x.shape[1]
    n = x.size // C
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, C) + (1,) * (x.ndim - 2)
    pt = next((p.dtype for p in (w, b, rm, rv) if p is not None), x.dtype)  # (ATen's param_t)
    xf = x.astype(f32)
    if training:
        mean_f = (xf.sum(axis=axes, dtype=np.float64) / n).astype(f32)
        var_sum = np.square(xf - mean_f.reshape(shape)).sum(axis=axes, dtype=np.float64).astype(f32)
        mean = mean_f.astype(pt).astype(f32)
        invstd = (f32(1) / np.sqrt(var_sum / f32(n) + f32(eps))).astype(pt).astype(f32)
        if rm is not None:
            rm[...] = momentum * mean_f.astype(np.float64) + (1 - momentum) * rm.astype(np.float64)
        if rv is not None:
            unbiased = (var_sum / f32(max(n - 1, 1))).astype(np.float64)
            rv[...] = momentum * unbiased + (1 - momentum) * rv.astype(np.float64)
    else:
        mean = rm.astype(f32)
        invstd = f32(1) / np.sqrt(rv.astype(f32) + f32(eps))
    alpha = invstd if w is None else invstd * w.astype(f32)
    beta = (f32(0) if b is None else b.astype(f32)) - mean * alpha
    out = (xf.astype(np.float64) * alpha.reshape(shape) + beta.reshape(shape)).astype(f32).astype(x.dtype)
    xhat = (xf - mean.reshape(shape)) * invstd.reshape(shape)
    return out, xhat, invstd


def conv_transpose_half(x, w, b, stride, pads, dil, groups, out_sp):
    """ATen's CPU transposed convolution for float16/bfloat16 (found by comparing outputs element for
    element with PyTorch 2.13 on an x86 CPU with half-precision oneDNN support). Per group a GEMM
    makes the columns (Cout*K values per input position, summed in float32), and col2im adds the K
    taps into the output one after another. Which kernel runs decides the rounding:

    - oneDNN (``use_mkldnn``: taken unless an output padding reaches its stride): all
      in float32, the output starting as the bias, rounded once at the end;
    - the native slow_conv_transpose (a big output padding): the columns rounded to the half
      type, col2im adding in it (each add rounded), then the bias added (rounded).

    (On a CPU without half-precision oneDNN support PyTorch takes the native kernel always.)
    ``x`` (N, Cin, *sp), ``w`` (Cin, Cout/g, *k), ``pads`` (lo, hi) per dim (equal for a transposed
    conv); returns (N, Cout, *out_sp)."""
    N, Cin = x.shape[:2]
    sp = x.shape[2:]
    ks = w.shape[2:]
    Og = w.shape[1]
    Ig = Cin // groups
    f32 = np.float32
    pads = pads[::2]
    full = [(s - 1) * st + (k - 1) * d + 1 for s, st, k, d in zip(sp, stride, ks, dil)]
    out_pad = [o + 2 * p - f for o, p, f in zip(out_sp, pads, full)]
    native = any(op >= st for op, st in zip(out_pad, stride))
    acc = x.dtype if native else f32
    # the uncropped output (before the padding is cut off; output_padding may reach past it)
    ext = [max(f, o + p) for f, o, p in zip(full, out_sp, pads)]
    out = np.zeros((N, Og * groups) + tuple(ext), acc)
    if b is not None and not native:
        out += b.astype(f32).reshape((1, -1) + (1,) * len(sp))
    xf = x.reshape(N, groups, Ig, math.prod(sp)).astype(f32)
    wf = w.reshape(groups, Ig, Og * math.prod(ks)).astype(f32)
    cols = np.matmul(wf.transpose(0, 2, 1)[None], xf).reshape((N, groups * Og) + tuple(ks) + tuple(sp))
    cols = cols.astype(acc, copy=False)
    for tap in itertools.product(*(range(k) for k in ks)):
        idx = (slice(None), slice(None)) + tuple(slice(t * d, t * d + (s - 1) * st + 1, st)
                                                 for t, d, s, st in zip(tap, dil, sp, stride))
        out[idx] += cols[(slice(None), slice(None)) + tap]
    crop = (slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pads, out_sp))
    out = np.ascontiguousarray(out[crop]).astype(x.dtype, copy=False)
    if b is not None and native:
        out += b.reshape((1, -1) + (1,) * len(sp))
    return out
