"""Graph nodes: ``Node`` (PyTorch's ``torch.autograd.graph.Node``), ``OpNode`` whose backward is a
registered formula, ``MultiOutputOpNode`` for ops whose outputs share one node, ``AccumulateGrad``
for leaves, and ``node_class``, which names each op's node class as PyTorch does."""
from __future__ import annotations

import itertools
import re

from tensorgraft.tensor import Tensor, wrap

from .hooks import NodeHooks, RemovableHandle
from .saved_hooks import unpack_node
# a node's ``_saved_<arg>`` attributes (PyTorch's names for what its formula keeps) live there
from .saved_properties import _SECOND_BACKWARD, _SECOND_OPERAND, SavedProperty, _has_saved, _saved_properties

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
    """PyTorch's message for a saved tensor changed in place after it was saved. A saved view of
    a tensor requiring grad is named by the history PyTorch regenerates for it once its memory
    changed (``AsStrided``)."""
    if fn is not None and t._base is not None and t._base._requires_grad:
        label = "AsStrided"
    else:
        label = _short_name(fn) if fn is not None else None
    which = f", which is output {nr} of {label}," if label is not None else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.type()} {list(t._data.shape)}]{which} is at version {t._vc[0]}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _check_not_detached(node, t):
    """A saved input that had a history when saved (its edge is not a leaf's accumulator) and has
    none now was detached in place: PyTorch refuses to use it."""
    i = next(k for k, s in enumerate(node.inputs) if s is t)
    fn = _ALL_EDGES.__get__(node)[i][0]
    if fn is not None and fn.__class__ is not AccumulateGrad:
        raise RuntimeError("Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is "
                           "not supported, please use out-of-place `.detach()` instead")


_BACKWARD_SUFFIX = re.compile(r"Backward(\d*)$")


def _short_name(fn) -> str:
    """How PyTorch's in-place error names a node: ``Mul`` (MulBackward0), ``Pow1`` (PowBackward1),
    ``torch::autograd::CopySlices``."""
    name = fn.name()
    return name[:-9] if name.endswith("Backward0") else _BACKWARD_SUFFIX.sub(r"\1", name)


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
    # PyTorch's CopySlices drops the node it wraps when freed: a second backward through it fails
    # even when nothing was saved
    _always_freed = False

    def __dir__(self):
        # the class carries a ``_saved_*`` property for every argument its op could save; list only
        # those this node has, as PyTorch's nodes list their own saved values (computed here, on
        # the rare dir() call, so recording a node pays nothing for it)
        cls = type(self)
        return [n for n in object.__dir__(self)
                if not isinstance(getattr(cls, n, None), SavedProperty) or _has_saved(self, n)]

    def __call__(self, *grads):
        """``node(*grad_outputs)``: the node's backward run directly, in the current grad mode, as
        PyTorch's: one gradient per output in, one per edge out (the tensor itself for a node with
        one edge). All-None gradients give all-None results without running anything."""
        n = self._num_outputs
        if len(grads) != n:
            raise TypeError(f"expected {n} arguments, got {len(grads)} instead")
        if all(g is None for g in grads):
            res = (None,) * len(self.next_functions)
        else:
            res = tuple(self.apply(list(grads)))
        return res[0] if len(res) == 1 else res

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

    def output_alias(self, value: Tensor, output_nr: int = 0) -> Tensor:
        """``value`` (this node's output ``output_nr``, kept detached in its attrs) as that output:
        a fresh alias whose ``grad_fn`` is this node, so a formula built from it under
        ``create_graph`` differentiates through the op again — ``node.output`` for the other
        outputs of a multi-output node (PyTorch's saved results of ``linalg_eig``)."""
        alias = wrap(value._data, value._device)
        alias._vc = value._vc
        alias._requires_grad = True
        alias.grad_fn = self
        alias._output_nr = output_nr
        return alias

    def _check_saved(self):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        versions = self._versions
        if versions is not None:
            for t, v, need in zip(self.inputs, versions, self.needs_input_grad):
                if v is not None:
                    if t._vc[0] != v:
                        raise _modified_error(t, v, t.grad_fn, t._output_nr)
                    if need and not t._requires_grad:  # (rare: it stopped requiring grad since)
                        _check_not_detached(self, t)
        out = self._output
        if out is not None and out[2][0] != out[3]:
            alias = wrap(out[0], out[1])
            alias._vc = out[2]
            raise _modified_error(alias, out[3], self, 0)

    def release(self):
        """Drop what the node saved (after a backward pass without ``retain_graph``). A node that
        saved anything, numbers included (``record`` then sets ``_versions`` to ``()``), is marked
        freed, so a second backward through it raises PyTorch's error."""
        if self._versions is not None or self._output is not None or self._packed is not None or self._always_freed:
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


def fit_grads(node, res, needs=None, batch=None):
    """Reduce broadcast gradients to each input's shape and cast them to its dtype. ``batch``: the
    size of the leading batch dimension of a batched backward (``batched_backward.py``), which the
    gradients keep in front of the input's shape."""
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
        if batch is not None:
            target = (batch, *meta[0])
            if d.shape != target:
                g = sum_to(g, target, node, len(out), batched=True)
        elif d.shape != meta[0]:
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


def sum_to(g: Tensor, shape, node=None, index=0, batched=False) -> Tensor:
    """Sum a broadcast gradient back down to ``shape``. ``batched``: ``shape`` is (batch, *input
    shape) and dim 0 of ``g`` is that batch dimension, which is kept: the broadcast dims to sum
    away come after it."""
    gshape = g._data.shape
    if batched:
        return _sum_to_batched(g, shape, node, index)
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        name = type(node).__name__ if node is not None else "backward"
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got {list(gshape)} "
                           f"but expected shape compatible with {list(shape)}")
    if not shape:
        return g.sum()  # (c10's sum_to: a 0-d target is a full sum, SumBackward0 on a double backward)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
    if dims:
        g = g.sum(tuple(dims), keepdim=True)
    if g._data.shape != tuple(shape):
        g = g.reshape(shape)
    return g


def _sum_to_batched(g: Tensor, shape, node, index) -> Tensor:
    gshape = g._data.shape
    batch, inner = shape[0], shape[1:]
    lead = len(gshape) - len(shape)
    ok = (lead >= 0 and gshape and gshape[0] == batch
          and all(s == 1 or s == gs for s, gs in zip(inner, gshape[1 + lead:])))
    if not ok:
        name = type(node).__name__ if node is not None else "backward"
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got "
                           f"{list(gshape[1:])} but expected shape compatible with {list(inner)}")
    dims = list(range(1, 1 + lead))
    for i, s in enumerate(inner):
        if s == 1 and gshape[1 + lead + i] != 1:
            dims.append(1 + lead + i)
    if dims:
        g = g.sum(tuple(dims), keepdim=True)
    if g._data.shape != tuple(shape):
        g = g.reshape(tuple(shape))
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

    def __call__(self, *grads):
        """``acc(grad)``: adds ``grad`` into the leaf's ``.grad``, as PyTorch's; returns ()."""
        if len(grads) != 1:
            raise TypeError(f"expected 1 arguments, got {len(grads)} instead")
        if grads[0] is not None:
            from .engine import _accumulate_into
            _accumulate_into(self.variable, grads[0], False)
        return ()


def fuse_copy_slices(node, value, edge) -> None:
    """Make the CopySlices ``node`` of an in-place op on a view wrap the op's node, as PyTorch's
    does: its edges are the base's and those of the op's other inputs (``v.exp_()`` has one,
    ``v.mul_(y)`` two), not one to the op's node; at backward it runs that node on the view's part
    of the gradient and puts the result for ``self`` back into the base's (formulas/indexing.py).
    ``value`` is the op's out-of-place result, ``edge`` the one the op's ``self`` (the snapshot of
    the view) had; anything else (a plain ``view[i] = value``) keeps the two-edge node.

    The op's node is not released with the CopySlices (a second backward through this one raises
    anyway): a double backward may also reach it directly, through the op's result its formula
    reads (``node.output``), and runs it then."""
    fn = getattr(value, "grad_fn", None)
    if (fn is None or not isinstance(fn, OpNode) or isinstance(fn, MultiOutputOpNode) or value._output_nr != 0
            or isinstance(node, SomeInputsDifferentiable) or "cast" in node.attrs
            or tuple(value._data.shape) != tuple(node.attrs["size"])):
        return
    edges = fn.next_functions
    positions = fn._edge_positions() if isinstance(fn, SomeInputsDifferentiable) else range(len(edges))
    if not edges or edges[0] != edge or positions[0] != 0:
        return
    node.attrs = {**node.attrs, "wrapped": fn}
    node.next_functions = (node.next_functions[0], *edges[1:])
    node.needs_input_grad = (node.needs_input_grad[0], *(fn.needs_input_grad[i] for i in positions[1:]))
    node.in_meta = [node.in_meta[0], *(fn.in_meta[i] for i in positions[1:])]


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
    saves = _for_node(formula, "saves", cls_name)  # (a dict: per overload, None for one not listed)
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
    own = _for_node(formula, "nondiff_inputs", cls_name)  # (a Scalar overload's number, even as a 0-d tensor)
    if own:
        nondiff = (*(nondiff or ()), *own)
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
        "_second_operand": second or "other", "_always_freed": cls_name == "CopySlices",
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
