"""The pytree helpers ``tensorgraft.func`` flattens its arguments with: ``tensorgraft.utils._pytree``
(``torch.utils._pytree``), re-exported here so the transforms keep importing them from one place."""
from __future__ import annotations

from tensorgraft.utils._pytree import *  # noqa: F401,F403
from tensorgraft.utils._pytree import (  # noqa: F401
    _LEAF as LEAF,
    TreeSpec,
    _broadcast_to_and_flatten,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)


def broadcast_prefix(prefix, spec: TreeSpec):
    """Flatten ``prefix`` (e.g. ``in_dims``) against the full structure ``spec``: a leaf of the
    prefix covers a whole subtree. None when the structures are incompatible."""
    return _broadcast_to_and_flatten(prefix, spec)
