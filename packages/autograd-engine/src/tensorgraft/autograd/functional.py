"""``tensorgraft.autograd.functional``: derivatives of whole functions of tensors (the API of
PyTorch's ``torch.autograd.functional``), all expressed through reverse-mode ``autograd.grad``.

The mathematics used here:

* ``vjp``: the vector-Jacobian product ``v^T J`` is the gradient of ``<v, f(x)>``.
* ``jvp``: ``J u`` is obtained by differentiating ``w -> J^T w`` (which is linear in ``w``) at a dummy
  point with respect to ``w``, in the direction ``u`` (the "double-vjp" trick).
* ``jacobian``: one reverse sweep per element of each output gives the rows of the Jacobian.
* ``hessian``: the Jacobian of the gradient.
* ``vhp``: ``v^T H`` is the gradient of ``<v, grad f(x)>``; ``hvp``: ``H v``, again via the
  double-vjp trick applied to the gradient.

Every public function evaluates the user's function on fresh differentiable stand-ins for the given
inputs, so nothing is accumulated into ``.grad`` of the caller's tensors.  With
``create_graph=True`` a stand-in for an input that already requires grad is a non-leaf alias of it,
so the results can be differentiated further with respect to the caller's tensors.
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.grad_mode import enable_grad
from tensorgraft.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

_FN_OUT = "outputs of the user-provided function"
_STRATEGIES = ("forward-mode", "reverse-mode")


# --------------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------------

def _tensors_of(obj, what, caller):
    """``(was_a_tuple, tuple_of_tensors)`` for a Tensor or a tuple of Tensors; TypeError otherwise."""
    lead = f"The {what} given to {caller} must be either a Tensor or a tuple of Tensors but the"
    if isinstance(obj, Tensor):
        return False, (obj,)
    if not isinstance(obj, tuple):
        raise TypeError(f"{lead} given {what} has type {type(obj)}.")
    for pos, item in enumerate(obj):
        if not isinstance(item, Tensor):
            raise TypeError(f"{lead} value at index {pos} has type {type(item)}.")
    return True, obj


def _shape_like(was_tuple, items):
    """Undo ``_tensors_of``: a tuple stays a tuple, a lone Tensor comes back unwrapped."""
    return tuple(items) if was_tuple else items[0]


def _direction(v, refs, refs_tuple, caller, about_inputs):
    """The tangent/cotangent ``v`` as a tuple matching ``refs`` (checked), or the unit default."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            subject = ("the input to the user-provided function is" if about_inputs
                       else "the user-provided function returns")
            raise RuntimeError(f"The vector v can only be None if {subject} a single Tensor with a single "
                               "element.")
        return (_tg.ones_like(refs[0]),)
    _, vs = _tensors_of(v, "v", caller)
    if not refs_tuple and len(vs) != 1:
        raise RuntimeError("The given v should contain a single Tensor.")
    if len(vs) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(vs)}.")
    for pos, (vec, ref) in enumerate(zip(vs, refs)):
        if tuple(vec.shape) != tuple(ref.shape):
            name = f"Entry {pos} in v" if refs_tuple else "v"
            raise RuntimeError(f"{name} has invalid size: should be {ref.shape} but got {vec.shape}.")
    return vs


def _stand_ins(tensors, create_graph):
    """Differentiable copies of ``tensors`` to evaluate the user's function on."""
    fresh = []
    for t in tensors:
        if create_graph and t.requires_grad:
            fresh.append(t.view_as(t))  # keeps the link to the caller's graph
        else:
            fresh.append(t.detach().requires_grad_(True))
    return tuple(fresh)


def _deliver(tensors, create_graph):
    """Results handed back to the caller: with their history only when ``create_graph``."""
    return tuple(t if create_graph else t.detach() for t in tensors)


def _demand_differentiable(outs):
    for pos, out in enumerate(outs):
        if not out.requires_grad:
            raise RuntimeError(f"Output {pos} of the user-provided function does not require gradients. The "
                               "outputs must be computed in a differentiable manner from the input when "
                               "running in strict mode.")


def _lone_scalar(out_tuple, outs, caller):
    if out_tuple:
        raise RuntimeError(f"The function given to {caller} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {caller} should contain a single "
                           "element")


# --------------------------------------------------------------------------------------------------
# differentiation core
# --------------------------------------------------------------------------------------------------

def _pull_back(outs, wrt, cotangents, create_graph):
    """``sum_i <cotangents[i], d outs[i] / d wrt>`` per entry of ``wrt``; None where unreachable.

    Outputs that carry no history contribute nothing and are skipped (``autograd.grad`` would
    refuse them).  The graph is always kept, since callers sweep through it several times."""
    pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if not pairs:
        return (None,) * len(wrt)
    from tensorgraft.autograd import grad as _reverse_sweep
    found = _reverse_sweep([o for o, _ in pairs], list(wrt), [c for _, c in pairs], retain_graph=True,
                           create_graph=create_graph, allow_unused=True)
    return tuple(found)


def _settle(found, like, strict, if_missing=None, if_constant=None):
    """Replace missing gradients by zeros shaped like ``like``; in strict mode a missing gradient
    raises ``if_missing(k)`` and a gradient without history raises ``if_constant(k)`` (each only
    when given).  Entries are inspected in order, so the first offending position is reported."""
    settled = []
    for k, g in enumerate(found):
        if g is None:
            if strict and if_missing is not None:
                raise RuntimeError(if_missing(k))
            g = _tg.zeros_like(like[k])
        elif strict and if_constant is not None and not g.requires_grad:
            raise RuntimeError(if_constant(k))
        settled.append(g)
    return tuple(settled)


def _seeds_for(tensors):
    """Zero cotangents that require grad, used as the free variable of the double-vjp trick. Made
    by the factory with ``requires_grad=True`` as PyTorch does, so an integer output is refused
    with the factory's message."""
    return tuple(_tg.zeros_like(t, requires_grad=True) for t in tensors)


def _double_vjp(ys, xs, directions, create_graph, strict, if_missing=None):
    """``J v`` for ``J = d ys / d xs`` by the double-vjp trick (jvp, hvp): ``w -> J^T w`` is linear
    in ``w``, so its derivative with respect to ``w`` in the direction ``v`` is ``J v``. Returns
    the product per entry of ``ys`` (None where unreachable); ``strict``/``if_missing`` apply to
    the intermediate ``J^T w``."""
    free = _seeds_for(ys)
    transposed = _settle(_pull_back(ys, xs, free, create_graph=True), xs, strict, if_missing=if_missing)
    return _pull_back(transposed, free, directions, create_graph)


def _msg_output_unused(k):
    return (f"The output of the user-provided function is independent of input {k}. This is not allowed in "
            "strict mode.")


def _msg_jacobian_const(k):
    return (f"The jacobian of the user-provided function is independent of input {k}. This is not allowed in "
            "strict mode when create_graph=True.")


def _msg_hessian_const(k):
    return (f"The hessian of the user-provided function is independent of input {k}. This is not allowed in "
            "strict mode when create_graph=True.")


def _msg_gradient_linear(k):
    return (f"While computing the hessian, found that the jacobian of the user-provided function with respect "
            f"to input {k} is independent of the input. This is not allowed in strict mode. You should ensure "
            "that your function is twice differentiable and that the jacobian depends on the inputs (this "
            "would be violated by a linear function for example).")


def _first_derivative(func, caller, xs, strict, if_missing=_msg_output_unused):
    """Evaluate the scalar-valued ``func`` on ``xs`` and return ``(value, gradient)``; the gradient
    keeps its graph so that it can be differentiated a second time.  In strict mode a gradient
    without history (the function is linear in that input) is an error."""
    out_tuple, outs = _tensors_of(func(*xs), _FN_OUT, caller)
    if strict:  # checked first, as PyTorch's hessian/hvp/vhp
        _demand_differentiable(outs)
    _lone_scalar(out_tuple, outs, caller)
    found = _pull_back(outs, xs, (_tg.ones_like(outs[0]),), create_graph=True)
    gradient = _settle(found, xs, strict, if_missing=if_missing, if_constant=_msg_gradient_linear)
    return outs[0], gradient


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the product of ``v`` with the Jacobian of ``func`` at ``inputs``."""
    with enable_grad():
        in_tuple, xs = _tensors_of(inputs, "inputs", "vjp")
        xs = _stand_ins(xs, create_graph)
        out_tuple, outs = _tensors_of(func(*xs), _FN_OUT, "vjp")
        cotangents = _direction(v, outs, out_tuple, "vjp", about_inputs=False)
        if strict:
            _demand_differentiable(outs)
        found = _pull_back(outs, xs, cotangents, create_graph)
        product = _settle(found, xs, strict, if_missing=_msg_output_unused,
                          if_constant=_msg_jacobian_const if create_graph else None)
    return (_shape_like(out_tuple, _deliver(outs, create_graph)),
            _shape_like(in_tuple, _deliver(product, create_graph)))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the product of the Jacobian of ``func`` at ``inputs`` with ``v``."""
    with enable_grad():
        in_tuple, xs = _tensors_of(inputs, "inputs", "jvp")
        tangents = _direction(v, xs, in_tuple, "jvp", about_inputs=True)
        xs = _stand_ins(xs, create_graph)
        out_tuple, outs = _tensors_of(func(*xs), _FN_OUT, "jvp")
        if strict:
            _demand_differentiable(outs)
        found = _double_vjp(outs, xs, tangents, create_graph, strict, if_missing=_msg_output_unused)
        product = _settle(
            found, outs, strict,
            if_missing=lambda k: (f"The gradient with respect to the input is independent of entry {k} in the "
                                  "grad_outputs when using the double backward trick to compute forward mode "
                                  "gradients. This is not allowed in strict mode."),
            if_constant=_msg_jacobian_const if create_graph else None)
    return (_shape_like(out_tuple, _deliver(outs, create_graph)),
            _shape_like(out_tuple, _deliver(product, create_graph)))


def _jacobian_blocks(outs, xs, create_graph, strict, vectorize=False):
    """``blocks[i][k]``: d outs[i] / d xs[k], shaped ``outs[i].shape + xs[k].shape``. With
    ``vectorize`` (PyTorch: one vmapped backward per output) every row of an output's Jacobian
    comes from one batched backward (``is_grads_batched``), otherwise from one backward per row."""
    blocks = []
    for i, out in enumerate(outs):
        if out.numel() == 0:
            raise RuntimeError("stack expects a non-empty TensorList")
        if vectorize:
            blocks.append(_jacobian_rows_batched(out, xs, create_graph))
            continue

        def missing(k, i=i):
            return (f"Output {i} of the user-provided function is independent of input {k}. This is not "
                    "allowed in strict mode.")

        def constant(_k, i=i):  # reported with the position of the output
            return _msg_jacobian_const(i)

        flat = out.reshape(-1)
        rows = [[] for _ in xs]
        for j in range(flat.numel()):
            entry = flat[j]  # one element: its gradient is row j of this output's Jacobian
            found = _pull_back((entry,), xs, (_tg.ones_like(entry),), create_graph)
            found = _settle(found, xs, strict, if_missing=missing,
                            if_constant=constant if create_graph else None)
            for k, g in enumerate(found):
                rows[k].append(g)
        blocks.append(tuple(_tg.stack(r).reshape(tuple(out.shape) + tuple(x.shape)) for r, x in zip(rows, xs)))
    return blocks


def _jacobian_rows_batched(out, xs, create_graph):
    """d out / d xs[k] for each k, every row at once: the rows of the identity as a batch of
    cotangents in one ``grad(..., is_grads_batched=True)``; zeros where ``out`` does not reach."""
    n = out.numel()
    shapes = [tuple(out.shape) + tuple(x.shape) for x in xs]
    found = (None,) * len(xs)
    if out.requires_grad:
        from tensorgraft.autograd import grad as _reverse_sweep
        basis = _tg.eye(n, dtype=out.dtype, device=out.device).view((n,) + tuple(out.shape))
        found = _reverse_sweep([out], list(xs), [basis], retain_graph=True, create_graph=create_graph,
                               allow_unused=True, is_grads_batched=True)
    return tuple(_tg.zeros(shape, dtype=x.dtype, device=x.device) if g is None else g.reshape(shape)
                 for g, x, shape in zip(found, xs, shapes))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: a Tensor, a tuple over inputs or outputs, or a tuple
    (over outputs) of tuples (over inputs), following whether each of them is a tuple."""
    if strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        in_tuple, xs = _tensors_of(inputs, "inputs", "jacobian")
        if strategy == "forward-mode":
            if create_graph:
                raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                          "`strategy=\"forward-mode\"` are not supported together (yet). Please "
                                          "either set `create_graph=False` or `strategy=\"reverse-mode\"`.")
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
                                   "are not supported together (yet). Please either set `strict=False` or "
                                   "`strategy=\"reverse-mode\"`.")
            if not vectorize:
                raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                          "only implemented for `vectorize=True`.")
        # ``vectorize`` and ``strategy`` only change how PyTorch batches the sweeps; the values are the
        # same, so every case is computed with reverse sweeps: row by row, or (``vectorize``, as
        # PyTorch batches them) all rows of an output in one batched backward
        xs = _stand_ins(xs, create_graph)
        out_tuple, outs = _tensors_of(func(*xs), _FN_OUT, "jacobian")
        if strict:
            _demand_differentiable(outs)
        if vectorize and strict:
            # PyTorch refuses the pair only once the outputs ran and passed strict mode's first check:
            # an output that does not depend on the inputs gets that check's error instead
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        if strategy == "forward-mode" and any(o.numel() == 0 for o in outs):
            blocks = [tuple(_tg.zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
                            for x in xs) for o in outs]
        else:
            blocks = _jacobian_blocks(outs, xs, create_graph, strict, vectorize)
    # PyTorch's forward-mode path hands back lists, not tuples, whenever the inputs form a tuple
    box = list if strategy == "forward-mode" and in_tuple else tuple
    per_output = [box(_deliver(row, create_graph)) if in_tuple else _deliver(row, create_graph)[0]
                  for row in blocks]
    return box(per_output) if out_tuple else per_output[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar-valued ``func`` at ``inputs``: the Jacobian of its gradient."""
    in_tuple, _ = _tensors_of(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def gradient(*xs):
        # an input the function ignores counts as one it is linear in
        _, grads = _first_derivative(func, "hessian", xs, strict, if_missing=_msg_gradient_linear)
        return _shape_like(in_tuple, grads)

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                    strategy=outer_jacobian_strategy)


def _hessian_product(caller, func, inputs, v, create_graph, strict, forward, if_missing):
    """``(func(inputs), product)`` for vhp and hvp: ``v^T H`` as the gradient of ``<v, grad f>``, or
    (``forward``) ``H v`` by the double-vjp trick on the gradient. ``if_missing`` words strict
    mode's error for a product entry the directions do not reach."""
    with enable_grad():
        in_tuple, xs = _tensors_of(inputs, "inputs", caller)
        directions = _direction(v, xs, in_tuple, caller, about_inputs=True)
        xs = _stand_ins(xs, create_graph)
        value, gradient = _first_derivative(func, caller, xs, strict)
        if forward:
            # an entry of H^T w that w does not reach is zero; strict mode objects one step later,
            # when the final derivative turns out not to depend on the matching entry of w
            found = _double_vjp(gradient, xs, directions, create_graph, strict=False)
        else:
            found = _pull_back(gradient, xs, directions, create_graph)
        product = _settle(found, xs, strict, if_missing=if_missing,
                          if_constant=_msg_hessian_const if create_graph else None)
    return (_deliver((value,), create_graph)[0],
            _shape_like(in_tuple, _deliver(product, create_graph)))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for the scalar-valued ``func`` with Hessian ``H`` at ``inputs``."""
    return _hessian_product(
        "vhp", func, inputs, v, create_graph, strict, forward=False,
        if_missing=lambda k: (f"The jacobian of the user-provided function is independent of input {k}. "
                              "This is not allowed in strict mode."))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for the scalar-valued ``func`` with Hessian ``H`` at ``inputs``."""
    return _hessian_product(
        "hvp", func, inputs, v, create_graph, strict, forward=True,
        if_missing=lambda k: (f"The hessian of the user-provided function is independent of entry {k} in "
                              "the grad_jacobian. This is not allowed in strict mode as it prevents from "
                              "using the double backward trick to replace forward mode AD."))
