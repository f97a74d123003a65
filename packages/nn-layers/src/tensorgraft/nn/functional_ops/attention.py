"""``nn.sdpa_flash``: scaled dot-product attention as one node, the way PyTorch's CPU flash kernel
records it (``ScaledDotProductFlashAttentionForCpuBackward0``).

The node keeps what that kernel keeps: query, key, value, the output and the log-sum-exp of each
query row (B, H, L), never the (B, H, L, S) attention matrix; the backward recomputes the
probabilities from the scores and the log-sum-exp. ``F.scaled_dot_product_attention`` comes here
only in the cases where PyTorch's CPU dispatcher picks the flash kernel (``flash_applies``); the
others stay composed of ordinary ops, with their ordinary nodes.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.ops.elementwise.branch_free import select

from ._common import formula, gs, nnop, record, wrap, xp_of

NODE = "ScaledDotProductFlashAttentionForCpuBackward0"


def flash_applies(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """Whether PyTorch (CPU) runs the flash kernel, as observed from outside: 4-D query, key and
    value of one dtype and one head dim, no dropout, equal batch sizes, key/value heads equal to
    the query's (or dividing them under ``enable_gqa``) and a 2-D or 4-D mask that takes no gradient."""
    if dropout_p > 0.0 or query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        return False
    if not (query.dtype == key.dtype == value.dtype) or not query.is_floating_point():
        return False
    B, H, L, E = query.shape
    if key.shape[3] != E or value.shape[3] != E or key.shape[:3] != value.shape[:3] or key.shape[0] != B:
        return False
    heads = key.shape[1]
    if heads != H and not (enable_gqa and heads and H % heads == 0):
        return False
    if 0 in (B, H, L, E, key.shape[2]) or not (query._device is key._device is value._device):
        return False
    if attn_mask is not None:
        if (gs.enabled and attn_mask._requires_grad) or attn_mask._device is not query._device:
            return False
        if attn_mask.ndim not in (2, 4):   # PyTorch takes the math path for a 3-D mask
            return False
        shape = (1,) * (4 - attn_mask.ndim) + tuple(attn_mask.shape)
        if any(m not in (1, n) for m, n in zip(shape, (B, H, L, key.shape[2]))):
            return False   # the composed path raises PyTorch's broadcasting error
    return True


def _work_dtype(xp, dtype):
    # half precision accumulates in float32, as PyTorch's CPU kernel does
    return xp.float32 if dtype == xp.float16 else dtype


def _scores(xp, q, k, mask, causal, scale, groups):
    """(B, H, L, S) scaled, masked scores in the working dtype, key heads repeated for GQA."""
    if groups > 1:
        k = xp.repeat(k, groups, axis=1)
    s = q @ k.swapaxes(-1, -2)
    xp.multiply(s, scale, out=s)
    L, S = s.shape[-2:]
    if causal:   # top-left aligned: query i sees keys 0..i
        s = select(xp, xp.tri(L, S, dtype=bool), s, xp.asarray(-xp.inf, s.dtype))
    if mask is not None:   # PyTorch's flash kernel applies an explicit mask on top of the causal one
        if mask.dtype == bool:
            s = select(xp, mask, s, xp.asarray(-xp.inf, s.dtype))
        else:
            s = s + mask.astype(s.dtype, copy=False)
    return s


def _probabilities(xp, s, lse):
    """exp(scores - logsumexp), written over ``s`` (the caller's own scores); rows with every key
    masked (logsumexp -inf) are all zero."""
    live = xp.isfinite(lse)[..., None]
    e = xp.subtract(s, xp.where(live, lse[..., None], 0), out=s)
    xp.exp(e, out=e)
    if xp is np and bool(live.all()):  # (the usual case: no row to zero, and the select would copy;
        # on a device the check would wait for it, so there the select runs)
        return e
    return select(xp, live, e, xp.zeros((), e.dtype))


def _flash_kernel(xp, q, k, v, mask, causal, scale, groups):
    work = _work_dtype(xp, q.dtype)
    q, k, v = (a.astype(work, copy=False) for a in (q, k, v))
    s = _scores(xp, q, k, mask, causal, scale, groups)
    top = s.max(-1, keepdims=True)
    top = xp.where(xp.isfinite(top), top, xp.zeros((), work))
    # the probabilities are written over the scores (fresh from _scores): one (B, H, L, S) array
    e = xp.subtract(s, top, out=s)
    xp.exp(e, out=e)
    total = e.sum(-1, keepdims=True)
    with_keys = total > 0
    safe_total = xp.where(with_keys, total, xp.ones((), work))
    # -inf for a row with every key masked (its probabilities are all zero)
    lse = xp.where(with_keys, xp.log(safe_total) + top, xp.asarray(-xp.inf, work))[..., 0]
    probs = xp.divide(e, safe_total, out=e)
    out = probs @ (xp.repeat(v, groups, axis=1) if groups > 1 else v)
    return out, lse


def flash_attention(query, key, value, attn_mask, is_causal, scale, groups):
    """Attention of 4-D ``query`` (B, H, L, E) over ``key``/``value`` (B, H / groups, S, E);
    ``attn_mask`` bool (True: may attend) or additive float, broadcast over (B, H, L, S)."""
    dev = query._device
    mask = None if attn_mask is None else attn_mask._data
    out, lse = _FLASH.table[dev.type](query._data, key._data, value._data, mask, is_causal, float(scale), groups)
    out = out.astype(query._data.dtype, copy=False)
    q = query._data
    if not q.flags.c_contiguous and q.ndim and q.strides[-1] == q.itemsize:
        # PyTorch's kernel writes its output in the query's memory layout (MultiheadAttention's
        # ``permute(2, 0, 1, 3).contiguous()`` of it then copies nothing and records no node)
        laid = xp_of(query).empty_like(q)
        laid[...] = out
        out = laid
    res = wrap(out, dev)
    if gs.enabled and (query._requires_grad or key._requires_grad or value._requires_grad):
        record(_FLASH, res, (query, key, value), {"lse": lse, "mask": mask, "causal": is_causal,
                                                  "scale": float(scale), "groups": groups}, node_name=NODE)
    return res


_FLASH = nnop("sdpa_flash", _flash_kernel, flash_attention)


def _flash_backward_kernel(xp, g, q, k, v, out, lse, mask, causal, scale, groups):
    dtype = q.dtype
    work = _work_dtype(xp, dtype)
    g, q, k, v = (a.astype(work, copy=False) for a in (g, q, k, v))
    probs = _probabilities(xp, _scores(xp, q, k, mask, causal, scale, groups), lse)
    kr = xp.repeat(k, groups, axis=1) if groups > 1 else k
    vr = xp.repeat(v, groups, axis=1) if groups > 1 else v
    gv = probs.swapaxes(-1, -2) @ g
    # d softmax: p * (dP - sum_j p_j dP_j), the sum taken over dP itself: a query that sees a single
    # key (p = 1) then gets exactly zero, as in PyTorch (rowsum(g * out) rounds differently)
    dp = g @ vr.swapaxes(-1, -2)
    row = (probs * dp).sum(-1, keepdims=True)
    gs_ = xp.multiply(probs, xp.subtract(dp, row, out=dp), out=dp)  # (over dp: its own buffer)
    gq = gs_ @ kr
    xp.multiply(gq, scale, out=gq)
    gk = gs_.swapaxes(-1, -2) @ q
    xp.multiply(gk, scale, out=gk)
    if groups > 1:   # each key/value head served `groups` query heads: their gradients add up
        B, H, S, E = gk.shape
        gk = gk.reshape(B, H // groups, groups, S, E).sum(2)
        gv = gv.reshape(B, H // groups, groups, S, E).sum(2)
    return tuple(a.astype(dtype, copy=False) for a in (gq, gk, gv))


def _flash_backward(g, query, key, value, node):
    a = node.attrs
    grads = _FLASH_BACKWARD.table[g._device.type](g._data, query._data, key._data, value._data, node.output._data,
                                                  a["lse"], a["mask"], a["causal"], a["scale"], a["groups"])
    res = tuple(wrap(x, g._device) for x in grads)
    if gs.enabled:   # create_graph=True: PyTorch's backward has no derivative, said at the next backward
        for r in res:
            record(_FLASH_BACKWARD, r, (g, query, key, value), None, node_name="NotImplemented")
    return res


_FLASH_BACKWARD = nnop("sdpa_flash_backward", _flash_backward_kernel, _flash_backward)


@formula("sdpa_flash", saves=(0, 1, 2), saves_output=True)
def _flash_grad(node, g):
    query, key, value = node.inputs
    gq, gk, gv = _flash_backward(g, query, key, value, node)
    need = node.needs_input_grad
    return (gq if need[0] else None, gk if need[1] else None, gv if need[2] else None)


@formula("sdpa_flash_backward", saves=())
def _flash_backward_grad(node, g):
    raise RuntimeError("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented")
