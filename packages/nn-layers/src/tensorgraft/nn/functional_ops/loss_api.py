"""The loss frontends of ``nn.functional``: the pointwise losses (MSE, L1, smooth L1, Huber,
BCE, KL), cross entropy and NLL, the margin and embedding losses, Gaussian/Poisson NLL, the
triplet losses and CTC, with the legacy ``size_average``/``reduce`` mapping (``_reduction``,
which ``nn`` loss modules also use) and the reductions of the composed losses.

Fused losses call ``loss.py``, ``margin_loss.py`` and ``ctc_loss.py`` (kernels and formulas,
registered at plugin load) after PyTorch's checks; the others are composed from tensorgraft ops,
as PyTorch composes them, so their ``grad_fn`` chains match.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.amp._state import state as _autocast

from . import _common as _ops_common
from . import ctc_loss as _ctc
from . import linear as _lin
from . import loss as _loss
from . import margin_loss as _margin
from . import nn_aten_nodes as _aten
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
from .activation_api import logsigmoid
from .shuffle_distance_api import pairwise_distance
from tensorgraft.dtypes import CPP_TYPE_NAMES
from tensorgraft.dtypes import np_kind as _np_kind


# the tensor arguments of the ATen losses these end in, as (name, position, may be None), which
# PyTorch's argument errors name (F's Python code fails before some of them: BCE's ``target.size()``
# of an array is "'int' object is not callable", margin_ranking_loss's ``input1.dim()`` an
# AttributeError; the error is PyTorch's parser's here too)
_INPUT_TARGET = (("input", 1, False), ("target", 2, False))
_BCE_ARGS = _INPUT_TARGET + (("weight", 3, True), ("pos_weight", 4, True))
_MARGIN_RANKING_ARGS = (("input1", 1, False), ("input2", 2, False), ("target", 3, False))


def _reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        reduction = "mean"
    else:
        reduction = "sum" if reduce else "none"
    # stacklevel 2: the F.* function or loss module's __init__ that was given the legacy arguments
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=2)
    return reduction


def _broadcast_check(input, target):
    a, b = tuple(input.shape), tuple(target.shape)
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
                raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                                   f"non-singleton dimension {i}") from None


def _expandable_to(weight, shape):
    """binary_cross_entropy expands its weight to the input's shape (one way, unlike broadcasting)."""
    w, x = tuple(weight.shape), tuple(shape)
    for i in range(1, min(len(w), len(x)) + 1):
        if w[-i] != 1 and w[-i] != x[-i]:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {w[-i]} at -{i}! Mismatching argument "
                               f"at index 1 had torch.Size({list(w)}); but expected shape should be broadcastable to "
                               f"{list(x)}")
    if len(w) > len(x):
        raise RuntimeError(f"output with shape {list(x)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(w, x))}")


def _pointwise_loss(op, input, target, reduction, *params, warn_name=None, stacklevel=2, kernel=None,
                    size_warning=True):
    """``stacklevel``: the size warning's, counted from the F.* function that calls this one (2 names
    the line that called that function, as PyTorch's warning does). ``kernel``: the name of PyTorch's
    CPU kernel (``"mse"`` for ``mse_cpu``), which takes floating dtypes only; ``"l1"`` stands for
    l1_loss, which PyTorch composes from sub, abs and a reduction.
    ``size_warning``: warn when the target's shape differs (kl_div broadcasts without a word)."""
    _check(input, warn_name or "loss")
    _check(target, warn_name or "loss", "target", 2)
    _loss._check_reduction(reduction)
    if target.shape != input.shape and size_warning:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel + 1)
    if target.shape != input.shape:
        _broadcast_check(input, target)
    if input._device is not target._device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {target.device}!")
    if kernel == "l1" and np.bool_ in (input._data.dtype, target._data.dtype):
        # l1_loss starts with input - target, which refuses bool operands
        if input._data.dtype == target._data.dtype:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                               "`logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    if input._data.dtype != target._data.dtype:
        dt = _tg.promote_types(input.dtype, target.dtype)
        if kernel == "huber" and _np_kind(input._data.dtype) in "biu" and dt.is_floating_point:
            # PyTorch's huber_loss writes into a result of the input's dtype
            raise RuntimeError(f"result type {_lin._scalar_name(np.dtype(str(dt).split('.')[-1]))} can't be cast "
                               f"to the desired output type {_lin._scalar_name(input._data.dtype)}")
        if kernel == "huber":  # ... so a floating input keeps its dtype whatever the target's
            dt = input.dtype
        input, target = input.to(dt), target.to(dt)
    if kernel == "l1" and _tg.is_grad_enabled() and (input._requires_grad or target._requires_grad):
        # a graph to record: PyTorch's composite, whose nodes it shows (SubBackward0, AbsBackward0,
        # the reduction's; and their double backward); the fused kernel gives the same values
        return _reduce_loss((input - target).abs(), reduction)
    if kernel is not None and _np_kind(input._data.dtype) != "f":
        if kernel == "l1":
            if _np_kind(input._data.dtype) != "c":  # integers: those ops' own errors (bool sub, int mean)
                return _reduce_loss((input - target).abs(), reduction)
        else:
            raise NotImplementedError(f'"{kernel}_{input._device.type}" not implemented for '
                                      f"'{_lin._scalar_name(input._data.dtype)}'")
    return op(input, target, reduction, *params)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted_loss("mse_loss", input, target, weight, reduction)
    out = _pointwise_loss(_loss.mse_loss_op, input, target, reduction, warn_name="mse_loss", kernel="mse")
    return out


def _weighted_loss(name, input, target, weight, reduction, delta=1.0):
    """``mse_loss``/``huber_loss`` with a per-element ``weight``: PyTorch composes these from
    pointwise ops (weighted MSE's mean divides by the weights' sum; Huber's is a plain mean)."""
    _check(input, name)
    _check(target, name, "target", 2)
    _check(weight, name, "weight", 3)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)
    if name == "mse_loss":
        loss = (input - target) ** 2 * weight
        if reduction == "mean":
            return loss.sum() / weight.sum()
    else:
        # the size warning was given above, once, as PyTorch gives it
        loss = _pointwise_loss(_loss.huber_loss_op, input, target, "none", float(delta), warn_name=name,
                               kernel="huber", size_warning=False) * weight
    return _reduce_loss(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise_loss(_loss.l1_loss_op, input, target, reduction, warn_name="l1_loss", kernel="l1")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        # PyTorch hands beta=0 to l1_loss (grad_fn AbsBackward0/MeanBackward0/SumBackward0)
        return _pointwise_loss(_loss.l1_loss_op, input, target, reduction, warn_name="smooth_l1_loss",
                               kernel="l1")
    return _pointwise_loss(_loss.smooth_l1_loss_op, input, target, reduction, float(beta), warn_name="smooth_l1_loss",
                           kernel="smooth_l1")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if _autocast.on:  # (the losses below are on PyTorch's CPU float32 list too)
        input, target = _autocast.fp32(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted_loss("huber_loss", input, target, weight, reduction, delta)
    return _pointwise_loss(_loss.huber_loss_op, input, target, reduction, float(delta), warn_name="huber_loss",
                           kernel="huber")


# PyTorch's CUDA autocast refuses binary_cross_entropy (CPU autocast runs it in float32)
_BCE_UNSAFE = ("torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
               "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
               "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
               "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
               "safe to autocast.")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _ops_common.check_tensor_args("binary_cross_entropy", _BCE_ARGS, input, target, weight)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if _autocast.on:
        if input.device.type == "cuda" and _tg.is_autocast_enabled("cuda"):
            raise RuntimeError(_BCE_UNSAFE)
        input, target, weight = _autocast.fp32(input, target, weight)
    w = None
    if weight is not None:
        _expandable_to(weight, input.shape)
        _ops_common.refuse_grad("binary_cross_entropy", "weight", weight)
        w = weight._data.astype(input._data.dtype, copy=False)
    x = input._data
    # PyTorch's kernel takes the target in the input's own dtype (no promotion: an integer target,
    # a common mistake, is refused) and floating inputs only
    if target._data.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {_lin._scalar_name(target._data.dtype)} but expected "
                           f"{_lin._scalar_name(x.dtype)}")
    if _np_kind(x.dtype) != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_lin._scalar_name(x.dtype)}'")
    # PyTorch's kernel checks element by element, the input's value before the target's: the
    # first element out of [0, 1] on either side names the error
    bad_x, bad_t = ~((x >= 0) & (x <= 1)), ~((target._data >= 0) & (target._data <= 1))
    if x.size and bool((bad_x | bad_t).any()):
        first = int(np.flatnonzero((bad_x | bad_t).reshape(-1))[0])
        side = "input" if bad_x.reshape(-1)[first] else "target"
        raise RuntimeError(f"all elements of {side} should be between 0 and 1")
    return _pointwise_loss(_loss.bce_op, input, target, reduction, w, warn_name="binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    if _autocast.on:
        input, target, weight = _autocast.fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _ops_common.check_tensor_args("binary_cross_entropy_with_logits", _BCE_ARGS, input, target, weight, pos_weight)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _ops_common.refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    _ops_common.refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    _check_bce_logits_dtypes(input, target, pos_weight)
    if weight is not None:
        # PyTorch's last step is ``loss.mul_(weight)``: in place, so the weight must broadcast
        # with the loss (the input's shape), and into it
        _broadcast_check(input, weight)
        full = np.broadcast_shapes(tuple(input.shape), tuple(weight.shape))
        if full != tuple(input.shape):
            raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(full)}")
    if _np_kind(target._data.dtype) == "f" and target._data.dtype != input._data.dtype:
        # PyTorch's loss is written into ``1 - target`` in place: it has the target's dtype (a
        # float16 target gives a float16 loss, a float32 target a float32 one for a float64 input)
        input = input.to(target.dtype)
    w = None if weight is None else weight._data.astype(input._data.dtype, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(input._data.dtype, copy=False)
    return _pointwise_loss(_loss.bce_logits_op, input, target, reduction, w, pw,
                           warn_name="binary_cross_entropy_with_logits")


def _check_bce_logits_dtypes(input, target, pos_weight):
    """PyTorch composes this loss as ``(1 - target).mul_(input)`` minus (``pos_weight``'s term
    times) ``log_sigmoid(input)``, and its errors come from those ops: the pos_weight term must
    broadcast with the target; log_sigmoid has no integer kernel; ``1 - target`` refuses a bool
    target; an integer target cannot take a floating input's product in place (the common
    mistake of passing class indices)."""
    if pos_weight is not None:
        _broadcast_check(pos_weight, target)
    x, t = input._data, target._data
    if _np_kind(x.dtype) != "f":  # (no complex log_sigmoid either)
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_lin._scalar_name(x.dtype)}'")
    if t.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if _np_kind(t.dtype) in "iu":
        raise RuntimeError(f"result type {_lin._scalar_name(x.dtype)} can't be cast to the desired output type "
                           f"{_lin._scalar_name(t.dtype)}")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    _ops_common.check_tensor_args("kl_div", _INPUT_TARGET, input, target)
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if _np_kind(input._data.dtype) == "c" or _np_kind(target._data.dtype) == "c":  # (looked at first)
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if _np_kind(input._data.dtype) in "biu" or _np_kind(target._data.dtype) in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    # its first product is the target's with the input: tensor a of a size mismatch is the target
    _broadcast_check(target, input)
    if input._data.dtype != target._data.dtype:
        # the two are not broadcast first: a 0-D operand of the same category does not widen the
        # other (a float32 input with a 0-D float64 target gives a float32 loss)
        dt = _tg.result_type(input, target)
        input, target = input.to(dt), target.to(dt)
    if reduction == "batchmean":
        out = _pointwise_loss(_loss.kl_div_op, input, target, "sum", bool(log_target), warn_name="kl_div",
                              size_warning=False)
        return out / input.shape[0] if input.ndim != 0 else out
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _pointwise_loss(_loss.kl_div_op, input, target, reduction, bool(log_target), warn_name="kl_div",
                           size_warning=False)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    if _autocast.on:
        input, target, weight = _autocast.fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    return _loss.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    if _autocast.on:
        input, target, weight = _autocast.fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    return _loss.nll_loss(input, target, weight, ignore_index, reduction)


def _reduce_loss(x, reduction):
    if reduction == "mean":
        return x.mean()
    if reduction == "sum":
        return x.sum()
    if reduction == "none":
        return x
    raise ValueError(f"{reduction} is not a valid value for reduction")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    for pos, (name, t) in enumerate((("input1", input1), ("input2", input2), ("target", target)), 1):
        _check(t, "cosine_embedding_loss", name, pos)
    if _autocast.on:
        input1, input2, target = _autocast.fp32(input1, input2, target)
    # ATen's rule: a 0-D target pairs 1-D inputs, a 1-D target a batch of 2-D ones; anything
    # else would broadcast into a silently wrong loss
    t_dim = target.ndim
    if t_dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != t_dim + 1 or input2.ndim != t_dim + 1:
        raise RuntimeError(f"{t_dim}D target tensor expects {t_dim + 1}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    d = input1.ndim - 1
    eps = _loss._EPS32  # PyTorch's EPSILON (Loss.cpp) is the float 1e-12: 9.99999996e-13
    # ATen's composite, with its nodes: its C++ numbers are Scalar operands (AddBackward1,
    # SubBackward1), ``1 - cos`` a tensor filled with 1 minus cos (SubBackward0), then clamp_min
    from tensorgraft.autograd.formulas.elementwise_common import _number_op_tensor, _scalar_overload
    prod = (input1 * input2).sum(d)
    mag1 = _scalar_overload("add", "AddBackward1", (input1 * input1).sum(d), eps)
    mag2 = _scalar_overload("add", "AddBackward1", (input2 * input2).sum(d), eps)
    cos = prod / (mag1 * mag2).sqrt()
    zeros = _tg.zeros_like(cos)
    pos = _number_op_tensor("sub", 1, cos)
    neg = _scalar_overload("sub", "SubBackward1", cos, margin).clamp_min(0)
    out = _tg.where(target == 1, pos, zeros) + _tg.where(target == -1, neg, zeros)
    return _reduce_loss(out, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _ops_common.check_tensor_args("margin_ranking_loss", _MARGIN_RANKING_ARGS, input1, input2, target)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:  # (PyTorch's check: no broadcasting of ranks)
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _margin_ranking_loss(input1, input2, target, margin, reduction)


def margin_ranking_loss_aten(input1, input2, target, margin, reduction):
    """``torch.margin_ranking_loss``, ATen's op: the ranks may differ (they broadcast)."""
    _ops_common.check_tensor_args("margin_ranking_loss", _MARGIN_RANKING_ARGS, input1, input2, target)
    return _margin_ranking_loss(input1, input2, target, margin, reduction)


def _margin_ranking_loss(input1, input2, target, margin, reduction):
    if _autocast.on:
        input1, input2, target = _autocast.fp32(input1, input2, target)
    # ATen's chain: ClampMinBackward0 <- AddBackward1 (the margin, a Scalar) <- MulBackward0
    return _reduce_loss(_tg.clamp_min(_aten.add_scalar(-target * (input1 - input2), margin), 0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _ops_common.check_tensor_args("hinge_embedding_loss", _INPUT_TARGET, input, target)
    # as PyTorch composes it: the margin term for every target that is not 1 and the input itself
    # for every target that is not -1 (a target outside {1, -1} takes both)
    if input.dtype == _tg.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    zeros = _tg.zeros_like(input)
    # the loss keeps the input's dtype: an integer input's margin term is truncated to it. ATen
    # writes ``margin - input`` as fill-then-subtract: the margin is rounded to the input's dtype
    # first, which a float16/bfloat16 input's result shows
    margin_term = _tg.where(target != 1, _tg.clamp(_tg.full_like(input, margin) - input, min=0).to(input.dtype),
                            zeros)
    out = margin_term + _tg.where(target != -1, input, zeros)
    return _reduce_loss(out, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    return _margin.soft_margin_loss(input, target, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    # PyTorch's order: the sign of var first, then its size, then the reduction
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _tg.ones_like(input)
    elif bool(_tg.any(var < 0)):
        raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        # accepted: one variance per sample shared by the last dimension, given without that
        # dimension, or var's sizes that differ from the input's adding up to 1 (one dimension
        # of size 1 that broadcasts)
        if var_shape == in_shape[:-1]:
            var = var.unsqueeze(-1)
        elif not (len(in_shape) == len(var_shape)
                  and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    if not (var.is_floating_point() or var.is_complex()):  # (PyTorch clamps its clone in place, to a float eps)
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{CPP_TYPE_NAMES.get(var._data.dtype.name, var._data.dtype.name)}")
    # the clamp keeps the log finite but is not part of the function: the gradient reaches var as
    # if it had not been clamped (PyTorch clamps a clone with grad mode off)
    var = var + (_tg.clamp(var.detach(), min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_loss(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    _ops_common.check_tensor_args("poisson_nll_loss", _INPUT_TARGET, input, target)
    if _autocast.on:
        input, target = _autocast.fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), added only where target > 1 (PyTorch's rule)
        stirling = target * target.log() - target + 0.5 * (target * (2 * math.pi)).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce_loss(loss, reduction)


def _check_triplet_ranks(anchor, positive, negative):
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    # PyTorch's checks, in its order: a margin that is not positive (Python level), then the
    # arguments' types, then equal ranks (else a 3-D negative would broadcast against 2-D
    # anchors and silently give a loss)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    for pos, (name, t) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative)), 1):
        _check(t, "triplet_margin_loss", name, pos)
    _check_triplet_ranks(anchor, positive, negative)
    if _autocast.on:
        anchor, positive, negative = _autocast.fp32(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _tg.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce_loss(_tg.clamp_min(_aten.add_scalar(d_pos, margin) - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_ranks(anchor, positive, negative)
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = _tg.minimum(dist_neg, distance_function(positive, negative))
    loss = _tg.clamp_min(margin + dist_pos - dist_neg, 0)
    if reduction == "sum":
        return _tg.sum(loss)
    if reduction == "mean":
        return _tg.mean(loss)
    return loss


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    positive = target * logsigmoid(input)  # first: an integer input's or a shape mismatch's error
    if target.dtype == _tg.bool:  # then 1 - target refuses a bool target
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    loss = -(positive + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    # the classes are the input's last dim (a loss broadcast to more dims is summed over that
    # same dim, counted from the front); a 0-D input has none
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):  # (PyTorch's own wording in this loss, at its end)
        raise ValueError(f"{reduction} is not valid")
    return _reduce_loss(loss, reduction)


# ----- multi-class hinge losses and CTC (margin_loss.py, ctc_loss.py)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if _autocast.on:
        input, weight = _autocast.fp32(input, weight)
    return _margin.multi_margin_loss(input, target, int(p), margin, weight, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    if _autocast.on:
        input, = _autocast.fp32(input)
    return _margin.multilabel_margin_loss(input, target, reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    return _ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
