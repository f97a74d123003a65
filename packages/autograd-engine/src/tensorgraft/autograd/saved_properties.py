"""What a node shows of the values its formula saved: PyTorch's ``_saved_<arg>`` and
``_raw_saved_<arg>`` attributes (``grad_fn._saved_self``, ``grad_fn._saved_exponent``, ...), made
per node class by ``_saved_properties`` from the op's argument names, and ``SavedTensor``, the
``_raw_saved_*`` handle whose ``register_hooks`` PyTorch's saved-tensor hooks use. Split from
``node.py`` (the node classes themselves)."""
from __future__ import annotations

from tensorgraft.tensor import wrap

from .saved_hooks import pack_entry, unpack_entry

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


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
    "AddmmBackward0": ("mat1", "mat2"),  # (both: the tensor and its sizes)
    "MaskedScatterBackward0": ("source",),
}
_NUMEL_SAVED = frozenset({"MeanBackward0", "MeanBackward1"})
# schema arguments that are Scalars in PyTorch: a number there stays a number in ``_saved_*``
# (``_saved_exponent`` of ``x.pow(3)`` is 3, ``_saved_other`` of ``x * 3`` is ``tensor(3)``)
_SCALAR_ARGS = frozenset({"exponent", "alpha", "value"})


class FromNode:
    """A ``saved_defaults`` entry computed from what the node already holds (its attrs, input
    metadata) when ``_saved_<name>`` is read, never at recording: ``fn(node)`` gives the value PyTorch's
    node shows (``reduction`` as the int PyTorch keeps, a dim as given), or ``NOT_SAVED`` where
    this node has none. It comes before the node's inputs and attrs of that name."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


NOT_SAVED = object()


def from_attr(key, nodes=None, shown=None):
    """A ``FromNode`` showing the node's attr ``key`` (``shown(value)`` of it when given), on the
    nodes named in ``nodes`` only (all when None); not saved where the attr is None."""
    def get(node):
        if nodes is not None and type(node).__name__ not in nodes:
            return NOT_SAVED
        v = node.attrs.get(key)
        if v is None:
            return NOT_SAVED
        return v if shown is None else shown(v)
    return FromNode(get)


def as_int64_shown(v):
    """An int argument as PyTorch's node shows it: the saved ``int64_t`` read back unsigned, so -1
    is 18446744073709551615 (tuples element-wise); None stays None."""
    if v.__class__ is int:
        return v % (1 << 64)
    if v.__class__ in (tuple, list):
        return tuple(x % (1 << 64) if x.__class__ is int else x for x in v)
    return v


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
    input), another input by the name the op's signature gives it (``other``, ``exponent``) or,
    where the formula declares ``input_names``, by the name given there (``_input_index``),
    ``result`` (the output), a non-tensor argument the node kept (``dim``, ``keepdim``), or
    ``<input>_sym_sizes`` / ``<input>_sym_numel``, a formula's ``saved_defaults`` (a constant, or a
    ``FromNode`` computed from the node), less the formula's ``saved_hidden`` (signature or attrs
    names PyTorch's node does not show: ``eps``). A name the node's formula does not keep raises
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
    for names in _all_declared_names(op):
        args |= {n for n in names if n is not None}
    if second is not None and "other" in params[1:2]:
        args = (args - {"other"}) | {second}
    if saves_output:
        args.add("result")
    args |= set(defaults or ())
    args -= set(getattr(_formula_of(op), "saved_hidden", ()))
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


def _declared_names(formula, cls_name):
    """The formula's ``input_names`` for the node ``cls_name`` (a tuple, or a dict from node name to
    tuple where overloads name their inputs differently), or None where it declares none."""
    names = getattr(formula, "input_names", None)
    return names.get(cls_name) if names.__class__ is dict else names


def _formula_of(op):
    formula = getattr(op, "formula", None)
    if formula is None and getattr(op, "extra", None) and op.extra.get("formula_of"):
        from tensorgraft.registry import registry
        formula = registry.ops[op.extra["formula_of"]].formula
    return formula


def _all_declared_names(op):
    """Every ``input_names`` tuple the formula of ``op`` declares (for any of its nodes)."""
    names = getattr(_formula_of(op), "input_names", None)
    if names is None:
        return ()
    return tuple(names.values()) if names.__class__ is dict else (names,)


def _input_index(node, arg):
    """The input position of the op's argument named ``arg`` (``self`` is the first), or None.

    A formula's ``input_names`` (``gather.input_names = ("self", "index")``) comes first: the node's
    inputs are not always the op's signature in order (``gather(input, dim, index)`` records
    ``(input, index)``, ``dim`` going to attrs), and PyTorch's node names them after its own
    derivative formula (``mat1``/``mat2`` of AddmmBackward0). A None there is an input PyTorch's
    node never shows (addmm's ``self``)."""
    names = _declared_names(node._formula, type(node).__name__)
    if names is not None:
        if arg not in names:
            return None
        k = names.index(arg)
        return k if k < len(node.in_meta) else None
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
    defaults = node._defaults_of_saved
    if defaults is not None:
        d = defaults.get(arg)
        if d.__class__ is FromNode:
            v = d.fn(node)
            return None if v is NOT_SAVED else ("value", v)
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
