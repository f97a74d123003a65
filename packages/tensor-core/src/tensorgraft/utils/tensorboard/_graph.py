"""``SummaryWriter.add_graph``: the computation of a model as the ``GraphDef`` that TensorBoard's
graph dashboard reads, with the ``RunMetadata`` that goes with it.

How PyTorch does it: ``torch.jit.trace`` runs the model once (in eval mode) and records every ATen
call as a node of a TorchScript graph; the writer then turns each traced value into a ``NodeDef``
named ``<module scope>/<value name>``, with ``input/<arg>`` and ``output/output.1`` IO nodes and
``prim::GetAttr`` nodes for the parameters.

tensorgraft has no tracer (``tensorgraft.jit.trace`` runs eagerly), so the graph is read from the
autograd engine instead:

1. The model is run once, like PyTorch's trace, in eval mode (every submodule's ``training`` flag
   is put back afterwards, one by one), with gradient recording on. Each floating input is fed as
   a fresh graph root (a detached copy that requires grad, cloned so that in-place ops on it stay
   legal), and every floating parameter is made to require grad for the run, so every op that
   touches an input or a parameter leaves an autograd node (``AddmmBackward0`` and the like).
2. A forward pre-hook and a forward hook on every submodule mark, on the autograd engine's node
   counter, where each module's call starts and ends; a node then belongs to the innermost module
   that was running when it was made. Scope names are PyTorch's: ``Net/Linear[fc1]``,
   ``Net/Sequential[features]/Conv2d[0]``.
3. The graph is walked from the outputs' ``grad_fn`` through ``next_functions``. The copies of the
   inputs become ``input/<forward's argument name>`` IO nodes, the parameters' ``AccumulateGrad``
   leaves become ``prim::GetAttr`` nodes, every other node becomes an ``aten::<op>`` node (the op
   spelled from the node's class: ``AddmmBackward0`` is ``aten::addmm``, a custom autograd
   Function is ``prim::PythonOp``), and the returned value feeds ``output/output.1`` (through a
   ``prim::TupleConstruct``/``ListConstruct``/``DictConstruct`` node when it is a container).
   ``_output_shapes`` comes from the shapes the consumers recorded for each edge.

Afterwards the hooks are gone, no ``.grad`` was written (nothing runs backward), parameters have
their own ``requires_grad`` again, and the caller's input tensors were never touched. As in
PyTorch, eval mode means BatchNorm's running statistics are not updated and dropout is off.

What differs from PyTorch's graph, because the nodes are autograd's rather than a tracer's:

* Op nodes are the ops autograd records, which are sometimes finer than a trace: ``Linear`` on a
  2-D input is ``aten::t`` (the weight) and ``aten::addmm``, not one ``aten::linear``; ``flatten``
  is ``aten::view``; convolutions are ``aten::convolution``, batch norm ``aten::native_batch_norm``.
  Ops that autograd does not record are missing: integer and boolean ops (``argmax``, comparisons),
  ops on tensors that involve no input or parameter, ops run under ``no_grad``, and ops that are
  identities in eval mode (dropout). Their values still reach the graph as edges where used.
* Node names are ``<scope>/<op>`` (``Net/Linear[fc1]/addmm``, then ``addmm_1`` ... for repeats)
  instead of TorchScript's value names (``input.1``, ``42``); parameters are ``<scope>/<name>``
  (``Net/Linear[fc1]/weight``) instead of ``<scope>/weight/weight.1``, have their shape in
  ``_output_shapes`` (PyTorch's have none) and no edge from the module object.
* Constants (strides, paddings, the ``dim`` of ``flatten``) and buffers (BatchNorm's running
  statistics) get no nodes: autograd keeps no edge to them.
* Integer inputs (embedding indices) get an IO node but no edges (autograd cannot follow them);
  floating inputs that nothing uses are left out, as in PyTorch.
* A container output feeds ``output/output.1`` through a construct node as in PyTorch, but the
  output node then has no ``_output_shapes`` rather than PyTorch's placeholder ``[1]``; a node with
  several outputs (``chunk``) is one node, its later outputs named ``name:1``, ``name:2``.
* ``model`` may also be a plain function (PyTorch needs a module); ``input_to_model=None`` calls
  ``model()`` (PyTorch raises).

As in PyTorch, a dict output is refused under ``use_strict_trace=True``, ``verbose=True`` prints the
graph (here the GraphDef's nodes, PyTorch prints its TorchScript graph), the step statistics name
one device, ``/device:CPU:0`` (PyTorch hard-codes it too), and the GraphDef's producer version is 22.
"""
from __future__ import annotations

import bisect
import inspect
import re

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ...tensor import Tensor

__all__ = ["graph"]

_IO = "IO Node"
_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")
# a word boundary in a node class name: an upper-case letter after a lower-case one (``MaxPool`` ->
# max_pool), or the last capital of a run before a lower-case letter (``2DWith`` -> 2d_with); none
# after a digit (``Log1P`` -> log1p), as ATen spells those ops
_WORD = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _autograd():
    """The autograd engine's node module and its Function node class; add_graph reads the model's
    computation from the graph autograd records, so without the engine there is nothing to read."""
    try:
        from tensorgraft.autograd import function, node
    except ImportError as e:  # (the message tensorgraft gives for every part that is missing)
        raise ModuleNotFoundError("add_graph reads the model's graph from the autograd engine, which is not "
                                  "installed. Install it with: pip install tensorgraft-autograd") from e
    return node, function.FunctionCtx


def _aten_name(fn, function_ctx) -> str:
    """The op of an autograd node, spelled as PyTorch's trace spells ops."""
    if function_ctx is not None and isinstance(fn, function_ctx):
        return "prim::PythonOp"  # a custom autograd Function, as in a TorchScript trace
    stem = _BACKWARD_SUFFIX.sub("", type(fn).__name__)
    return "aten::" + _WORD.sub("_", stem).lower()


class _Names:
    """Unique node names: the first use of ``base`` keeps it, later ones get ``_1``, ``_2`` ...
    (the suffix TensorBoard folds into one series node)."""

    def __init__(self, sep="_"):
        self._used: set = set()
        self._next: dict = {}  # base -> the next suffix to try (a deep model repeats a name thousands of times)
        self._sep = sep

    def __call__(self, base: str) -> str:
        name, k = base, self._next.get(base, 0)
        if k:
            name = f"{base}{self._sep}{k}"
        while name in self._used:
            k += 1
            name = f"{base}{self._sep}{k}"
        self._used.add(name)
        self._next[base] = k + 1
        return name


def _as_args(input_to_model) -> tuple:
    """``input_to_model`` as positional arguments, as ``torch.jit.trace`` takes example inputs."""
    if input_to_model is None:
        return ()
    if isinstance(input_to_model, (Tensor, dict)):
        return (input_to_model,)
    if isinstance(input_to_model, tuple):
        return input_to_model
    if isinstance(input_to_model, list):
        return tuple(input_to_model)
    raise TypeError("add_graph: input_to_model must be a Tensor, a tuple or list of Tensors, or None; got "
                    f"{type(input_to_model).__name__}")


def _arg_names(target, n: int) -> list:
    """The names the forward's signature gives its first ``n`` positional arguments (PyTorch's
    input nodes are named after them); extra arguments of ``*args`` are ``<args>.1``, ``<args>.2``."""
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.extend([p.name] * (n - len(names)))
            break
    names.extend(["input"] * (n - len(names)))
    return names[:n]


def _is_float(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


class _Tracer:
    """One run of the model and the GraphDef read from what autograd recorded during it."""

    def __init__(self, model, args, strict: bool):
        self.node_mod, self.function_ctx = _autograd()
        self.model = model
        self.strict = strict
        self.is_module = hasattr(model, "named_modules") and hasattr(model, "named_parameters")
        forward = getattr(model, "forward", model) if self.is_module else model
        base = getattr(model, "original_name", None) if self.is_module else None
        self.base = base or (type(model).__name__ if self.is_module else getattr(model, "__name__", "Function"))
        self.args = args
        self.arg_names = _arg_names(forward, len(args))
        self.events: list = []   # (node counter value, scope) each time a module's call begins or ends
        self.stack: list = []    # scopes of the module calls under way
        self.inputs: dict = {}   # id(node or tensor standing for an input) -> IO node name
        self.input_nodes: list = []  # (IO node name, shape, the node standing for it or None)
        self.params: dict = {}   # id(parameter) -> (scope, attribute name, place in named_parameters)
        self.scopes: list = []   # (module, scope)
        self.start = 0

    # ------------------------------------------------------------------ running the model
    def _read_modules(self):
        """Each submodule's scope (``Net/Sequential[features]/Conv2d[0]``) and each parameter's
        owner scope, from the module tree as ``named_modules`` lists it (a shared module or
        parameter under its first name, as PyTorch's scopes have it)."""
        by_name = {}
        for qual, mod in self.model.named_modules():
            parent, _, leaf = qual.rpartition(".")
            # a traced module's submodules are wrappers that keep their class name in original_name
            cls = getattr(mod, "original_name", None) or type(mod).__name__
            scope = self.base if not qual else f"{by_name.get(parent, self.base)}/{cls}[{leaf}]"
            by_name[qual] = scope
            self.scopes.append((mod, scope))
        for k, (qual, p) in enumerate(self.model.named_parameters()):
            owner, _, leaf = qual.rpartition(".")
            self.params[id(p)] = (by_name.get(owner, self.base), leaf, k)

    def run(self):
        """Call the model once, hooked, in eval mode, and return its output; the model and its
        parameters are as they were afterwards, whether it returned or raised."""
        import tensorgraft

        model = self.model
        hooks, modes, thawed = [], [], []
        if self.is_module:
            self._read_modules()
        fed = self._feed()
        self.start = self._tick()
        try:
            if self.is_module:
                modes = [(m, m.training) for m, _ in self.scopes if hasattr(m, "training")]
                if hasattr(model, "train"):
                    model.train(False)  # PyTorch traces in eval mode too
                for _, p in model.named_parameters():
                    if not p.requires_grad and _is_float(p) and p.grad_fn is None:
                        p.requires_grad_(True)  # a frozen weight still gets its edge
                        thawed.append(p)
                for mod, scope in self.scopes:
                    if hasattr(mod, "register_forward_pre_hook"):
                        # first among the pre-hooks, last among the hooks: ops that a user's hooks
                        # run (weight norm's recomputed weight) belong to the module too
                        hooks.append(mod.register_forward_pre_hook(self._enter(scope), prepend=True))
                        hooks.append(mod.register_forward_hook(self._leave))
            with tensorgraft.enable_grad():
                try:
                    return model(*fed)
                except Exception as e:
                    if hasattr(e, "add_note"):  # (Python 3.11+)
                        e.add_note("(raised by the model while add_graph ran it on input_to_model; no graph was "
                                   "written)")
                    raise
        finally:
            for h in hooks:
                h.remove()
            for p in thawed:
                p.requires_grad_(False)
            if modes and hasattr(model, "train"):
                model.train(modes[0][1])
            for m, flag in modes:  # train() gives every submodule one flag: put back each one's own
                if m.training != flag:
                    m.training = flag

    def _tick(self) -> int:
        # a fresh number from the counter that orders autograd nodes by creation: every node made
        # after this call has a larger one (taking a number only leaves a gap in the sequence)
        return self.node_mod._next_seq()

    def _enter(self, scope):
        def pre_hook(module, args):
            self.events.append((self._tick(), scope))
            self.stack.append(scope)
        return pre_hook

    def _leave(self, module, args, output):
        self.stack.pop()
        self.events.append((self._tick(), self.stack[-1] if self.stack else self.base))

    def _feed(self) -> tuple:
        """The arguments the model is called with: each floating tensor replaced by a clone of a
        detached copy that requires grad (its ``CloneBackward0`` stands for the input node; the
        clone keeps in-place ops on the input legal), so every op on it is recorded while the
        caller's tensor stays untouched."""
        import tensorgraft

        names = _Names(".")

        def feed(value, name):
            if isinstance(value, Tensor):
                io = "input/" + names(name)
                if _is_float(value):
                    with tensorgraft.enable_grad():
                        t = value.detach().requires_grad_(True).clone()
                    self.inputs[id(t.grad_fn)] = io
                    self.input_nodes.append((io, tuple(value.shape), t.grad_fn))
                else:  # autograd cannot follow an integer tensor: an IO node without edges
                    t = value
                    self.input_nodes.append((io, tuple(value.shape), None))
                self.inputs[id(t)] = io
                return t
            if isinstance(value, (tuple, list)):
                items = [feed(v, name) for v in value]
                return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
            if isinstance(value, dict):
                return {k: feed(v, name) for k, v in value.items()}
            return value

        return tuple(feed(value, name) for value, name in zip(self.args, self.arg_names))

    # ------------------------------------------------------------------ reading the graph
    def scope_of(self, seq) -> str:
        """The innermost module running when the node numbered ``seq`` was made: the scope set by
        the last module call beginning or ending before it (the events are in counter order)."""
        k = bisect.bisect(self.ticks, seq)
        return self.events[k - 1][1] if k else self.base

    def _is_op(self, fn) -> bool:
        """Whether ``fn`` is an op the model ran (not a leaf, not an input, not an earlier value)."""
        return not isinstance(fn, self.node_mod.AccumulateGrad) and id(fn) not in self.inputs \
            and fn._seq >= self.start

    def _reachable(self, roots):
        """Every node reachable from the outputs' ``grad_fn`` (stopping at inputs, leaves and values
        made before the model ran), and the shape of each of their outputs that is used, as the
        consumer recorded it (or as the output tensor has it)."""
        found: dict = {}   # id(node) -> node, in the order first met
        shapes: dict = {}  # (id(node), output nr) -> shape
        self.outputs_used = used = {}  # id(node) -> how many of its outputs are used (1 + highest nr)
        stack = []
        for t in roots:
            if t.grad_fn is not None:
                shapes[(id(t.grad_fn), t.output_nr)] = tuple(t.shape)
                used[id(t.grad_fn)] = max(used.get(id(t.grad_fn), 0), t.output_nr + 1)
                stack.append(t.grad_fn)
        while stack:
            fn = stack.pop()
            if id(fn) in found:
                continue
            found[id(fn)] = fn
            if not self._is_op(fn):
                continue
            metas = fn.in_meta or ()
            # a node listing edges only for its differentiable inputs says where they sit in in_meta
            positions = fn._edge_positions() if hasattr(fn, "_edge_positions") else range(len(metas))
            for (nxt, nr), pos in zip(fn.next_functions, positions):
                if nxt is None:
                    continue
                meta = metas[pos] if pos < len(metas) else None
                if meta is not None:
                    shapes.setdefault((id(nxt), nr), tuple(meta[0]))
                used[id(nxt)] = max(used.get(id(nxt), 0), nr + 1)
                stack.append(nxt)
        return found, shapes

    def build(self, out) -> list:
        if isinstance(out, dict) and self.strict:
            raise RuntimeError("add_graph: the model returned a dict, whose keys could change from one input to "
                               "the next; return a tuple (or a NamedTuple) instead, or pass use_strict_trace=False "
                               "to draw it anyway")
        if not isinstance(out, (Tensor, tuple, list, dict)):
            raise RuntimeError(f"add_graph: the model returned a {type(out).__name__}; only Tensors and tuples, lists "
                               "or dicts of Tensors can be drawn")
        roots = list(_tensors(out))
        self.ticks = [tick for tick, _ in self.events]
        found, shapes = self._reachable(roots)
        self.names = _Names()
        self.refs = {}     # id(node), or id(parameter) for a returned one -> node name
        self.shapes = shapes
        result = [_node(io, _IO, [], [shape], "") for io, shape, fn in self.input_nodes
                  if fn is None or id(fn) in found]  # a floating input nothing used is left out
        for fn in found.values():
            if id(fn) in self.inputs:
                self.refs[id(fn)] = self.inputs[id(fn)]
        ops = sorted((fn for fn in found.values() if self._is_op(fn)), key=lambda f: f._seq)
        # leaves first (parameters, constants), each constant in the scope of its first consumer
        self.first_use: dict = {}  # id(node) -> (its first consumer's counter value, edge position)
        for fn in ops:
            for k, (nxt, _) in enumerate(fn.next_functions):
                if nxt is not None:
                    self.first_use.setdefault(id(nxt), (fn._seq, k))
        leaves = [fn for fn in found.values() if id(fn) not in self.refs and not self._is_op(fn)]
        for fn in sorted(leaves, key=self._leaf_order):
            seq = self.first_use.get(id(fn), (None,))[0]
            result.append(self._leaf_node(fn, self.base if seq is None else self.scope_of(seq)))
        for t in roots:  # a parameter returned as it is
            if t.grad_fn is None and id(t) in self.params and id(t) not in self.refs:
                result.append(self._param_node(t, (id(t), 0)))
        for fn in ops:
            # a custom Function is named after its class, an op after the op
            short = fn._fn.__name__ if isinstance(fn, self.function_ctx) else _aten_name(fn, None).split("::")[1]
            self.refs[id(fn)] = self.names(f"{self.scope_of(fn._seq)}/{short}")
        for fn in ops:
            result.append(self._op_node(fn))
        output_ref = self._output_ref(out, result)
        shape = [tuple(out.shape)] if isinstance(out, Tensor) else None
        result.append(_node("output/output.1", _IO, [output_ref] if output_ref else [], shape, ""))
        return result

    def _leaf_order(self, fn):
        # parameters in the model's order, then the constants in the order they are first used
        var = getattr(fn, "variable", None)
        if var is not None and id(var) in self.params:
            return 0, self.params[id(var)][2]
        return 1, self.first_use.get(id(fn), (-1, 0))

    def _param_node(self, var, key):
        scope, leaf, _ = self.params[id(var)]
        name = self.refs[key[0]] = self.refs[id(var)] = self.names(f"{scope}/{leaf}")
        return _node(name, "prim::GetAttr", [], [tuple(var.shape)], _attr_string({"name": leaf}))

    def _leaf_node(self, fn, scope):
        if isinstance(fn, self.node_mod.AccumulateGrad) and id(fn.variable) in self.params:
            return self._param_node(fn.variable, (id(fn), 0))
        # a tensor requiring grad that the model reached but does not own (a closed-over one), or
        # a value computed before the model ran: a constant to this graph
        name = self.refs[id(fn)] = self.names(f"{scope}/constant")
        return _node(name, "prim::Constant", [], [self.shapes.get((id(fn), 0))], "{}")

    def _op_node(self, fn):
        op = _aten_name(fn, self.function_ctx)
        inputs = [_ref(self.refs[id(nxt)], nr) for nxt, nr in fn.next_functions if nxt is not None]
        count = max(getattr(fn, "_num_outputs", 1), self.outputs_used.get(id(fn), 1))
        outs = [self.shapes.get((id(fn), nr)) for nr in range(count)]
        attr = "{}"
        if isinstance(fn, self.function_ctx):
            attr = _attr_string({"name": getattr(fn._fn, "__name__", "Function")})
        return _node(self.refs[id(fn)], op, inputs, outs, attr)

    def _tensor_ref(self, t: Tensor):
        """The name of the node that produced ``t``, or None where autograd does not know it."""
        if t.grad_fn is not None:
            return _ref(self.refs[id(t.grad_fn)], t.output_nr)
        return self.refs.get(id(t)) or self.inputs.get(id(t))  # a parameter or integer input handed back

    def _output_ref(self, value, result):
        """The name feeding the output node: a tensor's producer, or a construct node gathering a
        container's values, as the trace's ``prim::TupleConstruct`` does."""
        if isinstance(value, Tensor):
            return self._tensor_ref(value)
        if isinstance(value, dict):
            kind, items = "prim::DictConstruct", list(value.values())
        elif isinstance(value, list):
            kind, items = "prim::ListConstruct", value
        elif isinstance(value, tuple):
            kind, items = "prim::TupleConstruct", value
        else:
            return None  # a number or None inside a container: a constant, drawn as no edge
        inputs = [r for r in (self._output_ref(v, result) for v in items) if r]
        name = self.names(f"{self.base}/{kind.split('::')[1]}")
        attr = _attr_string({"keys": list(value)}) if isinstance(value, dict) else "{}"
        result.append(_node(name, kind, inputs, None, attr))
        return name


def _tensors(value):
    """The tensors in a (nested) output, in order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _ref(name: str, nr: int) -> str:
    # a GraphDef names a node's later outputs ``node:1``, ``node:2``
    return name if nr == 0 else f"{name}:{nr}"


def _attr_string(d: dict) -> str:
    # PyTorch's spelling of a node's attributes: the dict's repr with quotes made spaces (quotes
    # upset TensorBoard's node view)
    return str(d).replace("'", " ")


def _shape_proto(shape) -> TensorShapeProto:
    if shape is None:
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _node(name, op, inputs, shapes, attr) -> NodeDef:
    """A NodeDef laid out as PyTorch's: ``attr["attr"]`` a string, ``attr["_output_shapes"]`` the
    shapes of its outputs (left out when none is known)."""
    attrs = {"attr": AttrValue(s=attr.encode("utf-8"))}
    if shapes and any(s is not None for s in shapes):
        attrs["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[_shape_proto(s) for s in shapes]))
    return NodeDef(name=name, op=op, input=inputs, attr=attrs)


def _describe(nodes) -> str:
    """The GraphDef as text, one node a line: ``name = op(inputs) : shapes``."""
    lines = []
    for n in nodes:
        shapes = ", ".join("?" if s.unknown_rank else str([d.size for d in s.dim])
                           for s in n.attr["_output_shapes"].list.shape) if "_output_shapes" in n.attr else "-"
        lines.append(f"  {n.name} = {n.op}({', '.join(n.input)}) : {shapes}")
    return "\n".join(lines)


def graph(model, args, verbose=False, use_strict_trace=True):
    """``(GraphDef, RunMetadata)`` describing one run of ``model`` on ``args`` (a Tensor, a tuple or
    list of them, or None), for ``FileWriter.add_graph``. See the module docstring for how the graph
    is read and how it differs from PyTorch's."""
    if not callable(model):
        raise TypeError(f"add_graph: model must be a Module or a callable, got {type(model).__name__}")
    tracer = _Tracer(model, _as_args(args), bool(use_strict_trace))
    out = tracer.run()
    nodes = tracer.build(out)
    if verbose:
        print(f"graph({tracer.base}):\n{_describe(nodes)}")
    # TensorBoard's graph dashboard reads the device of each node from the step statistics; like
    # PyTorch, name the CPU whatever the model ran on
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), stats
