"""``interpolate`` of uint8 images (bilinear, bicubic, lanczos; with and without antialias) in
PyTorch's fixed-point arithmetic, bit for bit.

PyTorch does not resample uint8 in float: its CPU kernels (an AVX one for up to 4 channels, a
generic separable one otherwise) follow Pillow's resampler. (They agree but for a bug of the generic
one, not reproduced here: a channels-first image of more than 4 channels resized to width 1 gets
output row 0's vertical taps on every row. tensorgraft gives the result PyTorch gives the same image
channels-last.) Each spatial dim is one pass, the last dim first (horizontal, then vertical),
and a pass is skipped outright when that dim keeps its length, even where a scale factor says
otherwise. A pass:

* builds float64 weights per output pixel: with antialias (and for bilinear without it) Pillow's
  window of filter taps around the pixel centre, taps outside the image dropped and the rest
  normalised to sum 1; for bicubic without antialias the float kernel's four A = -0.75 taps with
  indices clamped to the border, the weights of a repeated index summed;
* picks a precision ``p``, the largest (at most 22) for which the biggest weight times 2**(p+1)
  stays below 2**15, and rounds every weight half away from zero to an int16 of weight * 2**p;
* computes ``(sum(pixel * weight) + 2**(p-1)) >> p`` in integers and clamps it to 0..255 — the
  intermediate image between the two passes is uint8 again.

The sums are exact integers (below 2**24, or else below 2**53), so they are done here as one
float32 (or float64) matmul per pass (BLAS) and floored; the result is the same as the integer
loop. Found by probing torch 2.13 on thousands of random cases (every one matches)."""
from __future__ import annotations

import functools
import math

import numpy as np

from tensorgraft.tensor import wrap

from .norm import suggested_layout

# filter half-widths in input pixels ("interp_size / 2" in ATen)
_SUPPORT = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}


def _triangle(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _keys_cubic_parts(a):
    """The two pieces of cubic convolution with coefficient ``a`` (|x| < 1 and 1 <= |x| < 2), in
    ATen's evaluation order (the last bit of a weight can flip an int16 rounding)."""
    def near(x):
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0

    def far(x):
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return near, far


def _keys_cubic(a):
    """Pillow's antialiased bicubic filter (a = -0.5)."""
    near, far = _keys_cubic_parts(a)

    def f(x):
        x = np.abs(x)
        return np.where(x < 1.0, near(x), np.where(x < 2.0, far(x), 0.0))
    return f


def _lanczos3(x):
    # math.sin, element by element, as the C library's sin (NumPy's SIMD sin may differ by an ulp,
    # which can flip an int16 rounding); the weights are cached, so this is paid once per shape
    def sinc(v):
        return 1.0 if v == 0.0 else math.sin(v * math.pi) / (v * math.pi)
    flat = [sinc(v) * sinc(v / 3.0) if -3.0 <= v < 3.0 else 0.0 for v in x.ravel().tolist()]
    return np.asarray(flat, dtype=np.float64).reshape(x.shape)


def _filter(mode, antialias):
    if mode == "bilinear":
        return _triangle
    if mode == "bicubic":
        return _keys_cubic(-0.5)
    return _lanczos3


def _scale(n_in, n_out, align_corners, scale):
    """ATen's ``area_pixel_compute_scale`` in double."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return n_in / n_out


def _window_weights(n_in, n_out, mode, align_corners, s, antialias):
    """Pillow's per-output window: taps from ``center - support`` to ``center + support``, those
    outside the image dropped, the rest normalised to sum 1 (dense (n_out, n_in) float64)."""
    half = _SUPPORT[mode]
    if antialias:
        support = half * s if s >= 1.0 else half
        taps = int(math.ceil(support)) * 2 + 1
        inv = 1.0 / s if s >= 1.0 else 1.0
    else:
        support, taps, inv = half, int(2 * half), 1.0
    # align_corners without antialias samples at s * i (ATen shifts the pixel centres by half a
    # pixel for this case only)
    delta = 0.5 if (align_corners and not antialias) else 0.0
    center = s * (np.arange(n_out, dtype=np.float64) + (0.5 - delta))
    # int64 casts of C truncate toward zero
    lo = np.maximum(np.trunc(center - support + 0.5 + delta).astype(np.int64), 0)
    hi = np.minimum(np.trunc(center + support + 0.5 + delta).astype(np.int64), n_in)
    size = np.clip(hi - lo, 0, taps)
    j = np.arange(taps)
    live = j[None, :] < size[:, None]
    arg = ((j[None, :] + lo[:, None]).astype(np.float64) - center[:, None] + 0.5 - delta) * inv
    w = np.where(live, _filter(mode, antialias)(arg), 0.0)
    total = np.zeros(n_out)
    for k in range(taps):           # summed tap by tap, in order, as the C loop (not pairwise)
        total += w[:, k]
    nz = total != 0.0
    w[nz] /= total[nz, None]
    m = np.zeros((n_out, n_in))
    rows = np.broadcast_to(np.arange(n_out)[:, None], live.shape)[live]
    m[rows, (lo[:, None] + j[None, :])[live]] = w[live]
    return m


def _cubic_weights(n_in, n_out, align_corners, s):
    """Bicubic without antialias: the float kernel's four A = -0.75 taps at floor(src) - 1 .. + 2,
    indices clamped to the border (replicated edge) and the weights of a repeated index summed
    before they are rounded to int16 (dense (n_out, n_in) float64)."""
    d = np.arange(n_out, dtype=np.float64)
    src = d * s if align_corners else s * (d + 0.5) - 0.5
    i0 = np.floor(src)
    t = src - i0
    c1, c2 = _keys_cubic_parts(-0.75)
    w = (c2(t + 1.0), c1(t), c1(1.0 - t), c2((1.0 - t) + 1.0))
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for k in range(4):
        np.add.at(m, (rows, np.clip(i0.astype(np.int64) - 1 + k, 0, n_in - 1)), w[k])
    return m


@functools.lru_cache(maxsize=256)
def pass_weights(n_in, n_out, mode, align_corners, scale, antialias):
    """The (n_out, n_in) matrix of int16 weights for one pass (as float32 or float64, whichever
    computes its sums exactly) and its precision ``p`` (the matrix is read-only: it is cached)."""
    s = _scale(n_in, n_out, align_corners, scale)
    if mode == "bicubic" and not antialias:
        w = _cubic_weights(n_in, n_out, align_corners, s)
    else:
        w = _window_weights(n_in, n_out, mode, align_corners, s, antialias)
    wt_max = max(float(w.max()), 0.0)
    prec = 0
    while prec < 22 and int(0.5 + wt_max * (1 << (prec + 1))) < (1 << 15):
        prec += 1
    v = w * float(1 << prec)
    q = np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int64).astype(np.int16).astype(np.int64)
    # every partial sum of 0..255 pixels times these weights, plus the rounding offset, is a
    # whole number below this bound: under 2**24 float32 holds them all exactly, in any order of
    # summation, and its matmul is twice as fast; else float64 (exact below 2**53)
    bound = 255 * int(np.abs(q).sum(axis=1).max(initial=0)) + (1 << (prec - 1))
    m = q.astype(np.float32 if bound < (1 << 24) else np.float64)
    m.setflags(write=False)
    return m, prec


def _pass(xp, x, ax, m, prec):
    """One fixed-point pass of ``x`` along ``ax`` (``x`` holds uint8 values as floats): the exact
    integer sums by matmul in ``m``'s dtype, the half-unit offset, an arithmetic shift (a floor),
    the clamp to 0..255 — the result again whole numbers, kept as floats for the next pass."""
    m = xp.asarray(m)
    x = x.astype(m.dtype, copy=False)
    if ax == x.ndim - 1:
        y = xp.matmul(x, m.T)
    elif ax == x.ndim - 2:
        y = xp.matmul(m, x)            # (out, in) @ (..., in, W): no transposed copies
    else:
        y = xp.moveaxis(xp.matmul(xp.moveaxis(x, ax, -1), m.T), -1, ax)
    y += float(1 << (prec - 1))
    y *= 1.0 / (1 << prec)             # exact: a power of two
    xp.floor(y, out=y)
    return xp.clip(y, 0, 255, out=y)


def resample_uint8(xp, x, in_sizes, out_sizes, mode, align_corners, scales, antialias):
    """``x`` (uint8, spatial dims trailing) resized to ``out_sizes``, last dim first."""
    like = x
    off = x.ndim - len(in_sizes)
    for i in reversed(range(len(in_sizes))):
        n_in, n_out = in_sizes[i], out_sizes[i]
        if n_in == n_out:
            continue
        m, prec = pass_weights(n_in, n_out, mode, bool(align_corners), scales[i], bool(antialias))
        x = _pass(xp, x, off + i, m, prec)
    x = x.astype(np.uint8)     # (a copy also when no pass ran, as PyTorch returns a new tensor)
    return suggested_layout(xp, x, like)


def interpolate_uint8(input, in_sizes, out_sizes, mode, align_corners, scales, antialias):
    """The uint8 branch of ``F.interpolate`` for the filter modes (uint8 never requires grad, so
    nothing is recorded)."""
    from tensorgraft.device import get_backend
    xp = get_backend(input._device).xp
    out = resample_uint8(xp, input._data, in_sizes, out_sizes, mode, align_corners, scales, antialias)
    return wrap(out, input._device)
