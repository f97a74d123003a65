"""Custom ``autograd.Function`` classes applied to BatchedTensors, PyTorch's rules as
``_custom_functions.py``/``_vmap.py`` implement them for the loop: the ctx style and a Function
without (or with both) vmap rules are refused; ``generate_vmap_rule=True`` is the per-sample
fallback (each sample's ``apply`` records its own node); a written ``vmap`` staticmethod gets the
physical inputs with their real ``in_dims`` and ``VmapInfo(batch_size=B)``."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from .._pytree import tree_flatten, tree_unflatten
from .._vmap import VmapInfo, _call_rule, _check_vmap_support
from ._batched import here, make_batched
from ._common import at, find_level
from ._fallback import fallback
from ._random import randomness_of


def apply_batched(cls, args, kwargs):
    """``cls.apply(*args, **kwargs)`` when an argument is batched at a running vectorized level;
    NotImplemented otherwise."""
    level, size = find_level(args, kwargs)
    if level is None or not any(lv == level for lv, _, _ in here.levels):
        return NotImplemented
    if not _check_vmap_support(cls):
        return fallback(cls.apply, level, size, args, kwargs)
    # forward's parameters by position, defaults filled in: the vmap rule gets one in_dim per input
    from tensorgraft.autograd.function import _bind_with_defaults
    args = _bind_with_defaults(cls, args, kwargs)
    in_dims = tuple((a._source[1] if a._source is not None else 0) if at(a, level) else None for a in args)
    pargs = tuple((a._source[0] if a._source is not None else a._physical) if at(a, level) else a for a in args)
    info = VmapInfo(size, randomness_of(level))
    entry_index = next(i for i, e in enumerate(here.levels) if e[0] == level)
    entry = here.levels.pop(entry_index)
    try:
        output, flat_dims = _call_rule(cls, info, in_dims, pargs)
    finally:
        here.levels.insert(entry_index, entry)
    flat, spec = tree_flatten(output)
    outs = [o if d is None or not isinstance(o, Tensor) else make_batched(o.movedim(d, 0) if d else o, level)
            for o, d in zip(flat, flat_dims)]
    return tree_unflatten(outs, spec)
