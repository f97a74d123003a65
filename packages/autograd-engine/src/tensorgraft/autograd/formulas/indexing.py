"""Gradients of ``tensorgraft/ops/indexing.py``."""
from __future__ import annotations

import numpy as np

from ..saved_properties import NOT_SAVED, FromNode, as_int64_shown
from . import formula


def _cupy_region(mask, a):  # pragma: no cover - CUDA
    from cupy.lib.stride_tricks import as_strided
    return as_strided(mask.reshape(-1)[a["offset"]:], a["size"], tuple(st * mask.itemsize for st in a["stride"]))


def _tg():
    import tensorgraft as tg
    return tg


# the node PyTorch's view backward records under create_graph (its ``select_backward`` /
# ``slice_backward`` ops, ``squeeze(dim)`` for an unsqueeze), by the name of the forward node; an
# index applying several view ops is a chain of such nodes, one op each (getitem._view_steps)
_VIEW_BACKWARD_NODE = {"SelectBackward0": "SelectBackwardBackward0", "SliceBackward0": "SliceBackwardBackward0",
                       "UnsqueezeBackward0": "SqueezeBackward1"}


def placed_back(node, g, shape, index):
    """``g`` placed at ``index`` in zeros of ``shape``; when building a graph, its node is named as
    PyTorch's for the forward node's view op (SelectBackwardBackward0, not IndexBackwardBackward0)."""
    from tensorgraft.ops.indexing import index_backward
    name = _VIEW_BACKWARD_NODE.get(node.__class__.__name__)
    if name is None or not g._requires_grad:
        return index_backward(g, shape, index)
    import tensorgraft as tg
    if not tg.is_grad_enabled():
        return index_backward(g, shape, index)
    from tensorgraft.registry import registry
    with tg.no_grad():
        out = index_backward(g, shape, index)
    if not isinstance(index, tuple) or len(index) != 2 or not (index[0] is None or isinstance(index[0], tuple)):
        index = (index if isinstance(index, tuple) else (index,), None)  # (index_backward's own form)
    tg.Tensor._autograd.record(registry.ops["_index_backward"], out, (g,), {"shape": shape, "index": index},
                               node_name=name)
    return out


@formula("__getitem__", saves=())
def getitem(node, g):
    return (placed_back(node, g, node.attrs["shape"], node.attrs["index"]),)


_INT64_MAX = (1 << 63) - 1
_VIEW_STEP_NODES = frozenset(("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0"))


def _view_step(node):
    """The one view op a getitem/_slice node applied, as PyTorch's node names it: ("select", dim,
    index), ("slice", dim, slice) or ("unsqueeze", dim); None for any other indexing."""
    if type(node).__name__ not in _VIEW_STEP_NODES:
        return None
    idx = node.attrs["index"]
    if isinstance(idx, tuple) and len(idx) == 2 and (idx[0] is None or isinstance(idx[0], tuple)):
        if idx[1] is not None:
            return None
        idx = idx[0]  # (index_backward's form: the basic index, then the advanced part)
    entries = idx if isinstance(idx, tuple) else (idx,)
    consumed = 0
    for e in entries:
        if e.__class__ in (int, slice):
            consumed += 1
        elif e is not None and e is not Ellipsis:
            return None  # (tensors, lists, bools: not one view op)
    pos = opos = 0
    found = None
    for e in entries:
        if e is Ellipsis:
            k = len(node.in_meta[0][0]) - consumed
            pos, opos = pos + k, opos + k
        elif e is None:
            found = found or ("unsqueeze", opos)
            opos += 1
        elif e.__class__ is int:
            found = found or ("select", pos, e)
            pos += 1
        else:
            if e != slice(None):
                found = found or ("slice", pos, e)
            pos, opos = pos + 1, opos + 1
    return found


def _view_saved(what):
    """``_saved_<what>`` of a SelectBackward0/SliceBackward0/UnsqueezeBackward0 recorded by an
    index: the dim, select's index, slice's start/end/step (None as PyTorch's 0 / INT64_MAX / 1),
    negative ones read back unsigned as PyTorch shows them."""
    kinds = {"dim": ("select", "slice", "unsqueeze"), "index": ("select",), "start": ("slice",), "end": ("slice",),
             "step": ("slice",)}[what]

    def get(node):
        step = _view_step(node)
        if step is None or step[0] not in kinds:
            return NOT_SAVED
        if what == "dim":
            return step[1]
        if what == "index":
            return as_int64_shown(step[2])
        s = step[2]
        v = getattr(s, "stop" if what == "end" else what)
        return as_int64_shown(v) if v is not None else {"start": 0, "end": _INT64_MAX, "step": 1}[what]
    return FromNode(get)


# (the node keeps its index in tensorgraft's own form: ``_saved_index`` is select's int only)
VIEW_STEP_SAVED = {w: _view_saved(w) for w in ("dim", "index", "start", "end", "step")}
getitem.saved_defaults = VIEW_STEP_SAVED


@formula("_index_backward", saves=())
def index_backward_grad(node, g):
    from tensorgraft.ops.indexing import index_apply
    return (index_apply(g, node.attrs["index"]),)


@formula("__setitem__", saves=())
def setitem(node, g):
    """IndexPutBackward0, or CopySlices when the assignment went through a view of the base
    (``attrs`` then also hold the view's size/stride/offset within the base)."""
    from tensorgraft.ops.indexing import region_of
    a = node.attrs
    wrapped = a.get("wrapped")
    if wrapped is not None:
        return _through_wrapped(node, g, wrapped, region_of(g, a))
    idx = a["index"]
    need_old, need_value = node.needs_input_grad
    view = a if "size" in a else None
    g_old = _overwritten_cleared(g, idx, view) if need_old else None
    g_val = _written_part(region_of(g, a) if view else g, idx, node.in_meta[1]) if need_value else None
    return g_old, g_val


def _through_wrapped(node, g, wrapped, part):
    """A CopySlices that wraps an in-place op's node (``v.exp_()`` on a view ``v``), as PyTorch's:
    that node runs on the view's part of the gradient; its gradient for ``self`` replaces that part
    in the base's gradient (zeros where it has none), the others go to the op's other inputs."""
    tg = _tg()
    res = wrapped.apply([part])
    g_base = None
    if node.needs_input_grad[0]:
        a = node.attrs
        src = res[0] if res[0] is not None else tg.zeros_like(part)
        g_base = tg.as_strided_scatter(g.contiguous(), src, a["size"], a["stride"], a["offset"])
    return (g_base, *res[1:])


@formula("index_put", saves=())
def index_put(node, g):
    """``input`` gets all of ``g`` when the values were added, else ``g`` with the overwritten
    entries cleared; ``values`` the entries of ``g`` they went to."""
    a = node.attrs
    need_in, need_values = node.needs_input_grad
    g_in = g_val = None
    if need_in:
        g_in = g if a["accumulate"] else _overwritten_cleared(g, a["index"])
    if need_values:
        g_val = _written_part(g, a["index"], node.in_meta[1])
    return g_in, g_val


def _overwritten_cleared(g, idx, view=None):
    """``g`` with the entries an assignment at ``idx`` overwrote set to exactly 0, as PyTorch (``g``
    times a 0/1 mask would turn an inf or NaN gradient there into NaN, e.g. ``y[y < eps] = 0``
    followed by ``y.sqrt()``). ``view``: the size/stride/offset of the view of the base the
    assignment went through."""
    from tensorgraft.ops.indexing import _index_put_kernel, _xp
    from tensorgraft.tensor import wrap
    xp = _xp(g)
    cast = view.get("cast") if view is not None else None
    if cast is not None:  # the view's elements are not the base's: clear in the view's units
        from tensorgraft.ops.indexing.setitem import from_view_units, to_view_units
        shape = g.shape
        g = to_view_units(g.contiguous(), cast)
        region = {k: view[k] for k in ("size", "stride", "offset")}
        return from_view_units(_overwritten_cleared(g, idx, region), cast, shape)
    kept = xp.ones(g._data.shape, dtype=bool)
    region = kept
    if view is not None:
        region = np.lib.stride_tricks.as_strided(
            kept.reshape(-1)[view["offset"]:], view["size"], tuple(st * kept.itemsize for st in view["stride"])) \
            if xp is np else _cupy_region(kept, view)
    _index_put_kernel(xp, region, idx, False)
    return _tg().where(wrap(kept, g._device), g, _tg().zeros((), dtype=g.dtype, device=g.device))


def _written_part(g, idx, value_meta):
    """The entries of ``g`` an assignment at ``idx`` wrote, with the value's rank (``fit_grads``
    then sums away what the value was broadcast over)."""
    from tensorgraft.ops.indexing import index_apply
    g_val = index_apply(g, idx)
    while g_val.ndim < len(value_meta[0]):
        g_val = g_val.unsqueeze(0)
    return g_val


@formula("where", saves=(0,), batched=True)
def where(node, g):
    tg = _tg()
    cond = node.inputs[0]
    zero = tg.zeros_like(g)
    need = node.needs_input_grad
    return (None, tg.where(cond, g, zero) if need[1] else None, tg.where(cond, zero, g) if need[2] else None)


where.input_names = ("condition", "self", "other")  # (PyTorch's WhereBackward0 shows ``_saved_condition``)


# PyTorch's GatherBackward0 keeps the input too (an in-place change to it then raises at backward),
# packed after the index
@formula("gather", saves=(0, 1))
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


# PyTorch's IndexAddBackward0 keeps the index and the source only for the source's gradient
@formula("index_add", saves_crossed=((), (2,), (2,)))
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


# the order PyTorch packs what gather and index_add keep (the index first): their inputs are not named by
# the op's signature (``dim`` comes between), so the order is declared
gather.pack_order = (1, 0)
index_add.pack_order = (1, 2, 0)
# the names PyTorch's nodes give the inputs these nodes record, for ``_saved_<name>`` (their ``dim`` goes to
# attrs, so the op's signature order, ``(input, dim, index, ...)``, would name the index ``dim``); None: an
# input PyTorch's node never shows (IndexAddBackward0 keeps no ``self``)
gather.input_names = scatter.input_names = scatter_add.input_names = ("self", "index", "src")
index_select.input_names = ("self", "index")
# (our gather's gradient is always dense, whatever ``sparse_grad`` says: the node shows what it does)
gather.saved_defaults = {"sparse_grad": False}
index_add.input_names = (None, "index", "source")


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
    # a position filled several times (repeated index) holds the value once: count it once
    return _written_grads(node, g, lambda g: g.index_fill(d, index, 0),
                          lambda g: g.index_select(d, index.unique(sorted=False)).sum())


index_copy.input_names = ("self", "index", "source")  # (see gather's: ``dim`` is in attrs)
index_fill.input_names = ("self", "index", "value")


@formula("masked_fill", saves=(1,))
def masked_fill(node, g):
    tg = _tg()
    mask = node.inputs[1]
    return _written_grads(node, g, lambda g: g.masked_fill(mask, 0),
                          lambda g: tg.where(mask, g, tg.zeros_like(g)).sum())


# PyTorch's MaskedSelectBackward0 keeps the input too, packed after the mask
@formula("masked_select", saves=(0, 1))
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
    """PyTorch's scatter_reduce backward (index_reduce's too, given its index in scatter form):
    sum/mean spread the gradient, amax/amin split it evenly among the tied extrema, prod gives
    each factor the product of the others. With ``include_self=False`` the positions written
    into get no gradient in ``input``."""
    tg = _tg()
    x, index, src = node.inputs
    d, reduce, include_self = node.attrs["dim"], node.attrs["reduce"], node.attrs["include_self"]
    need_x, _, need_src = node.needs_input_grad
    sub = tuple(slice(0, s) for s in index.shape)
    src_c = src[sub] if tuple(src.shape) != tuple(index.shape) else src  # the part of src the index reads
    if reduce == "sum":
        gx, gs = g, g.gather(d, index)
    elif reduce == "mean":
        ones = tg.ones(index.shape, dtype=g.dtype, device=g.device)
        n = tg.zeros(x.shape, dtype=g.dtype, device=g.device).scatter_add(d, index, ones)
        if include_self:
            n = n + 1
        gn = g / n.clamp(min=1)
        gx, gs = gn, gn.gather(d, index)
    elif reduce in ("amax", "amin"):
        gx, gs = _extremum_grads(g, x, index, src_c, node.output, d)
    elif reduce == "prod":
        gx, gs = _product_grads(node, g, x, index, src_c, d, include_self)
    else:
        # the forward also takes the legacy names "max"/"min" (as PyTorch's does), but PyTorch's
        # backward knows the five scatter_reduce names only
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.")
    if not include_self:
        gx = g.masked_fill(tg.zeros(x.shape, dtype=tg.bool, device=x.device).scatter(d, index, True), 0)
    return (gx if need_x else None), None, (_pad_to(gs, src.shape) if need_src else None)


def _extremum_grads(g, x, index, src, out, d):
    """amax/amin: the gradient of each output shared evenly by the inputs equal to it. As
    PyTorch, ``input``'s own value counts among the ties even with ``include_self=False``
    (where it then gets no share of its own)."""
    tg = _tg()
    x_is = x == out
    s_is = src == out.gather(d, index)
    ties = x_is.to(g.dtype).scatter_add(d, index, s_is.to(g.dtype))
    share = g / ties.clamp(min=1)
    zero = tg.zeros((), dtype=g.dtype, device=g.device)
    return tg.where(x_is, share, zero), tg.where(s_is, share.gather(d, index), zero)


def _product_grads(node, g, x, index, src, d, include_self):
    """prod, as PyTorch's scatter_reduce_backward writes it (so its second derivatives are PyTorch's
    too): ``input``'s gradient is ``g`` times the group's product with ``input``'s zeros read as 1,
    over ``input`` (so read); a ``src`` factor's is ``g`` times the product of the others — directly
    for the only zero of its group, by division otherwise. With more than one zero of ``src`` in a
    group the gradient exists but PyTorch gives it no derivative (its ``Error`` node)."""
    tg = _tg()
    masked_self = x.masked_fill(x == 0, 1)
    gx = g * masked_self.scatter_reduce(d, index, src, "prod", include_self=include_self) / masked_self
    src_zero = src == 0
    src_num_zeros = tg.zeros_like(x).scatter_add(d, index, src_zero.to(x.dtype)).gather(d, index)
    single_zero = src_zero & (src_num_zeros == 1)
    masked_src_result = x.scatter_reduce(d, index, src.masked_fill(single_zero, 1), "prod", include_self=include_self)
    gs = tg.where(single_zero, (g * masked_src_result).gather(d, index),
                  (g * node.output).gather(d, index) / src.masked_fill(src_zero, 1))
    if gs.requires_grad and bool((src_num_zeros > 1).any()):
        from tensorgraft.ops.scatter import delayed_error
        op, of = ("index_reduce", "source") if type(node).__name__ == "IndexReduceBackward0" else ("scatter_reduce",
                                                                                                 "src")
        gs = delayed_error(gs, f"{op}(): Double backward is unsupported for {of} when >1 zeros in {of} are "
                               "scattered to the same position in self")
    return gx, gs


def _pad_to(g, shape):
    """``g`` (the shape of an index) placed in the leading block of zeros of ``shape`` (src may be
    larger than the index along every dim)."""
    if g is None or tuple(g.shape) == tuple(shape):
        return g
    tg = _tg()
    z = tg.zeros(shape, dtype=g.dtype, device=g.device)
    z[tuple(slice(0, s) for s in g.shape)] = g
    return z
