"""Gradients of ``tensorgraft/ops/combinatorics.py`` (only ``block_diag`` records a node of its
own; the others are composites)."""
from __future__ import annotations

from . import formula


@formula("block_diag", saves=())
def block_diag(node, g):
    """Each input gets its block of the gradient, in its own shape (0-d and 1-d inputs were
    placed as 1-row blocks)."""
    out = []
    for need, (r, c, h, w, shape) in zip(node.needs_input_grad, node.attrs["blocks"]):
        out.append(g.narrow(0, r, h).narrow(1, c, w).reshape(shape) if need else None)
    return tuple(out)
