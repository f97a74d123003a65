"""``tensorgraft.nn.functional``: PyTorch's ``torch.nn.functional`` names and signatures."""
from __future__ import annotations

import math
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import Tensor, wrap

from .functional_ops import activation as _act
from .functional_ops import linear as _lin
from .functional_ops import loss as _loss

__all__ = []  # filled at the bottom


def _check(x, fname, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _inplace(input, fn, name, *args):
    """Run ``fn`` out of place and write the result into ``input`` (PyTorch's in-place activations)."""
    from tensorgraft.ops._frontend import check_inplace_allowed, store_into
    rec = _gs.enabled and input._requires_grad
    if rec:
        check_inplace_allowed(input, name)
        res = fn(Tensor._autograd.snapshot(input), *args)
    else:
        res = fn(input, *args)
    store_into(input, res._data, name)
    if rec:
        Tensor._autograd.rebase(input, res)
    return input


# ====================================================================== linear
def linear(input, weight, bias=None):
    return _lin.linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    _check(input1, "bilinear")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{in2}")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = x1.mm(w).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(tuple(lead) + (out_f,))


# ====================================================================== activations
def relu(input, inplace=False):
    _check(input, "relu")
    return input.relu_() if inplace else _tg.relu(input)


def relu_(input):
    return input.relu_()


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return _inplace(input, _act.leaky_relu_op, "leaky_relu_", float(negative_slope))
    return _act.leaky_relu_op(input, float(negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return _inplace(input, _act.elu_op, "elu_", float(alpha), 1.0, 1.0)
    return _act.elu_op(input, float(alpha), 1.0, 1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    if inplace:
        return _inplace(input, _act.elu_op, "selu_", _SELU_ALPHA, _SELU_SCALE, 1.0)
    return _act.elu_op(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    if inplace:
        return _inplace(input, _act.elu_op, "celu_", float(alpha), 1.0, 1.0 / alpha)
    return _act.elu_op(input, float(alpha), 1.0, 1.0 / alpha)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return _act.gelu_op(input, approximate)


def silu(input, inplace=False):
    if inplace:
        return _inplace(input, _act.silu_op, "silu_")
    return _act.silu_op(input)


def mish(input, inplace=False):
    if inplace:
        return _inplace(input, _act.mish_op, "mish_")
    return _act.mish_op(input)


def sigmoid(input):
    return _tg.sigmoid(input)


def tanh(input):
    return _tg.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    return _act.softplus_op(input, float(beta), float(threshold))


def logsigmoid(input):
    return -_act.softplus_op(-input, 1.0, 20.0)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _inplace(input, _act.hardtanh_op, "hardtanh_", float(min_val), float(max_val))
    return _act.hardtanh_op(input, float(min_val), float(max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def hardswish(input, inplace=False):
    if inplace:
        return _inplace(input, _act.hardswish_op, "hardswish_")
    return _act.hardswish_op(input)


def hardsigmoid(input, inplace=False):
    if inplace:
        return _inplace(input, _act.hardsigmoid_op, "hardsigmoid_")
    return _act.hardsigmoid_op(input)


def prelu(input, weight):
    _check(input, "prelu")
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        if weight.numel() != input.shape[1]:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1]}.")
        w = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return _tg.where(input > 0, input, input * w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        raise NotImplementedError("rrelu(training=True) is not implemented")
    return leaky_relu(input, (lower + upper) / 2, inplace)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    r = _tg.where(input > threshold, input, _tg.full_like(input, value))
    if inplace:
        return _inplace(input, lambda x: _tg.where(x > threshold, x, _tg.full_like(x, value)), "threshold_")
    return r


def glu(input, dim=-1):
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim if dim >= 0 else input.ndim + dim} "
                           f"is size {n}")
    a = input.narrow(dim, 0, n // 2) if hasattr(input, "narrow") else None
    idx = [slice(None)] * input.ndim
    idx[dim] = slice(0, n // 2)
    a = input[tuple(idx)]
    idx[dim] = slice(n // 2, n)
    b = input[tuple(idx)]
    return a * b.sigmoid()


def _softmax_dim(name, ndim, stacklevel=3):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _act.softmax_op(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _act.log_softmax_op(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return _act.softmax_op(-input, dim, dtype)


# ====================================================================== dropout
def _dropout_mask(shape, p, x):
    from tensorgraft.random import numpy_generator
    from tensorgraft.device import get_backend
    rng = numpy_generator(None)
    keep = rng.random(shape) >= p
    m = (keep.astype(x._data.dtype) / (1.0 - p)) if p < 1 else np.zeros(shape, x._data.dtype)
    if x._device.type != "cpu":
        m = get_backend(x._device).from_host(m, x._device.index)
    return wrap(m, x._device)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    _check(input, "dropout")
    if not training or p == 0.0:
        return input
    m = _dropout_mask(input.shape, p, input)
    if inplace:
        return _inplace(input, lambda x: x * m, "dropout_")
    return input * m


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    _check_p(p)
    if not training or p == 0.0:
        return input
    nd = input.ndim
    if nd == batched_ndim:
        shape = tuple(input.shape[:2]) + (1,) * (nd - 2)
    else:
        shape = tuple(input.shape[:1]) + (1,) * (nd - 1)
    m = _dropout_mask(shape, p, input)
    if inplace:
        return _inplace(input, lambda x: x * m, name)
    return input * m


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d_")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d_")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d_")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = _dropout_mask(input.shape, p, input) * (1 - p)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    return (input * keep + alpha_p * (1 - keep)) * a + b


# ====================================================================== losses
def _reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


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


def _pointwise_loss(op, input, target, reduction, *params, warn_name=None, stacklevel=3):
    _check(input, warn_name or "loss")
    _check(target, warn_name or "loss", "target", 2)
    _loss._check_reduction(reduction)
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel + 1)
        _broadcast_check(input, target)
    if input._device is not target._device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {target.device}!")
    if input._data.dtype != target._data.dtype:
        if input._data.dtype.kind == "f" and target._data.dtype.kind == "f":
            dt = _tg.promote_types(input.dtype, target.dtype)
            input, target = input.to(dt), target.to(dt)
        elif target._data.dtype.kind != "f":
            target = target.to(input.dtype)
    return op(input, target, reduction, *params)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    out = _pointwise_loss(_loss.mse_loss_op, input, target, reduction, warn_name="mse_loss")
    return out


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise_loss(_loss.l1_loss_op, input, target, reduction, warn_name="l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss(_loss.smooth_l1_loss_op, input, target, reduction, float(beta), warn_name="smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss(_loss.huber_loss_op, input, target, reduction, float(delta), warn_name="huber_loss")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check(input, "binary_cross_entropy")
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    w = None
    if weight is not None:
        _broadcast_check(weight, input)
        w = weight._data.astype(input._data.dtype, copy=False)
    return _pointwise_loss(_loss.bce_op, input, target, reduction, w, warn_name="binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check(input, "binary_cross_entropy_with_logits")
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    w = None if weight is None else weight._data.astype(input._data.dtype, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(input._data.dtype, copy=False)
    return _pointwise_loss(_loss.bce_logits_op, input, target, reduction, w, pw,
                           warn_name="binary_cross_entropy_with_logits")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction == "batchmean":
        out = _pointwise_loss(_loss.kl_div_op, input, target, "sum", bool(log_target), warn_name="kl_div")
        return out / input.shape[0] if input.ndim != 0 else out
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _pointwise_loss(_loss.kl_div_op, input, target, reduction, bool(log_target), warn_name="kl_div")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    return _loss.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
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


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    w12 = (x1 * x2).sum(dim)
    n1 = (x1 * x1).sum(dim)
    n2 = (x2 * x2).sum(dim)
    return w12 / _tg.clamp((n1 * n2).sqrt(), min=eps)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim not in (1, 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes {list(input1.shape)} "
                           f"and {list(input2.shape)}.")
    d = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = _tg.zeros_like(cos)
    pos = 1 - cos
    neg = _tg.clamp(cos - margin, min=0)
    out = _tg.where(target == 1, pos, zeros) + _tg.where(target == -1, neg, zeros)
    return _reduce_loss(out, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce_loss(_tg.clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    zeros = _tg.zeros_like(input)
    out = _tg.where(target == 1, input, zeros) + _tg.where(target == -1, _tg.clamp(margin - input, min=0), zeros)
    return _reduce_loss(out, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce_loss(softplus(-target * input), reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    var = _tg.clamp(var, min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_loss(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    return _reduce_loss(loss, reduction)


# ====================================================================== misc
def one_hot(tensor, num_classes=-1):
    _check(tensor, "one_hot")
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size and int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    elif a.size and int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    from tensorgraft.device import get_backend
    xp = get_backend(tensor._device).xp
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return wrap(out, tensor._device)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if p == 2:
        n = (input * input).sum(dim, keepdim=True).sqrt()
    elif p == 1:
        n = input.abs().sum(dim, keepdim=True)
    elif p == float("inf"):
        n = input.abs().amax(dim, keepdim=True)
    else:
        n = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / _tg.clamp(n, min=eps).expand_as(input)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = x1 - x2 + eps
    if p == 2:
        return (d * d).sum(-1, keepdim=keepdim).sqrt()
    return (d.abs() ** p).sum(-1, keepdim=keepdim) ** (1.0 / p)
