"""jacfwd inside a vectorized vmap, all columns at once: PyTorch's jacfwd maps its forward-mode
push over the basis of tangents; here the samples are repeated once per basis vector (the
physical function is batch-independent, so ``n * B`` rows compute ``n`` copies of each sample),
the function is linearized once on them and one push with the whole basis as tangents gives
every column of every sample's Jacobian. Level tensors captured by the function (closures) are
repeated the same way when they meet the repeated ones (``here.replicated``, ``_dispatch.py``).
Too large a repetition (many columns of large inputs) goes column by column instead."""
from __future__ import annotations

import contextlib

from .. import _transforms as T
from .._pytree import tree_flatten, tree_map, tree_unflatten
from ._batched import here, make_batched, replicate

# most elements the repeated inputs may hold (beyond it: column by column)
MAX_REPEATED_ELEMENTS = 1 << 22


@contextlib.contextmanager
def _replicating(level, n, size):
    here.replicated[level] = (n, size)
    try:
        yield
    finally:
        del here.replicated[level]


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def jacfwd_all_columns(func, argnums, has_aux, entry, pargs, rewrap, make_pf, stepped_out):
    """The batched Jacobians, or None when the repetition would be too large (or empty)."""
    import tensorgraft
    level, size, randomness = entry
    flat_diff, diff_spec = tree_flatten(T._slice_argnums(pargs, argnums))
    numels = [_numel(tuple(p.shape)[1:]) for p in flat_diff]
    n = sum(numels)
    flat_args, args_spec = tree_flatten(pargs)
    held = sum(_numel(tuple(a.shape)) for a, w in zip(flat_args, rewrap) if w)
    if n <= 1 or size == 0 or n * held > MAX_REPEATED_ELEMENTS or level in here.replicated:
        return None
    rep_args = tree_unflatten([replicate(a, n) if w else a for a, w in zip(flat_args, rewrap)], args_spec)
    pf = make_pf([level, n * size, randomness])
    starts = [sum(numels[:j]) for j in range(len(numels))]
    tangents = []
    for p, s, k in zip(flat_diff, starts, numels):
        pshape = tuple(p.shape)[1:]
        block = tensorgraft.eye(n, dtype=p.dtype, device=p.device)[:, s:s + k]  # (n, k): column c's tangent
        tangents.append(block.reshape((n, 1) + pshape).expand((n, size) + pshape).reshape((n * size,) + pshape))
    with stepped_out(), _replicating(level, n, size):
        # one jvp (itself batched by any enclosing vectorized vmap): every column at once
        res = T._jvp_with_argnums(pf, rep_args, tree_unflatten(tangents, diff_spec), argnums, has_aux=has_aux)
    flat_out, out_spec = tree_flatten(res[0])
    flat_output_input = []
    for o, t in zip(flat_out, tree_flatten(res[1])[0]):
        oshape = tuple(o.shape)[1:]
        cols = t.reshape((n, size) + oshape).movedim(0, -1)  # (size, *o, n)
        blocks = [make_batched(cols[..., s:s + k].reshape((size,) + oshape + tuple(p.shape)[1:]), level)
                  for p, s, k in zip(flat_diff, starts, numels)]
        per_arg = tree_unflatten(blocks, diff_spec)
        flat_output_input.append(per_arg[0] if isinstance(argnums, int) else per_arg)
    aux = res[2] if has_aux else None
    result = tree_unflatten(flat_output_input, out_spec)
    if has_aux:
        first = tree_map(lambda a: make_batched(a[:size], level) if hasattr(a, "shape") else a, aux)
        return result, first
    return result
