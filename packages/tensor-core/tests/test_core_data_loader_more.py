"""More DataLoader/sampler behaviour, checked against PyTorch where it is installed: argument
checks, lengths, the IterableDataset length warning, and worker-pool epochs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils.data import (
    BatchSampler, DataLoader, IterableDataset, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler, get_worker_info,
)


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return (type(e).__name__, str(e))


SAMPLER_CASES = {
    "random_float_count": lambda d: d.RandomSampler(range(5), num_samples=3.0),
    "random_numpy_count": lambda d: d.RandomSampler(range(5), num_samples=np.int64(3)),
    "random_bool_count": lambda d: len(d.RandomSampler(range(5), num_samples=True)),
    "random_empty": lambda d: d.RandomSampler([]),
    "random_numpy_flag": lambda d: d.RandomSampler(range(5), replacement=np.bool_(True)),
    "weighted_bool_count": lambda d: d.WeightedRandomSampler([1, 2], True),
    "weighted_numpy_count": lambda d: d.WeightedRandomSampler([1, 2], np.int64(3)),
    "weighted_flag": lambda d: d.WeightedRandomSampler([1, 2], 3, 1),
    "weighted_scalar": lambda d: d.WeightedRandomSampler(3.0, 3),
    "weighted_both_bad": lambda d: d.WeightedRandomSampler([[1.0]], 0, 2),
    "batch_float": lambda d: d.BatchSampler(range(5), 2.0, False),
    "batch_bool": lambda d: d.BatchSampler(range(5), True, False),
    "batch_numpy": lambda d: d.BatchSampler(range(5), np.int64(2), False),
    "batch_both_bad": lambda d: d.BatchSampler(range(5), 0, 0),
    "batch_no_len": lambda d: len(d.BatchSampler(iter([1, 2]), 2, False)),
    "batch_from_iterator": lambda d: list(d.BatchSampler(iter(range(5)), 2, False)),
    "batches": lambda d: [(list(d.BatchSampler(range(n), b, dl)), len(d.BatchSampler(range(n), b, dl)))
                          for n in (0, 1, 5, 6) for b in (1, 2, 3, 7) for dl in (False, True)],
    "base_with_argument": lambda d: d.Sampler([1, 2]),
    "base_len": lambda d: len(d.Sampler()),
    "subset_empty": lambda d: list(d.SubsetRandomSampler([])),
    "lengths": lambda d: [len(list(d.RandomSampler(range(5), replacement=r, num_samples=k)))
                          for k in (1, 5, 7, 300, 1000) for r in (False, True)],
}


@pytest.mark.parametrize("case", sorted(SAMPLER_CASES))
def test_sampler_behaviour_matches_torch(case):
    torch_data = pytest.importorskip("torch.utils.data")
    import tensorgraft.utils.data as ours
    mine, theirs = _outcome(lambda: SAMPLER_CASES[case](ours)), _outcome(lambda: SAMPLER_CASES[case](torch_data))
    if theirs[0] == "ok" and not isinstance(theirs[1], (int, list)):
        assert mine[0] == "ok"
    else:
        assert mine == theirs


def test_random_sampler_chains_permutations_and_is_lazy():
    g = tg.Generator().manual_seed(4)
    draws = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert [sorted(draws[i:i + 4]) for i in (0, 4)] == [[0, 1, 2, 3]] * 2 and len(set(draws[8:])) == 2
    state = g.get_state()
    it = iter(RandomSampler(range(4), generator=g))
    assert bool((g.get_state() == state).all())  # nothing drawn before the first index is asked for
    assert sorted(it) == [0, 1, 2, 3]
    with_repl = list(RandomSampler(range(3), replacement=True, num_samples=1000, generator=g))
    assert len(with_repl) == 1000 and set(with_repl) == {0, 1, 2}
    assert isinstance(Sampler[int], object) and issubclass(BatchSampler, Sampler)


def test_subset_and_weighted_samplers_follow_their_generator():
    a = list(SubsetRandomSampler([7, 8, 9, 10], generator=tg.Generator().manual_seed(3)))
    b = list(SubsetRandomSampler([7, 8, 9, 10], generator=tg.Generator().manual_seed(3)))
    assert a == b and sorted(a) == [7, 8, 9, 10]
    w1 = list(WeightedRandomSampler([1.0, 5.0, 0.0], 50, generator=tg.Generator().manual_seed(1)))
    w2 = list(WeightedRandomSampler([1.0, 5.0, 0.0], 50, generator=tg.Generator().manual_seed(1)))
    assert w1 == w2 and set(w1) <= {0, 1}
    assert list(SequentialSampler([5, 6, 7])) == [0, 1, 2]


class _Counting(IterableDataset):
    """Yields ``n`` numbers but reports ``reported`` as its length."""

    def __init__(self, n, reported):
        self.n, self.reported = n, reported

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.reported


def _length_warnings(loader):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = [b if isinstance(b, int) else b.tolist() for b in loader]
    return out, [str(w.message) for w in caught if "Length of IterableDataset" in str(w.message)]


def test_iterable_length_warning_only_after_len_was_asked():
    ds = _Counting(5, 3)
    out, msgs = _length_warnings(DataLoader(ds, batch_size=None))
    assert out == [0, 1, 2, 3, 4] and msgs == []
    loader = DataLoader(ds, batch_size=None)
    assert len(loader) == 3
    out, msgs = _length_warnings(loader)
    assert out == [0, 1, 2, 3, 4]
    assert msgs == [f"Length of IterableDataset {ds} was reported to be 3(when accessing len(dataloader)), but "
                    f"{k} samples have been fetched. " for k in (4, 5)]
    loader = DataLoader(ds, batch_size=2)  # batches are compared with the dataset's length: 3 batches, no warning
    assert len(loader) == 2
    out, msgs = _length_warnings(loader)
    assert out == [[0, 1], [2, 3], [4]] and msgs == []


def test_iterable_length_warning_with_workers_mentions_replicas():
    ds = _Counting(4, 2)
    loader = DataLoader(ds, batch_size=None, num_workers=2)
    assert len(loader) == 2
    out, msgs = _length_warnings(loader)
    assert out == [0, 1, 2, 3] and len(msgs) == 2
    assert all("For multiprocessing data-loading, this could be caused by not properly configuring the "
               "IterableDataset replica at each worker." in m for m in msgs)


def test_epoch_iterator_length_and_loose_num_workers():
    loader = DataLoader(list(range(7)), batch_size=3)
    it = iter(loader)
    assert len(it) == 3 and iter(it) is it
    with pytest.raises(TypeError, match="object of type '_InfiniteConstantSampler' has no len"):
        len(iter(DataLoader(_Counting(3, 3), batch_size=None)))
    assert [b.tolist() for b in DataLoader([1, 2], num_workers=True)] == [[1], [2]]  # bool is an int, as in torch
    with pytest.raises(TypeError):
        list(DataLoader([1, 2], num_workers=1.5))


def _accelerator():
    from tensorgraft.device import backends
    return any(name not in ("cpu", "meta") and b.is_available() for name, b in backends().items())


@pytest.mark.skipif(_accelerator(), reason="the warning is about machines without an accelerator")
def test_pin_memory_without_accelerator_warns_per_epoch():
    loader = DataLoader([1, 2], pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found, then "
                                         "device pinned memory won't be used."):
        assert [b.tolist() for b in loader] == [[1], [2]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DataLoader([1, 2], pin_memory_device="cuda"))


def test_persistent_workers_restart_an_iterable_dataset_each_epoch():
    loader = DataLoader(_Counting(7, 7), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    assert first == [[0, 2], [1, 3], [4, 6], [5]]
    assert [b.tolist() for b in loader] == first
    loader._iterator._shutdown()


def test_loader_settings_and_attribute_lock():
    loader = DataLoader(list(range(5)), batch_size=2, shuffle=True, num_workers=1)
    assert loader.prefetch_factor == 2 and isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler) and loader.batch_sampler.sampler is loader.sampler
    for name in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after DataLoader is initialized"):
            setattr(loader, name, None)
    loader.num_workers = 0
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process loading "
                                         r"\(num_workers > 0\), but got num_workers=0"):
        loader.multiprocessing_context = "spawn"
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid context object"):
        DataLoader([1], num_workers=1, multiprocessing_context=3)
    custom = DataLoader(list(range(4)), batch_sampler=[[3, 0], [1]])
    assert custom.batch_size is None and custom.drop_last is False and isinstance(custom.sampler, SequentialSampler)
    assert len(custom) == 2 and [b.tolist() for b in custom] == [[3, 0], [1]]
