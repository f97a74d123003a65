"""Gradients of ``tensorgraft/ops/linalg.py``."""
from __future__ import annotations

from . import formula


@formula("mm")
def mm(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    return (g.mm(b.t()) if need_a else None), (a.t().mm(g) if need_b else None)


@formula("matmul")
def matmul(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if need_a else None), (g * a if need_b else None)
    if b.ndim == 1:
        ga = g.unsqueeze(-1) * b if need_a else None
        gb = a.transpose(-2, -1).matmul(g.unsqueeze(-1)).squeeze(-1) if need_b else None
        return ga, gb
    if a.ndim == 1:
        ga = b.matmul(g.unsqueeze(-1)).squeeze(-1) if need_a else None
        gb = a.unsqueeze(-1) * g.unsqueeze(-2) if need_b else None
        return ga, gb
    ga = g.matmul(b.transpose(-2, -1)) if need_a else None
    gb = a.transpose(-2, -1).matmul(g) if need_b else None
    return ga, gb
