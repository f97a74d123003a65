"""``BatchedTensor``: what the function inside a vectorized ``vmap`` sees in place of each mapped
input. It holds the *physical* tensor (all samples at once, the mapped dimension moved to dim 0),
the vmap level it belongs to and the batch size, and reports the *logical* (per-sample) shape.

Every function, method, operator and property that reaches one goes through tensorgraft's
``__torch_function__`` protocol to ``dispatch``, which finds the batching rule of the function
(``_rules_*.py``) or falls back to running it once per sample (``_fallback.py``). Nested vmaps:
the physical tensor of an inner level may itself be a BatchedTensor of an outer level; a rule
handles only the innermost level among its arguments and computes with ordinary ops on the
physical tensors, which dispatch again to the outer level.

Why the tensor's own ``_data`` is the first sample's memory (a zero-copy view of the physical
array): the few Tensor methods PyTorch never dispatches (``stride``, ``new_zeros``...) read it,
and it gives the logical shape, ndim and dtype for free."""
from __future__ import annotations

import itertools

import numpy as np

from tensorgraft.tensor import Size, Tensor

from .._custom_functions import vectorized as _vectorized_state

__all__ = ["BatchedTensor", "make_batched", "active_levels", "new_level"]


# (the per-thread state lives in ``_custom_functions.py``, where the transforms' hooks read it
# without importing this package)
here = _vectorized_state
_next_level = itertools.count(1)


def new_level() -> int:
    return next(_next_level)


def active_levels():
    return here.levels


class BatchedTensor(Tensor):
    """A tensor batched at one vmap level (see the module docstring)."""

    # ``_source``: (tensor, in_dim) for a vmap input whose mapped dim was not 0 (a custom
    # Function's vmap rule gets the input as it was, with its real in_dim, as in PyTorch)
    __slots__ = ("_physical", "_level", "_bsize", "_source")

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        from ._dispatch import dispatch
        return dispatch(func, args, kwargs or {})

    def __repr__(self, *args, **kwargs):
        # (reached through ``__torch_function__`` as ``Tensor.__repr__``; see _rules_meta)
        return batched_repr(self)


def batched_repr(t) -> str:
    inner = repr(t._physical).replace("\n", "\n    ")
    return f"BatchedTensor(lvl={t._level}, bdim=0, value=\n    {inner}\n)"


_new = object.__new__


class _FirstSample(np.ndarray):
    """The first sample's memory as a BatchedTensor's own ``_data``: its shape, strides and dtype
    may be read, but computing with it means a function that never dispatches got the
    BatchedTensor (one captured before dispatch turned on, say) and would silently see only the
    first sample: refused instead."""

    def __array_ufunc__(self, *args, **kwargs):
        raise RuntimeError(_NOT_DISPATCHED_MSG)

    def __array_function__(self, *args, **kwargs):
        raise RuntimeError(_NOT_DISPATCHED_MSG)


_NOT_DISPATCHED_MSG = (
    "vmap (vectorized): a tensorgraft function that does not dispatch through __torch_function__ was called on a "
    "batched tensor. This happens with a function object taken before dispatch was turned on (a default argument, "
    "an attribute, a closure over `tensorgraft.<name>` looked up early): look the function up through the module "
    "(`torch.mv`) at call time, or run the program with TENSORGRAFT_VMAP unset.")


def make_batched(physical, level: int) -> BatchedTensor:
    """``physical`` (batch dimension first) as a BatchedTensor of ``level``. Nesting is kept in
    order, the innermost (highest) level outermost: a ``physical`` batched at a higher level (a
    value made inside a deeper vmap, wrapped by a transform of this one) has the two swapped."""
    if physical.__class__ is BatchedTensor and physical._level > level:
        inner = physical._physical  # (B_high, B_level, ...) logically: this level's dim goes in front
        return make_batched(make_batched(inner.movedim(1, 0), level), physical._level)
    data = physical._data  # (an outer BatchedTensor's: its first sample, whose dim 0 is this batch)
    t = _new(BatchedTensor)
    size = data.shape[0]
    first = data[0] if size else _empty_like(data, data.shape[1:])
    if first.__class__ is np.ndarray:
        first = first.view(_FirstSample)
    t._data = first
    t._physical = physical
    t._level = level
    t._bsize = size
    t._source = None
    t._device = physical._device
    t._requires_grad = False
    t.grad_fn = None
    t._grad = None
    t._vc = physical._vc
    t._output_nr = 0
    t._extra = None
    t._base = None
    return t


def contains_level(x, level) -> bool:
    while x.__class__ is BatchedTensor:
        if x._level == level:
            return True
        if x._level < level:
            return False
        x = x._physical
    return False


def peel(x, level: int, size: int, expand: bool = True):
    """``x`` with ``level`` taken out wherever it sits in the nesting, as a tensor of logical shape
    ``(size, *x's logical shape)`` (deeper levels stay batched around it); a tensor not batched at
    ``level`` is expanded (``expand``) or returned as it is."""
    if x.__class__ is BatchedTensor:
        if x._level == level:
            return x._physical
        if x._level > level and contains_level(x._physical, level):
            inner = peel(x._physical, level, size)  # (size, B_high, ...) logically
            return make_batched(inner.movedim(1, 0), x._level)
    if expand and isinstance(x, Tensor):
        return x.unsqueeze(0).expand((size,) + tuple(x.shape))
    return x


def replicate(p, n: int):
    """Physical ``p`` (B, ...) repeated ``n`` times along its batch dim: (n * B, ...), n-major."""
    shape = tuple(p.shape)
    return p.unsqueeze(0).expand((n,) + shape).reshape((n * shape[0],) + shape[1:])


def _empty_like(data, shape):
    """A stand-in for the first sample of an empty batch (NumPy, or the device's array type)."""
    if isinstance(data, np.ndarray):
        return np.zeros(shape, dtype=data.dtype)
    return type(data)(shape, dtype=data.dtype)


def logical_shape(t) -> Size:
    return Size(t._data.shape)
