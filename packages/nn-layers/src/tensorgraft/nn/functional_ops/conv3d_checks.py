"""The argument checks of ``F.conv3d`` and ``F.conv_transpose3d`` (``conv3d.py``) that only the 3-D
functions make, in ATen's order and words; the checks every convolution makes are
``conv_checks.py``'s, and the names ``conv3d.py``, ``embedding_api.py`` and ``nn.modules.conv``
read from this module are bound here too."""
from __future__ import annotations

from ._common import check_tensor
from .conv_checks import (  # noqa: F401  (read from here by conv3d.py and embedding_api.py)
    _C_TYPE, _LEGACY_TYPE, _c_name, _legacy_name, check_bias_type as _check_bias_type, check_conv_settings,
    check_kernel_dtype, conv_arg, mkldnn_wording, warn_uneven_same_padding,
)


def _conv_param(v, name):
    """An int or a list of 1 or 3 ints -> a triple (PyTorch's convolution argument rules)."""
    return conv_arg(v, name, 3)


def _check_common(fname, input, weight, bias, stride, dil, groups, padding=(), output_padding=()):
    check_tensor(input, fname)
    check_tensor(weight, fname, "weight", 2)
    check_conv_settings(fname, input, weight, bias, stride, dil, groups, 3, False, padding, output_padding)
    # the 3-D functions report a zero dilation here, after the groups
    if any(d == 0 for d in dil):
        raise RuntimeError("non-positive dilation is not supported")


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
    check_kernel_dtype(input._data.dtype, transposed, 3)


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
