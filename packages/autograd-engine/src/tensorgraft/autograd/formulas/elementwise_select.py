"""Gradients of the elementwise ops that select or blend their operands: maximum/minimum/fmax/fmin,
clamp, lerp, logaddexp, addcmul/addcdiv, the in-place fills and copies, and normal's draws."""
from __future__ import annotations

import tensorgraft as tg

from . import formula
from .elementwise_common import _cj, _number_op_tensor, _one_minus, _pass_where, _rc, _scalar_overload, _zeros_from


# PyTorch's masked forms: the gradient goes through unchanged or is *replaced* by 0 (g * mask would
# turn an inf or NaN gradient into NaN on the side not taken); a double backward records
# MaskedFillBackward0. maximum/minimum split a tie in halves and pass a NaN's gradient to both
# sides (the NaN propagates from either); fmax/fmin give a tie to the first operand, and a NaN
# side (which they ignore) gets nothing unless both are NaN, when the first one gets it.
def _extremum_grads(a, b, g, a_wins, b_wins):
    split = tg.where(a == b, _scalar_overload("div", "DivBackward1", g, 2), g)  # (g / 2: DivBackward1)
    return split.masked_fill(b_wins, 0), split.masked_fill(a_wins, 0)


@formula("maximum")
def maximum(node, g):
    a, b = node.inputs
    return _extremum_grads(a, b, g, a > b, a < b)


@formula("minimum")
def minimum(node, g):
    a, b = node.inputs
    return _extremum_grads(a, b, g, a < b, a > b)


def _fextremum_grads(a, b, g, a_first, b_first):
    a_nan, b_nan = a.isnan(), b.isnan()
    take_a = a_first | b_nan
    take_b = b_first | (a_nan & b_nan.logical_not())
    return g.masked_fill(take_a.logical_not(), 0), g.masked_fill(take_b.logical_not(), 0)


@formula("fmax")
def fmax(node, g):
    a, b = node.inputs
    return _fextremum_grads(a, b, g, a >= b, a < b)


@formula("fmin")
def fmin(node, g):
    a, b = node.inputs
    return _fextremum_grads(a, b, g, a <= b, a > b)


@formula("clamp", "clip", scalar_inputs={"ClampBackward1": (1, 2)})
def clamp(node, g):
    x, lo, hi = node.inputs
    keep = None
    if lo is not None:
        keep = x >= lo
    if hi is not None:
        k2 = x <= hi
        keep = k2 if keep is None else keep & k2
    gx = _pass_where(g, keep)
    # clamp is min(max(x, lo), hi): where lo > hi the result is hi whatever x is, so hi (not lo)
    # receives the gradient there; where lo == hi and x < lo, PyTorch gives neither a gradient
    both = lo is not None and hi is not None
    crossed = (lo > hi) if both else None
    glo = ghi = None
    if isinstance(lo, tg.Tensor) and lo.requires_grad:
        glo = _pass_where(g, (x < lo) & (lo < hi) if both else x < lo)
    if isinstance(hi, tg.Tensor) and hi.requires_grad:
        ghi = _pass_where(g, (x > hi) if crossed is None else (x > hi) | crossed)
    return gx, glo, ghi


@formula("clamp_min", scalar_inputs=(1,))
def clamp_min(node, g):
    x, lo = node.inputs
    need_x, need_lo = node.needs_input_grad
    gx = _pass_where(g, x >= lo) if need_x else None
    glo = _pass_where(g, x < lo) if need_lo else None
    return gx, glo


@formula("clamp_max", scalar_inputs=(1,))
def clamp_max(node, g):
    x, hi = node.inputs
    need_x, need_hi = node.needs_input_grad
    gx = _pass_where(g, x <= hi) if need_x else None
    ghi = _pass_where(g, x > hi) if need_hi else None
    return gx, ghi


# PyTorch's nodes name the bound ``min``/``max`` (the frontends say ``bound``), and the Scalar overloads
# (ClampBackward1, ClampMinBackward0, ClampMaxBackward0) keep a number there, not a tensor
clamp.number_saves = {"ClampBackward1": ("min", "max")}
clamp_min.input_names, clamp_min.number_saves = ("self", "min"), {"ClampMinBackward0": ("min",)}
clamp_max.input_names, clamp_max.number_saves = ("self", "max"), {"ClampMaxBackward0": ("max",)}


@formula("lerp")
def lerp(node, g):
    a, b, w = node.inputs
    need_a, need_b, need_w = node.needs_input_grad
    ga = g * _cj(_one_minus(w)) if need_a else None
    gb = g * _cj(w) if need_b else None
    gw = g * _cj(b - a) if need_w else None
    return ga, gb, gw


@formula("_lerp_scalar", saves=(), scalar_inputs=(2,))
def lerp_by_number(node, g):
    w = node.attrs["weight"]  # the number itself: the node keeps no tensors
    need_a, need_b, _ = node.needs_input_grad
    # (the number's products are ATen's Scalar ones: MulBackward1 under create_graph, as PyTorch's)
    return ((_scalar_overload("mul", "MulBackward1", g, _cj(1 - w)) if need_a else None),
            (_scalar_overload("mul", "MulBackward1", g, _cj(w)) if need_b else None), None)


@formula("logaddexp")
def logaddexp(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = g / _cj((b - a).exp() + 1) if need_a else None
    gb = g / _cj((a - b).exp() + 1) if need_b else None
    if g._data.dtype.kind == "c":
        return _rc(ga, a), _rc(gb, b)
    return ga, gb


@formula("logaddexp2")
def logaddexp2(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = g / ((b - a).exp2() + 1) if need_a else None
    gb = g / ((a - b).exp2() + 1) if need_b else None
    return ga, gb


@formula("addcmul", saves=(1, 2))  # (input itself is not read: PyTorch keeps tensor1, tensor2)
def addcmul(node, g):
    _, t1, t2 = node.inputs
    v = node.attrs["value"]
    need_i, need_1, need_2 = node.needs_input_grad
    # (t * value: ATen's Scalar product, MulBackward1 under create_graph, as PyTorch's)
    return ((g if need_i else None), (g * _cj(_scalar_overload("mul", "MulBackward1", t2, v)) if need_1 else None),
            (g * _cj(_scalar_overload("mul", "MulBackward1", t1, v)) if need_2 else None))


@formula("addcdiv", saves=(1, 2))
def addcdiv(node, g):
    _, t1, t2 = node.inputs
    v = node.attrs["value"]
    need_i, need_1, need_2 = node.needs_input_grad
    # PyTorch's: grad * (value / t2) and -grad * (value * t1 / (t2 * t2)), value / t2 the division of
    # a filled tensor (DivBackward0 under create_graph, and value / t2 rounded once), value * t1
    # ATen's Scalar product (MulBackward1)
    g1 = g * _cj(_number_op_tensor("div", v, t2)) if need_1 else None
    g2 = -g * _cj(_scalar_overload("mul", "MulBackward1", t1, v) / (t2 * t2)) if need_2 else None
    return (g if need_i else None), g1, g2


@formula("fill_", saves=(), scalar_inputs=(1,))
def fill_(node, g):
    need_self, need_value = node.needs_input_grad
    return (_zeros_from(g) if need_self else None), (g.sum() if need_value else None)


@formula("zero_", saves=())
def zero_(node, g):
    return (_zeros_from(g),)


@formula("copy_", saves=())
def copy_(node, g):
    need_self, need_src = node.needs_input_grad
    gs = None
    if need_src:
        dev = node.attrs["device"]
        gs = g if g._device is dev else g.to(dev)
    return (_zeros_from(g) if need_self else None), gs


@formula("normal", saves=())
def normal(node, g):
    """NormalBackward1/2/3 (named by the frontend after the overload): PyTorch's gradient of a
    draw is zero for its tensor mean and std alike."""
    return tuple(g.new_zeros(g.shape) if need else None for need in node.needs_input_grad)
