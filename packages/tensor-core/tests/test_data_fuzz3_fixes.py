"""Regressions from differential fuzzing of ``tensorgraft.utils.data`` against PyTorch 2.13 (the
expected values are PyTorch's, hard-coded)."""
from __future__ import annotations

import dataclasses

import pytest

import tensorgraft as tg
from tensorgraft.utils.data import DataLoader, Dataset, WorkerInfo, default_collate, get_worker_info, random_split

# ------------------------------------------------------------------ WorkerInfo: a frozen dataclass


def test_worker_info_repr_lists_every_field():
    info = WorkerInfo(id=0, num_workers=2, seed=5, dataset=None)
    assert repr(info) == "WorkerInfo(id=0, num_workers=2, seed=5, dataset=None, rng=None, worker_method='multiprocessing')"


def test_worker_info_is_frozen():
    info = WorkerInfo(id=1, num_workers=2, seed=5, dataset=None)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'id'"):
        info.id = 3
    assert info.id == 1
    assert dataclasses.asdict(info) == {"id": 1, "num_workers": 2, "seed": 5, "dataset": None, "rng": None,
                                        "worker_method": "multiprocessing"}


class _InfoDataset(Dataset):
    def __len__(self):
        return 1

    def __getitem__(self, index):
        info = get_worker_info()
        return repr(info).split(", seed=")[0], info.worker_method, info.rng, dataclasses.is_dataclass(info)


def test_worker_info_inside_a_worker():
    (item,) = list(DataLoader(_InfoDataset(), num_workers=1, batch_size=None))
    # (batch_size=None: default_convert turns the tuple into a list, as PyTorch)
    assert item == ["WorkerInfo(id=0, num_workers=1", "multiprocessing", None, True]


# ------------------------------------------------------------------ default_collate of str/bytes batches


def test_default_collate_of_a_str_batch_returns_it():
    # PyTorch collates the characters of the batch "ab" as strings: the batch itself comes back
    assert default_collate("ab") == "ab"
    assert default_collate(["ab", "cd"]) == ["ab", "cd"]


def test_default_collate_of_a_bytes_batch_fails_as_pytorch():
    # b"ab" is a sequence of ints: collated as an int batch, which torch.tensor refuses
    with pytest.raises(TypeError, match="new\\(\\): invalid data type 'bytes'"):
        default_collate(b"ab")


def test_default_collate_still_accepts_any_iterable():
    # an extension (PyTorch indexes batch[0]): a generator of samples is collated as a list
    out = default_collate(x for x in [1, 2])
    assert out.tolist() == [1, 2] and out.dtype == tg.int64


# ------------------------------------------------------------------ random_split


def test_random_split_orders_match_pytorch():
    for lengths in ([3, 7], [0.3, 0.7]):
        parts = random_split(range(10), lengths, generator=tg.Generator().manual_seed(0))
        assert [list(p.indices) for p in parts] == [[4, 1, 7], [5, 3, 9, 0, 8, 6, 2]]


def test_random_split_whole_float_lengths_fail_in_randperm():
    # PyTorch draws randperm(sum(lengths)): float lengths summing to len(dataset) fail there, with a
    # TypeError, not later when the subsets are sliced
    with pytest.raises(TypeError, match="randperm"):
        random_split(range(10), [5.0, 5.0], generator=tg.Generator().manual_seed(0))


# ------------------------------------------------------------------ DistributedSampler rank check


def test_distributed_sampler_rank_checked_in_pytorch_order():
    from tensorgraft.utils.data import DistributedSampler
    with pytest.raises(TypeError, match="'>=' not supported between instances of 'str' and 'int'"):
        DistributedSampler(range(7), num_replicas=2, rank="1")
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(7), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match=r"Invalid rank -1, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(7), num_replicas=2, rank=-1)
