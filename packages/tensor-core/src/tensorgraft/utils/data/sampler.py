"""Samplers: which indices a DataLoader fetches, and in which order/batches.

Every random sampler here is a generator function, so nothing is drawn before the first index is
asked for. Indices are drawn on the sampler generator's device (the CPU without one) and handed
out as Python ints, see ``docs/user-guide/differences.md``.
"""
from __future__ import annotations

import itertools
from typing import Generic, TypeVar

from ...dtypes import int64

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]

_T_co = TypeVar("_T_co", covariant=True)

# Draws with replacement are made this many at a time, so huge ``num_samples`` stay lazy; PyTorch's
# chunk, which matters when the sampler's generator is also drawn from between batches.
_DRAW_CHUNK = 32


def _count_ok(value, *, bool_ok: bool = False) -> bool:
    """``value`` is a Python int above zero (``bool`` only where PyTorch lets it through)."""
    if isinstance(value, bool) and not bool_ok:
        return False
    return isinstance(value, int) and value > 0


def _positive_int_error(name, value) -> ValueError:
    return ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _flag_error(name, value, kind=ValueError):
    return kind(f"{name} should be a boolean value, but got {name}={value}")


def _index_device(generator):
    """The device indices are drawn on: ``generator``'s, the CPU for ``None``. (PyTorch uses the
    default device, which a CPU generator then contradicts under ``set_default_device('cuda')``.)"""
    if generator is None:
        return "cpu"
    return generator.device


def _shuffling_generator(generator):
    """``generator`` itself, or else a new CPU generator seeded, as PyTorch seeds it, by an int64
    ``random_()`` of the CPU default generator: each pass then differs, ``tensorgraft.manual_seed``
    makes it repeat, and the order is PyTorch's for the same seed."""
    if generator is not None:
        return generator
    from ...ops.creation import empty
    from ...random import Generator
    fresh_seed = int(empty((), dtype=int64, device="cpu").random_().item())
    return Generator().manual_seed(fresh_seed)


class Sampler(Generic[_T_co]):
    """Base class: subclasses implement ``__iter__`` (indices) and usually ``__len__``."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __len__(self) -> int:
        return len(self.data_source)

    def __iter__(self):
        stop = len(self.data_source)
        return iter(range(stop))


class RandomSampler(Sampler[int]):
    """A random permutation (``replacement=False``; ``num_samples`` may exceed the length, then
    several permutations are chained) or ``num_samples`` draws with replacement."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise _flag_error("replacement", replacement, TypeError)
        wanted = self.num_samples
        if not _count_ok(wanted, bool_ok=True):
            raise _positive_int_error("num_samples", wanted)

    @property
    def num_samples(self) -> int:
        explicit = self._num_samples
        return len(self.data_source) if explicit is None else explicit

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self):
        population = len(self.data_source)
        gen = _shuffling_generator(self.generator)
        if self.replacement:
            yield from _uniform_draws(population, self.num_samples, gen)
        else:
            yield from _chained_permutations(population, self.num_samples, gen)


def _uniform_draws(population, count, gen):
    from ...ops.sampling import randint
    where = _index_device(gen)
    left = count
    while left > 0:
        take = min(left, _DRAW_CHUNK)
        left -= take
        yield from randint(0, population, (take,), generator=gen, device=where).tolist()


def _chained_permutations(population, count, gen):
    from ...ops.sampling import randperm
    where = _index_device(gen)
    whole_rounds, partial = divmod(count, population)
    for _ in range(whole_rounds):
        yield from randperm(population, generator=gen, device=where).tolist()
    # drawn even when nothing of it is used (partial == 0), as PyTorch does: the generator then
    # ends where PyTorch's does
    yield from itertools.islice(randperm(population, generator=gen, device=where).tolist(), partial)


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        from ...ops.sampling import randperm
        gen = self.generator
        order = randperm(len(self.indices), generator=gen, device=_index_device(gen)).tolist()
        yield from map(self.indices.__getitem__, order)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement: bool = True, generator=None) -> None:
        from ...dtypes import float64
        from ...ops.conversion import as_tensor
        if not _count_ok(num_samples):
            raise _positive_int_error("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise _flag_error("replacement", replacement)
        as_probs = as_tensor(weights, dtype=float64, device="cpu")  # drawn from on the host
        if as_probs.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have "
                             f"shape {tuple(as_probs.shape)}")
        self.weights = as_probs
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self):
        from ...ops.sampling import multinomial
        picks = multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from picks.tolist()


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not _count_ok(batch_size):
            raise _positive_int_error("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise _flag_error("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full + int(bool(rest) and not self.drop_last)

    def __iter__(self):
        source = iter(self.sampler)
        size = self.batch_size
        while True:
            chunk = list(itertools.islice(source, size))
            if not chunk or (self.drop_last and len(chunk) < size):
                return
            yield chunk
