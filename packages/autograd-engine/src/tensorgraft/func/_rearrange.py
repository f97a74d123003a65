"""``torch.func.rearrange``: functorch's native ``einops.rearrange`` (``"b (h w) c -> b h w c"``).

The pattern parser is functorch's (``functorch/einops/_parsing.py``, itself adapted from einops),
with its checks and messages. Where functorch then binds first-class dimensions, this computes
the same result with ordinary ops: the input reshaped into its elementary axes (each left group
split, the ellipsis spread into its dims), those axes permuted into the right side's order, any
anonymous axis of the left side (``1``) summed away as functorch does, and the result reshaped
into the right side's groups (an empty group, ``1`` or ``()``, is a new dim of size 1). Size
errors name the axes as functorch's first-class dims (``d0``, ``d1``... in left-side order) and
are ``DimensionBindError``s, as there.
"""
from __future__ import annotations

import functools
import keyword
import warnings

__all__ = ["rearrange", "DimensionBindError"]

_ellipsis = "\u2026"  # (a single unicode symbol standing for "...", as in functorch)


class DimensionBindError(Exception):
    """functorch.dim's error for sizes that do not fit the pattern."""


class _AnonymousAxis:
    """An axis with a size but no name (only ``1`` is allowed in rearrange). Instances are never
    equal to each other."""

    def __init__(self, value: str) -> None:
        self.value = int(value)
        if self.value < 1:
            raise ValueError(f"Anonymous axis should have positive length, not {self.value}")

    def __repr__(self) -> str:
        return f"{self.value}-axis"


def _check_axis_name(name: str):
    if not str.isidentifier(name):
        return False, "not a valid python identifier"
    if name[0] == "_" or name[-1] == "_":
        return False, "axis name should should not start or end with underscore"
    if keyword.iskeyword(name):
        warnings.warn(f"It is discouraged to use axes names that are keywords: {name}", RuntimeWarning, stacklevel=5)
    if name == "axis":
        warnings.warn("It is discouraged to use 'axis' as an axis name and will raise an error in future",
                      FutureWarning, stacklevel=5)
    return True, ""


class _Parsed:
    """One side of a pattern: ``composition`` is a list of groups (lists of names or anonymous
    axes; ``[]`` for a ``1`` outside brackets) and the ellipsis marker."""

    def __init__(self, expression: str) -> None:
        self.has_ellipsis = False
        self.has_ellipsis_parenthesized = None
        self.identifiers = set()
        self.has_non_unitary_anonymous_axes = False
        self.composition = []
        if "." in expression:
            if "..." not in expression:
                raise ValueError("Expression may contain dots only inside ellipsis (...)")
            if str.count(expression, "...") != 1 or str.count(expression, ".") != 3:
                raise ValueError("Expression may contain dots only inside ellipsis (...); only one ellipsis for tensor ")
            expression = expression.replace("...", _ellipsis)
            self.has_ellipsis = True
        group = None
        current = None
        for char in expression:
            if char in "() ":
                if current is not None:
                    self._add(current, group)
                current = None
                if char == "(":
                    if group is not None:
                        raise ValueError("Axis composition is one-level (brackets inside brackets not allowed)")
                    group = []
                elif char == ")":
                    if group is None:
                        raise ValueError("Brackets are not balanced")
                    self.composition.append(group)
                    group = None
            elif str.isalnum(char) or char in ("_", _ellipsis):
                current = char if current is None else current + char
            else:
                raise ValueError(f"Unknown character '{char}'")
        if group is not None:
            raise ValueError(f"Imbalanced parentheses in expression: '{expression}'")
        if current is not None:
            self._add(current, group)

    def _add(self, x: str, group) -> None:
        if x in self.identifiers:
            raise ValueError(f"Indexing expression contains duplicate dimension '{x}'")
        if x == _ellipsis:
            self.identifiers.add(_ellipsis)
            (self.composition if group is None else group).append(_ellipsis)
            self.has_ellipsis_parenthesized = group is not None
            return
        is_number = str.isdecimal(x)
        if is_number and int(x) == 1:  # a unitary anonymous axis: a group of its own, nothing inside brackets
            if group is None:
                self.composition.append([])
            return
        is_name, reason = _check_axis_name(x)
        if not (is_number or is_name):
            raise ValueError(f"Invalid axis identifier: {x}\n{reason}")
        axis = _AnonymousAxis(x) if is_number else x
        self.identifiers.add(axis)
        if is_number:
            self.has_non_unitary_anonymous_axes = True
        if group is None:
            self.composition.append([axis])
        else:
            group.append(axis)


def _parse(pattern: str, axes_lengths):
    try:
        left_str, right_str = pattern.split("->")
    except ValueError:
        raise ValueError("Pattern must contain a single '->' separator") from None
    if _ellipsis in axes_lengths:
        raise ValueError(f"'{_ellipsis}' is not an allowed axis identifier")
    left, right = _Parsed(left_str), _Parsed(right_str)
    if not left.has_ellipsis and right.has_ellipsis:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if left.has_ellipsis and left.has_ellipsis_parenthesized:
        raise ValueError(f"Ellipsis is parenthesis in the left side is not allowed: {pattern}")
    for length in axes_lengths.values():
        if (length_type := type(length)) is not int:
            raise TypeError(f"rearrange axis lengths must be integers, got: {length_type}")
    if left.has_non_unitary_anonymous_axes or right.has_non_unitary_anonymous_axes:
        raise ValueError("rearrange only supports unnamed axes of size 1")
    difference = set.symmetric_difference(left.identifiers, right.identifiers)
    if difference:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on both): {difference}")
    unmatched = axes_lengths.keys() - left.identifiers
    if unmatched:
        raise ValueError(f"Identifiers not found in rearrange expression: {unmatched}")
    return left, right


@functools.lru_cache(256)
def _plan(ndim: int, pattern: str, lengths: tuple):
    """For inputs of ``ndim`` dims: the left side's groups as lists of elementary axes (numbered as
    functorch's first-class dims), the right side's groups likewise, and the anonymous axes."""
    axes_lengths = dict(lengths)
    left, right = _parse(pattern, axes_lengths)
    n_anon = sum(not group for group in left.composition)
    if left.has_ellipsis:
        n_ellipsis = ndim - (len(left.composition) - 1)
        if (pattern_ndim := n_anon + len(left.identifiers) - 1) > ndim:
            raise ValueError(f"Number of dimensions in pattern ({pattern_ndim}) must be less than or equal to the "
                             f"number of dimensions in the tensor ({ndim})")
    else:
        n_ellipsis = 0
        if (pattern_ndim := len(left.composition)) != ndim:
            raise ValueError(f"Number of dimensions in pattern ({pattern_ndim}) must be equal to the number of "
                             f"dimensions in the tensor ({ndim})")
    index = {}  # name -> [its elementary axis number]; the ellipsis -> its numbers
    left_groups, anon, count = [], [], 0
    for group in left.composition:
        if group == _ellipsis:
            index[_ellipsis] = list(range(count, count + n_ellipsis))
            left_groups.extend([i] for i in index[_ellipsis])
            count += n_ellipsis
        elif not group:  # ``1`` on the left: an axis of whatever size the dim has, summed away (functorch's)
            anon.append(count)
            left_groups.append([count])
            count += 1
        else:
            left_groups.append(list(range(count, count + len(group))))
            for name in group:
                index[name] = [count]
                count += 1
    right_groups = []
    for group in right.composition:
        if group == _ellipsis:
            right_groups.extend([i] for i in index[_ellipsis])
        else:
            right_groups.append([i for name in group for i in index[name]])
    known = {index[name][0]: length for name, length in axes_lengths.items()}
    return left_groups, right_groups, tuple(anon), known


def _sizes(shape, left_groups, known):
    """Each elementary axis's size, as functorch binds first-class dims (its messages)."""
    sizes = dict(known)
    for size, group in zip(shape, left_groups):
        unknown = [i for i in group if i not in sizes]
        if len(unknown) > 1:
            raise DimensionBindError(f"cannot infer the sizes of two dimensions at once d{unknown[0]} and "
                                     f"d{unknown[1]}")
        if unknown:
            product = 1
            for i in group:
                if i in sizes:
                    product *= sizes[i]
            if product > 0 and size % product != 0 or product == 0 and size % product:
                listed = tuple(sizes.get(i, "?") for i in group)
                raise DimensionBindError("inferred dimension does not evenly fit into larger dimension: "
                                         f"{size} vs {listed}")
            sizes[unknown[0]] = size // product
        else:
            product = 1
            for i in group:
                product *= sizes[i]
            if product != size:
                pack = "(" + ", ".join(f"d{i}" for i in group) + ("," if len(group) == 1 else "") + ")"
                raise DimensionBindError(f"Dimension sizes to do not match ({size} != {product}) when matching "
                                         f"dimension pack {pack}")
    for i, s in sizes.items():
        if s < 0:
            raise ValueError(f"dimension d{i} is unbound")
    return sizes


def rearrange(tensor, pattern: str, **axes_lengths):
    r"""A native implementation of ``einops.rearrange``: transpose, reshape, squeeze, unsqueeze,
    stack and concatenate in one reader-friendly pattern (see https://einops.rocks/api/rearrange/).

    Args:
        tensor (Tensor or sequence of Tensor): the tensor(s) to rearrange (a sequence is stacked)
        pattern (str): the rearrangement pattern, e.g. ``"b (h1 h) (w1 w) c -> (b h1 w1) h w c"``
        axes_lengths (int): the lengths of axes that the input's shape does not determine

    Returns:
        Tensor: the rearranged tensor
    """
    import tensorgraft
    if not isinstance(tensor, tensorgraft.Tensor):
        tensor = tensorgraft.stack(tensor)
    left_groups, right_groups, anon, known = _plan(tensor.ndim, pattern, tuple(axes_lengths.items()))
    if not left_groups:
        return tensor  # (a 0-d tensor: functorch's identity, whatever the right side adds)
    sizes = _sizes(tuple(tensor.shape), left_groups, known)
    n = len(sizes)
    elementary = tensor.reshape(tuple(sizes[i] for i in range(n)))
    order = [i for group in right_groups for i in group]
    if anon:
        elementary = elementary.permute(order + list(anon)).sum(tuple(range(len(order), n)))
    elif order != list(range(n)):
        elementary = elementary.permute(order)
    shape = []
    for group in right_groups:
        size = 1
        for i in group:
            size *= sizes[i]
        shape.append(size)
    return elementary.reshape(tuple(shape))
