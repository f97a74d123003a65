"""Pooling over strided window views: max (with indices), average (count_include_pad, ceil_mode,
divisor_override), adaptive average and adaptive max; backward through col2im over kernel offsets.
Max pools whose windows tile the input (the usual 2x2, stride 2) take a two-pass fast path with a
scatter backward.

The first-order max-pool gradient runs on arrays, from the winning kernel offsets. With
create_graph=True (grad mode on while a formula runs) it goes through an op instead, a scatter at
the winners' indices whose own gradient is a gather there, so it differentiates again; the other
pools' gradients are always ops (their own gradients being the forward again). The backward kernels,
and the adaptive pools' forward ones, are pooling3d.py's (written for any rank). Unbatched (C, H, W)
inputs go through the kernels with a batch of one added to the arrays: the nodes sit on the input
itself, with PyTorch's names (``MaxPool2DWithIndicesBackward0`` and its ``...BackwardBackward0``)."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from ._common import batched, batched_shape, formula, gs, nnop, record, unbatched, wrap, xp_of
from .conv import pad2d, windows
from .norm import suggested_layout
from .pooling3d import (_avgpool_backward_kernel, adaptive_avg_backward_kernel, adaptive_avg_kernel, adaptive_max_pool_op,
                        index_scatter_ops, linear_pool_ops, pool_out, sum_of_views)
from tensorgraft.dtypes import np_kind as _np_kind


def _b(a):
    return batched(a, 2)


def _unb(a, ndim):
    return unbatched(a, ndim, 2)


def _b_shape(shape):
    return batched_shape(shape, 2)


def _geometry(H, W, k, s, p, d, ceil_mode):
    Ho = pool_out(H, k[0], s[0], p[0], d[0], ceil_mode)
    Wo = pool_out(W, k[1], s[1], p[1], d[1], ceil_mode)
    eh = max(0, (Ho - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (H + 2 * p[0]))
    ew = max(0, (Wo - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (W + 2 * p[1]))
    return Ho, Wo, (p[0], p[0] + eh, p[1], p[1] + ew)


def _offsets(k, s, d, Ho, Wo):
    """(flat kernel index, row slice, col slice) of every kernel offset: the strided view of the
    padded input that this offset contributes to each output position."""
    for i in range(k[0]):
        hi = i * d[0]
        rs = slice(hi, hi + s[0] * (Ho - 1) + 1, s[0])
        for j in range(k[1]):
            wj = j * d[1]
            yield i * k[1] + j, rs, slice(wj, wj + s[1] * (Wo - 1) + 1, s[1])


# ------------------------------------------------------------------ max pool
def _tiles(shape, k, s, p, d, Ho, Wo):
    """Non-overlapping windows that stay inside the input (the usual 2x2/stride-2 pool; rows and
    columns past the last whole window are simply never read)."""
    return (tuple(k) == tuple(s) and not any(p) and tuple(d) == (1, 1)
            and Ho * k[0] <= shape[2] and Wo * k[1] <= shape[3])


def _running_max(xp, views, nan_wins, sel_dtype):
    """Elementwise max over ``views`` and the index of the winner: the first maximum on ties, the
    last NaN when there is one (PyTorch's ``val > max || isnan(val)`` scan)."""
    out = views[0]
    sel = None
    for j, v in enumerate(views[1:], 1):
        better = v > out
        if nan_wins:
            better |= xp.isnan(v)
        if sel is None:  # 0/1 so far: the comparison itself, reinterpreted (bool is one byte)
            sel = better.view(xp.int8) if sel_dtype == xp.int8 else better.astype(sel_dtype)
        else:
            sel = xp.where(better, sel_dtype(j), sel)
        out = xp.maximum(out, v)
    return out, sel


def _tiled_maxpool(xp, x, k, Ho, Wo, need_idx):
    """Max over non-overlapping kh x kw tiles in two passes: along each row over the kw column
    offsets, then over the kh rows of each tile. Reducing columns first keeps PyTorch's row-major
    tie-breaking (the first maximum of the first row that holds one). Returns the output and, when
    asked, each window's winner as a flat index into its (H, W) plane (int32 where it fits)."""
    kh, kw = k
    W = x.shape[3]
    xc = x[:, :, :Ho * kh, :Wo * kw]
    sel_dtype = xp.int8 if max(k) < 128 else xp.int32
    # On CPU the NaN-aware scan runs only when the output shows a NaN; on a GPU asking would wait
    # for the queued kernels (a sync per pooling layer), so it always runs there.
    nan_wins = need_idx and xp is not np
    while True:
        cm, csel = _running_max(xp, [xc[..., j::kw] for j in range(kw)], nan_wins, sel_dtype)
        out, rsel = _running_max(xp, [cm[:, :, i::kh] for i in range(kh)], nan_wins, sel_dtype)
        # NaNs are rare: look for one only in the output, then redo the scan NaN-aware
        if not need_idx or nan_wins or _np_kind(x.dtype) != "f" or not out.size or not xp.isnan(out.min()):
            break
        nan_wins = True
    if kh == kw == 1:  # nothing was reduced: ``out`` is still a view of ``x``
        out = out.copy()
    if not need_idx:
        return out, None
    idx_dtype = xp.int32 if x.shape[2] * W < 2 ** 31 else xp.int64
    # winner = tile origin + winning row * W + the winning column of that row
    idx = xp.zeros(out.shape, dtype=idx_dtype)
    if rsel is not None:
        idx += rsel
        idx *= W
    if csel is not None:
        col = csel[:, :, 0::kh]
        for i in range(1, kh):  # col = csel of row rsel, by arithmetic: xp.where is slow on strided views
            col = col + (rsel == i).view(xp.int8).astype(sel_dtype, copy=False) * (csel[:, :, i::kh] - col)
        idx += col
    idx += xp.arange(Ho, dtype=idx_dtype).reshape(Ho, 1) * (kh * W) + xp.arange(Wo, dtype=idx_dtype) * kw
    return out, idx


def _maxpool_kernel(xp, x, k, s, p, d, ceil_mode, need_am, need_idx):
    """Running maximum over the kh*kw kernel offsets (elementwise ops on strided views; no loop
    over pixels). ``am`` (the winning offset: the first maximum on ties, the last NaN, as in
    PyTorch) only when needed; ("tiled", plane index) from the fast path."""
    N, C, H, W = x.shape
    Ho, Wo, pads = _geometry(H, W, k, s, p, d, ceil_mode)
    if _tiles(x.shape, k, s, p, d, Ho, Wo):
        out, idx = _tiled_maxpool(xp, x, k, Ho, Wo, need_am or need_idx)
        return out, (None if idx is None else ("tiled", idx)), (idx.astype(xp.int64) if need_idx else None)
    neg = -xp.inf if _np_kind(x.dtype) == "f" else xp.iinfo(x.dtype).min
    xpad = pad2d(xp, x, pads, neg)
    track = need_am or need_idx
    for nan_wins in (False, True):
        out = am = None
        if track and any(pads):
            # a padded position never wins, even against an input equal to the padding value (-inf):
            # start from each window's first position inside the input, as PyTorch's scan does
            out = xp.full((N, C, Ho, Wo), neg, dtype=x.dtype)
            fi = xp.maximum((d[0] - 1 - (xp.arange(Ho) * s[0] - p[0])) // d[0], 0)
            fj = xp.maximum((d[1] - 1 - (xp.arange(Wo) * s[1] - p[1])) // d[1], 0)
            am = xp.zeros(out.shape, xp.int32)
            am += (fi * k[1]).astype(xp.int32).reshape(Ho, 1) + fj.astype(xp.int32)
        for kk, rs, cs in _offsets(k, s, d, Ho, Wo):
            v = xpad[:, :, rs, cs]
            if out is None:
                out = v.copy()
                if track:
                    am = xp.zeros(out.shape, xp.int32)
                continue
            if am is not None:
                xp.copyto(am, kk, where=((v > out) | xp.isnan(v)) if nan_wins else (v > out))
            xp.maximum(out, v, out=out)
        # as in the tiled path: a second, NaN-aware scan only once the output shows a NaN
        if am is None or _np_kind(x.dtype) != "f" or not out.size or not xp.isnan(out.min()):
            break
    idx = _plane_index(xp, am, k, s, p, d, Ho, Wo, W) if need_idx else None
    return out, am, idx


def _plane_index(xp, am, k, s, p, d, Ho, Wo, W):
    """Winning kernel offset of each window -> flat index into its (H, W) plane (int64)."""
    i, j = am // k[1], am % k[1]
    hh = xp.arange(Ho).reshape(Ho, 1) * s[0] - p[0] + i * d[0]
    ww = xp.arange(Wo).reshape(1, Wo) * s[1] - p[1] + j * d[1]
    return (hh * W + ww).astype("int64")


def max_pool2d_op(input, k, s, p, d, ceil_mode, return_indices=False):
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    C, H, W = x.shape[-3:]
    Ho, Wo = pool_out(H, k[0], s[0], p[0], d[0], ceil_mode), pool_out(W, k[1], s[1], p[1], d[1], ceil_mode)
    if Ho < 1 or Wo < 1:
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{Ho}x{Wo}). "
                           "Output size is too small")
    if _np_kind(x.dtype) in "bc":  # ATen's kernel takes real numbers only, checked after the sizes
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"max_pool2d\" not implemented for '{_type_name(x.dtype)}'")
    need_am = gs.enabled and input._requires_grad
    out, am, idx = _MAXPOOL.table[input._device.type](_b(x), k, s, p, d, ceil_mode, need_am, return_indices)
    out = suggested_layout(xp_of(input), out, _b(x))
    res = wrap(_unb(out, x.ndim), input._device)
    if need_am:   # (``am`` stays batched, as the formula's arrays)
        record(_MAXPOOL, res, (input,), {"k": k, "s": s, "p": p, "d": d, "ceil": ceil_mode, "am": am},
               node_name="MaxPool2DWithIndicesBackward0")
    return res, (wrap(_unb(idx, x.ndim), input._device) if return_indices else None)


_MAXPOOL = nnop("max_pool2d", _maxpool_kernel, max_pool2d_op)


def _scatter_offsets(xp, per_offset, shape, k, s, d, pads, Ho, Wo, dtype):
    """Accumulate ``per_offset(kk)`` (N, C, Ho, Wo) into the padded input grid, then crop."""
    N, C, H, W = shape
    Hp = max(H + pads[0] + pads[1], (Ho - 1) * s[0] + (k[0] - 1) * d[0] + 1)
    Wp = max(W + pads[2] + pads[3], (Wo - 1) * s[1] + (k[1] - 1) * d[1] + 1)
    buf = xp.zeros((N, C, Hp, Wp), dtype=dtype)
    for kk, rs, cs in _offsets(k, s, d, Ho, Wo):
        buf[:, :, rs, cs] += per_offset(kk)
    return xp.ascontiguousarray(buf[:, :, pads[0]:pads[0] + H, pads[2]:pads[2] + W])


@formula("max_pool2d")
def _maxpool_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    shape = node.in_meta[0][0]
    bshape = _b_shape(shape)
    am = a["am"]
    Ho, Wo, pads = _geometry(bshape[2], bshape[3], a["k"], a["s"], a["p"], a["d"], a["ceil"])
    tiled = isinstance(am, tuple)
    if gs.enabled:  # create_graph=True: through the scatter op, which differentiates again
        idx = am[1].astype(xp.int64) if tiled else _plane_index(xp, am, a["k"], a["s"], a["p"], a["d"], Ho, Wo,
                                                                  bshape[3])
        overlap = any(ss < (kk - 1) * dd + 1 for kk, ss, dd in zip(a["k"], a["s"], a["d"]))
        return (max_pool2d_backward_op(g, _unb(idx, len(shape)), shape, overlap,
                                       "MaxPool2DWithIndicesBackwardBackward0", also=node.inputs),)
    gd = _b(g._data)
    if tiled:  # windows never overlap, so one scatter (no accumulation)
        N, C, H, W = bshape
        flat = am[1].reshape(N * C, Ho * Wo) + xp.arange(0, N * C * H * W, H * W, dtype=xp.intp).reshape(N * C, 1)
        gx = xp.zeros(N * C * H * W, dtype=gd.dtype)
        gx[flat.ravel()] = gd.ravel()
        return (wrap(gx.reshape(shape), g._device),)
    zero = xp.zeros((), gd.dtype)
    gx = _scatter_offsets(xp, lambda kk: xp.where(am == kk, gd, zero), bshape, a["k"], a["s"], a["d"], pads, Ho, Wo,
                          gd.dtype)
    # A window made only of padding (dilation can step over the whole input) touches no input
    # element, so its gradient is dropped. PyTorch's CPU kernel adds it at the out-of-plane index
    # it reports (the next row or plane; past the buffer's end for the last plane): not copied, and
    # finding such windows would cost a host read per backward.
    return (wrap(_unb(gx, len(shape)), g._device),)


max_pool2d_backward_op = index_scatter_ops("max_pool2d_backward", 2)



# ------------------------------------------------------------------ average pool
def _avg_divisor(xp, H, W, k, s, p, ceil_mode, count_include_pad, dtype):
    Ho, Wo, pads = _geometry(H, W, k, s, p, (1, 1), ceil_mode)
    Hp, Wp = H + pads[0] + pads[1], W + pads[2] + pads[3]
    mask = xp.zeros((1, 1, Hp, Wp), dtype=dtype)
    if count_include_pad:
        mask[:, :, :H + 2 * p[0], :W + 2 * p[1]] = 1
    else:
        mask[:, :, p[0]:p[0] + H, p[1]:p[1] + W] = 1
    win = windows(xp, mask, k[0], k[1], s[0], s[1], 1, 1, Ho, Wo)
    return win.sum(axis=(-1, -2))[0, 0], Ho, Wo, pads


def _avgpool_kernel(xp, x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    N, C, H, W = x.shape
    div, Ho, Wo, pads = _avg_divisor(xp, H, W, k, s, p, ceil_mode, count_include_pad, x.dtype)
    xpad = pad2d(xp, x, pads)
    tot = sum_of_views([xpad[:, :, rs, cs] for _, rs, cs in _offsets(k, s, (1, 1), Ho, Wo)])
    return suggested_layout(xp, (tot / (divisor_override or div)).astype(x.dtype, copy=False), x)


avg_pool2d_op, avg_pool2d_backward_op = linear_pool_ops("avg_pool2d", "AvgPool2D", 2, _avgpool_kernel,
                                                        _avgpool_backward_kernel)


# ------------------------------------------------------------------ adaptive average pool
_adaptive_avg2d, _ = linear_pool_ops("adaptive_avg_pool2d", "AdaptiveAvgPool2D", 2, adaptive_avg_kernel,
                                     adaptive_avg_backward_kernel)


def adaptive_avg_pool2d_op(input, out_hw):
    return _adaptive_avg2d(input, (tuple(input.shape[-2:]), tuple(out_hw)))


# ------------------------------------------------------------------ adaptive max pool
adaptive_max_pool2d_op = adaptive_max_pool_op("adaptive_max_pool2d", "AdaptiveMaxPool2D", 2, max_pool2d_backward_op)
