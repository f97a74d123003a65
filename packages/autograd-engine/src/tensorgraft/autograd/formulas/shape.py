"""Gradients of ``tensorgraft/ops/shape.py``: views map the gradient back through the inverse
reshaping; ``expand`` needs nothing (the engine sums broadcast gradients to the input shape)."""
from __future__ import annotations

from . import formula


@formula("view", "reshape", "squeeze", saves=())
def reshape_back(node, g):
    return (g.reshape(node.attrs["shape"]),)


@formula("transpose", "swapaxes", "swapdims", "t", "permute", saves=())
def permute_back(node, g):
    dims = node.attrs["dims"]
    if not dims:
        return (g,)
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return (g.permute(*inv),)


@formula("unsqueeze", saves=())
def unsqueeze(node, g):
    return (g.squeeze(node.attrs["dim"]),)


@formula("expand", "contiguous", "clone", saves=())
def identity(node, g):
    return (g,)
