"""Convolutions by im2col: a strided window view of the padded input, ONE GEMM per conv;
the backward pass is matmuls plus a col2im that accumulates over kernel offsets only (kh*kw slice
adds, never a loop over pixels). Stride-1 convolutions (the common case) take a faster variant on
flattened padded rows, see below. Also unfold/fold, which are im2col/col2im themselves.

First-order gradients run these kernels on arrays (both gradients of a stride-1 conv in one pass
over its columns). With create_graph=True (grad mode on while a formula runs) the formulas call ops
instead, as conv3d.py's do: conv2d, conv_transpose2d and conv2d_weight are each the others'
gradients, unfold and fold each other's, so gradients carry history and differentiate again, under
PyTorch's node names. conv1d runs as conv2d of height one on the arrays (not on the tensors), so its
nodes are PyTorch's too."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend
from tensorgraft.dtypes import BF16
from tensorgraft.ops._bfloat16 import widen_half

from ._common import formula, gs, needs, nnop, record, wrap, xp_of
from . import conv3d as _conv3d
from .conv_backward_node import declare_conv_saved
from .conv_transpose_phases import conv_transpose_phases, phases_pay
from .half_kernels import conv_transpose_half
from .conv3d import BB, _finite, as_strided, conv_grads, conv_transpose_grads, none_for_also, out_size, weight_grads
from .norm import suggested_layout


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
    if Ho == 1 and Wo == 1:
        # one window (a transposed conv of a 1x1 input): its offsets are distinct pixels, one copy
        buf[:, :, :(kh - 1) * dh + 1:dh, :(kw - 1) * dw + 1:dw] = dcols[:, :, :, :, 0, 0]
        return buf[:, :, t:t + H, l:l + W]
    for i in range(kh):
        hi = i * dh
        for j in range(kw):
            wj = j * dw
            buf[:, :, hi:hi + sh * (Ho - 1) + 1:sh, wj:wj + sw * (Wo - 1) + 1:sw] += dcols[:, :, i, j]
    return buf[:, :, t:t + H, l:l + W]


def col2im_batch_last(xp, dcols, out_shape, kh, kw, sh, sw, dh, dw, pads):
    """``col2im`` of dcols laid out (C, kh, kw, Ho, Wo, N): the batch innermost, so each slice-add
    runs inner loops N long instead of Wo long (see ``_batch_last_pays``). Returns (N, C, H, W)."""
    N, C, H, W = out_shape
    t, b, l, r = pads
    Ho, Wo = dcols.shape[3:5]
    Hp = max(H + t + b, (Ho - 1) * sh + (kh - 1) * dh + 1)
    Wp = max(W + l + r, (Wo - 1) * sw + (kw - 1) * dw + 1)
    buf = xp.zeros((C, Hp, Wp, N), dtype=dcols.dtype)
    for i in range(kh):
        hi = i * dh
        for j in range(kw):
            wj = j * dw
            buf[:, hi:hi + sh * (Ho - 1) + 1:sh, wj:wj + sw * (Wo - 1) + 1:sw] += dcols[:, i, j]
    return nchw_from_chwn(xp, buf[:, t:t + H, l:l + W])


# Bytes of (H, W, N) source per block of ``nchw_from_chwn``: small enough to stay in L1/L2 while
# its N planes are written out.
_TRANSPOSE_BLOCK = 1 << 15


def nchw_from_chwn(xp, a):
    """A batch-innermost (C, H, W, N) array as a C-contiguous (N, C, H, W) one. NumPy copies a
    transposed view in the destination's order, so consecutive writes read N values apart: on a
    source bigger than the cache each read fetches a cache line for one value (64 channels of 16x16
    for 64 samples: 6.6 ms). Copied a few channels at a time, each block's source stays in cache
    while it is read N times over (1.2 ms). A copy: the values are unchanged."""
    C, H, W, N = a.shape
    per_channel = H * W * N * a.itemsize
    if xp is not np or N < 4 or C * per_channel <= 2 * _TRANSPOSE_BLOCK:  # (little to gain)
        return xp.ascontiguousarray(a.transpose(3, 0, 1, 2))
    out = xp.empty((N, C, H, W), dtype=a.dtype)
    step = max(1, _TRANSPOSE_BLOCK // per_channel)
    for c0 in range(0, C, step):
        out[:, c0:c0 + step] = a[c0:c0 + step].transpose(3, 0, 1, 2)
    return out


def _batch_last_pays(N, O, C, kh, kw, Wo):
    """Whether the input gradient's col2im should run batch-innermost. NumPy's slice-adds over
    (N, C, Ho, Wo) blocks cost per inner loop, Wo long: on the small images of a DCGAN's first
    layers (64 samples of 4x4 or 8x8) the batch-innermost layout measured 2-3x faster. It pays
    when the batch is well over the width and col2im's C*kh*kw values per pixel outweigh the
    transposed copy of the output gradient (O per pixel) that it needs."""
    return N >= 2 * Wo and C * kh * kw >= O


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
        if (Ho, Wo, H, W) == (1, 1, kh, kw) and dil == (1, 1) and not any(pads):
            cols = x.reshape(N, C * kh * kw).T   # the one window is the whole input: no copy
        else:
            cols = _cols_2d(win)
        out = w.reshape(O, -1).dot(cols).reshape(O, N, Ho, Wo).transpose(1, 0, 2, 3)
        if N == 1:  # already contiguous, but with the batch stride of the (O, N, ...) product: give it
            out = out.reshape(-1).reshape(N, O, Ho, Wo)  # PyTorch's O*Ho*Wo (a view, no copy)
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
    if _flat_fits((H, W), w, stride, pads, dil, groups, (Ho, Wo)):
        return flat_conv_backward(xp, g, w, xshape, pads, dil)[0]
    if G == 1 and Ho == 1 and Wo == 1:
        # a 1x1 input (the first layer of a DCGAN generator): one GEMM straight into NCHW order
        dcols = g.reshape(N, O).dot(w.reshape(O, -1)).reshape(N, C, kh, kw, 1, 1)
    elif G == 1 and _batch_last_pays(N, O, C, kh, kw, Wo):
        dcols = w.reshape(O, -1).T.dot(g.transpose(1, 2, 3, 0).reshape(O, -1)).reshape(C, kh, kw, Ho, Wo, N)
        return col2im_batch_last(xp, dcols, xshape, kh, kw, stride[0], stride[1], dil[0], dil[1], pads)
    elif G == 1:
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


# ------------------------------------------------------------------ stride-1 path: flattened padded rows
# With stride 1, flatten each padded channel to one row of Hp*Wp values: the window of kernel
# offset (i, j) is then one contiguous run of Ho*Wp values starting at i*dh*Wp + j*dw. Outputs are
# computed "wide" (Wp columns per row instead of Wo); the extra columns of each row read across the
# image edge and are junk, cropped off. So the im2col copy moves long runs, col2im is kh*kw
# contiguous slice-adds, and the per-sample GEMMs come out in NCHW order (no transpose copies).
#
# The batch goes through in chunks of about _CHUNK_BYTES of columns, and backward rebuilds the
# columns instead of keeping them: the working set stays in cache, and no step-sized im2col matrix
# lives from forward to backward (allocating and faulting in those pages cost more than the copy).
_CHUNK_BYTES = 1 << 19
# Its GEMMs are one per sample, Ho*Wp columns wide: below about 8x8 output pixels they are too
# small to pay (a 1x1-input transposed conv ran 6x slower, a 4x4 conv 2x), and the one GEMM of
# the general path wins.
_FLAT_MIN_AREA = 64


def _flat_fits(x_hw, w, stride, pads, dil, groups, out_hw):
    """Whether the flat path applies: stride 1, one group, an output of at least _FLAT_MIN_AREA
    pixels, and the padded input exactly covered by the windows (a transposed conv's
    output_padding can leave extra rows; the general path takes it)."""
    if stride != (1, 1) or groups != 1 or out_hw[0] * out_hw[1] < _FLAT_MIN_AREA:
        return False
    kh, kw = w.shape[2:]
    return (x_hw[0] + pads[0] + pads[1] == out_hw[0] + dil[0] * (kh - 1)
            and x_hw[1] + pads[2] + pads[3] == out_hw[1] + dil[1] * (kw - 1))


def _chunks(n, per_sample_bytes):
    step = max(1, _CHUNK_BYTES // max(1, per_sample_bytes))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def _flat_padded(xp, x, pads):
    """(N, C, H, W) -> zero-padded (N, C, (Hp + 1) * Wp): the spare row keeps the last kernel offset's
    run (which overhangs the image by (kw - 1) * dw) inside the buffer."""
    N, C, H, W = x.shape
    t, b, l, r = pads
    Hp, Wp = H + t + b, W + l + r
    buf = xp.zeros((N, C, Hp + 1, Wp), dtype=x.dtype)
    buf[:, :, t:t + H, l:l + W] = x
    return buf.reshape(N, C, (Hp + 1) * Wp)


def _flat_cols(xp, flat, kh, kw, dh, dw, Ho, Wp):
    """Flattened padded input (n, C, (Hp + 1) * Wp) -> wide im2col (n, C*kh*kw, Ho*Wp) (a copy)."""
    n, C = flat.shape[:2]
    s0, s1, s2 = flat.strides
    win = as_strided(xp, flat, (n, C, kh, kw, Ho * Wp), (s0, s1, dh * Wp * s2, dw * s2, s2))
    return xp.ascontiguousarray(win).reshape(n, C * kh * kw, Ho * Wp)


def _zero_junk(a, Ho, Wo, Wp):
    """Zero the junk columns of a wide (..., Ho * Wp) array. Only needed when a non-finite value
    may sit there (0 * inf is NaN), so callers check first: the strided write is slow."""
    a.reshape(a.shape[:-1] + (Ho, Wp))[..., Wo:] = 0


def flat_conv_forward(xp, x, w, b, pads, dil):
    N = x.shape[0]
    O, C, kh, kw = w.shape
    dh, dw = dil
    flat = _flat_padded(xp, x, pads)
    Wp = x.shape[3] + pads[2] + pads[3]
    Ho = x.shape[2] + pads[0] + pads[1] - dh * (kh - 1)
    Wo = Wp - dw * (kw - 1)
    w2 = w.reshape(O, C * kh * kw)
    out = xp.empty((N, O, Ho, Wo), dtype=x.dtype)
    for n0, n1 in _chunks(N, C * kh * kw * Ho * Wp * x.itemsize):
        wide = xp.matmul(w2, _flat_cols(xp, flat[n0:n1], kh, kw, dh, dw, Ho, Wp))
        wide = wide.reshape(n1 - n0, O, Ho, Wp)[..., :Wo]
        if b is None:
            out[n0:n1] = wide
        else:
            xp.add(wide, b.reshape(1, O, 1, 1), out=out[n0:n1])  # crop and bias in one pass
    return out


def flat_conv_backward(xp, g, w, xshape, pads, dil, x=None, need_x=True):
    """Gradients of the stride-1 conv from its output gradient ``g``: (grad input when ``need_x``,
    grad weight when the input ``x`` is given; else None)."""
    N, C, H, W = xshape
    O, _, kh, kw = w.shape
    dh, dw = dil
    t, l = pads[0], pads[2]
    Hp, Wp = H + pads[0] + pads[1], W + pads[2] + pads[3]
    Ho, Wo = g.shape[2:]
    L = Ho * Wp
    w2 = w.reshape(O, C * kh * kw)
    gx = gw = flat = None
    if need_x:
        gx = xp.empty(xshape, dtype=g.dtype)
        w_finite = _finite(xp, w)
    if x is not None:
        flat = _flat_padded(xp, x, pads)
        x_finite = _finite(xp, x)
        # float32's weight gradient accumulates transposed, (C*kh*kw, O): see below
        gw_t = g.dtype == xp.float32
        gw = xp.zeros(w2.shape[::-1] if gw_t else w2.shape, dtype=g.dtype)
    for n0, n1 in _chunks(N, C * kh * kw * L * g.itemsize):
        # the output gradient, wide, with zero junk columns: junk adds nothing to either gradient
        gwide = xp.zeros((n1 - n0, O, Ho, Wp), dtype=g.dtype)
        gwide[..., :Wo] = g[n0:n1]
        gwide = gwide.reshape(n1 - n0, O, L)
        if flat is not None:
            cols = _flat_cols(xp, flat[n0:n1], kh, kw, dh, dw, Ho, Wp)
            if not x_finite:
                _zero_junk(cols, Ho, Wo, Wp)
            if gw_t:  # each sample's (C*kh*kw, O) product: OpenBLAS's sgemm runs this orientation
                # about 1.5x faster (a 16->32-channel 3x3 conv on 16x16) with the same rounding;
                # its dgemm rounds some shapes differently in the two, so float64 keeps the other
                gw += xp.matmul(cols, gwide.transpose(0, 2, 1)).sum(axis=0)
            else:
                gw += xp.matmul(gwide, cols.transpose(0, 2, 1)).sum(axis=0)
        if need_x:
            dcols = xp.matmul(w2.T, gwide).reshape(n1 - n0, C, kh * kw, L)
            if not w_finite:  # junk columns then hold NaN, and they land on real pixels
                _zero_junk(dcols, Ho, Wo, Wp)
            buf = xp.zeros((n1 - n0, C, (Hp + 1) * Wp), dtype=g.dtype)
            for i in range(kh):
                for j in range(kw):
                    off = i * dh * Wp + j * dw
                    buf[:, :, off:off + L] += dcols[:, :, i * kw + j]
            gx[n0:n1] = buf.reshape(n1 - n0, C, Hp + 1, Wp)[:, :, t:t + H, l:l + W]
    if gw is not None:
        gw = xp.ascontiguousarray(gw.T) if gw_t else gw
    return gx, (None if gw is None else gw.reshape(w.shape))


# ------------------------------------------------------------------ conv2d op
def _conv_kernel(xp, x, w, b, stride, pads, dil, groups):
    """Returns the output and the im2col columns kept for grad-weight (None: rebuilt there)."""
    kh, kw = w.shape[2:]
    out_hw = (out_size(x.shape[2], kh, stride[0], pads[0], pads[1], dil[0]),
              out_size(x.shape[3], kw, stride[1], pads[2], pads[3], dil[1]))
    if _flat_fits(x.shape[2:], w, stride, pads, dil, groups, out_hw):
        out, cols = flat_conv_forward(xp, x, w, b, pads, dil), None
    else:
        out, cols = conv_forward(xp, x, w, b, stride, pads, dil, groups)
    return suggested_layout(xp, out, x), cols  # a channels-last batch gives a channels-last result


# A 1-D conv's arrays, (N, C, L) and (O, C/g, k), go through the kernels as 2-D ones of height one;
# its stride/dilation pairs then start with 1 and its pads are (0, 0, p, p).
def _as2d(a):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if a.ndim == 3 else a


def _shape2d(shape):
    shape = tuple(shape)
    return shape[:2] + (1,) + shape[2:] if len(shape) == 3 else shape


def _back(a, ndim):
    """A kernel's 2-D result back at the caller's rank (3: a 1-D conv's)."""
    return a.reshape(a.shape[:2] + a.shape[3:]) if ndim == 3 else a


def conv2d_op(input, weight, bias, stride, pads, dil, groups, node_name="ConvolutionBackward0", also=()):
    """Arguments already normalized: stride/dil pairs, pads (top, bottom, left, right); a 1-D conv's
    (N, C, L) input and weight as they are (see ``_as2d``). ``node_name`` and ``also`` (tensors
    recorded as inputs that get no gradient): as conv3d_op's, for the formulas' calls."""
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    out, cols = _CONV.table[input._device.type](_as2d(x), _as2d(w), b, stride, pads, dil, groups)
    if x.ndim == 3 and not out.flags.c_contiguous:  # the kernel laid a 1-D conv's result out as its
        out = xp_of(input).ascontiguousarray(out)   # 2-D view's strides asked; PyTorch's is contiguous
    res = wrap(_back(out, x.ndim), input._device)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)
                       or (also and needs(*also))):
        record(_CONV, res, (input, weight, bias) + also,
               {"stride": stride, "pads": pads, "dil": dil, "groups": groups,
                "cols": cols if weight._requires_grad else None}, node_name=node_name)
    return res


_CONV = nnop("conv2d", _conv_kernel, conv2d_op, node="ConvolutionBackward0")


def _rounded(a, half):
    return a.astype(half) if half is not None and a is not None else a


def _grad_arrays(node, g):
    """The arrays of the first-order formulas (conv2d's, conv_transpose2d's): the input, weight and
    output gradient as a 2-D conv's, half-type ones (bfloat16, float16) widened to float32 so that
    each gradient is rounded once, by ``_grad_results``, as ATen accumulates them (ops/_bfloat16.py;
    col2im's slice-adds in float16 would round after every kernel offset). Returns (x, w, g, the half
    dtype they were or None)."""
    x, w = node.inputs[:2]
    xd, wd, gd = _as2d(x._data), _as2d(w._data), _as2d(g._data)
    half = gd.dtype if gd.dtype is BF16 or gd.dtype == np.float16 else None
    if half is not None:
        xd, wd, gd = widen_half(xd), widen_half(wd), widen_half(gd)
    if xd.dtype.kind == "c":  # each gradient takes the conjugate of the other factor (PyTorch's convention)
        xd, wd = xd.conj(), wd.conj()
    return xd, wd, gd, half


def _grad_results(node, gx, gw, gb, half, dev):
    """The arrays ``gx``/``gw`` (None: not needed) as the formula's result: rounded back to the half type
    when ``_grad_arrays`` widened, at the inputs' own rank, and None for the inputs in ``also``."""
    x, w = node.inputs[:2]
    gx = None if gx is None else wrap(_back(_rounded(gx, half), x.ndim), dev)
    gw = None if gw is None else wrap(_back(_rounded(gw, half), w.ndim), dev)
    return none_for_also(node, (gx, gw, gb))


@formula("conv2d", saves=(0, 1))  # (the bias is not kept: PyTorch's ConvolutionBackward0 packs input and weight)
def _conv_grad(node, g):
    if gs.enabled:  # create_graph=True: gradients through ops, which differentiate again
        return conv_grads(node, g, _OPS)
    a = node.attrs
    nx, nw, nb = node.needs_input_grad[:3]
    xp = get_backend(g._device).xp
    dev = g._device
    xd, wd, gd, half = _grad_arrays(node, g)
    gx = gw = gb = None
    if _flat_fits(xd.shape[2:], wd, a["stride"], a["pads"], a["dil"], a["groups"], gd.shape[2:]):
        gx, gw = flat_conv_backward(xp, gd, wd, xd.shape, a["pads"], a["dil"], xd if nw else None, nx)
    else:
        if nx:
            gx = conv_grad_input(xp, gd, wd, xd.shape, a["stride"], a["pads"], a["dil"], a["groups"])
        if nw:
            cols = a["cols"]
            if cols is not None and half is not None:
                cols = widen_half(cols)
            if cols is not None and cols.dtype.kind == "c":  # (the saved columns of x: conjugated as x was)
                cols = cols.conj()
            if cols is None:
                cols = _im2col_of(xp, xd, wd.shape, a["stride"], a["pads"], a["dil"], a["groups"], *gd.shape[2:])
            gw = conv_grad_weight(xp, gd, cols, wd.shape, a["groups"])
    if nb:
        gb = wrap(_rounded(xp.einsum("nohw->o", gd), half), dev)  # ~3x faster than sum(axis=(0, 2, 3)) here
    return _grad_results(node, gx, gw, gb, half, dev)


# ------------------------------------------------------------------ conv_transpose2d op
def _convT_kernel(xp, x, w, b, stride, pads, dil, groups, out_hw):
    if x.dtype.itemsize == 2 and xp is np:  # float16/bfloat16 in ATen's float32 order (half_kernels.py)
        return conv_transpose_half(x, w, b, stride, pads, dil, groups, tuple(out_hw))
    N = x.shape[0]
    Cin, Og, kh, kw = w.shape
    if phases_pay(xp, x, w, stride, groups):  # (adds the bias itself)
        return conv_transpose_phases(xp, x, w, b, stride, pads, dil, groups, tuple(out_hw))
    out_shape = (N, Og * groups) + tuple(out_hw)
    out = conv_grad_input(xp, x, w, out_shape, stride, pads, dil, groups)
    out = xp.ascontiguousarray(out)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d_op(input, weight, bias, stride, pads, dil, groups, out_hw, node_name="ConvolutionBackward0",
                        also=()):
    """``out_hw``: the output's spatial sizes (output_padding applied; one size for a 1-D conv)."""
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    out = _CONVT.table[input._device.type](_as2d(x), _as2d(w), b, stride, pads, dil, groups,
                                           _shape2d((0, 0) + tuple(out_hw))[2:])
    if x.ndim == 4:  # a channels-last batch gives a channels-last result, as in PyTorch (whose 1-D
        out = suggested_layout(xp_of(input), out, x)  # transposed conv returns a contiguous one)
    res = wrap(_back(out, x.ndim), input._device)
    if gs.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)
                       or (also and needs(*also))):
        record(_CONVT, res, (input, weight, bias) + also,
               {"stride": stride, "pads": pads, "dil": dil, "groups": groups, "transposed_out": tuple(out_hw)},
               node_name=node_name)
    return res


_CONVT = nnop("conv_transpose2d", _convT_kernel, conv_transpose2d_op, node="ConvolutionBackward0", bf16_native=True)


@formula("conv_transpose2d", saves=(0, 1))
def _convT_grad(node, g):
    if gs.enabled:  # create_graph=True: gradients through ops, which differentiate again
        return conv_transpose_grads(node, g, _OPS)
    a = node.attrs
    nx, nw, nb = node.needs_input_grad[:3]
    xp = get_backend(g._device).xp
    dev = g._device
    xd, wd, gd, half = _grad_arrays(node, g)
    gx = gw = gb = None
    H, W = xd.shape[2:]
    cols = None
    if nx:
        gx, cols = conv_forward(xp, gd, wd, None, a["stride"], a["pads"], a["dil"], a["groups"])
        if gx.shape[2:] != (H, W):   # output_padding: rows and columns past the input's
            gx, cols = gx[:, :, :H, :W], None
    if nw:
        if cols is None:
            cols = _im2col_of(xp, gd, wd.shape, a["stride"], a["pads"], a["dil"], a["groups"], H, W)
        gw = conv_grad_weight(xp, xd, cols, wd.shape, a["groups"])
    if nb:
        gb = wrap(_rounded(gd.sum(axis=(0, 2, 3)), half), dev)
    return _grad_results(node, gx, gw, gb, half, dev)


# ------------------------------------------------------------------ conv2d_weight op (for create_graph=True)
def conv2d_weight_op(input, grad_output, wshape, stride, pads, dil, groups, cols=None, node_name=BB, also=()):
    """The weight gradient of conv2d(input, w) given its output gradient (bilinear in both); its
    kernel is conv3d.py's, written for any rank."""
    x = input._data
    gw = _WEIGHT.table[input._device.type](_as2d(x), _as2d(grad_output._data), _shape2d(wshape), stride, pads, dil,
                                           groups, cols)
    res = wrap(_back(gw, x.ndim), input._device)
    if needs(input, grad_output, *also):
        record(_WEIGHT, res, (input, grad_output) + also, {"stride": stride, "pads": pads, "dil": dil,
                                                           "groups": groups}, node_name=node_name)
    return res


_WEIGHT = nnop("conv2d_weight", _conv3d._weight_kernel, conv2d_weight_op, node=BB)
_OPS = (conv2d_op, conv_transpose2d_op, conv2d_weight_op)


declare_conv_saved(_conv_grad, False)
declare_conv_saved(_convT_grad, True)


@formula("conv2d_weight")
def _weight_grad(node, gw):
    return weight_grads(node, gw, _OPS)


# ------------------------------------------------------------------ unfold / fold
# Each the other's gradient, written with the ops (so they differentiate again). Unbatched inputs
# go through the kernels with a batch of one added to the arrays: the node sits on the input itself
# (Im2ColBackward0, Col2ImBackward0), as PyTorch's.
def _window_counts(H, W, k, stride, pads, dil):
    """(Ho, Wo): how many windows fit along H and W (unfold's output positions, fold's input ones)."""
    return (out_size(H, k[0], stride[0], pads[0], pads[1], dil[0]),
            out_size(W, k[1], stride[1], pads[2], pads[3], dil[1]))


def _unfold_kernel(xp, x, k, stride, pads, dil):
    N, C, H, W = x.shape
    kh, kw = k
    Ho, Wo = _window_counts(H, W, k, stride, pads, dil)
    win = windows(xp, pad2d(xp, x, pads), kh, kw, stride[0], stride[1], dil[0], dil[1], Ho, Wo)
    return xp.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, Ho * Wo))


def _run_with_batch(op, input, batched_ndim, leading, k, stride, pads, dil):
    """unfold's or fold's forward: the kernel runs on the array with a batch of one added when the
    input has none (``batched_ndim - 1`` dims), and the node is recorded on the input itself."""
    a = input._data
    unbatched = a.ndim != batched_ndim
    out = op.table[input._device.type](a[None] if unbatched else a, *leading, k, stride, pads, dil)
    res = wrap(out[0] if unbatched else out, input._device)
    if gs.enabled and input._requires_grad:
        record(op, res, (input,), {"k": k, "stride": stride, "pads": pads, "dil": dil})
    return res


def unfold_op(input, k, stride, pads, dil):
    return _run_with_batch(_UNFOLD, input, 4, (), k, stride, pads, dil)


_UNFOLD = nnop("unfold", _unfold_kernel, unfold_op, node="Im2ColBackward0")


@formula("unfold", saves=())
def _unfold_grad(node, g):
    a = node.attrs
    return (fold_op(g, node.in_meta[0][0][-2:], a["k"], a["stride"], a["pads"], a["dil"]),)


def _fold_kernel(xp, cols, out_hw, k, stride, pads, dil):
    N, CK, L = cols.shape
    kh, kw = k
    C = CK // (kh * kw)
    H, W = out_hw
    Ho, Wo = _window_counts(H, W, k, stride, pads, dil)
    dcols = cols.reshape(N, C, kh, kw, Ho, Wo)
    return xp.ascontiguousarray(col2im(xp, dcols, (N, C, H, W), kh, kw, stride[0], stride[1], dil[0], dil[1], pads))


def fold_op(input, out_hw, k, stride, pads, dil):
    return _run_with_batch(_FOLD, input, 3, (tuple(out_hw),), k, stride, pads, dil)


_FOLD = nnop("fold", _fold_kernel, fold_op, node="Col2ImBackward0")


@formula("fold", saves=())
def _fold_grad(node, g):
    a = node.attrs
    return (unfold_op(g, a["k"], a["stride"], a["pads"], a["dil"]),)
