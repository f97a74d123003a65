"""tensorgraft.utils.data: datasets, samplers, default_collate and DataLoader (with worker processes)."""
from __future__ import annotations

import collections
import os
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils.data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
    default_convert, get_worker_info, random_split,
)
from tensorgraft.testing.oracle import assert_same_error


def _ds(n=10):
    return TensorDataset(tg.arange(n, dtype=tg.float32).reshape(n, 1) * 10, tg.arange(n))


def _ids(loader):
    return [b[1].tolist() for b in loader]


# ------------------------------------------------------------------------------------------ datasets
def test_tensor_dataset_and_errors():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.tolist() == [30.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(tg.zeros(3), tg.zeros(4))


def test_concat_subset_and_add():
    a, b = _ds(3), _ds(4)
    c = a + b
    assert isinstance(c, ConcatDataset) and len(c) == 7 and c.cumulative_sizes == [3, 7]
    assert c[3][1].item() == 0 and c[-1][1].item() == 3 and c[2][1].item() == 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        c[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    s = Subset(b, [3, 1])
    assert len(s) == 2 and s[0][1].item() == 3 and [t[1].item() for t in s.__getitems__([1, 0])] == [1, 3]

    class It(IterableDataset):
        def __iter__(self):
            return iter(range(2))
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([a, It()])
    assert list(It() + It()) == [0, 1, 0, 1] and isinstance(It() + It(), ChainDataset)
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_random_split_lengths_fractions_and_generator():
    ds = _ds(10)
    parts = random_split(ds, [3, 7], generator=tg.Generator().manual_seed(42))
    again = random_split(ds, [3, 7], generator=tg.Generator().manual_seed(42))
    assert [len(p) for p in parts] == [3, 7]
    assert parts[0].indices == again[0].indices
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fr = random_split(ds, [0.33, 0.33, 0.34])
    assert [len(p) for p in fr] == [4, 3, 3]  # floors 3,3,3, remainder to the first split (as PyTorch)
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(ds, [3, 3])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        random_split(_ds(2), [0.5, 0.5, 0.0])
    assert any("Length of split at index 2 is 0" in str(x.message) for x in w)


def test_random_split_matches_torch_lengths():
    torch = pytest.importorskip("torch")
    for n, fr in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (13, [0.1, 0.2, 0.3, 0.4])]:
        ours = [len(s) for s in random_split(_ds(n), fr)]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fr)]
        assert ours == theirs


# ------------------------------------------------------------------------------------------ samplers
def test_sequential_and_random_sampler():
    ds = _ds(10)
    assert list(SequentialSampler(ds)) == list(range(10))
    g1, g2 = tg.Generator().manual_seed(3), tg.Generator().manual_seed(3)
    a, b = list(RandomSampler(ds, generator=g1)), list(RandomSampler(ds, generator=g2))
    assert a == b and sorted(a) == list(range(10)) and a != list(range(10))
    tg.manual_seed(7)
    c = list(RandomSampler(ds))
    tg.manual_seed(7)
    assert list(RandomSampler(ds)) == c
    r = list(RandomSampler(ds, num_samples=25))
    assert len(r) == 25 and sorted(r[:10]) == list(range(10)) and sorted(r[10:20]) == list(range(10))
    w = list(RandomSampler(ds, replacement=True, num_samples=70))
    assert len(w) == 70 and all(0 <= i < 10 for i in w) and len(set(w)) < 70
    assert len(RandomSampler(ds, replacement=True, num_samples=70)) == 70


def test_sampler_argument_errors():
    ds = _ds(4)
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(ds, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(SequentialSampler(ds), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(SequentialSampler(ds), 2, 1)
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape \\(2, 2\\)"):
        WeightedRandomSampler([[1, 2], [3, 4]], 3)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=-1"):
        WeightedRandomSampler([1, 2], -1)
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_batch_weighted_subset_samplers():
    bs = BatchSampler(SequentialSampler(range(10)), 3, False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(bs) == 4
    bs = BatchSampler(SequentialSampler(range(10)), 3, True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(bs) == 3
    ws = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=tg.Generator().manual_seed(0))
    draws = list(ws)
    assert len(draws) == 200 and set(draws) == {1, 3} and draws.count(3) > draws.count(1)
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without "
                                           "replacement"):
        list(WeightedRandomSampler([1, 1], 3, replacement=False))
    sub = list(SubsetRandomSampler([10, 20, 30, 40], generator=tg.Generator().manual_seed(1)))
    assert sorted(sub) == [10, 20, 30, 40]


# ------------------------------------------------------------------------------------------ collate
Point = collections.namedtuple("Point", "x y")


def _to_plain(obj):
    """Tensor-or-torch-tensor trees to comparable (kind, dtype, values) trees."""
    if hasattr(obj, "dtype") and hasattr(obj, "tolist") and not isinstance(obj, np.ndarray):
        return ("tensor", str(obj.dtype), tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: _to_plain(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", type(obj).__name__, tuple(_to_plain(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_to_plain(v) for v in obj])
    return obj


COLLATE_CASES = [
    [1, 2, 3],
    [1.5, 2.5],
    [True, False],
    ["a", "b"],
    [np.float32(1.5), np.float32(2)],
    [np.int32(3), np.int32(4)],
    [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
    [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    [(1, "x", 2.0), (2, "y", 3.0)],
    [[1, 2], [3, 4]],
    [Point(1, 2.0), Point(3, 4.0)],
    [collections.OrderedDict(z=1, a=2), collections.OrderedDict(z=3, a=4)],
    [{"img": np.ones((2, 2), np.float32), "label": 3}, {"img": np.zeros((2, 2), np.float32), "label": 5}],
]


@pytest.mark.parametrize("case", range(len(COLLATE_CASES)))
def test_default_collate_matches_torch(case):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    batch = COLLATE_CASES[case]
    assert _to_plain(default_collate(batch)) == _to_plain(torch_collate(batch))


def test_default_collate_tensors_and_errors():
    out = default_collate([tg.ones(2, 3), tg.zeros(2, 3)])
    assert tuple(out.shape) == (2, 2, 3)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([tg.ones(2), tg.ones(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found object"):
        default_collate([np.array([object()]), np.array([object()])])
    conv = default_convert({"a": np.arange(3), "b": (np.float64(1.0), "s")})
    assert isinstance(conv["a"], tg.Tensor) and conv["a"].dtype is tg.int64 and conv["b"][1] == "s"


# ------------------------------------------------------------------------------------------ DataLoader
def test_dataloader_batches_len_and_drop_last():
    ds = _ds(10)
    dl = DataLoader(ds, batch_size=4)
    assert len(dl) == 3 and _ids(dl) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(dl))
    assert tuple(x.shape) == (4, 1) and x.dtype is tg.float32 and y.dtype is tg.int64
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and _ids(dl) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    nob = list(DataLoader(ds, batch_size=None))
    assert len(nob) == 10 and nob[2][1].item() == 2 and nob[2][1].ndim == 0
    dl = DataLoader(ds, batch_sampler=[[0, 9], [5]])
    assert _ids(dl) == [[0, 9], [5]]
    dl = DataLoader(ds, sampler=[3, 1, 2], batch_size=2)
    assert _ids(dl) == [[3, 1], [2]]
    dl = DataLoader(list(range(5)), batch_size=2, collate_fn=lambda b: sum(b))
    assert list(dl) == [1, 5, 4]


def test_shuffle_is_deterministic():
    ds = _ds(20)
    tg.manual_seed(0)
    a = _ids(DataLoader(ds, batch_size=5, shuffle=True))
    tg.manual_seed(0)
    b = _ids(DataLoader(ds, batch_size=5, shuffle=True))
    assert a == b and sorted(sum(a, [])) == list(range(20)) and sum(a, []) != list(range(20))
    dl = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(9))
    e1, e2 = _ids(dl), _ids(dl)
    assert e1 != e2  # each epoch reshuffles
    dl2 = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(9))
    assert _ids(dl2) == e1


BAD_ARGS = [
    dict(batch_size=2, sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(batch_size=0),
    dict(multiprocessing_context="fork"),
]


@pytest.mark.parametrize("kwargs", BAD_ARGS, ids=lambda k: ",".join(k))
def test_bad_arguments_raise_like_torch(kwargs):
    torch = pytest.importorskip("torch")
    data = list(range(4))
    assert_same_error(lambda: DataLoader(data, **kwargs), lambda: torch.utils.data.DataLoader(data, **kwargs))


def test_iterable_dataset_errors_and_attribute_lock():
    class It(IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(It(), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(It(), sampler=[0])
    assert [b.tolist() for b in DataLoader(It(), batch_size=2)] == [[0, 1], [2]]
    assert [b.tolist() for b in DataLoader(It(), batch_size=2, drop_last=True)] == [[0, 1]]
    dl = DataLoader(_ds(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 5


# ------------------------------------------------------------------------------------------ workers
class _WorkerProbe(Dataset):
    def __init__(self, n, fail_at=None, die_at=None):
        self.n, self.fail_at, self.die_at = n, fail_at, die_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"bad index {i}")
        if i == self.die_at:
            os._exit(3)
        info = get_worker_info()
        return {"i": i, "wid": -1 if info is None else info.id, "seed": -1 if info is None else info.seed,
                "x": tg.full((2,), float(i)), "r": tg.rand(1)}


@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")  # 3 workers on a 2-CPU machine
def test_workers_preserve_order_and_match_single_process():
    ds = _ds(23)
    tg.manual_seed(5)
    single = _ids(DataLoader(ds, batch_size=4, shuffle=True))
    tg.manual_seed(5)
    multi = _ids(DataLoader(ds, batch_size=4, shuffle=True, num_workers=2))
    assert multi == single
    assert _ids(DataLoader(ds, batch_size=3, num_workers=3, prefetch_factor=1)) == [
        list(range(i, min(i + 3, 23))) for i in range(0, 23, 3)]


def test_worker_info_seeds_and_init_fn(tmp_path):
    assert get_worker_info() is None

    def init(worker_id):
        info = get_worker_info()
        with open(tmp_path / f"w{worker_id}", "w") as f:
            f.write(f"{info.id} {info.num_workers} {info.seed}")

    tg.manual_seed(11)
    batches = list(DataLoader(_WorkerProbe(8), batch_size=2, num_workers=2, worker_init_fn=init))
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert [b["wid"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    seeds = {int(b["wid"][0]): int(b["seed"][0]) for b in batches}
    assert seeds[1] == seeds[0] + 1
    for w in (0, 1):
        wid, nw, seed = (tmp_path / f"w{w}").read_text().split()
        assert (int(wid), int(nw), int(seed)) == (w, 2, seeds[w])
    # workers draw from their own seeded generators: reproducible under the same manual_seed
    tg.manual_seed(11)
    again = list(DataLoader(_WorkerProbe(8), batch_size=2, num_workers=2))
    assert [b["r"].tolist() for b in again] == [b["r"].tolist() for b in batches]


def test_worker_exception_is_reraised_with_context():
    dl = DataLoader(_WorkerProbe(6, fail_at=3), batch_size=2, num_workers=2)
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1") as ei:
        list(dl)
    assert "bad index 3" in str(ei.value)


def test_dead_worker_is_reported():
    dl = DataLoader(_WorkerProbe(6, die_at=2), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(dl)


def test_iterable_dataset_sharded_by_worker_info():
    class Shards(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = get_worker_info()
            if info is None:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))

        def __len__(self):
            return self.n
    dl = DataLoader(Shards(9), batch_size=2, num_workers=2)
    got = [b.tolist() for b in dl]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8]]  # PyTorch's interleaving
    assert len(dl) == 5
    assert sorted(sum(got, [])) == list(range(9))


def test_persistent_workers_run_several_epochs():
    ds = _ds(7)
    dl = DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True)
    first = _ids(dl)
    it = iter(dl)
    next(it)  # abandon an epoch half way: the next epoch must not see its leftovers
    pids = [w.pid for w in dl._iterator._workers]
    assert _ids(dl) == first == [[0, 1], [2, 3], [4, 5], [6]]
    assert [w.pid for w in dl._iterator._workers] == pids
    dl._iterator._shutdown()


def test_spawn_context_by_name():
    dl = DataLoader(TensorDataset(tg.arange(6)), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [b[0].tolist() for b in dl] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match="multiprocessing_context option should specify a valid start method"):
        DataLoader(list(range(4)), num_workers=1, multiprocessing_context="nope")


def test_more_workers_than_cpus_warns_like_torch(monkeypatch):
    """torch warns at iteration when num_workers exceeds the CPUs the process may use."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    loader = DataLoader(_ds(4), batch_size=2, num_workers=2)
    with pytest.warns(UserWarning, match=r"This DataLoader will create 2 worker processes in total\. Our suggested "
                                         r"max number of worker in current system is 1, which is smaller than what "
                                         r"this DataLoader is going to create\. Please be aware"):
        assert _ids(loader) == [[0, 1], [2, 3]]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ids(DataLoader(_ds(4), batch_size=2, num_workers=2)) == [[0, 1], [2, 3]]
