"""Pooling over strided window views: max (with indices), average (count_include_pad, ceil_mode,
divisor_override) and adaptive max; backward through col2im over kernel offsets."""
from __future__ import annotations

import math

from tensorgraft.device import get_backend

from ._common import formula, gs, nnop, record, wrap
from .conv import pad2d, windows


def pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


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
def _tiles_exactly(shape, k, s, p, d, Ho, Wo):
    return (tuple(k) == tuple(s) and not any(p) and tuple(d) == (1, 1)
            and Ho * k[0] == shape[2] and Wo * k[1] == shape[3])


def _maxpool_kernel(xp, x, k, s, p, d, ceil_mode, need_am, need_idx):
    """Running maximum over the kh*kw kernel offsets (elementwise ops on strided views; no loop
    over pixels). ``am`` (the winning offset, first one on ties as in PyTorch) only when needed."""
    N, C, H, W = x.shape
    Ho, Wo, pads = _geometry(H, W, k, s, p, d, ceil_mode)
    if _tiles_exactly(x.shape, k, s, p, d, Ho, Wo) and not need_idx:
        # non-overlapping windows covering the input (the usual 2x2/stride-2 pool): one reduction
        # over a reshaped view instead of a pass per kernel offset
        win = x.reshape(N, C, Ho, k[0], Wo, k[1]).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, k[0] * k[1])
        if not need_am:
            return win.max(axis=-1), None, None
        am = win.argmax(axis=-1)  # first maximum on ties, as PyTorch
        out = xp.take_along_axis(win, am[..., None], axis=-1)[..., 0]
        if x.dtype.kind == "f":  # a NaN anywhere in a window wins, as in PyTorch
            nan = xp.isnan(win).any(axis=-1)
            if nan.any():
                am = xp.where(nan, xp.isnan(win).argmax(axis=-1), am)
                out = xp.take_along_axis(win, am[..., None], axis=-1)[..., 0]
        return out, ("tiled", am), None
    neg = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    xpad = pad2d(xp, x, pads, neg)
    out = am = None
    for kk, rs, cs in _offsets(k, s, d, Ho, Wo):
        v = xpad[:, :, rs, cs]
        if out is None:
            out = v.copy()
            if need_am or need_idx:
                am = xp.zeros(out.shape, xp.int32)
            continue
        if am is not None:
            xp.copyto(am, kk, where=v > out)
        xp.maximum(out, v, out=out)
    idx = None
    if need_idx:
        i, j = am // k[1], am % k[1]
        hh = xp.arange(Ho).reshape(Ho, 1) * s[0] - p[0] + i * d[0]
        ww = xp.arange(Wo).reshape(1, Wo) * s[1] - p[1] + j * d[1]
        idx = (hh * W + ww).astype("int64")
    return out, am, idx


def max_pool2d_op(input, k, s, p, d, ceil_mode, return_indices=False):
    need_am = gs.enabled and input._requires_grad
    out, am, idx = _MAXPOOL.table[input._device.type](input._data, k, s, p, d, ceil_mode, need_am, return_indices)
    res = wrap(out, input._device)
    if need_am:
        record(_MAXPOOL, res, (input,), {"k": k, "s": s, "p": p, "d": d, "ceil": ceil_mode, "am": am},
               node_name="MaxPool2DWithIndicesBackward0")
    return res, (wrap(idx, input._device) if return_indices else None)


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


@formula("max_pool2d", saves=())
def _maxpool_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    shape = node.in_meta[0][0]
    gd = g._data
    am = a["am"]
    Ho, Wo, pads = _geometry(shape[2], shape[3], a["k"], a["s"], a["p"], a["d"], a["ceil"])
    if isinstance(am, tuple):  # tiled fast path: put each gradient at its window's argmax
        am = am[1]
        N, C, H, W = shape
        k = a["k"]
        gx = xp.zeros((N, C, Ho, Wo, k[0] * k[1]), dtype=gd.dtype)
        xp.put_along_axis(gx, am[..., None], gd[..., None], axis=-1)
        gx = gx.reshape(N, C, Ho, Wo, k[0], k[1]).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H, W)
        return (wrap(gx, g._device),)
    zero = xp.zeros((), gd.dtype)
    gx = _scatter_offsets(xp, lambda kk: xp.where(am == kk, gd, zero), shape, a["k"], a["s"], a["d"], pads, Ho, Wo,
                          gd.dtype)
    return (wrap(gx, g._device),)


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
    tot = None
    for _, rs, cs in _offsets(k, s, (1, 1), Ho, Wo):
        v = xpad[:, :, rs, cs]
        if tot is None:
            tot = v.copy()
        else:
            tot += v
    if divisor_override:
        return (tot / divisor_override).astype(x.dtype, copy=False)
    return (tot / div).astype(x.dtype, copy=False)


def avg_pool2d_op(input, k, s, p, ceil_mode, count_include_pad, divisor_override):
    res = wrap(_AVGPOOL.table[input._device.type](input._data, k, s, p, ceil_mode, count_include_pad,
                                                  divisor_override), input._device)
    if gs.enabled and input._requires_grad:
        record(_AVGPOOL, res, (input,), {"k": k, "s": s, "p": p, "ceil": ceil_mode, "cip": count_include_pad,
                                         "do": divisor_override}, node_name="AvgPool2DBackward0")
    return res


_AVGPOOL = nnop("avg_pool2d", _avgpool_kernel, avg_pool2d_op)


@formula("avg_pool2d", saves=())
def _avgpool_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    shape = node.in_meta[0][0]
    H, W = shape[2:]
    k = a["k"]
    div, Ho, Wo, pads = _avg_divisor(xp, H, W, k, a["s"], a["p"], a["ceil"], a["cip"], g._data.dtype)
    gd = (g._data / (a["do"] if a["do"] else div)).astype(g._data.dtype, copy=False)
    gx = _scatter_offsets(xp, lambda kk: gd, shape, k, a["s"], (1, 1), pads, Ho, Wo, gd.dtype)
    return (wrap(gx, g._device),)


# ------------------------------------------------------------------ adaptive pooling helpers
def adaptive_bins(n_in, n_out):
    return [(math.floor(i * n_in / n_out), math.ceil((i + 1) * n_in / n_out)) for i in range(n_out)]


def _adamax_kernel(xp, x, out_hw):
    N, C, H, W = x.shape
    Ho, Wo = out_hw
    bh, bw = adaptive_bins(H, Ho), adaptive_bins(W, Wo)
    out = xp.empty((N, C, Ho, Wo), x.dtype)
    idx = xp.empty((N, C, Ho, Wo), "int64")
    for i, (h0, h1) in enumerate(bh):          # loops over output bins, not pixels
        for j, (w0, w1) in enumerate(bw):
            reg = x[:, :, h0:h1, w0:w1].reshape(N, C, -1)
            am = reg.argmax(-1)
            out[:, :, i, j] = xp.take_along_axis(reg, am[..., None], -1)[..., 0]
            idx[:, :, i, j] = (h0 + am // (w1 - w0)) * W + (w0 + am % (w1 - w0))
    return out, idx


def adaptive_max_pool2d_op(input, out_hw):
    out, idx = _ADAMAX.table[input._device.type](input._data, out_hw)
    res = wrap(out, input._device)
    if gs.enabled and input._requires_grad:
        record(_ADAMAX, res, (input,), {"idx": idx}, node_name="AdaptiveMaxPool2DBackward0")
    return res, wrap(idx, input._device)


_ADAMAX = nnop("adaptive_max_pool2d", _adamax_kernel, adaptive_max_pool2d_op)


@formula("adaptive_max_pool2d", saves=())
def _adamax_grad(node, g):
    xp = get_backend(g._device).xp
    shape = node.in_meta[0][0]
    N, C, H, W = shape
    idx = node.attrs["idx"].reshape(N * C, -1)
    gd = g._data.reshape(N * C, -1)
    gx = xp.zeros((N * C, H * W), gd.dtype)
    rows = xp.arange(N * C)[:, None]
    if hasattr(xp.add, "at"):
        xp.add.at(gx, (xp.broadcast_to(rows, idx.shape), idx), gd)
    else:  # pragma: no cover - CuPy
        import cupyx
        cupyx.scatter_add(gx, (xp.broadcast_to(rows, idx.shape), idx), gd)
    return (wrap(gx.reshape(shape), g._device),)
