"""``segment_reduce``: PyTorch's reduction of consecutive runs ("segments") of a tensor along one
axis, each run's length given by ``lengths`` (or by the differences of ``offsets``).

Built from tensorgraft ops (``narrow``, ``sum``/``amax``/``amin``/``prod``, ``stack``), so the
values and gradients are those ops' -- ties in ``max``/``min`` share the gradient equally, as in
PyTorch -- and the result's ``grad_fn`` is ``StackBackward0`` where PyTorch records one
``SegmentReduceBackward0``. Segments are walked in Python: one op per segment, fine for the
hundreds of segments this is used with, not for millions.
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from .tensor import Tensor

__all__ = ["segment_reduce"]

_REDUCTIONS = ("sum", "mean", "max", "min", "prod")
# what an empty segment holds when no ``initial`` is given (PyTorch's kernel's starting values)
_EMPTY = {"sum": 0.0, "mean": float("nan"), "max": float("-inf"), "min": float("inf"), "prod": 1.0}
_FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")
_CHECK_FAILED = ("  (Could this error message be improved?  If so, please report an enhancement request to "
                 "PyTorch.)")


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduce ``data`` along ``axis`` in consecutive segments, given as ``lengths`` or ``offsets``,
    with ``reduce`` one of sum, mean, max, min, prod; an empty segment gives ``initial`` (or the
    reduction's identity). ``unsafe=True`` skips checking that the lengths cover ``data``."""
    _check_argument_types(data, reduce, lengths, indices, offsets, axis, unsafe, initial)
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not -max(data.dim(), 1) <= axis < max(data.dim(), 1):
        low, high = -max(data.dim(), 1), max(data.dim(), 1) - 1
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {axis})")
    axis %= max(data.dim(), 1)
    given, what = (lengths, "lengths") if lengths is not None else (offsets, "offsets")
    if data.dim() < given.dim():
        raise RuntimeError(f"Expected data.dim() >= {what}_value.dim() to be true, but got false.{_CHECK_FAILED}")
    if axis != given.dim() - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of {what} but got {axis}.")
    if given.dtype.name not in ("int32", "int64"):
        kernel = "_segment_reduce_lengths_cpu_kernel1" if lengths is not None else "_segment_reduce_offsets_cpu_kernel1"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{given.dtype.scalar_type}\'')
    if data.dtype.name not in _FLOAT_NAMES:
        raise NotImplementedError(f'"_segment_reduce_cpu" not implemented for \'{data.dtype.scalar_type}\'')
    if tuple(given.shape[:-1]) != tuple(data.shape[:axis]):  # (PyTorch reads past the end here)
        raise RuntimeError(f"segment_reduce(): Expected the leading sizes of {what} {tuple(given.shape[:-1])} to "
                           f"match data's {tuple(data.shape[:axis])}.")
    spans = _segment_spans(np.asarray(given.cpu()._data, dtype=np.int64), lengths is not None, data.shape[axis],
                           unsafe)
    return _reduce_rows(data, spans, axis, reduce, initial)


def _check_argument_types(data, reduce, lengths, indices, offsets, axis, unsafe, initial):
    """PyTorch's argument parser's refusals."""
    if not isinstance(data, Tensor):
        raise TypeError(f"segment_reduce(): argument 'data' (position 1) must be Tensor, not {c_type_name(data)}")
    if not isinstance(reduce, str):
        raise TypeError(f"segment_reduce(): argument 'reduce' (position 2) must be str, not {c_type_name(reduce)}")
    for name, value in (("lengths", lengths), ("indices", indices), ("offsets", offsets)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"segment_reduce(): argument '{name}' must be Tensor, not {c_type_name(value)}")
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"segment_reduce(): argument 'axis' must be int, not {c_type_name(axis)}")
    if not isinstance(unsafe, bool):
        raise TypeError(f"segment_reduce(): argument 'unsafe' must be bool, not {c_type_name(unsafe)}")
    if initial is not None and not isinstance(initial, numbers.Number):
        raise TypeError(f"segment_reduce(): argument 'initial' must be Number, not {c_type_name(initial)}")
    if isinstance(initial, complex):
        raise RuntimeError("value cannot be converted to type float without overflow")


def _segment_spans(given, are_lengths, size, unsafe):
    """(start, length) of every segment, per row of ``given``'s leading dimensions."""
    rows = given.reshape(-1, given.shape[-1]) if given.ndim else given.reshape(1, 1)
    if are_lengths:
        lengths = rows
        starts = np.concatenate([np.zeros((len(rows), 1), np.int64), np.cumsum(rows, axis=1)[:, :-1]], axis=1)
        if not unsafe:
            if (lengths < 0).any():
                raise RuntimeError("lengths contains negative value!")
            if (lengths.sum(axis=1) != size).any():
                raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                                   "data.size(lengths.dim()-1) when !unsafe.")
    else:
        starts, lengths = rows[:, :-1], np.diff(rows, axis=1)
        if (lengths < 0).any():
            raise RuntimeError(f"Expected segment_length >= 0 to be true, but got false.{_CHECK_FAILED}")
    if ((starts < 0) | (starts + lengths > size)).any():  # (PyTorch reads outside the tensor here)
        raise RuntimeError(f"segment_reduce(): the segments reach outside data, whose size along axis is {size}")
    return [list(zip(s.tolist(), n.tolist())) for s, n in zip(starts, lengths)], given.shape[:-1]


def _reduce_rows(data, spans, axis, reduce, initial):
    import tensorgraft as tg
    rows, batch_shape = spans
    if not batch_shape:  # lengths is 1-D: one row of segments over the whole tensor
        return _reduce_segments(tg, data, rows[0], axis, reduce, initial)
    # lengths has leading dimensions: each leading index has its own segments
    outs = [_reduce_segments(tg, data[index], row, 0, reduce, initial)
            for index, row in zip(np.ndindex(*batch_shape), rows)]
    return tg.stack(outs).reshape(*batch_shape, *outs[0].shape)


def _reduce_segments(tg, data, segments, axis, reduce, initial):
    outs = []
    cell_shape = data.shape[:axis] + data.shape[axis + 1:]
    for start, length in segments:
        if length == 0:
            fill = _EMPTY[reduce] if initial is None else initial
            outs.append(tg.full(cell_shape, fill, dtype=data.dtype, device=data.device))
            continue
        seg = data.narrow(axis, start, length)
        if reduce in ("sum", "mean"):
            out = seg.sum(axis)
            if initial is not None:
                out = out + initial
            if reduce == "mean":
                out = out / length
        elif reduce == "prod":
            out = seg.prod(axis)
            if initial is not None:
                out = out * initial
        else:
            out = seg.amax(axis) if reduce == "max" else seg.amin(axis)
            if initial is not None:
                bound = tg.full(cell_shape, initial, dtype=data.dtype, device=data.device)
                out = tg.maximum(out, bound) if reduce == "max" else tg.minimum(out, bound)
        outs.append(out)
    if not outs:
        return data.new_empty(data.shape[:axis] + (0,) + data.shape[axis + 1:])
    return tg.stack(outs, axis)
