"""The normalization frontends of ``nn.functional``: batch, layer, group, instance, RMS and local
response norm, and ``F.normalize`` (Lp normalization along a dim).

Batch, layer and group norm make PyTorch's shape checks and run ``norm.py``'s fused ops (kernels and
formulas, registered at plugin load); instance norm runs batch norm on a reshaped input, as ATen;
RMS norm, local response norm and ``normalize`` are composed from tensorgraft ops.
"""
from __future__ import annotations

import math

import numpy as np

import tensorgraft as _tg
from tensorgraft.amp._state import state as _autocast
from tensorgraft.caller_warnings import warn_once_at_caller
from tensorgraft.tensor import _CPP_TYPE_NAMES

from . import norm as _norm
from ._common import check_tensor_args as _check_args
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
from .activation_args import type_name as _type_name


# the optional tensors of PyTorch's C functions these call, as (name, position, optional): batch and
# instance norm take (input, weight, bias, running_mean, running_var, ...), layer and group norm
# (input, normalized_shape or num_groups, weight, bias, ...), rms norm (input, normalized_shape, weight)
_BATCH_NORM_ARGS = (("weight", 2, True), ("bias", 3, True), ("running_mean", 4, True), ("running_var", 5, True))
_AFFINE_ARGS = (("weight", 3, True), ("bias", 4, True))


def _normalized_shape(value, fname):
    """``normalized_shape`` parsed as PyTorch's ``int[]`` argument: a tuple or list (a bare int or
    anything else is a TypeError) of ints, NumPy ints or integer 0-d tensors (a float or bool is
    refused, not truncated), and not empty."""
    from tensorgraft.tensor import Tensor
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{_type_name(value)}")
    dims = []
    for pos, v in enumerate(value):
        ok = isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
        if isinstance(v, Tensor):
            ok = v.ndim == 0 and not (v.is_floating_point() or v.is_complex() or v.dtype == _tg.bool)
        if not ok:
            raise TypeError(f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of ints, but found "
                            f"element of type {_type_name(v)} at pos {pos}")
        dims.append(int(v))
    if not dims:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    return tuple(dims)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if _autocast.on:
        input, = _autocast.fp32_cuda(input)
    # PyTorch's composite: input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input), for
    # every p (one LinalgVectorNormBackward0, then ClampMinBackward0 in the graph). Tensor.norm, not
    # sqrt(sum(x*x)): its gradient at a zero vector is 0, as PyTorch's (not NaN)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is not None:
        return _tg.div(input, denom, out=out)
    return input / denom


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    _check(input, "batch_norm")
    _check_args("batch_norm", _BATCH_NORM_ARGS, weight, bias, running_mean, running_var)
    # F.batch_norm's own check first: one value per channel (an empty batch passes)
    if training and input.shape[0] * math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    # F.batch_norm's eps rule, next: a batch's variance can be 0, so training divides by sqrt(eps)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.numel() == 0:   # ATen's empty-input path comes before its checks of the running statistics
        return _norm.batch_norm_op(input, weight, bias, running_mean, running_var, training, momentum, eps)
    if running_mean is None or running_var is None:
        if not training:
            raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                               "evaluation mode")
        if (running_mean is None) != (running_var is None):
            raise ValueError("running_mean and running_var must either both be None or neither be None")
    # F.batch_norm's dtype rule only: instance_norm, which also runs batch_norm_op, takes mixed dtypes
    _norm.check_param_dtypes(input._data, (weight, bias, running_mean, running_var))
    _refuse_non_floating(input, "batch_norm")  # (an empty input of any dtype passed above)
    return _norm.batch_norm_op(input, weight, bias, running_mean, running_var, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if _autocast.on:
        input, weight, bias = _autocast.fp32_cuda(input, weight, bias)
    _check(input, "layer_norm")
    ns = _normalized_shape(normalized_shape, "layer_norm")
    _check_args("layer_norm", _AFFINE_ARGS, weight, bias)
    _check_mixed_dtypes(input, weight, bias)  # first, as ATen
    # the affine parameters are checked before the input (a wrong one would otherwise broadcast,
    # or fail in NumPy with its own message)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    _check_bias_dtype(input, weight, bias)
    _refuse_non_floating(input, "LayerNormKernelImpl")
    return _norm.layer_norm_op(input, len(ns), weight, bias, eps)


_FLOAT_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}


def _refuse_non_floating(input, kernel, complex_ok=False):
    """The normalization kernels take floating inputs (and rms_norm complex ones): others are
    PyTorch's '"LayerNormKernelImpl" not implemented for 'Long''; NumPy would normalize integers."""
    if not (input.is_floating_point() or (complex_ok and input.is_complex())):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_type}'")


def _float_name(dtype):
    name = str(dtype).rsplit(".", 1)[-1]
    return _FLOAT_NAMES.get(name, name)


def _check_layer_norm_dtypes(input, weight, bias):
    """ATen's CPU layer norm: the affine parameters share the input's dtype, except float32 ones
    with a half-precision input (its mixed-dtype kernel). Its messages depend on which one is off:
    a bias unlike a matching weight, float32 parameters of a double input, anything else."""
    _check_mixed_dtypes(input, weight, bias)
    _check_bias_dtype(input, weight, bias)


def _check_mixed_dtypes(input, weight, bias):
    """The part of ``_check_layer_norm_dtypes`` ATen's layer norm runs before its shape checks: the
    first parameter given is of another dtype than the input."""
    params = [t for t in (weight, bias) if t is not None]
    xd = input.dtype
    if not params or params[0].dtype == xd:
        return
    all_float = all(t.dtype == _tg.float32 for t in params)
    if all_float and xd.is_floating_point and xd.itemsize == 2:
        return
    if all_float and xd == _tg.float64:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


def _check_bias_dtype(input, weight, bias):
    """The part its kernel checks: with a weight of the input's dtype, the bias is of it too."""
    xd = input.dtype
    if weight is not None and bias is not None and weight.dtype == xd and bias.dtype != xd:
        raise RuntimeError(f"expected scalar type {_float_name(xd)} but found {_float_name(bias.dtype)}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if _autocast.on:
        input, weight, bias = _autocast.fp32_cuda(input, weight, bias)
    _check(input, "group_norm")
    _check_args("group_norm", _AFFINE_ARGS, weight, bias)
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
    # PyTorch's batch-size check (also in eval): each group must normalise more than one value
    size = [N * C // num_groups, num_groups] + list(input.shape[2:])
    if size[0] * int(np.prod(size[2:], dtype=np.int64)) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    _check_layer_norm_dtypes(input, weight, bias)  # ATen's group norm has layer norm's dtype rule
    _refuse_non_floating(input, "GroupNormKernelImpl")
    return _norm.group_norm_op(input, int(num_groups), weight, bias, float(eps))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    _check(input, "rms_norm")
    ns = _normalized_shape(normalized_shape, "rms_norm")
    _check_args("rms_norm", _AFFINE_ARGS, weight)
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(ns)}")
    if len(ns) > input.ndim:
        raise ValueError(f"Input tensor must have at least {len(ns)} dimensions, but got {input.ndim}")
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    _refuse_non_floating(input, "rms_norm", complex_ok=True)
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    if weight is not None and weight.dtype != input.dtype:
        # ATen's notice (once per process) that its fused kernel cannot take the pair
        warn_once_at_caller(f"Mismatch dtype between input and weight: input dtype = "
                            f"{_CPP_TYPE_NAMES[input._data.dtype.name]}, weight dtype = "
                            f"{_CPP_TYPE_NAMES[weight._data.dtype.name]}, Cannot dispatch to fused implementation.")
    if input.dtype.itemsize == 2 and input.is_floating_point():
        # half types normalize in float32 (eps too) and are cast back at the end, as PyTorch's
        # composite does
        x32 = input.float()
        eps = float(_tg.finfo(_tg.float32).eps) if eps is None else eps
        x = x32 * ((x32 * x32).mean(dims, keepdim=True) + eps).rsqrt()
        return (x * weight if weight is not None else x).to(input.dtype)
    if eps is None:
        eps = float(_tg.finfo(input.dtype).eps)
    x = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return x * weight if weight is not None else x


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """As ATen: batch norm of the input viewed as one sample of N*C channels, with the affine
    parameters and running statistics repeated per sample; the running statistics then take the
    mean over the batch of the per-instance updates (momentum times the instance mean and the
    unbiased instance variance)."""
    _check(input, "instance_norm")
    _check_args("instance_norm", _BATCH_NORM_ARGS, weight, bias, running_mean, running_var)
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
    x = input.reshape((1, N * C) + tuple(input.shape[2:]))   # (ATen's view: no -1, which an empty input leaves open)
    # as ATen, sizes first; then the affine parameters follow layer norm's dtype rule, while running
    # statistics of another dtype are taken
    _norm.check_channel_counts(x._data, w, b, rm, rv)
    _check_layer_norm_dtypes(input, weight, bias)
    if input.numel():  # (batch norm's empty-input path comes first)
        _refuse_non_floating(input, "batch_norm")
    out = _norm.batch_norm_op(x, w, b, rm, rv, use_input_stats, momentum, eps)
    for run, rep in ((running_mean, rm), (running_var, rv)):
        if run is not None:
            run._data[...] = rep._data.reshape(N, -1).mean(axis=0).astype(run._data.dtype, copy=False)
            run._vc[0] += 1
    return out.reshape(tuple(input.shape))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each element divided by (k + alpha * the mean of squares over a window of ``size``
    channels) ** beta; the window is zero-padded, size // 2 channels before and (size - 1) // 2
    after. Written as PyTorch's is, with ``pad`` and ``avg_pool2d``/``avg_pool3d``: so are its
    errors (size 0: the pool's kernel check), its graph, and its integer arithmetic (an int64
    input's window means are truncated, as the pool's; int32 is refused by the pool)."""
    from .padding_api import pad
    from .pooling3d import avg_pool3d
    from .pooling_api import avg_pool2d
    _check(input, "local_response_norm")
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
