"""The fold machinery of embedding.py (``_folding``/``_fold``: NumPy's ``ufunc.at`` done as one
sort, one gather and one in-place ufunc call per step) and the embedding_bag paths built on it:
bit-for-bit equality with ``ufunc.at`` and with a one-bag-at-a-time loop, the plan's shape (long
runs folded on their own), the excluded elements (padding index, after the last offset) that
NumPy leaves out of the fold, and the row-view store. PyTorch twins are in
test_nn_embedding_bag_fast_paths_oracle.py."""
import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="embedding_bag is part of tensorgraft-nn")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402
from tensorgraft.nn.functional_ops import embedding as emb  # noqa: E402
from tensorgraft.ops.indexing import row_folding  # noqa: E402  (the folds live in core)

START = {"add": 0.0, "maximum": -np.inf, "minimum": np.inf}


def _index(layout, rng):
    if layout == "short-unsorted":     # a gradient over a vocabulary: mostly single entries
        return rng.permutation(np.repeat(np.arange(70), rng.integers(1, 5, 70)))
    if layout == "bags-sorted":        # the bags of embedding_bag: sorted runs of 1..40
        return np.repeat(np.arange(30), rng.integers(1, 41, 30))
    if layout == "one-long-run":       # one run of 300 among short ones: folded on its own
        return rng.permutation(np.concatenate([np.full(300, 7), rng.integers(0, 60, 200)]))
    if layout == "several-long-runs":  # long runs of different lengths, one of them sorted away
        return rng.permutation(np.repeat(np.arange(6), [900, 400, 1, 250, 3, 120]))
    return rng.integers(0, 4, 2000)    # "few-rows": every run long


LAYOUTS = ["short-unsorted", "bags-sorted", "one-long-run", "several-long-runs", "few-rows"]


@pytest.mark.parametrize("name", ["add", "maximum", "minimum"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("width", [None, 3])
def test_fold_is_ufunc_at_bit_for_bit(name, layout, width):
    """Each row folds its entries one at a time in input order, from its current value: the same
    float32 roundings as ``ufunc.at``, long runs (ufunc.accumulate) included."""
    rng = np.random.default_rng(LAYOUTS.index(layout) * 7 + (width or 1))
    index = _index(layout, rng)
    vals = rng.standard_normal(index.shape + (() if width is None else (width,))).astype(np.float32)
    out0 = rng.standard_normal((int(index.max()) + 3,) + vals.shape[1:]).astype(np.float32)
    expected = out0.copy()
    getattr(np, name).at(expected, index, vals)
    got = out0.copy()
    emb.scatter(np, name, got, index, vals)
    np.testing.assert_array_equal(got, expected)
    # from a filled array, without reading it back (the fold may then overwrite the gathered values)
    expected = np.full_like(out0, START[name])
    getattr(np, name).at(expected, index, vals)
    got = np.full_like(out0, START[name])
    emb.scatter(np, name, got, index, vals, fill=START[name])
    np.testing.assert_array_equal(got, expected)


def test_fold_keeps_ufunc_at_signs_and_nans():
    vals = np.array([[-0.0, np.nan], [-0.0, 1.0], [2.0, -0.0]], np.float32)
    index = np.array([1, 1, 3])
    for fill in (None, 0.0):
        out = np.zeros((4, 2), np.float32)
        emb.scatter(np, "add", out, index, vals.copy(), fill=fill)
        assert not np.signbit(out).any()               # 0.0 + -0.0 is +0.0, as np.add.at gives
        assert np.isnan(out[1, 1]) and out[3, 0] == 2.0 and not out[[0, 2]].any()


def test_fold_plan_steps_through_short_runs_and_folds_long_ones_alone():
    rng = np.random.default_rng(4)
    index = rng.integers(0, 5000, 3000)
    short = row_folding.fold_plan(np, index)
    # one step per entry of the most repeated id, nothing alone; each step a prefix of the last
    assert not short.solo_rows and len(short.steps) == np.bincount(index).max() >= 2
    counts = [m for _, m in short.steps]
    assert counts == sorted(counts, reverse=True) and counts[0] == np.unique(index).size
    assert [s for s, _ in short.steps] == np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
    # one run of 10000 among runs of 3: it folds alone instead of taking 10000 steps
    index = rng.permutation(np.concatenate([np.full(10000, 2), np.repeat(np.arange(10, 60), 3)]))
    plan = row_folding.fold_plan(np, index)
    assert plan.solo_rows == [2] and len(plan.steps) == 3
    assert plan.solo_starts == [150, 10150]
    # a single huge run: no steps at all
    plan = row_folding.fold_plan(np, np.zeros(50000, np.int64))
    assert plan.steps == [] and plan.solo_rows == [0]
    # the fold order is still a permutation of the entries
    assert sorted(plan.perm.tolist()) == list(range(50000))


@pytest.mark.parametrize("repeats", [0, 1, 40])
def test_fold_plan_sets_lone_entries_aside(repeats):
    """Given the rows it folds into, a plan counts the entries of each row: those alone in their
    row skip the sort and join step 0; the repeated ones step (or fold alone) as before."""
    rng = np.random.default_rng(repeats)
    index = rng.permutation(np.concatenate([np.arange(100, 400), np.repeat([5, 9], [repeats, 2 * repeats])]))
    plan = row_folding.fold_plan(np, index, nrows=400)
    assert sorted(plan.perm.tolist()) == list(range(index.shape[0]))
    if repeats == 0:        # all alone: one step
        assert plan.steps == [(0, 300)] and not plan.solo_rows
    elif repeats == 1:      # row 5 alone too; row 9's second entry is step 1
        assert plan.steps == [(0, 302), (302, 1)] and plan.rows[0] == 9
    else:                   # runs of 40 and 80 fold on their own, longest first
        assert plan.steps == [(0, 300)] and plan.solo_rows == [9, 5] and plan.solo_starts == [300, 380, 420]
    vals = rng.standard_normal((index.shape[0], 2)).astype(np.float32)
    expected = np.zeros((400, 2), np.float32)
    np.add.at(expected, index, vals)
    for fill in (None, 0.0):
        got = np.zeros((400, 2), np.float32)
        row_folding.fold(np, "add", got, plan, row_folding.in_fold_order(vals, plan), fill=fill)
        np.testing.assert_array_equal(got, expected)
    keep = index != 200
    kept = row_folding.fold_plan(np, index, keep, nrows=400)
    assert sorted(kept.perm.tolist()) == np.flatnonzero(keep).tolist()


def test_fold_plan_leaves_out_what_keep_masks():
    rng = np.random.default_rng(9)
    index = rng.integers(0, 20, 400)
    keep = rng.random(400) < 0.7
    vals = rng.standard_normal((400, 2))
    plan = row_folding.fold_plan(np, index, keep)
    assert sorted(plan.perm.tolist()) == np.flatnonzero(keep).tolist()
    got = np.zeros((20, 2))
    row_folding.fold(np, "add", got, plan, row_folding.in_fold_order(vals, plan), fill=0.0)
    expected = np.zeros((20, 2))
    np.add.at(expected, index[keep], vals[keep])
    np.testing.assert_array_equal(got, expected)
    empty = row_folding.fold_plan(np, index, np.zeros(400, bool))
    untouched = np.ones((20, 2))
    row_folding.fold(np, "add", untouched, empty, row_folding.in_fold_order(vals, empty))
    assert (untouched == 1).all()


@pytest.mark.parametrize("top", [9, 70000, 2 ** 40])
def test_stable_order_radix_paths(top):
    """uint16 radix sort, two uint16 digits, and the plain stable sort above 2**32."""
    rng = np.random.default_rng(top % 97)
    index = rng.integers(0, top + 1, 3000)
    index[:5] = top
    order, ordered = row_folding.stable_order(index)
    np.testing.assert_array_equal(order, np.argsort(index, kind="stable"))
    np.testing.assert_array_equal(ordered, np.sort(index))
    order, _ = row_folding.stable_order(index.astype(np.int32) if top < 2 ** 31 else index)
    np.testing.assert_array_equal(order, np.argsort(index, kind="stable"))


def test_store_rows_row_view_and_fallbacks():
    rng = np.random.default_rng(2)
    rows = np.array([5, 0, 3])
    vals = rng.standard_normal((3, 4)).astype(np.float32)
    for out in (np.zeros((6, 4), np.float32),              # the row view
                np.zeros((4, 6), np.float32).T,             # not C-contiguous
                np.zeros((6, 4), np.float64)):              # another dtype: converted, not reinterpreted
        expected = out.copy()
        expected[rows] = vals
        row_folding.store_rows(out, rows, vals)
        np.testing.assert_array_equal(out, expected)
    out = np.zeros(6)
    row_folding.store_rows(out, rows, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [2, 0, 0, 3, 0, 1])


# ------------------------------------------------------------------ embedding_bag on the folds
def _loop_bags(idx, ends, w, mode, psw, padding_idx):
    """The bags one at a time, each row added in input order (the order the fold keeps)."""
    out = np.zeros((len(ends) - 1, w.shape[1]), w.dtype)
    for b in range(len(ends) - 1):
        acc = np.zeros(w.shape[1], w.dtype)
        k = 0
        for i in range(ends[b], ends[b + 1]):
            if idx[i] == padding_idx:
                continue
            acc = acc + (w[idx[i]] if psw is None else w[idx[i]] * psw[i])
            k += 1
        out[b] = acc / max(k, 1) if mode == "mean" else acc
    return out


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 3])
@pytest.mark.parametrize("last", [False, True])
def test_bag_sums_are_the_sequential_loop_bit_for_bit(mode, padding_idx, last):
    rng = np.random.default_rng(21)
    lengths = rng.integers(0, 41, 40)
    lengths[5] = 0
    ends = np.concatenate([[0], np.cumsum(lengths)])
    n = int(ends[-1])
    idx = rng.integers(0, 50, n + 7)              # 7 ids after the last bag (include_last_offset)
    idx[:6] = 3
    w = rng.standard_normal((50, 8)).astype(np.float32)
    psw = rng.standard_normal(n + 7).astype(np.float32) if mode == "sum" else None
    off = ends if last else ends[:-1]
    ids = idx if last else idx[:n]
    y = F.embedding_bag(tg.tensor(ids), tg.tensor(w), tg.tensor(off), mode=mode, include_last_offset=last,
                        padding_idx=padding_idx, per_sample_weights=None if psw is None else tg.tensor(psw[:len(ids)]))
    np.testing.assert_array_equal(y.numpy(), _loop_bags(idx, ends, w, mode, psw, padding_idx))


def _grad_reference(idx, ends, w, mode, psw, padding_idx, g):
    gw = np.zeros_like(w)
    for b in range(len(ends) - 1):
        pos = [i for i in range(ends[b], ends[b + 1]) if idx[i] != padding_idx]
        for i in pos:
            if mode == "max":
                continue
            coef = 1.0 if psw is None else psw[i]
            gw[idx[i]] += g[b] * coef / (len(pos) if mode == "mean" else 1)
    return gw


@pytest.mark.parametrize("case", ["mean-padding-last", "sum-psw-nan-excluded", "sum-everything-excluded"])
def test_bag_weight_grad_leaves_excluded_elements_out(case):
    """Elements of no bag (the padding index, ids after the last offset) are left out of the
    backward fold on NumPy: they add nothing to their rows, not even a NaN per-sample weight."""
    rng = np.random.default_rng(len(case))
    lengths = rng.integers(0, 12, 10)
    ends = np.concatenate([[0], np.cumsum(lengths)])
    n = int(ends[-1])
    idx = rng.integers(0, 9, n + 4)
    idx[1] = 2
    w_np = rng.standard_normal((9, 3))
    mode = "mean" if case.startswith("mean") else "sum"
    psw_np = rng.standard_normal(n + 4) if mode == "sum" else None
    if psw_np is not None:
        psw_np[idx == 2] = np.nan                 # the padding rows' weights
        psw_np[n:] = np.nan                       # and those after the last offset
    if case == "sum-everything-excluded":
        idx[:n] = 2
    w = tg.tensor(w_np, requires_grad=True)
    psw = None if psw_np is None else tg.tensor(psw_np)
    y = F.embedding_bag(tg.tensor(idx), w, tg.tensor(ends), mode=mode, include_last_offset=True, padding_idx=2,
                        per_sample_weights=psw)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ref = _grad_reference(idx, ends, w_np, mode, psw_np, 2, g)
    assert not np.isnan(w.grad.numpy()).any()
    np.testing.assert_allclose(w.grad.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert not w.grad.numpy()[2].any()


def test_max_bag_backward_of_padded_and_empty_bags():
    rng = np.random.default_rng(12)
    idx = np.array([1, 4, 4, 0, 2, 2, 3, 0])
    off = np.array([0, 3, 3, 6])                  # bag 1 empty; bag 2 is ids 0, 2, 2 (2: the padding)
    w_np = rng.standard_normal((5, 4))
    w = tg.tensor(w_np, requires_grad=True)
    y = F.embedding_bag(tg.tensor(idx), w, tg.tensor(off), mode="max", padding_idx=2)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g))
    expected = np.zeros_like(w_np)
    for b, pos in enumerate([[0, 1, 2], [], [3], [6, 7]]):
        if not pos:
            assert not y.detach().numpy()[b].any()
            continue
        rows = w_np[idx[pos]]
        arg = rows.argmax(0)                      # the first maximum takes the gradient
        for d in range(4):
            expected[idx[pos[arg[d]]], d] += g[b, d]
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def test_embedding_takes_rows_and_folds_its_gradient_as_add_at():
    rng = np.random.default_rng(6)
    ids = rng.integers(0, 40, (7, 30))
    emb_mod = nn.Embedding(40, 5, padding_idx=3)
    with tg.no_grad():
        emb_mod.weight.copy_(tg.tensor(rng.standard_normal((40, 5)).astype(np.float32)))
    w = emb_mod.weight.detach().numpy()
    y = emb_mod(tg.tensor(ids))
    np.testing.assert_array_equal(y.detach().numpy(), w[ids])
    g = rng.standard_normal((7, 30, 5)).astype(np.float32)
    y.backward(tg.tensor(g))
    expected = np.zeros_like(w)
    np.add.at(expected, ids.reshape(-1), g.reshape(-1, 5))
    expected[3] = 0
    np.testing.assert_array_equal(emb_mod.weight.grad.numpy(), expected)
