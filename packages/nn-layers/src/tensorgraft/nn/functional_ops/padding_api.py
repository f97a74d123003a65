"""``F.pad``: the argument checks of PyTorch's ``pad`` (mode, length, the value only for "constant"),
then ``padding.py``'s constant or index-gather op. Separate from ``padding.py`` (kernels and formulas,
registered at plugin load) and from the convolutions, which use it for padding='same'.
"""
from __future__ import annotations

import math
from tensorgraft.argument_errors import c_type_name

import numpy as np

from tensorgraft.amp._state import state as _autocast
from tensorgraft.ops import _frontend as _F
from tensorgraft.tensor import Tensor

from . import padding as _padding
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
from tensorgraft.dtypes import np_kind as _np_kind


def _is_int(v):
    """An int as PyTorch's argument parser takes one in a "tuple of ints": Python/NumPy ints (not
    bool) and integer tensors of one element."""
    if isinstance(v, Tensor):
        return _np_kind(v._data.dtype) in "iu" and v._data.size == 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_args(pad, mode, value, fname="pad"):
    """PyTorch's argument parser on ``pad``'s arguments: before, a float amount was truncated and a
    padding of 1.5 made a wider tensor, where PyTorch raises a TypeError. (``fname``: the function
    the parser names, ``constant_pad_nd`` for the ATen op, which checks its value itself.)"""
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'pad' (position 2) must be tuple of ints, not {c_type_name(pad)}")
    for i, e in enumerate(pad):
        if not _is_int(e):
            if i == 0:
                raise TypeError(f"{fname}(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                                f"type {c_type_name(e)} at pos 0")
            # (PyTorch's parser takes a sequence by its first element, then fails while unpacking;
            # its "pos" is then the element's 1-based place)
            raise TypeError(f"{fname}(): argument 'pad' failed to unpack the object at pos {i + 1} with error \"type "
                            f"must be tuple of ints,but got {c_type_name(e)}\"")
    if fname != "pad":
        return tuple(int(e) for e in pad)
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {c_type_name(mode)}")
    if value is not None and not isinstance(value, (int, float, np.integer, np.floating, Tensor)):
        raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {c_type_name(value)}")
    return tuple(int(e) for e in pad)


def _crop_checks(shape, pad):
    """The crops by negative pads (narrow's error where one crops more than is there); returns
    whether any pad is positive, so that the value is written somewhere."""
    nd, k = len(shape), len(pad) // 2
    any_positive = False
    for dim in range(nd - k, nd):
        n = shape[dim]
        lo, hi = pad[2 * (nd - dim - 1)], pad[2 * (nd - dim - 1) + 1]
        for amount, cropped in ((lo, n + lo), (hi, n + min(lo, 0) + hi)):
            if amount < 0 and cropped < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            any_positive = any_positive or amount > 0
    return any_positive


def constant_pad_nd(input, pad, value=0):
    """``torch.constant_pad_nd``: F.pad's constant mode as the ATen op, whose ``value`` is a Scalar,
    not F.pad's float: a complex number pads a complex tensor (and enters a real one with a zero
    imaginary part), and it is converted as c10 converts a Scalar (-1 into a uint8 is 255, where
    F.pad's double overflows). Its own wording for the pad-length errors."""
    _check(input, "constant_pad_nd")
    pad = _check_args(pad, "constant", None, "constant_pad_nd")
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        value = bool(value)
    elif not isinstance(value, (int, float, complex, np.number)):
        raise TypeError(f"constant_pad_nd(): argument 'value' (position 3) must be Number, not "
                        f"{c_type_name(value)}")
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. Pad "
                           f"length is {len(pad)}while the input has {input.ndim}dimensions.")
    if not _crop_checks(tuple(input.shape), pad):
        return _padding.constant_pad(input, pad, 0)  # (a crop only: the value is never converted)
    npdtype = input._data.dtype
    if _np_kind(npdtype) == "b":
        value = bool(value)
    else:
        from tensorgraft.ops.creation.fills import checked_fill_value
        value = checked_fill_value(value, npdtype)
    return _padding.constant_pad(input, pad, value)


def _check_constant_pad(shape, pad, value, npdtype):
    """ATen's ``constant_pad_nd`` before it writes anything. It first crops by the negative pads,
    with ``narrow`` (outermost padded dim first, its left pad then its right one), so a pad that
    crops more than is there fails there, with narrow's message (this is the only error an output
    of negative size reaches). If no pad is positive, that crop is the result: the value is never
    converted. Otherwise the output is filled with ``value``, a double converted as c10 does:
    RuntimeError where it does not fit the dtype (300 or -1 into uint8, 1e100 into float32).
    Returns whether the value is written anywhere."""
    if not _crop_checks(shape, pad) or value is None:
        return False
    v, kind = float(value.item() if isinstance(value, Tensor) else value), _np_kind(npdtype)
    if kind == "f" and np.dtype(npdtype).itemsize == 1:  # (the 8-bit floats: c10's range and infinity checks)
        from tensorgraft.ops.creation.fills import checked_fill_value
        checked_fill_value(v, npdtype)
        return True
    if kind == "b" or (kind in "fc" and not math.isfinite(v)):
        return True
    if kind in "iu":
        info = np.iinfo(npdtype)
        fits = info.min <= v <= info.max   # (False for NaN and the infinities)
    else:
        fits = abs(v) <= _FLOAT_MAX[np.dtype(npdtype).name]
    if not fits:
        name = _F._CONVERT_NAMES.get(np.dtype(npdtype).name) or _COMPLEX_NAMES[np.dtype(npdtype).name]
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return True


_FLOAT_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38, "float32": 3.4028234663852886e38,
              "float64": math.inf, "complex64": 3.4028234663852886e38, "complex128": math.inf}
_COMPLEX_NAMES = {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def pad(input, pad, mode="constant", value=None):
    _check(input, "pad")
    pad = _check_args(pad, mode, value)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    # (the modes that index pad 1 to 3 trailing dims, each after one or two others: 8 pads on a
    # 5-D input are refused too)
    if mode != "constant" and (len(pad) > 6 or (input.ndim - len(pad) // 2) not in (1, 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "constant":
        fills = _check_constant_pad(tuple(input.shape), pad, value, input._data.dtype)
        return _padding.constant_pad(input, pad, value if fills else 0)
    if _autocast.on and mode != "circular":  # (reflection and replication pads: PyTorch's CPU float32 list)
        input, = _autocast.fp32_cpu(input)
    return _padding.index_pad(input, pad, mode)
