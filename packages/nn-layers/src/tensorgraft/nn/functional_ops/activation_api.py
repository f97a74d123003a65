"""The activation frontends of ``nn.functional``: ``F.relu`` … ``F.glu``, the softmax family,
the shrinks and ``F.gumbel_softmax``, with their Number-argument parsing (``_number``) and the
in-place plumbing (``_inplace``) that dropout shares.

Each frontend makes PyTorch's argument checks (its messages, its order) and calls, for most, a
fused op of ``activation.py``. That module holds the kernels and gradient formulas, registered when
``import tensorgraft`` loads the plugin; these frontends load with ``nn.functional``, on first use.
"""
from __future__ import annotations

import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.amp._state import state as _autocast
from tensorgraft.grad_mode import state as _gs
from tensorgraft.ops._args import wrap_dim as _wrap_dim
from tensorgraft.ops._frontend import _type_name
from tensorgraft.ops._frontend.writes import _CONVERT_NAMES
from tensorgraft.ops.creation.fills import checked_fill_value as _checked_fill_value
from tensorgraft.tensor import Tensor

from . import activation as _act
from tensorgraft.dtypes import np_kind as _np_kind


_check = _act.check_tensor  # TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"


def _inplace(input, fn, name, *args):
    """Run ``fn`` out of place and write the result into ``input`` (PyTorch's in-place activations)."""
    if not isinstance(input, Tensor):  # named as the in-place kernel PyTorch calls ("elu_")
        _check(input, name)
    from tensorgraft.ops._frontend import check_inplace_allowed, store_into
    rec = _gs.enabled and input._requires_grad
    if rec:
        check_inplace_allowed(input, name)
        saved = Tensor._autograd.snapshot(input)
        _act.saved_by_inplace(saved)
        res = fn(saved, *args)
    else:
        res = fn(input, *args)
    store_into(input, res._data, name)
    if rec:
        Tensor._autograd.rebase(input, res)
    return input


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
    if isinstance(input, Tensor) and _np_kind(input._data.dtype) == "u" and (int(min_val) < 0 or int(max_val) < 0):
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
    # ATen's order: a weight of several elements is checked against the input first, its rank last
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    if _np_kind(input._data.dtype) != "f":
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
    for number in (threshold, value):  # (PyTorch's argument parser: an int past int64/uint64, any dtype)
        if number.__class__ is int and not -(1 << 63) <= number < 1 << 64:
            _checked_number(number, np.float64)
    if input.dtype == _tg.bool:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    a = input._data
    # the kernel converts ``threshold`` to the type it computes in (float for the 16-bit floats and
    # float32, the integer dtype itself) and ``value`` to the input's dtype, each with c10's checked
    # conversion: 1e40 into float, 1e5 (value) into a half, 300 into int8 raise; an integer dtype
    # takes both numbers converted (truncated floats, a negative int wrapped into uint8)
    npd = a.dtype
    if _np_kind(npd) in "iu":
        threshold, value = _checked_number(threshold, npd), _checked_number(value, npd)
    else:
        threshold = _checked_number(threshold, _F32 if npd.itemsize <= 4 else _F64, False)
        value = _checked_number(value, npd, False)
    if inplace:
        return _inplace(input, _named(_act.threshold_op, "ThresholdBackward1"), "threshold_", threshold, value)
    return _act.threshold_op(input, threshold, value)


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_F32_MAX = float(np.finfo(np.float32).max)


def _checked_number(number, npdtype, convert=True):
    """``number`` through c10's checked conversion into ``npdtype`` (``checked_fill_value``); a
    complex number enters as its real part only where its imaginary part is 0, else c10 words it as
    an overflow. Returns the converted number, or (``convert=False``) the number as given, where the
    caller keeps its own precision."""
    if number.__class__ is float and (npdtype is _F64 or npdtype is _F32 and -_F32_MAX <= number <= _F32_MAX):
        return number  # (the common case, without the general conversion's cost)
    if isinstance(number, complex):
        if number.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {_CONVERT_NAMES[np.dtype(npdtype).name]} "
                               "without overflow")
        number = number.real
    converted = _checked_fill_value(number, npdtype)
    return converted if convert else number


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
    if _np_kind(input._data.dtype) != "f":
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
