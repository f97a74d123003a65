"""Saved-tensor hooks: ``saved_tensors_hooks``, ``save_on_cpu`` and ``disable_saved_tensors_hooks``
(public through ``tensorgraft.autograd.graph``, as in PyTorch).

Inside a ``saved_tensors_hooks`` block, each tensor a new node keeps for its backward is handed to
the pack hook, and the node keeps whatever that returns instead; the unpack hook turns it back into
a tensor each time a backward pass needs it. Recording (``engine.record``) only tests the truth of
``in_force``, so ops pay nothing while no hooks are set.
"""
from __future__ import annotations

import contextlib

from tensorgraft.tensor import Tensor, wrap

# The (pack_hook, unpack_hook) pairs in force, innermost last.
in_force: list = []
# The error messages of the ``disable_saved_tensors_hooks`` blocks we are inside, innermost last.
disabled_messages: list = []


class saved_tensors_hooks:
    """Inside this block, each tensor a new graph node saves for its backward is passed to
    ``pack_hook`` and the node keeps what that returns; ``unpack_hook`` turns it back into a
    tensor when backward needs it. Which tensors a node saves is up to its gradient formula,
    so it can differ from PyTorch's choice for the same op."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if disabled_messages:
            raise RuntimeError(disabled_messages[-1])
        in_force.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        in_force.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors in host memory and move them back to their device in backward (a
    CPU tensor is kept as it is). ``pin_memory`` is accepted: NumPy memory needs no pinning."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return (t.device, t if t.device.type == "cpu" else t.cpu())

        def unpack(packed):
            device, t = packed
            return t if t.device == device else t.to(device)
        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside this block, entering ``saved_tensors_hooks`` raises RuntimeError(error_message)."""
    disabled_messages.append(error_message)
    try:
        yield
    finally:
        disabled_messages.pop()


@contextlib.contextmanager
def _innermost_pair():
    """The innermost (pack, unpack) pair, with no hooks in force while the pack hook runs: what
    the hook computes is not packed again (no endless recursion)."""
    pair = in_force[-1]
    outer = in_force[:]
    in_force.clear()
    try:
        yield pair
    finally:
        in_force[:] = outer


def _pack_order(node):
    """The order PyTorch's generated nodes save their inputs in, which pack hooks observe: by
    argument name (``x * y`` packs ``other`` before ``self``, ``a.mm(b)`` ``mat2`` before ``self``,
    ``lerp`` ``end``, ``self``, ``weight``), the result last; or the order a formula declares
    (``formula.pack_order``: input positions, for a node whose inputs the op's signature does not
    name, as gather's, or whose order follows no names). Worked out once per node class."""
    cls = node.__class__
    n = len(node.inputs)
    order = cls.__dict__.get("_pack_order")
    if order is None or len(order) != n:
        order = tuple(range(n))
        op = getattr(cls, "_op", None)
        declared = getattr(getattr(cls, "_formula", None), "pack_order", None)
        if declared is not None:
            first = tuple(i for i in declared if i < n)
            order = first + tuple(i for i in range(n) if i not in first)
            op = None
        # (core ops only: a namespaced op may record a node of another op's name, nn.linear's
        # AddmmBackward0, whose inputs its own signature does not name)
        if op is not None and n > 1 and "." not in op.name:
            import inspect
            try:
                params = [p.name for p in inspect.signature(op.frontend).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            except (TypeError, ValueError):
                params = []
            if len(params) >= n:
                names = ["self", *params[1:n]]
                second = getattr(cls, "_second_operand", "other")
                if names[1] == "other":
                    names[1] = second
                if len(set(names)) == n:
                    order = tuple(sorted(range(n), key=names.__getitem__))
        try:
            cls._pack_order = order
        except (AttributeError, TypeError):
            pass
    return order


def pack_node(node) -> None:
    """Pack each tensor a new op node saved (and its output, when the formula reads it), keeping
    what the hook returns until ``unpack_node`` runs at backward."""
    with _innermost_pair() as (pack, unpack):
        inputs = list(node.inputs)
        versions = node._versions
        packed = {}
        if versions is not None:
            for i in _pack_order(node):
                t = inputs[i]
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


class OwnHooks:
    """A saved tensor packed by hooks of its own (``grad_fn._raw_saved_<name>.register_hooks``),
    not by the node's ``saved_tensors_hooks`` pair."""

    __slots__ = ("unpack", "obj")

    def __init__(self, unpack, obj):
        self.unpack = unpack
        self.obj = obj


def unpack_entry(node, key):
    """The tensor ``node`` packed under ``key`` (an input index or ``"out"``), through its unpack hook."""
    unpack, packed, _ = node._packed
    obj = packed[key]
    if obj.__class__ is OwnHooks:
        return checked_unpack(obj.unpack, obj.obj)
    return checked_unpack(unpack, obj)


def pack_entry(node, key, tensor, pack, unpack) -> None:
    """Pack one saved tensor of ``node`` with hooks of its own (it must not be packed already)."""
    obj = pack(tensor)
    if node._packed is None:
        node._packed = (None, {}, None)
    unpack_all, packed, out_meta = node._packed
    packed[key] = OwnHooks(unpack, obj)
    if key == "out":
        _, _, vc, version = node._output
        node._output = None
        out_meta = (vc, version)
    else:
        inputs = list(node.inputs)
        inputs[key] = None
        node.inputs = tuple(inputs)
        node._versions[key] = None  # the hook's result is what backward reads, not the original
    node._packed = (unpack_all, packed, out_meta)


def unpack_node(node) -> None:
    """Put back what ``pack_node`` packed: the unpack hook runs at every backward pass."""
    _, packed, _ = node._packed
    inputs = list(node.inputs)
    for i in packed:
        t = unpack_entry(node, i)
        if i == "out":
            # no version check on what a hook gave back (PyTorch cannot track versions through
            # hooks): the unpacked tensor's current version is the expected one
            vc = t._vc if t._vc.__class__ is list else [0]  # (an inference tensor has no version)
            node._output = (t._data, t._device, vc, vc[0])
        else:
            inputs[i] = t
    node.inputs = tuple(inputs)


def rebuild_own_output(entry, node):
    """A custom Function's saved output, kept as ``(array, device, version counter, output_nr)``
    (not as the tensor itself, which would hold the graph in a cycle), as a tensor again: the
    output as its ``grad_fn`` ``node`` recorded it."""
    data, device, vc, nr = entry
    t = wrap(data, device)
    t._vc = vc
    t._requires_grad = True
    t.grad_fn = node
    t._output_nr = nr
    return t


def pack_function_saved(saved, wrap_packed, node):
    """For ``Function.save_for_backward``: pack each saved tensor (``wrap_packed`` marks what
    the hook returned), the Function's own outputs too (kept as plain tuples: the hook gets an
    alias whose ``grad_fn`` is ``node``, as PyTorch's gets the output).
    Returns (the new saved tuple, the unpack hook)."""
    with _innermost_pair() as (pack, unpack):
        out = []
        for t in saved:
            if t.__class__ is tuple:
                t = rebuild_own_output(t, node)
            out.append(wrap_packed(pack(t)) if isinstance(t, Tensor) else t)
        return tuple(out), unpack


def checked_unpack(unpack, obj):
    t = unpack(obj)
    if not isinstance(t, Tensor):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(t).__name__}")
    return t
