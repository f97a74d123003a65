"""Fused losses: the elementwise ones (mse, l1, smooth_l1, huber, binary cross entropy and its
logits form, kl_div). cross_entropy and nll_loss (``nll_cross_entropy.py``) and the reductions
(``loss_reduction.py``) have files of their own; the names other modules read from this one are
imported here again."""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.device import get_backend
from tensorgraft.dtypes import BF16
from tensorgraft.autograd.formulas.elementwise_common import _scalar_overload
from tensorgraft.ops.elementwise.branch_free import clamp, select

from ._common import batched_of, formula, gs, nnop, record, wrap
from .loss_backward import _huber_double, _huber_grad_output, _mse_double, _smooth_l1_double, loss_backward_op
from .loss_reduction import _REDUCTIONS, _expand_g, _reduce
from .loss_reduction import _check_reduction  # noqa: F401  (loss_api reads it from this module)


# ------------------------------------------------------------------ elementwise losses
def _fit(d, full, shape):
    """A derivative for an input of ``shape`` that was broadcast to ``full`` with the other one: a
    derivative that depends only on the other input (kl_div's d/dx is -target) comes out in that
    one's shape, so it is expanded to ``full`` first and then summed back over the broadcast dims."""
    shape = tuple(shape)
    if tuple(d.shape) != tuple(full):
        d = d.expand(*full)
    return d if tuple(full) == shape else d.sum_to_size(*shape)


def _elementwise_loss(name, fwd, bwd, node_names, tg_bwd=None, grad_fn=None, backward_op=None, graph_grad=None,
                      half_fwd=None):
    """``tg_bwd(x, y, *params) -> (dx, dy)`` in tensorgraft ops serves ``create_graph=True``;
    ``backward_op(g, x, y, reduction, *params)`` (``loss_backward.py``), when given, does instead:
    the loss's backward as one op, PyTorch's node (the target's gradient swaps x and y);
    ``graph_grad(node, g) -> (dx, dy)``, when given, does: PyTorch's backward formula written out in
    tensorgraft ops, in its order (so the graph, and the rounding, are its).
    ``grad_fn(node, g) -> (dx, dy)``, when given, replaces both (a loss whose backward is an op of
    its own in PyTorch, with a double backward that is not the derivative of its first one).
    ``half_fwd(xp, x, y, *params)``, when given, computes float16/bfloat16 operands as ATen's composite
    does, rounding after each of its ops (the op is then ``bf16_native``: not widened to float32 as a
    whole); the reduction still accumulates in float32, as ATen's half mean and sum do."""
    holder = []

    def frontend(input, target, reduction, *params):
        op = holder[0]
        out = wrap(op.table[input._device.type](input._data, target._data, reduction, *params), input._device)
        if gs.enabled and (input._requires_grad or target._requires_grad):
            name_ = node_names(reduction, *params) if callable(node_names) else node_names.get(reduction)
            record(op, out, (input, target), (reduction,) + params, node_name=name_)
        return out

    def kernel(xp, x, y, reduction, *params):
        if half_fwd is not None and (x.dtype == np.float16 or x.dtype is BF16):
            L = half_fwd(xp, x, y, *params)
            return L if reduction == "none" else _reduce(xp, L.astype(np.float32), reduction).astype(x.dtype)
        return _reduce(xp, fwd(xp, x, y, *params), reduction)

    op = nnop(name, kernel, frontend, **({"bf16_native": True} if half_fwd is not None else {}))
    holder.append(op)

    def grad(node, g):
        if grad_fn is not None:
            return grad_fn(node, g)
        x, y = node.inputs
        reduction = node.attrs[0]
        params = node.attrs[1:]
        xp = get_backend(x._device).xp
        nx, ny = node.needs_input_grad
        full = np.broadcast_shapes(x._data.shape, y._data.shape)
        n = int(np.prod(full))
        if graph_grad is not None and gs.enabled:
            return graph_grad(node, g)
        if backward_op is not None and gs.enabled:
            return ((_fit(backward_op(g, x, y, reduction, *params), full, x.shape) if nx else None),
                    (_fit(backward_op(g, y, x, reduction, *params), full, y.shape) if ny else None))
        if tg_bwd is not None and gs.enabled:
            dx, dy = tg_bwd(x, y, *params)
            ge = g / n if reduction == "mean" else g
            if reduction == "none":
                ge = g
            return (_fit(dx * ge, full, x.shape) if nx else None), (_fit(dy * ge, full, y.shape) if ny else None)
        dx, dy = bwd(xp, x._data, y._data, nx, ny, *params)
        ge = _expand_g(xp, g._data, reduction, None, n)
        dev = g._device
        return ((_fit(wrap(dx * ge, dev), full, x.shape) if nx else None),
                (_fit(wrap(dy * ge, dev), full, y.shape) if ny and dy is not None else None))
    formula(name)(grad)

    @batched_of(grad)
    def grad_batched(node, g):
        # g (batch, *loss shape), a plain backward: the derivatives broadcast to the inputs' common
        # shape, times each entry's gradient; the engine sums them to each input's shape
        if grad_fn is not None or bwd is None or gs.enabled:
            return None  # (create_graph: the backward op's / composite's graph, per entry)
        x, y = node.inputs
        reduction, params = node.attrs[0], node.attrs[1:]
        xp = get_backend(x._device).xp
        nx, ny = node.needs_input_grad
        full = np.broadcast_shapes(x._data.shape, y._data.shape)
        gd = g._data
        ge = _expand_g(xp, gd, reduction, None, int(np.prod(full)))
        if reduction != "none":
            ge = ge.reshape(gd.shape[:1] + (1,) * len(full))
        dx, dy = bwd(xp, x._data, y._data, nx, ny, *params)
        dev = g._device
        return ((wrap(xp.broadcast_to(dx, full) * ge, dev) if nx else None),
                (wrap(xp.broadcast_to(dy, full) * ge, dev) if ny and dy is not None else None))
    return frontend


def _mse_f(xp, x, y):
    d = x - y
    return d * d


def _mse_b(xp, x, y, nx, ny):
    d = 2 * (x - y)
    return d, -d


mse_loss_op = _elementwise_loss(
    "mse_loss", _mse_f, _mse_b, dict.fromkeys(_REDUCTIONS, "MseLossBackward0"),
    backward_op=loss_backward_op("mse_loss", _mse_b, "MseLossBackwardBackward0", _mse_double))


def _l1_f(xp, x, y):
    return xp.abs(x - y)


def _l1_b(xp, x, y, nx, ny):
    s = xp.sign(x - y)
    return s, -s


def _l1_tg(x, y):
    s = (x - y).sign()
    return s, -s


l1_loss_op = _elementwise_loss("l1_loss", _l1_f, _l1_b, {"none": "AbsBackward0", "mean": "MeanBackward0",
                                                        "sum": "SumBackward0"}, tg_bwd=_l1_tg)


def _smooth_l1_f(xp, x, y, beta):
    d = xp.abs(x - y)
    if beta == 0:
        return d
    # 0.5 d^2 / beta below beta, d - beta / 2 from it on, chosen by a branch-free select (np.where
    # branches per element on this data-dependent mask, ~6x the arithmetic's cost)
    quadratic = 0.5 * d
    quadratic *= d
    quadratic /= beta
    return select(xp, d < beta, quadratic.astype(x.dtype, copy=False),
                  (d - 0.5 * beta).astype(x.dtype, copy=False))


def _smooth_l1_b(xp, x, y, nx, ny, beta):
    d = x - y
    if beta == 0:
        s = xp.sign(d)
    elif math.isfinite(beta):
        # d / beta below beta in size, sign(d) from it on: that is d / beta clamped to [-1, 1]
        # (division rounds monotonically, so |d| >= beta gives |d / beta| >= 1; NaN stays NaN)
        d /= beta
        one = d.dtype.type(1)
        s = clamp(xp, d, lo=-one, hi=one, out=d)
    else:  # beta = inf: d / beta is 0 for every finite d, and NaN (not sign d) for an infinite one
        s = xp.where(xp.abs(d) < beta, d / beta, xp.sign(d)).astype(x.dtype, copy=False)
    return s, (-s if ny else None)


smooth_l1_loss_op = _elementwise_loss(
    "smooth_l1_loss", _smooth_l1_f, _smooth_l1_b, dict.fromkeys(_REDUCTIONS, "SmoothL1LossBackward0"),
    backward_op=loss_backward_op("smooth_l1_loss", _smooth_l1_b, "SmoothL1LossBackwardBackward0", _smooth_l1_double))


def _huber_f(xp, x, y, delta):
    d = xp.abs(x - y)
    quadratic = 0.5 * d
    quadratic *= d
    linear = d - 0.5 * delta
    linear *= delta
    return select(xp, d < delta, quadratic.astype(x.dtype, copy=False), linear.astype(x.dtype, copy=False))


def _huber_b(xp, x, y, nx, ny, delta):
    # d below delta in size, delta * sign(d) from it on: d clamped to [-delta, delta] (equal at
    # |d| = delta; NaN stays NaN; an infinite delta keeps every d)
    d = x - y
    bound = d.dtype.type(delta)
    s = clamp(xp, d, lo=-bound, hi=bound, out=d)
    return s, (-s if ny else None)


huber_loss_op = _elementwise_loss(
    "huber_loss", _huber_f, _huber_b, dict.fromkeys(_REDUCTIONS, "HuberLossBackward0"),
    backward_op=loss_backward_op("huber_loss", _huber_b, "HuberLossBackwardBackward0", _huber_double,
                                 grad_output=_huber_grad_output))


# binary_cross_entropy and its logits form: an optional weight scales the loss and both derivatives
def _weighted_loss(x, L, w):
    return (L if w is None else L * w).astype(x.dtype, copy=False)


def _weighted_grads(x, dx, dy, w):
    if w is not None:
        dx = dx * w
        dy = dy * w if dy is not None else None
    return dx.astype(x.dtype, copy=False), dy


def _bce_f(xp, x, y, w):
    lx = xp.maximum(xp.log(x), -100.0)
    l1x = xp.maximum(xp.log1p(-x), -100.0)
    return _weighted_loss(x, -(y * lx + (1 - y) * l1x), w)


# PyTorch's EPSILON of Loss.cpp is a float: 1e-12 rounded to float32 (9.99999996e-13), also in the
# float64 kernels (a gradient at x = 0 or 1 is -t / 9.99999996e-13, not -t / 1e-12)
_EPS32 = float(np.float32(1e-12))


def _constant(a, like):
    """A weight array of a loss (a constant of its gradient) as a tensor beside ``like``."""
    return None if a is None else wrap(a, like._device)


def _bce_backward_kernel(xp, g, x, y, w, reduction):
    # PyTorch's binary_cross_entropy_backward: g * (x - t) / max((1 - x) * x, EPSILON), then the
    # weight, then the mean's division, in that order
    d = g * (x - y)
    d /= xp.maximum((1 - x) * x, x.dtype.type(_EPS32))
    if w is not None:
        d *= w
    if reduction == "mean":
        d /= x.size
    return d.astype(x.dtype, copy=False)


def _bce_backward(g, x, y, w, reduction):
    """The input's gradient as PyTorch's ``binary_cross_entropy_backward`` op (node
    ``BinaryCrossEntropyBackwardBackward0``), whose own derivatives are PyTorch's double-backward
    formulas (with ``x + 1e-12`` in the denominators), not the derivative of the clamped one."""
    op = _BCE_BW[0]
    out = wrap(op.table[x._device.type](g._data, x._data, y._data, w, reduction), x._device)
    if gs.enabled and (g._requires_grad or x._requires_grad or y._requires_grad):
        record(op, out, (g, x, y), (w, reduction))
    return out


_BCE_BW = [nnop("binary_cross_entropy_backward", _bce_backward_kernel, _bce_backward,
                node="BinaryCrossEntropyBackwardBackward0")]


@formula("binary_cross_entropy_backward")
def _bce_backward_grad(node, gg):
    g, x, y = node.inputs
    w, reduction = node.attrs
    need_g, need_x, need_y = node.needs_input_grad
    wt = _constant(w, x)
    eps = 1e-12

    def finish(t):
        if wt is not None:
            t = t * wt
        return t / x.numel() if reduction == "mean" else t
    dg = dx = dy = None
    if need_g:  # binary_cross_entropy_double_backward_grad_output
        dg = finish((x - y) / ((x + eps) * (1 - x + eps)) * gg)
        if reduction != "none":
            dg = dg.sum()
    if need_x:  # binary_cross_entropy_double_backward
        dx = finish((x * x - 2 * x * y + y) / ((x + eps).pow(2) * (1 - x + eps).pow(2)) * (gg * g))
    if need_y:  # binary_cross_entropy_double_backward_target: the clamp runs without grad
        p = (1 - x) * x
        dy = finish(-gg * g / (p + (p.detach().clamp(min=eps) - p.detach())))
    return dg, dx, dy


def _bce_grad(node, g):
    x, y = node.inputs
    w, = node.attrs[1:]
    reduction = node.attrs[0]
    nx, ny = node.needs_input_grad
    dx = _bce_backward(g, x, y, w, reduction) if nx else None
    dy = None
    if ny:  # binary_cross_entropy_target_backward: -logit(x) * g (* weight) (/ numel)
        dy = -x.logit() * g
        if w is not None:
            dy = dy * _constant(w, x)
        if reduction == "mean":
            dy = dy / x.numel()
    return dx, dy


bce_op = _elementwise_loss("binary_cross_entropy", _bce_f, None,
                           dict.fromkeys(_REDUCTIONS, "BinaryCrossEntropyBackward0"), grad_fn=_bce_grad)


def _sig(xp, x):
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def _softplus_of_minus(xp, x):
    """softplus(-x), computed stably (no overflow of exp for large |x|)."""
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)


def _bcel_f(xp, x, y, w, pw):
    # (1 - y) * x + (1 + (pw - 1) * y) * softplus(-x)
    sp = _softplus_of_minus(xp, x)
    if pw is not None:
        L = (1 - y) * x + (1 + (pw - 1) * y) * sp
    else:
        L = (1 - y) * x + sp
    return _weighted_loss(x, L, w)


def _bcel_half(xp, x, y, w, pw):
    """ATen's composite for float16/bfloat16, each op rounded to the half type: log_sigmoid(x)
    (computed in float32), times ``(pos_weight - 1) * y + 1``, subtracted from ``(1 - y) * x``,
    times the weight."""
    ls = (-_softplus_of_minus(xp, x.astype(np.float32))).astype(x.dtype)
    if pw is not None:
        ls = ls * ((pw - 1) * y + 1)
    L = (1 - y) * x - ls
    return L if w is None else L * w


def _bcel_b(xp, x, y, nx, ny, w, pw):
    s = _sig(xp, x)
    if pw is not None:
        dx = (pw * y + 1 - y) * s - pw * y
        dy = -x + (pw - 1) * _softplus_of_minus(xp, x) if ny else None
    else:
        dx = s - y
        dy = -x if ny else None
    return _weighted_grads(x, dx, dy, w)


def _bcel_graph_grad(node, g):
    """PyTorch's binary_cross_entropy_with_logits_backward and its _target_backward (FunctionsManual),
    in tensorgraft ops for create_graph=True: the derivative, times the incoming gradient, times the
    weight, divided by numel for a mean (a Scalar division, DivBackward1), in that order."""
    x, y = node.inputs
    reduction, w, pw = node.attrs
    nx, ny = node.needs_input_grad
    full = np.broadcast_shapes(x._data.shape, y._data.shape)
    n = int(np.prod(full))
    wt, pwt = _constant(w, x), _constant(pw, x)

    def finish(d, shape):
        d = d * g
        if wt is not None:
            d = d * wt
        if reduction == "mean":
            d = _scalar_overload("div", "DivBackward1", d, n)
        return _fit(d, full, shape)
    dx = dy = None
    if nx:
        if pwt is None:
            d = x.sigmoid() - y
        else:
            t = pwt * y
            d = (_scalar_overload("add", "AddBackward1", t, 1) - y) * x.sigmoid() - t
        dx = finish(d, x.shape)
    if ny:
        if pwt is None:
            d = -x
        else:
            from .activation_api import logsigmoid
            d = logsigmoid(-x) - logsigmoid(x) * pwt
        dy = finish(d, y.shape)
    return dx, dy


bce_logits_op = _elementwise_loss("binary_cross_entropy_with_logits", _bcel_f, _bcel_b,
                                  dict.fromkeys(_REDUCTIONS, "BinaryCrossEntropyWithLogitsBackward0"),
                                  graph_grad=_bcel_graph_grad, half_fwd=_bcel_half)


def _kl_f(xp, x, y, log_target):
    if log_target:
        return (xp.exp(y) * (y - x)).astype(x.dtype, copy=False)
    # xlogy(t, t) - t * x, as PyTorch computes it: 0 where t == 0, NaN for a negative (or NaN) t
    safe = xp.where(y > 0, y, 1)
    with np.errstate(invalid="ignore"):
        L = xp.where(y > 0, y * (xp.log(safe) - x), xp.where(y == 0, -y * x * 0, xp.nan))
    return L.astype(x.dtype, copy=False)


def _kl_b(xp, x, y, nx, ny, log_target):
    if log_target:
        e = xp.exp(y)
        return -e, (e * (y - x + 1) if ny else None)
    safe = xp.where(y > 0, y, 1)
    # d/dt of xlogy(t, t) is log(t) + 1, and 0/0 = NaN at t == 0 in PyTorch's xlogy derivative
    # (and NaN below 0, where the loss itself is NaN)
    dy = xp.where(y > 0, xp.log(safe) + 1 - x, xp.nan).astype(x.dtype) if ny else None
    return -y, dy


def _kl_tg(x, y, log_target):
    """The derivatives in tensorgraft ops, for create_graph=True: d/dtarget depends on the input
    (and d/dinput on the target), so gradient penalties and meta-learning through a distillation
    loss need these links (the array formula above would cut them)."""
    import tensorgraft as tg
    if log_target:
        e = y.exp()
        return -e, e * (y - x + 1)
    # PyTorch's xlogy(t, t) derivative: xlogy(t != 0, t) + t / t (NaN at t == 0 and below it),
    # minus x; written so, its own derivatives are PyTorch's too (-1 for x even where t == 0,
    # NaN for t there)
    dy = tg.xlogy((y != 0).to(y.dtype), y) + y / y - x
    return -y, dy


def _kl_node(reduction, log_target):
    # unreduced, PyTorch's last op is the product exp(t) * (t - x) for log targets, else t * log t - t x
    if reduction == "none":
        return "MulBackward0" if log_target else "SubBackward0"
    return "MeanBackward0" if reduction == "mean" else "SumBackward0"


kl_div_op = _elementwise_loss("kl_div", _kl_f, _kl_b, _kl_node, tg_bwd=_kl_tg)


def warn_size(input, target, stacklevel=3):
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=stacklevel)


# cross_entropy and nll_loss register after the elementwise losses, as they always have
from .nll_cross_entropy import cross_entropy, nll_loss  # noqa: E402,F401
