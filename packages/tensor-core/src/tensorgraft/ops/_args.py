"""Argument normalisation shared by op frontends (dims, sizes), with PyTorch's error wording."""
from __future__ import annotations

import numbers

from ..tensor import Tensor


def wrap_dim(dim, ndim: int) -> int:
    if isinstance(dim, Tensor):
        dim = dim.item()
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else int(dim)


def wrap_dims(dim, ndim: int):
    """``None`` -> None (all dims); int or sequence -> sorted tuple of non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            dup = next(d for k, d in enumerate(dims) if d in dims[:k])
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        if ndim == 0:
            return ()
        return tuple(sorted(dims))
    d = wrap_dim(dim, ndim)
    return () if ndim == 0 else (d,)


def spread_args(args: tuple) -> tuple:
    """``f(a, b)`` and ``f([a, b])`` / ``f((a, b))`` alike (``block_diag``, ``einsum``...): the
    arguments as one tuple."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# ops whose sizes PyTorch takes as ints or as one sequence: ``x.reshape((2,), (3,))`` is then a
# call with too many arguments (view and the random factories word it as a bad overload instead)
ONE_SEQUENCE_ONLY = frozenset({"reshape", "expand", "repeat", "permute", "zeros", "ones", "empty", "new_zeros",
                               "new_ones", "new_empty"})


def shape_arg(args, fname: str):
    """``view(2, 3)`` / ``view((2, 3))`` / ``view([2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):  # spread_args, inlined: view/reshape run it per call
        args = tuple(args[0])
    elif len(args) > 1 and isinstance(args[0], (tuple, list)) and fname in ONE_SEQUENCE_ONLY:
        raise TypeError(f"{fname}() takes 1 positional argument but {len(args)} were given")
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(f"{fname}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(a).__name__}")
        out.append(int(a))
    return tuple(out)


def infer_size(shape, numel: int, fname: str = "view"):
    """Resolve one ``-1``; PyTorch's message when the sizes don't multiply out."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = list(shape)
        shape[neg[0]] = numel // known
        return tuple(shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)
