"""Gradients of ``tensorgraft/ops/indexing.py``."""
from __future__ import annotations

import numpy as np

from . import formula


def _cupy_region(mask, a):  # pragma: no cover - CUDA
    from cupy.lib.stride_tricks import as_strided
    return as_strided(mask.reshape(-1)[a["offset"]:], a["size"], tuple(st * mask.itemsize for st in a["stride"]))


def _tg():
    import tensorgraft as tg
    return tg


@formula("__getitem__", saves=())
def getitem(node, g):
    from tensorgraft.ops.indexing import index_backward
    return (index_backward(g, node.attrs["shape"], node.attrs["index"]),)


@formula("_index_backward", saves=())
def index_backward_grad(node, g):
    from tensorgraft.ops.indexing import index_apply
    return (index_apply(g, node.attrs["index"]),)


@formula("__setitem__", saves=())
def setitem(node, g):
    """IndexPutBackward0, or CopySlices when the assignment went through a view of the base
    (``attrs`` then also hold the view's size/stride/offset within the base)."""
    from tensorgraft.ops.indexing import _index_put_kernel, _xp, index_apply, region_of
    from tensorgraft.tensor import wrap
    a = node.attrs
    idx = a["index"]
    need_old, need_value = node.needs_input_grad
    view = "size" in a
    g_old = g_val = None
    if need_old:
        # the overwritten entries get exactly 0, as PyTorch (g * a 0/1 mask would turn an inf or
        # NaN gradient there into NaN, e.g. y[y < eps] = 0 followed by y.sqrt())
        xp = _xp(g)
        kept = xp.ones(g._data.shape, dtype=bool)
        region = kept
        if view:
            region = np.lib.stride_tricks.as_strided(
                kept.reshape(-1)[a["offset"]:], a["size"], tuple(st * kept.itemsize for st in a["stride"])) \
                if xp is np else _cupy_region(kept, a)
        _index_put_kernel(xp, region, idx, False)
        g_old = _tg().where(wrap(kept, g._device), g, _tg().zeros((), dtype=g.dtype, device=g.device))
    if need_value:
        g_val = index_apply(region_of(g, a) if view else g, idx)
        vmeta = node.in_meta[1]
        while g_val.ndim < len(vmeta[0]):
            g_val = g_val.unsqueeze(0)
    return g_old, g_val


@formula("where", saves=(0,))
def where(node, g):
    tg = _tg()
    cond = node.inputs[0]
    zero = tg.zeros_like(g)
    need = node.needs_input_grad
    return (None, tg.where(cond, g, zero) if need[1] else None, tg.where(cond, zero, g) if need[2] else None)


@formula("gather", saves=(1,))
def gather(node, g):
    tg = _tg()
    index = node.inputs[1]
    shape, npd = node.in_meta[0]
    z = tg.zeros(shape, dtype=g.dtype, device=g.device)
    return z.scatter_add(node.attrs["dim"], index, g), None


@formula("scatter", saves=(1,))
def scatter(node, g):
    index = node.inputs[1]
    d = node.attrs["dim"]
    if node.attrs.get("reduce") is not None:
        raise RuntimeError("the derivative for 'scatter' with a reduce argument is not implemented")
    need_in, _, need_src = node.needs_input_grad
    gi = g.scatter(d, index, 0.0) if need_in else None
    gs = _pad_to(g.gather(d, index), node.in_meta[2][0]) if need_src and node.in_meta[2] is not None else None
    return gi, None, gs


@formula("scatter_add", saves=(1,))
def scatter_add(node, g):
    index = node.inputs[1]
    need_in, _, need_src = node.needs_input_grad
    gs = _pad_to(g.gather(node.attrs["dim"], index), node.in_meta[2][0]) if need_src else None
    return (g if need_in else None), None, gs


@formula("index_select", saves=(1,))
def index_select(node, g):
    tg = _tg()
    index = node.inputs[1]
    shape = node.in_meta[0][0]
    d = node.attrs["dim"]
    z = tg.zeros(shape if shape else (1,), dtype=g.dtype, device=g.device)
    r = z.index_add(d, index.reshape(-1), g if shape else g.reshape(-1))
    return (r.reshape(shape) if not shape else r), None


@formula("index_add", saves=(1,))
def index_add(node, g):
    index = node.inputs[1]
    d = node.attrs["dim"]
    alpha = node.attrs["alpha"]
    need_in, _, need_src = node.needs_input_grad
    gs = None
    if need_src:
        src_shape = node.in_meta[2][0]
        gs = g.index_select(d, index) if g.ndim else g.reshape(1).index_select(0, index)
        if alpha != 1:
            gs = gs * alpha
        gs = gs.reshape(src_shape)
    return (g if need_in else None), None, gs


def _written_grads(node, g, cleared, taken):
    """Gradients of an op writing values into some positions of its input (index_copy/_fill,
    masked_fill/_scatter), for (input, positions, values): the input's is ``cleared(g)`` (``g``
    with those positions zeroed), the values' ``taken(g)``, each computed only when needed."""
    need_in, _, need_values = node.needs_input_grad
    return (cleared(g) if need_in else None), None, (taken(g) if need_values else None)


@formula("index_copy", saves=(1,))
def index_copy(node, g):
    index, d = node.inputs[1], node.attrs["dim"]
    return _written_grads(node, g, lambda g: g.index_fill(d, index, 0),
                          lambda g: g.index_select(d, index).reshape(node.in_meta[2][0]))


@formula("index_fill", saves=(1,))
def index_fill(node, g):
    index, d = node.inputs[1], node.attrs["dim"]
    return _written_grads(node, g, lambda g: g.index_fill(d, index, 0), lambda g: g.index_select(d, index).sum())


@formula("masked_fill", saves=(1,))
def masked_fill(node, g):
    tg = _tg()
    mask = node.inputs[1]
    return _written_grads(node, g, lambda g: g.masked_fill(mask, 0),
                          lambda g: tg.where(mask, g, tg.zeros_like(g)).sum())


@formula("masked_select", saves=(1,))
def masked_select(node, g):
    tg = _tg()
    mask = node.inputs[1]
    shape = node.in_meta[0][0]
    from tensorgraft.ops.shape import infer_broadcast_shape
    full = tuple(infer_broadcast_shape(shape, mask.shape))
    z = tg.zeros(full, dtype=g.dtype, device=g.device)
    return z.masked_scatter(mask, g), None


@formula("masked_scatter", saves=(1,))
def masked_scatter(node, g):
    tg = _tg()
    mask = node.inputs[1]

    def source_grad(g):  # the masked entries in order, zeros for the source entries never read
        src_shape = node.in_meta[2][0]
        n = 1
        for s in src_shape:
            n *= s
        sel = g.masked_select(mask)
        pad = n - sel.shape[0]
        if pad:
            sel = tg.cat([sel, tg.zeros(pad, dtype=g.dtype, device=g.device)])
        return sel.reshape(src_shape)
    return _written_grads(node, g, lambda g: g.masked_fill(mask, 0), source_grad)


@formula("take", saves=(1,))
def take(node, g):
    tg = _tg()
    index = node.inputs[1]
    shape = node.in_meta[0][0]
    n = 1
    for s in shape:
        n *= s
    idx = index.reshape(-1)
    idx = tg.where(idx < 0, idx + n, idx)
    z = tg.zeros(n, dtype=g.dtype, device=g.device)
    return z.index_add(0, idx, g.reshape(-1)).reshape(shape), None


@formula("scatter_reduce", saves=(0, 1, 2), saves_output=True)
def scatter_reduce(node, g):
    """PyTorch's scatter_reduce backward: sum/mean spread the gradient, amax/amin split it evenly
    among the tied maxima/minima, prod divides the product by each factor (nonzero inputs)."""
    tg = _tg()
    x, index, src = node.inputs
    d, reduce, include_self = node.attrs["dim"], node.attrs["reduce"], node.attrs["include_self"]
    need_x, _, need_src = node.needs_input_grad
    hit = tg.zeros(x.shape, dtype=tg.bool, device=x.device).scatter(d, index, True)
    gx = gs = None
    if reduce == "sum":
        gx = g if include_self else g.masked_fill(hit, 0)
        gs = g.gather(d, index)
    elif reduce == "mean":
        ones = tg.ones(index.shape, dtype=g.dtype, device=g.device)
        n = tg.zeros(x.shape, dtype=g.dtype, device=g.device).scatter_add(d, index, ones)
        if include_self:
            n = n + 1
        gn = g / n.clamp(min=1)
        gx = gn if include_self else g.masked_fill(hit, 0)
        gs = gn.gather(d, index)
    elif reduce in ("amax", "amin"):
        out = node.output
        sub = tuple(slice(0, s) for s in index.shape)
        src_c = src[sub] if tuple(src.shape) != tuple(index.shape) else src
        x_is = (x == out) if include_self else tg.zeros(x.shape, dtype=tg.bool, device=x.device)
        s_is = src_c == out.gather(d, index)
        count = x_is.to(g.dtype).scatter_add(d, index, s_is.to(g.dtype))
        gd = g / count.clamp(min=1)
        if include_self:  # untouched positions pass g through; touched ones share it among the ties
            gx = tg.where(hit, tg.where(x_is, gd, tg.zeros_like(gd)), g)
        else:
            gx = g.masked_fill(hit, 0)
        gs = tg.where(s_is, gd.gather(d, index), tg.zeros_like(src_c))
    elif reduce == "prod":
        out = node.output
        gx = tg.where(hit, g * out / x, g) if include_self else g.masked_fill(hit, 0)
        sub = tuple(slice(0, s) for s in index.shape)
        src_c = src[sub] if tuple(src.shape) != tuple(index.shape) else src
        gs = (g * out).gather(d, index) / src_c
    else:
        # the forward also takes the legacy names "max"/"min" (as PyTorch's does), but PyTorch's
        # backward knows the five scatter_reduce names only
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.")
    return (gx if need_x else None), None, (_pad_to(gs, src.shape) if need_src else None)


def _pad_to(g, shape):
    """``g`` (the shape of an index) placed in the leading block of zeros of ``shape`` (src may be
    larger than the index along every dim)."""
    if g is None or tuple(g.shape) == tuple(shape):
        return g
    tg = _tg()
    z = tg.zeros(shape, dtype=g.dtype, device=g.device)
    z[tuple(slice(0, s) for s in g.shape)] = g
    return z
