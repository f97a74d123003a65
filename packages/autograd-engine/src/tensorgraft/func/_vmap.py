"""``vmap`` by a loop: call the function once per slice of the mapped dimension and stack the
results along ``out_dims``. Not vectorised (a Python loop over the batch), but every op works,
and nesting it or mixing it with ``grad`` needs nothing special. Argument checks and messages are
PyTorch's (``torch/_functorch/vmap.py``).

Custom ``autograd.Function`` classes follow PyTorch's rules under vmap (``Function.apply``'s
hook, in ``_custom_functions.py``, hands them to ``_apply_under_vmap``): the ctx style is refused,
a Function needs ``generate_vmap_rule = True`` or its own ``vmap`` staticmethod, a generated rule
is the slice-by-slice run itself, and a written rule is called with batched inputs and
``VmapInfo``."""
from __future__ import annotations

import functools
from typing import NamedTuple

from tensorgraft.tensor import Tensor

from ._custom_functions import EXTENDING_FUNC_DOC, refuse_ctx_style, vmap_running, vmap_stepped_out
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


class VmapInfo(NamedTuple):
    """What a Function's ``vmap`` staticmethod receives first (PyTorch's ``VmapInfo``)."""
    batch_size: int
    randomness: str


def _check_vmap_support(cls):
    """PyTorch's refusals, in its order: the ctx style first, then a Function with both rules or
    none. True when the Function's own ``vmap`` staticmethod is to be called."""
    from tensorgraft.autograd.function import Function
    refuse_ctx_style(cls)
    has_rule = cls.vmap is not Function.vmap
    if cls.generate_vmap_rule and has_rule:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True and an "
                           "overridden vmap staticmethod. Please set generate_vmap_rule=False or delete the "
                           "overridden vmap staticmethod to avoid ambiguity. " + EXTENDING_FUNC_DOC)
    if not cls.generate_vmap_rule and not has_rule:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                           "override and implement the vmap staticmethod or set generate_vmap_rule=True. "
                           + EXTENDING_FUNC_DOC)
    return has_rule


def _apply_under_vmap(cls, args, kwargs, randomness):
    """``cls.apply(*args, **kwargs)`` on one slice inside a vmap whose ``randomness`` is given;
    ``APPLY_AS_USUAL`` (``apply`` goes on) when the Function's generated rule applies."""
    from tensorgraft.autograd.function import APPLY_AS_USUAL, _bind_with_defaults
    if not _check_vmap_support(cls):
        return APPLY_AS_USUAL  # generate_vmap_rule: the slice-by-slice run already is the generated rule
    if kwargs:
        args = _bind_with_defaults(cls, args, kwargs)
    # each slice is a batch of one: every tensor argument gets a batch dimension of size 1 in front
    in_dims = tuple(0 if isinstance(a, Tensor) else None for a in args)
    batched = [a.unsqueeze(0) if isinstance(a, Tensor) else a for a in args]
    output, out_dims = _call_rule(cls, VmapInfo(1, randomness), in_dims, batched)
    return _slice_of_rule_output(output, out_dims, 0)


def _call_rule(cls, info, in_dims, args):
    """``cls.vmap(info, in_dims, *args)``, its result checked as PyTorch checks it; returns the
    output and its out_dims flattened against it."""
    result = vmap_stepped_out(cls.vmap, info, in_dims, *args)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                           f"structure compatible with the output. Got a {type(result)} instead")
    output, out_dims = result
    flat_dims = broadcast_prefix(out_dims, tree_flatten(output)[1])
    if flat_dims is None:
        raise RuntimeError("The autograd.Function's vmap staticmethod returned an incompatible (output, out_dims) "
                           f"tuple. Expected out_dims={out_dims} to be compatible with the structure of `output`. "
                           f"out_dims has structure {tree_flatten(out_dims)[1]} but output has structure "
                           f"{tree_flatten(output)[1]}. " + EXTENDING_FUNC_DOC)
    return output, flat_dims


def _slice_of_rule_output(output, flat_dims, index):
    """Slice ``index`` of what a vmap rule returned: batched outputs are selected along their
    out_dim, unbatched ones (out_dim None) are the same for every slice."""
    flat, spec = tree_flatten(output)
    picked = [o if d is None or not isinstance(o, Tensor) else o.select(d, index) for o, d in zip(flat, flat_dims)]
    return tree_unflatten(picked, spec)


def _function_with_rule(func):
    """The Function class when ``func`` is ``SomeFunction.apply`` with a written vmap rule (the
    rule then sees the whole batch at once, exactly as in PyTorch), else None."""
    from tensorgraft.autograd.function import Function
    cls = getattr(func, "__self__", None)
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        return None
    if getattr(func, "__func__", None) is not Function.__dict__["apply"].__func__:
        return None  # a subclass's own apply, or some other classmethod
    return cls if _check_vmap_support(cls) else None


def _run_slices(func, kwargs, batch_size, flat_in_dims, flat_args, args_spec, guard, randomness):
    """One result per slice of the mapped dimension."""
    rule_of = _function_with_rule(func)
    if rule_of is not None and not kwargs and batch_size > 0:
        # vmap(F.apply): the written rule maps the whole batch in one call, then is cut into slices
        guard.before()
        info = VmapInfo(batch_size, randomness)
        in_dims = tree_unflatten(flat_in_dims, args_spec)
        output, flat_dims = _call_rule(rule_of, info, in_dims, tree_unflatten(flat_args, args_spec))
        guard.after()
        return [_slice_of_rule_output(output, flat_dims, i) for i in range(batch_size)]
    if batch_size == 0:
        # PyTorch runs the function once, on batched tensors holding no slice at all; here it runs
        # once on zero-filled stand-ins shaped like one slice, so that the results' structure and
        # shapes are known (``wrapped`` then empties them along the mapped dimension). A stand-in for
        # an input requiring grad is the (zero) sum over its empty dimension, so results keep a graph.
        stand_ins = [a if d is None else a.sum(d) if a.requires_grad
                     else a.new_zeros(tuple(a.shape[:d]) + tuple(a.shape[d + 1:]))
                     for a, d in zip(flat_args, flat_in_dims)]
        guard.before()
        result = func(*tree_unflatten(stand_ins, args_spec), **kwargs)
        guard.after()
        return [result]
    results = []
    for i in range(batch_size):
        sliced = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_in_dims)]
        guard.before()
        results.append(func(*tree_unflatten(sliced, args_spec), **kwargs))
        guard.after()
    return results


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
        with vmap_running(randomness):
            results = _run_slices(func, kwargs, batch_size, flat_in_dims, flat_args, args_spec, guard, randomness)
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
            dim = out_dim % (first.dim() + 1)
            if batch_size == 0:  # the one result came from the stand-ins: no slice of it is kept
                outs.append(first.unsqueeze(dim).narrow(dim, 0, 0))
                continue
            outs.append(tensorgraft.stack(column, dim=dim))
        return tree_unflatten(outs, output_spec)

    return wrapped
