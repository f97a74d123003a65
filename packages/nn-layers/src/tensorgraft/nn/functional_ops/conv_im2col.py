"""The rank-free geometry of a convolution on arrays and its general path, im2col plus one GEMM
(a batched one over groups), for any number of spatial dims: ``conv3d.py``'s kernels use them for
every conv that its stride-1 flat path does not take, ``conv.py`` takes the geometry helpers, and
``pooling3d.py`` the padding, window offsets and crop.

The input gradient is a GEMM plus a col2im that accumulates over kernel offsets only (one strided
slice-add per offset, never a loop over voxels)."""
from __future__ import annotations

import itertools
import math


def as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def out_size(n, k, s, pl, pr, d):
    return (n + pl + pr - d * (k - 1) - 1) // s + 1


# ------------------------------------------------------------------ geometry on arrays (any rank)
def pad_nd(xp, x, pads, value=0.0):
    """(N, C, *S) -> (N, C, *padded); ``pads`` = (lo0, hi0, lo1, hi1, ...), one pair per spatial dim."""
    if not any(pads):
        return x
    sp = x.shape[2:]
    out = xp.full(x.shape[:2] + tuple(n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(sp)), value,
                  dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(pads[2 * i], pads[2 * i] + n) for i, n in enumerate(sp))] = x
    return out


def windows_nd(xp, xpad, k, s, d, out):
    """Padded (N, C, *P) -> read-only view (N, C, *out, *k): element [.., o, kk] is the input at
    o * stride + kk * dilation."""
    st = xpad.strides
    sp = st[2:]
    return as_strided(xp, xpad, xpad.shape[:2] + tuple(out) + tuple(k),
                      st[:2] + tuple(a * b for a, b in zip(sp, s)) + tuple(a * b for a, b in zip(sp, d)))


def offsets(k, s, d, out):
    """(flat kernel index, kernel index tuple, slices) for every kernel offset: the slices select,
    in the padded grid, the strided view this offset reads for each output position."""
    for kk, idx in enumerate(itertools.product(*(range(n) for n in k))):
        yield kk, idx, tuple(slice(i * dd, i * dd + ss * (o - 1) + 1, ss) for i, dd, ss, o in zip(idx, d, s, out))


def crop(pads, sp):
    """The slices taking the unpadded (N, C, *sp) out of a padded grid."""
    return (slice(None), slice(None)) + tuple(slice(pads[2 * i], pads[2 * i] + n) for i, n in enumerate(sp))


def col2im_nd(xp, dcols, in_shape, s, d, pads):
    """dcols (N, C, *k, *out) -> (N, C, *in): the inverse of ``windows_nd``, accumulating; one
    strided slice-add per kernel offset."""
    r = len(in_shape) - 2
    k, out = dcols.shape[2:2 + r], dcols.shape[2 + r:]
    padded = tuple(max(n + pads[2 * i] + pads[2 * i + 1], (o - 1) * ss + (kk - 1) * dd + 1)
                   for i, (n, o, ss, kk, dd) in enumerate(zip(in_shape[2:], out, s, k, d)))
    buf = xp.zeros(tuple(in_shape[:2]) + padded, dtype=dcols.dtype)
    for _, idx, sl in offsets(k, s, d, out):
        buf[(slice(None), slice(None)) + sl] += dcols[(slice(None), slice(None)) + idx]
    return buf[crop(pads, in_shape[2:])]


def conv_out_sizes(sp, k, s, pads, d):
    return tuple(out_size(n, kk, ss, pads[2 * i], pads[2 * i + 1], dd)
                 for i, (n, kk, ss, dd) in enumerate(zip(sp, k, s, d)))


# ------------------------------------------------------------------ general path: im2col + one GEMM
def _cols(win, G):
    """Window view (N, C, *out, *k) -> im2col: (C*K, N*L) for one group, else (G, N*L, Cg*K)."""
    N, C = win.shape[:2]
    r = (win.ndim - 2) // 2
    out, k = win.shape[2:2 + r], win.shape[2 + r:]
    L, K = math.prod(out), math.prod(k)
    if G == 1:
        return win.transpose((1,) + tuple(range(2 + r, 2 + 2 * r)) + (0,) + tuple(range(2, 2 + r))).reshape(C * K,
                                                                                                           N * L)
    win = win.reshape((N, G, C // G) + tuple(out) + tuple(k))
    return win.transpose((1, 0) + tuple(range(3, 3 + r)) + (2,) + tuple(range(3 + r, 3 + 2 * r))).reshape(
        G, N * L, C // G * K)


def _gmat(g, G):
    """Output gradient (N, O, *out) -> (O, N*L) for one group, else (G, N*L, Og): the layouts that
    multiply ``_cols``."""
    N, O = g.shape[:2]
    sp = g.shape[2:]
    r, L = len(sp), math.prod(sp)
    if G == 1:
        return g.transpose((1, 0) + tuple(range(2, 2 + r))).reshape(O, N * L)
    return g.reshape((N, G, O // G) + tuple(sp)).transpose((1, 0) + tuple(range(3, 3 + r)) + (2,)).reshape(
        G, N * L, O // G)


def _im2col(xp, x, k, s, pads, d, G, out):
    return _cols(windows_nd(xp, pad_nd(xp, x, pads), k, s, d, out), G)


def conv_forward(xp, x, w, b, s, pads, d, G):
    """Returns the output and the im2col matrix (kept for the weight gradient)."""
    N = x.shape[0]
    O = w.shape[0]
    k = w.shape[2:]
    r = len(k)
    out = conv_out_sizes(x.shape[2:], k, s, pads, d)
    cols = _im2col(xp, x, k, s, pads, d, G, out)
    if G == 1:
        y = w.reshape(O, -1).dot(cols).reshape((O, N) + out).transpose((1, 0) + tuple(range(2, 2 + r)))
    else:
        y = cols @ w.reshape(G, O // G, -1).transpose(0, 2, 1)          # (G, N*L, Og)
        y = y.reshape((G, N) + out + (O // G,)).transpose((1, 0, 2 + r) + tuple(range(2, 2 + r)))
        y = y.reshape((N, O) + out)
    y = xp.ascontiguousarray(y)
    if b is not None:
        y += b.reshape((1, O) + (1,) * r)
    return y, cols


def conv_input_grad(xp, g, w, in_shape, s, pads, d, G):
    """The input gradient of a conv (= a transposed conv's forward): (N, O, *out) -> (N, C, *in)."""
    N, C = in_shape[:2]
    O, Cg = w.shape[:2]
    k, out = w.shape[2:], g.shape[2:]
    r = len(k)
    if G == 1:
        dcols = w.reshape(O, -1).T.dot(_gmat(g, 1)).reshape((C,) + k + (N,) + out)
        dcols = dcols.transpose((r + 1, 0) + tuple(range(1, r + 1)) + tuple(range(r + 2, 2 * r + 2)))
    else:
        dcols = (_gmat(g, G) @ w.reshape(G, O // G, -1)).reshape((G, N) + out + (Cg,) + k)
        dcols = dcols.transpose((1, 0, 2 + r) + tuple(range(3 + r, 3 + 2 * r)) + tuple(range(2, 2 + r)))
        dcols = dcols.reshape((N, C) + k + out)
    return col2im_nd(xp, dcols, in_shape, s, d, pads)


def conv_weight_grad(xp, x, g, wshape, s, pads, d, G, cols=None):
    if cols is None:
        cols = _im2col(xp, x, wshape[2:], s, pads, d, G, g.shape[2:])
    if G == 1:
        return _gmat(g, 1).dot(cols.T).reshape(wshape)
    return (_gmat(g, G).transpose(0, 2, 1) @ cols).reshape(wshape)
