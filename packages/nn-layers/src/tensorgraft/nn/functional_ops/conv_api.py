"""The 1-D/2-D convolution frontends of ``nn.functional``: ``conv1d``, ``conv2d``, their transposes,
``unfold`` (im2col) and ``fold``, with ``_pair``, the int-or-sequence normaliser that the pools and
``interpolate`` share.

A hot path: ``_conv_operands`` and ``_conv_transpose`` pass valid input with a few plain
comparisons and make ATen's checks, in its order and words, only once one fails. The kernels and
formulas are ``conv.py``'s (3-D: ``conv3d.py``, which also holds ``F.conv3d`` itself).
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from tensorgraft.amp._state import state as _autocast
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor

from . import conv as _conv
from ._common import check_tensor_args as _check_args
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
# the checks every convolution makes (conv3d.py's too), under the names this module's readers use
from .conv_checks import (  # noqa: F401  (functional.py, nn.modules.conv and conv3d.py read some from here)
    _conv_signature, _ints_given, _invalid_conv_call, check_bias_type as _conv3d_bias_type, check_conv_settings as
    _conv_checks, check_kernel_dtype, check_operand_types, check_setting_types, conv_arg as _conv_arg,
    mkldnn_wording as _mkldnn_wording, warn_uneven_same_padding as _warn_uneven_same_padding,
)
from .padding_api import _is_int, pad


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
    check_kernel_dtype(kind, transposed, nd)
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
    settings = (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1))
    check_operand_types(name, nd, input, weight, bias, settings, groups)
    if (stride.__class__ is not int or padding.__class__ is not int or dilation.__class__ is not int
            or groups.__class__ is not int):
        check_setting_types(name, nd, input, weight, bias, settings, groups)
    if bias is not None and bias.dtype != input.dtype:  # ATen's first check
        _conv3d_bias_type(input, bias)
    stride = _conv_arg(stride, "stride", nd)
    if not isinstance(padding, str):
        padding = _conv_arg(padding, "padding", nd)
    dil = _conv_arg(dilation, "dilation", nd)
    xs, ws = input._data.shape, weight._data.shape
    if (len(xs) - nd not in (1, 2) or len(ws) != nd + 2 or input._device is not weight._device
            or (bias is not None and bias._device is not input._device) or min(stride) <= 0 or groups <= 0
            or ws[0] < groups or ws[0] % groups):
        _conv_checks(name, input, weight, bias, stride, dil, groups, nd, False, padding)
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
    _warn_uneven_same_padding()
    extra = (0, pads[3] - pads[2]) + ((0, pads[1] - pads[0]) if input.ndim == 4 else ())
    return pad(input, extra), (pads[0], pads[0], pads[2], pads[2])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    input, weight, bias, stride, pads, dil, unbatched = _conv_operands(input, weight, bias, stride, padding,
                                                                        dilation, groups, 1, "conv1d")
    input, pads = _pad_uneven(input, (0, 0) + pads)
    # the (N, C, L) tensors as they are: the op runs them as 2-D of height one, its node on them (PyTorch's)
    out = _conv.conv2d_op(input, weight, bias, (1,) + stride, pads, (1,) + dil, groups)
    return out.squeeze(0) if unbatched else out


# (conv_transpose3d's too; a bias given by keyword PyTorch names without a position, which is not known here)
CONV_TRANSPOSE_ARGS = (("input", 1, False), ("weight", 2, False), ("bias", 3, True))


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    """conv_transpose2d, and conv_transpose1d (``nd`` 1) as one of height one: the tensors stay
    at their own rank (the op's node then sits on them, as PyTorch's)."""
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    _check_args(name, CONV_TRANSPOSE_ARGS, input, weight, bias)
    check_setting_types(name, nd, input, weight, bias, (("stride", stride, 1), ("padding", padding, 0),
                                                         ("output_padding", output_padding, 0),
                                                         ("dilation", dilation, 1)), groups, transposed=True)
    stride = _conv_arg(stride, "stride", nd)
    pad = _conv_arg(padding, "padding", nd)
    dil = _conv_arg(dilation, "dilation", nd)
    opad = _conv_arg(output_padding, "output_padding", nd)
    xs, ws = input._data.shape, weight._data.shape
    # (as _conv_operands: plain comparisons first, the checks in ATen's order only once one fails)
    if (len(xs) - nd not in (1, 2) or len(ws) != nd + 2 or input._device is not weight._device
            or (bias is not None and bias._device is not input._device) or min(stride) <= 0 or groups <= 0
            or ws[0] < groups or ws[0] % groups):
        _conv_checks(name, input, weight, bias, stride, dil, groups, nd, True, pad, opad)
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


def _im2col_ints(fname, values):
    """``unfold``/``fold``'s size arguments as PyTorch takes them: its Python ``_pair`` (a sequence
    kept as given, so ``(2,)`` stays one long; anything else twice), its parser's "tuple of ints"
    (TypeError naming the element, as for ``pad``), then ATen's count check for each in turn.
    ``values``: (name, value) in the order of the signature, from position 2."""
    out = []
    for pos, (name, v) in enumerate(values, 2):
        t = tuple(v) if isinstance(v, (tuple, list, str)) or (isinstance(v, Tensor) and v.ndim) else (v, v)
        for i, e in enumerate(t):
            if not _is_int(e):
                if i == 0:
                    raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, but found "
                                    f"element of type {c_type_name(e)} at pos 0")
                raise TypeError(f"{fname}(): argument '{name}' failed to unpack the object at pos {i + 1} with error "
                                f"\"type must be tuple of ints,but got {c_type_name(e)}\"")
        out.append(tuple(int(e) for e in t))
    for (name, _), t in zip(values, out):
        if len(t) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    return out


_IM2COL_RULES = {"kernel_size": ("kernel size should be greater than zero", "kernel", 1),
                 "dilation": ("dilation should be greater than zero", "dilation", 1),
                 "padding": ("padding should be non-negative", "pad", 0),
                 "stride": ("stride should be greater than zero", "stride", 1)}


def _im2col_values(order, settings):
    """ATen's im2col/col2im shape checks on the settings, in ``order`` (the two differ)."""
    for name in order:
        what, word, least = _IM2COL_RULES[name]
        h, w = settings[name]
        if h < least or w < least:
            raise RuntimeError(f"{what}, but got {word}_height: {h} {word}_width: {w}")


def _im2col_dtype(input, kernel):
    """The kernels take floating, complex and bool inputs, not integer ones (after the shape checks)."""
    if _np_kind(input._data.dtype) in "iu":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    _check(input, "im2col")
    k, d, p, st = _im2col_ints("im2col", (("kernel_size", kernel_size), ("dilation", dilation),
                                          ("padding", padding), ("stride", stride)))
    _im2col_values(("kernel_size", "dilation", "padding", "stride"),
                   {"kernel_size": k, "dilation": d, "padding": p, "stride": st})
    if input.ndim < 3 and (input.ndim != 2 or input.shape[1]):
        # ATen reads the sizes of dims 1 and 2 (is either empty?) before it checks the rank
        if input.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        n = input.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [-{n}, {n - 1}], but got {n})")
    if input.ndim not in (3, 4) or 0 in tuple(input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    H, W = input.shape[-2], input.shape[-1]
    blocks = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip((H, W), p, d, k, st))
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size={k}, dilation={d}, padding={p}, "
                           f"calculated shape of the array of sliding blocks as {blocks}, but its components must be "
                           "at least one.")
    _im2col_dtype(input, "im2col_out_cpu")
    return _conv.unfold_op(input, k, st, (p[0], p[0], p[1], p[1]), d)   # (unbatched too: its node on the input)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    _check(input, "col2im")
    o, k, d, p, st = _im2col_ints("col2im", (("output_size", output_size), ("kernel_size", kernel_size),
                                             ("dilation", dilation), ("padding", padding), ("stride", stride)))
    _im2col_values(("kernel_size", "stride", "dilation", "padding"),
                   {"kernel_size": k, "dilation": d, "padding": p, "stride": st})
    if input.ndim not in (2, 3) or 0 in tuple(input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    c = input.shape[-2]
    if c % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={c} and kernel_size={k}.")
    blocks = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(o, p, d, k, st))
    if blocks[0] * blocks[1] != input.shape[-1]:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={st}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks {blocks[0]} "
                           f"* {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={input.shape[-1]}.")
    if min(blocks) < 1:   # (two negative counts whose product matches)
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={st}, calculated "
                           f"shape of the array of sliding blocks as {blocks}, which is too small (non-positive)")
    if min(o) < 1:
        raise RuntimeError(f"Expected output spatial size to be positive, but got: output_size={o}.")
    _im2col_dtype(input, "col2im_out_cpu")
    return _conv.fold_op(input, o, k, st, (p[0], p[0], p[1], p[1]), d)
