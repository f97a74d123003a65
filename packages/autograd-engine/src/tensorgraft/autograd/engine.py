"""Reverse-mode autograd: recording and the backward pass (the nodes are in ``node.py``, the
hooks in ``hooks.py`` and ``saved_hooks.py``).

Recording (``record``) runs in the forward pass, only when grad mode is on and an input requires
grad. It creates one node per op — an instance of a class named like PyTorch's (``AddBackward0``)
— with edges (``next_functions``) to the nodes that produced its inputs, or to an
``AccumulateGrad`` node for leaves. A node keeps only the inputs its formula declared it reads
(``formula.saves``), so intermediate results nobody needs are freed during the forward pass.

``run_backward`` walks the graph iteratively (no recursion limit): count each node's incoming
edges, then process nodes whose gradients are complete, calling the op's formula. Formulas are
written with tensorgraft ops, so with ``create_graph=True`` (grad mode on during the pass) the
backward pass itself is recorded and can be differentiated again. Saved tensors are dropped as
soon as a node has run unless ``retain_graph=True``.
"""
from __future__ import annotations

import threading
import traceback
import weakref
from collections import namedtuple
from itertools import repeat

import numpy as np

from tensorgraft.grad_mode import state as _gs
from tensorgraft.dtypes import BF16 as _BF16
from tensorgraft.sparse.compressed_data import SparseCompressedData
from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import INFERENCE_SAVED, Tensor, wrap

from . import anomaly, saved_hooks
from .hooks import register_post_accumulate_hook, register_tensor_hook, retain_grad  # noqa: F401
from .node import (_NO_EDGE, _SECOND_BACKWARD, ACCUMULATE_SEQ, AccumulateGrad, MultiOutputOpNode, Node,  # noqa: F401
                   OpNode, _alloc, _modified_error, _new, _next_seq, fit_grads, fuse_copy_slices, node_class,
                   sum_to)
from .saved_hooks import pack_node

_SPARSE_DATA = (SparseCOOData, SparseCompressedData)  # (array classes of the sparse layouts)


# --------------------------------------------------------------------------- recording
def accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node; the tensor keeps only a weak reference to it (the graph
    holds the strong ones), so every node using the leaf shares one accumulator."""
    extra = t._hooks()
    ref = extra.grad_accumulator
    acc = ref() if ref is not None else None
    if acc is None:
        acc = _alloc(AccumulateGrad)
        acc._seq = ACCUMULATE_SEQ
        acc.variable = t
        acc.next_functions = ()
        acc.inputs = None
        acc.needs_input_grad = ()
        acc.in_meta = ()
        acc._versions = None
        acc._output = None
        acc._released = False
        acc._hk = None
        acc._packed = None
        extra.grad_accumulator = weakref.ref(acc)
    return acc


_SAVE_BOTH, _SAVE_FIRST, _SAVE_SECOND = (0, 1), (0,), (1,)
_CROSSED: dict = {}  # (formula.saves_crossed, which inputs need a gradient) -> the inputs kept


def _crossed_saves(readers, bits):
    """The inputs a ``saves_crossed`` node keeps: those some input needing a gradient reads."""
    n = len(readers)
    grads = [bool(bits >> (n - 1 - j) & 1) for j in range(n)]
    saves = _CROSSED[(readers, bits)] = tuple(i for i, r in enumerate(readers) if any(grads[j] for j in r))
    return saves

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


def existing_node(t: Tensor):
    """The node whose gradient is ``t``'s: its ``grad_fn``, or its leaf accumulator if one was
    made (None when ``t`` is in no graph yet)."""
    if t.grad_fn is not None:
        return t.grad_fn
    extra = t._extra
    ref = extra.grad_accumulator if extra is not None else None
    return ref() if ref is not None else None


class _InplaceOnThread(threading.local):
    """The edge of the snapshot an in-place op on a view computes from (``snapshot``), until the
    op's CopySlices is recorded (which then takes the op's node in, as PyTorch's wraps it) or the
    in-place op ends another way (``rebase``). Per thread: two threads may write into views at once."""
    edge = None


_inplace = _InplaceOnThread()


def record(op, out: Tensor, inputs, attrs, node_name=None):
    """Make ``out`` the result of a new node of ``op`` (called by op frontends while recording)."""
    if out._data.dtype.kind not in "fc" and out._data.dtype is not _BF16:  # bfloat16's NumPy kind is 'V'
        return None  # integer and bool results never require grad
    cls = op.node_class if node_name is None else None
    wrapping = None
    if cls is None:
        cls = node_class(op, node_name, inputs)
        if cls._reroute is not None:  # (named classes only: cached ones never have one)
            node = cls._reroute(out, inputs, attrs)
            if node is not None:
                return node
        if node_name == "CopySlices" and _inplace.edge is not None:
            wrapping = inputs[1]
    node = _alloc(cls)
    node._seq = _next_seq()
    saves = cls._saves
    if cls._saves_crossed:  # mul: keep an operand only when the other one needs its gradient
        readers = cls._formula.saves_crossed
        if readers is True:
            a, b = inputs
            a_grad = a.__class__ is not float and isinstance(a, Tensor) and a._requires_grad
            if b.__class__ is not float and isinstance(b, Tensor) and b._requires_grad:
                saves = _SAVE_BOTH if a_grad else _SAVE_FIRST
            else:
                saves = _SAVE_SECOND if a_grad else ()
        else:  # per input, the inputs whose gradient reads it (addmm: each matrix for the other's)
            bits = 0  # which inputs need a gradient, the first the highest bit
            for t in inputs:
                bits = bits + bits + (isinstance(t, Tensor) and t._requires_grad)
            saves = _CROSSED.get((readers, bits))
            if saves is None:
                saves = _crossed_saves(readers, bits)
    nf = []
    needs = []
    metas = []
    versions = []  # version of each saved tensor input (None: not saved), checked before backward
    kept = None if saves is None else []  # the inputs the formula reads; the others may be freed now
    saved_any = False
    reads_plain = False  # the formula reads a number input (the 2 of x * 2): freed like a saved tensor
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor):
            if t._base is not None:
                refresh_view(t)
            d = t._data
            metas.append((d.shape, d.dtype))
            if kept is None or i in saves:
                vc = t._vc
                if vc.__class__ is not list:  # an inference tensor: it has no version to check later
                    raise RuntimeError(INFERENCE_SAVED)
                versions.append(vc[0])
                if kept is not None:
                    kept.append(t)
                saved_any = True
            else:
                versions.append(None)
                kept.append(None)
            if t._requires_grad:
                fn = t.grad_fn
                if fn is None and t._base is not None and t._extra is not None and t._extra.no_grad_view:
                    nf.append(_NO_EDGE)  # (a view made without recording: its gradient reaches nothing)
                    needs.append(False)
                    continue
                nf.append((fn, t._output_nr) if fn is not None else (accumulator(t), 0))
                needs.append(True)
            else:
                nf.append(_NO_EDGE)
                needs.append(False)
        else:
            metas.append(None)
            versions.append(None)
            nf.append(_NO_EDGE)
            needs.append(False)
            if kept is not None:
                kept.append(t)
            if t is not None and (kept is None or i in saves):
                reads_plain = True
    if kept is not None:
        inputs = tuple(kept)
    node.inputs = inputs
    node.attrs = attrs
    node.next_functions = tuple(nf)
    node.needs_input_grad = tuple(needs)
    node.in_meta = metas
    # () when only numbers are saved: release() then marks the node freed (PyTorch saves the number
    # as a tensor, so a second backward fails there too) at no cost to the pass that reads it
    node._versions = versions if saved_any else (() if reads_plain else None)
    node._output = (out._data, out._device, out._vc, out._vc[0]) if cls._saves_output else None
    node._released = False
    node._hk = None
    node._packed = None
    if saved_hooks.in_force and (saved_any or node._output is not None):
        pack_node(node)
    if anomaly.enabled:
        node._trace = traceback.format_stack()[:-2]
    out._requires_grad = True
    out.grad_fn = node
    out._output_nr = 0
    if out._base is not None:
        node._view_version = out._vc[0]
    if wrapping is not None:
        _wrap_inplace_node(node, wrapping)
    return node


def _wrap_inplace_node(node, value):
    edge, _inplace.edge = _inplace.edge, None
    fuse_copy_slices(node, value, edge)


def refresh_view(t: Tensor) -> None:
    """PyTorch's view regeneration. A view keeps the history it was made with; when its base, or
    another view of the base, is changed in place afterwards (the shared version counter moved),
    that history no longer leads to the values the view shows. Before the view is used, its history
    becomes ``as_strided`` of the base's current history (``AsStridedBackward0``), as PyTorch's
    ``grad_fn`` of such a view is. Views of one multi-output op (``split``, ``unbind``) are refused
    with PyTorch's error instead."""
    node = t.grad_fn
    try:
        if node._view_version == t._vc[0]:
            return
    except AttributeError:
        # (no history, or a custom Function's output, whose views cannot be regenerated)
        views = getattr(node, "_view_versions", None)
        if views is not None and views.get(t._output_nr, t._vc[0]) != t._vc[0]:
            raise RuntimeError(
                f"Output {t._output_nr} of {node._fn.__name__} is a view and its base or another view of its base has "
                "been modified inplace. This view was created inside a custom Function (or because an input was "
                "returned as-is) and the autograd logic to handle view+inplace would override the custom backward "
                "associated with the custom Function, leading to incorrect gradients. This behavior is forbidden. You "
                "can fix this by cloning the output of the custom Function.") from None
        return
    base = t._base
    extra = t._extra
    if extra is not None and extra.multi_view_nr is not None:
        name = type(node).__name__
        raise RuntimeError(f"Output {t._output_nr} of {name[:-9] if name.endswith('Backward0') else name} is a view "
                           "and its base or another view of its base has been modified inplace. This view is the "
                           "output of a function that returns multiple views. Such functions do not allow the "
                           "output views to be modified inplace. You should replace the inplace operation by an "
                           "out-of-place one.")
    if not base._requires_grad or t._data.__class__ is not base._data.__class__:
        node._view_version = t._vc[0]
        return
    # (a view of another dtype, ``.imag`` or ``view_as_real``, is regenerated in its own units)
    from tensorgraft.ops.indexing.setitem import record_view_history, view_region
    record_view_history(t, base, view_region(t, base))


def record_multi(op, outs, inputs, attrs, node_name=None):
    """Make the tensors ``outs`` outputs 0, 1, ... of one new node of ``op``, whose formula was
    declared ``multi_output=True`` (PyTorch's ``UnbindBackward0`` has one node for all pieces)."""
    node = record(op, outs[0], inputs, attrs, node_name)
    if node is None:
        return None
    if not isinstance(node, MultiOutputOpNode):
        raise RuntimeError(f"the gradient formula of '{op.name}' must be declared with multi_output=True: the op "
                           "returns several outputs that share one node")
    node._num_outputs = len(outs)
    for nr in range(1, len(outs)):
        o = outs[nr]
        o._requires_grad = True
        o.grad_fn = node
        o._output_nr = nr
    return node


def snapshot(t: Tensor) -> Tensor:
    """The value of ``t`` before an in-place op, keeping its history (for the op's formula)."""
    if t._base is not None:
        root = t._base
        if root._requires_grad and root.grad_fn is None:
            # PyTorch refuses the write before it runs the op: no saved-tensor hook sees its inputs
            # (the same check as the write into the view's base, ``_setitem_into_view``)
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        refresh_view(t)
    s = wrap(t._data.copy(), t._device)
    s._requires_grad = t._requires_grad
    s.grad_fn = t.grad_fn
    s._output_nr = t._output_nr
    if t._requires_grad and t.grad_fn is None:
        s._extra = t._extra
    _inplace.edge = (t.grad_fn, t._output_nr) if t._requires_grad else _NO_EDGE
    return s


def rebase(t: Tensor, result: Tensor) -> None:
    """After an in-place op, ``t``'s history ends in the op's node. A ``retain_grad()`` moves with
    it (``t.grad`` is the gradient of the new value, as PyTorch's); other tensor hooks stay on the
    old value's node."""
    _inplace.edge = None
    old_fn, old_nr = t.grad_fn, t._output_nr
    t.grad_fn = result.grad_fn
    t._output_nr = result._output_nr
    t._requires_grad = result._requires_grad
    if t._extra is not None and t._extra.retains_grad and old_fn is not None and t.grad_fn is not None:
        hooks = old_fn._hk
        oh = hooks.tensor.get(old_nr) if hooks is not None else None
        if oh is not None and oh.retain is not None:
            oh.retain = None
            retain_grad(t)


# --------------------------------------------------------------------------- the backward pass
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


def _retain_into(var: Tensor, g: Tensor, create_graph: bool) -> None:
    """``retain_grad()``'s accumulation, PyTorch's: a clone the first time (``CloneBackward0`` under
    create_graph), then always out of place (``var.grad + g``: a new ``.grad`` tensor each pass)."""
    cur = var._grad
    if cur is not None:
        var._grad = cur + g  # (recorded only under create_graph: the pass runs in that grad mode)
    elif create_graph and g._requires_grad:
        var._grad = g.clone()
    else:
        var._grad = wrap(g._data.copy(), g._device)


def _accumulate_into(var: Tensor, g: Tensor, create_graph: bool) -> None:
    """``var.grad += g`` with PyTorch's rules: in place when possible, a fresh tensor the first
    time (the same gradient may flow to several tensors), a graph-carrying sum under create_graph."""
    cur = var._grad
    if create_graph:
        var._grad = _copy_with_graph(g) if cur is None else cur + g
    elif cur is None:
        var._grad = wrap(g._data.copy(), g._device)
    else:
        gd = cur._data
        # in place, as PyTorch's AccumulateGrad outside create_graph: also into a .grad that carries a
        # graph from an earlier create_graph pass (it keeps that graph, and requires_grad)
        if gd.shape == g._data.shape and gd.dtype == g._data.dtype:
            try:  # (a try costs nothing until it catches)
                gd += g._data
            except (TypeError, RuntimeError):
                if gd.__class__ not in _SPARSE_DATA and g._data.__class__ not in _SPARSE_DATA:
                    raise
                _accumulate_sparse(var, cur, g)  # a sparse gradient on either side
                return
            cur._vc[0] += 1
        elif gd.__class__ in _SPARSE_DATA or g._data.__class__ in _SPARSE_DATA:
            _accumulate_sparse(var, cur, g)
        else:
            var._grad = cur + g


def _accumulate_sparse(var: Tensor, cur: Tensor, g: Tensor) -> None:
    """PyTorch's accumulation when a gradient is sparse (an embedding's, a ``sparse.mm`` operand's):
    sparse + sparse stays sparse and a sparse gradient is added into a dense ``.grad``, both in
    place (the ``.grad`` tensor stays the same object); a dense gradient arriving at a sparse
    ``.grad`` makes it dense."""
    a, b = cur._data, g._data
    if a.__class__ in _SPARSE_DATA and b.__class__ is a.__class__:
        cur._data = a.accumulated(b)  # the same .grad tensor, as PyTorch's in-place sparse +=
        cur._vc[0] += 1
    elif a.__class__ in _SPARSE_DATA and b.__class__ in _SPARSE_DATA:  # (COO and compressed: a dense sum)
        var._grad = wrap(a.to_dense() + b.to_dense(), cur._device)
    elif b.__class__ in _SPARSE_DATA:
        b.add_into(a)
        cur._vc[0] += 1
    else:
        dense = b.astype(np.result_type(a.dtype, b.dtype), copy=True)
        a.add_into(dense)
        var._grad = wrap(dense, cur._device)


def _copy_with_graph(g: Tensor) -> Tensor:
    """A copy of ``g`` that stays differentiable: PyTorch's first accumulation under create_graph
    copies into a fresh tensor, so ``.grad`` shows ``grad_fn=<CopyBackwards>``."""
    out = wrap(g._data.copy(), g._device)
    if g._requires_grad:
        node = _new(CopyBackwards)
        node.inputs = node.attrs = node._output = node._packed = node._hk = None
        node._versions = None
        node._released = False
        # PyTorch's CopyBackwards has an edge for the zeros it copies into (none: they need no
        # gradient) before the edge of the gradient copied
        node.next_functions = (_NO_EDGE, (g.grad_fn, g._output_nr) if g.grad_fn is not None else (accumulator(g), 0))
        node.needs_input_grad = (False, True)
        node.in_meta = [None, (g._data.shape, g._data.dtype)]
        out._requires_grad = True
        out.grad_fn = node
        out._output_nr = 0
    return out


class CopyBackwards(Node):
    """The node of a leaf's first ``.grad`` under create_graph (PyTorch copies the gradient into
    zeros): the gradient passes through to the copied tensor."""

    __slots__ = ()

    def apply(self, grads):
        return [None, grads[0]]


def _count_deps(roots):
    """Number of incoming edges of every node reachable from ``roots`` (iterative DFS)."""
    deps = {}
    stack = []
    for r in roots:
        if r not in deps:
            deps[r] = 0
            stack.append(r)
    get = deps.get
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            c = get(nxt)
            if c is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = c + 1
    return deps


def _prune(deps, roots, targets):
    """For ``inputs=``/``autograd.grad``: keep the nodes from which a target can be reached.
    Returns (dependency counts among them, the nodes worth executing)."""
    indeg = dict(deps)
    order = []
    stack = [r for r in dict.fromkeys(roots) if indeg[r] == 0]
    while stack:  # Kahn's algorithm: a topological order
        n = stack.pop()
        order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                c = indeg[nxt] - 1
                indeg[nxt] = c
                if c == 0:
                    stack.append(nxt)
    reach = set()
    runs = set()
    for n in reversed(order):
        if any(nxt in reach for nxt, _ in n.next_functions):
            runs.add(n)
            reach.add(n)
        elif n in targets:
            reach.add(n)
    new_deps = dict.fromkeys(reach, 0)
    for n in runs:
        for nxt, _ in n.next_functions:
            if nxt in reach:
                new_deps[nxt] += 1
    return new_deps, runs


def _add_to_buffer(buffers, node, nr, g):
    n_out = node._num_outputs
    if n_out == 1:
        cur = buffers.get(node)
        buffers[node] = g if cur is None else _plus(cur, g)
    else:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * n_out
        cur = buf[nr]
        buf[nr] = g if cur is None else _plus(cur, g)


def _plus(cur, g):
    """Two gradients of one tensor added up. A sparse gradient and a dense one add up in either
    order (the op refuses sparse + dense, PyTorch's rule for users; the engine swaps them)."""
    try:
        return cur + g
    except RuntimeError:
        if cur._data.__class__ not in _SPARSE_DATA:
            raise
        return g + cur


# The order of the backward pass. Hooks (tensor hooks, node hooks, post-accumulate-grad hooks)
# see it, so it is PyTorch's: among the nodes whose gradients are complete, the one created last
# runs first (the larger sequence number, ``Node._seq``), and AccumulateGrad nodes before any
# other. Leaves that become ready together tie; PyTorch keeps its ready nodes in a C++ binary
# heap (``std::priority_queue`` of libstdc++), whose sift rules decide such ties, so the queue
# below is that same heap, written out over a list of nodes. A chain (one ready node at a time,
# the common case) never enters these functions: the loop appends and pops it directly.
def _push_ready(heap, node):
    """Add ``node``: append it, then move it up past every parent with a smaller key."""
    heap.append(node)
    _sift_up(heap, len(heap) - 1, node)


def _sift_up(heap, hole, node):
    """Put ``node`` at ``hole`` or above it, moving down every parent with a smaller key."""
    key = node._seq
    while hole:
        parent = (hole - 1) >> 1
        above = heap[parent]
        if above._seq >= key:
            break
        heap[hole] = above
        hole = parent
    heap[hole] = node


def _pop_ready(heap):
    """Take the top node. The last element fills the vacated root the way libstdc++ does it:
    the hole first sinks to a leaf along the larger children (the right one on equal keys), then
    the element rises from there; this is what decides the order of equal keys."""
    top = heap[0]
    node = heap.pop()
    n = len(heap)
    if not n:
        return top
    hole = child = 0
    while child < (n - 1) >> 1:
        child = 2 * child + 2
        if heap[child]._seq < heap[child - 1]._seq:
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if not n & 1 and child == (n - 2) >> 1:
        child = 2 * child + 1
        heap[hole] = heap[child]
        hole = child
    _sift_up(heap, hole, node)
    return top


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None, capture=False,
                 allow_unused=False):
    """Shared by ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``capture=True`` the gradients of ``inputs`` are returned instead of accumulated.
    """
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
    root_nodes = [n for n, _ in root_edges]
    deps = _count_deps(root_nodes)

    targets = runs = captured = None
    if inputs is not None:
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
        deps, runs = _prune(deps, root_nodes, targets)
        captured = [None] * len(inputs)

    buffers = {}
    for (n, nr), g in zip(root_edges, root_grads):
        if n in deps:
            _add_to_buffer(buffers, n, nr, g)
    ready = []  # a priority queue of the nodes whose gradients are complete (_push_ready)
    for n in dict.fromkeys(root_nodes):
        if deps.get(n) == 0:
            _push_ready(ready, n)

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
            for k, g in enumerate(captured):
                if g is None:
                    raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used in the "
                                       "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(captured)
    return None


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
