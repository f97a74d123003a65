"""Folding many entries into rows: ``out[index] op= vals`` along the first axis with repeated
indices all applied in input order, as NumPy's ``ufunc.at`` does, but many times faster on NumPy.

Used wherever gradients or updates land on looked-up rows: the embedding and embedding-bag
kernels and gradients (tensorgraft-nn) and a sparse COO tensor added into a dense one (a sparse
gradient applied to a parameter). Entry points: ``scatter_rows`` (the whole operation),
``fold_plan`` + ``in_fold_order`` + ``fold`` (when the plan or the ordered values are reused),
``reduce_runs`` (``ufunc.at``'s signature), ``stable_order``.
"""
from __future__ import annotations

import numpy as np

_CUPYX_SCATTER = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}


def scatter_rows(xp, name, out, index, vals, fill=None):
    """``out[index] op= vals`` along the first axis, repeated indices all applied (as NumPy's
    ``ufunc.at``). ``index`` is 1-D; ``vals`` has one row per entry of ``index``. ``fill``: see
    ``fold``."""
    plan = fold_plan(xp, index, nrows=out.shape[0])
    fold(xp, name, out, plan, in_fold_order(vals, plan), fill)


# ---------------------------------------------------------------- folding entries into rows
# NumPy's ``ufunc.at`` is an unbuffered loop of ~0.5 us per entry. Instead the entries are sorted
# by row (stably, so each row still takes its entries in input order), each row's entries form a
# run, and the runs are ranked longest first. Entry k of every run that has one is "step k"; in
# step order (all first entries, then all second entries, ...) each step is one contiguous block
# whose runs are a prefix of the ranking, so a row folds with one in-place ufunc call per step on
# contiguous memory. The order of the entries is computed once (``fold_plan``) and the values that
# feed a fold are gathered straight into it: the forward gathers weight rows, the backward rows of
# the bag gradient, without an intermediate array in input order.

# Folding one run on its own (one ufunc.reduce or accumulate call and a store, ~5 us) costs about as
# much as eight steps (~0.6 us each): the longest runs fold on their own where that saves more
# steps (one long bag among short ones; one huge bag), so a plan never takes far more steps than runs.
_STEPS_PER_SEPARATE_RUN = 8
# Counting the entries of each row (a bincount over the rows) to set aside the lone ones pays off
# while it is not much longer than the entries (and its memory bounded by theirs).
_ROWS_COUNTED_PER_ENTRY = 8


class _Folding:
    """How the entries of ``out[index] op= vals`` are folded. ``perm``: the entries (positions in
    ``index``) in fold order, or None for input order (CuPy, whose atomics need no order).
    ``rows``/``steps``: the rows of the stepwise runs, longest run first, and (start, count) of
    each step in ``perm``; ``solo_rows``/``solo_starts``: the runs folded one by one, after them."""
    __slots__ = ("index", "perm", "rows", "steps", "solo_rows", "solo_starts")

    def __init__(self, index, perm=None, rows=None, steps=(), solo_rows=(), solo_starts=()):
        self.index, self.perm, self.rows, self.steps = index, perm, rows, steps
        self.solo_rows, self.solo_starts = solo_rows, solo_starts


def in_fold_order(a, plan):
    """``a`` (one entry or row per element of the index) in ``plan``'s fold order (``take``: NumPy
    gathers rows about twice as fast through it as through fancy indexing)."""
    return a if plan.perm is None else np.take(a, plan.perm, axis=0)


def stable_order(index):
    """``order = np.argsort(index, kind="stable")`` and ``index[order]``, for indices >= 0. NumPy's
    stable sort of 16-bit integers is a radix sort, about three times faster than its stable sort
    of int64: small indices sort as uint16, indices below 2**32 as two uint16 halves (low half
    first, then the high half, stably: a two-digit radix sort)."""
    n = index.shape[0]
    top = int(index.max()) if n else 0
    if top < 2 ** 16:
        order = np.argsort(index.astype(np.uint16), kind="stable")
    elif top < 2 ** 32:
        by_low = np.argsort((index & 0xFFFF).astype(np.uint16), kind="stable")
        order = by_low[np.argsort((index[by_low] >> 16).astype(np.uint16), kind="stable")]
    else:
        order = np.argsort(index, kind="stable")
    return order, index[order]


def longest_first(lengths):
    """An order of the runs by decreasing length (a radix sort of small keys, as above)."""
    top = int(lengths.max())
    if top < 2 ** 16:
        return np.argsort((top - lengths).astype(np.uint16), kind="stable")
    return np.argsort(-lengths, kind="stable")


def fold_plan(xp, index, keep=None, nrows=None):
    """The fold order of the entries of ``index`` (1-D, >= 0). ``keep`` (NumPy only, a mask over
    the entries or None): only those entries are folded. ``nrows``: the rows of the array folded
    into, when the entries alone in their row may be counted out first. On CuPy every entry is
    folded, in input order."""
    if xp is not np:
        return _Folding(index)
    given = index
    pos = None                      # the entries' positions in the caller's arrays (None: arange)
    if keep is not None:
        pos = np.flatnonzero(keep)
        index = index[pos]
    lone_pos = lone_rows = None
    if index.shape[0] > 1 and (index[1:] < index[:-1]).any():   # the bags of embedding_bag come sorted
        if nrows is not None and nrows <= _ROWS_COUNTED_PER_ENTRY * index.shape[0]:
            # a gradient over a vocabulary: most entries are alone in their row, and those need
            # neither the sort nor a run of their own (they join step 0, as runs of length 1)
            alone = np.bincount(index, minlength=nrows)[index] == 1
            lone, rest = np.flatnonzero(alone), np.flatnonzero(~alone)
            lone_pos, lone_rows = (lone if pos is None else pos[lone]), index[lone]
            index, pos = index[rest], (rest if pos is None else pos[rest])
        if index.shape[0] > 1:
            order, index = stable_order(index)
            pos = order if pos is None else pos[order]
    perm, rows, steps, solo_rows, solo_starts = runs_in_steps(index, pos)
    if lone_pos is not None and lone_pos.shape[0]:
        k = lone_pos.shape[0]
        head = steps[0][1] if steps else 0
        perm = np.concatenate([perm[:head], lone_pos, perm[head:]])
        rows = np.concatenate([rows, lone_rows])
        steps = [(0, head + k)] + [(s + k, m) for s, m in steps[1:]]
        solo_starts = [s + k for s in solo_starts]
    return _Folding(given, perm, rows, steps, solo_rows, solo_starts)


def runs_in_steps(index, pos):
    """For ``index`` sorted (``pos``: the positions of its entries, None for arange): the fold
    order of the entries, the rows of the stepwise runs (longest first), the (start, count) of
    each step, and the rows and starts (plus the end) of the runs folded one by one."""
    n = index.shape[0]
    if n == 0:
        return np.zeros(0, np.intp), index, [], [], [0]
    edge = np.empty(n + 1, bool)
    edge[0] = edge[n] = True
    np.not_equal(index[1:], index[:-1], out=edge[1:n])
    bounds = np.flatnonzero(edge)
    starts, lengths = bounds[:-1], np.diff(bounds)
    ranked = longest_first(lengths)
    ranked_len = lengths[ranked]
    # fold the j longest runs one by one and step through the rest: j minimising the cost
    solo = 0
    if int(ranked_len[0]) > _STEPS_PER_SEPARATE_RUN:
        cost = np.append(ranked_len, 0) + np.arange(ranked.shape[0] + 1) * _STEPS_PER_SEPARATE_RUN
        solo = int(cost.argmin())
    rank = np.empty_like(ranked)
    rank[ranked] = np.arange(ranked.shape[0])
    run_of = np.repeat(rank, lengths)                   # each sorted entry's run, by rank
    within = np.arange(n) - np.repeat(starts, lengths)  # its place in its run: its step
    stepped_len = ranked_len[solo:]
    # count[k]: the runs with a step k, i.e. longer than k (a prefix of the ranking)
    count = np.bincount(stepped_len, minlength=int(stepped_len[0]) + 1)[:0:-1].cumsum()[::-1] \
        if stepped_len.shape[0] else np.zeros(0, np.intp)
    first = np.zeros(count.shape[0] + 1, np.intp)
    np.cumsum(count, out=first[1:])
    n_stepped = int(first[-1])
    solo_first = np.zeros(solo + 1, np.intp)
    if solo:
        is_solo = run_of < solo
        np.cumsum(ranked_len[:solo], out=solo_first[1:])
        dest = np.empty(n, np.intp)
        alone = np.flatnonzero(is_solo)
        dest[alone] = n_stepped + solo_first[run_of[alone]] + within[alone]
        stepped = np.flatnonzero(~is_solo)
        dest[stepped] = first[within[stepped]] + run_of[stepped] - solo
    else:
        dest = first[within] + run_of
    perm = np.empty(n, np.intp)
    perm[dest] = np.arange(n) if pos is None else pos
    rows = index[starts[ranked]]
    steps = list(zip(first[:-1].tolist(), count.tolist()))
    return perm, rows[solo:], steps, rows[:solo].tolist(), (n_stepped + solo_first).tolist()


def fold(xp, name, out, plan, v, fill=None, keep_v=False):
    """``out[plan's index] op= v`` where ``v`` holds the entries' values in ``plan`` order, each row
    folding its entries in input order from its current value, as ``ufunc.at``. ``fill``: the
    value every row of ``out`` holds (the fold then starts from it instead of reading ``out``,
    and folds in place in ``v`` unless ``keep_v``)."""
    if xp is not np:  # CuPy: atomics on the GPU, already fast
        import cupyx
        getattr(cupyx, _CUPYX_SCATTER[name])(out, plan.index, v)
        return
    op = getattr(np, name)
    if plan.steps:
        R = plan.steps[0][1]                # step 0: the first entry of every run
        if fill is None:
            acc = op(out[plan.rows], v[:R])
        else:
            acc = op(v[:R], fill) if keep_v else op(v[:R], fill, out=v[:R])
        summing = op is np.add
        for s, m in plan.steps[1:]:
            part = acc[:m]
            if summing:
                part += v[s:s + m]          # ~0.6 us a step where np.add(..., out=) takes ~1 us
            else:
                op(part, v[s:s + m], out=part)
        store_rows(out, plan.rows, acc)
    ends = plan.solo_starts[1:]
    for row, s, e in zip(plan.solo_rows, plan.solo_starts, ends):
        run = v[s:e]
        if fill is not None and run.ndim == 2 and run.shape[1] > 1 and run.flags.c_contiguous:
            # NumPy reduces the outer axis of a C-ordered block row after row into the result (it
            # sums pairwise only along the innermost axis): ufunc.at's order, without a copy
            out[row] = op.reduce(run, axis=0, initial=fill)
        else:   # accumulate folds strictly left to right, from the row's current value
            out[row] = op.accumulate(xp.concatenate([out[row:row + 1], run]), axis=0)[-1]


def store_rows(out, rows, vals):
    """``out[rows] = vals``. Where both are C-contiguous 2-D arrays of one dtype they are viewed as
    1-D arrays of whole rows (one opaque item per row): NumPy's 1-D fancy assignment moves them
    about 1.7x faster than row indexing of a 2-D array (the dense gradient's rows, every step)."""
    if (out.ndim == 2 and out.dtype == vals.dtype and out.shape[1:] == vals.shape[1:] and out.shape[1]
            and out.flags.c_contiguous and vals.flags.c_contiguous):
        row = np.dtype((np.void, out.shape[1] * out.itemsize))
        out.view(row).reshape(out.shape[0])[rows] = vals.view(row).reshape(vals.shape[0])
    else:
        out[rows] = vals


def reduce_runs(op, out, index, vals):
    """``op.at(out, index, vals)`` on NumPy arrays, by folding runs (see ``fold_plan``)."""
    scatter_rows(np, op.__name__, out, index, vals)
