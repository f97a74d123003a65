"""Backward formulas of ``tensorgraft/ops/tensor_extras.py``.

The ``*_copy`` functions need none here: they keep the graph node of the view they copy (its
formula is the view's), renamed to PyTorch's ``<Node>_copy``.
"""
from __future__ import annotations

from . import formula


@formula("_alias", "_to_format", saves=())
def same_values(node, g):
    """AliasBackward0 / CloneBackward0 / ToCopyBackward0: the values pass through unchanged
    (a copy in another memory order holds the same elements)."""
    return (g,)


@formula("fill", saves=())
def fill(node, g):
    """FillBackward0/1: the input's values are all overwritten (zero gradient); a tensor fill
    value reaches every element, so it collects the sum."""
    grads = (g.new_zeros(g.shape) if node.needs_input_grad[0] else None,)
    if len(node.needs_input_grad) > 1:
        grads += (g.sum() if node.needs_input_grad[1] else None,)
    return grads


@formula("poisson", saves=())
def poisson(node, g):
    """PoissonBackward0: a draw does not move smoothly with its rate; PyTorch's gradient is zero."""
    return (g.new_zeros(g.shape),)


@formula("binomial", saves=())
def binomial(node, g):
    raise RuntimeError("derivative for aten::binomial is not implemented")
