"""Graph nodes: ``Node`` (PyTorch's ``torch.autograd.graph.Node``), ``OpNode`` whose backward is a
registered formula, ``MultiOutputOpNode`` for ops whose outputs share one node, ``AccumulateGrad``
for leaves, and ``node_class``, which names each op's node class as PyTorch does."""
from __future__ import annotations

import itertools
import re

from tensorgraft.tensor import Tensor, wrap

from .hooks import NodeHooks, RemovableHandle
from .saved_hooks import pack_entry, unpack_entry, unpack_node

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")

_NO_EDGE = (None, 0)
_alloc = object.__new__
# creation order of nodes: the backward pass runs, among the nodes whose gradients are complete,
# the most recently created first (PyTorch's order, which hooks observe); ``record`` stamps it
# inline, other node makers (custom Functions, Error) go through ``_new``
_next_seq = itertools.count().__next__
# AccumulateGrad's place in that order: before every other node, as in PyTorch
ACCUMULATE_SEQ = float("inf")
_UINT64_MAX = 2 ** 64 - 1


def _new(cls):
    """A bare node of class ``cls`` (its fields are filled by the caller) with its sequence number."""
    node = _alloc(cls)
    node._seq = _next_seq()
    return node


_CPP_NODE_NAMES = frozenset({"CopySlices", "CopyBackwards", "AccumulateGrad", "NotImplemented"})

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

    # ``_view_version``: on the node of a view (set only there), the version counter of the view's
    # memory when this node became its history: an in-place change of the base or of another view
    # after that makes the node stale (engine.refresh_view)
    __slots__ = ("inputs", "attrs", "next_functions", "needs_input_grad", "in_meta", "_versions", "_output",
                 "_released", "_hk", "_trace", "_metadata", "_packed", "_seq", "_view_version", "__weakref__")

    _saves = None          # indices of inputs the formula reads; None = all
    _saves_output = False  # whether the formula reads the op's output
    _saves_crossed = False  # formula(saves_crossed=True): keep each operand only for the other's grad
    _num_outputs = 1
    _defaults_of_saved = None  # ``_saved_<arg>`` values a node shows when its attrs lack them (add's alpha=1)
    _number_saves = frozenset()  # args PyTorch saves as a Scalar: a number there is not made a tensor
    _second_operand = "other"  # the name PyTorch's node gives the op's ``other`` (``mat2`` of MmBackward0)

    def __dir__(self):
        # the class carries a ``_saved_*`` property for every argument its op could save; list only
        # those this node has, as PyTorch's nodes list their own saved values (computed here, on
        # the rare dir() call, so recording a node pays nothing for it)
        cls = type(self)
        return [n for n in object.__dir__(self)
                if not isinstance(getattr(cls, n, None), SavedProperty) or _has_saved(self, n)]

    def name(self) -> str:
        n = type(self).__name__
        # PyTorch's hand-written C++ nodes carry their namespace in name() (not in repr)
        return "torch::autograd::" + n if n in _CPP_NODE_NAMES else n

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _sequence_nr(self) -> int:
        """The node's place in creation order, which decides the backward pass's order (later
        nodes first); AccumulateGrad reports the largest 64-bit value, as in PyTorch."""
        seq = self._seq
        return _UINT64_MAX if seq == ACCUMULATE_SEQ else seq

    @property
    def metadata(self) -> dict:
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def _hooks(self) -> "NodeHooks":
        hk = self._hk
        if hk is None:
            hk = self._hk = NodeHooks()
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
        """Drop what the node saved (after a backward pass without ``retain_graph``). A node that
        saved anything, numbers included (``record`` then sets ``_versions`` to ``()``), is marked
        freed, so a second backward through it raises PyTorch's error."""
        if self._versions is not None or self._output is not None or self._packed is not None:
            self._released = True
        self.inputs = None
        self._output = None
        self._packed = None


class OpNode(Node):
    """A node whose backward is a registered formula: ``formula(node, grad) -> grads per input``."""

    __slots__ = ()
    _formula = None
    _op = None
    _reroute = None  # formula(reroute=): records PyTorch's several nodes instead of this one

    def apply(self, grads):
        if self._packed is not None:
            unpack_node(self)
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


# PyTorch's schema names for a second operand that tensorgraft's frontends call ``other``, by the
# node's op name (the class name less ``Backward<n>``); any other node keeps ``other``
_SECOND_OPERAND = {"Mm": "mat2", "Bmm": "mat2", "Mv": "vec", "Dot": "tensor", "Pow": "exponent"}
# the nodes whose PyTorch formula keeps an input's sizes (``_saved_self_sym_sizes``) rather than the
# input: reductions, views, index selections (measured per node); MeanBackward keeps its numel too
_SIZES_SAVED = {
    **dict.fromkeys(("SumBackward0", "SumBackward1", "MeanBackward0", "MeanBackward1", "ViewBackward0",
                     "UnsafeViewBackward0", "ExpandBackward0", "SqueezeBackward0", "SqueezeBackward1",
                     "SqueezeBackward2", "SelectBackward0", "SliceBackward0", "IndexBackward0", "RepeatBackward0",
                     "SplitBackward0", "SplitWithSizesBackward0", "MaxBackward0", "MinBackward0",
                     "MedianBackward1", "NanmedianBackward1", "KthvalueBackward0", "ModeBackward0",
                     "SortBackward0", "TopkBackward0", "IndexSelectBackward0", "DiagonalBackward0",
                     "UnfoldBackward0", "TraceBackward0"), ("self",)),
    "MmBackward0": ("self", "mat2"),
    "MaskedScatterBackward0": ("source",),
}
_NUMEL_SAVED = frozenset({"MeanBackward0", "MeanBackward1"})
# schema arguments that are Scalars in PyTorch: a number there stays a number in ``_saved_*``
# (``_saved_exponent`` of ``x.pow(3)`` is 3, ``_saved_other`` of ``x * 3`` is ``tensor(3)``)
_SCALAR_ARGS = frozenset({"exponent", "alpha", "value"})


class SavedProperty(property):
    """A ``_saved_<arg>`` / ``_raw_saved_<arg>`` property made by ``_saved_properties`` (the ones
    ``Node.__dir__`` lists only where the node has them). (No ``__slots__``: a property
    subclass needs its ``__dict__`` for the getter's docstring.)"""


def _has_saved(node, name: str) -> bool:
    """Whether ``node`` has the saved attribute ``name`` (``_saved_x`` / ``_raw_saved_x``), without
    reading it (no unpack hook runs, and a freed node still lists what it had saved)."""
    raw = name.startswith("_raw_saved_")
    where = _saved_slot(node, name[len("_raw_saved_" if raw else "_saved_"):])
    return where is not None and (not raw or where[0] != "value")


def _saved_properties(op, saves_output: bool, second=None, defaults=None) -> dict:
    """``_saved_<arg>`` / ``_raw_saved_<arg>`` properties for a node class of ``op``: what the node
    saved for its backward, as PyTorch's generated nodes expose it. ``<arg>`` is ``self`` (the first
    input), another input by the name the op's signature gives it (``other``, ``exponent``),
    ``result`` (the output), a non-tensor argument the node kept (``dim``, ``keepdim``), or
    ``<input>_sym_sizes`` / ``<input>_sym_numel``. A name the node's formula does not keep raises
    AttributeError, like the attributes of a PyTorch node that does not save it.

    They are properties made once per node class, not a ``__getattr__``: a class with
    ``__getattr__`` makes every attribute read of every node slower (CPython cannot specialise
    them), and the backward loop reads several per node."""
    import inspect
    try:
        params = list(inspect.signature(op.frontend).parameters)
    except (TypeError, ValueError, AttributeError):
        params = []
    args = {"self", *params[1:]} - {"out"}  # (``out=`` is where a result goes, never saved)
    if second is not None and "other" in params[1:2]:
        args = (args - {"other"}) | {second}
    if saves_output:
        args.add("result")
    args |= set(defaults or ())
    for a in list(args - {"result"}):
        args |= {a + "_sym_sizes", a + "_sym_numel"}
    props = {}
    for arg in args:
        props["_saved_" + arg] = SavedProperty(_saved_getter(arg))
        props["_raw_saved_" + arg] = SavedProperty(_raw_saved_getter(arg))
    return props


def _saved_getter(arg):
    def get(node):
        where = _saved_slot(node, arg)
        if where is None:
            raise AttributeError(f"'{type(node).__name__}' object has no attribute '_saved_{arg}'")
        return where[1] if where[0] == "value" else _saved_tensor(node, where[1])
    return get


def _raw_saved_getter(arg):
    def get(node):
        where = _saved_slot(node, arg)
        if where is None or where[0] == "value":
            raise AttributeError(f"'{type(node).__name__}' object has no attribute '_raw_saved_{arg}'")
        return SavedTensor(node, where[1])
    return get


def _input_index(node, arg):
    """The input position of the op's argument named ``arg`` (``self`` is the first), or None."""
    if arg == "self":
        return 0
    import inspect
    try:
        params = list(inspect.signature(node._op.frontend).parameters)
    except (TypeError, ValueError, AttributeError):
        return None
    if arg in params[1:] and not (arg == "other" and node._second_operand != "other"):
        k = params.index(arg)
    elif arg == node._second_operand and "other" in params[1:2]:
        k = 1
    else:
        return None
    return k if k < len(node.in_meta) else None


def _saved_slot(node, arg):
    """Where ``_saved_<arg>`` lives: ("tensor", input index or "out") for a saved tensor,
    ("value", v) for anything else, None if the node does not save it."""
    if arg == "result":
        return ("tensor", "out") if node._saves_output else None
    for suffix in ("_sym_sizes", "_sym_numel"):
        if arg.endswith(suffix):
            name = type(node).__name__
            if arg[:-len(suffix)] not in _SIZES_SAVED.get(name, ()) or \
                    (suffix == "_sym_numel" and name not in _NUMEL_SAVED):
                return None  # PyTorch's node keeps the tensor itself, or nothing of it
            k = _input_index(node, arg[:-len(suffix)])
            meta = node.in_meta[k] if k is not None else None
            if meta is None:
                return None
            shape = tuple(meta[0])
            if suffix == "_sym_sizes":
                return "value", shape
            n = 1
            for s in shape:
                n *= s
            return "value", n
    k = _input_index(node, arg)
    if k is not None:
        saves = node._saves
        if saves is not None and k not in saves and not node._saves_crossed:
            # the formula never reads this input, or reads a number passed there from attrs
            # (``x.lerp(y, 0.5)``: ``_saved_weight`` is 0.5)
            attrs = node.attrs
            if node.in_meta[k] is None and attrs.__class__ is dict and attrs.get(arg) is not None:
                return "value", attrs[arg]
            return None
        if node.in_meta[k] is None:  # a number argument
            v = node.inputs[k] if node.inputs is not None else None
            if v is not None and arg not in _SCALAR_ARGS and arg not in node._number_saves \
                    and not isinstance(v, (tuple, list)):
                import tensorgraft
                v = tensorgraft.tensor(v)  # PyTorch wraps a number passed for a Tensor operand
            return "value", v
        return "tensor", k
    attrs = node.attrs
    if attrs.__class__ is dict and attrs.get(arg) is not None:  # (some nn ops keep a tuple there)
        return "value", attrs[arg]
    defaults = node._defaults_of_saved
    if defaults is not None and arg in defaults:
        return "value", defaults[arg]
    return None


def _saved_tensor(node, key):
    """The saved tensor (through its unpack hook when packed); None where a formula that keeps
    an input only when the other input needs a gradient did not keep it."""
    if node._released:
        raise RuntimeError(_SECOND_BACKWARD)
    packed = node._packed
    if packed is not None and key in packed[1]:
        t = unpack_entry(node, key)
        if key != "out":
            return t
        data = t._data
    elif key == "out":
        data = node._output[0]
    else:
        return node.inputs[key]
    _, device, vc, _ = node._output if node._output is not None else (None, t._device, None, None)
    alias = wrap(data, device)
    if vc is not None:
        alias._vc = vc
    alias._requires_grad = True
    alias.grad_fn = node
    return alias


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor of a node, to give it pack/unpack hooks
    of its own (``register_hooks``): ``pack_hook`` runs now, ``unpack_hook`` whenever backward
    (or ``_saved_<name>``) reads it."""

    __slots__ = ("_node", "_key")

    def __init__(self, node, key):
        self._node = node
        self._key = key

    def register_hooks(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments. The following argument types are "
                            "supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: collections.abc.Callable, "
                            "arg1: collections.abc.Callable) -> None\n\nInvoked with: "
                            f"{self!r}, {pack_hook!r}, {unpack_hook!r}")
        node, key = self._node, self._key
        if node._released:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need "
                "to backward through the graph a second time or if you need to access saved variables after "
                "calling backward.")
        if node._packed is not None and key in node._packed[1]:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: "
                               "only one pair of hooks is allowed at a time.")
        t = _saved_tensor(node, key)
        if t is None:
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is forbidden")
        pack_entry(node, key, t, pack_hook, unpack_hook)


class MultiOutputOpNode(OpNode):
    """One node for an op with several differentiable outputs (unbind, split, chunk): its formula
    gets the list of the outputs' gradients, ``None`` for outputs that received none, and builds
    the input's gradient in one go instead of one full-size gradient per output."""

    __slots__ = ("_num_outputs",)

    def apply(self, grads):
        if self._packed is not None:
            unpack_node(self)
        if self._versions is not None or self._output is not None or self._released:
            self._check_saved()
        res = self._formula(self, grads)
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


class SomeInputsDifferentiable:
    """Mixed into the node class of an op that declares inputs PyTorch does not differentiate
    (``OpDef.extra``, see ``_define.defop``): ``nondiff_inputs`` never get an edge (an index, a
    mask, a condition, a target) and ``scalar_inputs`` get none when a number was passed there
    (PyTorch's Scalar overload: ``x.masked_fill(m, 1.0)``). Their ``next_functions`` and the
    gradients ``apply`` hands back then hold one entry per remaining input, as PyTorch's do.

    The recorder still keeps every input (the formula reads the index; ``needs_input_grad`` and
    ``in_meta`` stay aligned with the inputs): only what leaves the node is narrowed, here and
    only for these classes, so the nodes of every other op pay nothing for it."""

    __slots__ = ()
    _nondiff = frozenset()
    _scalars = frozenset()

    def _edge_positions(self):
        meta = self.in_meta
        skip, scalars = self._nondiff, self._scalars
        return [i for i in range(len(meta)) if i not in skip and (meta[i] is not None or i not in scalars)]

    # the recorder stores an edge per input into Node's slot; readers get the narrowed tuple,
    # made on the first read (the recorder sets in_meta after the edges) and kept in the slot
    # ``_narrowed_edges`` that ``node_class`` gives these classes
    @property
    def next_functions(self):
        edges = self._narrowed_edges
        if edges is None:
            every = _ALL_EDGES.__get__(self)
            edges = self._narrowed_edges = tuple(every[i] for i in self._edge_positions())
        return edges

    @next_functions.setter
    def next_functions(self, edges):
        _ALL_EDGES.__set__(self, edges)
        self._narrowed_edges = None

    def apply(self, grads):
        res = super().apply(grads)
        return [res[i] for i in self._edge_positions()]


_ALL_EDGES = Node.next_functions  # the slot itself, under the property above


class NotImplementedEdges(SomeInputsDifferentiable):
    """Mixed into PyTorch's ``NotImplemented`` node (an op without a derivative: ``x // y``,
    ``scatter(reduce=)``): it has an edge only for the inputs that require grad, none for a
    number or for a tensor that does not (``x // y.detach()`` lists ``x`` alone)."""

    __slots__ = ()

    def _edge_positions(self):
        return [i for i, need in enumerate(self.needs_input_grad) if need]


class AccumulateGrad(Node):
    """Where gradients of a leaf end up: ``variable.grad``."""

    __slots__ = ("variable",)

    def apply(self, grads):
        raise AssertionError("AccumulateGrad is handled by the engine")


_named_classes: dict = {}


def _for_node(formula, attr: str, cls_name: str, default=None):
    """A formula attribute (``formula(saves_output=...)`` and the like), or its entry for the node
    ``cls_name`` where the formula gives it per overload (``{"PowBackward1": True}``)."""
    value = getattr(formula, attr, default)
    return value.get(cls_name, default) if value.__class__ is dict else value


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
    base = MultiOutputOpNode if getattr(formula, "multi_output", False) else OpNode
    saves_output = bool(_for_node(formula, "saves_output", cls_name, False))
    if cls_name == "NotImplemented":
        # PyTorch's node of an op without a derivative keeps nothing: its backward only raises
        saves, saves_output = (), False
    saved_defaults = getattr(formula, "saved_defaults", None)
    second = _SECOND_OPERAND.get(_BACKWARD_SUFFIX.sub("", cls_name))
    bases, slots, narrowed = (base,), (), {}
    nondiff, scalars = op.extra.get("nondiff_inputs"), op.extra.get("scalar_inputs")
    own = _for_node(formula, "scalar_inputs", cls_name)  # the formula's (formula(scalar_inputs=))
    if own:
        scalars = (*(scalars or ()), *own)
    if cls_name == "NotImplemented":
        bases, slots = (NotImplementedEdges, base), ("_narrowed_edges",)
    elif nondiff or scalars:
        bases, slots = (SomeInputsDifferentiable, base), ("_narrowed_edges",)
        narrowed = {"_nondiff": frozenset(nondiff or ()), "_scalars": frozenset(scalars or ())}
    reroute = _for_node(formula, "reroute", cls_name)
    cls = type(cls_name, bases, {
        "__slots__": slots, "_formula": staticmethod(formula) if formula else None, "_op": op, **narrowed,
        "_reroute": staticmethod(reroute) if reroute is not None else None,
        "_saves": tuple(saves) if saves is not None else None,
        "_saves_output": saves_output,
        "_saves_crossed": bool(getattr(formula, "saves_crossed", False)),
        "_defaults_of_saved": saved_defaults,
        "_number_saves": frozenset(_for_node(formula, "number_saves", cls_name, ())),
        "_second_operand": second or "other",
        "__module__": "tensorgraft.autograd.nodes", **_saved_properties(op, saves_output, second, saved_defaults)})
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
