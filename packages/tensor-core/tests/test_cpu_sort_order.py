"""Where equal elements land in PyTorch's CPU sort and topk (``tensorgraft/cpu/sort_order.py``): the
expected indices below are what PyTorch 2.13 returned (``test_cpu_sort_order_oracle.py`` compares
with PyTorch itself on random data where it is installed)."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.cpu.sort_order import (EMULATION_LIMIT, RADIX_SORT_MIN_NUMEL, introsort_order, kthvalue_index,
                                        mode_index, mode_with_nan, topk_indices, topk_order, unstable_order)

TIED = [3, 1, 2, 1, 3, 2, 1, 0, 3, 3, 1, 2, 2, 2, 1, 1, 0, 0, 5, 1]


def _stable(a, axis=-1, descending=False):
    if descending:
        key = np.where(np.isnan(a), -np.inf, -a.astype(np.float64)) if a.dtype.kind == "f" else -a.astype(np.int64)
    else:
        key = np.where(np.isnan(a), np.inf, a) if a.dtype.kind == "f" else a
    return np.argsort(key, axis=axis, kind="stable")


def test_introsort_order_of_ties_is_pytorchs():
    assert introsort_order(TIED, operator.lt) == [17, 16, 7, 10, 19, 15, 14, 6, 3, 1, 11, 12, 13, 5, 2, 8, 9, 0, 4, 18]
    assert introsort_order(TIED, operator.gt) == [18, 4, 8, 9, 0, 2, 5, 11, 12, 13, 10, 19, 15, 14, 6, 3, 1, 7, 16, 17]


def test_topk_order_of_ties_is_pytorchs():
    assert topk_order(TIED, 5, operator.gt) == [18, 0, 8, 4, 9]
    # sorted=False: the k-1 before the k-th stay as the selection left them
    assert topk_order(TIED, 12, operator.lt, sorted_=False) == [10, 19, 17, 16, 15, 14, 7, 3, 6, 5, 1, 2]


def test_unstable_order_with_nan_both_directions():
    row = np.array([[2.0, np.nan, 1.0, 2.0, np.nan, 1.0] * 3])
    up = unstable_order(row, _stable(row), 1, False)
    down = unstable_order(row, _stable(row, descending=True), 1, True)
    assert up.tolist() == [[17, 2, 14, 5, 11, 8, 9, 15, 12, 0, 6, 3, 10, 7, 13, 4, 16, 1]]
    assert down.tolist() == [[1, 16, 4, 13, 7, 10, 9, 15, 12, 0, 6, 3, 8, 11, 5, 14, 2, 17]]


def test_sorted_order_is_a_sort_and_untied_slices_keep_the_stable_order():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, (4, 40))
    idx = unstable_order(a, _stable(a), 1, False)
    assert (np.take_along_axis(a, idx, 1) == np.sort(a, 1)).all()
    assert (np.sort(idx, 1) == np.arange(40)).all()
    untied = rng.permutation(40)[None]
    assert (unstable_order(untied, _stable(untied), 1, False) == _stable(untied)).all()


def test_short_slices_large_1d_integers_and_huge_slices_keep_the_stable_order():
    short = np.array(TIED[:16])
    assert (unstable_order(short, _stable(short), 0, False) == _stable(short)).all()
    big = np.random.default_rng(1).integers(0, 9, RADIX_SORT_MIN_NUMEL)  # PyTorch's radix sort: stable
    assert (unstable_order(big, _stable(big), 0, False) == _stable(big)).all()
    huge = np.zeros(EMULATION_LIMIT + 1, dtype=np.float32)
    assert (unstable_order(huge, _stable(huge), 0, False) == np.arange(huge.size)).all()


def test_the_ops_put_ties_where_pytorch_does():
    x = tg.tensor(TIED)
    assert x.sort().indices.tolist() == [17, 16, 7, 10, 19, 15, 14, 6, 3, 1, 11, 12, 13, 5, 2, 8, 9, 0, 4, 18]
    assert tg.argsort(x, descending=True).tolist() == introsort_order(TIED, operator.gt)
    assert x.sort(stable=True).indices.tolist() == np.argsort(TIED, kind="stable").tolist()
    assert x.topk(5).indices.tolist() == [18, 0, 8, 4, 9]
    assert x.topk(12, largest=False, sorted=False).indices.tolist() == [10, 19, 17, 16, 15, 14, 7, 3, 6, 5, 1, 2]
    assert tg.mode(x).indices.item() == mode_index(np.array(TIED), 1)
    assert tg.mode(tg.tensor(TIED[:10])).indices.item() == 9  # short rows: the last occurrence


def test_mode_index_is_the_last_of_the_run_in_the_introsort_arrangement():
    row = np.array(TIED)
    order = introsort_order(TIED, operator.lt)
    assert mode_index(row, 1) == [p for p in order if TIED[p] == 1][-1]


# a row holding NaN, and what PyTorch 2.13's CPU mode printed for it (NaN unsettles its sort)
NAN_MODE_ROW = [float("nan"), 1, 2, float("nan"), 2, 1, 0, float("nan"), 1, 2, 0, float("nan"), 2, 1, 1, 2,
                float("nan"), 0, 2, 1]


def test_mode_of_rows_with_nan_is_pytorchs():
    assert mode_with_nan(np.array(NAN_MODE_ROW)) == (2.0, 15)
    value, index = mode_with_nan(np.array([float("nan"), float("nan"), 3.0]))
    assert np.isnan(value) and index == 0  # every NaN a run of one: the first of the arrangement
    res = tg.mode(tg.tensor([NAN_MODE_ROW, NAN_MODE_ROW[::-1]]), 1)
    assert res.values.tolist() == [2.0, mode_with_nan(np.array(NAN_MODE_ROW[::-1]))[0]]
    assert res.indices.tolist() == [15, mode_with_nan(np.array(NAN_MODE_ROW[::-1]))[1]]


def test_topk_indices_keep_the_stable_order_without_ties():
    a = np.random.default_rng(2).permutation(50).astype(np.float32)
    idx = np.argsort(-a, kind="stable")
    assert (topk_indices(a, idx, 5, 0, True, True) == idx[:5]).all()


# what PyTorch 2.13's CPU kthvalue printed for these rows, k = 1, 2, ...
KTH_ROW = [1, 0, 1, 1, 0, 2, 1, 0, 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1]
KTH_INDICES = [4, 18, 7, 1, 10, 14, 13, 9, 15, 17, 16, 0, 6, 3, 2, 19, 8, 11, 5, 12]
NAN_ROW = [float("nan"), 1.0, 1.0, float("nan"), 0.0, 1.0]
NAN_INDICES = [4, 2, 5, 1, 3, 0]


def test_kthvalue_index_is_pytorchs_among_ties():
    assert [kthvalue_index(np.array(KTH_ROW), k) for k in range(len(KTH_ROW))] == KTH_INDICES
    assert [kthvalue_index(np.array(NAN_ROW), k) for k in range(len(NAN_ROW))] == NAN_INDICES


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_kthvalue_op_reports_those_indices_along_any_dim(dtype):
    rows = np.array([KTH_ROW, KTH_ROW[::-1]], dtype=dtype)
    for k in (1, 7, 20):
        res = tg.kthvalue(tg.tensor(rows.T.copy()), k, dim=0)
        assert res.indices.tolist() == [KTH_INDICES[k - 1], kthvalue_index(rows[1], k - 1)]
        assert res.values.tolist() == sorted(KTH_ROW)[k - 1:k] * 2
    nan = tg.kthvalue(tg.tensor(NAN_ROW), 6)
    assert nan.indices.item() == 0 and np.isnan(nan.values.item())


def test_kthvalue_without_ties_is_the_plain_order_statistic():
    row = np.random.default_rng(3).permutation(50).astype(np.float64)
    for k in (1, 25, 50):
        assert kthvalue_index(row, k - 1) == int(np.argsort(row)[k - 1])
        assert tg.kthvalue(tg.tensor(row), k).indices.item() == int(np.argsort(row)[k - 1])
