"""Gradients of ``tensorgraft/ops/indexing.py``."""
from __future__ import annotations

from . import formula


@formula("__getitem__", saves=())
def getitem(node, g):
    from tensorgraft.ops.indexing import index_backward
    return (index_backward(g, node.attrs["shape"], node.attrs["index"]),)


@formula("_index_backward", saves=())
def index_backward_grad(node, g):
    return (g[node.attrs["index"]],)


@formula("index_put", saves=())
def index_put(node, g):
    from tensorgraft.ops.indexing import masked_out
    old, value = node.inputs if node.inputs is not None else (None, None)
    idx = node.attrs["index"]
    return masked_out(g, idx), g[idx]


@formula("where", saves=(0,))
def where(node, g):
    import tensorgraft as tg
    cond = node.inputs[0]
    zero = tg.zeros_like(g)
    return None, tg.where(cond, g, zero), tg.where(cond, zero, g)
