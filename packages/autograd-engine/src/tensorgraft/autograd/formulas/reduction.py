"""Gradients of ``tensorgraft/ops/reduction.py``."""
from __future__ import annotations

from . import formula


def expand_reduced(g, shape, dims, keepdim):
    """Undo a reduction's shape change: re-insert reduced dims, then broadcast to ``shape``."""
    if dims is None:
        dims = tuple(range(len(shape)))
    if not keepdim and len(shape):
        for d in sorted(dims):
            g = g.unsqueeze(d)
    return g.expand(*shape)


@formula("sum", saves=())
def sum_(node, g):
    shape = node.in_meta[0][0]
    return (expand_reduced(g, shape, node.attrs["dim"], node.attrs["keepdim"]),)


@formula("mean", saves=())
def mean(node, g):
    shape = node.in_meta[0][0]
    dims = node.attrs["dim"]
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return (expand_reduced(g, shape, dims, node.attrs["keepdim"]) / max(n, 1),)
