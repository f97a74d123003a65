"""``nn.embedding``: row gather with a scatter-add backward (padding_idx rows get no gradient);
``nn.embedding_bag``: sums, means or maxima of bags of rows."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from ._common import formula, gs, nnop, record, wrap


def _emb_kernel(xp, w, idx):
    return w[idx]


def embedding_op(input, weight, padding_idx):
    idx = input._data
    res = wrap(_EMB.table[weight._device.type](weight._data, idx), weight._device)
    if gs.enabled and weight._requires_grad:
        record(_EMB, res, (weight, input), {"padding_idx": padding_idx}, node_name="EmbeddingBackward0")
    return res


_EMB = nnop("embedding", _emb_kernel, embedding_op)


@formula("embedding", saves=(1,))
def _emb_grad(node, g):
    _, idx = node.inputs
    xp = get_backend(g._device).xp
    V, D = node.in_meta[0][0]
    gd = g._data.reshape(-1, D)
    ii = idx._data.reshape(-1)
    gw = xp.zeros((V, D), gd.dtype)
    if hasattr(xp.add, "at"):
        xp.add.at(gw, ii, gd)
    else:  # pragma: no cover - CuPy
        import cupyx
        cupyx.scatter_add(gw, ii, gd)
    p = node.attrs["padding_idx"]
    if p is not None:
        gw[p] = 0
    return wrap(gw, g._device), None


# ---------------------------------------------------------------- embedding_bag
# The frontend (``F.embedding_bag``) validates and flattens the bags into ``idx`` (N,) and ``seg``
# (N,): the bag of each element, or ``nbags`` for an element that belongs to no bag or is the
# padding index. Results are accumulated into ``nbags + 1`` rows and the last row is dropped, so
# excluded elements need no masking (and cannot spread a NaN into a real bag).
MODE_SUM, MODE_MEAN, MODE_MAX = 0, 1, 2
_CUPYX_SCATTER = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}


def scatter(xp, name, out, index, vals):
    """``out[index] op= vals`` with repeated indices all applied (NumPy's ``ufunc.at``)."""
    if xp is np:
        getattr(np, name).at(out, index, vals)
    else:
        import cupyx
        getattr(cupyx, _CUPYX_SCATTER[name])(out, index, vals)


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
            rows = idx[xp.where(found, first, 0)]
            cols = xp.broadcast_to(xp.arange(D), rows.shape)
            scatter(xp, "add", gw, (rows, cols), xp.where(found, gd, xp.zeros((), gd.dtype)))
        else:
            ge = xp.concatenate([gd, xp.zeros((1, D), gd.dtype)])[seg]
            scale = None
            if mode == MODE_MEAN:
                scale = 1.0 / xp.maximum(a["cnt"], 1).astype(gd.dtype)[seg]
            if psw is not None:
                scale = psw._data if scale is None else scale * psw._data
            if a["freq"]:
                # each row's gradient divided by how often its index occurs in the input
                f = 1.0 / xp.bincount(idx, minlength=V).astype(gd.dtype)[idx]
                scale = f if scale is None else scale * f
            if scale is not None:
                ge = ge * scale[:, None]
            scatter(xp, "add", gw, idx, xp.where(valid, ge, xp.zeros((), gd.dtype)))
        gw = wrap(gw, g._device)
    if psw is not None and node.needs_input_grad[1]:
        ge = xp.concatenate([gd, xp.zeros((1, D), gd.dtype)])[seg]
        gp = xp.where(valid[:, 0], (ge * weight._data[idx]).sum(1), xp.zeros((), gd.dtype))
        gp = wrap(gp.astype(psw._data.dtype, copy=False), g._device)
    return gw, gp
