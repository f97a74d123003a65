"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian`` on top of
``tensorgraft.autograd.grad`` (see the package docstring for how they stand in for functorch's
levels). Argument checks and messages are PyTorch's (``torch/_functorch/eager_transforms.py``)."""
from __future__ import annotations

import functools

from tensorgraft.grad_mode import enable_grad, is_grad_enabled
from tensorgraft.ops.creation import zeros_like
from tensorgraft.tensor import Tensor

from ._custom_functions import transform_running
from ._custom_functions import vectorized as _vectorized
from ._pytree import tree_flatten, tree_leaves, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

jvp_str = "jvp(f, primals, tangents)"


# --------------------------------------------------------------------------- tracking own leaves
class _Scope:
    """The leaves one transform call created. A result is kept differentiable only when its
    history reaches a tensor requiring grad that is *not* one of them (an input from an enclosing
    transform or the user's autograd): that is the part of the graph someone outside may still
    differentiate; history ending in our own leaves is invisible outside, so it is cut."""

    __slots__ = ("own", "alias_nodes")

    def __init__(self):
        self.own = {}  # id -> tensor (holding it keeps the id unique)
        self.alias_nodes = set()  # grad_fn of the aliases made for inputs that already required grad

    def leaf(self, x):
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if x.requires_grad:
            alias = x.view_as(x)  # a new alias: the caller's graph continues through it
            self.alias_nodes.add(alias.grad_fn)
            return alias
        t = x.detach().requires_grad_()
        self.own[id(t)] = t
        return t

    def own_leaf(self, t):
        self.own[id(t)] = t
        return t

    def reaches_foreign(self, tensors) -> bool:
        from tensorgraft.autograd.engine import AccumulateGrad
        own = self.own
        stack = []
        for t in tensors:
            if not isinstance(t, Tensor) or not t.requires_grad:
                continue
            if t.grad_fn is None:
                if id(t) not in own:
                    return True
            else:
                stack.append(t.grad_fn)
        seen = set()
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n.__class__ is AccumulateGrad:
                if id(n.variable) not in own:
                    return True
                continue
            for nxt, _ in n.next_functions:
                if nxt is not None and nxt not in seen:
                    stack.append(nxt)
        return False

    def reaches_carrier(self, tensors) -> bool:
        """Whether any of ``tensors`` depends on an input this transform differentiates (under a
        forward-mode transform: whether it carries a tangent)."""
        from tensorgraft.autograd.engine import AccumulateGrad
        own, aliases = self.own, self.alias_nodes
        stack = [t.grad_fn if t.grad_fn is not None else t for t in tensors if t.requires_grad]
        seen = set()
        while stack:
            n = stack.pop()
            if isinstance(n, Tensor):
                if id(n) in own:
                    return True
                continue
            if n in seen:
                continue
            seen.add(n)
            if n in aliases or (n.__class__ is AccumulateGrad and id(n.variable) in own):
                return True
            stack.extend(nxt for nxt, _ in n.next_functions if nxt is not None and nxt not in seen)
        return False

    def finish(self, x):
        """What the caller gets: ``x`` without history that only leads to our leaves."""
        if isinstance(x, Tensor) and x.requires_grad and not self.reaches_foreign((x,)):
            return x.detach()
        return x


def _detached(x):
    """``scope.finish(x)`` for an ``x`` known to reach no foreign tensor."""
    return x.detach() if isinstance(x, Tensor) and x.requires_grad else x


def _undo_aux(scope, aux):
    def unwrap(x):
        if isinstance(x, Tensor):
            return scope.finish(x)
        raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
    return tree_map(unwrap, aux)


def _autograd_grad(outputs, inputs, grad_outputs=None, retain_graph=False, create_graph=True, is_grads_batched=False):
    """functorch's: outputs that do not require grad are skipped, unused inputs get zeros.
    ``is_grads_batched``: each grad_output has a leading batch dim, and so has each result."""
    from tensorgraft.autograd import grad as _grad
    zeros = zeros_like
    if is_grads_batched:
        batch = grad_outputs[0].shape[0]

        def zeros(inp):  # (an unused input's zeros get the batch dim too)
            return inp.new_zeros((batch, *inp.shape))
    if grad_outputs is None:
        diff_outputs = tuple(out for out in outputs if out.requires_grad)
    else:
        pairs = tuple((out, go) for out, go in zip(outputs, grad_outputs) if out.requires_grad)
        diff_outputs = tuple(p[0] for p in pairs)
        grad_outputs = tuple(p[1] for p in pairs)
    if not diff_outputs:
        return tuple(zeros(inp) for inp in inputs)
    grads = _grad(diff_outputs, inputs, grad_outputs, retain_graph=retain_graph, create_graph=create_graph,
                  allow_unused=True, is_grads_batched=is_grads_batched)
    return tuple(zeros(inp) if g is None else g for g, inp in zip(grads, inputs))


# --------------------------------------------------------------------------- argnums (PyTorch's)
def _validate_and_wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _check_unique_non_empty(argnums):
    if isinstance(argnums, tuple):
        if len(argnums) == 0:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")


def _validate_and_wrap_argnums(argnums, num_args):
    if isinstance(argnums, int):
        return _validate_and_wrap_argnum(argnums, num_args)
    return tuple(_validate_and_wrap_argnum(a, num_args) for a in argnums)


def _slice_argnums(args, argnums, as_tuple=True):
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    argnums = _validate_and_wrap_argnums(argnums, len(args))
    _check_unique_non_empty(argnums)
    if isinstance(argnums, int):
        return (args[argnums],) if as_tuple else args[argnums]
    return tuple(args[i] for i in argnums)


def _replace_args(old_args, new_args, argnums):
    """``old_args`` with the entries named by ``argnums`` replaced (``new_args`` as sliced)."""
    if isinstance(argnums, int):
        argnums = _validate_and_wrap_argnum(argnums, len(old_args))
        return tuple(new_args if i == argnums else a for i, a in enumerate(old_args))
    argnums = _validate_and_wrap_argnums(argnums, len(old_args))
    return tuple(new_args[argnums.index(i)] if i in argnums else a for i, a in enumerate(old_args))


def error_if_complex(func_name, args, is_input):
    for idx, arg in enumerate(tree_leaves(args)):
        if isinstance(arg, Tensor) and arg.is_complex():
            kind = "inputs" if is_input else "outputs"
            raise RuntimeError(f"{func_name}: Expected all {kind} to be real but received complex tensor at flattened "
                               f"input idx: {idx}")


def assert_non_empty_tensor_output(output, api):
    if (len(output) == 1 and output[0] is None) or len(output) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {output})")
    for o in output:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def assert_non_empty_list_of_tensors(output, api, argname):
    if len(output) == 0:
        raise RuntimeError(f"{api}: Expected {argname} to contain at least one Tensor.")
    for out in output:
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{api}: Expected {argname} to only contain Tensors, got {type(out)}")


def _check_forward_dtypes(flat_primals, flat_tangents=()):
    """Forward mode (PyTorch's ``make_dual``) takes floating-point or complex primals and tangents
    only: an integer input of jvp / jacfwd / hessian / linearize is refused before ``f`` runs."""
    for what, tensors in (("primal", flat_primals), ("tangent", flat_tangents)):
        for t in tensors:
            if isinstance(t, Tensor) and not (t.is_floating_point() or t.is_complex()):
                raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")


def _split_aux(output, api):
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


# --------------------------------------------------------------------------- grad
def _grad_and_value(func, argnums, has_aux, args, kwargs):
    if _vectorized.levels:  # inside a vectorized vmap: once, on the whole batch (func/_vectorized/_bridge.py)
        from ._vectorized import _bridge
        return _bridge.grad_and_value(func, argnums, has_aux, args, kwargs)
    scope = _Scope()
    with enable_grad():  # as PyTorch: grad works inside no_grad (the function's own no_grad still counts)
        # (flattened once: the leaves and their spec serve the gradient call below too)
        flat_diff_args, spec = tree_flatten(_slice_argnums(args, argnums, as_tuple=False))
        flat_diff_args = [scope.leaf(a) for a in flat_diff_args]
        diff_args = tree_unflatten(flat_diff_args, spec)
        args = _replace_args(args, diff_args, argnums)
        with transform_running():
            output = func(*args, **kwargs)
        aux = None
        if has_aux:
            output, aux = _split_aux(output, "grad_and_value(f)(*args)")
        if not isinstance(output, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                               f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        keep = scope.reaches_foreign((output,))
        flat_grads = _autograd_grad((output,), flat_diff_args, retain_graph=keep, create_graph=keep)
        grads = tree_unflatten([scope.finish(g) for g in flat_grads], spec)
        if output.requires_grad and not keep:  # scope.finish(output), without walking its graph again
            output = output.detach()
        if has_aux:
            aux = _undo_aux(scope, aux)
    if has_aux:
        return grads, (output, aux)
    return grads, output


def grad_and_value(func, argnums=0, has_aux=False):
    """``grad_and_value(f)(*args)`` -> (gradient of the scalar ``f`` w.r.t. ``args[argnums]``,
    ``f(*args)``); with ``has_aux``: (gradient, (value, aux))."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``grad(f)(*args)``: the gradient of the scalar ``f`` w.r.t. ``args[argnums]`` (the same
    structure as those arguments); with ``has_aux``: (gradient, aux)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        if has_aux:
            return grads, value[1]
        return grads
    return wrapper


# --------------------------------------------------------------------------- vjp
def _vjp_with_argnums(func, *primals, argnums=None, has_aux=False):
    if _vectorized.levels:
        from ._vectorized import _bridge
        return _bridge.vjp(func, *primals, argnums=argnums, has_aux=has_aux)
    scope = _Scope()
    with enable_grad():
        if argnums is None:
            diff_primals = tree_map(scope.leaf, primals)
            primals = diff_primals
        else:
            diff_primals = tree_map(scope.leaf, _slice_argnums(primals, argnums, as_tuple=False))
            primals = _replace_args(primals, diff_primals, argnums)
        with transform_running():
            primals_out = func(*primals)
        aux = None
        if has_aux:
            primals_out, aux = _split_aux(primals_out, "vjp(f, *primals)")
            aux = _undo_aux(scope, aux)
        flat_primals_out, primals_out_spec = tree_flatten(primals_out)
        assert_non_empty_tensor_output(flat_primals_out, "vjp(f, *primals)")
        flat_diff_primals, primals_spec = tree_flatten(diff_primals)
        for out in flat_primals_out:
            if not (out.is_floating_point() or out.is_complex()):
                raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                                   f"with dtype {out.dtype}")
        outputs_keep = scope.reaches_foreign(flat_primals_out)
        # (no output reaching a foreign tensor: each one's own walk in scope.finish would say so again)
        results = tree_map(scope.finish if outputs_keep else _detached, primals_out)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        if create_graph is None:
            create_graph = is_grad_enabled()
        flat_cotangents, cotangents_spec = tree_flatten(cotangents)
        if primals_out_spec != cotangents_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {cotangents_spec.pprint()}, primal output: {primals_out_spec.pprint()}")
        # a graph is only worth building when something outside can differentiate the result
        keep = create_graph and (outputs_keep or any(isinstance(c, Tensor) and c.requires_grad
                                                     for c in flat_cotangents))
        with enable_grad():
            result = _autograd_grad(flat_primals_out, flat_diff_primals, flat_cotangents,
                                    retain_graph=retain_graph or keep, create_graph=keep)
        return tree_unflatten([scope.finish(g) for g in result], primals_spec)

    def vjp_batched(flat_cotangents, create_graph):
        """``vjp_fn`` for a batch of flat cotangents (each (batch, *output shape)) in ONE batched
        backward: the flat results, each (batch, *primal shape). (jacrev's rows, in chunks.)"""
        keep = create_graph and (outputs_keep or any(c.requires_grad for c in flat_cotangents))
        with enable_grad():
            result = _autograd_grad(flat_primals_out, flat_diff_primals, flat_cotangents, retain_graph=True,
                                    create_graph=keep, is_grads_batched=True)
        return [scope.finish(g) for g in result]

    vjp_fn._batched = vjp_batched
    if has_aux:
        return results, vjp_fn, aux
    return results, vjp_fn


def vjp(func, *primals, has_aux=False):
    """(``func(*primals)``, ``vjp_fn``): ``vjp_fn(cotangents)`` is the cotangents times the
    Jacobian, one entry per primal; with ``has_aux``: (output, vjp_fn, aux)."""
    return _vjp_with_argnums(func, *primals, has_aux=has_aux)


# --------------------------------------------------------------------------- jvp
def _linearized(func, primals, flat_primals, primals_spec, argnums, has_aux, jacfwd=False):
    """Run ``func`` once, on leaves of a new scope standing for ``flat_primals``, and linearize it
    there: (scope, flat outputs, their spec, aux, push). ``push(flat_tangents, keep, retain)`` is
    the tangent of each output (None where an output does not depend on the primals), by the
    double-backward trick: g(u) = J^T u is linear in u, and d<g(u), t>/du = J t. The dummy
    cotangents u are zeros (their value never matters). One forward run serves many pushes."""
    from tensorgraft.autograd import grad as _grad
    scope = _Scope()
    flat_diff = [scope.leaf(p) for p in flat_primals]
    diff = tree_unflatten(flat_diff, primals_spec)
    args = diff if argnums is None else _replace_args(primals, diff if isinstance(argnums, tuple) else diff[0],
                                                      argnums)
    with transform_running(scope, jacfwd=jacfwd):
        out = func(*args)
    aux = None
    if has_aux:
        out, aux = _split_aux(out, jvp_str)
        aux = _undo_aux(scope, aux)
    flat_out, spec = tree_flatten(out)
    assert_non_empty_tensor_output(flat_out, jvp_str)
    diff_out = [o for o in flat_out if o.requires_grad]
    us = [scope.own_leaf(zeros_like(o, requires_grad=True)) for o in diff_out]
    try:
        g = _grad(diff_out, flat_diff, us, create_graph=True, allow_unused=True) if diff_out else ()
    except (RuntimeError, NotImplementedError) as exc:
        # an op without a derivative: PyTorch's forward-AD refusal, not the backward's error
        from tensorgraft.autograd.forward_ad._propagation import _no_forward_derivative
        refusal = _no_forward_derivative(exc)
        if refusal is None:
            raise
        raise refusal from None
    reached = [gi is not None and gi.requires_grad for gi in g]

    def push(flat_tangents, keep, retain):
        pairs = [(gi, t) for gi, t, r in zip(g, flat_tangents, reached) if r]
        if not pairs:
            return [None] * len(flat_out)
        jv = iter(_grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=keep, retain_graph=retain,
                        allow_unused=True))
        return [next(jv) if o.requires_grad else None for o in flat_out]

    def push_batched(flat_tangents, keep, retain):
        """``push`` for a batch of tangents (each (batch, *primal shape)) in ONE batched backward."""
        pairs = [(gi, t) for gi, t, r in zip(g, flat_tangents, reached) if r]
        if not pairs:
            return [None] * len(flat_out)
        jv = iter(_grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=keep, retain_graph=retain,
                        allow_unused=True, is_grads_batched=True))
        return [next(jv) if o.requires_grad else None for o in flat_out]
    push.batched = push_batched
    return scope, flat_out, spec, aux, push


def _jvp_with_argnums(func, primals, tangents, argnums, *, strict=False, has_aux):
    if _vectorized.levels and isinstance(primals, tuple):  # (not a tuple: the error below)
        from ._vectorized import _bridge
        return _bridge.jvp(func, primals, tangents, argnums, strict=strict, has_aux=has_aux)
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{jvp_str}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    diff_args = primals if argnums is None else _slice_argnums(primals, argnums)
    flat_primals, primals_spec = tree_flatten(diff_args)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(f"{jvp_str}: Expected primals and tangents to have the same python structure. For example, "
                           "if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{primals_spec} and tangents with structure {tangents_spec}")
    assert_non_empty_list_of_tensors(flat_primals, jvp_str, "primals")
    assert_non_empty_list_of_tensors(flat_tangents, jvp_str, "tangents")
    for p, t in zip(flat_primals, flat_tangents):
        _check_forward_dtypes((p,), (t,))
        if tuple(p.shape) != tuple(t.shape):  # the check make_dual does in PyTorch
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    with enable_grad():
        scope, flat_out, spec, aux, push = _linearized(func, primals, flat_primals, primals_spec, argnums, has_aux)
        foreign = scope.reaches_foreign(flat_out)
        keep = foreign or any(t.requires_grad for t in flat_tangents)
        result_tangents = []
        for o, t in zip(flat_out, push(flat_tangents, keep, keep)):
            if t is None:
                if strict:
                    raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                                       "inputs. This is not allowed with strict=True.")
                t = zeros_like(o)
            result_tangents.append(scope.finish(t))
        # (no output reaching a foreign tensor: each one's own walk in scope.finish would say so again)
        primals_out = tree_unflatten([scope.finish(o) if foreign else _detached(o) for o in flat_out], spec)
        tangents_out = tree_unflatten(result_tangents, spec)
    if has_aux:
        return primals_out, tangents_out, aux
    return primals_out, tangents_out


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(``func(*primals)``, the Jacobian times ``tangents``): forward-mode's result, computed here
    by the double-backward trick; with ``has_aux``: (output, jvp_out, aux)."""
    return _jvp_with_argnums(func, primals, tangents, argnums=None, strict=strict, has_aux=has_aux)


def linearize(func, *primals):
    """(``func(*primals)``, ``jvp_fn``): ``jvp_fn(*tangents)`` is the Jacobian of ``func`` at
    ``primals`` times ``tangents``, with the output's structure. PyTorch traces ``func`` once and
    replays only its linear part; here each ``jvp_fn`` call takes a ``jvp`` at the same primals,
    which gives the same values (``func`` runs again each time)."""
    flat_primals, primals_spec = tree_flatten(primals)
    _check_forward_dtypes(flat_primals)
    output = func(*primals)

    def jvp_fn(*tangents):
        flat_tangents, tangents_spec = tree_flatten(tangents)
        if tangents_spec != primals_spec:
            raise RuntimeError(f"Expected the tangents {tangents_spec} to have the same argspec as the primals "
                               f"{primals_spec}")
        # PyTorch's checks on each tangent, before anything runs
        for i, (p, t) in enumerate(zip(flat_primals, flat_tangents)):
            for what in ("shape", "device", "dtype"):
                if getattr(t, what) != getattr(p, what):
                    raise RuntimeError(f"tangent:{i} with {what} {getattr(t, what)} in flattened pytree doesn't "
                                       f"match the {what} {getattr(p, what)} of the corresponding primal.")
        return _jvp_with_argnums(func, primals, tangents, argnums=None, has_aux=False)[1]
    return output, jvp_fn


# --------------------------------------------------------------------------- Jacobians
def _jacobian(func, argnums, has_aux, api, args, chunk_size=None):
    """Reverse-mode Jacobian: a vjp per output element (the rows of the identity as cotangents),
    ``chunk_size`` rows (all when None) at a time in one batched backward, the rows then joined
    and reshaped to ``output.shape + primal.shape``."""
    if _vectorized.levels:
        from ._vectorized import _bridge
        return _bridge.jacrev(func, argnums, has_aux, api, args, chunk_size)
    import tensorgraft
    error_if_complex(api, args, is_input=True)
    vjp_out = _vjp_with_argnums(func, *args, argnums=argnums, has_aux=has_aux)
    if has_aux:
        output, vjp_fn, aux = vjp_out
    else:
        output, vjp_fn = vjp_out
    flat_output, output_spec = tree_flatten(output)
    error_if_complex(api, flat_output, is_input=False)
    numels = [o.numel() for o in flat_output]
    total = sum(numels)
    flat_primals, primals_spec = tree_flatten(_slice_argnums(args, argnums))

    rows = [[] for _ in flat_primals]  # per primal: the results of each chunk of rows
    if total:
        eye = tensorgraft.eye(total, dtype=flat_output[0].dtype, device=flat_output[0].device)
        starts = [sum(numels[:j]) for j in range(len(numels))]
        # row k's cotangent for output j is ``eye[k, s:s + n].to(o.dtype).view(o.shape)``: the
        # same values, sliced, converted and shaped for all rows at once
        per_output = [eye[:, s:s + n].to(o.dtype).reshape((total,) + tuple(o.shape))
                      for s, n, o in zip(starts, numels, flat_output)]
        step = total if chunk_size is None else chunk_size
        create_graph = is_grad_enabled()  # (vjp_fn's default)
        for k in range(0, total, step):
            basis = per_output if step >= total else [c[k:k + step] for c in per_output]
            for r, row in zip(vjp_fn._batched(basis, create_graph), rows):
                row.append(r)
    flat_input_flat_output = []
    for row, primal in zip(rows, flat_primals):
        if total:
            splits = (row[0] if len(row) == 1 else tensorgraft.cat(row)).split(numels, dim=0)
        else:
            splits = [tensorgraft.zeros((0,) + tuple(primal.shape), dtype=primal.dtype, device=primal.device)
                      for _ in flat_output]
        flat_input_flat_output.append(tuple(s.view(tuple(o.shape) + tuple(primal.shape))
                                            for s, o in zip(splits, flat_output)))
    flat_output_input = tuple(tree_unflatten(list(fi), primals_spec) for fi in zip(*flat_input_flat_output))
    if isinstance(argnums, int):
        flat_output_input = tuple(fi[0] for fi in flat_output_input)
    output_input = tree_unflatten(list(flat_output_input), output_spec)
    if has_aux:
        return output_input, aux
    return output_input


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``jacrev(f)(*args)``: the Jacobian of ``f`` w.r.t. ``args[argnums]`` by reverse mode,
    ``chunk_size`` rows per batched backward (all rows in one when None), as PyTorch's."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper_fn(*args):
        return _jacobian(func, argnums, has_aux, "jacrev", args, chunk_size)
    return wrapper_fn


def _forward_jacobian(func, argnums, has_aux, args):
    """PyTorch's jacfwd: the tangents pushed through ``func`` are the basis of the primals' space,
    one column of the Jacobian each (all pushed in one batched backward), moved to the last
    dimension and reshaped to ``output.shape + primal.shape``. (Computed column by column rather
    than row by row as in ``_jacobian``: where a derivative is infinite, 0 * inf lands in the same
    places as PyTorch's NaNs.) ``func`` runs once; an integer or bool output gets a Jacobian of
    zeros of its dtype."""
    if _vectorized.levels:
        from ._vectorized import _bridge
        return _bridge.jacfwd(func, argnums, has_aux, args)
    import tensorgraft
    error_if_complex("jacfwd", args, is_input=True)
    flat_primals, primals_spec = tree_flatten(_slice_argnums(args, argnums))
    _check_forward_dtypes(flat_primals)
    with enable_grad():
        scope, flat_out, out_spec, aux, push = _linearized(func, args, flat_primals, primals_spec, argnums, has_aux,
                                                           jacfwd=True)
        error_if_complex("jacfwd", flat_out, is_input=False)
        keep = scope.reaches_foreign(flat_out)
        numels = [p.numel() for p in flat_primals]
        total = sum(numels)
        starts = [sum(numels[:j]) for j in range(len(numels))]
        pushed = [None] * len(flat_out)  # per output: its tangent for every basis tangent, (total, *o.shape)
        if total:
            # basis tangent k is 1 at element k of the primals taken together (the rows of the
            # identity, each primal's block of columns viewed as its shape), all in one batch
            tangents = []
            for p, s, n in zip(flat_primals, starts, numels):
                eye = tensorgraft.eye(total, dtype=p.dtype, device=p.device)
                tangents.append((eye if n == total else eye[:, s:s + n]).reshape((total,) + tuple(p.shape)))
            pushed = push.batched(tangents, keep, True)
        flat_output_input = []
        for o, t in zip(flat_out, pushed):
            blocks = []
            for p, s, n in zip(flat_primals, starts, numels):
                shape = tuple(o.shape) + tuple(p.shape)
                if t is None or not n:
                    blocks.append(tensorgraft.zeros(shape, dtype=o.dtype, device=o.device))
                    continue
                cols = t if n == total else t[s:s + n]
                blocks.append(scope.finish(cols.movedim(0, -1).reshape(shape)))
            per_arg = tree_unflatten(blocks, primals_spec)  # one entry per sliced argument (a dict stays one)
            flat_output_input.append(per_arg[0] if isinstance(argnums, int) else per_arg)
    output_input = tree_unflatten(flat_output_input, out_spec)
    if has_aux:
        # PyTorch's jacfwd maps over the tangents and keeps the aux of the first: a tensor with
        # history comes back as a select (its grad_fn is SelectBackward0), with the same values
        aux = tree_map(lambda t: t.unsqueeze(0).select(0, 0) if isinstance(t, Tensor) and t.requires_grad else t, aux)
        return output_input, aux
    return output_input


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacfwd(f)(*args)``: the Jacobian of ``f`` w.r.t. ``args[argnums]``, one forward-mode
    push per element of the primals (see ``_forward_jacobian``)."""
    from ._vmap import _check_randomness_arg, _RandomnessGuard

    @functools.wraps(func)
    def wrapper_fn(*args):
        _check_randomness_arg(randomness)
        # PyTorch's jacfwd is a vmap over the basis of tangents: in 'error' mode a random op inside
        # is refused as vmap refuses it ('same'/'different' need nothing: f runs once here)
        guard = _RandomnessGuard(randomness, 1)
        result = _forward_jacobian(func, argnums, has_aux, args)
        guard.after()
        return result
    return wrapper_fn


def hessian(func, argnums=0):
    """``hessian(f)(*args)``: ``jacfwd(jacrev(f, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
