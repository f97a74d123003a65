"""The fallback for functions without a batching rule: run the function once per sample, on
``physical[b]`` (unbatched arguments as they are), and stack the tensor results along dim 0.
Correct for any pure function, under autograd too (select and stack are differentiable), at
the cost of a Python loop. In-place methods on a batched ``self`` loop over views of it; one that
would write a batched value into an unbatched tensor is refused with PyTorch's messages."""
from __future__ import annotations

import numpy as np

from tensorgraft.tensor import Tensor

from .._vmap_guards import (
    _ATEN_NAMES,
    _BOOL_MASK_MSG,
    _BROADCAST_CHECKED,
    _INPLACE_DUNDERS,
    _INPLACE_MSG,
    _INPLACE_NAMES,
    _NOT_WRITES,
)
from ._batched import active_levels
from ._common import at, wrap


def slice_tree(value, level, b):
    """``value`` with each BatchedTensor of ``level`` replaced by its sample ``b`` (a view)."""
    cls = value.__class__
    if cls is tuple or cls is list:
        return cls(slice_tree(v, level, b) for v in value)
    if cls is dict:
        return {k: slice_tree(v, level, b) for k, v in value.items()}
    if at(value, level):
        return value._physical.select(0, b)
    return value


def _stand_ins(value, level):
    """Zero samples shaped like one sample, for an empty batch (the function still runs once, so
    that the results' structure and shapes are known)."""
    cls = value.__class__
    if cls is tuple or cls is list:
        return cls(_stand_ins(v, level) for v in value)
    if cls is dict:
        return {k: _stand_ins(v, level) for k, v in value.items()}
    if at(value, level):
        p = value._physical
        return p.sum(0) if p.requires_grad and p.is_floating_point() else p.new_zeros(tuple(value._data.shape))
    return value


def stack_results(outs, level):
    """One batched result from the per-sample results (the structure of the first)."""
    import tensorgraft
    first = outs[0]
    if isinstance(first, Tensor):
        return wrap(tensorgraft.stack(list(outs)), level)
    cls = first.__class__
    if cls is tuple or cls is list:
        return cls(stack_results([o[i] for o in outs], level) for i in range(len(first)))
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return cls(*(stack_results([o[i] for o in outs], level) for i in range(len(first))))
    return first  # a Python value (a size, a dtype): the same for every sample


def _empty_results(out, level):
    cls = out.__class__
    if isinstance(out, Tensor):
        return wrap(out.unsqueeze(0)[:0], level)
    if cls is tuple or cls is list:
        return cls(_empty_results(o, level) for o in out)
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return cls(*(_empty_results(o, level) for o in out))
    return out


def is_inplace(name: str) -> bool:
    if name in _INPLACE_DUNDERS:
        return True
    return name.endswith("_") and not name.startswith("_") and not name.endswith("__") and name not in _NOT_WRITES


def refuse_inplace_into_unbatched(name, self, args, kwargs, level):
    """PyTorch's refusal of an in-place op that would write a value batched at ``level`` into
    ``self``, which is not batched there (the texts of ``_vmap_guards.py``)."""
    if name == "__setitem__" and _bool_mask_in(args[0] if args else None, level):
        raise RuntimeError(_BOOL_MASK_MSG)
    if name in _BROADCAST_CHECKED:
        other = args[0] if args else kwargs.get("other")
        shape = list(self.shape)
        slice_shape = list(np.broadcast_shapes(tuple(shape), tuple(getattr(other, "shape", ()))))
        sizes = [s for _, s, _ in active_levels()]
        raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape {sizes + slice_shape}")
    label = _INPLACE_NAMES.get(name)
    if name == "masked_fill_":
        mask = args[0] if args else kwargs.get("mask")
        if not at(mask, level):
            label = None
    if label is not None:
        raise RuntimeError(_INPLACE_MSG.format(name=label, where="in a vmap"))
    label = "aten::" + _ATEN_NAMES.get(name, name)
    raise RuntimeError(_INPLACE_MSG.format(name=label, where=f"at level {len(active_levels())}"))


def _bool_mask_in(index, level) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(at(i, level) and i.dtype == _bool() for i in items)


def _bool():
    import tensorgraft
    return tensorgraft.bool


def fallback(func, level, size, args, kwargs):
    """``func`` run once per sample (see the module docstring)."""
    name = getattr(func, "__name__", "")
    if is_inplace(name) and args:
        self = args[0]
        if not at(self, level):
            refuse_inplace_into_unbatched(name, self, args[1:], kwargs, level)
        for b in range(size):
            func(*slice_tree(args, level, b), **slice_tree(kwargs, level, b))
        return self
    if size == 0:
        return _empty_results(func(*_stand_ins(args, level), **_stand_ins(kwargs, level)), level)
    outs = [func(*slice_tree(args, level, b), **slice_tree(kwargs, level, b)) for b in range(size)]
    return stack_results(outs, level)


__all__ = ["fallback", "slice_tree", "stack_results", "is_inplace", "refuse_inplace_into_unbatched"]
