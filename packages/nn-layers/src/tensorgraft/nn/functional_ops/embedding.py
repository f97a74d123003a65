"""``nn.embedding``: row gather with a scatter-add backward (padding_idx rows get no gradient);
``nn.embedding_bag``: sums, means or maxima of bags of rows. With ``sparse=True`` the weight's
gradient is a sparse COO tensor, one entry per looked-up index (PyTorch's uncoalesced gradient), on
the CPU; on other devices, and under ``create_graph=True``, it stays dense (same values)."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import Tensor

from tensorgraft.autograd.saved_properties import FromNode, as_int64_shown

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


# PyTorch's EmbeddingBackward0 shows the indices (not the weight: only its row count) and its int
# arguments, padding_idx None as the -1 it keeps (read back unsigned)
_emb_grad.input_names = (None, "indices")
_emb_grad.saved_hidden = ("freq",)
_emb_grad.saved_defaults = {
    "weight_sym_argsize_0": FromNode(lambda node: node.in_meta[0][0][0]),
    "padding_idx": FromNode(lambda node: as_int64_shown(-1 if node.attrs["padding_idx"] is None
                                                        else node.attrs["padding_idx"])),
    "scale_grad_by_freq": FromNode(lambda node: node.attrs["freq"])}


# ---------------------------------------------------------------- embedding_bag
# The frontend (``F.embedding_bag``) validates and flattens the bags into ``idx`` (N,) and ``seg``
# (N,): the bag of each element, or ``nbags`` for an element that belongs to no bag or is the
# padding index. Results are accumulated into ``nbags + 1`` rows and the last row is dropped, so
# excluded elements need no masking (and cannot spread a NaN into a real bag).
MODE_SUM, MODE_MEAN, MODE_MAX = 0, 1, 2
# ``out[index] op= vals`` with ufunc.at's order, fast on NumPy: core's row folding (shared with
# a sparse gradient applied to a parameter). The old names stay for this module's code and tests.
from tensorgraft.ops.indexing.row_folding import (  # noqa: E402,F401
    fold as _fold, fold_plan as _folding, in_fold_order as _in_order, reduce_runs as _reduce_runs,
    scatter_rows as scatter, stable_order as _stable_order,
)


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
            # (no element at all: every bag is empty, nothing is looked up)
            rows = idx[xp.where(first < n, first, 0)] if n else xp.zeros(first.shape, idx.dtype)
            flat = (rows * D + xp.arange(D)).reshape(-1)
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
    if gs.enabled:   # create_graph=True: PyTorch's backward has no derivative, said at the next backward
        if gw is not None:
            refusing_node(gw, (g, psw), "weight")
        if gp is not None:
            refusing_node(gp, (g, weight), "psw")
    return gw, gp


def refusing_node(grad, inputs, what):
    """Under create_graph=True, give embedding_bag's gradient ``grad`` PyTorch's node, which only
    refuses (``_embedding_bag_backward`` and ``_embedding_bag_per_sample_weights_backward`` have no
    derivative)."""
    if any(t is not None and t._requires_grad for t in inputs):
        name = "EmbeddingBagBackwardBackward0" if what == "weight" else "NotImplemented"
        record(_BAG_BACKWARD, grad, inputs, {"what": what}, node_name=name)


_BAG_BACKWARD = nnop("embedding_bag_backward", None, refusing_node)


@formula("embedding_bag_backward", saves=())
def _bag_backward_grad(node, gg):
    if node.attrs["what"] == "weight":
        raise NotImplementedError("the derivative for '_embedding_bag_backward' is not implemented.")
    raise RuntimeError("derivative for aten::_embedding_bag_per_sample_weights_backward is not implemented")
