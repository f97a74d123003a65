"""The tie order of ``cpu/sort_order.py`` against PyTorch's CPU sort and topk on random data with
repeats: every shape, dim, direction, dtype (NaN included) and both topk algorithms (k·64 <= n and not)."""
from __future__ import annotations

import operator
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.cpu.sort_order import topk_order, unstable_order  # noqa: E402


def _stable(a, axis, descending):
    if descending:
        key = np.where(np.isnan(a), -np.inf, -a.astype(np.float64)) if a.dtype.kind == "f" else -a.astype(np.int64)
    else:
        key = np.where(np.isnan(a), np.inf, a) if a.dtype.kind == "f" else a
    return np.argsort(key, axis=axis, kind="stable")


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint8, np.bool_, np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((50,), 0), ((4, 37), 1), ((37, 4), 0), ((3, 40, 5), 1), ((2, 3, 300), 2)])
def test_sort_tie_order_matches_pytorch(shape, axis, dtype, descending):
    rng = np.random.default_rng(zlib.crc32(repr((shape, axis, np.dtype(dtype).str, descending)).encode()))
    a = rng.integers(0, 6, shape).astype(dtype)
    if a.dtype.kind == "f":
        a[rng.random(shape) < 0.1] = np.nan
    ours = unstable_order(a, _stable(a, axis, descending), axis, descending)
    assert (ours == torch.sort(torch.from_numpy(a), dim=axis, descending=descending).indices.numpy()).all()


@pytest.mark.parametrize("n", [17, 64, 65, 129, 1000, 40000])
def test_large_1d_sorts_match_pytorch(n):
    a = np.random.default_rng(n).integers(0, 20, n)
    for arr, desc in ((a, False), (a, True), (a.astype(np.float32), False)):
        ours = unstable_order(arr, _stable(arr, 0, desc), 0, desc)
        assert (ours == torch.sort(torch.from_numpy(arr), descending=desc).indices.numpy()).all()


@pytest.mark.parametrize("sorted_", [True, False])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("n", [5, 17, 64, 65, 129, 500, 3000])
def test_topk_tie_order_matches_pytorch(n, largest, sorted_):
    rng = np.random.default_rng(n)
    for k in sorted({1, 2, max(1, n // 64), n // 64 + 1, n // 3 or 1, n - 1, n}):
        y = rng.integers(0, max(2, n // 10), n)
        theirs = torch.topk(torch.from_numpy(y), k, largest=largest, sorted=sorted_).indices.tolist()
        assert topk_order(y.tolist(), k, operator.gt if largest else operator.lt, sorted_) == theirs, k


def test_the_ops_return_pytorchs_indices_for_ties():
    """sort/argsort/msort (not stable by default), topk (sorted or not) and mode, through the ops."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        y = rng.integers(0, 4, (3, int(rng.integers(2, 60))))
        for lib_call in (lambda m, x: m.mode(x, dim=1).indices, lambda m, x: x.sort(1).indices,
                         lambda m, x: x.argsort(1, descending=True), lambda m, x: m.msort(x.t()),
                         lambda m, x: x.topk(min(3, x.shape[1]), 1).indices,
                         lambda m, x: x.float().topk(x.shape[1] // 2 or 1, 1, sorted=False, largest=False).indices,
                         lambda m, x: x.sort(dim=1, stable=True).indices):
            assert lib_call(tg, tg.tensor(y)).tolist() == lib_call(torch, torch.tensor(y)).tolist()


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((50,), 0), ((4, 37), 1), ((37, 4), 0), ((3, 40, 5), 1), ((2, 3, 300), 2)])
def test_kthvalue_tie_index_matches_pytorch(shape, axis, dtype):
    rng = np.random.default_rng(zlib.crc32(repr(("kth", shape, axis, np.dtype(dtype).str)).encode()))
    a = rng.integers(0, 5, shape).astype(dtype)
    if a.dtype.kind == "f":
        a[rng.random(shape) < 0.15] = np.nan
    for k in sorted({1, 2, shape[axis] // 2, shape[axis] - 1, shape[axis]} - {0}):
        ours, theirs = tg.kthvalue(tg.tensor(a), k, axis), torch.kthvalue(torch.tensor(a), k, axis)
        assert ours.indices.tolist() == theirs.indices.tolist(), k
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("length", [3, 16, 17, 60, 500])
def test_mode_of_rows_with_nan_matches_pytorch(length, dtype):
    rng = np.random.default_rng(zlib.crc32(repr(("mode-nan", length, np.dtype(dtype).str)).encode()))
    a = rng.integers(0, 4, (6, length)).astype(dtype)
    a[rng.random(a.shape) < 0.25] = np.nan
    ours, theirs = tg.mode(tg.tensor(a), 1), torch.mode(torch.tensor(a), 1)
    assert ours.indices.tolist() == theirs.indices.tolist()
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
