"""Gradients of ``tensorgraft/ops/distance.py``: PyTorch's ``_cdist_backward`` (and, for p=2, its
``_euclidean_dist_backward``), written with tensorgraft ops so they differentiate again. Where a
distance is 0 the (sub)gradient is 0, as in PyTorch."""
from __future__ import annotations

import math

from . import formula


def _tg():
    import tensorgraft
    return tensorgraft


def _safe(t, bad):
    """``t`` with ones where ``bad``: divisions and powers stay finite there (and so do their
    gradients, which a plain ``where`` around the result would turn into NaN)."""
    return _tg().where(bad, _tg().ones_like(t), t)


@formula("cdist", saves=(0, 1), saves_output=True)
def cdist(node, g):
    tg = _tg()
    x1, x2 = node.inputs
    p = node.attrs["p"]
    out = node.output
    need1, need2 = node.needs_input_grad
    if p == 0 or g.numel() == 0 or x1.shape[-1] == 0:
        return (tg.zeros_like(x1) if need1 else None, tg.zeros_like(x2) if need2 else None)
    if p == 2:
        # grad_x1_i = sum_j g_ij (x1_i - x2_j) / d_ij, as matrix products (no (P, R, M) temporary)
        zero = out == 0
        ratio = tg.where(zero, tg.zeros_like(g), g / _safe(out, zero))
        g1 = x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2) if need1 else None
        g2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1) if need2 else None
        return (g1, g2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    sign = diff.sign()
    ad = diff.abs()
    dist = out.unsqueeze(-1)
    if p == 1:
        w = sign
    elif p == math.inf:
        w = sign * (ad == dist)  # every coordinate reaching the max gets the full gradient
    else:
        bad = (ad == 0) | (dist == 0)
        w = tg.where(bad, tg.zeros_like(diff), sign * (_safe(ad, bad) / _safe(dist, bad)) ** (p - 1))
    gw = g.unsqueeze(-1) * w
    return (gw.sum(-2) if need1 else None, -gw.sum(-3) if need2 else None)
