"""``out[idx] += vals`` with repeated indices (index_add, the gradient of ``x[idx]``, sparse
gradients) folds rows instead of calling NumPy's ``ufunc.at`` once it pays: the results must be
the same to the bit, since the fold adds each row's entries in the same order."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.indexing import setitem

CASES = [  # (rows of out, entries, row shape): every one of them takes the fold
    (50, 3000, (8,)), (7, 1000, (4, 2)), (500, 400, (64,)), (3, 5000, (16,)),
]


@pytest.mark.parametrize("rows, entries, row_shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.complex64])
def test_add_at_folds_to_the_same_bits_as_ufunc_at(rows, entries, row_shape, dtype):
    rng = np.random.default_rng(rows + entries)
    out = (rng.standard_normal((rows,) + row_shape) * 5).astype(dtype)
    idx = rng.integers(-rows, rows, entries)
    vals = (rng.standard_normal((entries,) + row_shape) * 5).astype(dtype)
    expected = out.copy()
    np.add.at(expected, idx, vals)
    got = out.copy()
    setitem._add_at(np, got, idx, vals)
    np.testing.assert_array_equal(got, expected)
    got = np.asfortranarray(out)  # a view NumPy cannot reshape: the fold stores row by row
    setitem._add_at(np, got, (idx.reshape(-1, 2),), vals.reshape((-1, 2) + row_shape))
    np.testing.assert_array_equal(got, expected)


def test_which_updates_fold(monkeypatch):
    folded = []
    real = setitem._fold_rows
    monkeypatch.setattr(setitem, "_fold_rows", lambda *a: (folded.append(a[2].size), real(*a)))
    out = np.zeros((10, 1))
    setitem._add_at(np, out, np.zeros(5000, np.int64), np.ones((5000, 1)))  # rows of one value: ufunc.at
    setitem._add_at(np, np.zeros((10, 64)), np.zeros(100, np.int64), np.ones((100, 64)))  # few entries
    setitem._add_at(np, np.zeros((10, 8)), np.zeros(500, np.int64), np.ones((500, 8), np.float32))  # two dtypes
    assert folded == [] and out[0, 0] == 5000
    setitem._add_at(np, np.zeros((10, 8)), np.zeros(600, np.int64), np.ones((600, 8)))
    assert folded == [600]


def test_index_add_matches_numpy():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((40, 32)).astype(np.float32)
    idx = rng.integers(0, 40, 2000)
    src = rng.standard_normal((2000, 32)).astype(np.float32)
    expected = base.copy()
    np.add.at(expected, idx, src * np.float32(0.5))
    got = tg.tensor(base).index_add(0, tg.tensor(idx), tg.tensor(src), alpha=0.5)
    np.testing.assert_array_equal(got.numpy(), expected)
    got_t = tg.tensor(base.T.copy()).index_add(1, tg.tensor(idx), tg.tensor(src.T.copy()), alpha=0.5)
    np.testing.assert_array_equal(got_t.numpy(), expected.T)


def test_the_gradient_of_a_lookup_matches_numpy():
    pytest.importorskip("tensorgraft.autograd", reason="the gradient needs tensorgraft-autograd")
    rng = np.random.default_rng(4)
    w = tg.tensor(rng.standard_normal((300, 48)).astype(np.float32), requires_grad=True)
    idx = rng.integers(-300, 300, (40, 25))
    g = rng.standard_normal((40, 25, 48)).astype(np.float32)
    (w[tg.tensor(idx)] * tg.tensor(g)).sum().backward()
    expected = np.zeros((300, 48), np.float32)
    np.add.at(expected, idx, g)
    np.testing.assert_array_equal(w.grad.numpy(), expected)


@pytest.mark.parametrize("expanded", [True, False])
def test_message_passing_scatter_add_matches_numpy(expanded):
    # scatter_add_(0, dst[:, None].expand(-1, D), messages): whole rows, folded
    rng = np.random.default_rng(6)
    dst = rng.integers(0, 60, 3000)
    msg = rng.standard_normal((3000, 16)).astype(np.float32)
    index = tg.tensor(dst).unsqueeze(-1).expand(-1, 16)
    if not expanded:
        index = index.contiguous()
    got = tg.zeros(60, 16).scatter_add(0, index, tg.tensor(msg))
    expected = np.zeros((60, 16), np.float32)
    np.add.at(expected, dst, msg)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_scatter_add_with_rows_that_differ_by_column_still_matches_numpy(monkeypatch):
    folded = []
    real = setitem._fold_rows
    monkeypatch.setattr(setitem, "_fold_rows", lambda *a: (folded.append(a[2].size), real(*a)))
    rng = np.random.default_rng(7)
    index = rng.integers(0, 60, (3000, 16))
    src = rng.standard_normal((3000, 16)).astype(np.float32)
    got = tg.zeros(60, 16).scatter_add(0, tg.tensor(index), tg.tensor(src))
    expected = np.zeros((60, 16), np.float32)
    np.add.at(expected, (index, np.arange(16)[None]), src)
    np.testing.assert_array_equal(got.numpy(), expected)
    assert folded == []  # each column has its own rows: every element is addressed


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_whole_row_scatter_reduce_matches_ufunc_at(reduce, include_self):
    rng = np.random.default_rng(8)
    n, e, d = 40, 2000, 8
    dst = rng.integers(0, 30, e)  # rows 30..39 get nothing
    src = rng.uniform(0.5, 1.5, (e, d)).astype(np.float64)
    src[5, 3] = np.nan
    base = rng.standard_normal((n, d))
    got = tg.tensor(base).scatter_reduce(0, tg.tensor(dst).unsqueeze(-1).expand(-1, d), tg.tensor(src), reduce,
                                         include_self=include_self).numpy()
    # the reference: every element addressed by ufunc.at, in order
    grid = (dst[:, None], np.arange(d)[None])
    out = base.copy()
    if not include_self:
        out[grid] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out, grid, src)
    if reduce == "mean":
        count = np.zeros((n, d), np.int64)
        np.add.at(count, grid, 1)
        out = out / np.maximum(count + include_self, 1)
    np.testing.assert_array_equal(got, out)


@pytest.mark.parametrize("expanded", [True, False])
def test_whole_row_gather_matches_elementwise_indexing(expanded):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((50, 12))
    rows = rng.integers(0, 50, 700)
    index = tg.tensor(rows).unsqueeze(-1).expand(-1, 12)
    if not expanded:
        index = index.contiguous()
    got = tg.tensor(a).gather(0, index).numpy()
    np.testing.assert_array_equal(got, a[rows[:, None], np.arange(12)[None]])
    mixed = rng.integers(0, 50, (700, 12))  # rows differing by column: every element addressed
    np.testing.assert_array_equal(tg.tensor(a).gather(0, tg.tensor(mixed)).numpy(), a[mixed, np.arange(12)[None]])
