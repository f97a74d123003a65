"""Gradients of ``tensorgraft/ops/scan.py`` (diff is built from narrow/sub/cat and needs none)."""
from __future__ import annotations

from ..saved_properties import from_attr
from . import formula


def _tg():
    import tensorgraft
    return tensorgraft


@formula("cummax", "cummin", saves=())
def cummaxmin(node, g):
    """Each output's gradient goes to the input position it was taken from (PyTorch's
    ``cummaxmin_backward``: a scatter-add along the dim)."""
    shape = node.in_meta[0][0]
    if len(shape) == 0:
        return (g,)
    d = node.attrs["dim"]
    zeros = _tg().zeros(shape, dtype=g.dtype, device=g.device)
    return (zeros.scatter_add(d, node.attrs["indices"], g),)


# (PyTorch's node keeps the input too, only for its sizes: ours keeps those in its metadata)
cummaxmin.saved_defaults = {"indices": from_attr("indices")}


@formula("logcumsumexp", saves=(0,), saves_output=True)
def logcumsumexp(node, g):
    """``grad_j = sum_{i >= j} g_i exp(x_j - out_i)``, evaluated as PyTorch does without overflow:
    positive and negative parts of ``g`` in log space, each a reversed logcumsumexp."""
    tg = _tg()
    if g.ndim == 0 or g.numel() == 0:
        return (g,)
    x = node.inputs[0]
    out = node.output
    d = node.attrs["dim"]
    if g.is_complex():
        # complex: no split into signs, ``conj(exp(reversed_lcse(log(conj(g)) - out) + x))``
        lcse = g.conj().log() - out
        return ((lcse.flip(d).logcumsumexp(d).flip(d) + x).exp().conj(),)
    lowest = tg.full_like(g, tg.finfo(g.dtype).min)
    log_abs = g.abs().log()
    log_pos = tg.where(g > 0, log_abs, lowest)
    log_neg = tg.where(g < 0, log_abs, lowest)

    def reversed_lcse(t):
        return t.flip(d).logcumsumexp(d).flip(d)

    return ((reversed_lcse(log_pos - out) + x).exp() - (reversed_lcse(log_neg - out) + x).exp(),)
