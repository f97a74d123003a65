"""The class losses: cross_entropy (log_softmax + nll in one op when no graph is recorded) and
nll_loss over class-index targets, with ATen's target and weight checks; probability targets and
label smoothing are composed from core ops, as PyTorch records them."""
from __future__ import annotations

import math

import numpy as np

from tensorgraft.device import get_backend

from tensorgraft.autograd.saved_properties import _SECOND_BACKWARD as SECOND_BACKWARD, FromNode, as_int64_shown

from ._common import batched_of, check_tensor_args, formula, gs, nnop, record, refuse_grad, wrap
from .linear import _scalar_name
from .loss_reduction import _check_reduction
from tensorgraft.dtypes import np_kind as _np_kind


def _move_class_last(a):
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    perm = (0,) + tuple(range(2, a.ndim)) + (1,)
    return a.transpose(perm).reshape(-1, a.shape[1])


def _restore_class(a2, shape):
    """Inverse of ``_move_class_last`` for a (M, C) array back to ``shape``."""
    if len(shape) <= 2:
        return a2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    r = a2.reshape(moved)
    nd = len(shape)
    return r.transpose((0, nd - 1) + tuple(range(1, nd - 1)))


def _check_batch(x, t):
    """nll_loss_nd's batch checks, which raise ``ValueError`` before any kernel runs (a 1D input,
    one sample, is checked later: ``_check_targets``). A 0D target against a batch reads as a
    batch of 0 (PyTorch reads its missing first size as 0, and an empty batch then fails on
    asking that size)."""
    if x.ndim == 1:
        return
    if t.ndim == 0:
        if x.shape[0] == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size (0).")
    if x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")


def _check_target_dtype(t):
    # the kernels index with int64 or uint8 targets only; every other dtype is refused by name
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_scalar_name(t.dtype)}")


def _check_weight_dtype(x, w):
    # the kernels read the class weights in the input's dtype, without converting them
    if w.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(x.dtype)} but found {_scalar_name(w.dtype)}")


def _check_targets(input, target, weight):
    """Class-index targets, checked in the order of PyTorch's nll_loss kernels: for 1D/2D inputs
    (nll_loss) the weight's grad, the target's rank, its dtype, a 1D input's target size, then
    the weight's size; for 4D
    inputs (nll_loss2d) the weight's grad, rank 3, the dtype, the weight's element count, then
    the spatial sizes; other ranks are first matched against the expected target size (then
    viewed as 4D). Returns the weight's data as the kernel takes it (or None)."""
    x, t = input._data, target._data
    C = x.shape[1] if x.ndim > 1 else x.shape[0]
    if x.ndim <= 2:
        refuse_grad("nll_loss_forward", "weight", weight)
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        _check_target_dtype(t)
        if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            # one sample takes a 0D target or a 1D target of one class index
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
        if weight is None:
            return None
        w = weight._data
        if w.ndim != 1 or w.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {list(w.shape)}")
        _check_weight_dtype(x, w)
        return w
    expected = x.shape[:1] + x.shape[2:]
    if x.ndim != 4 and t.shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    refuse_grad("nll_loss2d_forward", "weight", weight)
    if x.ndim == 4 and t.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{t.ndim}")
    _check_target_dtype(t)
    w = None
    if weight is not None:
        # nll_loss2d counts the weight's elements: a (C, 1) weight passes, and is used flat
        w = weight._data
        if w.size != C:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        _check_weight_dtype(x, w)
        w = w.reshape(-1)
    if t.shape != expected:
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    if t.dtype == np.uint8:
        # nll_loss2d's check lets Byte through, but its kernel reads the targets as int64 only
        raise RuntimeError("expected scalar type Long but found Byte")
    return w


def _coef(xp, x2, t, w, ignore_index):
    """For class-index targets, each row's coefficient and class: loss_i = -coef[i] * logp[i, cls[i]]
    (the target's class weight, or 1; 0 for an ``ignore_index`` row, whose class reads as 0); the
    mean's divisor; and which rows count (not ``ignore_index``). Kept per row, not as an (M, C)
    matrix with one entry a row: the backward writes those entries into zeros (nll_loss_backward's
    own scheme), and a classifier's logits are large."""
    M, C = x2.shape
    dt = x2.dtype
    t = t.reshape(-1)
    valid = t != ignore_index
    cls = xp.where(valid, t, 0)
    if bool(xp.any((cls < 0) | (cls >= C))):
        bad = int(cls[(cls < 0) | (cls >= C)][0])
        raise IndexError(f"Target {bad} is out of bounds.")
    coef = (w[cls] * valid if w is not None else valid).astype(dt, copy=False)
    denom = coef.sum()
    return coef, cls, denom, valid


def _scatter_nll_grad(xp, coef, cls, live, scale, C, lead=()):
    """nll_loss's input gradient over (*lead, M, C): ``-coef * scale`` at each counted row's class,
    zeros elsewhere (+0, and an ignored row stays 0 whatever the incoming gradient, as ATen's
    nll_loss_backward fills zeros and writes the counted targets only). ``scale``: a scalar or
    per-row values of shape (*lead, M, 1), broadcasting against (*lead, M)."""
    M = coef.shape[0]
    d = xp.zeros(tuple(lead) + (M, C), coef.dtype)
    rows = xp.arange(M)[live]
    value = -coef[live] * xp.asarray(scale)[..., live, 0] if xp.ndim(scale) else -coef[live] * scale
    d[..., rows, cls[live]] = value
    return d


def _ce_kernel(xp, x, t, w, reduction, ignore_index, eps, log_input):
    # (eps is always 0 here: label smoothing is composed from other ops, _smoothed_class_loss)
    x2 = _move_class_last(x)
    if log_input:
        lsm = x2
    else:
        m = x2.max(axis=1, keepdims=True)
        lsm = x2 - m
        lsm -= xp.log(xp.exp(lsm).sum(axis=1, keepdims=True))
    coef, cls, denom, live = _coef(xp, x2, t, w, ignore_index)
    # nll_loss reads only each row's target entry (another class's -inf log-probability, a
    # masked_fill(-inf) of the logits as contrastive losses do, must not add 0 * inf = NaN):
    # the coefficient times -lsm's entry there, +0 for an ignored row (and -0 made +0, as a row sum
    # of zeros would), with no pass over the other classes
    rows = xp.arange(coef.shape[0])
    per = coef * -lsm[rows, cls]
    per = xp.where(live, per, xp.zeros((), per.dtype)) + per.dtype.type(0)
    kept = (lsm, coef, cls, denom, live)
    if reduction == "none":
        shape = (x.shape[:1] + x.shape[2:]) if x.ndim > 1 else ()
        return (per.reshape(shape).astype(x.dtype, copy=False),) + kept
    tot = per.sum()
    if reduction == "mean":
        tot = tot / denom
    return (xp.asarray(tot, dtype=x.dtype),) + kept


# (input, target, weight) of ATen's cross_entropy_loss and nll_loss_nd, the functions F calls, whose
# names PyTorch's argument errors carry
_LOSS_ARGS = (("input", 1, False), ("target", 2, False), ("weight", 3, True))


def _ce(fname, holder, input, target, weight, reduction, ignore_index, label_smoothing, log_input, node):
    check_tensor_args(fname, _LOSS_ARGS, input, target, weight)
    _check_reduction(reduction)
    x, t = input._data, target._data
    if log_input and x.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    # cross_entropy reads a target of the input's shape as class probabilities, whatever its
    # dtype (nll_loss has no such form: its targets are always class indices)
    probs = not log_input and t.shape == x.shape
    if probs and _np_kind(t.dtype) != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_scalar_name(t.dtype)}")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    # PyTorch refuses only a value above 1: a negative or NaN one means no smoothing at all
    if not label_smoothing > 0.0:
        label_smoothing = 0.0
    if not log_input:
        # cross_entropy's first op is log_softmax over dim 1 (its errors before any target check)
        if x.ndim == 0:
            if probs:
                raise IndexError("Dimension specified as 1 but tensor has no dimensions")
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        if _np_kind(x.dtype) != "f":
            kernel = "lastdim_kernel_impl" if x.ndim <= 2 else "kernel_impl"
            raise NotImplementedError(f"\"log_softmax_{kernel}\" not implemented for '{_scalar_name(x.dtype)}'")
    C = x.shape[1] if x.ndim > 1 else x.shape[0]
    if probs:  # composed from core ops, as PyTorch does (see _soft_target_loss)
        if ignore_index != -100:  # (probabilities have no class to ignore)
            raise RuntimeError("ignore_index is not supported for floating point target")
        if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {C} classes or no "
                               f"classes but got weight tensor of shape: {list(weight.shape)}")
        return _soft_target_loss(input, target, weight, reduction, label_smoothing)
    _check_batch(x, t)
    w = _check_targets(input, target, weight)
    if _np_kind(x.dtype) != "f":  # nll_loss's kernels take floating log-probabilities only
        kernel = "nll_loss_out_frame" if x.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_name(x.dtype)}'")
    if label_smoothing and not log_input:  # composed from core ops, as PyTorch does (see below)
        return _smoothed_class_loss(input, target, weight, reduction, ignore_index, label_smoothing)
    if not log_input and gs.enabled and input._requires_grad:
        # a graph to record: PyTorch's log_softmax node then nll_loss's, so that
        # loss.grad_fn.next_functions reads (LogSoftmaxBackward0, 0) as there
        from .activation import log_softmax_op
        return _nll_of_log_probs(log_softmax_op(input, 1 if input.ndim > 1 else 0), target, weight, reduction,
                                 ignore_index)
    if w is not None:
        w = w.astype(x.dtype, copy=False)
    op = holder[0]
    res, lsm, coef, cls, denom, live = op.table[input._device.type](x, t, w, reduction, ignore_index,
                                                                     label_smoothing, log_input)
    out = wrap(res, input._device)
    # class targets: only the input can require grad (_check_targets refuses a weight that does)
    if gs.enabled and input._requires_grad:
        record(op, out, (input, target, weight), {"lsm": lsm, "coef": coef, "cls": cls, "denom": denom, "reduction": reduction,
                                                   "log_input": log_input, "w": w, "live": live,
                                                   "ignore_index": ignore_index, "target": target,
                                                   "weight": weight,
                                                   "target_shape": t.shape}, node_name=node)
    return out


def _soft_target_loss(input, target, weight, reduction, eps):
    """Cross entropy with probability targets, recorded op by op as PyTorch composes it, so the
    graph people print reads the same: ``DivBackward1`` (mean) <- ``NegBackward0`` <-
    ``SumBackward0/1`` <- ``MulBackward0`` (weight, viewed to broadcast) <- ``MulBackward0`` <-
    ``LogSoftmaxBackward0``, the target smoothed through ``MulBackward1``/``AddBackward1``. Each
    op brings its own (differentiable) gradient, for the input, the target and the weight; the
    operands promote as in PyTorch (a float64 target gives a float64 loss)."""
    from .activation import log_softmax_op
    from .nn_aten_nodes import add_scalar
    class_dim = 1 if input.ndim > 1 else 0
    C = input.shape[class_dim]
    if eps:
        target = add_scalar(_scalar_op("mul", "MulBackward1", target, 1.0 - eps), eps / C)
    terms = log_softmax_op(input, class_dim) * target
    if weight is not None:
        if input.ndim > 1:  # the classes' axis of a batch: viewed to broadcast (ViewBackward0)
            shape = [1] * input.ndim
            shape[class_dim] = C
            weight = weight.view(shape)
        terms = terms * weight
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    rows = input.numel() // C if C else 0
    if rows == 0:
        return -(terms.sum() * float("nan"))  # an empty batch: NaN, under PyTorch's top node
    return _scalar_op("div", "DivBackward1", total, float(rows))


def _smoothed_class_loss(input, target, weight, reduction, ignore_index, eps):
    """Cross entropy with class-index targets and ``label_smoothing``, recorded op by op as
    PyTorch composes it: ``AddBackward0`` of ``(1 - eps) * nll`` (``MulBackward1`` <- nll_loss's
    node <- ``LogSoftmaxBackward0``) and ``eps / C * smooth`` (``MulBackward1`` <- the reduction
    (``DivBackward0``/``SumBackward0``) <- ``MaskedFillBackward0`` <- ``NegBackward0`` <-
    ``SumBackward1`` <- ``MulBackward0`` with the viewed weight <- the same log_softmax). The
    targets were checked by ``_ce``; the unsmoothed case keeps the fused kernel (the hot path)."""
    from .activation import log_softmax_op
    class_dim = 1 if input.ndim > 1 else 0
    C = input.shape[class_dim]
    lsm = log_softmax_op(input, class_dim)
    nll = _nll_of_log_probs(lsm, target, weight, reduction, ignore_index)
    if input.ndim == 1 and target.ndim == 1:
        # one sample with its class as a 1-element target: nll_loss takes it, but PyTorch's
        # smoothing term then writes a [1] result into the 0D one, and refuses
        raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")
    terms = lsm
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = C
        terms = terms * weight.view(shape)
    ignored = target == ignore_index
    smooth = (-terms.sum(class_dim)).masked_fill(ignored, 0.0)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        # the nll mean's divisor: the weights of the counted targets, else how many count
        counted = ignored.logical_not()
        divisor = counted.sum() if weight is None else weight[target.masked_select(counted)].sum()
        smooth = smooth.sum() / divisor
    return _scalar_op("mul", "MulBackward1", nll, 1.0 - eps) + _scalar_op("mul", "MulBackward1", smooth, eps / C)


def _nll_of_log_probs(lsm, target, weight, reduction, ignore_index):
    """nll_loss as PyTorch's composite calls it: inputs of 3 or more than 4 dims are viewed to 4
    (``ViewBackward0`` on each side of ``NllLoss2DBackward0``); 1, 2 and 4 dims go straight in."""
    if lsm.ndim in (1, 2, 4):
        return nll_loss(lsm, target, weight, ignore_index=ignore_index, reduction=reduction)
    n, c = lsm.shape[:2]
    rest = lsm.shape[2:]
    inner = rest[0] if len(rest) > 1 else 1
    as_4d = (n, c, inner, lsm.numel() // (n * c * inner) if n * c * inner else 0)
    out = nll_loss(lsm.view(as_4d), target.reshape((n,) + as_4d[2:]), weight, ignore_index=ignore_index,
                   reduction=reduction)
    return out.view((n,) + tuple(rest)) if reduction == "none" else out


def _scalar_op(op_name, node_name, t, number):
    """``t <op> number`` recorded as ATen's Scalar overload (``MulBackward1``, ``DivBackward1``): the
    name PyTorch's composite shows; the values and the formula are the core op's."""
    from tensorgraft.grad_mode import no_grad
    from tensorgraft.registry import registry
    op = registry.ops[op_name]
    with no_grad():
        out = op.frontend(t, number)
    if gs.enabled and t._requires_grad:
        record(op, out, (t, number), None, node_name=node_name)
    return out


_CE = []
_NLL = []


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    # the fused op runs only where nothing is recorded: with a graph, _ce composes log_softmax and
    # nll_loss (or the smoothed or probability-target chains), whose nodes PyTorch's graph shows
    return _ce("cross_entropy_loss", _CE, input, target, weight, reduction, ignore_index, float(label_smoothing), False,
               None)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    return _ce("nll_loss_nd", _NLL, input, target, weight, reduction, ignore_index, 0.0, True, _nll_node(input, reduction))


def _nll_node(input, reduction):
    """The last node of PyTorch's nll_loss graph: inputs of 3 or more than 4 dims are viewed to 4-D
    for nll_loss2d, and an unreduced loss is viewed back (``ViewBackward0``)."""
    ndim = getattr(input, "ndim", 2)
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if ndim != 4 and reduction == "none" else "NllLoss2DBackward0"


def _ce_k(xp, *a):
    return _ce_kernel(xp, *a)


# cross_entropy's fused kernel runs forward-only (with a graph, cross_entropy records log_softmax's
# and nll_loss's nodes instead), so it has no formula. The class targets and the class weights are
# no inputs of PyTorch's nll_loss node (it refuses a weight that requires grad), so its
# next_functions hold the input's edge alone
_CE.append(nnop("cross_entropy", _ce_k, cross_entropy, differentiable=False))
_NLL.append(nnop("nll_loss", _ce_k, nll_loss, nondiff_inputs=(1, 2)))


def _nll_grad_common(node, g):
    a = node.attrs
    shape, tshape = node.in_meta[0][0], a.get("target_shape", ())
    if len(shape) == 1 and len(tshape) == 1:
        # one sample with a 1-element target: PyTorch's forward takes it but its backward
        # (nll_loss_backward) refuses, so the same program fails at the same step
        raise RuntimeError(f"size mismatch (got input: {list(shape)}, target: {list(tshape)})")
    xp = get_backend(g._device).xp
    coef, cls, lsm = a["coef"], a["cls"], a["lsm"]
    gd = g._data
    red = a["reduction"]
    if red == "none":
        scale = gd.reshape(-1, 1).astype(coef.dtype, copy=False)
    elif red == "mean":
        scale = (gd / a["denom"]).astype(coef.dtype)
    else:
        scale = gd.astype(coef.dtype)
    dx = None
    if node.needs_input_grad[0]:
        d = _scatter_nll_grad(xp, coef, cls, a["live"], scale, lsm.shape[1])
        dx = wrap(_restore_class(d, shape) if len(shape) != 2 else d, g._device)
        if gs.enabled and (g._requires_grad or node.inputs[0]._requires_grad):
            # create_graph=True: PyTorch's nll_loss_backward node, over the incoming gradient and
            # the input (whose own gradient is zero), as PyTorch's
            _record_nll_backward(node, g, dx, len(shape), red)
    return (dx, None, None)


def _record_nll_backward(node, g, dx, ndim, red):
    """Record ``dx`` (nll_loss's input gradient) as PyTorch's nll_loss_backward node over ``g`` and
    the input (also for a batched ``g``: its formula reads the batch dim off the shapes)."""
    a = node.attrs
    name = "NllLossBackwardBackward0" if ndim <= 2 else "NllLoss2DBackwardBackward0" if ndim == 4 else "ViewBackward0"
    record(_NLL_BW[0], dx, (g, node.inputs[0]),
           {"target": a["target"], "weight": a["weight"], "reduction": red, "ignore_index": a["ignore_index"]},
           node_name=name)


# nll_loss_backward as a node of its own (create_graph=True): linear in the incoming gradient, whose
# derivative is nll_loss of the gradient's gradient (PyTorch's formula), and zero for the input
_NLL_BW = [nnop("nll_loss_backward", lambda xp, *a: None, None)]


@formula("nll_loss_backward")
def _nll_backward_grad(node, gg):
    g, x = node.inputs
    a = node.attrs
    need_g, need_x = node.needs_input_grad
    if gg.ndim > x.ndim:  # the node of a batched backward (g and the output lead by a batch dim)
        return (_nll_over_leading(gg, x, a) if need_g else None), (x.new_zeros(x.shape) if need_x else None)
    dg = nll_loss(gg, a["target"], a["weight"], a["ignore_index"], a["reduction"]) if need_g else None
    return dg, (x.new_zeros(x.shape) if need_x else None)


@batched_of(_nll_backward_grad)
def _nll_backward_batched(node, gg):
    g, x = node.inputs
    need_g, need_x = node.needs_input_grad
    if x.numel() == 0 or gg.numel() == 0:
        return None
    dg = _nll_over_leading(gg, x, node.attrs) if need_g else None
    return dg, (gg.new_zeros((gg.shape[0],) + tuple(x.shape)) if need_x else None)


def _nll_over_leading(gg, x, a):
    """nll_loss (linear in its input) of each (*x.shape) entry of ``gg`` (*lead, *x.shape) at once,
    shape (*lead, *loss shape): the entries stacked as more samples of one unreduced nll_loss
    (the targets repeated), each entry's samples then reduced as that entry's nll_loss would."""
    lead = tuple(gg.shape[:gg.ndim - x.ndim])
    k = math.prod(lead)
    t, w, red = a["target"], a["weight"], a["reduction"]
    td = t._data
    if x.ndim == 1:  # one sample (C,) with a 0-d target: k samples of a batch
        stacked = gg.reshape(k, x.shape[0])
        targets = wrap(np.broadcast_to(td.reshape(1), (k,)).copy(), t._device)
        per = nll_loss(stacked, targets, w, a["ignore_index"], "none").reshape(lead)
        samples = 1
    else:
        stacked = gg.reshape((k * x.shape[0],) + tuple(x.shape[1:]))
        targets = wrap(np.broadcast_to(td, (k,) + td.shape).reshape((k * td.shape[0],) + td.shape[1:]).copy(),
                       t._device)
        per = nll_loss(stacked, targets, w, a["ignore_index"], "none")
        samples = per.numel() // k
        per = per.reshape(lead + (x.shape[0],) + tuple(per.shape[1:]))
    if red == "none":
        return per
    total = per.reshape(lead + (samples,)).sum(-1)
    if red == "sum":
        return total
    live = td.reshape(-1) != a["ignore_index"]
    wd = None if w is None else w._data
    denom = (wd[np.where(live, td.reshape(-1), 0)] * live).sum() if wd is not None else live.sum()
    return total / float(denom)


@formula("nll_loss", saves=(0,))
def _nll_grad(node, g):
    return _nll_grad_common(node, g)


def _total_weight(node):
    """NllLossBackward0's ``_saved_total_weight``: the weight of the counted targets (0 unreduced),
    a 0-d tensor of the input's dtype."""
    if node._released:
        raise RuntimeError(SECOND_BACKWARD)
    a, x = node.attrs, node.inputs[0]
    return wrap(get_backend(x._device).xp.asarray(0 if a["reduction"] == "none" else a["denom"], dtype=x._data.dtype),
                x._device)


# what PyTorch's NllLossBackward0 / NllLoss2DBackward0 show: the target and weight as given, the
# reduction as ATen's enum (none 0, mean 1, sum 2), ignore_index read back unsigned
_NLL_SAVED = {
    "target": FromNode(lambda node: node.attrs["target"]),
    "weight": FromNode(lambda node: node.attrs["weight"]),
    "total_weight": FromNode(_total_weight),
    "reduction": FromNode(lambda node: ("none", "mean", "sum").index(node.attrs["reduction"])),
    "ignore_index": FromNode(lambda node: as_int64_shown(node.attrs["ignore_index"]))}
_nll_grad.input_names = ("self", None, None)
_nll_grad.saved_hidden = ("lsm", "coef", "cls", "denom", "log_input", "w", "live", "target_shape", "label_smoothing")
_nll_grad.saved_defaults = _NLL_SAVED


@batched_of(_nll_grad)
def _nll_batched(node, g):
    """``_nll_grad_common`` for g of shape (batch, *loss shape): the same (rows, C) coefficients,
    scaled by each entry's gradient, (batch, rows, C) at once."""
    a = node.attrs
    shape, tshape = tuple(node.in_meta[0][0]), a.get("target_shape", ())
    if (len(shape) == 1 and len(tshape) == 1) or not node.needs_input_grad[0] or math.prod(shape) == 0 or g.shape[0] == 0:
        return None  # (the refusal of one 1-element target, nothing to compute: per entry)
    xp = get_backend(g._device).xp
    coef, cls, live, lsm = a["coef"], a["cls"], a["live"], a["lsm"]
    gd = g._data
    n = gd.shape[0]
    red = a["reduction"]
    if red == "none":
        scale = gd.reshape(n, -1, 1).astype(coef.dtype, copy=False)
    elif red == "mean":
        scale = (gd / a["denom"]).astype(coef.dtype).reshape(n, 1, 1)
    else:
        scale = gd.astype(coef.dtype).reshape(n, 1, 1)
    d = _scatter_nll_grad(xp, coef, cls, live, xp.broadcast_to(scale, (n, coef.shape[0], 1)), lsm.shape[1],
                          lead=(n,))
    if len(shape) > 2:  # back from (rows, C) to (N, C, d1, ...), per entry
        nd = len(shape)
        d = d.reshape((n, shape[0]) + shape[2:] + (shape[1],)).transpose((0, 1, nd) + tuple(range(2, nd)))
    else:
        d = d.reshape((n,) + shape)
    dx = wrap(d, g._device)
    if gs.enabled and (g._requires_grad or node.inputs[0]._requires_grad):
        # create_graph=True: nll_loss_backward's node over the batched gradient (_nll_over_leading)
        _record_nll_backward(node, g, dx, len(shape), red)
    return (dx, None, None)
