"""``functionalize``: PyTorch's transform that rewrites a program's in-place (and, on request,
view) operations as out-of-place ones, so that a tracer or compiler sees a pure program.

tensorgraft runs eagerly and has no tracer behind the transforms, so there is nothing to rewrite:
the function runs as written, which gives the values PyTorch's functionalized program gives
(mutations of the inputs included: PyTorch copies them back into the inputs at the end). With
``remove='mutations_and_views'`` an output that is a view is returned as a copy, so no output
aliases an input or another output, as there."""
from __future__ import annotations

import functools

from tensorgraft.tensor import Tensor

from ._pytree import tree_map

__all__ = ["functionalize"]

_REMOVE_OPTIONS = (
    "     remove='mutations': all inplace and out= operators will be removed from the program, and replaced with "
    "their out-of-place equivalents.\n"
    "     remove='mutations_and_views': In addition to the above, all aliasing operators {view} will be replaced "
    "with their non-aliasing counterparts, {view}_copy.\n")


def functionalize(func, *, remove="mutations"):
    """``functionalize(f)(*args)`` gives what ``f(*args)`` gives (see the module docstring)."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
                           f"Valid options are:\n{_REMOVE_OPTIONS}")
    copy_views = remove == "mutations_and_views"

    def unalias(x):
        if copy_views and isinstance(x, Tensor) and x._base is not None:
            return x.clone()
        return x

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return tree_map(unalias, func(*args, **kwargs))

    return wrapped
