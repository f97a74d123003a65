"""tensorgraft.utils.data datasets against PyTorch's observable behaviour: StackDataset batching,
ConcatDataset's deprecated alias, Subset.__getitems__ and random_split's fraction rounding."""
from __future__ import annotations

import warnings

import pytest

import tensorgraft as tg
from tensorgraft.utils.data import ConcatDataset, Dataset, StackDataset, Subset, TensorDataset, random_split


class _Batched(Dataset):
    def __init__(self, short=False):
        self.short = short

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return i * 10

    def __getitems__(self, idx):
        out = [i * 100 for i in idx]
        return out[:1] if self.short else out


def test_stack_dataset_getitems_and_errors():
    t = TensorDataset(tg.arange(3))
    assert StackDataset(_Batched(), _Batched()).__getitems__([0, 2]) == [(0, 0), (200, 200)]
    rows = StackDataset(x=_Batched(), y=t).__getitems__([0, 2])
    assert [r["x"] for r in rows] == [0, 200] and [r["y"][0].item() for r in rows] == [0, 2]
    assert StackDataset(x=_Batched(), y=t)[1]["x"] == 10
    with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
        StackDataset(_Batched(short=True), _Batched()).__getitems__([0, 2])
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(t, TensorDataset(tg.arange(4)))
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(t, y=t)


def test_concat_alias_subset_getitems_and_split_rounding():
    a = TensorDataset(tg.arange(3))
    with pytest.warns(FutureWarning, match="`cummulative_sizes` attribute is renamed to `cumulative_sizes`"):
        assert (a + a).cummulative_sizes == [3, 6]
    assert ConcatDataset.cumsum([a, a, a]) == [3, 6, 9]
    assert Subset(_Batched(), [2, 1, 0]).__getitems__([0, 1]) == [200, 100]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert [len(s) for s in random_split(range(2), [0.34, 0.33, 0.33])] == [1, 1, 0]
        assert [len(s) for s in random_split(range(10), [0.999999999, 0.0])] == [10, 0]
    assert sum("Length of split at index" in str(x.message) for x in w) == 2
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [0.5, 0.5000000001])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.2, -0.2])
