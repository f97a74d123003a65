"""``nn.embedding``: row gather with a scatter-add backward (padding_idx rows get no gradient)."""
from __future__ import annotations

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
