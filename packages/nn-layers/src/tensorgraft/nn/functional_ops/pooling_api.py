"""The 1-D/2-D pooling frontends of ``nn.functional``: max, average and adaptive pools and PyTorch's
``*_with_indices`` spellings (3-D ones included), with ATen's argument checks in its order.

1-D pools run as 2-D ones of height one, as ATen's, so their messages and nodes match; the kernels
and formulas are ``pooling.py``'s. The 3-D pools are ``pooling3d.py``'s own functions; LP,
fractional and max-unpool pools have files of their own.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from tensorgraft.ops._args import bad_int_list_item
from tensorgraft.tensor import Tensor

from . import pooling as _pool
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
from .conv_api import _pair
from .pooling3d import adaptive_max_pool3d, check_int_tuples, max_pool3d
from tensorgraft.dtypes import np_kind as _np_kind


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


def _max_pool2d_args(kernel_size, stride, padding, dilation):
    """The (H, W) pairs of max_pool2d's arguments, refused with ATen's messages when of another length."""
    def seq(v, what, must):
        if isinstance(v, (tuple, list)):
            if len(v) not in (1, 2):
                raise RuntimeError(f"max_pool2d: {what} {must}")
            return tuple(int(a) for a in v) * (2 // len(v))
        return (int(v),) * 2
    k = seq(kernel_size, "kernel_size", "must either be a single int, or a tuple of two ints")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        seq(stride, "stride", "must either be omitted, a single int, or a tuple of two ints")
    p = seq(padding, "padding", "must either be a single int, or a tuple of two ints")
    d = seq(dilation, "dilation", "must be either a single int, or a tuple of two ints")
    return k, s, p, d


def _max_pool2d_checks(shape, k, s, p, d, ceil_mode):
    """ATen's max_pool2d checks in its order: the rank, then the output size per dim (zero stride,
    padding against the dilated kernel), then signs of kernel/stride/dilation, empty dims, padding
    against the kernel itself, and an output too small. Without them a zero stride reached a Python
    division and a zero dilation or kernel gave a wrong result instead of PyTorch's error."""
    if len(shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    outs = []
    for n, kk, ss, pp, dd in zip(shape[-2:], k, s, p, d):
        if ss == 0:
            raise RuntimeError("stride should not be zero")
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        half = (kk - 1) * dd + 1
        if pp > (half // 2 if half >= 0 else -(-half // 2)):  # (C division, toward zero)
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
        outs.append(_pool.pool_out(n, kk, ss, pp, dd, ceil_mode))
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if any(n == 0 for n in shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                           f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if outs[0] < 1 or outs[1] < 1:
        C, H, W = shape[-3:]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{outs[0]}x{outs[1]}). "
                           "Output size is too small")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    name = "max_pool2d_with_indices" if return_indices else "max_pool2d"  # (PyTorch's op of each)
    _check(input, name)
    check_int_tuples(name, ("kernel_size", 2, kernel_size),
                     ("stride", 3, stride), ("padding", 4, padding), ("dilation", 5, dilation))
    k, s, p, d = _max_pool2d_args(kernel_size, stride, padding, dilation)
    _max_pool2d_checks(tuple(input.shape), k, s, p, d, ceil_mode)
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
    name = "max_pool1d_with_indices" if return_indices else "max_pool1d"  # (PyTorch's op of each)
    _check(input, name)
    check_int_tuples(name, ("kernel_size", 2, kernel_size),
                     ("stride", 3, stride), ("padding", 4, padding), ("dilation", 5, dilation))
    # (PyTorch's kernels with and without indices word it differently; the one without also refuses
    # empty channel or length dims here, the other in the 2-D pool's checks)
    if input.ndim not in (2, 3) or (not return_indices and 0 in input.shape[-2:]):
        if not return_indices:
            raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                               f"input, but got:{list(input.shape)}")
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for max_pool1d)")
    if not return_indices:
        _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode)
        # PyTorch's own 1-D kernel (used without indices) is for floating types only, while the
        # 2-D one behind return_indices=True also takes integers
        _not_floating(input, "max_pool1d_impl")
    # (parsed without _pool_args' padding check: ATen's 2-D checks below weigh the padding against
    # the dilated kernel first)
    k, p, d = _pair(kernel_size, 1), _pair(padding, 1), _pair(dilation, 1)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, 1)
    # as ATen: the 2-D pool's checks on a height of one (its messages name that shape)
    _max_pool2d_checks(tuple(input.shape[:-1]) + (1, input.shape[-1]), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]),
                       ceil_mode)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
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
        if pp > int(kk / 2):  # (C's integer division, toward zero: a kernel of -1 passes with pad 0)
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
    if _np_kind(dt) != "f" and dt != np.int64:  # ATen's kernel: floating types and Long only
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
    check_int_tuples("avg_pool2d", ("kernel_size", 2, kernel_size), ("stride", 3, stride), ("padding", 4, padding))
    k, s, p = _avg_args(kernel_size, stride, padding, 2, "avg_pool2d")
    if 0 < input.ndim < 3:  # ATen reads input.size(-3) first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but "
                         "got -3)")
    _avg_pool2d_checks(input, k, s, p, ceil_mode, divisor_override, tuple(input.shape))
    return _pool.avg_pool2d_op(input, k, s, p, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check(input, "avg_pool1d")
    check_int_tuples("avg_pool1d", ("kernel_size", 2, kernel_size), ("stride", 3, stride), ("padding", 4, padding))
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


def _check_size_types(output_size, name):
    """``output_size`` of the 2-D adaptive pools as PyTorch takes it: its Python wrapper measures
    anything but an int with ``len`` (so a float fails there) and fills in ``None`` items; the
    argument parser then refuses items that are not ints (a float must not be truncated)."""
    if not isinstance(output_size, (tuple, list)):
        if not isinstance(output_size, (int, np.integer, Tensor)):
            raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
        return
    items = [v for v in output_size if v is not None]
    if items and not _is_int_size(items[0]):
        raise TypeError(f"{name}(): argument 'output_size' (position 2) must be tuple of ints, but found element of "
                        f"type {c_type_name(items[0])} at pos 0")
    err = bad_int_list_item(name, "output_size", [0 if v is None else v for v in output_size])
    if err is not None:
        raise err


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
    if _np_kind(input._data.dtype) != "f":
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")


def _requested_hw(input, output_size):
    """The (H, W) asked for, ``None`` taking the input's own; ``None`` when the sequence is longer than
    the input has dims (``_adaptive_input_check`` refuses that first, as PyTorch's Python wrapper)."""
    o = _pair(output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if isinstance(output_size, (tuple, list)) and input.ndim <= len(o):
        return None
    return tuple(input.shape[i - 2] if v is None else int(v) for i, v in enumerate(o))


def adaptive_avg_pool2d(input, output_size):
    _check(input, "adaptive_avg_pool2d")
    if output_size.__class__ is not int:
        _check_size_types(output_size, "adaptive_avg_pool2d")
    hw = _requested_hw(input, output_size)
    if hw is not None and len(hw) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    if hw is not None and min(hw) < 0:  # (before the rank; a negative size gave an empty result)
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{hw[0]}, {hw[1]}}}")
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
        return _np_kind(v._data.dtype) in "iu" and v._data.size == 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _one_output_size(output_size, name):
    """``output_size`` of the 1-D adaptive pools: an int or a sequence of one int (no ``None``, unlike
    the 2-D/3-D pools), refused with the messages of PyTorch's argument parser."""
    must = f"{name}(): argument 'output_size' (position 2) must be tuple of ints"
    if isinstance(output_size, (tuple, list)):
        for i, e in enumerate(output_size):
            if not _is_int_size(e):
                if i == 0:
                    raise TypeError(f"{must}, but found element of type {c_type_name(e)} at pos 0")
                # (PyTorch's parser takes a sequence by its first element, then fails while unpacking)
                raise TypeError(f"{name}(): argument 'output_size' failed to unpack the object at pos 2 with error "
                                f"\"type must be tuple of ints,but got {c_type_name(e)}\"")
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
    if output_size.__class__ is not int:
        _check_size_types(output_size, "adaptive_max_pool2d")
    _adaptive_input_check(input, "adaptive_max_pool2d", output_size, ":")
    if isinstance(output_size, (tuple, list)) and len(output_size) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    H, W = input.shape[-2:]
    hw = _out_hw(output_size, H, W)
    if min(hw) < 0:  # (ATen finds it making the output, before the dtype; Python's max() of no bins failed)
        shape = list(input.shape[:-2]) + list(hw)
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(v for v in hw if v < 0)}: {shape}")
    _not_floating(input, "adaptive_max_pool2d")  # ATen's kernel: floating types only
    out, idx = _pool.adaptive_max_pool2d_op(input, hw)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    size = _adaptive_1d_input(input, "adaptive_max_pool1d", output_size)
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), True)
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out


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
