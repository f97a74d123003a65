"""Gradients of ``tensorgraft/ops/views.py``."""
from __future__ import annotations

from ..saved_properties import from_attr
from . import formula


@formula("unfold", saves=())
def unfold(node, g):
    """UnfoldBackward0: each window's gradient added back where the window lies."""
    from tensorgraft.ops.views import unfold_backward
    a = node.attrs
    return (unfold_backward(g, a["shape"], a["dim"], a["size"], a["step"]),)


unfold.saved_defaults = {"dimension": from_attr("dim")}


@formula("_unfold_backward", saves=())
def unfold_backward(node, g):
    a = node.attrs
    return (g.unfold(a["dim"], a["size"], a["step"]) if node.in_meta[0][0] else g.reshape(1),)
