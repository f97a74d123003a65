"""grad / vjp / jvp / jacrev / jacfwd called inside a vectorized vmap.

Each sample's outputs depend only on its own inputs (the physical function is
batch-independent), so a transform inside vmap level L runs *once*, on the physical function:
every differentiated input is taken physically, ``(B, *shape)`` (an unbatched one expanded), the
function re-wraps its inputs as BatchedTensors of L, runs, and hands back physical outputs; the
transform then runs with level L stepped out (outer levels, if any, take it from there in turn),
with per-sample cotangents/tangents broadcast over B: for grad, ones(B) on the per-sample scalar
outputs; for jacrev/jacfwd, the basis vector e_k for all samples at once gives row/column k of
every sample's Jacobian. Results come back wrapped (B in front) as BatchedTensors of L.

``_transforms.py``'s internal entry points hand their call to these while a vectorized vmap runs
in this thread (the ``if _vectorized.levels:`` at the top of each), with the same arguments;
``autograd.grad`` hands over ``autograd_grad`` calls whose grad_outputs are batched."""
from __future__ import annotations

import contextlib

from tensorgraft.tensor import Tensor

from .. import _transforms as T
from .._pytree import tree_flatten, tree_map, tree_unflatten
from ._batched import contains_level, here, make_batched, peel


@contextlib.contextmanager
def _stepped_out():
    entry = here.levels.pop()
    try:
        yield entry
    finally:
        here.levels.append(entry)


def _to_physical(x, level, size):
    return peel(x, level, size) if isinstance(x, Tensor) else x


def _physical_args(args, argnums, level, size):
    """(physical args, which flat leaves to re-wrap): differentiated inputs are all batched
    physically; the others only lose their level-L wrapper."""
    if argnums is None:
        diff = set(range(len(args)))
    elif isinstance(argnums, int):
        diff = {argnums % len(args) if -len(args) <= argnums < len(args) else argnums}
    else:
        diff = {a % len(args) if isinstance(a, int) and -len(args) <= a < len(args) else a for a in argnums}
    out = []
    for i, a in enumerate(args):
        if i in diff:
            out.append(tree_map(lambda x: _to_physical(x, level, size), a))
        else:
            out.append(tree_map(lambda x: peel(x, level, size, expand=False), a))
    rewrap = []
    for i, a in enumerate(args):
        for leaf in tree_flatten(a)[0]:
            rewrap.append(contains_level(leaf, level) or (i in diff and isinstance(leaf, Tensor)))
    return tuple(out), rewrap


def _physical_function(func, entry, rewrap, kwargs, check=None, has_aux=False):
    level, size, _ = entry

    def pf(*pargs):
        flat, spec = tree_flatten(pargs)
        flat = [make_batched(x, level) if w else x for x, w in zip(flat, rewrap)]
        here.levels.append(entry)
        try:
            out = func(*tree_unflatten(flat, spec), **kwargs)
        finally:
            here.levels.pop()
        aux = None
        if has_aux:
            out, aux = T._split_aux(out, check[0] if check else "vjp(f, *primals)")
        if check is not None:
            check[1](out)
        out = tree_map(lambda x: _to_physical(x, level, size), out)
        if has_aux:
            return out, tree_map(lambda x: _to_physical(x, level, size), aux)
        return out
    return pf


def _wrapped(tree, level):
    return tree_map(lambda x: make_batched(x, level) if isinstance(x, Tensor) else x, tree)


def _check_scalar(out):
    if not isinstance(out, Tensor):
        raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
    if out.dim() != 0:
        raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                           f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")


def grad_and_value(func, argnums, has_aux, args, kwargs):
    import tensorgraft
    entry = here.levels[-1]
    level, size, _ = entry
    T._slice_argnums(args, argnums, as_tuple=False)  # (PyTorch's argnums checks and messages)
    pargs, rewrap = _physical_args(args, argnums, level, size)
    pf = _physical_function(func, entry, rewrap, kwargs, ("grad_and_value(f)(*args)", _check_scalar), has_aux)
    with _stepped_out():
        res = T._vjp_with_argnums(pf, *pargs, argnums=argnums, has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        grads = vjp_fn(tensorgraft.ones_like(out))
    value = make_batched(out, level)
    grads = _wrapped(grads, level)
    if has_aux:
        return grads, (value, _wrapped(res[2], level))
    return grads, value


def vjp(func, *primals, argnums=None, has_aux=False):
    entry = here.levels[-1]
    level, size, _ = entry
    pargs, rewrap = _physical_args(primals, argnums, level, size)
    pf = _physical_function(func, entry, rewrap, {}, None, has_aux)
    with _stepped_out():
        res = T._vjp_with_argnums(pf, *pargs, argnums=argnums, has_aux=has_aux)
    out, vjp_fn = res[0], res[1]

    def batched_vjp_fn(cotangents, retain_graph=True, create_graph=None):
        phys = tree_map(lambda x: _to_physical(x, level, size), cotangents)
        with _stepped_out() if here.levels and here.levels[-1] is entry else contextlib.nullcontext():
            return _wrapped(vjp_fn(phys, retain_graph=retain_graph, create_graph=create_graph), level)

    if has_aux:
        return _wrapped(out, level), batched_vjp_fn, _wrapped(res[2], level)
    return _wrapped(out, level), batched_vjp_fn


def jvp(func, primals, tangents, argnums, *, strict=False, has_aux):
    entry = here.levels[-1]
    level, size, _ = entry
    pargs, rewrap = _physical_args(primals, argnums, level, size)
    ptangents = tree_map(lambda x: _to_physical(x, level, size), tangents)
    pf = _physical_function(func, entry, rewrap, {}, None, has_aux)
    with _stepped_out():
        res = T._jvp_with_argnums(pf, pargs, ptangents, argnums, strict=strict, has_aux=has_aux)
    return tuple(_wrapped(r, level) for r in res)


def jacrev(func, argnums, has_aux, api, args, chunk_size=None):
    import tensorgraft
    entry = here.levels[-1]
    level, size, _ = entry
    pargs, rewrap = _physical_args(args, argnums, level, size)
    pf = _physical_function(func, entry, rewrap, {}, None, has_aux)
    with _stepped_out():
        res = T._vjp_with_argnums(pf, *pargs, argnums=argnums, has_aux=has_aux)
        output, vjp_fn = res[0], res[1]
        flat_output, output_spec = tree_flatten(output)
        numels = [_sample_numel(o) for o in flat_output]
        total = sum(numels)
        flat_primals, primals_spec = tree_flatten(T._slice_argnums(pargs, argnums))
        rows = [[] for _ in flat_primals]
        if total:
            eye = tensorgraft.eye(total, dtype=flat_output[0].dtype, device=flat_output[0].device)
            starts = [sum(numels[:j]) for j in range(len(numels))]
            for k in range(total):
                basis = [eye[k, s:s + n].to(o.dtype).view(tuple(o.shape[1:])).expand(tuple(o.shape))
                         for s, n, o in zip(starts, numels, flat_output)]
                for r, row in zip(tree_flatten(vjp_fn(tree_unflatten(basis, output_spec)))[0], rows):
                    row.append(r)
        per_primal = []
        for row, p in zip(rows, flat_primals):
            pshape = tuple(p.shape[1:])
            if total:
                splits = tensorgraft.stack(row, dim=1).split(numels, dim=1)
            else:
                splits = [tensorgraft.zeros((size, 0) + pshape, dtype=p.dtype, device=p.device) for _ in flat_output]
            per_primal.append(tuple(make_batched(s.reshape((size,) + tuple(o.shape[1:]) + pshape), level)
                                    for s, o in zip(splits, flat_output)))
    flat_output_input = tuple(tree_unflatten(list(fi), primals_spec) for fi in zip(*per_primal))
    if isinstance(argnums, int):
        flat_output_input = tuple(fi[0] for fi in flat_output_input)
    result = tree_unflatten(list(flat_output_input), output_spec)
    if has_aux:
        return result, _wrapped(res[2], level)
    return result


def _sample_numel(p):
    n = 1
    for s in tuple(p.shape)[1:]:
        n *= s
    return n


def jacfwd(func, argnums, has_aux, args):
    import tensorgraft
    from tensorgraft.ops.creation import zeros_like
    entry = here.levels[-1]
    level, size, _ = entry
    pargs, rewrap = _physical_args(args, argnums, level, size)
    flat_primals, primals_spec = tree_flatten(T._slice_argnums(pargs, argnums))
    T._check_forward_dtypes(flat_primals)
    from ._basis import jacfwd_all_columns
    result = jacfwd_all_columns(func, argnums, has_aux, entry, pargs, rewrap,
                                lambda e: _physical_function(func, e, rewrap, {}, None, False), _stepped_out)
    if result is not None:
        return result
    pf = _physical_function(func, entry, rewrap, {}, None, False)
    if len(here.levels) > 1:  # an enclosing vectorized vmap: jvps (batched by it), column by column
        return _jacfwd_by_jvps(pf, argnums, has_aux, entry, pargs, flat_primals, primals_spec)
    with _stepped_out(), tensorgraft.enable_grad():
        scope, flat_out, out_spec, aux, push = T._linearized(pf, pargs, flat_primals, primals_spec, argnums, has_aux,
                                                             jacfwd=True)
        keep = scope.reaches_foreign(flat_out)
        zero_tangents = [zeros_like(p) for p in flat_primals]
        columns = [[[] for _ in flat_primals] for _ in flat_out]
        for j, p in enumerate(flat_primals):
            n = _sample_numel(p)
            eye = tensorgraft.eye(n, dtype=p.dtype, device=p.device)
            pshape = tuple(p.shape[1:])
            for k in range(n):
                tangents = list(zero_tangents)
                tangents[j] = eye[k].view(pshape).expand(tuple(p.shape))
                for o, t, col in zip(flat_out, push(tangents, keep, True), columns):
                    col[j].append(zeros_like(o) if t is None else t)
        flat_output_input = []
        for o, col in zip(flat_out, columns):
            blocks = []
            for p, cols in zip(flat_primals, col):
                shape = tuple(o.shape) + tuple(p.shape[1:])
                block = scope.finish(tensorgraft.stack(cols, dim=-1).reshape(shape)) if cols \
                    else tensorgraft.zeros(shape, dtype=o.dtype, device=o.device)
                blocks.append(make_batched(block, level))
            per_arg = tree_unflatten(blocks, primals_spec)
            flat_output_input.append(per_arg[0] if isinstance(argnums, int) else per_arg)
    result = tree_unflatten(flat_output_input, out_spec)
    if has_aux:
        return result, _wrapped(aux, level)
    return result


def _jacfwd_by_jvps(pf, argnums, has_aux, entry, pargs, flat_primals, primals_spec):
    import tensorgraft
    level, size, _ = entry
    columns = None
    for j, p in enumerate(flat_primals):
        n = _sample_numel(p)
        pshape = tuple(p.shape[1:])
        eye = tensorgraft.eye(n, dtype=p.dtype, device=p.device)
        for k in range(n):
            tangents = [tensorgraft.zeros_like(q) for q in flat_primals]
            tangents[j] = eye[k].view(pshape).expand(tuple(p.shape))
            with _stepped_out():
                res = T._jvp_with_argnums(pf, pargs, tree_unflatten(tangents, primals_spec), argnums, has_aux=has_aux)
            flat_out, out_spec = tree_flatten(res[1])
            if columns is None:
                columns = [[[] for _ in flat_primals] for _ in flat_out]
            for t, col in zip(flat_out, columns):
                col[j].append(t)
    flat_output_input = []
    for col in columns:
        blocks = [make_batched(tensorgraft.stack(c, dim=-1).reshape(tuple(c[0].shape) + tuple(p.shape[1:])), level)
                  for p, c in zip(flat_primals, col)]
        per_arg = tree_unflatten(blocks, primals_spec)
        flat_output_input.append(per_arg[0] if isinstance(argnums, int) else per_arg)
    result = tree_unflatten(flat_output_input, out_spec)
    if has_aux:
        return result, _wrapped(res[2], level)
    return result


def autograd_grad(grad, outputs, inputs, grad_outputs, create_graph, kwargs):
    """``autograd.grad`` with cotangents batched at a running level (``vmap(vjp_fn)(basis)``, the
    vjp having been taken outside the vmap, on a plain graph): one backward pass per sample,
    stacked (the graph itself is not batched, so there is nothing to vectorize). ``grad`` is
    ``autograd.grad``; NotImplemented when no grad_output is batched (it goes on as usual)."""
    import tensorgraft

    from ._common import find_level, wrap
    from ._fallback import slice_tree
    level, size = find_level((grad_outputs,), {})
    if level is None:
        return NotImplemented
    per_sample = [grad(outputs, inputs, slice_tree(grad_outputs, level, b), True, create_graph, **kwargs)
                  for b in range(size)]
    out = []
    for k in range(len(per_sample[0]) if per_sample else 0):
        column = [r[k] for r in per_sample]
        out.append(None if column[0] is None else wrap(tensorgraft.stack(column), level))
    return tuple(out)
