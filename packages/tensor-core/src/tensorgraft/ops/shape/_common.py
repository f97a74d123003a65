"""What every shape submodule uses: recording a result as a view of its input or as a copy
(``_finish_view`` / ``_finish_copy``), and fast paths in front of ``_args``' parsers for dims,
shapes and int arguments (plain in-range ints skip the general code: shape ops run per step in
training loops)."""
from __future__ import annotations

import numbers

from ...grad_mode import state as _gs
from ...tensor import Size, Tensor, wrap, wrap_view
from .._args import (REQUIRED, arg_position, infer_size, invalid_combination, is_int, missing_args, shape_arg,
                     wrap_dim, wrong_type)


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
    seq = args[0] if len(args) == 1 and args[0].__class__ in (tuple, list, Size) else args
    for a in seq:
        if a.__class__ is not int:
            return shape_arg(args, fname)  # (as given: its errors tell ``f(2, 2.5)`` from ``f((2, 2.5))``)
    return tuple(seq)


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


def _int_arg(v, fname, argname, overloads=None, args=()):
    """An int argument; refused in PyTorch's words for a keyword of that name, or, for an op of
    several signatures (``overloads``), as the call ``args``."""
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        if overloads is not None:
            raise invalid_combination(fname, args, overloads=overloads)
        raise wrong_type(fname, argname, "int", v)
    return int(v)


def _dims_arg(dims, fname):
    """``flip(0, 1)`` / ``flip((0, 1))`` / ``flip([0, 1])`` -> tuple of ints."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(_int_arg(d, fname, "dims") for d in dims)



def _int_params(fname, args, values, names, method, defaults=()):
    """The int arguments of an op whose errors PyTorch words itself (``transpose``, ``unsqueeze``,
    ``flatten``), off the fast path: ``args`` (given positionally after the tensor) spread over
    ``names`` (``values``: the keywords given, ``REQUIRED`` where absent), then checked as
    PyTorch's parser does -- a wrong type first, with its ``(position N)`` when it came
    positionally, then what is missing. ``defaults``: those of the last names (optional ones)."""
    n = len(args)
    if n > len(names):
        lo, hi = len(names) - len(defaults) + (not method), len(names) + (not method)
        took = f"{hi} positional argument{'s' if hi != 1 else ''}" if lo == hi else \
            f"from {lo} to {hi} positional arguments"
        raise TypeError(f"{fname}() takes {took} but {n + (not method)} were given")
    values = list(values)
    for i, a in enumerate(args):
        if values[i] is not REQUIRED:
            raise TypeError(f"{fname}() got multiple values for argument '{names[i]}'")
        values[i] = a
    for i, v in enumerate(values):
        if v is not REQUIRED and v.__class__ is not int and not is_int(v):
            raise wrong_type(fname, names[i], "int", v, arg_position(i, n, method))
    first_optional = len(names) - len(defaults)
    for i in range(first_optional, len(names)):
        if values[i] is REQUIRED:
            values[i] = defaults[i - first_optional]
    missing = [names[i] for i, v in enumerate(values) if v is REQUIRED]
    if missing:
        raise missing_args(fname, *missing)
    return values
