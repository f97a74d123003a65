"""``nn.embedding``: row gather with a scatter-add backward (padding_idx rows get no gradient);
``nn.embedding_bag``: sums, means or maxima of bags of rows. With ``sparse=True`` the weight's
gradient is a sparse COO tensor, one entry per looked-up index (PyTorch's uncoalesced gradient), on
the CPU; on other devices, and under ``create_graph=True``, it stays dense (same values)."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import Tensor

from ._common import formula, gs, nnop, record, wrap


def _emb_kernel(xp, w, idx):
    return xp.take(w, idx, axis=0)   # as w[idx] (the frontend checked the range), about twice as fast


def embedding_op(input, weight, padding_idx, scale_grad_by_freq=False, sparse=False):
    idx = input._data
    res = wrap(_EMB.table[weight._device.type](weight._data, idx), weight._device)
    if gs.enabled and weight._requires_grad:
        record(_EMB, res, (weight, input), {"padding_idx": padding_idx, "freq": bool(scale_grad_by_freq),
                                            "sparse": sparse}, node_name="EmbeddingBackward0")
    return res


def _sparse_gradient(g, ii, rows_grad, V, keep):
    """The weight gradient as a sparse COO tensor: entry k is row ``ii[k]`` with gradient
    ``rows_grad[k]``, for the entries ``keep`` selects (None: all)."""
    if keep is not None:
        ii, rows_grad = ii[keep], rows_grad[keep]
    data = SparseCOOData(ii.astype(np.int64).reshape(1, -1), np.ascontiguousarray(rows_grad),
                         (V, rows_grad.shape[1]))
    return wrap(data, g._device)


def _wants_sparse(node, g) -> bool:
    if node.attrs["sparse"] and node.attrs["freq"]:  # (PyTorch refuses it at this point too)
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    return node.attrs["sparse"] and g._device.type == "cpu" and not gs.enabled


_EMB = nnop("embedding", _emb_kernel, embedding_op, nondiff_inputs=(1,))  # (the indices get no edge)


def _row_scale(xp, ii, V, dtype, freq):
    """1 / (occurrences of each looked-up index) under scale_grad_by_freq (a frequent word does
    not dominate the update), else None."""
    if not freq:
        return None
    return 1.0 / xp.bincount(ii, minlength=V).astype(dtype)[ii]


def _dense_backward_kernel(xp, gd, ii, V, padding_idx, freq):
    """(N, D) gradient rows of the looked-up indices ``ii`` (N,) -> the (V, D) weight gradient."""
    scale = _row_scale(xp, ii, V, gd.dtype, freq)
    if scale is not None:
        gd = gd * scale[:, None]
    gw = xp.zeros((V, gd.shape[1]), gd.dtype)
    scatter(xp, "add", gw, ii, gd, fill=0)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


def embedding_dense_backward(g, idx, V, padding_idx, freq):
    """The weight gradient as an op of its own, so that create_graph=True can differentiate it
    again (with respect to ``g``: a gather of the same rows), as PyTorch's does."""
    D = g.shape[-1]
    ii = idx._data.reshape(-1)
    res = wrap(_DENSE_BACKWARD.table[g._device.type](g._data.reshape(-1, D), ii, V, padding_idx, freq), g._device)
    if gs.enabled and g._requires_grad:
        record(_DENSE_BACKWARD, res, (g,), {"idx": ii, "padding_idx": padding_idx, "freq": freq},
               node_name="EmbeddingDenseBackwardBackward0")
    return res


_DENSE_BACKWARD = nnop("embedding_dense_backward", _dense_backward_kernel, embedding_dense_backward)


@formula("embedding_dense_backward", saves=())
def _dense_backward_grad(node, gg):
    a = node.attrs
    xp = get_backend(gg._device).xp
    V, D = gg.shape
    rows = gg[wrap(a["idx"], gg._device)]
    keep = xp.ones(a["idx"].shape, bool) if a["padding_idx"] is None else a["idx"] != a["padding_idx"]
    scale = _row_scale(xp, a["idx"], V, gg._data.dtype, a["freq"])
    factor = keep.astype(gg._data.dtype) if scale is None else keep * scale
    return ((rows * wrap(factor.reshape(-1, 1), gg._device)).reshape(node.in_meta[0][0]),)


@formula("embedding", saves=(1,))
def _emb_grad(node, g):
    _, idx = node.inputs
    V = node.in_meta[0][0][0]
    a = node.attrs
    if _wants_sparse(node, g):
        ii = idx._data.reshape(-1)
        gd = g._data.reshape(-1, g.shape[-1])
        keep = None if a["padding_idx"] is None else ii != a["padding_idx"]
        return _sparse_gradient(g, ii, gd, V, keep), None
    return embedding_dense_backward(g, idx, V, a["padding_idx"], a["freq"]), None


# ---------------------------------------------------------------- embedding_bag
# The frontend (``F.embedding_bag``) validates and flattens the bags into ``idx`` (N,) and ``seg``
# (N,): the bag of each element, or ``nbags`` for an element that belongs to no bag or is the
# padding index. Results are accumulated into ``nbags + 1`` rows and the last row is dropped, so
# excluded elements need no masking (and cannot spread a NaN into a real bag).
MODE_SUM, MODE_MEAN, MODE_MAX = 0, 1, 2
_CUPYX_SCATTER = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}


def scatter(xp, name, out, index, vals, fill=None):
    """``out[index] op= vals`` along the first axis, repeated indices all applied (as NumPy's
    ``ufunc.at``). ``index`` is 1-D; ``vals`` has one row per entry of ``index``. ``fill``: see
    ``_fold``."""
    plan = _folding(xp, index, nrows=out.shape[0])
    _fold(xp, name, out, plan, _in_order(vals, plan), fill)


# ---------------------------------------------------------------- folding entries into rows
# NumPy's ``ufunc.at`` is an unbuffered loop of ~0.5 us per entry. Instead the entries are sorted
# by row (stably, so each row still takes its entries in input order), each row's entries form a
# run, and the runs are ranked longest first. Entry k of every run that has one is "step k"; in
# step order (all first entries, then all second entries, ...) each step is one contiguous block
# whose runs are a prefix of the ranking, so a row folds with one in-place ufunc call per step on
# contiguous memory. The order of the entries is computed once (``_folding``) and the values that
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


def _in_order(a, plan):
    """``a`` (one entry or row per element of the index) in ``plan``'s fold order (``take``: NumPy
    gathers rows about twice as fast through it as through fancy indexing)."""
    return a if plan.perm is None else np.take(a, plan.perm, axis=0)


def _stable_order(index):
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


def _longest_first(lengths):
    """An order of the runs by decreasing length (a radix sort of small keys, as above)."""
    top = int(lengths.max())
    if top < 2 ** 16:
        return np.argsort((top - lengths).astype(np.uint16), kind="stable")
    return np.argsort(-lengths, kind="stable")


def _folding(xp, index, keep=None, nrows=None):
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
            order, index = _stable_order(index)
            pos = order if pos is None else pos[order]
    perm, rows, steps, solo_rows, solo_starts = _runs_in_steps(index, pos)
    if lone_pos is not None and lone_pos.shape[0]:
        k = lone_pos.shape[0]
        head = steps[0][1] if steps else 0
        perm = np.concatenate([perm[:head], lone_pos, perm[head:]])
        rows = np.concatenate([rows, lone_rows])
        steps = [(0, head + k)] + [(s + k, m) for s, m in steps[1:]]
        solo_starts = [s + k for s in solo_starts]
    return _Folding(given, perm, rows, steps, solo_rows, solo_starts)


def _runs_in_steps(index, pos):
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
    ranked = _longest_first(lengths)
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


def _fold(xp, name, out, plan, v, fill=None, keep_v=False):
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
        _store_rows(out, plan.rows, acc)
    ends = plan.solo_starts[1:]
    for row, s, e in zip(plan.solo_rows, plan.solo_starts, ends):
        run = v[s:e]
        if fill is not None and run.ndim == 2 and run.shape[1] > 1 and run.flags.c_contiguous:
            # NumPy reduces the outer axis of a C-ordered block row after row into the result (it
            # sums pairwise only along the innermost axis): ufunc.at's order, without a copy
            out[row] = op.reduce(run, axis=0, initial=fill)
        else:   # accumulate folds strictly left to right, from the row's current value
            out[row] = op.accumulate(xp.concatenate([out[row:row + 1], run]), axis=0)[-1]


def _store_rows(out, rows, vals):
    """``out[rows] = vals``. Where both are C-contiguous 2-D arrays of one dtype they are viewed as
    1-D arrays of whole rows (one opaque item per row): NumPy's 1-D fancy assignment moves them
    about 1.7x faster than row indexing of a 2-D array (the dense gradient's rows, every step)."""
    if (out.ndim == 2 and out.dtype == vals.dtype and out.shape[1:] == vals.shape[1:] and out.shape[1]
            and out.flags.c_contiguous and vals.flags.c_contiguous):
        row = np.dtype((np.void, out.shape[1] * out.itemsize))
        out.view(row).reshape(out.shape[0])[rows] = vals.view(row).reshape(vals.shape[0])
    else:
        out[rows] = vals


def _reduce_runs(op, out, index, vals):
    """``op.at(out, index, vals)`` on NumPy arrays, by folding runs (see ``_folding``)."""
    scatter(np, op.__name__, out, index, vals)


def _bag_kernel(xp, w, idx, seg, nbags, mode, psw):
    """Returns the (nbags, D) result and, for the backward, the bag sizes and (max mode) the
    position of the element each maximum came from (N where a bag is empty)."""
    D = w.shape[1]
    cnt = xp.bincount(seg, minlength=nbags + 1)
    # on NumPy the elements of no bag are left out of the fold (their count is free to read there)
    plan = _folding(xp, seg, (seg < nbags) if xp is np and cnt[nbags] else None)
    vals = xp.take(w, _in_order(idx, plan), axis=0)   # the looked-up rows, gathered in fold order
    if mode == MODE_MAX:
        # CuPy's scatter max/min take neither float16 nor int64: compare half in float32, count in int32
        if vals.dtype == xp.float16:
            vals = vals.astype(xp.float32)
        out = xp.full((nbags + 1, D), -xp.inf, vals.dtype)
        _fold(xp, "maximum", out, plan, vals, fill=-np.inf, keep_v=True)
        # the first element reaching each maximum takes its gradient (PyTorch keeps the first on ties)
        n = idx.shape[0]
        pos_dtype = xp.int32 if n < 2 ** 31 - 1 else xp.int64
        pos = xp.arange(n, dtype=pos_dtype) if plan.perm is None else plan.perm.astype(pos_dtype)
        seg_f = _in_order(seg, plan)
        hit = (vals == out[seg_f]) & (seg_f < nbags)[:, None]
        first = xp.full((nbags + 1, D), n, pos.dtype)
        _fold(xp, "minimum", first, plan, xp.where(hit, pos[:, None], pos.dtype.type(n)), fill=n)
        out = xp.where((cnt[:nbags] > 0)[:, None], out[:nbags].astype(w.dtype, copy=False), xp.zeros((), w.dtype))
        return out, cnt, first[:nbags]
    if psw is not None:
        vals *= _in_order(psw, plan)[:, None]
    out = xp.zeros((nbags + 1, D), w.dtype)
    _fold(xp, "add", out, plan, vals, fill=0)
    out = out[:nbags]
    if mode == MODE_MEAN:
        out /= xp.maximum(cnt[:nbags], 1).astype(w.dtype)[:, None]
    return out, cnt, None


def embedding_bag_op(weight, idx, seg, nbags, mode, per_sample_weights, scale_grad_by_freq, sparse=False):
    """``weight`` (V, D); ``idx``/``seg`` index arrays on the weight's device; returns (nbags, D)."""
    psw = per_sample_weights
    out, cnt, first = _BAG.table[weight._device.type](weight._data, idx, seg, nbags, mode,
                                                      None if psw is None else psw._data)
    res = wrap(out, weight._device)
    if gs.enabled and (weight._requires_grad or (psw is not None and psw._requires_grad)):
        record(_BAG, res, (weight, psw), {"idx": idx, "seg": seg, "nbags": nbags, "mode": mode, "cnt": cnt,
                                          "first": first, "freq": scale_grad_by_freq, "sparse": sparse})
    return res


_BAG = nnop("embedding_bag", _bag_kernel, embedding_bag_op, node="EmbeddingBagBackward0")


def _bag_weight_grad(xp, gd, a, V):
    """The dense (V, D) weight gradient of a sum or mean bag: each element's bag gradient (scaled
    by its per-sample weight, 1/frequency, 1/bag size) added into its weight row."""
    idx, seg, nbags, cnt = a["idx"], a["seg"], a["nbags"], a["cnt"]
    D = gd.shape[1]
    gb = gd
    if a["mode"] == MODE_MEAN:  # per bag, before the rows are spread out to the elements
        gb = gd * (1.0 / xp.maximum(cnt[:nbags], 1).astype(gd.dtype))[:, None]
    excluded = xp is np and bool(cnt[nbags])
    plan = _folding(xp, idx, (seg < nbags) if excluded else None, nrows=V)
    seg_f = _in_order(seg, plan)
    if xp is not np:   # CuPy folds every element: the excluded ones gather a zero row
        gb = xp.concatenate([gb, xp.zeros((1, D), gd.dtype)])
    ge = xp.take(gb, seg_f, axis=0)
    scale = None if a["psw"] is None else _in_order(a["psw"], plan)
    if a["freq"]:
        # each row's gradient divided by how often its index occurs in the input
        f = 1.0 / xp.bincount(idx, minlength=V).astype(gd.dtype)[_in_order(idx, plan)]
        scale = f if scale is None else scale * f
    if scale is not None:  # a NaN weight of an excluded element must not reach its row
        ge = xp.where((seg_f < nbags)[:, None], ge * scale[:, None], xp.zeros((), gd.dtype))
    gw = xp.zeros((V, D), gd.dtype)
    _fold(xp, "add", gw, plan, ge, fill=0)
    return gw


def _bag_sparse_weight_grad(gd, a, psw, V, g):
    """A sum or mean bag's weight gradient as a sparse COO tensor: one entry per element in a bag,
    its bag's gradient scaled as in ``_bag_weight_grad`` (scale_grad_by_freq is refused with sparse)."""
    idx, seg, nbags, cnt = a["idx"], a["seg"], a["nbags"], a["cnt"]
    gb = gd
    if a["mode"] == MODE_MEAN:
        gb = gd * (1.0 / np.maximum(cnt[:nbags], 1).astype(gd.dtype))[:, None]
    keep = seg < nbags
    ge = np.take(gb, np.where(keep, seg, 0), axis=0)
    if psw is not None:
        ge = ge * psw[:, None]
    return _sparse_gradient(g, idx, ge, V, None if keep.all() else keep)


@formula("embedding_bag", saves=(0, 1))
def _bag_grad(node, g):
    """First-order only, as PyTorch's (its ``_embedding_bag_backward`` has no derivative)."""
    weight, psw = node.inputs
    a = node.attrs
    xp = get_backend(g._device).xp
    idx, seg, nbags, mode = a["idx"], a["seg"], a["nbags"], a["mode"]
    V, D = node.in_meta[0][0]
    gd = g._data
    gw = gp = None
    if node.needs_input_grad[0]:
        if mode == MODE_MAX:
            first = a["first"]
            n = idx.shape[0]
            found = (first < n).reshape(-1)
            # one flat index per (bag, column): the row its maximum came from, times D, plus the column
            flat = (idx[xp.where(first < n, first, 0)] * D + xp.arange(D)).reshape(-1)
            gw = xp.zeros((V, D), gd.dtype)
            plan = _folding(xp, flat, found if xp is np else None, nrows=V * D)
            vals = xp.where(found, gd.reshape(-1), xp.zeros((), gd.dtype)) if xp is not np else gd.reshape(-1)
            _fold(xp, "add", gw.reshape(-1), plan, _in_order(vals, plan), fill=0)
        elif _wants_sparse(node, g):
            gw = _bag_sparse_weight_grad(gd, a, None if psw is None else psw._data, V, g)
        else:
            gw = _bag_weight_grad(xp, gd, dict(a, psw=None if psw is None else psw._data), V)
        gw = gw if isinstance(gw, Tensor) else wrap(gw, g._device)
    if psw is not None and node.needs_input_grad[1]:
        ge = xp.concatenate([gd, xp.zeros((1, D), gd.dtype)])[seg]
        gp = xp.where(seg < nbags, (ge * weight._data[idx]).sum(1), xp.zeros((), gd.dtype))
        gp = wrap(gp.astype(psw._data.dtype, copy=False), g._device)
    return gw, gp
