"""``vectorized_vmap``: vmap's call, run once on BatchedTensors instead of once per slice.
Argument checks and messages are ``_vmap.py``'s (PyTorch's)."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from .._custom_functions import vmap_running
from .._pytree import tree_flatten, tree_unflatten
from .._vmap import (
    _check_out_dims,
    _check_randomness_arg,
    _flat_out_dims,
    _get_name,
    _process_batched_inputs,
    _RandomnessGuard,
)
from ._batch_norm import batch_norm_check
from ._batched import BatchedTensor, here, make_batched, new_level
from ._common import at

__all__ = ["vectorized_vmap"]


def vectorized_vmap(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    """``vmap(func, in_dims, out_dims, randomness, chunk_size=chunk_size)(*args, **kwargs)``,
    vectorized (``chunk_size`` is accepted and changes nothing: the whole batch runs at once)."""
    _check_randomness_arg(randomness)
    _check_out_dims(out_dims, func)
    batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
    if chunk_size is not None and not hasattr(type(chunk_size), "__index__"):
        raise TypeError(f"can't multiply sequence by non-int of type '{type(chunk_size).__name__}'")
    func = _dispatching(func)
    level = new_level()
    flat_batched = [a if d is None else _input(a, d, level) for a, d in zip(flat_args, flat_in_dims)]
    guard = _RandomnessGuard(randomness, batch_size) if randomness == "error" else None
    levels = here.levels
    levels.append([level, batch_size, randomness])
    mode = None
    batch_norm_check(True)
    try:
        with vmap_running(randomness):
            if randomness == "different":
                from ._random import DifferentRandomness
                mode = DifferentRandomness(level, batch_size)
                mode.__enter__()
            try:
                output = func(*tree_unflatten(flat_batched, args_spec), **kwargs)
            finally:
                if mode is not None:
                    mode.__exit__(None, None, None)
    finally:
        levels.pop()
        batch_norm_check(False)
    if guard is not None:
        guard.after()
    return _unwrap_output(func, output, out_dims, level, batch_size)


def _dispatching(func):
    """``func`` itself, or its dispatching wrapper when ``func`` is a tensorgraft function taken
    before dispatch turned on (``vmap(torch.mv)`` at the top of a program): the unwrapped one
    would never see the BatchedTensors' rules."""
    from tensorgraft.overrides import _binding
    wrapper = _binding._wrapper_of.get(id(func)) if type(func).__name__ == "function" else None
    return wrapper if wrapper is not None and wrapper.__torch_function_wrapped__ is func else func


def _input(a, d, level):
    if d == 0:
        return make_batched(a, level)
    t = make_batched(a.movedim(d, 0), level)
    t._source = (a, d)
    return t


def _unwrap_output(func, output, out_dims, level, batch_size):
    flat, spec = tree_flatten(output)
    flat_dims = _flat_out_dims(output, out_dims, spec, func)
    name = _get_name(func)
    outs = []
    for o, d in zip(flat, flat_dims):
        if d is None:
            if isinstance(o, BatchedTensor):  # (of this level or an enclosing one, as PyTorch checks)
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            outs.append(o)
            continue
        if not isinstance(o, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(o)}. "
                             "Did you mean to set out_dims= to None for output?")
        n = o.dim() + 1
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        d %= n
        if at(o, level):
            p = o._physical
        else:  # the same for every sample (a captured tensor, a constant): PyTorch expands it
            p = o.unsqueeze(0).expand((batch_size,) + tuple(o.shape))
        outs.append(p.movedim(0, d) if d else p)
    return tree_unflatten(outs, spec)
