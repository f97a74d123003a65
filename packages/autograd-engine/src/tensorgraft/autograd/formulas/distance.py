"""Gradients of ``tensorgraft/ops/distance.py``: PyTorch's ``_cdist_backward`` (and, for p=2, its
``_euclidean_dist_backward``), written with tensorgraft ops so they differentiate again. Where a
distance is 0 the (sub)gradient is 0, as in PyTorch."""
from __future__ import annotations

import math

from . import formula
from .elementwise_common import _scalar_overload


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
    if p == 2 and node.name() == "EuclideanDistBackward0":
        # the forward used matrix products (more than 25 rows, or compute_mode="use_mm_..."), and so
        # does PyTorch's backward: grad_x1_i = sum_j g_ij (x1_i - x2_j) / d_ij, no (P, R, M) temporary
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
        gw = g.unsqueeze(-1) * sign
    elif p == math.inf:
        gw = g.unsqueeze(-1) * (sign * (ad == dist))  # every coordinate reaching the max gets it all
    else:
        # pair by pair, as PyTorch's small-size backward: a zero distance contributes exactly 0
        # (the mask comes after the gradient, so an inf gradient there is no NaN), and so does a
        # zero coordinate difference for p < 1 (|d|^(p-1) is inf there)
        zero = (dist == 0).expand(diff.shape)
        bad = zero | (ad == 0) if p < 1 else zero
        w = sign * (_safe(ad, bad) / _safe(dist, zero)) ** (p - 1)
        gw = tg.where(bad, tg.zeros_like(diff), g.unsqueeze(-1) * w)
    return (gw.sum(-2) if need1 else None, -gw.sum(-3) if need2 else None)


def _norm_backward(g, x, p, norm, dims):
    """``g * d norm / d x`` for the p-norm ``norm`` of ``x`` over ``dims`` (kept as size-1 dims;
    None: all), PyTorch's ``norm_backward`` op for op (a graph built with create_graph=True is
    PyTorch's): 0 where the norm is 0, and for p = inf the gradient split evenly among the
    elements reaching the norm (or NaN)."""
    tg = _tg()
    if p == 0:
        return tg.zeros_like(x)
    if p == 1:
        return x.sgn() * g
    # for p == 2 the gradient multiplies the masked x / norm, so an inf gradient at a zero
    # distance gives NaN there, as PyTorch; the division is by the norm itself, so a second
    # derivative at a zero norm is 0 / 0 = NaN, as PyTorch's
    if p == 2:
        return g * (x / norm).masked_fill(norm == 0, 0)
    if math.isinf(p):
        ax = x.abs()
        mask = (ax == norm) | ax.isnan()
        count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
        return x.sgn() * ((g / count) * mask)
    if p < 1:  # |x|^(p-1) is inf at x == 0, where PyTorch gives 0 (not sgn(0) * inf = NaN)
        scaled = x.sgn() * (x.abs() ** (p - 1)).masked_fill(x == 0, 0)
        return scaled * g * norm ** (1 - p)
    scaled = x.sgn() * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
    return scaled * (g / norm ** (p - 1)).masked_fill(norm == 0, 0)


@formula("dist", saves=(0, 1), saves_output=True)
def dist(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if node.attrs["p"] == 0:
        return None, None  # no gradient at all (PyTorch leaves .grad unset)
    d = _norm_backward(g, a - b, node.attrs["p"], node.output, None)
    return (d if need_a else None), (-d if need_b else None)


@formula("renorm")
def renorm(node, g):
    """PyTorch's ``renorm_backward``: the derivative of ``x * maxnorm / (norm + 1e-7)`` for the
    slices over ``maxnorm``, the identity for the others."""
    tg = _tg()
    x = node.inputs[0]
    p, d, maxnorm = node.attrs["p"], node.attrs["dim"], node.attrs["maxnorm"]
    dims = tuple(i for i in range(x.ndim) if i != d)
    norm = _vector_norm(x, p, dims)
    gx = x.conj() * g if x.is_complex() else x * g
    if x.is_complex():
        gx = gx.real  # (the norm is real: so is its gradient, as PyTorch's renorm_backward)
    nb = _norm_backward(gx.sum(dims, keepdim=True), x, p, norm, dims)
    # (C++ adds and multiplies by numbers: AddBackward1/MulBackward1 under create_graph)
    invnorm = _scalar_overload("add", "AddBackward1", norm, 1e-7).reciprocal()
    factor = _scalar_overload("mul", "MulBackward1", invnorm, maxnorm)
    return (tg.where(norm > maxnorm, factor * (g - invnorm * nb), g),)


def _vector_norm(x, p, dims):
    from tensorgraft.registry import registry
    return registry.ops["linalg_vector_norm"].frontend(x, p, dims, True)
