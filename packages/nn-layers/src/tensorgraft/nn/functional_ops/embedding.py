"""``nn.embedding``: row gather with a scatter-add backward (padding_idx rows get no gradient);
``nn.embedding_bag``: sums, means or maxima of bags of rows."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from ._common import formula, gs, nnop, record, wrap


def _emb_kernel(xp, w, idx):
    return w[idx]


def embedding_op(input, weight, padding_idx, scale_grad_by_freq=False):
    idx = input._data
    res = wrap(_EMB.table[weight._device.type](weight._data, idx), weight._device)
    if gs.enabled and weight._requires_grad:
        record(_EMB, res, (weight, input), {"padding_idx": padding_idx, "freq": bool(scale_grad_by_freq)},
               node_name="EmbeddingBackward0")
    return res


_EMB = nnop("embedding", _emb_kernel, embedding_op)


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
    scatter(xp, "add", gw, ii, gd)
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
    return embedding_dense_backward(g, idx, V, node.attrs["padding_idx"], node.attrs["freq"]), None


# ---------------------------------------------------------------- embedding_bag
# The frontend (``F.embedding_bag``) validates and flattens the bags into ``idx`` (N,) and ``seg``
# (N,): the bag of each element, or ``nbags`` for an element that belongs to no bag or is the
# padding index. Results are accumulated into ``nbags + 1`` rows and the last row is dropped, so
# excluded elements need no masking (and cannot spread a NaN into a real bag).
MODE_SUM, MODE_MEAN, MODE_MAX = 0, 1, 2
_CUPYX_SCATTER = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}


def scatter(xp, name, out, index, vals):
    """``out[index] op= vals`` along the first axis, repeated indices all applied (as NumPy's
    ``ufunc.at``). ``index`` is 1-D; ``vals`` has one row per entry of ``index``."""
    if xp is np:
        _reduce_runs(getattr(np, name), out, index, vals)
    else:  # CuPy: atomics on the GPU, already fast (and CuPy has no ufunc.reduceat)
        import cupyx
        getattr(cupyx, _CUPYX_SCATTER[name])(out, index, vals)


# Runs no longer than this fold entry by entry (one fancy-indexed step per position in a run);
# longer ones go through ufunc.reduceat, whose cost is per run plus per row.
_STEPWISE_MAX_RUN = 8


def _stable_order(index):
    """``order = np.argsort(index, kind="stable")`` and ``index[order]``, for indices >= 0, ~4x
    faster: each index made distinct by its position, the keys sort alone (no argsort) and the
    same under NumPy's faster unstable sort."""
    n = index.shape[0]
    if (int(index.max()) + 1) * n >= 2 ** 62:
        order = np.argsort(index, kind="stable")
        return order, index[order]
    keys = index.astype(np.int64) * n + np.arange(n)
    keys.sort()
    return keys % n, keys // n


def _reduce_runs(op, out, index, vals):
    """``op.at(out, index, vals)`` without NumPy's ``ufunc.at``, an unbuffered loop of ~0.5 us per
    row. The entries are ordered by index (stably, so that each row folds its entries in input
    order, as ``op.at`` does); each row of ``out`` then takes one run of consecutive entries."""
    n = index.shape[0]
    if n == 0:
        return
    order = None
    if n > 1 and (index[1:] < index[:-1]).any():   # the bags of embedding_bag come sorted already
        order, index = _stable_order(index)
    edge = np.empty(n + 1, bool)
    edge[0] = edge[n] = True
    np.not_equal(index[1:], index[:-1], out=edge[1:n])
    bounds = np.flatnonzero(edge)
    starts, lengths = bounds[:-1], np.diff(bounds)
    rows = index[starts]
    if int(lengths.max()) <= _STEPWISE_MAX_RUN:
        # the gradient of a large vocabulary: mostly single entries, a few short repeats. Step k
        # folds the k-th entry of every run that has one; the rows of one step are distinct
        for k in range(int(lengths.max())):
            if k:
                live = lengths > k
                starts, lengths, rows = starts[live], lengths[live], rows[live]
            pos = starts + k
            out[rows] = op(out[rows], vals[pos if order is None else order[pos]])
        return
    if order is not None:
        vals = vals[order]
    out[rows] = op(out[rows], op.reduceat(vals, starts, axis=0))


def _bag_kernel(xp, w, idx, seg, nbags, mode, psw):
    """Returns the (nbags, D) result and, for the backward, the bag sizes and (max mode) the
    position of the element each maximum came from (N where a bag is empty)."""
    D = w.shape[1]
    vals = w[idx]
    cnt = xp.bincount(seg, minlength=nbags + 1)
    if mode == MODE_MAX:
        # CuPy's scatter max/min take neither float16 nor int64: compare half in float32, count in int32
        if vals.dtype == xp.float16:
            vals = vals.astype(xp.float32)
        out = xp.full((nbags + 1, D), -xp.inf, vals.dtype)
        scatter(xp, "maximum", out, seg, vals)
        # the first element reaching each maximum takes its gradient (PyTorch keeps the first on ties)
        n = idx.shape[0]
        pos = xp.arange(n, dtype=xp.int32 if n < 2 ** 31 - 1 else xp.int64)[:, None]
        hit = (vals == out[seg]) & (seg < nbags)[:, None]
        first = xp.full((nbags + 1, D), n, pos.dtype)
        scatter(xp, "minimum", first, seg, xp.where(hit, pos, pos.dtype.type(n)))
        out = xp.where((cnt[:nbags] > 0)[:, None], out[:nbags].astype(w.dtype, copy=False), xp.zeros((), w.dtype))
        return out, cnt, first[:nbags]
    out = xp.zeros((nbags + 1, D), w.dtype)
    scatter(xp, "add", out, seg, vals if psw is None else vals * psw[:, None])
    out = out[:nbags]
    if mode == MODE_MEAN:
        out /= xp.maximum(cnt[:nbags], 1).astype(w.dtype)[:, None]
    return out, cnt, None


def embedding_bag_op(weight, idx, seg, nbags, mode, per_sample_weights, scale_grad_by_freq):
    """``weight`` (V, D); ``idx``/``seg`` index arrays on the weight's device; returns (nbags, D)."""
    psw = per_sample_weights
    out, cnt, first = _BAG.table[weight._device.type](weight._data, idx, seg, nbags, mode,
                                                      None if psw is None else psw._data)
    res = wrap(out, weight._device)
    if gs.enabled and (weight._requires_grad or (psw is not None and psw._requires_grad)):
        record(_BAG, res, (weight, psw), {"idx": idx, "seg": seg, "nbags": nbags, "mode": mode, "cnt": cnt,
                                          "first": first, "freq": scale_grad_by_freq})
    return res


_BAG = nnop("embedding_bag", _bag_kernel, embedding_bag_op, node="EmbeddingBagBackward0")


@formula("embedding_bag", saves=(0, 1))
def _bag_grad(node, g):
    """First-order only, as PyTorch's (its ``_embedding_bag_backward`` has no derivative)."""
    weight, psw = node.inputs
    a = node.attrs
    xp = get_backend(g._device).xp
    idx, seg, nbags, mode = a["idx"], a["seg"], a["nbags"], a["mode"]
    V, D = node.in_meta[0][0]
    gd = g._data
    valid = (seg < nbags)[:, None]
    gw = gp = None
    if node.needs_input_grad[0]:
        gw = xp.zeros((V, D), gd.dtype)
        if mode == MODE_MAX:
            first = a["first"]
            n = idx.shape[0]
            found = first < n
            # one flat index per (bag, column): the row its maximum came from, times D, plus the column
            flat = idx[xp.where(found, first, 0)] * D + xp.arange(D)
            scatter(xp, "add", gw.reshape(-1), flat.reshape(-1), xp.where(found, gd, xp.zeros((), gd.dtype)).reshape(-1))
        else:
            gb = gd
            if mode == MODE_MEAN:  # per bag, before the rows are spread out to the elements
                gb = gd * (1.0 / xp.maximum(a["cnt"][:nbags], 1).astype(gd.dtype))[:, None]
            # excluded elements gather the zero row, so they add nothing
            ge = xp.concatenate([gb, xp.zeros((1, D), gd.dtype)])[seg]
            scale = None if psw is None else psw._data
            if a["freq"]:
                # each row's gradient divided by how often its index occurs in the input
                f = 1.0 / xp.bincount(idx, minlength=V).astype(gd.dtype)[idx]
                scale = f if scale is None else scale * f
            if scale is not None:  # a NaN weight of an excluded element must not reach its row
                ge = xp.where(valid, ge * scale[:, None], xp.zeros((), gd.dtype))
            scatter(xp, "add", gw, idx, ge)
        gw = wrap(gw, g._device)
    if psw is not None and node.needs_input_grad[1]:
        ge = xp.concatenate([gd, xp.zeros((1, D), gd.dtype)])[seg]
        gp = xp.where(valid[:, 0], (ge * weight._data[idx]).sum(1), xp.zeros((), gd.dtype))
        gp = wrap(gp.astype(psw._data.dtype, copy=False), g._device)
    return gw, gp
