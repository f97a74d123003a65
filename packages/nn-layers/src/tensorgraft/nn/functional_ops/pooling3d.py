"""3-D pooling over strided views of the padded input (one elementwise pass per kernel offset, never a
loop over voxels): max (with indices; dilation, ceil_mode), average (count_include_pad,
divisor_override, ceil_mode), adaptive average (one small matrix product per spatial dim) and adaptive
max (one gather of every bin's box, then an argmax).

Each backward is an op of its own whose formula is the forward again (average pools are linear) or a
gather at the saved indices (max pools), so gradients differentiate again (``create_graph=True``) and
the nodes carry PyTorch's names (``MaxPool3DWithIndicesBackwardBackward0`` ...).

The kernels take (N, C, *spatial) arrays of any rank: pooling.py's 2-D ops use the backward ones,
adaptive average and adaptive max too."""
from __future__ import annotations

import math
from tensorgraft.argument_errors import c_type_name

import numpy as np

from tensorgraft.amp._state import state as _autocast
from tensorgraft.tensor import Tensor

from ._common import batched, batched_shape, check_tensor, formula, gs, needs, nnop, record, unbatched, wrap
from .conv3d import crop, offsets, pad_nd
from .half_kernels import adaptive_avg3d_half
from tensorgraft.dtypes import BF16
from tensorgraft.dtypes import np_kind as _np_kind


def pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def adaptive_bins(n_in, n_out):
    return [(math.floor(i * n_in / n_out), math.ceil((i + 1) * n_in / n_out)) for i in range(n_out)]


def _geometry(sp, k, s, p, d, ceil_mode):
    """Output sizes and the (lo, hi) padding per dim; ``hi`` grows where ceil_mode's last window
    overhangs the padded input."""
    out = tuple(pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sp, k, s, p, d))
    pads = []
    for n, o, kk, ss, pp, dd in zip(sp, out, k, s, p, d):
        pads += [pp, pp + max(0, (o - 1) * ss + dd * (kk - 1) + 1 - (n + 2 * pp))]
    return out, tuple(pads)


def _scatter_windows(xp, per_offset, in_shape, k, s, d, pads, out, dtype):
    """Accumulate ``per_offset(kk)`` (N, C, *out) into the padded input grid, then crop."""
    padded = tuple(max(n + pads[2 * i] + pads[2 * i + 1], (o - 1) * ss + (kk - 1) * dd + 1)
                   for i, (n, o, ss, kk, dd) in enumerate(zip(in_shape[2:], out, s, k, d)))
    buf = xp.zeros(tuple(in_shape[:2]) + padded, dtype=dtype)
    for kk, _, sl in offsets(k, s, d, out):
        buf[(slice(None), slice(None)) + sl] += per_offset(kk)
    return xp.ascontiguousarray(buf[crop(pads, in_shape[2:])])


# ------------------------------------------------------------------ max pool
def _flat_index(xp, am, k, s, p, d, out, in_sp):
    """Winning kernel offset per output -> flat index into the (D, H, W) volume (int64): the window's
    origin plus the offset's displacement (a lookup table of K entries)."""
    r = len(k)
    strides = [math.prod(in_sp[j + 1:]) for j in range(r)]
    disp = [sum(i * dd * st for i, dd, st in zip(idx, d, strides)) for _, idx, _ in offsets(k, s, d, out)]
    idx = xp.take(xp.asarray(disp, dtype=xp.int64), am)
    for j in range(r):
        idx += ((xp.arange(out[j], dtype=xp.int64) * s[j] - p[j]) * strides[j]).reshape((out[j],) + (1,) * (r - 1 - j))
    return idx


def _maxpool_kernel(xp, x, k, s, p, d, ceil_mode, need_idx):
    """Running maximum over the kernel offsets, and (when asked) each window's winner as a flat index:
    the first maximum on ties, the last NaN when there is one (PyTorch's ``val > max || isnan(val)``)."""
    out_sp, pads = _geometry(x.shape[2:], k, s, p, d, ceil_mode)
    neg = -xp.inf if _np_kind(x.dtype) == "f" else xp.iinfo(x.dtype).min
    xpad = pad_nd(xp, x, pads, neg)
    K = math.prod(k)
    # On CPU the NaN-aware scan runs only once the output shows a NaN; on a GPU asking would wait for
    # the queued kernels (a sync per layer), so it always runs there.
    nan_wins = need_idx and xp is not np and _np_kind(x.dtype) == "f"
    while True:
        out = am = None
        if need_idx and any(pads):
            # a padded position never wins, even against an input equal to the padding value (-inf):
            # start from the window's first position inside the input, as PyTorch's scan does
            out = xp.full(x.shape[:2] + out_sp, neg, dtype=x.dtype)
            am = xp.zeros(out.shape, xp.int8 if K < 128 else xp.int32)
            r = len(k)
            for j in range(r):
                first = xp.maximum((d[j] - 1 - (xp.arange(out_sp[j]) * s[j] - p[j])) // d[j], 0)
                am += (first * math.prod(k[j + 1:])).astype(am.dtype).reshape((out_sp[j],) + (1,) * (r - 1 - j))
        for kk, _, sl in offsets(k, s, d, out_sp):
            v = xpad[(slice(None), slice(None)) + sl]
            if out is None:
                out = v.copy()
                if need_idx:
                    am = xp.zeros(out.shape, xp.int8 if K < 128 else xp.int32)
                continue
            if am is not None:
                better = v > out
                if nan_wins:
                    better |= xp.isnan(v)
                # am = kk where better, by arithmetic (a masked write is several times slower)
                step = -am
                step += kk
                step *= better.view(xp.int8) if am.dtype == xp.int8 else better
                am += step
            xp.maximum(out, v, out=out)
        if am is None or nan_wins or _np_kind(x.dtype) != "f" or not out.size or not xp.isnan(out.min()):
            break
        nan_wins = True
    idx = _flat_index(xp, am, k, s, p, d, out_sp, x.shape[2:]) if need_idx else None
    return out, idx


def _b(a):
    return batched(a, 3)


def _unb(a, like):
    return unbatched(a, len(like), 3)


def _b_shape(shape):
    return batched_shape(shape, 3)


def max_pool3d_op(input, k, s, p, d, ceil_mode, return_indices=False):
    need_grad = gs.enabled and input._requires_grad
    out, idx = _MAXPOOL3D.table[input._device.type](_b(input._data), k, s, p, d, ceil_mode,
                                                    need_grad or return_indices)
    shp = input.shape
    out, idx = _unb(out, shp), (None if idx is None else _unb(idx, shp))
    res = wrap(out, input._device)
    if need_grad:
        overlap = any(ss < (kk - 1) * dd + 1 for kk, ss, dd in zip(k, s, d))
        record(_MAXPOOL3D, res, (input,), {"idx": idx, "overlap": overlap}, node_name="MaxPool3DWithIndicesBackward0")
    return res, (wrap(idx, input._device) if return_indices else None)


_MAXPOOL3D = nnop("max_pool3d", _maxpool_kernel, max_pool3d_op)


def _index_scatter_kernel(xp, g, idx, in_shape, overlap):
    """Output gradient -> input gradient, each value added at its flat index (per (n, c) plane)."""
    NC = in_shape[0] * in_shape[1]
    V = math.prod(in_shape[2:])
    flat = (idx.reshape(NC, idx.size // max(NC, 1)) + xp.arange(0, NC * V, V, dtype=xp.int64).reshape(NC, 1)).ravel()
    if not overlap:  # each input voxel in at most one window: a plain scatter
        gx = xp.zeros(NC * V, dtype=g.dtype)
        gx[flat] = g.ravel()
    else:
        gx = xp.bincount(flat, weights=g.ravel(), minlength=NC * V).astype(g.dtype, copy=False)
    return gx.reshape(in_shape)


def scatter_grad(node, gg):
    """The formula of an index scatter (a max pool's backward op, attrs ``idx``, ``in_shape`` and the
    spatial ``rank``): the gradient of a scatter-add is a gather at the same indices."""
    a = node.attrs
    idx, r = a["idx"], a["rank"]
    lead = idx.shape[:-r]
    flat_idx = wrap(idx.reshape(lead + (math.prod(idx.shape[-r:]),)), gg._device)
    gg = gg.reshape(lead + (math.prod(a["in_shape"][-r:]),)).gather(-1, flat_idx).reshape(idx.shape)
    return (gg,) + (None,) * (len(node.needs_input_grad) - 1)


def index_scatter_ops(name, spatial):
    """A max pool's backward op: ``scatter(grad, idx, in_shape, overlap, node_name, also=())`` adds
    ``grad`` at the flat plane indices ``idx`` (an array shaped as ``grad``); ``overlap``: whether
    windows may share a position. ``also``: the forward's input, recorded as an input with no
    gradient, as PyTorch's node has it (so a gradient taken with create_graph=True requires grad
    exactly when PyTorch's does). Its own gradient is a gather (``scatter_grad``)."""
    def scatter(grad, idx, in_shape, overlap, node_name, also=()):
        gx = op.table[grad._device.type](batched(grad._data, spatial), batched(idx, spatial),
                                         batched_shape(in_shape, spatial), overlap)
        res = wrap(unbatched(gx, len(in_shape), spatial), grad._device)
        if needs(grad, *also):
            record(op, res, (grad,) + tuple(also), {"idx": idx, "in_shape": tuple(in_shape), "rank": spatial},
                   node_name=node_name)
        return res

    op = nnop(name, _index_scatter_kernel, scatter)
    formula(name, saves=())(scatter_grad)
    return scatter


def adaptive_max_pool_op(name, node, spatial, scatter):
    """``forward(input, out_sizes)`` -> (output, indices) of an adaptive max pool, its gradient the
    ``scatter`` op at the winners."""
    def forward(input, out_sp):
        x = input._data
        out, idx = op.table[input._device.type](batched(x, spatial), tuple(out_sp))
        out, idx = unbatched(out, x.ndim, spatial), unbatched(idx, x.ndim, spatial)
        res = wrap(out, input._device)
        if gs.enabled and input._requires_grad:
            record(op, res, (input,), {"idx": idx}, node_name=node + "Backward0")
        return res, wrap(idx, input._device)

    op = nnop(name, _adamax_kernel, forward)

    @formula(name)
    def _grad(n, g):
        return (scatter(g, n.attrs["idx"], n.in_meta[0][0], True, node + "BackwardBackward0", also=n.inputs),)

    return forward


index_scatter_op = index_scatter_ops("max_pool3d_backward", 3)


@formula("max_pool3d")
def _maxpool3d_grad(node, g):
    a = node.attrs
    return (index_scatter_op(g, a["idx"], node.in_meta[0][0], a["overlap"], "MaxPool3DWithIndicesBackwardBackward0",
                             also=node.inputs),)


# ------------------------------------------------------------------ average pool
def _avg_divisor(xp, sp, k, s, p, out, count_include_pad, dtype):
    """The divisor of each output position: the product over dims of the window's length, clipped
    to the padded input (count_include_pad) or to the input."""
    r = len(sp)
    div = None
    for j, (n, kk, ss, pp, o) in enumerate(zip(sp, k, s, p, out)):
        start = xp.arange(o) * ss - pp
        end = xp.minimum(start + kk, n + pp)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = xp.minimum(end, n) - xp.maximum(start, 0)
        cnt = cnt.astype(dtype).reshape((o,) + (1,) * (r - 1 - j))
        div = cnt if div is None else div * cnt
    return div


def sum_of_views(views):
    """The elementwise sum of equal-shape array views (one per kernel offset), in a fresh array;
    the 2-D average pool sums its windows with it too."""
    tot = None
    for v in views:
        if tot is None:
            tot = v.copy()
        else:
            tot += v
    return tot


def _avgpool_kernel(xp, x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    out_sp, pads = _geometry(x.shape[2:], k, s, p, (1,) * len(k), ceil_mode)
    xpad = pad_nd(xp, x, pads)
    tot = sum_of_views([xpad[(slice(None), slice(None)) + sl] for _, _, sl in offsets(k, s, (1,) * len(k), out_sp)])
    div = divisor_override or _avg_divisor(xp, x.shape[2:], k, s, p, out_sp, count_include_pad, x.dtype)
    return (tot / div).astype(x.dtype, copy=False)


def _avgpool_backward_kernel(xp, g, in_shape, k, s, p, ceil_mode, count_include_pad, divisor_override):
    ones = (1,) * len(k)
    out_sp, pads = _geometry(in_shape[2:], k, s, p, ones, ceil_mode)
    div = divisor_override or _avg_divisor(xp, in_shape[2:], k, s, p, out_sp, count_include_pad, g.dtype)
    gd = (g / div).astype(g.dtype, copy=False)
    return _scatter_windows(xp, lambda kk: gd, in_shape, k, s, ones, pads, out_sp, g.dtype)


def linear_pool_ops(name, node, spatial, kernel, backward_kernel, **extra):
    """A pool that is linear in its input (average, adaptive average) and its backward, linear in
    the output gradient: each is the other's gradient, so derivatives of every order are exact and
    carry PyTorch's node names (``<node>Backward0``, ``<node>BackwardBackward0``). The kernels take
    batched arrays: ``kernel(xp, x, *args)``, ``backward_kernel(xp, g, in_shape, *args)``.
    Returns ``forward(input, *args)`` and ``backward(grad, in_shape, args, also=())``."""
    def forward(input, *args):
        x = input._data
        out = fwd.table[input._device.type](batched(x, spatial), *args)
        res = wrap(unbatched(out, x.ndim, spatial), input._device)
        if gs.enabled and input._requires_grad:
            record(fwd, res, (input,), {"args": args}, node_name=node + "Backward0")
        return res

    def backward(grad, in_shape, args, also=()):
        g = grad._data
        gx = bwd.table[grad._device.type](batched(g, spatial), batched_shape(in_shape, spatial), *args)
        res = wrap(unbatched(gx, g.ndim, spatial), grad._device)
        if needs(grad, *also):
            record(bwd, res, (grad,) + tuple(also), {"args": args}, node_name=node + "BackwardBackward0")
        return res

    fwd = nnop(name, kernel, forward, **extra)
    bwd = nnop(name + "_backward", backward_kernel, backward)

    @formula(name)
    def _grad(n, g):
        return (backward(g, n.in_meta[0][0], n.attrs["args"], also=n.inputs),)

    @formula(name + "_backward", saves=())
    def _grad_of_grad(n, gg):
        return (forward(gg, *n.attrs["args"]),) + (None,) * (len(n.needs_input_grad) - 1)

    return forward, backward


avg_pool3d_op, avg_pool3d_backward_op = linear_pool_ops("avg_pool3d", "AvgPool3D", 3, _avgpool_kernel,
                                                        _avgpool_backward_kernel)


# ------------------------------------------------------------------ adaptive average pool
def _bin_matrix(xp, n, o, dtype):
    """(o, n): row i averages input positions [floor(i*n/o), ceil((i+1)*n/o))."""
    i = xp.arange(o).reshape(o, 1)
    start, end = (i * n) // o, -((-(i + 1) * n) // o)
    j = xp.arange(n).reshape(1, n)
    return (((j >= start) & (j < end)) / (end - start)).astype(dtype)


def _per_dim_kernel(xp, x, sizes, transpose):
    """Apply a bin matrix along each spatial dim in turn (``transpose``: their transposes, the
    backward); ``sizes`` = (input sizes, output sizes)."""
    n_in, n_out = sizes
    y = x
    for j, (n, o) in enumerate(zip(n_in, n_out)):
        m = _bin_matrix(xp, n, o, x.dtype)
        if transpose:
            m = m.T
        ax = 2 + j
        shp = y.shape
        pre, post = math.prod(shp[:ax]), math.prod(shp[ax + 1:])
        if post == 1:
            y = y.reshape(pre, shp[ax]).dot(m.T)
        else:
            y = xp.matmul(m, y.reshape(pre, shp[ax], post))
        y = y.reshape(shp[:ax] + (m.shape[0],) + shp[ax + 1:])
    return xp.ascontiguousarray(y)


def adaptive_avg_kernel(xp, x, sizes):
    return _per_dim_kernel(xp, x, sizes, False)


def adaptive_avg_backward_kernel(xp, g, in_shape, sizes):
    return _per_dim_kernel(xp, g, sizes, True)


def _adaptive_avg3d_kernel(xp, x, sizes):
    if xp is np and (x.dtype == np.float16 or x.dtype is BF16):
        return adaptive_avg3d_half(x, sizes)
    return adaptive_avg_kernel(xp, x, sizes)


# (bf16_native: the half path rounds as ATen does, not once from float32)
_adaptive_avg3d, _ = linear_pool_ops("adaptive_avg_pool3d", "AdaptiveAvgPool3D", 3, _adaptive_avg3d_kernel,
                                     adaptive_avg_backward_kernel, bf16_native=True)


def adaptive_avg_pool3d_op(input, out_sp):
    return _adaptive_avg3d(input, (tuple(input.shape[-3:]), tuple(out_sp)))


# ------------------------------------------------------------------ adaptive max pool
def box_max(xp, v):
    """The maximum of each box (the last axis of ``v``) and its position there: the first maximum,
    or the last NaN when there is one (ATen's ``val > max || isnan(val)`` scan). Shared with the
    fractional max pools, which gather their windows the same way."""
    am = v.argmax(-1)
    if _np_kind(v.dtype) == "f" and v.size:
        nan = xp.isnan(v)
        last_nan = nan.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
        am = xp.where(nan.any(-1), last_nan, am)
    return xp.take_along_axis(v, am[..., None], -1)[..., 0], am


def _adamax_kernel(xp, x, out_sp):
    """Gather every bin's box (padded to the largest bin by repeating its last position, which never
    wins a tie) and take the argmax: the first maximum, the last NaN, as PyTorch."""
    N, C = x.shape[:2]
    sp = x.shape[2:]
    r = len(sp)
    if not all(out_sp):
        return xp.empty((N, C) + tuple(out_sp), x.dtype), xp.empty((N, C) + tuple(out_sp), xp.int64)
    flat = None
    stride = 1
    for j in reversed(range(r)):
        n, o = sp[j], out_sp[j]
        kmax = max(b - a for a, b in adaptive_bins(n, o))
        i = xp.arange(o, dtype=xp.int64).reshape(o, 1)
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        ind = xp.minimum(start + xp.arange(kmax, dtype=xp.int64), end - 1) * stride  # (o, kmax)
        # axes (o0, o1, o2, k0, k1, k2): dim j's bins on axis j, its box offsets on axis r + j
        shape = [1] * (2 * r)
        shape[j], shape[r + j] = o, kmax
        ind = ind.reshape(shape)
        flat = ind if flat is None else flat + ind
        stride *= n
    Lout = math.prod(out_sp)
    flat = flat.reshape(Lout, -1)
    v = xp.take(x.reshape(N, C, math.prod(sp)), flat, axis=2)       # (N, C, Lout, Kmax)
    out, am = box_max(xp, v)
    idx = flat[xp.arange(Lout).reshape(1, 1, Lout), am]
    return out.reshape((N, C) + tuple(out_sp)), idx.reshape((N, C) + tuple(out_sp))


adaptive_max_pool3d_op = adaptive_max_pool_op("adaptive_max_pool3d", "AdaptiveMaxPool3D", 3, index_scatter_op)


# ------------------------------------------------------------------ public functions (F.max_pool3d, ...)
def _triple(v, fname, name, verb):
    """``v`` (an int, or a sequence of one or three) as a 3-tuple of ints; PyTorch's error otherwise,
    "<fname>: <name> <verb> a single int, or a tuple of three ints"."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * 3
        if len(v) != 3:
            raise RuntimeError(f"{fname}: {name} {verb} a single int, or a tuple of three ints")
        return tuple(int(a) for a in v)
    return (int(v),) * 3


def _window_triples(fname, verb, kernel_size, stride, padding):
    """kernel_size, stride (the kernel size when omitted) and padding as 3-tuples, checked in that
    order; ``verb`` is the wording of the function's messages ("must either be" for max_pool3d's,
    "must be" for avg_pool3d's)."""
    k = _triple(kernel_size, fname, "kernel_size", verb)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = _triple(stride, fname, "stride", verb + " omitted,")
    return k, s, _triple(padding, fname, "padding", verb)


def _check_volume(input, fname):
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    for i, n in enumerate(input.shape):
        if n == 0 and not (input.ndim == 5 and i == 0):
            # (PyTorch prints the dimension's size where it means its index)
            raise RuntimeError(f"{fname}: Expected input's non-batch dimensions to have positive length, but input has "
                               f"a shape of {list(input.shape)} and non-batch dimension 0 has length zero!")


def _not_implemented(kernel, input):
    from tensorgraft.ops._frontend import _type_name
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")


def _check_pool(input, fname, k, s, p, d, ceil_mode):
    """Shape checks shared by max_pool3d and avg_pool3d; returns the output sizes."""
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    sp = tuple(input.shape[-3:])
    if fname == "avg_pool3d" and any(n < kk for n, kk in zip(sp, k)):
        raise RuntimeError("input image (T: {} H: {} W: {}) smaller than kernel size (kT: {} kH: {} kW: {})".format(
            *sp, *k))
    out, _ = _geometry(sp, k, s, p, d, ceil_mode)
    if any(o < 1 for o in out):
        C = input.shape[-4]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + sp))}). Calculated output size: "
                           f"({'x'.join(map(str, (C,) + out))}). Output size is too small")


def _is_int_like(v):
    """An int as PyTorch's argument parser takes one in a "tuple of ints": Python/NumPy ints (not
    bool) and integer tensors of one element."""
    if isinstance(v, Tensor):
        return _np_kind(v._data.dtype) in "iu" and v._data.size == 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def check_int_tuples(fname, *args):
    """PyTorch's argument parser on the pools' "tuple of ints" arguments, each ``(name, position,
    value)`` (``None`` and an empty list, a stride left out, pass): without it a float kernel size
    was truncated and pooled where PyTorch raises a TypeError. The "pos" of an element after the
    first is its 1-based place in the sequence, as PyTorch words it."""
    for name, pos, v in args:
        if v is None:
            continue
        if isinstance(v, (tuple, list)):
            for i, e in enumerate(v):
                if _is_int_like(e):
                    continue
                if i == 0:
                    raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, but found "
                                    f"element of type {c_type_name(e)} at pos 0")
                raise TypeError(f"{fname}(): argument '{name}' failed to unpack the object at pos {i + 1} with error "
                                f"\"type must be tuple of ints,but got {c_type_name(e)}\"")
        elif not _is_int_like(v):
            raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, not "
                            f"{c_type_name(v)}")


def _output_shape_checks(k, s, p, d):
    """ATen's ``pooling_output_shape`` for D, H then W, which runs before the kernel, stride and
    dilation checks of ``pool3d_shape_check``: a kernel of -3 is "pad should be at most half" (C's
    integer division, toward zero, of the effective kernel size)."""
    for kk, ss, pp, dd in zip(k, s, p, d):
        if ss == 0:
            raise RuntimeError("stride should not be zero")
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        eff = (kk - 1) * dd + 1
        if pp > int(eff / 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    check_tensor(input, "max_pool3d")
    if _autocast.on and not return_indices:  # (PyTorch's CPU float32 list has max_pool3d, not its
        input, = _autocast.fp32_cpu(input)        # with-indices form, and the other 3-d pools below)
    check_int_tuples("max_pool3d_with_indices" if return_indices else "max_pool3d", ("kernel_size", 2, kernel_size),
                     ("stride", 3, stride), ("padding", 4, padding), ("dilation", 5, dilation))
    k, s, p = _window_triples("max_pool3d", "must either be", kernel_size, stride, padding)
    d = _triple(dilation, "max_pool3d", "dilation", "must be either")
    _output_shape_checks(k, s, p, d)
    if any(kk <= 0 for kk in k):
        raise RuntimeError("kernel size should be greater than zero, but got kT: {} kH: {} kW: {}".format(*k))
    if any(ss < 0 for ss in s):
        raise RuntimeError("stride should be greater than zero, but got dT: {} dH: {} dW: {}".format(*s))
    if any(dd <= 0 for dd in d):
        raise RuntimeError("dilation should be greater than zero, but got dilationT: {} dilationH: {} "
                           "dilationW: {}".format(*d))
    for pp in p:
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
    _check_volume(input, "max_pool3d_with_indices_out_cpu_template()")
    if input.dtype.is_complex or str(input._data.dtype) == "bool":
        raise _not_implemented("max_pool3d", input)
    _check_pool(input, "max_pool3d", k, s, p, d, ceil_mode)
    out, idx = max_pool3d_op(input, k, s, p, d, bool(ceil_mode), bool(return_indices))
    return (out, idx) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    check_tensor(input, "avg_pool3d")
    if _autocast.on:
        input, = _autocast.fp32_cpu(input)
    check_int_tuples("avg_pool3d", ("kernel_size", 2, kernel_size), ("stride", 3, stride), ("padding", 4, padding))
    k, s, p = _window_triples("avg_pool3d", "must be", kernel_size, stride, padding)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(divisor_override, int)):
        raise TypeError(f"avg_pool3d(): argument 'divisor_override' must be int, not "
                        f"{c_type_name(divisor_override)}")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _output_shape_checks(k, s, p, (1, 1, 1))
    if any(kk <= 0 for kk in k):
        raise RuntimeError("kernel size should be greater than zero, but got kT: {} kH: {} kW: {}".format(*k))
    for pp in p:
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
    _check_volume(input, "avg_pool3d()")
    # (ATen's CPU kernel: float, double and Long; not half nor bfloat16)
    if (_np_kind(input._data.dtype) not in "f" or input._data.dtype.itemsize < 4) and str(input._data.dtype) != "int64":
        raise _not_implemented("avg_pool3d_out_frame", input)
    _check_pool(input, "avg_pool3d", k, s, p, (1, 1, 1), ceil_mode)
    return avg_pool3d_op(input, k, s, p, bool(ceil_mode), bool(count_include_pad), divisor_override)


def _adaptive_size(input, output_size):
    """The output sizes (None: the input's size there), and PyTorch's Python-side rank check."""
    if isinstance(output_size, (tuple, list)):
        if input.ndim <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        sizes = tuple(input.shape[-len(output_size):])
        return tuple(n if o is None else int(o) for o, n in zip(output_size, sizes))
    return (int(output_size),) * 3


def _check_adaptive(input, fname, sep):
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{fname}(): Expected 4D or 5D tensor, but got{sep} {list(input.shape)}")
    for i in range(input.ndim - 4, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")


def adaptive_avg_pool3d(input, output_size):
    check_tensor(input, "adaptive_avg_pool3d")
    if _autocast.on:
        input, = _autocast.fp32_cpu(input)
    out = _adaptive_size(input, output_size)
    if len(out) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if any(o < 0 for o in out):
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                           "received {{{}, {},{}}}".format(*out))
    _check_adaptive(input, "adaptive_avg_pool3d", "")
    if _np_kind(input._data.dtype) not in "f":
        raise _not_implemented("adaptive_avg_pool3d_cpu", input)
    if out == (1, 1, 1):  # as PyTorch: a plain mean (MeanBackward1)
        return input.mean(dim=(-3, -2, -1), keepdim=True)
    return adaptive_avg_pool3d_op(input, out)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    check_tensor(input, "adaptive_max_pool3d")
    if _autocast.on:
        input, = _autocast.fp32_cpu(input)
    out = _adaptive_size(input, output_size)
    if len(out) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    _check_adaptive(input, "adaptive_max_pool3d", ":")
    if min(out) < 0:  # (ATen finds it making the output, before the dtype; as adaptive_max_pool2d)
        shape = list(input.shape[:-3]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(v for v in out if v < 0)}: {shape}")
    if _np_kind(input._data.dtype) not in "f":
        raise _not_implemented("adaptive_max_pool3d_cpu", input)
    res, idx = adaptive_max_pool3d_op(input, out)
    return (res, idx) if return_indices else res
