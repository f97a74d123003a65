"""Recording, the forward half of reverse mode (the backward pass is in ``engine.py``).

``record`` runs in the forward pass, only when grad mode is on and an input requires grad. It
creates one node per op — an instance of a class named like PyTorch's (``AddBackward0``) — with
edges (``next_functions``) to the nodes that produced its inputs, or to an ``AccumulateGrad`` node
for leaves. A node keeps only the inputs its formula declared it reads (``formula.saves``), so
intermediate results nobody needs are freed during the forward pass. In-place ops record through
``snapshot`` (the value before the write) and ``rebase`` (the history after it); a view whose base
was written is given a fresh history by ``refresh_view`` before it is used.
"""
from __future__ import annotations

import threading
import traceback
import weakref

from tensorgraft.dtypes import BF16 as _BF16
from tensorgraft.tensor import INFERENCE_SAVED, Tensor, wrap

from . import anomaly, saved_hooks
from .hooks import retain_grad
from .node import (_NO_EDGE, ACCUMULATE_SEQ, AccumulateGrad, MultiOutputOpNode, _alloc, _next_seq, fuse_copy_slices,
                   node_class)
from .saved_hooks import pack_node


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
