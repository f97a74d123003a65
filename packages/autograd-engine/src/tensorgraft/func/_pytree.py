"""A minimal pytree (nested tuples, lists, dicts and namedtuples; anything else is a leaf), the
subset of ``torch.utils._pytree`` that ``tensorgraft.func`` needs to accept the same argument
structures as ``torch.func``."""
from __future__ import annotations


class TreeSpec:
    """The structure of a pytree: ``kind`` is None for a leaf, else the container type; ``context``
    holds dict keys; ``children`` the specs of the entries."""

    __slots__ = ("kind", "context", "children", "num_leaves")

    def __init__(self, kind, context, children):
        self.kind = kind
        self.context = context
        self.children = children
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.kind is None

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.kind is other.kind and self.context == other.context
                and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, tuple(self.children)))

    def _str(self, indent):
        if self.kind is None:
            return "*"
        sep = ",\n" + " " * (indent + 2)
        children = sep.join(c._str(indent + 2) for c in self.children)
        return f"TreeSpec({self.kind.__name__}, {self.context!r}, [{children}])"

    def __repr__(self):  # as torch.utils._pytree.TreeSpec's
        return self._str(0)

    def pprint(self) -> str:
        """``torch.utils._pytree.treespec_pprint``: ``*`` for a leaf, containers as literals."""
        if self.kind is None:
            return "*"
        inner = ", ".join(c.pprint() for c in self.children)
        if self.kind is dict:
            return "{" + ", ".join(f"{k!r}: {c.pprint()}" for k, c in zip(self.context, self.children)) + "}"
        if self.kind is list:
            return f"[{inner}]"
        if self.kind is tuple:
            return f"({inner},)" if len(self.children) == 1 else f"({inner})"
        return f"{self.kind.__name__}({inner})"


LEAF = TreeSpec(None, None, ())


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    leaves = []

    def go(x):
        if isinstance(x, (list, tuple)):
            kind = type(x) if _is_namedtuple(x) else (tuple if isinstance(x, tuple) else list)
            return TreeSpec(kind, None, [go(v) for v in x])
        if isinstance(x, dict):
            keys = list(x)
            return TreeSpec(dict, keys, [go(x[k]) for k in keys])
        leaves.append(x)
        return LEAF

    spec = go(tree)
    return leaves, spec


def tree_unflatten(leaves, spec: TreeSpec):
    it = iter(leaves)

    def go(s):
        if s.kind is None:
            return next(it)
        vals = [go(c) for c in s.children]
        if s.kind is dict:
            return dict(zip(s.context, vals))
        if s.kind is list:
            return vals
        if s.kind is tuple:
            return tuple(vals)
        return s.kind(*vals)  # namedtuple

    return go(spec)


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, spec: TreeSpec):
    """Flatten ``prefix`` (e.g. ``in_dims``) against the full structure ``spec``: a leaf of the
    prefix covers a whole subtree. None when the structures are incompatible."""
    out = []

    def go(p, s):
        if s.kind is None or not isinstance(p, (list, tuple, dict)):
            if isinstance(p, (list, tuple, dict)) and s.kind is None:
                return False
            out.extend([p] * s.num_leaves)
            return True
        if s.kind is dict:
            if not isinstance(p, dict) or set(p) != set(s.context):
                return False
            return all(go(p[k], c) for k, c in zip(s.context, s.children))
        if isinstance(p, dict) or len(p) != len(s.children):
            return False
        if (s.kind is list) != isinstance(p, list):
            return False
        return all(go(v, c) for v, c in zip(p, s.children))

    return out if go(prefix, spec) else None
