"""What every shape submodule uses: recording a result as a view of its input or as a copy
(``_finish_view`` / ``_finish_copy``), and fast paths in front of ``_args``' parsers for dims,
shapes and int arguments (plain in-range ints skip the general code: shape ops run per step in
training loops)."""
from __future__ import annotations

import numbers

from ...grad_mode import state as _gs
from ...tensor import Size, Tensor, wrap, wrap_view
from .._args import infer_size, shape_arg, wrap_dim


def _finish_view(op, input, data, attrs, node_name=None):
    out = wrap_view(data, input)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)
    return out


def _finish_copy(op, input, data, attrs, node_name=None):
    out = wrap(data, input._device)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)
    return out


def _wd(d, nd, fname=None, argname="dim"):
    """``wrap_dim`` with a fast path for plain in-range ints (the per-op hot path)."""
    if d.__class__ is int:
        n = nd if nd else 1
        if -n <= d < n:
            return d + n if d < 0 else d
    return wrap_dim(d, nd, fname, argname)


def _shape(args, fname):
    """``shape_arg`` with a fast path for plain ints."""
    if len(args) == 1 and args[0].__class__ in (tuple, list, Size):
        args = args[0]
    for a in args:
        if a.__class__ is not int:
            return shape_arg(tuple(args), fname)
    return tuple(args)


def _infer(shape, numel, fname):
    """``infer_size`` with a fast path for fully specified, matching shapes."""
    if -1 not in shape:
        n = 1
        for v in shape:
            n *= v
        if n == numel and (not shape or min(shape) >= 0):
            return shape
    elif numel == 0 and shape.count(-1) == 1 and 0 in shape:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    return infer_size(shape, numel, fname)


def _int_arg(v, fname, argname):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{argname}' must be int, not {type(v).__name__}")
    return int(v)


def _dims_arg(dims, fname):
    """``flip(0, 1)`` / ``flip((0, 1))`` / ``flip([0, 1])`` -> tuple of ints."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(_int_arg(d, fname, "dims") for d in dims)
