"""Reverse-mode autograd: graph nodes, recording, and the backward pass.

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

import re
import traceback
import weakref
from itertools import repeat

from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import INFERENCE_SAVED, Tensor, wrap

from . import anomaly

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")

_NO_EDGE = (None, 0)
_new = object.__new__


_CPP_NODE_NAMES = frozenset({"CopySlices", "CopyBackwards", "AccumulateGrad"})

class RemovableHandle:
    """Returned by the ``register_*hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, container, item):
        self._container = container
        self._item = item
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self):
        c = self._container
        if c is not None:
            try:
                c.remove(self._item)
            except ValueError:
                pass
            self._container = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _modified_error(t, expected, fn, nr):
    """PyTorch's message for a saved tensor changed in place after it was saved."""
    which = f", which is output {nr} of {_short_name(fn)}," if fn is not None else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.type()} {list(t._data.shape)}]{which} is at version {t._vc[0]}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


def _short_name(fn) -> str:
    return _BACKWARD_SUFFIX.sub("", type(fn).__name__)


class Node:
    """A node of the backward graph (PyTorch's ``torch.autograd.graph.Node``)."""

    __slots__ = ("inputs", "attrs", "next_functions", "needs_input_grad", "in_meta", "_versions", "_output",
                 "_released", "_hk", "_trace", "_metadata", "_packed", "__weakref__")

    _saves = None          # indices of inputs the formula reads; None = all
    _saves_output = False  # whether the formula reads the op's output
    _saves_crossed = False  # formula(saves_crossed=True): keep each operand only for the other's grad
    _num_outputs = 1

    def name(self) -> str:
        n = type(self).__name__
        # PyTorch's hand-written C++ nodes carry their namespace in name() (not in repr)
        return "torch::autograd::" + n if n in _CPP_NODE_NAMES else n

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def _hooks(self) -> "_NodeHooks":
        hk = self._hk
        if hk is None:
            hk = self._hk = _NodeHooks()
        return hk

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after the node runs; may return new grad_inputs."""
        hooks = self._hooks().post
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node runs; may return new grad_outputs."""
        hooks = self._hooks().pre
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    @property
    def output(self) -> Tensor:
        """The op's result, for formulas declared with ``saves_output=True``. A fresh alias each
        time whose ``grad_fn`` is this node, so double backward flows through the op; the node
        itself keeps only the array (no reference cycle node -> tensor -> node)."""
        out = self._output
        if out is None:
            if self._released:
                raise RuntimeError(_SECOND_BACKWARD)
            raise RuntimeError(f"{type(self).__name__}: the formula reads node.output but was registered without "
                               "saves_output=True")
        data, device, vc, _version = out
        alias = wrap(data, device)
        alias._vc = vc
        alias._requires_grad = True
        alias.grad_fn = self
        return alias

    def _check_saved(self):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        versions = self._versions
        if versions is not None:
            for t, v in zip(self.inputs, versions):
                if v is not None and t._vc[0] != v:
                    raise _modified_error(t, v, t.grad_fn, t._output_nr)
        out = self._output
        if out is not None and out[2][0] != out[3]:
            alias = wrap(out[0], out[1])
            alias._vc = out[2]
            raise _modified_error(alias, out[3], self, 0)

    def release(self):
        """Drop what the node saved (after a backward pass without ``retain_graph``)."""
        if self._versions is not None or self._output is not None or self._packed is not None:
            self._released = True
        self.inputs = None
        self._output = None
        self._packed = None

    def _unpack_saved(self):
        """Put back what ``saved_tensors_hooks`` packed when the node was recorded (see
        ``pack_saved``): the unpack hook runs at every backward pass through the node."""
        unpack, packed, out_meta = self._packed
        inputs = list(self.inputs)
        for i, obj in packed.items():
            t = _checked_unpack(unpack, obj)
            if i == "out":
                self._output = (t._data, t._device) + out_meta
            else:
                inputs[i] = t
        self.inputs = tuple(inputs)


class _NodeHooks:
    """A node's hooks, allocated on first registration (the backward loop checks one slot)."""

    __slots__ = ("pre", "post", "tensor")

    def __init__(self):
        self.pre = []      # Node.register_prehook
        self.post = []     # Node.register_hook
        self.tensor = {}   # output_nr -> _OutputHooks (Tensor.register_hook / retain_grad)


class OpNode(Node):
    """A node whose backward is a registered formula: ``formula(node, grad) -> grads per input``."""

    __slots__ = ()
    _formula = None
    _op = None

    def apply(self, grads):
        if self._packed is not None:
            self._unpack_saved()
        if self._versions is not None or self._output is not None or self._released:
            self._check_saved()
        formula = self._formula
        if formula is None:
            raise RuntimeError(f"the derivative for '{self._op.name}' is not implemented (no gradient formula is "
                               "registered for it)")
        res = formula(self, grads[0])
        if res.__class__ is not tuple:
            res = tuple(res) if isinstance(res, list) else (res,)
        return fit_grads(self, res)


def fit_grads(node, res, needs=None):
    """Reduce broadcast gradients to each input's shape and cast them to its dtype."""
    if needs is None:
        needs = node.needs_input_grad
    if len(res) != len(needs):
        raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of gradients (expected "
                           f"{len(needs)}, got {len(res)})")
    out = []
    for g, need, meta in zip(res, needs, node.in_meta):
        if g is None or not need:
            out.append(None)
            continue
        d = g._data
        if d.shape != meta[0]:
            g = sum_to(g, meta[0], node, len(out))
        if d.dtype is not meta[1] and d.dtype != meta[1]:
            if d.dtype.kind == "c" and meta[1].kind != "c":
                g = g.real  # a real input's gradient is the real part of a complex one, as PyTorch
            g = g.to(_dtype_of(meta[1]))
        out.append(g)
    return out


def _dtype_of(npdtype):
    from tensorgraft.dtypes import _BY_NUMPY
    return _BY_NUMPY[npdtype]


def sum_to(g: Tensor, shape, node=None, index=0) -> Tensor:
    """Sum a broadcast gradient back down to ``shape``."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        name = type(node).__name__ if node is not None else "backward"
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got {list(gshape)} "
                           f"but expected shape compatible with {list(shape)}")
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
    if dims:
        g = g.sum(tuple(dims), keepdim=True)
    if g._data.shape != tuple(shape):
        g = g.reshape(shape)
    return g


class AccumulateGrad(Node):
    """Where gradients of a leaf end up: ``variable.grad``."""

    __slots__ = ("variable",)

    def apply(self, grads):
        raise AssertionError("AccumulateGrad is handled by the engine")


# --------------------------------------------------------------------------- recording
_named_classes: dict = {}


def node_class(op, name=None, inputs=None):
    """The node class of ``op`` (cached on ``op.node_class``; named variants in a dict, rebuilt
    when the op's formula is replaced).

    The name is, in order: ``name`` (the op's frontend chose it), the op's declared ``node``,
    the formula's ``node`` (a name, or a function of the inputs for ops whose PyTorch node
    depends on the overload, ``PowBackward0/1/2``), else ``<CamelName>Backward0``."""
    formula = op.formula
    if formula is None and op.extra.get("formula_of"):
        from tensorgraft.registry import registry
        formula = registry.ops[op.extra["formula_of"]].formula
    cacheable = name is None
    if name is None:
        name = op.extra.get("node")
        if name is None:
            spec = getattr(formula, "node", None)
            if spec.__class__ is dict:
                spec = spec.get(op.name)
            if callable(spec):
                name = spec(inputs)
                cacheable = False
            else:
                name = spec
    if not cacheable:
        hit = _named_classes.get((op, name))
        if hit is not None and hit[0] is formula:
            return hit[1]
    cls_name = name or (_camel(op.name) + "Backward0")
    saves = getattr(formula, "saves", None)
    cls = type(cls_name, (OpNode,), {
        "__slots__": (), "_formula": staticmethod(formula) if formula else None, "_op": op,
        "_saves": tuple(saves) if saves is not None else None,
        "_saves_output": bool(getattr(formula, "saves_output", False)),
        "_saves_crossed": bool(getattr(formula, "saves_crossed", False)),
        "__module__": "tensorgraft.autograd.nodes"})
    if cacheable:
        op.node_class = cls
    else:
        _named_classes[(op, name)] = (formula, cls)
    return cls


_WORD_START = re.compile(r"(?:^|_|(?<=\d))([a-z])")


def _camel(name: str) -> str:
    """PyTorch's node-name spelling: words start after ``_`` and after digits (``log1p`` ->
    ``Log1P``, ``deg2rad`` -> ``Deg2Rad``)."""
    return _WORD_START.sub(lambda m: m.group(1).upper(), name.rpartition(".")[2]).replace("_", "")


def accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node; the tensor keeps only a weak reference to it (the graph
    holds the strong ones), so every node using the leaf shares one accumulator."""
    extra = t._hooks()
    ref = extra.grad_accumulator
    acc = ref() if ref is not None else None
    if acc is None:
        acc = _new(AccumulateGrad)
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


# ``autograd.graph.saved_tensors_hooks``: the (pack_hook, unpack_hook) pairs in force, innermost
# last. Recording checks this list's truth only, so ops pay nothing while no hooks are set.
saved_hooks: list = []
# ``disable_saved_tensors_hooks``: the error messages of the blocks that forbid hooks.
hooks_disabled: list = []


def pack_saved(node) -> None:
    """Hand each tensor a new node saved (and its output, when the formula reads it) to the
    innermost pack hook, keeping what the hook returns in its place until backward unpacks it."""
    pack, unpack = saved_hooks[-1]
    in_force = saved_hooks[:]
    saved_hooks.clear()  # what the pack hook computes is not packed again (no endless recursion)
    try:
        _pack_into(node, pack, unpack)
    finally:
        saved_hooks[:] = in_force


def _pack_into(node, pack, unpack) -> None:
    inputs = list(node.inputs)
    versions = node._versions
    packed = {}
    if versions is not None:
        for i, t in enumerate(inputs):
            if versions[i] is not None and isinstance(t, Tensor):
                packed[i] = pack(t)
                inputs[i] = None
                versions[i] = None  # what unpack returns is the hook's business, not a saved alias
    out_meta = None
    if node._output is not None:
        data, device, vc, version = node._output
        alias = wrap(data, device)
        alias._vc = vc
        alias._requires_grad = True
        alias.grad_fn = node
        packed["out"] = pack(alias)
        out_meta = (vc, version)
        node._output = None
    node.inputs = tuple(inputs)
    node._packed = (unpack, packed, out_meta)


def _checked_unpack(unpack, obj):
    t = unpack(obj)
    if not isinstance(t, Tensor):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(t).__name__}")
    return t


def record(op, out: Tensor, inputs, attrs, node_name=None):
    """Make ``out`` the result of a new node of ``op`` (called by op frontends while recording)."""
    if out._data.dtype.kind not in "fc":
        return None  # integer and bool results never require grad
    cls = op.node_class if node_name is None else None
    if cls is None:
        cls = node_class(op, node_name, inputs)
    node = _new(cls)
    saves = cls._saves
    if cls._saves_crossed:
        a, b = inputs
        saves = tuple(i for i, other in ((0, b), (1, a)) if isinstance(other, Tensor) and other._requires_grad)
    nf = []
    needs = []
    metas = []
    versions = []  # version of each saved tensor input (None: not saved), checked before backward
    kept = None if saves is None else []  # the inputs the formula reads; the others may be freed now
    saved_any = False
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor):
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
    if kept is not None:
        inputs = tuple(kept)
    node.inputs = inputs
    node.attrs = attrs
    node.next_functions = tuple(nf)
    node.needs_input_grad = tuple(needs)
    node.in_meta = metas
    node._versions = versions if saved_any else None
    node._output = (out._data, out._device, out._vc, out._vc[0]) if cls._saves_output else None
    node._released = False
    node._hk = None
    node._packed = None
    if saved_hooks and (saved_any or node._output is not None):
        pack_saved(node)
    if anomaly.enabled:
        node._trace = traceback.format_stack()[:-2]
    out._requires_grad = True
    out.grad_fn = node
    out._output_nr = 0
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
class _OutputHooks:
    """Hooks on one output of a node: ``Tensor.register_hook`` functions, then ``retain_grad``."""

    __slots__ = ("hooks", "retain")

    def __init__(self):
        self.hooks = []
        self.retain = None  # weakref to the tensor whose .grad is kept


def _output_hooks(t: Tensor) -> _OutputHooks:
    th = t.grad_fn._hooks().tensor
    oh = th.get(t._output_nr)
    if oh is None:
        oh = th[t._output_nr] = _OutputHooks()
    return oh


def register_tensor_hook(t: Tensor, hook):
    if t.grad_fn is None:
        extra = t._hooks()
        if extra.hooks is None:
            extra.hooks = []
        hooks = extra.hooks
    else:
        hooks = _output_hooks(t).hooks
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def register_post_accumulate_hook(t: Tensor, hook):
    extra = t._hooks()
    if extra.post_accumulate_hooks is None:
        extra.post_accumulate_hooks = []
    extra.post_accumulate_hooks.append(hook)
    return RemovableHandle(extra.post_accumulate_hooks, hook)


def retain_grad(t: Tensor) -> None:
    """Keep the gradient of the non-leaf ``t`` in ``t.grad`` during backward (after its hooks)."""
    if t.grad_fn is None:
        return  # leaves keep their gradient anyway
    _output_hooks(t).retain = weakref.ref(t)
    t._hooks().retains_grad = True


def _call_tensor_hooks(tensor_hooks, grads, create_graph):
    for nr, oh in tensor_hooks.items():
        g = grads[nr]
        if g is None:
            continue
        for h in list(oh.hooks):
            r = h(g)
            if r is not None:
                g = r
        grads[nr] = g
        if oh.retain is not None:
            t = oh.retain()
            if t is not None:
                _accumulate_into(t, g, create_graph)


# --------------------------------------------------------------------------- the backward pass
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
        if gd.shape == g._data.shape and gd.dtype == g._data.dtype and cur.grad_fn is None:
            gd += g._data
            cur._vc[0] += 1
        else:
            var._grad = cur + g


def _copy_with_graph(g: Tensor) -> Tensor:
    """A copy of ``g`` that stays differentiable: PyTorch's first accumulation under create_graph
    copies into a fresh tensor, so ``.grad`` shows ``grad_fn=<CopyBackwards>``."""
    out = wrap(g._data.copy(), g._device)
    if g._requires_grad:
        from tensorgraft.registry import registry
        record(registry.ops["clone"], out, (g,), None, node_name="CopyBackwards")
    return out


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
        buffers[node] = g if cur is None else cur + g
    else:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * n_out
        cur = buf[nr]
        buf[nr] = g if cur is None else cur + g


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None, capture=False,
                 allow_unused=False):
    """Shared by ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``.

    With ``capture=True`` the gradients of ``inputs`` are returned instead of accumulated.
    """
    root_edges = []
    for i, t in enumerate(roots):
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
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs must be tensors, got {type(t).__name__}")
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = t.grad_fn if t.grad_fn is not None else accumulator(t)
            targets.setdefault(node, []).append((k, t._output_nr, t))
        deps, runs = _prune(deps, root_nodes, targets)
        captured = [None] * len(inputs)

    buffers = {}
    for (n, nr), g in zip(root_edges, root_grads):
        if n in deps:
            _add_to_buffer(buffers, n, nr, g)
    ready = [n for n in dict.fromkeys(root_nodes) if deps.get(n) == 0]

    prev_mode = _gs.enabled
    _gs.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if node.__class__ is AccumulateGrad:
                if grads is not None:
                    _run_accumulate(node, grads, create_graph, targets, captured, capture)
                continue
            grad_inputs = None
            if grads is not None:
                grads = [grads] if node._num_outputs == 1 else grads
                hk = node._hk
                if hk is not None and hk.tensor:
                    _call_tensor_hooks(hk.tensor, grads, create_graph)
                if targets is not None:
                    hits = targets.get(node)
                    if hits:
                        _capture(hits, grads, captured, capture, create_graph)
                    if node not in runs:
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
                    for h in list(hk.post):
                        r = h(tuple(grad_inputs), tuple(grads))
                        if r is not None:
                            grad_inputs = list(_check_hook_result(h, r, len(grad_inputs)))
                if not retain_graph:
                    node.release()
            elif runs is not None and node not in runs:
                continue
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
                        buffers[nxt] = g if cur is None else cur + g
                    else:
                        _add_to_buffer(buffers, nxt, nr, g)
                if left == 1:
                    deps[nxt] = 0
                    ready.append(nxt)
                else:
                    deps[nxt] = left - 1
    finally:
        _gs.enabled = prev_mode
    if capture:
        if not allow_unused:
            for k, g in enumerate(captured):
                if g is None:
                    raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used in the "
                                       "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(captured)
    return None


def _check_hook_result(hook, r, n):
    """PyTorch's checks on what a Node hook returns: a tuple of the same length."""
    if r.__class__ is not tuple:
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != n:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got {len(r)}, but expected {n})")
    return r


def _capture(hits, grads, captured, capture, create_graph):
    for k, nr, t in hits:
        g = grads[nr]
        if g is None:
            continue
        if capture:
            captured[k] = g if captured[k] is None else captured[k] + g
        else:  # backward(inputs=[non_leaf]) fills its .grad
            _accumulate_into(t, g, create_graph)


def _run_accumulate(node, g, create_graph, targets, captured, capture):
    var = node.variable
    extra = var._extra
    if extra is not None and extra.hooks:
        for h in list(extra.hooks):
            r = h(g)
            if r is not None:
                g = r
    if capture:
        _capture(targets[node], (g,), captured, True, create_graph)
        return
    hk = node._hk
    if hk is not None:
        for h in list(hk.pre):
            r = h((g,))
            if r is not None:
                g = _check_hook_result(h, r, 1)[0]
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
            if t._data.dtype.kind != "f":  # complex too, as PyTorch: a complex loss has no single gradient
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = wrap(_ones_on(t), t._device)
        elif isinstance(g, Tensor):
            if g._data.shape != t._data.shape:
                if g._data.size == 1 and g._data.ndim == 0:
                    g = g.expand(*t._data.shape)  # PyTorch broadcasts a 0-d grad_output
                else:
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
