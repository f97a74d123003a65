"""The argument checks of ``F.conv3d`` and ``F.conv_transpose3d`` (``conv3d.py``), in ATen's order
and words, with the dtype names its messages use; ``conv_api.py`` (the 1-D/2-D frontends),
``embedding_api.py`` and ``nn.modules.conv`` share some of them."""
from __future__ import annotations

import numpy as np

from ._common import check_tensor, same_device
from tensorgraft.caller_warnings import warn_once_at_caller


# C++ names (ATen's "Input type (...) and bias type (...)") and legacy tensor-type names
_C_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
           "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
           "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_LEGACY_TYPE = {"bool": "CPUBoolType", "complex64": "CPUComplexFloatType", "complex128": "CPUComplexDoubleType"}


def _conv_param(v, name):
    """An int or a list of 1 or 3 ints -> a triple (PyTorch's convolution argument rules)."""
    if isinstance(v, (tuple, list)):
        v = [int(a) for a in v]
        if len(v) == 1:
            v = v * 3
        if len(v) != 3:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 3 values to match the "
                               f"convolution dimensions, but got {name}={v}")
        return tuple(v)
    return (int(v),) * 3


def _check_common(fname, input, weight, bias, stride, dil, groups, padding=(), output_padding=()):
    check_tensor(input, fname)
    check_tensor(weight, fname, "weight", 2)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {fname}, but got input of size: "
                           f"{list(input.shape)}")
    if weight.ndim != 5:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.ndim - 2} values to "
                           f"match the convolution dimensions, but got stride={list(stride)}")
    same_device(fname, input, weight, bias)
    # ATen's order: a bad padding string, groups, 'same' with strides, padding, output padding,
    # stride, a negative dilation, the weight's filters against groups, and only then a zero dilation
    if isinstance(padding, str) and padding not in ("valid", "same"):  # (a bad string before the groups)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if padding == "same" and any(st != 1 for st in stride):  # (before the stride's own check)
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    if not isinstance(padding, str) and any(pp < 0 for pp in padding):
        raise RuntimeError("negative padding is not supported")
    if any(pp < 0 for pp in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if padding != "same" and any(d < 0 for d in dil):  # ('same' reports its negative amounts first)
        raise RuntimeError("dilation should be greater than zero")
    if weight.shape[0] < groups:  # (ATen words a weight with fewer filters than groups apart, its shape in one pair
        # of brackets, where the "divisible" message below has two)
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if any(d == 0 for d in dil):
        raise RuntimeError("non-positive dilation is not supported")


def _c_name(t):
    a = str(t._data.dtype)
    return _C_TYPE.get(a, a)


def _legacy_name(t):
    return _LEGACY_TYPE.get(str(t._data.dtype)) or t.type()


def _check_bias_type(input, bias):
    """A convolution's first dtype check, made before the shapes are looked at."""
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input)}) and bias type ({_c_name(bias)}) should be the same")


def mkldnn_wording(input, batch):
    """Whether ATen's CPU convolution takes its mkldnn path, whose dtype message differs: for a
    half input always, for a float32 one when the batch has more than one sample."""
    dt = input._data.dtype
    return dt == np.float16 or (dt == np.float32 and batch > 1)


def _check_types(input, weight, bias, transposed, batch):
    """The dtype checks ATen makes after the shape checks: on the mkldnn path (``mkldnn_wording``)
    in its words; otherwise the kernel expects the input's scalar type of the weight (and,
    transposed, of the bias: a non-transposed conv checked its bias first, in ``_check_bias_type``)."""
    from tensorgraft.ops._frontend import _type_name
    others = [("weight", weight)] + ([("bias", bias)] if transposed and bias is not None else [])
    for label, t in others:
        if t.dtype == input.dtype:
            continue
        if mkldnn_wording(input, batch):
            raise RuntimeError(f"Input type ({input.type()}) and {label} type ({_legacy_name(t)}) should be the same "
                               f"or input should be a MKLDNN tensor and {label} is a dense tensor")
        raise RuntimeError(f"expected scalar type {_type_name(input._data.dtype)} but found "
                           f"{_type_name(t._data.dtype)}")
    kind = input._data.dtype
    if kind == np.bool_ or (transposed and kind.kind in "iu" and kind != np.int64):
        kernel = "slow_conv_transpose3d_out_cpu" if transposed else "slow_conv3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(kind)}'")


def _check_bias(bias, n, prefix, weight):
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n):
        raise RuntimeError(f"Given {prefix}weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{n} elements, but got bias of size {list(bias.shape)} instead")


def _same_pads(k, dil):
    pads = []
    for kk, d in zip(k, dil):
        total = d * (kk - 1)
        pads += [total // 2, total - total // 2]
    if any((d * (kk - 1)) % 2 for kk, d in zip(k, dil)):
        warn_uneven_same_padding()
    return tuple(pads)


def warn_uneven_same_padding():
    """PyTorch's notice for padding='same' that needs an extra zero on one side: one site in ATen for
    every conv, given once per process (unless ``set_warn_always``) and, raised from C++, at the
    user's line."""
    warn_once_at_caller("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                        "copy of the input be created")
