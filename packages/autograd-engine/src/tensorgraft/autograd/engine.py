"""Reverse-mode autograd: the backward pass (recording is in ``recording.py``, the nodes in
``node.py``, the hooks in ``hooks.py`` and ``saved_hooks.py``).

``run_backward`` walks the graph iteratively (no recursion limit): count each node's incoming
edges, then process nodes whose gradients are complete, calling the op's formula. Formulas are
written with tensorgraft ops, so with ``create_graph=True`` (grad mode on during the pass) the
backward pass itself is recorded and can be differentiated again. Saved tensors are dropped as
soon as a node has run unless ``retain_graph=True``. The pass's parts live beside it:
``backward_order.py`` (which nodes run, in which order), ``backward_hooks.py`` (hooks and leaf
accumulation at each node), ``leaf_grads.py`` (``.grad`` accumulation).

This module stays the engine's address: every name other modules (and tests) import from
``tensorgraft.autograd.engine`` is importable here.
"""
from __future__ import annotations

from collections import namedtuple
from itertools import repeat

from tensorgraft.grad_mode import state as _gs
from tensorgraft.dtypes import BF16 as _BF16
from tensorgraft.tensor import Tensor, wrap

from . import anomaly, saved_hooks  # noqa: F401
from .backward_hooks import (_accumulate_nothing, _call_tensor_hooks, _capture, _check_hook_result,  # noqa: F401
                             _check_tensor_hook_result, _hooks_without_gradient, _run_accumulate, _run_unneeded)
from .backward_order import _add_to_buffer, _count_deps, _plus, _pop_ready, _prune, _push_ready, _sift_up  # noqa: F401
from .hooks import register_post_accumulate_hook, register_tensor_hook, retain_grad  # noqa: F401
from .leaf_grads import (_SPARSE_DATA, CopyBackwards, _accumulate_into, _accumulate_sparse,  # noqa: F401
                         _copy_with_graph, _retain_into)
from .node import (_NO_EDGE, _SECOND_BACKWARD, ACCUMULATE_SEQ, AccumulateGrad, MultiOutputOpNode, Node,  # noqa: F401
                   OpNode, _alloc, _modified_error, _new, _next_seq, fit_grads, fuse_copy_slices, node_class,
                   sum_to)
from .recording import (_CROSSED, _SAVE_BOTH, _SAVE_FIRST, _SAVE_SECOND, _crossed_saves, _inplace,  # noqa: F401
                        _InplaceOnThread, _wrap_inplace_node, accumulator, existing_node, rebase, record,
                        record_multi, refresh_view, snapshot)
from .saved_hooks import pack_node  # noqa: F401


# ``torch.autograd.graph.GradientEdge``: one input of the backward graph (a node and which of its
# outputs), which ``autograd.grad`` accepts in place of a tensor
GradientEdge = namedtuple("GradientEdge", ["node", "output_nr", "ownership_token"], defaults=(None,))

GradientEdge.__module__ = "tensorgraft.autograd.graph"


class BackwardPass:
    """The backward pass running now (innermost last in ``passes``): ``nodes`` holds every node it
    will reach, so a hook can tell which of several tensors will get a gradient in this pass;
    ``callbacks`` what ``queue_callback`` asked to run once the pass has finished."""

    __slots__ = ("nodes", "callbacks", "__weakref__")

    def __init__(self, nodes):
        self.nodes = nodes
        self.callbacks = []


passes: list = []


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward pass now running has finished (after every node and
    hook, before ``backward`` returns): PyTorch's ``Variable._execution_engine.queue_callback``,
    which DistributedDataParallel uses to write the averaged gradients at the end of the pass."""
    if not passes:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    passes[-1].callbacks.append(callback)


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None, capture=False,
                 allow_unused=False):
    """Shared by ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``capture=True`` the gradients of ``inputs`` are returned instead of accumulated.
    """
    root_edges = root_edges_of(roots)
    root_nodes = [n for n, _ in root_edges]
    deps = _count_deps(root_nodes)

    targets = runs = captured = None
    if inputs is not None:
        targets = targets_of(inputs, capture)
        deps, runs = _prune(deps, root_nodes, targets)
        captured = [None] * len(inputs)

    buffers, ready = seed_walk(root_edges, root_nodes, root_grads, deps)
    prev_mode = _gs.enabled
    _gs.enabled = create_graph
    passes.append(BackwardPass(deps))
    try:
        while ready:
            node = ready.pop() if len(ready) == 1 else _pop_ready(ready)  # (a chain: nothing to order)
            grads = buffers.pop(node, None)
            if node.__class__ is AccumulateGrad:
                if grads is not None:
                    _run_accumulate(node, grads, create_graph, targets, captured, capture)
                elif not capture:
                    _accumulate_nothing(node)
                continue
            grad_inputs = None
            if grads is not None:
                grads = [grads] if node._num_outputs == 1 else grads
                hk = node._hk
                if hk is not None and hk.tensor:
                    _call_tensor_hooks(hk.tensor, grads, create_graph)
                if targets is not None:
                    hits = targets.get(node)
                    if hits and capture:
                        _capture(hits, grads, captured)
                    if node not in runs:
                        if hits and not capture:
                            _run_unneeded(node, hk, grads, retain_graph)
                        continue
                if hk is not None:
                    for h in list(hk.pre):
                        r = h(tuple(grads))
                        if r is not None:
                            grads = list(_check_hook_result(h, r, len(grads)))
                if anomaly.enabled:
                    grad_inputs = anomaly.run_checked(node, grads)
                else:
                    grad_inputs = node.apply(grads)
                if hk is not None:
                    if runs is not None and hk.post:
                        # PyTorch computes no gradient for an edge that leads to no requested
                        # input: its hooks see None there
                        grad_inputs = [g if nxt in deps else None
                                       for g, (nxt, _) in zip(grad_inputs, node.next_functions)]
                    for h in list(hk.post):
                        r = h(tuple(grad_inputs), tuple(grads))
                        if r is not None:
                            grad_inputs = list(_check_hook_result(h, r, len(grad_inputs)))
                if not retain_graph:
                    node.release()
            elif runs is not None and node not in runs:
                continue
            elif node._hk is not None:
                _hooks_without_gradient(node)
            # hand the gradients to the next nodes; a node is ready once all its edges reported
            for (nxt, nr), g in zip(node.next_functions, grad_inputs if grad_inputs is not None else repeat(None)):
                if nxt is None:
                    continue
                left = deps.get(nxt)
                if left is None:
                    continue  # pruned: leads to no requested input
                if g is not None:
                    if nxt._num_outputs == 1:
                        cur = buffers.get(nxt)
                        buffers[nxt] = g if cur is None else _plus(cur, g)
                    else:
                        _add_to_buffer(buffers, nxt, nr, g)
                if left == 1:
                    deps[nxt] = 0
                    if ready:
                        _push_ready(ready, nxt)
                    else:
                        ready.append(nxt)
                else:
                    deps[nxt] = left - 1
        callbacks = passes[-1].callbacks
        while callbacks:  # in the order queued; a callback may queue another
            callbacks.pop(0)()
    finally:
        passes.pop()
        _gs.enabled = prev_mode
    if capture:
        if not allow_unused:
            check_all_used(captured)
        return tuple(captured)
    return None


def seed_walk(root_edges, root_nodes, root_grads, deps):
    """The gradient buffers holding the roots' gradients, and the ready queue (a priority queue of
    the nodes whose gradients are complete, ``_push_ready``) with the roots nothing else feeds."""
    buffers = {}
    for (n, nr), g in zip(root_edges, root_grads):
        if n in deps:
            _add_to_buffer(buffers, n, nr, g)
    ready = []
    for n in dict.fromkeys(root_nodes):
        if deps.get(n) == 0:
            _push_ready(ready, n)
    return buffers, ready


def root_edges_of(roots):
    """The (node, output number) each root's gradient enters the graph at (shared with the
    batched walk, ``batched_backward.py``)."""
    root_edges = []
    for i, t in enumerate(roots):
        if t._base is not None:
            refresh_view(t)
        fn = t.grad_fn
        if fn is not None:
            root_edges.append((fn, t._output_nr))
        elif t._requires_grad:
            root_edges.append((accumulator(t), 0))
        else:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    return root_edges


def targets_of(inputs, capture):
    """node -> [(position in ``inputs``, output number, tensor or None)] for the walk to stop at:
    captured (``grad``) or accumulated (``backward(inputs=...)``, which retains a non-leaf's grad)."""
    targets = {}
    for k, t in enumerate(inputs):
        if capture and isinstance(t, GradientEdge):
            targets.setdefault(t.node, []).append((k, t.output_nr, None))
            continue
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")
        if not t._requires_grad:
            if not capture:  # backward(inputs=...) retains the gradient of each input
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        node = t.grad_fn
        if node is None:
            node = accumulator(t)
        elif not capture:  # PyTorch: backward(inputs=[non_leaf]) is retain_grad() + its node as a target
            retain_grad(t)
        targets.setdefault(node, []).append((k, t._output_nr, t))
    return targets


def check_all_used(captured):
    for k, g in enumerate(captured):
        if g is None:
            raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")


def make_root_grads(outputs, grad_outputs, create_graph, what="backward"):
    grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}(): expected tensors as outputs, got {type(t).__name__}")
        if g is None:
            if not t._requires_grad:  # PyTorch checks this before the scalar rules
                raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f" and t._data.dtype is not _BF16:  # complex too, as PyTorch: a complex loss has no single gradient
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = wrap(_ones_on(t), t._device)
        elif isinstance(g, Tensor):
            if g._data.shape != t._data.shape:  # exactly: not even a 0-d grad_output broadcasts
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                                   f"output[{i}] has a shape of {t.shape}.")
            if g._device is not t._device:
                raise RuntimeError(f"invalid gradient at index {i} - expected device {t.device} but got {g.device}")
            if not create_graph and g.grad_fn is not None:
                g = g.detach()
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        grads.append(g)
    return grads


def _ones_on(t):
    from tensorgraft.device import get_backend
    return get_backend(t._device).xp.ones(t._data.shape, t._data.dtype)
