"""The argument checks every convolution makes (``F.conv1d``/``conv2d``/``conv3d`` and their
transposes: ``conv_api.py`` for 1-D/2-D, ``conv3d.py`` with ``conv3d_checks.py`` for 3-D), in
ATen's order and words: how PyTorch's parser takes the settings, the rank/device/padding/groups/
stride/dilation checks made before the shapes, the bias's and the kernels' dtype checks, and the
C++ and legacy type names those messages print. One copy, so the ranks cannot drift apart.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.caller_warnings import warn_once_at_caller
from tensorgraft.dtypes import CPP_TYPE_NAMES
from tensorgraft.ops._args import bad_int_list_item, invalid_combination, is_int, wrong_type
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor

from ._common import same_device

# C++ names (ATen's "Input type (...) and bias type (...)") and legacy tensor-type names
_C_TYPE = CPP_TYPE_NAMES
_LEGACY_TYPE = {"bool": "CPUBoolType", "complex64": "CPUComplexFloatType", "complex128": "CPUComplexDoubleType"}


def _c_name(t):
    a = str(t._data.dtype)
    return _C_TYPE.get(a, a)


def _legacy_name(t):
    return _LEGACY_TYPE.get(str(t._data.dtype)) or t.type()


# --------------------------------------------------------------------------- the settings as the parser takes them
def _ints_given(v) -> bool:
    """Would PyTorch's parser take ``v`` for ``tuple of ints``? (an int, or a sequence of them)"""
    if v.__class__ is int:
        return True
    if v.__class__ is tuple or isinstance(v, list):
        for a in v:  # (a loop, no generator: modules pass tuples on every forward)
            if a.__class__ is not int and not is_int(a):
                return False
        return True
    return is_int(v)


def _conv_signature(nd, transposed):
    s = "tuple of ints stride = 1, {} padding = {}, "
    if transposed:
        return (f"Tensor input, Tensor weight, Tensor bias = None, {s.format('tuple of ints', 0)}tuple of ints "
                "output_padding = 0, int groups = 1, tuple of ints dilation = 1",)
    return tuple(f"Tensor input, Tensor weight, Tensor bias = None, {s.format(p, d)}tuple of ints dilation = 1, "
                 "int groups = 1" for p, d in (("tuple of ints", 0), ("str", '"valid"')))


def check_setting_types(name, nd, input, weight, bias, settings, groups, transposed=False):
    """A convolution's settings as PyTorch's argument parser takes them: ints or sequences of ints
    (a float stride must not be truncated). ``settings``: (label, value, default) of
    each tuple setting, in the signature's order. Cheap for valid settings; the error otherwise:

    - a sequence whose first item is an int, a later one not: the unpacking error, naming the item;
    - a transposed convolution (one signature): that the argument must be a tuple of ints;
    - conv1d/2d/3d (two signatures, the other for a padding string): the invalid combination,
      the call shown as F.conv is usually written -- input, weight and a bias positionally, settings
      other than their defaults by keyword (which were keywords is not known here)."""
    for label, v, _ in settings:
        if not (_ints_given(v) or label == "padding" and v.__class__ is str and not transposed):
            break
    else:
        if groups.__class__ is int or is_int(groups):
            return
    for label, v, _ in settings:
        if isinstance(v, (tuple, list)) and v and is_int(v[0]):
            err = bad_int_list_item(name, label, v)
            if err is not None:
                raise err
    if transposed:
        for label, v, _ in settings:
            if not _ints_given(v):
                raise wrong_type(name, label, "tuple of ints", v)
        raise wrong_type(name, "groups", "int", groups)
    raise _invalid_conv_call(name, nd, input, weight, bias, settings, groups)


def _invalid_conv_call(name, nd, input, weight, bias, settings, groups):
    kwargs = {label: v for label, v, default in settings + (("groups", groups, 1),)
              if not (v.__class__ is int and v == default)}
    return invalid_combination(name, (input, weight) + (() if bias is None else (bias,)), kwargs,
                               _conv_signature(nd, False))


def check_operand_types(name, nd, input, weight, bias, settings, groups):
    """conv1d/2d/3d with an operand that is not a tensor: with two signatures to choose from,
    PyTorch's parser words it as a call none of them takes (a transposed one names the argument)."""
    if isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor)):
        return
    raise _invalid_conv_call(name, nd, input, weight, bias, settings, groups)


def conv_arg(v, name, nd):
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


# --------------------------------------------------------------------------- the checks before the shapes
def check_conv_settings(name, input, weight, bias, stride, dil, groups, nd, transposed=False, padding=(),
                        output_padding=()):
    """The checks ATen makes of an ``nd``-D convolution before its shapes, in its order
    (``padding``: the ints given, or a string, whose amounts are checked later; ``transposed`` is
    taken for the callers' sake: these checks read the same either way)."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(input.shape)}")
    if weight.ndim != nd + 2:
        if weight.ndim < 3:
            raise RuntimeError("weight should have at least three dimensions")
        if padding == "same":  # (ATen's padding-string path meets the ranks first, and words them without a space)
            raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight"
                               f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                               f"{list(input.shape)} instead")
        if nd != 1:
            raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.ndim - 2} values "
                               f"to match the convolution dimensions, but got stride={list(stride)}")
        # a 1-D convolution is run as a 2-D one, whose rank check meets a weight of another rank first
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    same_device(name, input, weight, bias)
    # ATen's order: a bad padding string, groups, 'same' with strides, padding, output padding,
    # stride, a negative dilation, then the weight's filters against groups
    if isinstance(padding, str) and padding not in ("valid", "same"):  # (a bad string before the groups)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if padding == "same" and any(st != 1 for st in stride):  # (before the stride's own check)
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if padding != "same" and min(dil) < 0:  # ('same' padding reports its negative amounts first)
        raise RuntimeError("dilation should be greater than zero")
    if weight.shape[0] < groups:  # (ATen words a weight with fewer filters than groups apart, its shape in one pair
        # of brackets, where the "divisible" message below has two)
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")


# --------------------------------------------------------------------------- dtypes
def check_bias_type(input, bias):
    """A convolution's first dtype check, made before the shapes are looked at."""
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input)}) and bias type ({_c_name(bias)}) should be the same")


def mkldnn_wording(input, batch):
    """Whether ATen's CPU convolution takes its mkldnn path, whose dtype message differs: for a
    half input always, for a float32 one when the batch has more than one sample."""
    dt = input._data.dtype
    return dt == np.float16 or (dt == np.float32 and batch > 1)


def check_kernel_dtype(kind, transposed, nd):
    """ATen's slow CPU kernels take no bool input, and the transposed ones no integer type but
    int64; 1-D convolutions run the 2-D kernels, whose names the message gives."""
    if kind == np.bool_ or (transposed and kind.kind in "iu" and kind != np.int64):
        d = 3 if nd == 3 else 2
        kernel = f"slow_conv_transpose{d}d_out_cpu" if transposed else f"slow_conv{d}d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(kind)}'")


def warn_uneven_same_padding():
    """PyTorch's notice for padding='same' that needs an extra zero on one side: one site in ATen for
    every conv, given once per process (unless ``set_warn_always``) and, raised from C++, at the
    user's line."""
    warn_once_at_caller("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                        "copy of the input be created")
