"""The dual level in force and the tangent of each dual tensor.

PyTorch keeps a tensor's tangent in its autograd metadata; here a table keyed by the tensor's id
holds it (with a weak reference, so a tensor that dies drops its entry), and leaving the level
empties the table: a tensor used after its level has no tangent, as in PyTorch.

Views: a view taken of a dual tensor gets the same view of its tangent (``_propagation``), so
writing through either one updates both. A view taken *before* its base got a tangent (``row =
x[1]`` and then ``x[0] = dual``) finds it here when first asked: the matching window of the base's
tangent, as PyTorch's views share their base's forward gradient.
"""
from __future__ import annotations

import weakref

from tensorgraft.tensor import Tensor


class Level:
    """One entered dual level: its number (always 0: PyTorch supports one level at a time), the
    mode that propagates tangents while it is entered, and the tangents."""

    def __init__(self, number: int, mode):
        self.number = number
        self.mode = mode
        # id(tensor) -> (weak reference to it, tangent or None); None marks a tensor that must not
        # take its base's tangent (``unpack_dual(x).primal``, ``x.detach()``)
        self.table: dict = {}


current: Level | None = None
# > 0 while a tangent is derived by a double vjp (``_propagation._shadow_tangents``): the backward
# formulas then see an arbitrary cotangent, not a loss's gradient, and a check on the cotangent
# (eig's eigenvector gauge) does not apply
deriving_tangent = 0


def tangent_of(t):
    """``t``'s tangent at the current level, or None."""
    level = current
    if level is None or not isinstance(t, Tensor):
        return None
    entry = level.table.get(id(t))
    if entry is not None and entry[0]() is t:
        return entry[1]
    base = t._base
    if base is None:
        return None
    entry = level.table.get(id(base))
    if entry is None or entry[0]() is not base or entry[1] is None:
        return None
    return _window_of_base_tangent(t, base, entry[1])


def _window_of_base_tangent(view, base, base_tangent):
    """The part of ``base_tangent`` that ``view`` covers of ``base`` (same strides, so the view's
    strides and offset apply), remembered as the view's own tangent."""
    if tuple(base_tangent.shape) != tuple(base.shape) or base_tangent.stride() != base.stride():
        return None
    offset = base_tangent.storage_offset() + view.storage_offset() - base.storage_offset()
    tangent = base_tangent.as_strided(view.shape, view.stride(), offset)
    set_tangent(view, tangent)
    return tangent


def set_tangent(t, tangent) -> None:
    """Record ``tangent`` (or None: "no tangent, not even the base's") for ``t``."""
    table = current.table
    key = id(t)

    def forget(ref, key=key, table=table):
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]

    table[key] = (weakref.ref(t, forget), tangent)

