"""What the backward pass does at a node besides its formula: calling the hooks registered on it
(registration is in ``hooks.py``) with PyTorch's checks on what they return, running a leaf's
``AccumulateGrad``, and keeping the gradients ``autograd.grad`` asked for."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from . import saved_hooks
from .leaf_grads import _accumulate_into, _retain_into, to_grad_dtype


def _call_tensor_hooks(tensor_hooks, grads, create_graph):
    for nr, oh in tensor_hooks.items():
        g = grads[nr]
        # an output of a multi-output node that got no gradient: PyTorch calls its hooks with None
        for h in list(oh.hooks):
            r = h(g)
            if r is not None:
                g = r if g is None else _check_tensor_hook_result(h, r, g)
        grads[nr] = g
        if g is None:
            continue
        if oh.retain is not None:
            t = oh.retain()
            if t is not None:
                _retain_into(t, g, create_graph)


# A node reached without any gradient (a custom Function's backward returned None for its edge):
# PyTorch still runs it with undefined gradients, so its hooks see None, and computes nothing.
def _hooks_without_gradient(node):
    hk = node._hk
    grads = [None] * node._num_outputs
    for oh in hk.tensor.values():
        for h in list(oh.hooks):
            h(None)
    for h in list(hk.pre):
        h(tuple(grads))
    none = (None,) * len(node.next_functions)
    for h in list(hk.post):
        h(none, tuple(grads))


def _accumulate_nothing(node):
    var = node.variable
    extra = var._extra
    if extra is not None and extra.hooks:
        for h in list(extra.hooks):
            h(None)
    hk = node._hk
    if hk is not None:
        for h in list(hk.pre):
            h((None,))
    if extra is not None and extra.post_accumulate_hooks and var._requires_grad:
        for h in list(extra.post_accumulate_hooks):
            h(var)
    if hk is not None:
        for h in list(hk.post):
            h((), (None,))


def _run_unneeded(node, hk, grads, retain_graph):
    """``backward(inputs=[t])`` for a non-leaf ``t`` whose node leads to no other input: PyTorch
    still runs that node, needing none of its gradients, so its pre-hooks and hooks fire (the
    latter with None for every gradient) and, without retain_graph, its saved tensors are freed.
    Computing nothing gives the same, except for a custom Function: its ``backward`` is called
    (what it returns is what the hooks see, and goes nowhere). (``autograd.grad`` does not run it.)"""
    if hk is not None:
        for h in list(hk.pre):
            r = h(tuple(grads))
            if r is not None:
                grads = list(_check_hook_result(h, r, len(grads)))
    from .function import FunctionCtx  # (function.py imports this module)
    if isinstance(node, FunctionCtx):
        out = tuple(node.apply(grads))
    else:
        # it runs: what it saved must still be there, unchanged (PyTorch unpacks it)
        if node._packed is not None:
            saved_hooks.unpack_node(node)
        if node._versions is not None or node._output is not None or node._released:
            node._check_saved()
        out = (None,) * len(node.next_functions)
    if hk is not None and hk.post:
        for h in list(hk.post):
            r = h(out, tuple(grads))
            if r is not None:
                _check_hook_result(h, r, len(out))
    if not retain_graph:
        node.release()


def _check_tensor_hook_result(hook, r, g):
    """PyTorch's checks on the gradient a ``Tensor.register_hook`` hook returns, made before it
    replaces ``g``: a tensor of the same dtype (checked first) and the same shape (no broadcasting)."""
    if not isinstance(r, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    name = getattr(hook, "__name__", "<unknown>")
    if r._data.dtype != g._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.type()} got {r.type()})")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return r


def _check_hook_result(hook, r, n):
    """PyTorch's checks on what a Node hook returns: a tuple of the same length."""
    if r.__class__ is not tuple:
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != n:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got {len(r)}, but expected {n})")
    return r


def _capture(hits, grads, captured):
    """``autograd.grad``: keep the gradients of the requested inputs reached at this node."""
    for k, nr, _ in hits:
        g = grads[nr]
        if g is not None:
            captured[k] = g if captured[k] is None else captured[k] + g


def _run_accumulate(node, g, create_graph, targets, captured, capture):
    var = node.variable
    extra = var._extra
    if extra is not None:  # a set grad_dtype applies before the hooks and autograd.grad see g (PyTorch)
        g = to_grad_dtype(var, g)
    if extra is not None and extra.hooks:
        for h in list(extra.hooks):
            r = h(g)
            if r is not None:
                g = _check_tensor_hook_result(h, r, g)
    if capture:
        _capture(targets[node], (g,), captured)
        return
    hk = node._hk
    if hk is not None:
        for h in list(hk.pre):
            r = h((g,))
            if r is not None:
                g = _check_hook_result(h, r, 1)[0]
    if var.grad_fn is not None:  # the leaf detached in place, then got a history: PyTorch's check
        raise RuntimeError("leaf variable has been moved into the graph interior")
    if not var._requires_grad:
        # the leaf stopped requiring grad after the graph was made (``detach_()``,
        # ``requires_grad_(False)``): PyTorch's AccumulateGrad then stores nothing
        return
    _accumulate_into(var, g, create_graph)
    if extra is not None and extra.post_accumulate_hooks:
        for h in list(extra.post_accumulate_hooks):
            h(var)
    if hk is not None:
        for h in list(hk.post):
            h((), (g,))
