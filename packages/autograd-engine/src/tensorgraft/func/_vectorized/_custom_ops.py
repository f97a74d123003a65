"""Custom ops (``torch.library.custom_op`` / ``define``) called with BatchedTensors.

A custom op is not a tensorgraft function that dispatches through ``__torch_function__``: its
implementation usually leaves tensors altogether (``x.numpy()``). So the op hands its call here
explicitly (``tensorgraft/library/vmap_rules.py``: one attribute read on the op's path outside
vmap) while a vectorized vmap runs, and, as in PyTorch:

- with a ``register_vmap`` rule, the rule runs once, one level down, on the physical tensors with
  their real ``in_dims`` (a vmap input keeps the dimension it was mapped over), and its outputs
  are batched again along the ``out_dims`` it returns (an input returned as it was is the input);
- without one, the op runs once per sample (the batched fallback), its implementation seeing
  plain tensors;
- an op of the ``define`` API whose only kernel is a ``CompositeImplicitAutograd`` one runs on the
  BatchedTensors themselves: its kernel is made of tensorgraft ops, which have batching rules.
"""
from __future__ import annotations

import inspect

from tensorgraft.tensor import Tensor

from .._pytree import tree_flatten, tree_unflatten
from .._vmap import VmapInfo, _call_rule
from ._batched import here, make_batched
from ._common import at, find_level
from ._fallback import fallback
from ._random import randomness_of

__all__ = ["call_batched"]


class _RuleAsStaticmethod:
    """The registered rule in the shape ``_call_rule`` calls (a Function's ``vmap`` staticmethod),
    keyword arguments bound in: the same checks and messages as PyTorch's, which shares them."""

    def __init__(self, rule, kwargs):
        self._rule, self._kwargs = rule, kwargs

    def vmap(self, info, in_dims, *args):
        return self._rule(info, in_dims, *args, **self._kwargs)


def _unwrap(value, level):
    """(value with each tensor batched at ``level`` replaced by its physical tensor, its in_dims),
    into lists and tuples (a ``Tensor[]`` argument gets a list of in_dims, as PyTorch's pytree)."""
    if value.__class__ is list or value.__class__ is tuple:
        pairs = [_unwrap(v, level) for v in value]
        return value.__class__(p for p, _ in pairs), value.__class__(d for _, d in pairs)
    if at(value, level):
        if value._source is not None:  # a vmap input mapped over another dim: the rule sees it as given
            return value._source
        return value._physical, 0
    return value, None


def _is_default(value, default) -> bool:
    if default is inspect.Parameter.empty or isinstance(value, Tensor):
        return False
    try:
        return value is default or bool(value == default)
    except Exception:  # (a value whose == is no plain bool)
        return False


def _as_dispatched(op, args, kwargs):
    """The arguments as PyTorch's dispatcher hands them to a kernel: positional parameters
    positionally, without the trailing ones equal to their defaults; keyword-only ones by keyword,
    only where they differ from their defaults."""
    bound = op._bind(args, kwargs)
    positional, keywords = [], {}
    for param in op._signature.parameters.values():
        value = bound.arguments[param.name]
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            if not _is_default(value, param.default):
                keywords[param.name] = value
        else:
            positional.append((value, param.default))
    while positional and _is_default(*positional[-1]):
        positional.pop()
    return [v for v, _ in positional], keywords


def call_batched(op, args, kwargs):
    """The custom op's call when an argument is batched at a running vectorized vmap level;
    NotImplemented otherwise (the op then runs as usual)."""
    level, size = find_level(args, kwargs)
    if level is None or not any(entry[0] == level for entry in here.levels):
        return NotImplemented
    rule = op._vmap_fn
    if rule is None:
        if getattr(op, "_composite", None) is not None and not op._kernels:
            return NotImplemented
        return fallback(op, level, size, args, kwargs)
    given_args, given_kwargs = _as_dispatched(op, args, kwargs)
    unwrapped = [_unwrap(a, level) for a in given_args]
    pargs = tuple(p for p, _ in unwrapped)
    in_dims = tuple(d for _, d in unwrapped)
    pkwargs = {k: _unwrap(v, level)[0] for k, v in given_kwargs.items()}
    info = VmapInfo(size, randomness_of(level))
    # the rule runs one level down (PyTorch: the op's FuncTorchBatched kernel excludes itself)
    entry_index = next(i for i, e in enumerate(here.levels) if e[0] == level)
    entry = here.levels.pop(entry_index)
    try:
        output, flat_dims = _call_rule(_RuleAsStaticmethod(rule, pkwargs), info, in_dims, pargs)
    finally:
        here.levels.insert(entry_index, entry)
    originals = {id(p): a for p, a in zip(tree_flatten(pargs)[0], tree_flatten(tuple(given_args))[0])}
    flat, spec = tree_flatten(output)
    outs = []
    for o, d in zip(flat, flat_dims):
        if not isinstance(o, Tensor):
            outs.append(o)
        elif id(o) in originals:  # an input returned as it was (a mutated one): the input itself
            outs.append(originals[id(o)])
        else:
            outs.append(o if d is None else make_batched(o.movedim(d, 0) if d else o, level))
    return tree_unflatten(outs, spec)
