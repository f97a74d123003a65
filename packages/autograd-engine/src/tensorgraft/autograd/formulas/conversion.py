"""Gradients of ``tensorgraft/ops/conversion.py``: a copy to another dtype/device sends the
gradient back to the source device (the engine casts it to the source dtype)."""
from __future__ import annotations

from . import formula


@formula("_to_copy", saves=())
def to_copy(node, g):
    return (g.to(node.attrs["device"]),)
