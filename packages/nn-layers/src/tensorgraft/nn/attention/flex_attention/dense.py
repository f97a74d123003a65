"""The arithmetic of flex attention, as PyTorch's eager ("math") implementation does it.

Written with tensorgraft ops so autograd differentiates it — with respect to query, key, value and any
tensor a score_mod reads — and so the same code runs on every device. Like PyTorch's eager path it
materializes the whole (B, H, L, S) score matrix; the block structure of the mask saves nothing here.
"""
from __future__ import annotations

import math

import tensorgraft as _tg

from ...functional_ops.attention_api import _safe_softmax
from .mods import _identity, apply_mod

_LN2 = math.log(2.0)


def _like_query_layout(out, query):
    """``out`` laid out in memory in the same dimension order as ``query`` (PyTorch gives its output the
    query's stride order, so e.g. ``out.transpose(1, 2).view(B, L, -1)`` works after a transposed query),
    with the last dimension kept innermost."""
    strides = query.stride()
    n = len(strides)
    # innermost first; on equal strides the inner dimension counts as the more inner one
    fill = list(reversed(sorted(range(n), key=strides.__getitem__, reverse=True)))
    if fill[0] != n - 1:
        fill.remove(n - 1)
        fill.insert(0, n - 1)
    outer_first = list(reversed(fill))
    if outer_first == list(range(n)):
        return out.contiguous()
    inverse = [outer_first.index(d) for d in range(n)]
    return out.permute(*outer_first).contiguous().permute(*inverse)


def post_mod_scores(query, key, score_mod, mask_mod, scale):
    """scale * q @ kᵀ in the working precision (float64 for float64 queries, else float32), through
    ``score_mod``, with -inf wherever ``mask_mod`` says no. ``key`` already has the query's batch and heads."""
    working = _tg.float64 if query.dtype == _tg.float64 else _tg.float32
    scores = query.to(working) @ key.to(working).transpose(-2, -1)
    B, H, M, N = scores.shape
    device = scores.device
    scores = (scores * scale).to(working)
    if score_mod is not _identity:
        scores = apply_mod(score_mod, scores, B, H, M, N, device)
    keep = apply_mod(mask_mod, None, B, H, M, N, device)
    post = _tg.where(keep, scores, _tg.tensor(-math.inf, dtype=working, device=device))
    if tuple(post.shape) != (B, H, M, N):
        post = post.expand(B, H, M, N)
    return post


def math_attention(query, key, value, score_mod, mask_mod, scale, want_lse, want_max):
    """(output, lse or None, max_scores or None) for 4-D inputs; the key/value heads are repeated for GQA and
    a batch of one is broadcast to the query's batch."""
    group = query.size(1) // key.size(1)
    if group != 1:
        key = _tg.repeat_interleave(key, group, dim=1)
        value = _tg.repeat_interleave(value, group, dim=1)
    bq, bkv = query.size(0), key.size(0)
    if not (bq == bkv or (bq > 1 and bkv == 1)):
        raise RuntimeError(f"Bq and Bkv must broadcast. Got Bq={bq} and Bkv={bkv}")
    if bkv != bq:
        key = key.expand(bq, *key.shape[1:])
        value = value.expand(bq, *value.shape[1:])
    post = post_mod_scores(query, key, score_mod, mask_mod, scale)
    lse = max_scores = None
    if want_lse or want_max:
        with _tg.no_grad():
            masked_rows = _tg.isneginf(post).all(-1)
        neg_inf = _tg.tensor(-math.inf, dtype=post.dtype, device=post.device)
        if want_lse:
            # fully masked rows give -inf; they are taken out of the logsumexp so that no NaN reaches backward
            safe = _tg.where(masked_rows.unsqueeze(-1), _tg.zeros((), dtype=post.dtype, device=post.device), post)
            lse = _tg.where(masked_rows, neg_inf, _tg.logsumexp(safe, -1))
            # PyTorch's kernels work in base 2 and convert back; the round trip is kept for the same last bits
            lse = (lse / _LN2) * _LN2
        if want_max:
            max_scores = (_tg.max(post, dim=-1)[0] / _LN2) * _LN2
    probs = _safe_softmax(post)
    out = probs.to(query.dtype) @ value.to(query.dtype)
    return _like_query_layout(out, query), lse, max_scores
