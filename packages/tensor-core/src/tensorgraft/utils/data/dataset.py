"""Datasets: map-style (``__getitem__``/``__len__``) and iterable-style (``__iter__``)."""
from __future__ import annotations

import bisect
import collections.abc
import itertools
import math
import warnings
from typing import Generic, TypeVar

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split"]


_T_co = TypeVar("_T_co", covariant=True)


class Dataset(Generic[_T_co]):
    """A map-style dataset: subclasses implement ``__getitem__`` (and usually ``__len__``).
    Generic in its item type, so typed code can subclass ``Dataset[tuple[Tensor, int]]``.

    ``a + b`` builds a :class:`ConcatDataset` of the two."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset((self, other))


class IterableDataset(Dataset[_T_co], collections.abc.Iterable):
    """An iterable-style dataset: subclasses implement ``__iter__``. With ``num_workers > 0``
    every worker iterates its own copy; use :func:`get_worker_info` to split the work.

    ``__iter__`` is abstract (``collections.abc.Iterable``'s), so a subclass that forgets it fails
    when it is instantiated, not later inside a DataLoader.

    ``a + b`` builds a :class:`ChainDataset` that yields ``a``'s items, then ``b``'s."""

    def __add__(self, other):
        return ChainDataset((self, other))


class TensorDataset(Dataset):
    """Item ``i`` is the tuple of every tensor's row ``i``; the tensors share their first dimension."""

    def __init__(self, *tensors) -> None:
        if len({t.size(0) for t in tensors}) > 1:
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].size(0)

    def __getitem__(self, index):
        return tuple(column[index] for column in self.tensors)


def _fetch_many(dataset, indices) -> list:
    """``[dataset[i] for i in indices]``, through the dataset's own ``__getitems__`` when it has one."""
    batched = getattr(dataset, "__getitems__", None)
    if not callable(batched):
        return [dataset[i] for i in indices]
    items = batched(indices)
    if len(items) != len(indices):
        raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}")
    return items


class StackDataset(Dataset):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``, and
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/output,"
                             " but both types are given.")
        members = list(kwargs.values()) if kwargs else list(args)
        if not members:
            raise ValueError("At least one dataset should be passed")
        sizes = {len(member) for member in members}
        if len(sizes) != 1:
            raise ValueError("Size mismatch between datasets")
        (self._length,) = sizes
        self.datasets = kwargs if kwargs else args

    def _named(self) -> bool:
        return isinstance(self.datasets, dict)

    def __getitem__(self, index):
        if self._named():
            return {key: member[index] for key, member in self.datasets.items()}
        return tuple(member[index] for member in self.datasets)

    def __getitems__(self, indices: list) -> list:
        if self._named():
            keys = list(self.datasets)
            columns = [_fetch_many(self.datasets[key], indices) for key in keys]
            return [dict(zip(keys, row)) for row in zip(*columns)] if columns else []
        columns = [_fetch_many(member, indices) for member in self.datasets]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Map-style datasets laid end to end; ``cumulative_sizes[k]`` is where dataset ``k`` ends."""

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(part) for part in sequence))

    def __init__(self, datasets) -> None:
        parts = list(datasets)
        if not parts:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(part, IterableDataset) for part in parts):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.datasets = parts
        self.cumulative_sizes = self.cumsum(parts)

    @property
    def cummulative_sizes(self):
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`", FutureWarning, stacklevel=2)
        return self.cumulative_sizes

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        total = len(self)
        position = idx
        if position < 0:
            position += total
            if position < 0:
                raise ValueError("absolute value of index should not exceed dataset length")
        if position >= total:
            # PyTorch's message: its lookup of the dataset past the last one is what fails
            raise IndexError("list index out of range")
        which = bisect.bisect_right(self.cumulative_sizes, position)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][position - start]


def _require_iterable(part) -> None:
    if not isinstance(part, IterableDataset):
        raise AssertionError("ChainDataset only supports IterableDataset")


class ChainDataset(IterableDataset):
    """Iterable datasets run one after another (the chaining happens lazily, at iteration)."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def __iter__(self):
        for part in self.datasets:
            _require_iterable(part)
            yield from part

    def __len__(self) -> int:
        sizes = []
        for part in self.datasets:
            _require_iterable(part)
            sizes.append(len(part))
        return sum(sizes)


class Subset(Dataset):
    """A view of ``dataset`` restricted to ``indices`` (``Subset(d, idx)[k] == d[idx[k]]``)."""

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = indices

    def _outer(self, positions) -> list:
        return [self.indices[k] for k in positions]

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[self._outer(idx)]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        outer = self._outer(indices)
        batched = getattr(self.dataset, "__getitems__", None)
        return batched(outer) if callable(batched) else [self.dataset[i] for i in outer]

    def __len__(self) -> int:
        return len(self.indices)


def _split_sizes(total: int, fractions) -> list:
    """Turn fractions (summing to 1) into item counts: each gets ``floor(total * f)``, then the
    leftover items are handed out one by one, round-robin from the first split."""
    for position, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise ValueError(f"Fraction at index {position} is not between 0 and 1")
    sizes = [math.floor(total * frac) for frac in fractions]
    leftover = total - sum(sizes)
    for step in range(leftover):
        sizes[step % len(sizes)] += 1
    for position in (p for p, size in enumerate(sizes) if size == 0):
        warnings.warn(f"Length of split at index {position} is 0. This might result in an empty dataset.",
                      stacklevel=3)
    return sizes


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths; lengths
    may also be fractions that sum to 1 (see :func:`_split_sizes` for the rounding)."""
    from ...ops.sampling import randperm
    from ...random import default_generator

    sizes = list(lengths)
    total = len(dataset)
    requested = sum(sizes)
    if requested <= 1 and math.isclose(requested, 1):
        sizes = _split_sizes(total, sizes)
    if sum(sizes) != total:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    if generator is None:
        generator = default_generator
    # ``sum(sizes)``, as PyTorch: whole-number float lengths (``[5.0, 5.0]``) then fail in randperm
    # with its TypeError rather than later, when the subsets are sliced
    order = randperm(sum(sizes), generator=generator, device=generator.device).tolist()
    bounds = [0, *itertools.accumulate(sizes)]
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]
