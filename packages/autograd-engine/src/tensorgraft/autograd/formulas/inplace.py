"""Gradients of ``tensorgraft/ops/inplace.py``. The shape changes record the nodes of the view
ops they mirror (their formulas are in ``shape.py``); only the comparisons need one here."""
from __future__ import annotations

from . import formula


@formula("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_", "less_", "less_equal_",
         "not_equal_", saves=())
def compare_(node, g):
    """A comparison is piecewise constant: PyTorch records it with zero gradients."""
    return tuple(g.new_zeros(meta[0]) if need and meta is not None else None
                 for need, meta in zip(node.needs_input_grad, node.in_meta))
