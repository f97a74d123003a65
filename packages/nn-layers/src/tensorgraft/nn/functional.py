"""``tensorgraft.nn.functional``: PyTorch's ``torch.nn.functional`` names and signatures."""
from __future__ import annotations

import math
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.grad_mode import state as _gs
from tensorgraft.amp._state import state as _autocast
from tensorgraft.ops._args import wrap_dim as _wrap_dim
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor, wrap

from .functional_ops import _common as _ops_common
from .functional_ops import activation as _act
from .functional_ops import attention as _attention
from .functional_ops import linear as _lin
from .functional_ops import loss as _loss
from .functional_ops import ctc_loss as _ctc
from .functional_ops import margin_loss as _margin
from .functional_ops import nn_aten_nodes as _aten
from .functional_ops import shuffle_distance as _distance

__all__ = []  # filled at the bottom


_check = _act.check_tensor  # TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"


def _inplace(input, fn, name, *args):
    """Run ``fn`` out of place and write the result into ``input`` (PyTorch's in-place activations)."""
    if not isinstance(input, Tensor):  # named as the in-place kernel PyTorch calls ("elu_")
        _check(input, name)
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


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
                 "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
                 "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def bilinear(input1, input2, weight, bias=None):
    _check(input1, "bilinear")
    # ATen's checks, in order: one dtype for all, matching ranks and batch dims, the weight's
    # (out, in1, in2) sizes against the inputs', then the bias's first size
    operands = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None
                                                                                 else [])
    if len({t._data.dtype for _, t in operands}) > 1:
        got = ", ".join(f"{n}: {_C_TYPE_NAMES.get(t._data.dtype.name, t._data.dtype.name)}" for n, t in operands)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    if input1.shape[:-1] != input2.shape[:-1]:
        d = next(i for i in range(input1.ndim - 1) if input1.shape[i] != input2.shape[i])
        raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {input1.shape[d]} and "
                           f"{input2.shape[d]}")
    for d, (name, x) in enumerate([("input1", input1), ("input2", input2)], 1):
        if weight.ndim <= d:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(weight.ndim, 1)}, "
                             f"{max(weight.ndim, 1) - 1}], but got {d})")
        if x.shape[-1] != weight.shape[d]:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but expected "
                               f"{weight.shape[d]}")
    if bias is not None:
        if bias.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if bias.shape[0] != weight.shape[0]:
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                               f"{weight.shape[0]}")
    if weight.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    out_f, in1, in2 = weight.shape
    # ATen's chain: AddBackward0 (bias) <- ViewBackward0 <- TrilinearBackward0 on the rows
    y = _lin.trilinear(input1.reshape(-1, in1), weight, input2.reshape(-1, in2))
    y = y.reshape(tuple(input1.shape[:-1]) + (out_f,))
    return y if bias is None else y + bias


# ====================================================================== activations
def relu(input, inplace=False):
    if inplace:
        return relu_(input)
    _check(input, "relu")
    return _tg.relu(input)


def relu_(input):
    _check(input, "relu_")
    return input.relu_()


def relu6(input, inplace=False):
    if not isinstance(input, Tensor):  # PyTorch's own kernel, not hardtanh's, refuses it
        _check(input, "relu6_" if inplace else "relu6")
    return _hardtanh(input, 0.0, 6.0, inplace)


def _named(op, node_name):
    """``op`` recording its node under ``node_name`` (PyTorch's ``...Backward1`` of in-place variants)."""
    return lambda x, *params: op(x, *params, node_name=node_name)


# The Number parameters below are tested for a float inline and checked by ``_number`` otherwise
# (ints, NumPy scalars, 0-d tensors are accepted and read; strings, None, lists, larger tensors are
# PyTorch's TypeError), so the usual call pays one identity test. In-place variants name PyTorch's
# in-place kernel ("elu_") in their messages.
_number = _act.number_arg


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if type(negative_slope) is not float:
        negative_slope = float(_number(negative_slope, "leaky_relu_" if inplace else "leaky_relu", "negative_slope",
                                       2, input))
    if inplace:
        return _inplace(input, _named(_act.leaky_relu_op, "LeakyReluBackward1"), "leaky_relu_", negative_slope)
    return _act.leaky_relu_op(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    if type(alpha) is not float:
        alpha = float(_number(alpha, "elu_" if inplace else "elu", "alpha", 2, input))
    if inplace:
        return _inplace(input, _named(_act.elu_op, "EluBackward1"), "elu_", alpha, 1.0, 1.0)
    return _act.elu_op(input, alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    if inplace:
        return _inplace(input, _named(_act.elu_op, "EluBackward1"), "selu_", _SELU_ALPHA, _SELU_SCALE, 1.0)
    if not isinstance(input, Tensor):  # (ELU's kernel would name itself)
        _check(input, "selu")
    return _act.elu_op(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if not isinstance(input, Tensor):  # (ELU's kernel would name itself)
        _check(input, "celu_" if inplace else "celu")
    if type(alpha) is not float:
        alpha = float(_number(alpha, "celu_" if inplace else "celu", "alpha", 2))
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _inplace(input, _named(_act.elu_op, "CeluBackward1"), "celu_", alpha, 1.0, 1.0 / alpha)
    return _act.elu_op(input, alpha, 1.0, 1.0 / alpha, node_name="CeluBackward0")


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def gelu(input, *, approximate="none"):
    # ``approximate`` is keyword-only, as in PyTorch's binding; a non-string is refused before its
    # value is compared (a tensor compared with a string would not give one bool)
    if type(approximate) is not str or approximate not in ("none", "tanh"):
        _check(input, "gelu")
        if not isinstance(approximate, str):
            raise TypeError(f"gelu(): argument 'approximate' must be str, not {_act.type_name(approximate)}")
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _act.gelu_op(input, approximate)


def _activation_frontend(name, op):
    """silu, mish, hardswish, hardsigmoid: ``op`` of ``input``, or written into it when ``inplace``
    (PyTorch's ``<name>_``). Made by a factory so that the four share one body without a call layer
    on the op's path."""
    inplace_name = name + "_"

    def frontend(input, inplace=False):
        if inplace:
            return _inplace(input, op, inplace_name)
        return op(input)
    frontend.__name__ = frontend.__qualname__ = name
    return frontend


silu = _activation_frontend("silu", _act.silu_op)
mish = _activation_frontend("mish", _act.mish_op)


# PyTorch's F.sigmoid and F.tanh call the tensor's method: anything else is an AttributeError
def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softplus(input, beta=1.0, threshold=20.0):
    if _autocast.on:
        input, = _autocast.fp32_cuda(input)
    if type(beta) is not float:
        beta = float(_number(beta, "softplus", "beta", 2, input))
    if type(threshold) is not float:
        threshold = float(_number(threshold, "softplus", "threshold", 3, input))
    return _act.softplus_op(input, beta, threshold)


def logsigmoid(input):
    return _act.logsigmoid_op(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:  # F's own test, made before the types are checked; hardtanh_ has none
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _hardtanh(input, min_val, max_val, True)


def _hardtanh(input, min_val, max_val, inplace):
    """PyTorch's hardtanh/hardtanh_ kernels (min_val > max_val is allowed: every element is max_val)."""
    if type(min_val) is not float:
        min_val = float(_number(min_val, "hardtanh_" if inplace else "hardtanh", "min_val", 2, input))
    if type(max_val) is not float:
        max_val = float(_number(max_val, "hardtanh_" if inplace else "hardtanh", "max_val", 3, input))
    if isinstance(input, Tensor) and input._data.dtype.kind == "u" and (int(min_val) < 0 or int(max_val) < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if inplace:
        return _inplace(input, _act.hardtanh_op, "hardtanh_", min_val, max_val)
    return _act.hardtanh_op(input, min_val, max_val)


hardswish = _activation_frontend("hardswish", _act.hardswish_op)
hardsigmoid = _activation_frontend("hardsigmoid", _act.hardsigmoid_op)


def prelu(input, weight):
    if _autocast.on:
        input, weight = _autocast.lower(input, weight)
    _check(input, "prelu")
    _check(weight, "prelu", "weight", 2)
    if input._data.dtype != weight._data.dtype:
        # no promotion: a float64 input to a float32 model (or the reverse) is refused first
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_type_name(input._data.dtype)} and "
                           f"{_type_name(weight._data.dtype)}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{_type_name(input._data.dtype)}'")
    # ATen views the weight to broadcast over (N, C, *) (the ViewBackward0 under the node); a 1-D
    # input takes a 1-element weight as it is
    if input.ndim >= 2:
        w = weight.reshape((1, weight.numel()) + (1,) * (input.ndim - 2))
    elif input.ndim == 0 or weight.ndim == 0:
        w = weight.reshape(tuple(input.shape) and (1,))
    else:
        w = weight
    return _act.prelu_op(input, w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training each element where x <= 0 gets its own slope drawn
    uniformly from [lower, upper] by the input's device generator; in eval the mean slope."""
    return _rrelu(input, lower, upper, training, inplace, None)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _rrelu(input, lower, upper, training, True, None)


def _rrelu(input, lower, upper, training, inplace, generator):
    """``rrelu``/``rrelu_`` drawing the training slopes from ``generator`` (None: the input's
    device's default generator). ``F.rrelu`` has no generator argument; ``torch.rrelu`` has."""
    if type(lower) is not float:
        lower = float(_number(lower, "rrelu_" if inplace else "rrelu", "lower", 2, input))
    if type(upper) is not float:
        upper = float(_number(upper, "rrelu_" if inplace else "rrelu", "upper", 3, input))
    if inplace:
        _check(input, "rrelu_")
        if lower > upper:   # before the input is touched
            raise RuntimeError("Lower bound should be less than or equal to the upper bound")
        return _inplace(input, _act.rrelu_op, "rrelu_", lower, upper, bool(training), True, generator)
    return _act.rrelu_op(input, lower, upper, bool(training), False, generator)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    # the numbers stay as given (not made floats): an integer input compares with and takes them
    # as integers
    name = "threshold_" if inplace else "threshold"
    _check(input, name)
    if type(threshold) is not float:
        threshold = _number(threshold, name, "threshold", 2)
    if type(value) is not float:
        value = _number(value, name, "value", 3)
    if input.dtype == _tg.bool:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    a = input._data
    if a.dtype.kind in "iu":
        # the kernel converts both numbers to the integer dtype, refusing any it cannot hold
        info = np.iinfo(a.dtype)
        for number in (threshold, value):
            if isinstance(number, (int, float)) and not info.min <= number <= info.max:
                raise RuntimeError(f"value cannot be converted to type {a.dtype.name}_t without overflow")
    if inplace:
        return _inplace(input, _named(_act.threshold_op, "ThresholdBackward1"), "threshold_", threshold, value)
    return _act.threshold_op(input, threshold, value)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


def glu(input, dim=-1):
    if input.dim() == 0:  # (PyTorch's first look at ``input``: a list is an AttributeError)
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if type(dim) is not int:
        dim = _act.int_arg(dim, "glu", "dim", 2)
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"glu_cpu\" not implemented for '{_type_name(input._data.dtype)}'")
    return _act.glu_op(input, d)


def _softmax_dim(name, ndim, stacklevel=3):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_frontend(name, op, negated=False):
    """softmax, log_softmax and softmin: ``op`` along ``dim`` (PyTorch's deprecated implicit choice
    when it is None), run in float32 under CUDA autocast. softmin is softmax of ``-input``, without
    softmax's type check of ``input``, as PyTorch's. Made by a factory so that the three share one
    body without a call layer on the op's path."""
    def frontend(input, dim=None, _stacklevel=3, dtype=None):
        if _autocast.on:
            input, = _autocast.fp32_cuda(input)
        if dim is None:
            dim = _softmax_dim(name, input.dim(), _stacklevel)
        if negated:
            input = -input
        elif not isinstance(input, Tensor):  # PyTorch calls ``input.softmax(dim)``
            raise AttributeError(f"'{_act.type_name(input)}' object has no attribute '{name}'")
        return op(input, dim, dtype)
    frontend.__name__ = frontend.__qualname__ = name
    return frontend


softmax = _softmax_frontend("softmax", _act.softmax_op)
log_softmax = _softmax_frontend("log_softmax", _act.log_softmax_op)
softmin = _softmax_frontend("softmin", _act.softmax_op, negated=True)


# ====================================================================== dropout
def _dropout_mask(shape, p, x):
    from tensorgraft.ops.sampling import dropout_mask  # drawn by x's device's default generator, there
    return wrap(dropout_mask(shape, p, x), x._device)


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


_FEATURE_DROPOUT_DEPRECATED = (
    "{name}: Received a {nd}-D input to {name}, which is deprecated and will result in an error in a future "
    "release. To retain the behavior and silence this warning, please use dropout instead. Note that {name} "
    "exists to provide channel-wise dropout on inputs with {sp} spatial dimensions, a channel dimension, and an "
    "optional batch dimension (i.e. {sp1}D or {sp2}D inputs).")


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    """Channel-wise dropout for ``name`` (dropout1d/2d/3d), whose batched input has ``batched_ndim``
    dimensions. The rank checks come first and run in eval mode too, as PyTorch's do."""
    _check_p(p)
    fname = name.rstrip("_")
    _check(input, fname)
    nd, spatial = input.ndim, batched_ndim - 2
    if spatial == 1:
        if nd not in (2, 3):
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                               "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                               "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    elif nd not in (batched_ndim - 1, batched_ndim):
        warnings.warn(_FEATURE_DROPOUT_DEPRECATED.format(name=fname, nd=nd, sp=spatial, sp1=spatial + 1,
                                                         sp2=spatial + 2), stacklevel=3)
    elif spatial == 2 and nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=3)
    # dropout1d/3d treat any input that is not batched as a batch of one (so even in eval mode the
    # result is a new view, grad_fn SqueezeBackward1, as PyTorch's); dropout2d takes 3-D as (N, C, L)
    unbatched = spatial != 2 and nd != batched_ndim
    x = input.unsqueeze(0) if unbatched else input
    if not training or p == 0.0:
        return x.squeeze(0) if unbatched else x
    if x.ndim < 2 and p < 1.0:  # (p == 1 zeroes everything, no channel needed)
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    m = _dropout_mask(tuple(x.shape[:2]) + (1,) * max(x.ndim - 2, 0), p, input)
    if inplace:
        return _inplace(input, lambda t: t * (m.squeeze(0) if unbatched else m), name)
    return (x * m).squeeze(0) if unbatched else x * m


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d_")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d_")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d_")


def _alpha_dropout(input, p, training, inplace, feature, name):
    _check_p(p)
    _check(input, name.rstrip("_"))
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:   # everything dropped: PyTorch returns input * 0 (not the saturation value)
        zero = _tg.zeros((), dtype=input.dtype, device=input.device)
        return _inplace(input, lambda x: x * zero, name) if inplace else input * zero
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = _dropout_mask(shape, p, input) * (1 - p)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p

    def f(x):
        return (x * keep + alpha_p * (1 - keep)) * a + b
    return _inplace(input, f, name) if inplace else f(input)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, False, "alpha_dropout_")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one mask value per (sample, channel)."""
    return _alpha_dropout(input, p, training, inplace, True, "feature_alpha_dropout_")


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


def _pointwise_loss(op, input, target, reduction, *params, warn_name=None, stacklevel=3, kernel=None):
    """``kernel``: the name of PyTorch's CPU kernel (``"mse"`` for ``mse_cpu``), which takes floating
    dtypes only; ``"l1"`` stands for l1_loss, which PyTorch composes from sub, abs and a reduction."""
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
    if kernel == "l1" and np.bool_ in (input._data.dtype, target._data.dtype):
        # l1_loss starts with input - target, which refuses bool operands
        if input._data.dtype == target._data.dtype:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                               "`logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    if input._data.dtype != target._data.dtype:
        dt = _tg.promote_types(input.dtype, target.dtype)
        if kernel == "huber" and input._data.dtype.kind in "biu" and dt.is_floating_point:
            # PyTorch's huber_loss writes into a result of the input's dtype
            raise RuntimeError(f"result type {_lin._scalar_name(np.dtype(str(dt).split('.')[-1]))} can't be cast "
                               f"to the desired output type {_lin._scalar_name(input._data.dtype)}")
        if kernel == "huber":  # ... so a floating input keeps its dtype whatever the target's
            dt = input.dtype
        input, target = input.to(dt), target.to(dt)
    if kernel is not None and input._data.dtype.kind != "f":
        if kernel == "l1":
            if input._data.dtype.kind != "c":  # integers: those ops' own errors (bool sub, int mean)
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
        loss = _pointwise_loss(_loss.huber_loss_op, input, target, "none", float(delta), warn_name=name,
                               kernel="huber") * weight
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
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted_loss("huber_loss", input, target, weight, reduction, delta)
    return _pointwise_loss(_loss.huber_loss_op, input, target, reduction, float(delta), warn_name="huber_loss",
                           kernel="huber")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check(input, "binary_cross_entropy")
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
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
    if x.dtype.kind != "f":
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
    _check(input, "binary_cross_entropy_with_logits")
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _ops_common.refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    _ops_common.refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    _check_bce_logits_dtypes(input, target, pos_weight)
    if target._data.dtype.kind == "f" and target._data.dtype != input._data.dtype:
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
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_lin._scalar_name(x.dtype)}'")
    if t.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if t.dtype.kind in "iu":
        raise RuntimeError(f"result type {_lin._scalar_name(x.dtype)} can't be cast to the desired output type "
                           f"{_lin._scalar_name(t.dtype)}")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
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
    if input._data.dtype.kind in "biu" or target._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    # its first product is the target's with the input: tensor a of a size mismatch is the target
    _broadcast_check(target, input)
    if input._data.dtype != target._data.dtype:
        # the two are not broadcast first: a 0-D operand of the same category does not widen the
        # other (a float32 input with a 0-D float64 target gives a float32 loss)
        dt = _tg.result_type(input, target)
        input, target = input.to(dt), target.to(dt)
    if reduction == "batchmean":
        out = _pointwise_loss(_loss.kl_div_op, input, target, "sum", bool(log_target), warn_name="kl_div")
        return out / input.shape[0] if input.ndim != 0 else out
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _pointwise_loss(_loss.kl_div_op, input, target, reduction, bool(log_target), warn_name="kl_div")


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


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    if _autocast.on:
        x1, x2 = _autocast.fp32_cuda(x1, x2)
    return _distance.cosine_similarity(x1, x2, dim, eps)


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
    # ATen's chain: ClampMinBackward0 <- AddBackward1 (the margin, a Scalar) <- MulBackward0
    return _reduce_loss(_tg.clamp_min(_aten.add_scalar(-target * (input1 - input2), margin), 0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    # as PyTorch composes it: the margin term for every target that is not 1 and the input itself
    # for every target that is not -1 (a target outside {1, -1} takes both)
    if input.dtype == _tg.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    zeros = _tg.zeros_like(input)
    # the loss keeps the input's dtype: an integer input's margin term is truncated to it
    margin_term = _tg.where(target != 1, _tg.clamp(margin - input, min=0).to(input.dtype), zeros)
    out = margin_term + _tg.where(target != -1, input, zeros)
    return _reduce_loss(out, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _margin.soft_margin_loss(input, target, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if not isinstance(var, Tensor):
        var = _tg.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        # accepted: one variance per sample shared by the last dimension, given with or without
        # that dimension, or shared along any one other dimension (size 1 there)
        differing = [d for d in range(len(var_shape)) if len(var_shape) == len(in_shape)
                     and var_shape[d] != in_shape[d]]
        if var_shape == in_shape[:-1]:
            var = var.unsqueeze(-1)
        elif len(var_shape) != len(in_shape) or len(differing) != 1 or var_shape[differing[0]] != 1:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # the clamp keeps the log finite but is not part of the function: the gradient reaches var as
    # if it had not been clamped (PyTorch clamps a clone with grad mode off)
    var = var + (_tg.clamp(var.detach(), min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce_loss(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
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


# ====================================================================== misc
def one_hot(tensor, num_classes=-1):
    _check(tensor, "one_hot")
    a = tensor._data
    if a.dtype != np.int64:  # int32 and other integer types too (PyTorch's rule)
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size == 0 and num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
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
    if _autocast.on:
        input, = _autocast.fp32_cuda(input)
    if p == 2:
        # Tensor.norm, not sqrt(sum(x*x)): its gradient at a zero vector is 0, as PyTorch's (not NaN)
        n = input.norm(2, dim, keepdim=True)
    elif p == 1:
        n = input.abs().sum(dim, keepdim=True)
    elif p == float("inf"):
        n = input.abs().amax(dim, keepdim=True)
    else:
        n = input.norm(p, dim, keepdim=True)
    if out is not None:
        return _tg.div(input, _tg.clamp(n, min=eps).expand_as(input), out=out)
    return input / _tg.clamp(n, min=eps).expand_as(input)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _distance.pairwise_distance(x1, x2, p, eps, keepdim)


# ====================================================================== convolution
from .functional_ops import conv as _conv  # noqa: E402
from .functional_ops import embedding as _emb  # noqa: E402
from .functional_ops import norm as _norm  # noqa: E402
from .functional_ops import pooling as _pool  # noqa: E402
from .functional_ops import padding as _padding  # noqa: E402
from .functional_ops import resample as _rs  # noqa: E402
from .functional_ops._common import check_tensor as _check_tensor, same_device as _same_device  # noqa: E402
from .functional_ops.conv3d import _check_bias_type as _conv3d_bias_type, mkldnn_wording as _mkldnn_wording  # noqa: E402,E501
from .functional_ops.conv3d import _legacy_name as _conv3d_legacy_name  # noqa: E402


def _pair(v, n=2, name="value"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(v) * n
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _conv_pads(padding, k, dil, stride, n):
    """(top, bottom, left, right) for 2 spatial dims from int/tuple/'same'/'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * n)
        if padding == "same":
            if any(s != 1 for s in stride):
                # (the nn.Conv modules raise this as a ValueError when built; the functional form,
                # checked at call time, raises a RuntimeError, as PyTorch's does)
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            out = []
            for kk, d in zip(k, dil):
                total = d * (kk - 1)
                out += [total // 2, total - total // 2]
            if min(out) < 0:  # a negative dilation gives negative amounts, which ATen reports so
                raise RuntimeError("negative padding is not supported")
            return tuple(out)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    out = []
    for pp in padding:
        if pp < 0:
            raise RuntimeError("negative padding is not supported")
        out += [pp, pp]
    return tuple(out)


def _conv_arg(v, name, nd):
    """A convolution setting as ``nd`` ints: an int or a list of 1 or ``nd`` of them (PyTorch's
    argument rule; any other length is refused in its words, as the list it was given)."""
    if isinstance(v, (tuple, list)):
        if len(v) == nd:
            return tuple(int(a) for a in v)
        if len(v) == 1:
            return (int(v[0]),) * nd
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={[int(a) for a in v]}")
    return (int(v),) * nd


def _conv_checks(name, input, weight, bias, stride, dil, groups, nd, transposed):
    """The checks ATen makes of a 1-D/2-D convolution before its shapes, in its order."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        if weight.ndim < 3:
            raise RuntimeError("weight should have at least three dimensions")
        if nd == 2:
            raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.ndim - 2} values "
                               f"to match the convolution dimensions, but got stride={list(stride)}")
        # a 1-D convolution is run as a 2-D one, whose rank check meets a weight of another rank first
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    _same_device(name, input, weight, bias)
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")


def _conv_late_checks(input, weight, bias, dil, transposed, nd):
    """The checks ATen makes after the shapes: a zero dilation (its words depend on the kernel
    taken), then the dtypes (``_conv_types``). Only reached with something to report, or on the
    dtype comparisons, which cost two attribute reads for valid input."""
    batch = input.shape[0]
    mkldnn = _mkldnn_wording(input, batch)
    if min(dil) == 0:
        shown = (1,) * (2 - nd) + tuple(dil)
        if transposed:
            if not mkldnn:
                raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {shown[0]}, "
                                   f"dilation_width: {shown[1]}")
            raise RuntimeError("could not create a primitive descriptor for the deconvolution forward propagation "
                               "primitive. Run workload with environment variable ONEDNN_VERBOSE=all to get "
                               "additional diagnostic information.")
        if mkldnn:
            raise RuntimeError("non-positive dilation is not supported")
        raise RuntimeError(f"dilation should be greater than zero, but got {list(shown)}")
    kind = input._data.dtype
    if kind == np.bool_ or (transposed and kind.kind in "iu" and kind != np.int64):
        kernel = "slow_conv_transpose2d_out_cpu" if transposed else "slow_conv2d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(kind)}'")
    # a non-transposed conv checked its bias first; ATen's slow transposed kernels take a bias of
    # another float type as it is, its mkldnn path does not
    others = [("weight", weight)] + ([("bias", bias)] if transposed and mkldnn and bias is not None else [])
    for label, t in others:
        if t.dtype == input.dtype:
            continue
        if mkldnn:
            raise RuntimeError(f"Input type ({input.type()}) and {label} type ({t.type()}) should be the same or "
                               f"input should be a MKLDNN tensor and {label} is a dense tensor")
        raise RuntimeError(f"expected scalar type {_type_name(kind)} but found {_type_name(t._data.dtype)}")


def _conv_operands(input, weight, bias, stride, padding, dilation, groups, nd, name):
    """conv1d's and conv2d's operands: lowered under autocast, checked (PyTorch's messages, in
    its order), and the input given a batch of one when it has none.
    Returns (input, weight, bias, stride, pads, dil, unbatched), the settings as ``nd`` ints.
    (A hot path: valid input passes a few plain comparisons; the checks that say what is wrong,
    in ATen's order, run only once one of them has failed.)"""
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    _check(input, name)
    _check_tensor(weight, name, "weight", 2)
    if bias is not None and bias.dtype != input.dtype:  # ATen's first check
        _conv3d_bias_type(input, bias)
    stride = _conv_arg(stride, "stride", nd)
    if not isinstance(padding, str):
        padding = _conv_arg(padding, "padding", nd)
    dil = _conv_arg(dilation, "dilation", nd)
    xs, ws = input._data.shape, weight._data.shape
    if (len(xs) - nd not in (1, 2) or len(ws) != nd + 2 or input._device is not weight._device
            or (bias is not None and bias._device is not input._device) or min(stride) <= 0 or groups <= 0
            or ws[0] % groups):
        _conv_checks(name, input, weight, bias, stride, dil, groups, nd, False)
    k = ws[2:]
    pads = _conv_pads(padding, k, dil, stride, nd)
    dmin = min(dil)
    if dmin < 0:  # (after the padding: a negative one of padding='same' is reported first)
        raise RuntimeError("dilation should be greater than zero")
    C = xs[-nd - 1]
    if C != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected input"
                           f"{list(xs if len(xs) == nd + 2 else (1,) + tuple(xs))} to have "
                           f"{ws[1] * groups} channels, but got {C} channels instead")
    if bias is not None and bias._data.shape != ws[:1]:
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with "
                           f"{ws[0]} elements, but got bias of size {list(bias.shape)} instead")
    unbatched = len(xs) == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    xdt = input._data.dtype
    if xdt != weight._data.dtype or dmin == 0 or xdt == np.bool_:
        _conv_late_checks(input, weight, bias, dil, False, nd)
    sp = xs[-nd:]
    for i in range(nd):
        if sp[i] + pads[2 * i] + pads[2 * i + 1] < dil[i] * (k[i] - 1) + 1:
            padded = [n + pads[2 * j] + pads[2 * j + 1] for j, n in enumerate(sp)]
            eff = [d * (kk - 1) + 1 for kk, d in zip(k, dil)]
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                               f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input "
                               "size")
    return input, weight, bias, stride, pads, dil, unbatched


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    input, weight, bias, stride, pads, dil, unbatched = _conv_operands(input, weight, bias, stride, padding,
                                                                        dilation, groups, 2, "conv2d")
    input, pads = _pad_uneven(input, pads)
    out = _conv.conv2d_op(input, weight, bias, stride, pads, dil, groups)
    return out.squeeze(0) if unbatched else out


def _pad_uneven(input, pads):
    """padding='same' with an uneven total (an even kernel, odd dilation): as PyTorch, the extra zero
    goes on a padded copy of the input (its node ConstantPadNdBackward0) and the conv pads evenly."""
    if pads[0] == pads[1] and pads[2] == pads[3]:
        return input, pads
    extra = (0, pads[3] - pads[2]) + ((0, pads[1] - pads[0]) if input.ndim == 4 else ())
    return pad(input, extra), (pads[0], pads[0], pads[2], pads[2])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    input, weight, bias, stride, pads, dil, unbatched = _conv_operands(input, weight, bias, stride, padding,
                                                                        dilation, groups, 1, "conv1d")
    input, pads = _pad_uneven(input, (0, 0) + pads)
    # the (N, C, L) tensors as they are: the op runs them as 2-D of height one, its node on them (PyTorch's)
    out = _conv.conv2d_op(input, weight, bias, (1,) + stride, pads, (1,) + dil, groups)
    return out.squeeze(0) if unbatched else out


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    """conv_transpose2d, and conv_transpose1d (``nd`` 1) as one of height one: the tensors stay
    at their own rank (the op's node then sits on them, as PyTorch's)."""
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    _check(input, name)
    _check_tensor(weight, name, "weight", 2)
    if isinstance(padding, str):  # refused by PyTorch's argument parser, before anything runs
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = _conv_arg(stride, "stride", nd)
    pad = _conv_arg(padding, "padding", nd)
    dil = _conv_arg(dilation, "dilation", nd)
    opad = _conv_arg(output_padding, "output_padding", nd)
    xs, ws = input._data.shape, weight._data.shape
    # (as _conv_operands: plain comparisons first, the checks in ATen's order only once one fails)
    if (len(xs) - nd not in (1, 2) or len(ws) != nd + 2 or input._device is not weight._device
            or (bias is not None and bias._device is not input._device) or min(stride) <= 0 or groups <= 0
            or ws[0] % groups):
        _conv_checks(name, input, weight, bias, stride, dil, groups, nd, True)
    if min(pad) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(opad) < 0:
        raise RuntimeError("negative output_padding is not supported")
    dmin = min(dil)
    if dmin < 0:
        raise RuntimeError("dilation should be greater than zero")
    unbatched = len(xs) == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
        xs = (1,) + xs
    if xs[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[0]} channels, but got {xs[1]} channels instead")
    n_out = ws[1] * groups
    if bias is not None and bias._data.shape != (n_out,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected bias to be "
                           f"1-dimensional with {n_out} elements, but got bias of size {list(bias.shape)} instead")
    xdt = input._data.dtype
    if (xdt != weight._data.dtype or dmin == 0 or xdt.kind in "biu"
            or (bias is not None and bias._data.dtype != xdt)):
        _conv_late_checks(input, weight, bias, dil, True, nd)
    one, zero = (1,) * (2 - nd), (0,) * (2 - nd)  # a 1-D one as 2-D of height one
    stride, pad, dil, opad = one + stride, zero + pad, one + dil, zero + opad
    for o, s, d in zip(opad, stride, dil):
        if o >= s and o >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               f"output_padding_height: {opad[0]} output_padding_width: {opad[1]} stride_height: "
                               f"{stride[0]} stride_width: {stride[1]} dilation_height: {dil[0]} dilation_width: "
                               f"{dil[1]}")
    k = one + ws[2:]
    sp = one + xs[2:]
    out_hw = tuple((n - 1) * s - 2 * p + d * (kk - 1) + o + 1 for n, s, p, d, kk, o in zip(sp, stride, pad, dil, k, opad))
    if min(out_hw) < 1:
        raise RuntimeError(f"Given input size per channel: ({sp[0]} x {sp[1]}). Calculated output size per channel: "
                           f"({out_hw[0]} x {out_hw[1]}). Output size is too small")
    pads = (pad[0], pad[0], pad[1], pad[1])
    out = _conv.conv_transpose2d_op(input, weight, bias, stride, pads, dil, groups, out_hw[2 - nd:])
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    _check(input, "im2col")
    if input.ndim < 3 and (input.ndim != 2 or input.shape[1]):
        # ATen reads the sizes of dims 1 and 2 (is either empty?) before it checks the rank
        if input.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        n = input.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [-{n}, {n - 1}], but got {n})")
    if input.ndim not in (3, 4) or 0 in tuple(input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    k, d, p, st = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    H, W = input.shape[-2], input.shape[-1]
    blocks = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip((H, W), p, d, k, st))
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size={k}, dilation={d}, padding={p}, "
                           f"calculated shape of the array of sliding blocks as {blocks}, but its components must be "
                           "at least one.")
    return _conv.unfold_op(input, k, st, (p[0], p[0], p[1], p[1]), d)   # (unbatched too: its node on the input)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if input.ndim not in (2, 3) or 0 in tuple(input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    o, k, d, p, st = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    c = input.shape[-2]
    if c % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={c} and kernel_size={k}.")
    blocks = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(o, p, d, k, st))
    if blocks[0] * blocks[1] != input.shape[-1]:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={st}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks {blocks[0]} "
                           f"* {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={input.shape[-1]}.")
    return _conv.fold_op(input, o, k, st, (p[0], p[0], p[1], p[1]), d)


# ====================================================================== pooling
def _pool_args(kernel_size, stride, padding, dilation, n=2):
    k = _pair(kernel_size, n)
    s = k if (stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)) else _pair(stride, n)
    p = _pair(padding, n)
    d = _pair(dilation, n)
    for pp, kk in zip(p, k):
        if pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={d[0]}")
    return k, s, p, d


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check(input, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    # (an unbatched (C, H, W) input as it is: the op's node sits on it, as PyTorch's)
    out, idx = _pool.max_pool2d_op(input, k, s, p, d, ceil_mode, return_indices)
    return (out, idx) if return_indices else out


def _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's own max_pool1d checks (without indices it does not go through the 2-D pool), in its order."""
    k = _pair(kernel_size, 1)[0]
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, 1)[0]
    p, d = _pair(padding, 1)[0], _pair(dilation, 1)[0]
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    span = input.shape[-1] + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and out > 1 and (out - 1) * s >= input.shape[-1] + p:
        out -= 1  # the last window must start inside the input or its left padding
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check(input, "max_pool1d")
    if input.ndim not in (2, 3):   # (PyTorch's kernels with and without indices word it differently)
        if not return_indices:
            raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                               f"input, but got:{list(input.shape)}")
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for max_pool1d)")
    if not return_indices:
        _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation, 1)
    out, idx = _pool.max_pool2d_op(input.unsqueeze(2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]), ceil_mode, True)
    out, idx = out.squeeze(2), idx.squeeze(2)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def _avg_pool2d_checks(input, k, s, p, ceil_mode, divisor_override, shape4):
    """ATen's avg_pool2d checks, in its order (``shape4``: the input as the 2-D pool sees it)."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    H, W = shape4[-2:]
    outs = []
    for n, kk, ss, pp in ((H, k[0], s[0], p[0]), (W, k[1], s[1], p[1])):  # pooling_output_shape, H then W
        if ss == 0:
            raise RuntimeError("stride should not be zero")
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        if pp > (kk - 1 + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation=1")
        outs.append(_pool.pool_out(n, kk, ss, pp, 1, ceil_mode) if kk > 0 and ss > 0 else 1)
    if k[0] <= 0 or k[1] <= 0:  # pool2d_shape_check
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if len(shape4) not in (3, 4) or any(d == 0 for d in shape4[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape4)}")
    if outs[0] < 1 or outs[1] < 1:
        C = shape4[-3]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{outs[0]}x{outs[1]}). "
                           "Output size is too small")
    dt = input._data.dtype
    if dt.kind != "f" and dt != np.int64:  # ATen's kernel: floating types and Long only
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"avg_pool2d\" not implemented for '{_type_name(dt)}'")


def _avg_args(kernel_size, stride, padding, n, name):
    def seq(v, what, extra=""):
        if isinstance(v, (tuple, list)):
            if len(v) not in (1, n):
                if n == 1:
                    raise RuntimeError(f"avg_pool1d() argument '{what}' should contain one int (got {len(v)})")
                raise RuntimeError(f"{name}: {what} must either be {extra}a single int, or a tuple of two ints")
            return tuple(int(a) for a in v) * (n // len(v))
        return (int(v),) * n
    k = seq(kernel_size, "kernel_size")
    s = k if (stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)) else \
        seq(stride, "stride", "omitted, ")
    return k, s, seq(padding, "padding")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    _check(input, "avg_pool2d")
    k, s, p = _avg_args(kernel_size, stride, padding, 2, "avg_pool2d")
    if 0 < input.ndim < 3:  # ATen reads input.size(-3) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but "
                         "got -3)")
    _avg_pool2d_checks(input, k, s, p, ceil_mode, divisor_override, tuple(input.shape))
    return _pool.avg_pool2d_op(input, k, s, p, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check(input, "avg_pool1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    k, s, p = _avg_args(kernel_size, stride, padding, 1, "avg_pool1d")
    # as ATen: the 2-D pool on a height of one (its messages name avg_pool2d and that shape)
    shape4 = tuple(input.shape[:-1]) + (1, input.shape[-1])
    _avg_pool2d_checks(input, (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, None, shape4)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    out = _pool.avg_pool2d_op(input.unsqueeze(2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, count_include_pad,
                              None).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _out_hw(output_size, H, W):
    o = _pair(output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    return (H if o[0] is None else o[0], W if o[1] is None else o[1])


def _adaptive_input_check(input, name, output_size, sep="", any_rank=False):
    if isinstance(output_size, (tuple, list)) and input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if input.ndim not in (3, 4) and not any_rank:
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{sep} {list(input.shape)}")
    if not any_rank:
        # (as PyTorch: the average pool checks the last two dims, the max pool all but the first)
        for i in range(input.ndim - 2 if name == "adaptive_avg_pool2d" else 1, input.ndim):
            if input.shape[i] == 0:
                raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                                   f"input has sizes {list(input.shape)} with dimension {i} being empty")


def _not_floating(input, kernel):
    if input._data.dtype.kind != "f":
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")


def adaptive_avg_pool2d(input, output_size):
    _check(input, "adaptive_avg_pool2d")
    # output size 1: PyTorch takes a plain mean over the last two dims, whatever the rank
    one = output_size in (1, (1, 1), [1, 1]) and input.ndim >= 2
    _adaptive_input_check(input, "adaptive_avg_pool2d", output_size, any_rank=one)
    H, W = input.shape[-2:]
    Ho, Wo = _out_hw(output_size, H, W)
    if (Ho, Wo) == (1, 1):
        return input.mean(dim=(-2, -1), keepdim=True)
    _not_floating(input, "adaptive_avg_pool2d")
    return _pool.adaptive_avg_pool2d_op(input, (Ho, Wo))


def _is_int_size(v):
    """An int as PyTorch's argument parser takes it: Python/NumPy ints (not bool), integer tensors of one element."""
    if isinstance(v, Tensor):
        return v._data.dtype.kind in "iu" and v._data.size == 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _one_output_size(output_size, name):
    """``output_size`` of the 1-D adaptive pools: an int or a sequence of one int (no ``None``, unlike
    the 2-D/3-D pools), refused with the messages of PyTorch's argument parser."""
    must = f"{name}(): argument 'output_size' (position 2) must be tuple of ints"
    if isinstance(output_size, (tuple, list)):
        for i, e in enumerate(output_size):
            if not _is_int_size(e):
                if i == 0:
                    raise TypeError(f"{must}, but found element of type {type(e).__name__} at pos 0")
                # (PyTorch's parser takes a sequence by its first element, then fails while unpacking)
                raise TypeError(f"{name}(): argument 'output_size' failed to unpack the object at pos 2 with error "
                                f"\"type must be tuple of ints,but got {type(e).__name__}\"")
        if len(output_size) != 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got {len(output_size)})")
        output_size = output_size[0]
    elif not _is_int_size(output_size):
        raise TypeError(f"{must}, not {type(output_size).__name__}")
    return int(output_size.item() if isinstance(output_size, Tensor) else output_size)


def _adaptive_1d_input(input, name, output_size):
    _check(input, name)
    size = _one_output_size(output_size, name)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {name})")
    return size


def adaptive_avg_pool1d(input, output_size):
    size = _adaptive_1d_input(input, "adaptive_avg_pool1d", output_size)
    # as PyTorch: the 2-D pool of height one (its nodes SqueezeBackward1 ...)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    _check(input, "adaptive_max_pool2d")
    _adaptive_input_check(input, "adaptive_max_pool2d", output_size, ":")
    H, W = input.shape[-2:]
    out, idx = _pool.adaptive_max_pool2d_op(input, _out_hw(output_size, H, W))
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    size = _adaptive_1d_input(input, "adaptive_max_pool1d", output_size)
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), True)
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out


# LP, max-unpool and fractional max pools: composed from the pools above, each in its own file
from .functional_ops.fractional_max_pool import (  # noqa: E402,F401
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d, fractional_max_pool3d_with_indices,
)
from .functional_ops.lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: E402,F401
from .functional_ops.max_unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: E402,F401


# PyTorch's ``*_with_indices`` spellings: the pools with return_indices=True
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


# ====================================================================== normalization
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    _check(input, "batch_norm")
    if running_mean is None or running_var is None:
        if not training:
            raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                               "evaluation mode")
        if (running_mean is None) != (running_var is None):
            n = input.numel() // input.shape[1] if input.ndim > 1 else input.numel()
            if n <= 1:  # (PyTorch looks at the batch first)
                raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                                 f"{input.shape}")
            raise ValueError("running_mean and running_var must either both be None or neither be None")
    # F.batch_norm's dtype rule only: instance_norm, which also runs batch_norm_op, takes mixed dtypes
    _norm.check_param_dtypes(input._data, (weight, bias, running_mean, running_var))
    return _norm.batch_norm_op(input, weight, bias, running_mean, running_var, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if _autocast.on:
        input, weight, bias = _autocast.fp32_cuda(input, weight, bias)
    _check(input, "layer_norm")
    ns = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (int(normalized_shape),)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    return _norm.layer_norm_op(input, len(ns), weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if _autocast.on:
        input, weight, bias = _autocast.fp32_cuda(input, weight, bias)
    _check(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for t in (weight, bias):
        if t is not None and (t.ndim != 1 or t.shape[0] != C):
            raise RuntimeError("Expected weight to be a vector of size equal to the number of channels in input, but "
                               f"got weight of shape {list(t.shape)} and input of shape {list(input.shape)}"
                               if t is weight else
                               "Expected bias to be a vector of size equal to the number of channels in input, but "
                               f"got bias of shape {list(t.shape)} and input of shape {list(input.shape)}")
    return _norm.group_norm_op(input, int(num_groups), weight, bias, float(eps))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    _check(input, "rms_norm")
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    ns = tuple(int(n) for n in normalized_shape)
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    if len(ns) > input.ndim:
        raise ValueError(f"Input tensor must have at least {len(ns)} dimensions, but got {input.ndim}")
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    x = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return x * weight if weight is not None else x


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """As ATen: batch norm of the input viewed as one sample of N*C channels, with the affine
    parameters and running statistics repeated per sample; the running statistics then take the
    mean over the batch of the per-instance updates (momentum times the instance mean and the
    unbiased instance variance)."""
    _check(input, "instance_norm")
    if use_input_stats:
        spatial = 1
        for n in input.shape[2:]:
            spatial *= n
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    N, C = input.shape[:2]
    w = None if weight is None else weight.repeat(N)
    b = None if bias is None else bias.repeat(N)
    with _tg.no_grad():
        rm = None if running_mean is None else running_mean.repeat(N)
        rv = None if running_var is None else running_var.repeat(N)
    out = _norm.batch_norm_op(input.reshape(1, N * C, -1), w, b, rm, rv, use_input_stats, momentum, eps)
    for run, rep in ((running_mean, rm), (running_var, rv)):
        if run is not None:
            run._data[...] = rep._data.reshape(N, -1).mean(axis=0).astype(run._data.dtype, copy=False)
            run._vc[0] += 1
    return out.reshape(tuple(input.shape))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each element divided by (k + alpha * the mean of squares over a window of ``size``
    channels) ** beta; the window is zero-padded, size // 2 channels before and (size - 1) // 2
    after."""
    _check(input, "local_response_norm")
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    N, C = input.shape[:2]
    sq = (input * input).reshape(N, C, -1)
    before, after = size // 2, (size - 1) // 2
    parts = [sq]
    if before:
        parts.insert(0, _tg.zeros((N, before, sq.shape[2]), dtype=sq.dtype, device=sq.device))
    if after:
        parts.append(_tg.zeros((N, after, sq.shape[2]), dtype=sq.dtype, device=sq.device))
    padded = _tg.cat(parts, 1) if len(parts) > 1 else sq
    total = padded[:, 0:C]
    for j in range(1, size):
        total = total + padded[:, j:j + C]
    div = ((total / size) * alpha + k) ** beta
    return input / div.reshape(tuple(input.shape))


# ====================================================================== embedding
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if padding_idx is not None:
        # (the number of rows is looked at only here: a weight of the wrong rank is reported below)
        if padding_idx > 0:
            if padding_idx >= weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    if max_norm is not None:
        # PyTorch renorms first (its Python code calls methods of both, hence these errors)
        for obj, method in ((input, "contiguous"), (weight, "detach")):
            if not isinstance(obj, Tensor):
                raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{method}'")
        _embedding_renorm_(weight, input, max_norm, norm_type)
    _check(weight, "embedding", "weight", 1)
    _check(input, "embedding", "indices", 2)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input._data.dtype.kind not in "iu" or input._data.dtype.itemsize < 4:
        raise _index_type_error(input, "embedding")
    V = weight.shape[0]
    a = input._data
    # one read of the answer (on a GPU each read waits for the queued kernels)
    if a.size and bool((a.max() >= V) | (a.min() < 0)):
        raise IndexError("index out of range in self")
    return _emb.embedding_op(input, weight, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: the rows ``indices`` looks up are rescaled in place to norm
    <= max_norm, on the weight's own device. Its checks (and messages) come first, all before
    the weight changes."""
    from tensorgraft.device import get_backend
    if weight.ndim != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for embedding_renorm_)")
    if indices._data.dtype.kind not in "iu" or indices._data.dtype.itemsize < 4:
        raise _index_type_error(indices, "embedding_renorm_", 2)
    xp = get_backend(weight._device).xp
    V = weight.shape[0]
    rows = xp.unique(indices._data.reshape(-1))
    if rows.size == 0:
        return
    if int(rows[0]) < -V or int(rows[-1]) >= V:
        # ATen selects each row in ascending order: the first one out of range is reported
        bad = int(rows[0]) if int(rows[0]) < -V else int(rows[rows >= V][0])
        raise IndexError(f"select(): index {bad} out of range for tensor of size {list(weight.shape)} at dimension 0")
    if int(rows[0]) < 0:
        # (ATen would rescale these rows from the end, then refuse the lookup)
        raise IndexError("index out of range in self")
    if weight._data.dtype.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_type_name(weight._data.dtype)} instead.")
    with _tg.no_grad():
        w = weight._data
        mag = xp.abs(w[rows])
        p = float(norm_type)
        if p == math.inf:
            norms = mag.max(1)
        elif p == -math.inf:
            norms = mag.min(1)
        elif p == 0:
            norms = (mag != 0).sum(1).astype(w.dtype)   # the count of nonzero entries, as torch.norm's
        else:
            norms = (mag ** p).sum(1) ** (1.0 / p)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)


def _index_type_error(t, fname, pos=1, arg="indices"):
    return RuntimeError(f"Expected tensor for argument #{pos} '{arg}' to have one of the following scalar types: Long, "
                        f"Int; but got {_conv3d_legacy_name(t)} instead (while checking arguments for {fname})")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows without materialising the rows of each bag.
    Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at ``offsets``
    (with ``include_last_offset``, ``offsets`` also holds the end of the last bag). Entries equal to
    ``padding_idx`` are left out (of the mean's count too); an empty bag gives zeros. ``sparse``
    is accepted; the gradient is dense."""
    # PyTorch's Python code meets a non-tensor through a method: weight.dtype, then input.dim()
    if not isinstance(weight, Tensor):
        raise AttributeError(f"'{type(weight).__name__}' object has no attribute 'dtype'")
    if not isinstance(input, Tensor):
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'dim'")
    if weight.dtype == _tg.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then it must have the same "
                         f"shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")   # PyTorch builds the offsets with arange(0, numel, 0)
        include_last_offset = False
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if not isinstance(offsets, Tensor):
            raise AttributeError(f"'{type(offsets).__name__}' object has no attribute 'dim'")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    modes = {"sum": _emb.MODE_SUM, "mean": _emb.MODE_MEAN, "max": _emb.MODE_MAX}
    if mode not in modes:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None and (input._data.dtype.kind not in "iu" or input._data.dtype.itemsize < 4):
        raise _index_type_error(input, "embedding_renorm_", 2)   # PyTorch renorms before its own checks
    # PyTorch brings the input and the offsets (for a 2-D input, made by arange in the input's
    # dtype) to one dtype, which must be int32 or int64
    if offsets is None or input.ndim == 2:
        if input.dtype == _tg.bool:
            raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
        index_dt = input.dtype
    else:
        index_dt = _tg.promote_types(input.dtype, offsets.dtype)
    if index_dt not in (_tg.int64, _tg.int32):
        raise _index_type_error(input if index_dt == input.dtype else _tg.empty(0, dtype=index_dt), "embedding_bag")
    from .functional_ops._common import same_device, xp_of
    same_device("embedding_bag", weight, input, offsets, psw)
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                                  f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {weight.type()} does not equal {psw.type()} (while checking "
                           "arguments for embedding_bag)")
    V = weight.shape[0]
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{V} through {V - 1}, but got "
                               f"{padding_idx}")
        padding_idx = padding_idx % V
    xp = xp_of(weight)
    idx = input._data.reshape(-1)
    n = idx.shape[0]
    if input.ndim == 2:
        nbags = input.shape[0]
        seg = xp.arange(n) // input.shape[1]
        checks = xp.stack([((idx < 0) | (idx >= V)).any()]) if n else None
    else:
        off = offsets._data.astype(xp.int64)
        nbags = max(off.shape[0] - 1, 0) if include_last_offset else off.shape[0]
        seg = xp.searchsorted(off, xp.arange(n), side="right") - 1
        seg = xp.where(seg < 0, nbags, seg)
        parts = [((idx < 0) | (idx >= V)).any()] if n else [xp.zeros((), bool)]
        if off.shape[0]:
            parts += [off[0] != 0, off[-1] > n, (off[1:] < off[:-1]).any()]
        checks = xp.stack([p.astype(xp.int64) for p in parts])
    # one read of the answers (on a GPU each read waits for the queued kernels)
    if checks is not None:
        flags = checks.tolist()
        if any(flags):
            _embedding_bag_error(flags, idx, offsets, V, n, index_dt)
    if padding_idx is not None:
        seg = xp.where(idx == padding_idx, nbags, seg)
    return _emb.embedding_bag_op(weight, idx, seg, nbags, modes[mode], None if psw is None else psw.reshape(-1),
                                 bool(scale_grad_by_freq))


def _embedding_bag_error(flags, idx, offsets, V, n, index_dt):
    if len(flags) > 1:
        off = [int(v) for v in offsets.tolist()]   # (bool offsets print as numbers)
        if flags[1]:
            # PyTorch's message ends with a line naming the (common) index type
            kind = "IntTensor" if index_dt == _tg.int32 else "LongTensor"
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {off[0]}\n[ torch.{kind}{{}} ]")
        if flags[2]:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                               f"{off[-1]}")
        if flags[3]:
            i = next(i for i in range(1, len(off)) if off[i] < off[i - 1])
            raise RuntimeError(f"offsets has to be non-decreasing, but got offsets[{i}] = {off[i]} after "
                               f"offsets[{i - 1}] = {off[i - 1]}")
    vals = idx.tolist()
    i = next(i for i, v in enumerate(vals) if not 0 <= v < V)
    raise RuntimeError(f"Index {i} of input takes value {vals[i]} which is not in the valid range [0, {V})")


# ====================================================================== padding / resampling
def pad(input, pad, mode="constant", value=None):
    _check(input, "pad")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode != "constant" and (input.ndim - len(pad) // 2) not in (1, 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "constant":
        return _padding.constant_pad(input, pad, 0.0 if value is None else value)
    return _padding.index_pad(input, pad, mode)


_UPSAMPLE_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
                   "trilinear": "Trilinear", "bicubic": "Bicubic", "lanczos": "Lanczos"}
_MODE_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2, "lanczos": 2}


def _interp_input_error(input, mode):
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                               "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                               f"nearest-exact (got {mode})")


def _interp_kernel(mode, nsp, antialias):
    """The ATen kernel that refuses an integer/bool input of ``mode`` (its name in the error)."""
    if mode == "area":
        return "adaptive_avg_pool3d_cpu"   # (1-D and 2-D area go through adaptive_avg_pool1d/2d)
    if antialias:
        return "compute_index_ranges_weights"
    if mode in ("nearest", "nearest-exact"):
        return "upsample_nearest2d_channels_last" if nsp == 2 else "compute_indices_weights_nearest"
    if mode == "bilinear":
        return "upsample_bilinear2d_channels_last"
    if mode == "bicubic":
        return "compute_indices_weights_cubic"
    return "compute_indices_weights_linear"   # linear, trilinear


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    _check(input, "interpolate")
    nsp = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None and isinstance(size, (tuple, list)):
        if len(size) != nsp:
            raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(in_sizes)} and output size of {size}. Please provide input "
                             "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        if not all(isinstance(v, (int, np.integer)) for v in size):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                            f"but got size with types {[type(v) for v in size]}")
    if scale_factor is not None and isinstance(scale_factor, (tuple, list)) and len(scale_factor) != nsp:
        raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(in_sizes)} and scale_factor of shape {scale_factor}. Please "
                         "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                         "format.")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and size is None:
        recompute_scale_factor = True   # area always works from the integer output size
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if input.ndim not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_MODE_DIMS):
        raise _interp_input_error(input, mode)
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nsp:
        if mode in ("bicubic", "lanczos"):
            raise _interp_input_error(input, mode)
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if size is not None:
        out_sizes = _pair(size, nsp)
        scales = (None,) * nsp
    else:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nsp
        out_sizes = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, sf))
        scales = (None,) * nsp if recompute_scale_factor else tuple(float(s) for s in sf)
    if mode == "area" and nsp < 3:
        if nsp == 2:
            return adaptive_avg_pool2d(input, out_sizes)
        return adaptive_avg_pool1d(input, out_sizes[0])
    if mode != "area" and (min(in_sizes) <= 0 or min(out_sizes) <= 0):
        names = "DHW"[3 - nsp:]
        a = ", ".join(f"{c}: {n}" for c, n in zip(names, in_sizes))
        b = ", ".join(f"{c}: {n}" for c, n in zip(names, out_sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({a}) "
                           f"{'and ' if nsp == 1 else ''}output ({b})")
    if mode == "area":
        node = "AdaptiveAvgPool3DBackward0"
    else:
        node = f"Upsample{_UPSAMPLE_NAMES[mode]}{nsp}D{'Aa' if antialias else ''}Backward0"
    opmath = "float64" if input._data.dtype == np.float64 else "float32"
    host = [_rs.weights(n_in, n_out, mode, bool(align_corners), s, bool(antialias), opmath, nsp)
            for n_in, n_out, s in zip(in_sizes, out_sizes, scales)]
    dt = input._data.dtype
    if dt.kind in "biu" and (dt != np.uint8 or mode in ("area", "linear", "trilinear")):
        # PyTorch's kernels take uint8 images for nearest/bilinear/bicubic (and lanczos) only; any
        # other integer or bool input is refused by the kernel named below
        raise NotImplementedError(f"\"{_interp_kernel(mode, nsp, antialias)}\" not implemented for '{_type_name(dt)}'")
    from tensorgraft.device import get_backend
    mats = _rs.device_matrices(get_backend(input._device).xp, host, _rs.compute_dtype(dt, mode))
    return _rs.resample_op(input, mats, node)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ====================================================================== attention
from .attention import _DEFAULT_ORDER as _SDPA_ALL_ENABLED  # noqa: E402
from .attention import check_backend_available as _sdpa_check_backend  # noqa: E402
from .attention import state as _sdpa_choice  # noqa: E402


def _safe_softmax(scores):
    """Softmax over the last dim where a row that is entirely -inf (every key masked out) gives
    zeros and zero gradients instead of NaN, as PyTorch's attention kernels."""
    with _tg.no_grad():
        full = _tg.isneginf(scores).all(-1, keepdim=True)
    if not bool(full.any()):
        return softmax(scores, -1)
    zero = _tg.zeros((), dtype=scores.dtype, device=scores.device)
    return _tg.where(full, zero, softmax(_tg.where(full, zero, scores), -1))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    for pos, (label, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        _check_tensor(t, "scaled_dot_product_attention", label, pos)
    if _sdpa_choice.enabled is not _SDPA_ALL_ENABLED:  # only a sdpa_kernel block can rule the call out
        _sdpa_check_backend(query.device.type)
    # ATen's input checks, in its order: the dtypes, the ranks, then the mask's dtype
    if not query.dtype == key.dtype == value.dtype:
        from .functional_ops.multi_head_attention import _C_TYPE
        q, k, v = (_C_TYPE.get(str(t.dtype).split(".")[-1], str(t.dtype)) for t in (query, key, value))
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{q} key.dtype: {k} and value.dtype: {v} instead.")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        # (the two spaces before "at least" are PyTorch's)
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if attn_mask is not None and attn_mask.dtype not in (_tg.bool, _tg.float32, query.dtype):
        from .functional_ops.multi_head_attention import _C_TYPE
        m, q = (_C_TYPE.get(str(t).split(".")[-1], str(t)) for t in (attn_mask.dtype, query.dtype))
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {m} and  query.dtype: {q} instead.")
    L, S = query.shape[-2], key.shape[-2]
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa:
        if query.ndim < 3:  # the heads are dim -3, which a 2-D query lacks
            raise IndexError(f"Dimension out of range (expected to be in range of [-{query.ndim}, {query.ndim - 1}], "
                             "but got -3)")
        hq = query.shape[-3]
        if hq % key.shape[-3] or hq % value.shape[-3]:
            # (PyTorch's message, cut short after "in " as it is)
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    if _attention.flash_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
        # one node for the whole attention, as PyTorch's CPU flash kernel (see functional_ops/attention.py)
        return _attention.flash_attention(query, key, value, attn_mask, is_causal, sc,
                                          query.shape[1] // key.shape[1])
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    scores = query.matmul(key.transpose(-2, -1)) * sc
    bias = None
    if is_causal:
        bias = np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(query._data.dtype)
        bias = _tg.tensor(bias, device=query.device)
    elif attn_mask is not None:
        if attn_mask.dtype == _tg.bool:
            mask = attn_mask._host()
            bias = _tg.tensor(np.where(mask, 0.0, -np.inf).astype(query._data.dtype), device=query.device)
        else:
            bias = attn_mask
    if bias is not None:
        attn = _safe_softmax(scores + bias)
    else:
        attn = softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "warnings", "np", "Tensor",
                                                                    "wrap")]


def hardshrink(input, lambd=0.5):
    if type(lambd) is not float:
        lambd = float(_number(lambd, "hardshrink", "lambd", 2, input))
    return _act.hardshrink_op(input, lambd)


def softshrink(input, lambd=0.5):
    _check(input, "softshrink")
    if type(lambd) is not float:
        lambd = float(_number(lambd, "softshrink", "lambd", 2))
    if lambd < 0 and input.dtype.is_floating_point:
        from tensorgraft.ops._frontend import _type_name
        big = float(np.finfo(input._data.dtype).max)
        raise RuntimeError(f"lambda must be in range [0, {big:g}] for input dtype {_type_name(input._data.dtype)}, "
                           f"but found {lambd:g}")
    return _act.softshrink_op(input, lambd)


def pixel_shuffle(input, upscale_factor):
    return _distance.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _distance.pixel_unshuffle(input, downscale_factor)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
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
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
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


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # ~Gumbel(0, 1), drawn on the logits' device from its generator
    gumbels = -_tg.empty_like(logits).exponential_().log()
    y_soft = _act.softmax_op((logits + gumbels) / tau, dim)  # F.softmax's op: its messages for a bad dim
    if hard:  # straight through: the one-hot forward, the soft sample's gradient
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = _tg.zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


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
    return _reduce_loss(loss, reduction)


# ----- multi-class hinge losses and CTC (functional_ops/margin_loss.py, functional_ops/ctc_loss.py)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _margin.multi_margin_loss(input, target, int(p), margin, weight, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _loss._check_reduction(reduction)
    return _margin.multilabel_margin_loss(input, target, reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    return _ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "warnings", "np", "Tensor",
                                                                    "wrap")]


# ===== 3-D convolution and pooling
from .functional_ops.conv3d import conv3d, conv_transpose3d  # noqa: E402
from .functional_ops.pooling3d import (  # noqa: E402
    adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d,
)

from .functional_ops.grid_sample import affine_grid, grid_sample  # noqa: E402
from .functional_ops.shuffle_distance import channel_shuffle, pdist  # noqa: E402

__all__ += ["affine_grid", "grid_sample", "channel_shuffle", "pdist", "max_pool1d_with_indices",
            "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "conv3d", "conv_transpose3d", "max_pool3d"]

from .functional_ops.multi_head_attention import multi_head_attention_forward  # noqa: E402,F401

__all__ += ["multi_head_attention_forward"]
