"""Separable resampling for ``interpolate``: every mode maps each spatial dim through an
(out, in) weight matrix built on the host from that mode's filter (nearest, linear, cubic with
A = -0.75, the anti-aliased triangle/cubic/Lanczos-3 filters, area bins). The device applies the
matrices with matmul; the backward applies their transposes, which is the same op again (it is
linear), so double backward records through it too. The node is named as PyTorch's
(``UpsampleBicubic2DBackward0``).

The weights follow ATen's index arithmetic, in its "opmath" precision (float32 for float32 and
half inputs, float64 for float64): nearest indices in float32 always, as ATen does."""
from __future__ import annotations

import functools
import math

import numpy as np

from tensorgraft.dtypes import np_kind as _np_kind

from ._common import formula, gs, nnop, record, wrap
from .norm import suggested_layout

CUBIC_A = -0.75   # PyTorch's (and OpenCV's) cubic convolution coefficient; the anti-aliased filter uses -0.5


def _scale(n_in, n_out, align_corners, scale, dt):
    """ATen's ``area_pixel_compute_scale``: the step in input coordinates per output pixel."""
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0.0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n_in) / dt(n_out)


def _nearest(n_in, n_out, scale, exact, shortcuts):
    dst = np.arange(n_out)
    if shortcuts and n_out == n_in:
        src = dst
    elif shortcuts and n_out == 2 * n_in:
        src = dst >> 1
    else:
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
        pos = (dst.astype(np.float32) + np.float32(0.5 if exact else 0.0)) * s
        src = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    m = np.zeros((n_out, n_in))
    m[dst, src] = 1
    return m


def _linear(n_in, n_out, align_corners, scale, dt, half=None):
    m = np.zeros((n_out, n_in))
    dst = np.arange(n_out)
    if n_out == n_in:
        m[dst, dst] = 1
        return m
    s = _scale(n_in, n_out, align_corners, scale, dt)
    d = dst.astype(dt)
    src = d * s if align_corners else np.maximum(s * (d + dt(0.5)) - dt(0.5), dt(0))
    i0 = src.astype(np.int64)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    lam = np.clip(src - i0.astype(dt), 0, 1)
    lam0 = 1 - lam
    if half is not None:
        # a half input's weights are stored in its dtype: lambda1 rounded, lambda0 = 1 - that, rounded
        lam = lam.astype(half).astype(dt)
        lam0 = (dt(1) - lam).astype(half).astype(dt)
    np.add.at(m, (dst, i0), lam0)
    np.add.at(m, (dst, i1), lam)
    return m


def _cubic1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic(n_in, n_out, align_corners, scale, dt, half=None):
    """Four taps at floor(src) - 1 .. + 2, indices clamped to the border (no clamping of the
    source coordinate itself: it may be negative, as ATen's ``cubic=true``)."""
    s = _scale(n_in, n_out, align_corners, scale, dt)
    dst = np.arange(n_out)
    d = dst.astype(dt)
    src = d * s if align_corners else s * (d + dt(0.5)) - dt(0.5)
    i0 = np.floor(src).astype(np.int64)
    t = src - i0.astype(dt)
    a = dt(CUBIC_A)
    one = dt(1)
    w = (_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a), _cubic2((one - t) + one, a))
    if half is not None:
        w = tuple(wk.astype(half).astype(dt) for wk in w)   # (ATen stores the weights in the half type)
    m = np.zeros((n_out, n_in))
    for k in range(4):
        np.add.at(m, (dst, np.clip(i0 - 1 + k, 0, n_in - 1)), w[k])
    return m


def _aa_triangle(x):
    return np.maximum(1 - np.abs(x), 0)


def _aa_cubic(x):
    x = np.abs(x)
    a = x.dtype.type(-0.5)
    return np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0))


def _sinc(x):
    px = x * x.dtype.type(math.pi)
    return np.where(x == 0, 1, np.sin(px) / np.where(x == 0, 1, px))


def _aa_lanczos(x):
    return np.where((x >= -3) & (x < 3), _sinc(x) * _sinc(x / 3), 0)


_AA = {"bilinear": (_aa_triangle, 2), "bicubic": (_aa_cubic, 4), "lanczos": (_aa_lanczos, 6)}


def _antialiased(n_in, n_out, align_corners, scale, dt, mode):
    """The filter widened by the downscale factor (support and argument scaled by it), each row
    normalised to sum 1: PIL's resampling, as PyTorch's ``antialias=True``."""
    filt, taps = _AA[mode]
    if n_in == n_out:   # ATen skips the pass over an axis that keeps its length
        return np.eye(n_in)
    s = _scale(n_in, n_out, align_corners, scale, dt)
    support = dt(taps / 2) * s if s >= 1 else dt(taps / 2)
    inv = dt(1) / s if s >= 1 else dt(1)
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = s * dt(i + 0.5)
        lo = max(int(center - support + dt(0.5)), 0)
        hi = min(int(center + support + dt(0.5)), n_in)
        w = filt((np.arange(lo, hi).astype(dt) - center + dt(0.5)) * inv).astype(dt)
        tot = w.sum()
        m[i, lo:hi] = w / tot if tot != 0 else w
    return m


def _area(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        a, b = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, a:b] = 1.0 / (b - a)
    return m


@functools.lru_cache(maxsize=256)
def weights(n_in, n_out, mode, align_corners, scale, antialias, opmath, nsp, half=None):
    """The (n_out, n_in) float64 matrix of ``mode`` over one of ``nsp`` spatial dims (read-only:
    it is cached). ATen's forward kernels take shortcuts for an axis that keeps its length (and
    nearest 2-D for an exact doubling) whatever the scale factor says; where they do, so do these
    matrices. Gradients are their exact transposes. ``half``: the float16/bfloat16 dtype whose
    rounding ATen's generic N-d kernel gives the linear and cubic weights (it stores them in the
    input's dtype), else None."""
    dt = np.dtype(opmath).type
    if mode in ("nearest", "nearest-exact"):
        m = _nearest(n_in, n_out, scale, mode == "nearest-exact", mode == "nearest" and nsp == 2)
    elif mode == "area":
        m = _area(n_in, n_out)
    elif antialias or mode == "lanczos":
        m = _antialiased(n_in, n_out, align_corners, scale, dt, mode)
    elif mode == "bicubic":
        m = _cubic(n_in, n_out, align_corners, scale, dt, half)
    else:
        m = _linear(n_in, n_out, align_corners, scale, dt, half)
    m.setflags(write=False)
    return m


# ------------------------------------------------------------------ the op
def _resample_kernel(xp, x, mats):
    """Apply ``mats[i]`` (out, in) along the i-th of the trailing ``len(mats)`` dims, computing in
    the matrices' dtype (float32 for half inputs and for uint8, which rounds and saturates back)."""
    out_dtype = x.dtype
    like = x
    cdt = next(m.dtype for m in mats if m is not None)
    if x.dtype != cdt:
        x = x.astype(cdt)
    off = x.ndim - len(mats)
    for i, m in enumerate(mats):
        if m is None:
            continue
        ax = off + i
        x = xp.moveaxis(xp.matmul(xp.moveaxis(x, ax, -1), m.T), -1, ax)
    if out_dtype != cdt:
        if out_dtype.kind in "iu":
            x = xp.clip(xp.rint(x), 0, 255)
        x = x.astype(out_dtype)
    return suggested_layout(xp, x, like)


def compute_dtype(dt, mode):
    """Half inputs resample in float32 (ATen's opmath); uint8 reaches here for nearest only (0/1
    weights, exact in any dtype): its filter modes go through ``resample_uint8``'s fixed point."""
    if _np_kind(dt) == "f" and dt.itemsize < 4:
        return np.dtype(np.float32)
    if dt.kind in "iu" and mode not in ("nearest", "nearest-exact"):
        return np.dtype(np.float32)
    return dt


def resample_op(input, mats, node_name):
    """``input`` resampled by the device matrices ``mats`` (one per trailing spatial dim, None to
    leave a dim alone); recorded under ``node_name``."""
    res = wrap(_RESAMPLE.table[input._device.type](input._data, mats), input._device)
    if gs.enabled and input._requires_grad:
        record(_RESAMPLE, res, (input,), {"mats": mats, "node": node_name}, node_name=node_name)
    return res


_RESAMPLE = nnop("resample", _resample_kernel, resample_op)


@formula("resample", saves=())
def _resample_grad(node, g):
    a = node.attrs
    back = a["node"].replace("Backward0", "BackwardBackward0")
    return (resample_op(g, [None if m is None else m.T for m in a["mats"]], back),)


def device_matrices(xp, host, dtype):
    return [None if m is None else xp.asarray(m.astype(dtype)) for m in host]
