"""The reductions of nn's fused losses ('none', 'mean', 'sum'): the check of the argument, the
reduction of an elementwise loss and the incoming gradient spread back over its elements."""
from __future__ import annotations

import numpy as np

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(xp, L, reduction):
    if reduction == "mean":
        # the mean of no elements is NaN, as PyTorch's, without NumPy's "Mean of empty slice" warning
        return L.sum() * np.nan if L.size == 0 else L.mean()
    if reduction == "sum":
        return L.sum()
    return L


def _expand_g(xp, g, reduction, shape, n):
    """The incoming gradient as an array broadcastable to the elementwise loss shape."""
    if reduction == "none":
        return g
    if reduction == "mean":
        return g / max(n, 1) if n else g * np.nan
    return g
