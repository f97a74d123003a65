"""Pytrees: nested containers whose non-container entries ("leaves") can be flattened to a list and
rebuilt from one (``torch.utils._pytree``).

The containers are tuples, lists, dicts, ``OrderedDict``, ``defaultdict``, ``deque``, named tuples,
the ops' named results (``torch.return_types.max``), ``torch.Size`` and whatever a user registers
with :func:`register_pytree_node`; anything else, ``None`` included, is a leaf. A dict keeps its
insertion order (its keys are not sorted), so ``tree_unflatten`` rebuilds it in the same order.

``tensorgraft.func`` builds on this module (``tensorgraft.func._pytree`` re-exports it), which is why
it lives in tensor-core: the core must not import the autograd engine.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import types
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any, Callable, NamedTuple

__all__ = [
    "PyTree", "Context", "FlattenFn", "UnflattenFn", "TreeSpec", "LeafSpec", "keystr", "key_get",
    "register_pytree_node", "tree_is_leaf", "tree_flatten", "tree_flatten_with_path", "tree_unflatten",
    "tree_iter", "tree_leaves", "tree_leaves_with_path", "tree_structure", "tree_map", "tree_map_with_path",
    "tree_map_", "tree_map_only", "tree_map_only_", "tree_all", "tree_any", "tree_all_only", "tree_any_only",
    "treespec_dumps", "treespec_loads", "treespec_pprint", "is_namedtuple", "is_namedtuple_class", "is_namedtuple_instance", "is_structseq",
    "is_structseq_class", "is_structseq_instance",
]

PyTree = Any
Context = Any
FlattenFn = Callable[[PyTree], "tuple[list[Any], Context]"]
UnflattenFn = Callable[[Any, Context], PyTree]


# ---------------------------------------------------------------------------------------------
# key paths: how tree_flatten_with_path names where a leaf sits


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def get(self, sequence):
        return sequence[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    key: Any

    def __str__(self):
        return f"[{self.key!r}]"

    def get(self, mapping):
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    name: str

    def __str__(self):
        return f".{self.name}"

    def get(self, obj):
        return getattr(obj, self.name)


def keystr(kp) -> str:
    """A key path as the Python expression that reads the leaf: ``"['a'][0].x"``."""
    return "".join(str(k) for k in kp)


def key_get(obj, kp):
    """The entry of ``obj`` at the key path ``kp``."""
    for k in kp:
        obj = k.get(obj)
    return obj


# ---------------------------------------------------------------------------------------------
# which types are containers


def is_namedtuple_class(cls) -> bool:
    return (isinstance(cls, type) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)
            and callable(getattr(cls, "_make", None)) and callable(getattr(cls, "_asdict", None)))


def is_namedtuple_instance(obj) -> bool:
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj) -> bool:
    """Whether ``obj`` is a named tuple class or an instance of one."""
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_structseq_class(cls) -> bool:
    # a C struct sequence (torch.return_types.*, os.stat_result): a tuple subclass that counts its
    # fields in these three class attributes, and is no named tuple
    return (isinstance(cls, type) and issubclass(cls, tuple) and not is_namedtuple_class(cls)
            and all(isinstance(getattr(cls, a, None), int)
                    for a in ("n_fields", "n_sequence_fields", "n_unnamed_fields")))


def is_structseq_instance(obj) -> bool:
    return is_structseq_class(type(obj))


def is_structseq(obj) -> bool:
    return is_structseq_class(obj if isinstance(obj, type) else type(obj))


class NodeDef(NamedTuple):
    type: Any
    flatten_fn: Callable
    unflatten_fn: Callable
    flatten_with_keys_fn: Any


# container type -> NodeDef; named tuples and struct sequences are found by their class's shape
SUPPORTED_NODES: dict = {}


# for treespec_dumps / treespec_loads: a node type's name in the JSON, and how its context is
# written there (by default as a JSON string of it)
SUPPORTED_SERIALIZED_TYPES: dict = {}
SERIALIZED_TYPE_TO_PYTHON_TYPE: dict = {}


class _SerializeNodeDef(NamedTuple):
    serialized_type_name: str
    to_dumpable_context: Any
    from_dumpable_context: Any


def _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn=None, serialized_type_name=None,
              to_dumpable_context=None, from_dumpable_context=None):
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)
    if serialized_type_name is not None:
        SUPPORTED_SERIALIZED_TYPES[cls] = _SerializeNodeDef(serialized_type_name, to_dumpable_context,
                                                            from_dumpable_context)
        SERIALIZED_TYPE_TO_PYTHON_TYPE[serialized_type_name] = cls


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, to_dumpable_context=None,
                         from_dumpable_context=None, flatten_with_keys_fn=None) -> None:
    """Make ``cls`` a container: ``flatten_fn(obj) -> (children, context)`` and
    ``unflatten_fn(children, context) -> obj``; ``flatten_with_keys_fn(obj) -> ([(key, child)...],
    context)`` lets ``tree_flatten_with_path`` name its children."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn, serialized_type_name, to_dumpable_context,
              from_dumpable_context)


def _node_type(tree):
    """The node type that flattens ``tree`` (``namedtuple`` for every named tuple, as PyTorch's
    spec records it), or None for a leaf."""
    cls = type(tree)
    if cls in SUPPORTED_NODES:
        return cls
    if is_namedtuple_class(cls):
        return namedtuple
    if is_structseq_class(cls):
        return cls
    return None


def _flatten_one(node_type, tree):
    if node_type is namedtuple:
        return list(tree), type(tree)
    if node_type not in SUPPORTED_NODES:  # a struct sequence
        return list(tree), None
    children, context = SUPPORTED_NODES[node_type].flatten_fn(tree)
    return list(children), context


def _flatten_one_with_keys(node_type, tree):
    if node_type is namedtuple:
        return [(GetAttrKey(f), v) for f, v in zip(tree._fields, tree)], type(tree)
    if node_type not in SUPPORTED_NODES:
        return [(SequenceKey(i), v) for i, v in enumerate(tree)], None
    node = SUPPORTED_NODES[node_type]
    if node.flatten_with_keys_fn is None:
        raise ValueError(f"Did not find a flatten_with_keys_fn for type: {node_type}. Please pass a "
                         "flatten_with_keys_fn argument to register_pytree_node.")
    pairs, context = node.flatten_with_keys_fn(tree)
    return list(pairs), context


def _unflatten_one(node_type, children, context):
    if node_type is namedtuple:
        return context(*children)
    if node_type not in SUPPORTED_NODES:
        return node_type(children)  # a struct sequence takes its values as one sequence
    return SUPPORTED_NODES[node_type].unflatten_fn(children, context)


def _seq_keys(seq):
    return [(SequenceKey(i), v) for i, v in enumerate(seq)]


def _dict_keys(d):
    return [(MappingKey(k), v) for k, v in d.items()]


def _defaultdict_to_dumpable(context):
    factory, keys = context
    return {"default_factory_module": factory.__module__, "default_factory_name": factory.__qualname__,
            "dict_context": keys}


def _defaultdict_from_dumpable(dumpable):
    factory = getattr(importlib.import_module(dumpable["default_factory_module"]), dumpable["default_factory_name"])
    return [factory, dumpable["dict_context"]]


_register(tuple, lambda t: (list(t), None), lambda vals, ctx: tuple(vals), lambda t: (_seq_keys(t), None),
          "builtins.tuple")
_register(list, lambda t: (list(t), None), lambda vals, ctx: list(vals), lambda t: (_seq_keys(t), None),
          "builtins.list")
_register(dict, lambda d: (list(d.values()), list(d)), lambda vals, keys: dict(zip(keys, vals)),
          lambda d: (_dict_keys(d), list(d)), "builtins.dict")
_register(OrderedDict, lambda d: (list(d.values()), list(d)), lambda vals, keys: OrderedDict(zip(keys, vals)),
          lambda d: (_dict_keys(d), list(d)), "collections.OrderedDict")
# a defaultdict's context keeps its factory, so the rebuilt dict makes missing entries the same way
_register(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
          lambda vals, ctx: defaultdict(ctx[0], zip(ctx[1], vals)),
          lambda d: (_dict_keys(d), [d.default_factory, list(d)]), "collections.defaultdict",
          _defaultdict_to_dumpable, _defaultdict_from_dumpable)
_register(deque, lambda d: (list(d), d.maxlen), lambda vals, maxlen: deque(vals, maxlen=maxlen),
          lambda d: (_seq_keys(d), d.maxlen), "collections.deque")


def _register_size():
    from tensorgraft.tensor import Size
    _register(Size, lambda s: (list(s), None), lambda vals, ctx: Size(vals), lambda s: (_seq_keys(s), None),
              "torch.Size")


_register_size()


# ---------------------------------------------------------------------------------------------
# TreeSpec


class TreeSpec:
    """The structure of a pytree: the node ``type`` (None for a leaf), its ``context`` (a dict's
    keys, a named tuple's class...) and the specs of its children."""

    __slots__ = ("type", "context", "_children", "num_leaves", "num_nodes", "__weakref__")

    def __init__(self, type, context, children_specs):
        self.type = type
        self.context = context
        self._children = list(children_specs)
        if type is None:
            self.num_leaves, self.num_nodes = 1, 1
        else:
            self.num_leaves = sum(c.num_leaves for c in self._children)
            self.num_nodes = 1 + sum(c.num_nodes for c in self._children)

    @property
    def children_specs(self):
        warnings.warn("`treespec.children_specs` is deprecated. Use `treespec.child(index)` to access a single "
                      "child, or `treespec.children()` to get all children.", FutureWarning, stacklevel=2)
        return self._children

    @property
    def num_children(self) -> int:
        return len(self._children)

    def children(self) -> list:
        return list(self._children)

    def child(self, index: int) -> TreeSpec:
        return self._children[index]

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type is other.type and self.context == other.context
                and self._children == other._children)

    def __hash__(self):
        # the context may be a list (a dict's keys): hash what identifies the structure otherwise
        return hash((self.type, self.num_nodes, self.num_leaves, tuple(self._children)))

    def _repr(self, indent: int) -> str:
        if self.type is None:
            return "*"
        sep = ",\n" + " " * (indent + 2)
        children = sep.join(c._repr(indent + 2) for c in self._children)
        # the context as str() prints it: a registered class's string context shows unquoted
        return f"TreeSpec({self.type.__name__}, {self.context}, [{children}])"

    def __repr__(self):
        return self._repr(0)

    def pprint(self) -> str:
        """``treespec_pprint(self)``."""
        return treespec_pprint(self)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of ``tree`` at this spec's leaves (``tree`` must have this structure down to
        them; what hangs below a leaf is kept whole)."""
        out: list = []
        self._flatten_up_to(tree, out)
        return out

    def _flatten_up_to(self, tree, out):
        if self.type is None:
            out.append(tree)
            return
        node_type = _node_type(tree)
        if node_type is not self.type:
            raise ValueError(f"Node type mismatch; expected {self.type!r}, but got {type(tree)!r}.")
        children, context = _flatten_one(node_type, tree)
        if len(children) != len(self._children):
            raise ValueError(f"Node arity mismatch; expected {len(self._children)}, but got {len(children)}.")
        if node_type in (dict, OrderedDict, defaultdict):
            keys = context[1] if node_type is defaultdict else context
            expected = self.context[1] if node_type is defaultdict else self.context
            if set(keys) != set(expected):
                missing, extra = set(expected) - set(keys), set(keys) - set(expected)
                raise ValueError(f"Node keys mismatch; missing key(s): {missing}; extra key(s): {extra}.")
            # the same keys in another order: take the children in the spec's order
            children = [tree[k] for k in expected]
        elif context != self.context:
            raise ValueError(f"Node context mismatch for custom node type {self.type!r}.")
        for child, spec in zip(children, self._children):
            spec._flatten_up_to(child, out)

    def unflatten(self, leaves) -> PyTree:
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
                             f"refers to a pytree that holds {self.num_leaves} items ({self}).")
        it = iter(leaves)
        return self._build(lambda: next(it))

    def _build(self, next_leaf):
        if self.type is None:
            return next_leaf()
        return _unflatten_one(self.type, [c._build(next_leaf) for c in self._children], self.context)


class LeafSpec(TreeSpec):
    """The spec of a leaf (``*``)."""

    __slots__ = ()

    def __init__(self):
        super().__init__(None, None, [])


_LEAF = LeafSpec()


# ---------------------------------------------------------------------------------------------
# flattening


def tree_is_leaf(tree, is_leaf=None) -> bool:
    """Whether ``tree`` is a leaf: ``is_leaf(tree)`` says so, or it is no registered container."""
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) is None


def _flatten(tree, is_leaf, leaves) -> TreeSpec:
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return _LEAF
    node_type = _node_type(tree)
    if node_type is None:
        leaves.append(tree)
        return _LEAF
    children, context = _flatten_one(node_type, tree)
    return TreeSpec(node_type, context, [_flatten(c, is_leaf, leaves) for c in children])


def tree_flatten(tree, is_leaf=None):
    """``(leaves, treespec)``: the leaves of ``tree`` in order, and its structure."""
    leaves: list = []
    spec = _flatten(tree, is_leaf, leaves)
    return leaves, spec


def tree_unflatten(leaves, treespec: TreeSpec):
    """The pytree of structure ``treespec`` holding ``leaves`` (``tree_flatten``'s inverse)."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but "
                        f"got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree, is_leaf=None):
    """The leaves of ``tree``, one at a time."""
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    children, _ = _flatten_one(_node_type(tree), tree)
    for c in children:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree, is_leaf=None) -> list:
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree, is_leaf=None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def _flatten_with_path(tree, is_leaf, path, out) -> TreeSpec:
    if tree_is_leaf(tree, is_leaf):
        out.append((path, tree))
        return _LEAF
    node_type = _node_type(tree)
    pairs, context = _flatten_one_with_keys(node_type, tree)
    return TreeSpec(node_type, context, [_flatten_with_path(c, is_leaf, path + (k,), out) for k, c in pairs])


def tree_flatten_with_path(tree, is_leaf=None):
    """``([(key_path, leaf)...], treespec)``: each leaf with the keys that lead to it."""
    out: list = []
    spec = _flatten_with_path(tree, is_leaf, (), out)
    return out, spec


def tree_leaves_with_path(tree, is_leaf=None) -> list:
    return tree_flatten_with_path(tree, is_leaf)[0]


# ---------------------------------------------------------------------------------------------
# mapping and predicates


def tree_map(func, tree, *rests, is_leaf=None):
    """A pytree of ``tree``'s structure holding ``func(leaf, *same_place_in_rests)``; each of
    ``rests`` must have ``tree``'s structure (or a bigger one: a subtree under a leaf of ``tree``
    is passed whole)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat_args = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(map(func, *flat_args))


def tree_map_(func, tree, *rests, is_leaf=None):
    """``func`` on every leaf (``tree_map`` for the side effects: an in-place update); returns
    ``tree`` itself."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat_args = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for args in zip(*flat_args):
        func(*args)
    return tree


def tree_map_with_path(func, tree, *rests, is_leaf=None):
    """``tree_map`` whose ``func`` also gets each leaf's key path first."""
    pairs, spec = tree_flatten_with_path(tree, is_leaf)
    paths = [p for p, _ in pairs]
    flat_args = [[v for _, v in pairs]] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(p, *xs) for p, *xs in zip(paths, *flat_args))


def _type_pred(type_or_types_or_pred):
    """``isinstance`` against a type, a tuple of types or a ``X | Y`` union; any other callable is
    taken as the predicate itself."""
    t = type_or_types_or_pred
    if isinstance(t, (type, types.UnionType)) or (isinstance(t, tuple) and all(isinstance(x, type) for x in t)):
        return lambda x: isinstance(x, t)
    if callable(t):
        return t
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def _only(type_or_types_or_pred, func):
    pred = _type_pred(type_or_types_or_pred)
    return lambda x: func(x) if pred(x) else x


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    """``tree_map`` that applies ``func`` only to the leaves of the given type(s) (or for which the
    predicate holds) and keeps the others."""
    return tree_map(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map_(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None) -> bool:
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None) -> bool:
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None) -> bool:
    """``pred`` holds for every leaf of the given type(s) (the others are not asked)."""
    check = _type_pred(type_or_types)
    return all(pred(x) for x in tree_iter(tree, is_leaf) if check(x))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None) -> bool:
    check = _type_pred(type_or_types)
    return any(pred(x) for x in tree_iter(tree, is_leaf) if check(x))


# ---------------------------------------------------------------------------------------------
# printing


class _Star:
    """A leaf placeholder that prints as ``*``."""

    __slots__ = ()

    def __repr__(self):
        return "*"


def treespec_pprint(treespec: TreeSpec) -> str:
    """The structure written as the container it describes, with ``*`` for each leaf:
    ``{'a': [*, *], 'b': P(x=*, y=*)}`` (the containers' own reprs, built with placeholders)."""
    star = _Star()
    return repr(treespec._build(lambda: star))


# ---------------------------------------------------------------------------------------------
# saving a structure as JSON

_DEFAULT_PROTOCOL = 1


def _spec_to_json(spec: TreeSpec) -> dict:
    if spec.type is None:
        return {"type": None, "context": None, "children_spec": []}
    # PyTorch's errors (and their class) for the node types that have no name to be saved under
    if spec.type is namedtuple:
        raise NotImplementedError(f"Can't serialize TreeSpec of namedtuple class {spec.context} because we didn't "
                                  "register a serializated_type_name. Please register using `_register_namedtuple`.")
    node = SUPPORTED_SERIALIZED_TYPES.get(spec.type)
    if node is None:
        raise NotImplementedError(f"No registered serialization name for {spec.type} found. Please update your "
                                  "_register_pytree_node call with a `serialized_type_name` kwarg.")
    context = (json.dumps(spec.context) if node.to_dumpable_context is None
               else node.to_dumpable_context(spec.context))
    return {"type": node.serialized_type_name, "context": context,
            "children_spec": [_spec_to_json(c) for c in spec._children]}


def _spec_from_json(data: dict) -> TreeSpec:
    if data["type"] is None:
        return _LEAF
    cls = SERIALIZED_TYPE_TO_PYTHON_TYPE.get(data["type"])
    if cls is None:
        raise NotImplementedError(f"Deserializing {data['type']} in pytree is not registered.")
    node = SUPPORTED_SERIALIZED_TYPES[cls]
    context = (json.loads(data["context"]) if node.from_dumpable_context is None
               else node.from_dumpable_context(data["context"]))
    return TreeSpec(cls, context, [_spec_from_json(c) for c in data["children_spec"]])


def treespec_dumps(treespec: TreeSpec, protocol: int | None = None) -> str:
    """``treespec`` as a JSON string (``treespec_loads`` reads it back); contexts are written as
    JSON, so dict keys come back as JSON has them."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"Expected `treespec` to be an instance of PyTreeSpec but got item of type {type(treespec)}.")
    if protocol is None:
        protocol = _DEFAULT_PROTOCOL
    if protocol != _DEFAULT_PROTOCOL:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [{_DEFAULT_PROTOCOL}]")
    return json.dumps([protocol, _spec_to_json(treespec)])


def treespec_loads(serialized: str) -> TreeSpec:
    protocol, data = json.loads(serialized)
    if protocol != _DEFAULT_PROTOCOL:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [{_DEFAULT_PROTOCOL}]")
    return _spec_from_json(data)


# ---------------------------------------------------------------------------------------------
# for tensorgraft.func: in_dims-style prefixes


def _broadcast_to_and_flatten(prefix, treespec: TreeSpec, is_leaf=None):
    """Flatten ``prefix`` (vmap's ``in_dims``) against the full structure ``treespec``: a leaf of
    the prefix covers a whole subtree. None when the structures do not match. A list or tuple
    prefix may stand for any sequence node (vmap(in_dims=(0, None)) for the args tuple of a named
    tuple) and a dict for any mapping node."""
    out: list = []

    def go(p, s):
        if tree_is_leaf(p, is_leaf):
            out.extend([p] * s.num_leaves)
            return True
        if s.type is None:
            return False
        if s.type in (dict, OrderedDict, defaultdict):
            keys = s.context[1] if s.type is defaultdict else s.context
            if not isinstance(p, dict) or set(p) != set(keys):
                return False
            return all(go(p[k], c) for k, c in zip(keys, s._children))
        if isinstance(p, (list, tuple)) and not isinstance(p, dict):
            if s.type not in (list, tuple, namedtuple, deque) and not is_structseq_class(s.type):
                return False
            if len(p) != len(s._children) or (s.type is list) != isinstance(p, list):
                return False
            return all(go(v, c) for v, c in zip(p, s._children))
        node_type = _node_type(p)
        if node_type is not s.type:
            return False
        children, context = _flatten_one(node_type, p)
        if context != s.context or len(children) != len(s._children):
            return False
        return all(go(v, c) for v, c in zip(children, s._children))

    return out if go(prefix, treespec) else None
