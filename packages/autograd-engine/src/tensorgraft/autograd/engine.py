"""Reverse-mode autograd: graph nodes, recording, and the backward pass.

Recording (``record``) runs in the forward pass, only when grad mode is on and an input requires
grad. It creates one node per op — an instance of a class named like PyTorch's (``AddBackward0``)
— with edges (``next_functions``) to the nodes that produced its inputs, or to an
``AccumulateGrad`` node for leaves.

``run_backward`` walks the graph iteratively (no recursion limit): count each node's incoming
edges, then process nodes whose gradients are complete, calling the op's formula. Formulas are
written with tensorgraft ops, so with ``create_graph=True`` (grad mode on during the pass) the
backward pass itself is recorded and can be differentiated again. Saved tensors are dropped as
soon as a node has run unless ``retain_graph=True``.
"""
from __future__ import annotations

import traceback
import weakref

from tensorgraft.grad_mode import set_grad_enabled, state as _gs
from tensorgraft.tensor import Tensor, wrap

from . import anomaly

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters."""

    def __init__(self, container, item):
        self._ref = weakref.ref(container) if not isinstance(container, list) else (lambda c=container: c)
        self._item = item

    def remove(self):
        c = self._ref()
        if c is not None and self._item in c:
            c.remove(self._item)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A node of the backward graph (PyTorch's ``torch.autograd.graph.Node``)."""

    __slots__ = ("inputs", "attrs", "next_functions", "needs_input_grad", "in_meta", "_versions", "_output",
                 "_released", "_pre_hooks", "_hooks", "_tensor_hooks", "_trace", "_metadata", "__weakref__")

    _saves = None          # indices of inputs the formula reads; None = all
    _saves_output = False  # whether the formula reads the op's output
    _num_outputs = 1

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after the node runs; may return new grad_inputs."""
        hooks = _get_list(self, "_hooks")
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node runs; may return new grad_outputs."""
        hooks = _get_list(self, "_pre_hooks")
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    @property
    def output(self):
        out = self._output
        if out is None:
            raise RuntimeError(_SECOND_BACKWARD)
        return out

    def _check_saved(self):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        versions = self._versions
        if versions:
            for i, v in versions:
                t = self.inputs[i] if i >= 0 else self._output
                if t._vc[0] != v:
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an inplace "
                        f"operation: [{t.type()} {list(t.shape)}], which is "
                        f"{'output 0 of ' + type(self).__name__ if i < 0 else f'input {i} of {type(self).__name__}'}"
                        f", is at version {t._vc[0]}; expected version {v} instead. Hint: the backtrace further "
                        "above can point to the operation that failed to compute its gradient. Enable "
                        "tensorgraft.autograd.set_detect_anomaly(True) to find it.")

    def release(self):
        if self._saves is None or self._saves or self._saves_output:
            self._released = True
        self.inputs = None
        self._output = None


def _get_list(obj, slot):
    try:
        lst = getattr(obj, slot)
    except AttributeError:
        lst = None
    if lst is None:
        lst = []
        setattr(obj, slot, lst)
    return lst


class OpNode(Node):
    """A node whose backward is a registered formula: ``formula(node, grad) -> grads per input``."""

    __slots__ = ()
    _formula = None
    _op = None

    def apply(self, grads):
        self._check_saved()
        g = grads[0]
        formula = self._formula
        if formula is None:
            raise RuntimeError(f"the derivative for '{self._op.name}' is not implemented (no gradient formula is "
                               "registered for it)")
        res = formula(self, g)
        if not isinstance(res, tuple):
            res = (res,)
        return fit_grads(self, res)


def fit_grads(node, res):
    """Reduce broadcast gradients to each input's shape and cast to its dtype."""
    out = []
    needs = node.needs_input_grad
    metas = node.in_meta
    for i, g in enumerate(res):
        if g is None or not needs[i]:
            out.append(None)
            continue
        shape, npdtype = metas[i]
        if g._data.shape != shape:
            g = sum_to(g, shape)
        if g._data.dtype != npdtype:
            g = g.to(_dtype_of(npdtype))
        out.append(g)
    return out


def _dtype_of(npdtype):
    from tensorgraft.dtypes import _BY_NUMPY
    return _BY_NUMPY[npdtype]


def sum_to(g: Tensor, shape) -> Tensor:
    """Sum a broadcast gradient back down to ``shape``."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
    if dims:
        g = g.sum(tuple(dims), keepdim=True)
    if lead or g._data.shape != shape:
        g = g.reshape(shape)
    return g


class AccumulateGrad(Node):
    """Where gradients of a leaf end up: ``variable.grad``."""

    __slots__ = ("variable",)

    def apply(self, grads):
        raise AssertionError("AccumulateGrad is handled by the engine")


# --------------------------------------------------------------------------- recording
_node_classes: dict = {}


def node_class(op, name=None):
    key = (op, name)
    cls = _node_classes.get(key)
    if cls is None:
        name = name or op.extra.get("node") or (_camel(op.name) + "Backward0")
        formula = op.formula
        if formula is None and op.extra.get("formula_of"):
            from tensorgraft.registry import registry
            formula = registry.ops[op.extra["formula_of"]].formula
        cls = type(name, (OpNode,), {
            "__slots__": (), "_formula": staticmethod(formula) if formula else None, "_op": op,
            "_saves": getattr(formula, "saves", None), "_saves_output": getattr(formula, "saves_output", False),
            "__module__": "tensorgraft.autograd.nodes"})
        _node_classes[key] = cls
    return cls


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.rpartition(".")[2].split("_") if p)


def accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node; the tensor keeps only a weak reference to it."""
    extra = t._hooks()
    ref = extra.grad_accumulator
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad()
        acc.variable = t
        acc.next_functions = ()
        acc.inputs = None
        _init_node(acc)
        extra.grad_accumulator = weakref.ref(acc)
    return acc


def _init_node(node):
    node._released = False
    node._output = None
    node._pre_hooks = None
    node._hooks = None
    node._tensor_hooks = None


def record(op, out: Tensor, inputs, attrs, node_name=None):
    cls = _node_classes.get((op, node_name)) or node_class(op, node_name)
    node = object.__new__(cls)
    node.inputs = inputs
    node.attrs = attrs
    nf = []
    needs = []
    metas = []
    for t in inputs:
        if isinstance(t, Tensor):
            d = t._data
            metas.append((d.shape, d.dtype))
            if t._requires_grad:
                fn = t.grad_fn
                nf.append((fn, t._output_nr) if fn is not None else (accumulator(t), 0))
                needs.append(True)
                continue
        else:
            metas.append(None)
        nf.append((None, 0))
        needs.append(False)
    node.next_functions = tuple(nf)
    node.needs_input_grad = tuple(needs)
    node.in_meta = metas
    saves = cls._saves
    node._versions = [(i, t._vc[0]) for i, t in enumerate(inputs)
                      if (saves is None or i in saves) and isinstance(t, Tensor)]
    _init_node(node)
    out._requires_grad = True
    out.grad_fn = node
    out._output_nr = 0
    if cls._saves_output:
        alias = wrap(out._data, out._device)
        alias._vc = out._vc
        alias._requires_grad = True
        alias.grad_fn = node
        node._output = alias
        node._versions.append((-1, out._vc[0]))
    if anomaly.enabled:
        node._trace = traceback.format_stack()[:-3]
    return node


def snapshot(t: Tensor) -> Tensor:
    """The value of ``t`` before an in-place op, keeping its history (for the op's formula)."""
    s = wrap(t._data.copy(), t._device)
    s._requires_grad = t._requires_grad
    s.grad_fn = t.grad_fn
    s._output_nr = t._output_nr
    if t._requires_grad and t.grad_fn is None:
        s._extra = t._extra
    return s


def rebase(t: Tensor, result: Tensor) -> None:
    """After an in-place op, ``t``'s history ends in the op's node."""
    t.grad_fn = result.grad_fn
    t._output_nr = result._output_nr
    t._requires_grad = result._requires_grad


# --------------------------------------------------------------------------- tensor hooks
def register_tensor_hook(t: Tensor, hook):
    if t.grad_fn is None:
        hooks = _leaf_hooks(t)
    else:
        th = t.grad_fn._tensor_hooks
        if th is None:
            th = t.grad_fn._tensor_hooks = {}
        hooks = th.setdefault(t._output_nr, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def _leaf_hooks(t):
    extra = t._hooks()
    if extra.hooks is None:
        extra.hooks = []
    return extra.hooks


def register_post_accumulate_hook(t: Tensor, hook):
    extra = t._hooks()
    if extra.post_accumulate_hooks is None:
        extra.post_accumulate_hooks = []
    extra.post_accumulate_hooks.append(hook)
    return RemovableHandle(extra.post_accumulate_hooks, hook)


def _retain_grad_hooks(node, grads):
    """Run tensor hooks (and retain_grad) for the outputs of ``node`` before it runs."""
    th = node._tensor_hooks
    if not th:
        return grads
    grads = list(grads)
    for nr, hooks in th.items():
        for h in list(hooks):
            if grads[nr] is None:
                continue
            r = h(grads[nr])
            if r is not None:
                grads[nr] = r
    return grads


def retain_grad(t: Tensor) -> None:
    ref = weakref.ref(t)

    def keep(grad):
        tt = ref()
        if tt is not None:
            if tt._grad is None:
                tt._grad = grad.detach().clone() if not _gs.enabled else grad
            else:
                tt._grad = tt._grad + grad
        return None
    keep._tg_retain = True
    th = t.grad_fn._tensor_hooks
    if th is None:
        th = t.grad_fn._tensor_hooks = {}
    hooks = th.setdefault(t._output_nr, [])
    if not any(getattr(h, "_tg_retain", False) for h in hooks):
        hooks.append(keep)


# --------------------------------------------------------------------------- the backward pass
def _accumulate(buf, i, g):
    cur = buf[i]
    if cur is None:
        buf[i] = g
    else:
        buf[i] = cur + g


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None, capture=False,
                 allow_unused=False):
    """Shared by ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``capture=True`` the gradients of ``inputs`` are returned instead of accumulated.
    """
    edges = []
    for t in roots:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        edges.append((t.grad_fn, t._output_nr) if t.grad_fn is not None else (accumulator(t), 0))

    targets = None
    if inputs is not None:
        targets = {}
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs must be tensors, got {type(t).__name__}")
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = t.grad_fn if t.grad_fn is not None else accumulator(t)
            targets.setdefault(node, []).append((k, t._output_nr, t))

    # 1) discover the graph and, when targets are given, which nodes lead to them
    order = []
    seen = set()
    stack = [n for n, _ in edges]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    if targets is not None:
        needed = _needed(order, targets)
    else:
        needed = seen
    deps = {}
    for n in order:
        if n not in needed:
            continue
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt in needed:
                deps[nxt] = deps.get(nxt, 0) + 1

    buffers = {}
    for (n, nr), g in zip(edges, root_grads):
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * (n._num_outputs if not isinstance(n, AccumulateGrad) else 1)
        _accumulate(buf, nr, g)
    ready = [n for n, _ in edges if deps.get(n, 0) == 0 and n in needed]
    ready = list(dict.fromkeys(ready))
    captured = [None] * (len(inputs) if inputs is not None else 0)

    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:
                continue
            if node._pre_hooks:
                for h in list(node._pre_hooks):
                    r = h(tuple(grads))
                    if r is not None:
                        grads = list(r)
            if isinstance(node, AccumulateGrad):
                _run_accumulate(node, grads[0], create_graph, targets, captured, capture)
                continue
            if node._tensor_hooks:
                grads = _retain_grad_hooks(node, grads)
            if targets is not None and node in targets:
                for k, nr, _t in targets[node]:
                    captured[k] = grads[nr] if captured[k] is None or grads[nr] is None else captured[k] + grads[nr]
            if anomaly.enabled:
                grad_inputs = anomaly.run_checked(node, grads)
            else:
                grad_inputs = node.apply(grads)
            if node._hooks:
                for h in list(node._hooks):
                    r = h(tuple(grad_inputs), tuple(grads))
                    if r is not None:
                        grad_inputs = list(r)
            if not retain_graph:
                node.release()
            for (nxt, nr), g in zip(node.next_functions, grad_inputs):
                if nxt is None or nxt not in needed:
                    continue
                if g is not None:
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * (nxt._num_outputs if not isinstance(nxt, AccumulateGrad) else 1)
                    _accumulate(buf, nr, g)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
    if capture:
        for k, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        return tuple(captured)
    return None


def _needed(order, targets):
    """Nodes from which some target is reachable (the only ones worth running)."""
    needed = set(targets)
    # ``order`` is DFS pre-order from the roots; iterate to a fixed point in reverse
    changed = True
    while changed:
        changed = False
        for n in reversed(order):
            if n in needed:
                continue
            if any(nxt in needed for nxt, _ in n.next_functions if nxt is not None):
                needed.add(n)
                changed = True
    return needed


def _run_accumulate(node, g, create_graph, targets, captured, capture):
    var = node.variable
    extra = var._extra
    if extra is not None and extra.hooks:
        for h in list(extra.hooks):
            r = h(g)
            if r is not None:
                g = r
    if targets is not None:
        hits = targets.get(node)
        if hits:
            for k, _nr, _t in hits:
                captured[k] = g if captured[k] is None else captured[k] + g
        if capture:
            return
        if not hits:
            return
    if g is None:
        return
    if create_graph:
        var._grad = g if var._grad is None else var._grad + g
    elif var._grad is None:
        # a fresh array: the same gradient tensor may flow to several leaves
        var._grad = wrap(g._data.copy(), g._device)
    else:
        gd = var._grad._data
        if gd.shape == g._data.shape and gd.dtype == g._data.dtype:
            gd += g._data
            var._grad._vc[0] += 1
        else:
            var._grad = var._grad + g
    if extra is not None and extra.post_accumulate_hooks:
        for h in list(extra.post_accumulate_hooks):
            h(var)


def make_root_grads(outputs, grad_outputs, create_graph, what="backward"):
    grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind not in "fc":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = wrap(_ones_on(t), t._device)
        elif isinstance(g, Tensor):
            if g._data.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                                   f"has a shape of {t.shape}.")
            if g._device is not t._device:
                raise RuntimeError(f"invalid gradient at index {i} - expected device {t.device} but got {g.device}")
            if not create_graph:
                g = g.detach()
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        grads.append(g)
    return grads


def _ones_on(t):
    from tensorgraft.device import get_backend
    return get_backend(t._device).xp.ones(t._data.shape, t._data.dtype)
