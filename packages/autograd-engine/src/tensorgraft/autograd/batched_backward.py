"""One backward walk for many vector-Jacobian products: ``grad(..., is_grads_batched=True)``.

Every gradient carries a leading batch dimension N (one entry per product). The graph is walked
once, as ``engine.run_backward`` walks it; each node then runs either

- once, on the batched gradients, when its formula declared itself batch-safe (``@formula(...,
  batched=True)`` or ``batched_of``, ``formulas/__init__.py``), its results reduced to
  (N, *input shape) by ``fit_grads(..., batch=N)``; or
- once per entry, on the slices ``g[b]``, the per-input results stacked again (custom Functions
  and every formula not declared batch-safe: slower, never wrong).

PyTorch vmaps its backward instead; the values are the same. Hooks would see batched gradients
here where they see one entry at a time in PyTorch, so a graph with any hook (tensor hooks,
``retain_grad``, node pre/post hooks, leaf hooks), saved-tensor hooks, anomaly mode, sparse or
nested gradients is not walked here: ``try_batched_backward`` returns None and the caller runs the
per-entry loop. Under ``create_graph`` the recorded graph of the result is that of the batched
formulas (one node per op over the whole batch), not N per-entry graphs and a stack.
"""
from __future__ import annotations

from tensorgraft.grad_mode import state as _gs

from . import anomaly
from .engine import (_SPARSE_DATA, AccumulateGrad, BackwardPass, _add_to_buffer, _capture, _count_deps, _plus,
                     _pop_ready, _prune, _push_ready, check_all_used, passes, root_edges_of, seed_walk,
                     targets_of)
from .node import MultiOutputOpNode, OpNode, SomeInputsDifferentiable, fit_grads


class _Unbatchable(Exception):
    """Raised inside the walk when a node's per-entry results cannot be stacked (a sparse
    gradient): the caller then runs the per-entry loop on the untouched graph."""


def try_batched_backward(outputs, root_grads, retain_graph, create_graph, inputs, allow_unused, batch):
    """The batched gradients of ``inputs`` (None where unreached), or None when this graph must be
    walked once per entry (see the module docstring). ``root_grads[i]`` has shape (batch, *outputs[i].shape)."""
    if anomaly.enabled:
        return None
    for t in (*outputs, *inputs):
        if hasattr(t, "_wrap_grad"):  # a nested tensor
            return None
    for g in root_grads:
        if g._data.__class__ in _SPARSE_DATA:
            return None
    root_edges = root_edges_of(outputs)
    root_nodes = [n for n, _ in root_edges]
    deps = _count_deps(root_nodes)
    targets = targets_of(inputs, capture=True)
    deps, runs = _prune(deps, root_nodes, targets)
    if not _batchable(deps):
        return None
    try:
        captured = _walk(root_edges, root_nodes, root_grads, deps, runs, targets, len(inputs), create_graph, batch)
    except _Unbatchable:
        return None
    if not retain_graph:
        for node in runs:
            node.release()
    if not allow_unused:
        check_all_used(captured)
    return tuple(captured)


def _batchable(nodes) -> bool:
    """No hook of any kind on the nodes the pass reaches, nothing packed by saved-tensor hooks."""
    for node in nodes:
        hk = node._hk
        if hk is not None and (hk.tensor or hk.pre or hk.post):
            return False
        if node._packed is not None:
            return False
        if node.__class__ is AccumulateGrad:
            extra = node.variable._extra
            if extra is not None and extra.hooks:
                return False
    return True


def _walk(root_edges, root_nodes, root_grads, deps, runs, targets, n_inputs, create_graph, batch):
    captured = [None] * n_inputs
    buffers, ready = seed_walk(root_edges, root_nodes, root_grads, deps)
    prev_mode = _gs.enabled
    _gs.enabled = create_graph
    passes.append(BackwardPass(deps))
    try:
        while ready:
            node = ready.pop() if len(ready) == 1 else _pop_ready(ready)
            grads = buffers.pop(node, None)
            if node.__class__ is AccumulateGrad:
                if grads is not None:
                    _capture(targets[node], (grads,), captured)
                continue
            grad_inputs = None
            if grads is not None:
                grads = [grads] if node._num_outputs == 1 else grads
                hits = targets.get(node)
                if hits:
                    _capture(hits, grads, captured)
                if node not in runs:
                    continue
                grad_inputs = apply_batched(node, grads, batch)
            elif node not in runs:
                continue
            for (nxt, nr), g in zip(node.next_functions, grad_inputs if grad_inputs is not None else ()):
                if nxt is None or g is None or nxt not in deps:
                    continue
                if nxt._num_outputs == 1:
                    cur = buffers.get(nxt)
                    buffers[nxt] = g if cur is None else _plus(cur, g)
                else:
                    _add_to_buffer(buffers, nxt, nr, g)
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                left = deps.get(nxt)
                if left is None:
                    continue
                if left == 1:
                    deps[nxt] = 0
                    _push_ready(ready, nxt)
                else:
                    deps[nxt] = left - 1
        callbacks = passes[-1].callbacks
        while callbacks:
            callbacks.pop(0)()
    finally:
        passes.pop()
        _gs.enabled = prev_mode
    return captured


def batched_formula(node):
    """The formula that runs ``node`` once over a batch, or None (the node runs per entry)."""
    if not isinstance(node, OpNode):
        return None
    formula = node._formula
    batched = getattr(formula, "batched", None) if formula is not None else None
    if batched is True:
        return formula
    return batched


def apply_batched(node, grads, batch):
    """``node.apply`` on gradients of shape (batch, *output shape): its batched formula once, or
    its ordinary ``apply`` once per entry (then the results stacked)."""
    formula = batched_formula(node)
    if formula is not None:
        if node._versions is not None or node._output is not None or node._released:
            node._check_saved()
        res = formula(node, grads if isinstance(node, MultiOutputOpNode) else grads[0])
        if res is not None:
            if res.__class__ is not tuple:
                res = tuple(res) if isinstance(res, list) else (res,)
            res = fit_grads(node, res, batch=batch)
            if isinstance(node, SomeInputsDifferentiable):
                res = [res[i] for i in node._edge_positions()]
            return res
    return _apply_per_entry(node, grads, batch)


def _apply_per_entry(node, grads, batch):
    from tensorgraft import stack, zeros_like
    per = [node.apply([None if g is None else g[b] for g in grads]) for b in range(batch)]
    out = []
    for column in zip(*per):
        given = next((g for g in column if g is not None), None)
        if given is None:
            out.append(None)
            continue
        if given._data.__class__ in _SPARSE_DATA:
            raise _Unbatchable
        # an entry that got no gradient (a custom Function's backward returning None for it): zeros
        out.append(stack([zeros_like(given) if g is None else g for g in column]))
    if not per:
        return [None] * len(node.next_functions)
    return out
