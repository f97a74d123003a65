"""repeat, tile and repeat_interleave: copies that replicate elements (``expand``, in
``squeeze_expand``, is the view that replicates without copying)."""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, wrap
from .._frontend import check_tensor
from .._args import invalid_combination, is_int, shape_arg, wrap_dim
from .._define import defop
from ._common import _finish_copy


# --------------------------------------------------------------------------- repeat / tile
def _repeat_kernel(xp, a, reps):
    a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
    return xp.tile(a, reps)


def _repeat_frontend(op):
    table = op.table

    def repeat(input, *sizes):
        check_tensor(input, "repeat")
        a = input._data
        reps = shape_arg(sizes, "repeat")
        if len(reps) < a.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               "tensor")
        if any(r < 0 for r in reps):
            # PyTorch checks the sizes of the result (a size times its repeats), so a negative
            # repeat of an empty dimension is no error
            padded = (1,) * (len(reps) - a.ndim) + a.shape
            out = [n * r for n, r in zip(padded, reps)]
            for n in out:
                if n < 0:
                    raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {out}")
            reps = tuple(max(r, 0) for r in reps)
        return _finish_copy(op, input, table[input._device.type](a, reps), {"reps": reps, "shape": a.shape})
    return repeat


defop("repeat", kernel=_repeat_kernel, frontend=_repeat_frontend, public=False)


def _tile(input, *dims_args, dims=None):
    """``torch.tile(input, dims)``; the method also takes the repeats spread out (``x.tile(2, 2)``)."""
    check_tensor(input, "tile")
    if dims is None and not dims_args:
        raise TypeError("tile() missing 1 required positional arguments: \"dims\"")
    reps = shape_arg(dims_args if dims is None else (dims,), "tile")
    nd = input._data.ndim
    if len(reps) < nd:
        reps = (1,) * (nd - len(reps)) + reps
    return input.repeat(*reps)


defop("tile", frontend=lambda op: _tile, differentiable=False)


_REPEAT_INTERLEAVE_OVERLOADS = tuple(f"{r} repeats, int dim = None, *, SymInt output_size = None"
                                     for r in ("Tensor", "SymInt"))


def _repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """A number of repeats goes as PyTorch's decomposition goes (unsqueeze, expand, contiguous copy,
    view: ``ViewBackward0`` over ``CloneBackward0``, the result a view of the copy); a tensor of
    repeats through index_select (``IndexSelectBackward0``)."""
    from ..creation import tensor as _tensor
    check_tensor(input, "repeat_interleave")
    if repeats is None:  # repeat_interleave(repeats) -> indices, of the repeats' dtype
        if input._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if input.dtype not in (_dt.int64, _dt.int32):
            from ..creation._common import _not_implemented
            raise _not_implemented("repeat_interleave_cpu", input.dtype)
        reps = input._host()
        _check_repeats(reps, output_size)
        idx = np.repeat(np.arange(reps.size, dtype=reps.dtype), reps)
        return wrap(_to(idx, input._device), input._device)
    if not isinstance(repeats, Tensor) and not is_int(repeats) or dim is not None and not is_int(dim):
        # shown as the method is called, repeats positionally (a float count must not be truncated)
        raise invalid_combination("repeat_interleave", (repeats,), {} if dim is None else {"dim": dim},
                                  _REPEAT_INTERLEAVE_OVERLOADS)
    x = input
    shown_dim = 0 if dim is None else dim
    if dim is None:
        x = input.reshape(-1)
        dim = 0
    if not isinstance(repeats, Tensor):
        count = int(repeats)
        d = wrap_dim(dim, x._data.ndim)
        if count < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = list(x._data.shape)
        if output_size is not None and output_size != count * (shape[d] if shape else 1):
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {count * (shape[d] if shape else 1)} "
                               f"but got {output_size}")
        wide = x.unsqueeze(d + 1)  # a 0-d input fails here, with PyTorch's dimension error
        sizes = shape[:d + 1] + [count] + shape[d + 1:]
        shape[d] *= count
        # a copy even when the expanded tensor is already dense (one or no repeats), as PyTorch's
        from ...memory_layout import contiguous_format
        return wide.expand(*sizes).clone(memory_format=contiguous_format).view(*shape)
    if x._data.ndim == 0:  # (a tensor of repeats: PyTorch's older dim check, no wrapping of a 0-d dim)
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.dtype not in (_dt.int64, _dt.int32):
            from ..creation._common import _not_implemented
            raise _not_implemented("repeat_interleave_cpu", repeats.dtype)
        r = repeats._host().astype(np.int64).reshape(-1)
        if r.size == 1:
            r = np.full(n, int(r[0]))
        elif r.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({shown_dim}) = {n}")
    else:
        r = np.full(n, int(repeats))
    _check_repeats(r, output_size)
    idx = _tensor(np.repeat(np.arange(n), r), device=x._device)
    if x._data.ndim == 0:
        x = x.reshape(1)
    return x.index_select(d, idx)


def _check_repeats(r, output_size):
    """PyTorch's checks of a tensor of repeats: a given ``output_size`` must be their sum (checked
    first), and none may be negative."""
    if output_size is not None and r.size:
        if output_size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {output_size}: [{output_size}]")
        if int(r.sum()) != output_size:
            raise RuntimeError("allocated size does not match required size")
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")


def _to(arr, device):
    if device.type == "cpu":
        return arr
    from ..conversion import move_array
    from ...device import device as D
    return move_array(arr, D("cpu"), device)


defop("repeat_interleave", frontend=lambda op: _repeat_interleave, differentiable=False)
