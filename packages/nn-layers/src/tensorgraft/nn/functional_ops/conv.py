"""Convolutions by im2col: a strided window view of the padded input, ONE GEMM per conv;
the backward pass is matmuls plus a col2im that accumulates over kernel offsets only (kh*kw slice
adds, never a loop over pixels). Also unfold/fold, which are im2col/col2im themselves."""
from __future__ import annotations

from tensorgraft.device import get_backend

from ._common import formula, gs, nnop, record, wrap


def as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def windows(xp, xpad, kh, kw, sh, sw, dh, dw, Ho, Wo):
    """(N, C, Hp, Wp) -> read-only view (N, C, Ho, Wo, kh, kw)."""
    sN, sC, sH, sW = xpad.strides
    N, C = xpad.shape[:2]
    return as_strided(xp, xpad, (N, C, Ho, Wo, kh, kw), (sN, sC, sH * sh, sW * sw, sH * dh, sW * dw))


def pad2d(xp, x, pads, value=0.0):
    """pads = (top, bottom, left, right)."""
    t, b, l, r = pads
    if not (t or b or l or r):
        return x
    N, C, H, W = x.shape
    out = xp.full((N, C, H + t + b, W + l + r), value, dtype=x.dtype)
    out[:, :, t:t + H, l:l + W] = x
    return out


def col2im(xp, dcols, out_shape, kh, kw, sh, sw, dh, dw, pads):
    """dcols (N, C, kh, kw, Ho, Wo) -> accumulate into (N, C, H, W) (inverse of ``windows``): one
    strided slice-add per kernel offset, never a loop over pixels."""
    N, C, H, W = out_shape
    t, b, l, r = pads
    Ho, Wo = dcols.shape[4:6]
    Hp = max(H + t + b, (Ho - 1) * sh + (kh - 1) * dh + 1)
    Wp = max(W + l + r, (Wo - 1) * sw + (kw - 1) * dw + 1)
    buf = xp.zeros((N, C, Hp, Wp), dtype=dcols.dtype)
    for i in range(kh):
        hi = i * dh
        for j in range(kw):
            wj = j * dw
            buf[:, :, hi:hi + sh * (Ho - 1) + 1:sh, wj:wj + sw * (Wo - 1) + 1:sw] += dcols[:, :, i, j]
    return buf[:, :, t:t + H, l:l + W]


def out_size(n, k, s, pl, pr, d):
    return (n + pl + pr - d * (k - 1) - 1) // s + 1


# ------------------------------------------------------------------ conv2d core on arrays
def conv_forward(xp, x, w, b, stride, pads, dil, groups):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dil
    G = groups
    Og = O // G
    Ho = out_size(H, kh, sh, pads[0], pads[1], dh)
    Wo = out_size(W, kw, sw, pads[2], pads[3], dw)
    xpad = pad2d(xp, x, pads)
    win = windows(xp, xpad, kh, kw, sh, sw, dh, dw, Ho, Wo)
    if G == 1:
        # cols (C*kh*kw, N*Ho*Wo): one plain 2-D GEMM (NumPy's batched matmul is far slower than
        # ``dot`` here), then one transpose copy back to NCHW
        cols = _cols_2d(win)
        out = w.reshape(O, -1).dot(cols).reshape(O, N, Ho, Wo).transpose(1, 0, 2, 3)
    else:
        cols = win.reshape(N, G, Cg, Ho, Wo, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6).reshape(G, N * Ho * Wo, Cg * kh * kw)
        out = cols @ w.reshape(G, Og, Cg * kh * kw).transpose(0, 2, 1)   # (G, NHW, Og)
        out = out.reshape(G, N, Ho, Wo, Og).transpose(1, 0, 4, 2, 3).reshape(N, O, Ho, Wo)
    out = xp.ascontiguousarray(out)
    if b is not None:
        out += b.reshape(1, O, 1, 1)
    return out, cols


def _cols_2d(win):
    """Window view (N, C, Ho, Wo, kh, kw) -> im2col matrix (C*kh*kw, N*Ho*Wo) (a copy)."""
    N, C, Ho, Wo, kh, kw = win.shape
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * Ho * Wo)


def _gout_2d(g):
    """Output gradient (N, O, Ho, Wo) -> (O, N*Ho*Wo), the layout matching ``_cols_2d``."""
    N, O, Ho, Wo = g.shape
    return g.transpose(1, 0, 2, 3).reshape(O, N * Ho * Wo)


def _gout_mat(g, G):
    N, O, Ho, Wo = g.shape
    if G == 1:
        return g.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, O)
    return g.reshape(N, G, O // G, Ho, Wo).transpose(1, 0, 3, 4, 2).reshape(G, N * Ho * Wo, O // G)


def conv_grad_input(xp, g, w, xshape, stride, pads, dil, groups):
    N, C, H, W = xshape
    O, Cg, kh, kw = w.shape
    G = groups
    Ho, Wo = g.shape[2:]
    if G == 1:
        dcols = w.reshape(O, -1).T.dot(_gout_2d(g)).reshape(C, kh, kw, N, Ho, Wo).transpose(3, 0, 1, 2, 4, 5)
    else:
        go = _gout_mat(g, G)
        dcols = (go @ w.reshape(G, O // G, Cg * kh * kw)).reshape(G, N, Ho, Wo, Cg, kh, kw)
        dcols = dcols.transpose(1, 0, 4, 5, 6, 2, 3).reshape(N, C, kh, kw, Ho, Wo)
    return col2im(xp, dcols, xshape, kh, kw, stride[0], stride[1], dil[0], dil[1], pads)


def conv_grad_weight(xp, g, cols, wshape, groups):
    O, Cg, kh, kw = wshape
    if groups == 1:
        return _gout_2d(g).dot(cols.T).reshape(wshape)
    go = _gout_mat(g, groups)
    return (go.transpose(0, 2, 1) @ cols).reshape(wshape)


def _im2col_of(xp, x, wshape, stride, pads, dil, groups, Ho, Wo):
    N, C, H, W = x.shape
    O, Cg, kh, kw = wshape
    win = windows(xp, pad2d(xp, x, pads), kh, kw, stride[0], stride[1], dil[0], dil[1], Ho, Wo)
    if groups == 1:
        return _cols_2d(win)
    G = groups
    return win.reshape(N, G, Cg, Ho, Wo, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6).reshape(G, N * Ho * Wo, Cg * kh * kw)


# ------------------------------------------------------------------ conv2d op
def _conv_kernel(xp, x, w, b, stride, pads, dil, groups):
    return conv_forward(xp, x, w, b, stride, pads, dil, groups)


def conv2d_op(input, weight, bias, stride, pads, dil, groups):
    """Arguments already normalized: stride/dil pairs, pads (top, bottom, left, right)."""
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    out, cols = _CONV.table[input._device.type](x, w, b, stride, pads, dil, groups)
    res = wrap(out, input._device)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)):
        record(_CONV, res, (input, weight, bias),
               {"stride": stride, "pads": pads, "dil": dil, "groups": groups,
                "cols": cols if weight._requires_grad else None}, node_name="ConvolutionBackward0")
    return res


_CONV = nnop("conv2d", _conv_kernel, conv2d_op, node="ConvolutionBackward0")


@formula("conv2d")
def _conv_grad(node, g):
    x, w, b = node.inputs
    a = node.attrs
    nx, nw, nb = node.needs_input_grad
    xp = get_backend(g._device).xp
    gd = g._data
    dev = g._device
    gx = gw = gb = None
    if nx:
        gx = wrap(conv_grad_input(xp, gd, w._data, x._data.shape, a["stride"], a["pads"], a["dil"], a["groups"]), dev)
    if nw:
        cols = a["cols"]
        if cols is None:
            cols = _im2col_of(xp, x._data, w._data.shape, a["stride"], a["pads"], a["dil"], a["groups"], *gd.shape[2:])
        gw = wrap(conv_grad_weight(xp, gd, cols, w._data.shape, a["groups"]), dev)
    if nb:
        gb = wrap(gd.sum(axis=(0, 2, 3)), dev)
    return gx, gw, gb


# ------------------------------------------------------------------ conv_transpose2d op
def _convT_kernel(xp, x, w, b, stride, pads, dil, groups, out_hw):
    N = x.shape[0]
    Cin, Og, kh, kw = w.shape
    out_shape = (N, Og * groups) + tuple(out_hw)
    out = conv_grad_input(xp, x, w, out_shape, stride, pads, dil, groups)
    out = xp.ascontiguousarray(out)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d_op(input, weight, bias, stride, pads, dil, groups, out_hw):
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    res = wrap(_CONVT.table[input._device.type](x, w, b, stride, pads, dil, groups, out_hw), input._device)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)):
        record(_CONVT, res, (input, weight, bias), {"stride": stride, "pads": pads, "dil": dil, "groups": groups},
               node_name="ConvolutionBackward0")
    return res


_CONVT = nnop("conv_transpose2d", _convT_kernel, conv_transpose2d_op, node="ConvolutionBackward0")


@formula("conv_transpose2d")
def _convT_grad(node, g):
    x, w, b = node.inputs
    a = node.attrs
    nx, nw, nb = node.needs_input_grad
    xp = get_backend(g._device).xp
    gd = g._data
    dev = g._device
    gx = gw = gb = None
    H, W = x._data.shape[2:]
    if nx:
        gx_, _ = conv_forward(xp, gd, w._data, None, a["stride"], a["pads"], a["dil"], a["groups"])
        gx = wrap(gx_[:, :, :H, :W], dev)
    if nw:
        cols = _im2col_of(xp, gd, w._data.shape, a["stride"], a["pads"], a["dil"], a["groups"], H, W)
        gw = wrap(conv_grad_weight(xp, x._data, cols, w._data.shape, a["groups"]), dev)
    if nb:
        gb = wrap(gd.sum(axis=(0, 2, 3)), dev)
    return gx, gw, gb


# ------------------------------------------------------------------ unfold / fold
def _unfold_kernel(xp, x, k, stride, pads, dil):
    N, C, H, W = x.shape
    kh, kw = k
    Ho = out_size(H, kh, stride[0], pads[0], pads[1], dil[0])
    Wo = out_size(W, kw, stride[1], pads[2], pads[3], dil[1])
    win = windows(xp, pad2d(xp, x, pads), kh, kw, stride[0], stride[1], dil[0], dil[1], Ho, Wo)
    return xp.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, Ho * Wo))


def unfold_op(input, k, stride, pads, dil):
    res = wrap(_UNFOLD.table[input._device.type](input._data, k, stride, pads, dil), input._device)
    if gs.enabled and input._requires_grad:
        record(_UNFOLD, res, (input,), {"k": k, "stride": stride, "pads": pads, "dil": dil})
    return res


_UNFOLD = nnop("unfold", _unfold_kernel, unfold_op, node="Im2ColBackward0")


def _fold_arrays(xp, cols, out_hw, k, stride, pads, dil):
    N, CK, L = cols.shape
    kh, kw = k
    C = CK // (kh * kw)
    H, W = out_hw
    Ho = out_size(H, kh, stride[0], pads[0], pads[1], dil[0])
    Wo = out_size(W, kw, stride[1], pads[2], pads[3], dil[1])
    dcols = cols.reshape(N, C, kh, kw, Ho, Wo)
    return col2im(xp, dcols, (N, C, H, W), kh, kw, stride[0], stride[1], dil[0], dil[1], pads)


@formula("unfold", saves=())
def _unfold_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    shape = node.in_meta[0][0]
    return (wrap(xp.ascontiguousarray(_fold_arrays(xp, g._data, shape[2:], a["k"], a["stride"], a["pads"], a["dil"])),
                 g._device),)


def _fold_kernel(xp, cols, out_hw, k, stride, pads, dil):
    return xp.ascontiguousarray(_fold_arrays(xp, cols, out_hw, k, stride, pads, dil))


def fold_op(input, out_hw, k, stride, pads, dil):
    res = wrap(_FOLD.table[input._device.type](input._data, out_hw, k, stride, pads, dil), input._device)
    if gs.enabled and input._requires_grad:
        record(_FOLD, res, (input,), {"k": k, "stride": stride, "pads": pads, "dil": dil})
    return res


_FOLD = nnop("fold", _fold_kernel, fold_op, node="Col2ImBackward0")


@formula("fold", saves=())
def _fold_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    return (wrap(_unfold_kernel(xp, g._data, a["k"], a["stride"], a["pads"], a["dil"]), g._device),)
