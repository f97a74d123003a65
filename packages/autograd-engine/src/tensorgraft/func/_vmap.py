"""``vmap`` by a loop: call the function once per slice of the mapped dimension and stack the
results along ``out_dims``. Not vectorised (a Python loop over the batch), but every op works,
and nesting it or mixing it with ``grad`` needs nothing special. Argument checks and messages are
PyTorch's (``torch/_functorch/vmap.py``)."""
from __future__ import annotations

import functools

from tensorgraft.tensor import Tensor

from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _get_name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_randomness_arg(randomness):
    if randomness not in ["error", "different", "same"]:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int):
        return
    for x in tree_flatten(out_dims)[0]:
        if not (x is None or isinstance(x, int)):
            raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension should "
                             "appear.")


def _process_batched_inputs(in_dims, args, func):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {args_spec}.")
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but "
                             "in_dim must be either an integer dimension or None.")
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but "
                             f"the input is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if in_dim is not None and (in_dim < -arg.dim() or in_dim >= arg.dim()):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some input, "
                             f"but that input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    batch_sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not batch_sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != batch_sizes[0] for s in batch_sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{batch_sizes} for the mapped dimension")
    return batch_sizes[0], flat_in_dims, flat_args, args_spec


class _RandomnessGuard:
    """'same': every slice starts from the same generator state; 'error': a slice that draws from
    the default generator is an error (detected by its state changing)."""

    def __init__(self, randomness):
        from tensorgraft.random import default_generator
        self.mode = randomness
        self.gen = default_generator
        self.state = self.gen.get_state() if randomness != "different" else None

    def before(self):
        if self.mode == "same":
            self.gen.set_state(self.state)

    def after(self):
        if self.mode == "error" and not _same_state(self.gen.get_state(), self.state):
            self.gen.set_state(self.state)
            raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                               "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                               "of vmap")


def _same_state(a, b):
    return a.shape == b.shape and bool((a == b).all())


def _flat_out_dims(output, out_dims, output_spec, func):
    def incompatible():
        raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
                         f"with the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but "
                         f"outputs has structure {output_spec}.")
    if isinstance(output, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    flat = broadcast_prefix(out_dims, output_spec)
    if flat is None:
        incompatible()
    return flat


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``vmap(f)(*args)``: ``f`` mapped over dimension ``in_dims`` of the inputs, results stacked
    along ``out_dims`` — computed slice by slice (``chunk_size`` is accepted and has no effect
    on the result)."""
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        import tensorgraft
        _check_out_dims(out_dims, func)
        batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
        guard = _RandomnessGuard(randomness)
        results = []
        for i in range(batch_size):
            sliced = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_in_dims)]
            guard.before()
            results.append(func(*tree_unflatten(sliced, args_spec), **kwargs))
            guard.after()
        if batch_size == 0:
            raise NotImplementedError("vmap over a dimension of size 0 is not supported by tensorgraft's vmap (it "
                                      "maps by calling the function once per slice)")
        flat_first, output_spec = tree_flatten(results[0])
        flat_results = [flat_first] + [tree_flatten(r)[0] for r in results[1:]]
        flat_dims = _flat_out_dims(results[0], out_dims, output_spec, func)
        name = _get_name(func)
        outs = []
        for k, (first, out_dim) in enumerate(zip(flat_first, flat_dims)):
            if out_dim is None:
                outs.append(first)  # PyTorch returns the unbatched value as it is
                continue
            column = [fr[k] for fr in flat_results]
            for v in column:
                if not isinstance(v, Tensor):
                    raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(v)}. "
                                     "Did you mean to set out_dims= to None for output?")
            outs.append(tensorgraft.stack(column, dim=out_dim % (first.dim() + 1)))
        return tree_unflatten(outs, output_spec)

    return wrapped
