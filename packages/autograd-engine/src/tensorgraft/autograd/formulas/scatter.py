"""Gradients of ``tensorgraft/ops/scatter.py`` (``index_reduce`` reuses ``scatter_reduce``'s)."""
from __future__ import annotations

from . import formula

_EMBED = {"select": "select_scatter", "slice": "slice_scatter", "diagonal": "diagonal_scatter",
          "as_strided": "as_strided_scatter"}


@formula("select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter", saves=())
def embed(node, g):
    """The written region's gradient goes to ``src``; the rest of it to ``input``."""
    import tensorgraft as tg
    from tensorgraft.ops.scatter import region_of
    kind, args = node.attrs["kind"], node.attrs["args"]
    need_in, need_src = node.needs_input_grad
    part = region_of(g, kind, args)
    g_in = getattr(tg, _EMBED[kind])(g, tg.zeros_like(part), *args) if need_in else None
    return g_in, (part if need_src else None)


@formula("put", saves=(1,))
def put(node, g):
    import tensorgraft as tg
    index = node.inputs[1]
    need_in, _, need_src = node.needs_input_grad
    src_shape = node.in_meta[2][0]
    g_in = g_src = None
    if need_in:
        g_in = g if node.attrs["accumulate"] else g.put(index, tg.zeros(src_shape, dtype=g.dtype, device=g.device))
    if need_src:
        g_src = g.take(index).reshape(src_shape)
    return g_in, None, g_src


@formula("_delayed_error", saves=(), node="Error")
def delayed_error(node, g):
    raise RuntimeError(node.attrs["message"])
