"""``F.scaled_dot_product_attention``: ATen's checks, the choice ``nn.attention.sdpa_kernel`` allows,
then either ``attention.py``'s fused flash op (one node, as PyTorch's CPU flash kernel) or the math
path composed of matmul, a mask and a softmax that gives zeros for fully masked rows
(``_safe_softmax``, also used by ``multi_head_attention.py``).
"""
from __future__ import annotations

import math

import numpy as np

import tensorgraft as _tg

from ..attention import _DEFAULT_ORDER as _SDPA_ALL_ENABLED
from ..attention import check_backend_available as _sdpa_check_backend
from ..attention import state as _sdpa_choice
from . import attention as _attention
from ._common import check_tensor as _check_tensor
from .activation_api import softmax
from .dropout import dropout


def _safe_softmax(scores):
    """Softmax over the last dim where a row that is entirely -inf (every key masked out) gives
    zeros and zero gradients instead of NaN, as PyTorch's attention kernels."""
    with _tg.no_grad():
        full = _tg.isneginf(scores).all(-1, keepdim=True)
    if not bool(full.any()):
        return softmax(scores, -1)
    zero = _tg.zeros((), dtype=scores.dtype, device=scores.device)
    return _tg.where(full, zero, softmax(_tg.where(full, zero, scores), -1))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    for pos, (label, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        _check_tensor(t, "scaled_dot_product_attention", label, pos)
    if _sdpa_choice.enabled is not _SDPA_ALL_ENABLED:  # only a sdpa_kernel block can rule the call out
        _sdpa_check_backend(query.device.type)
    # ATen's input checks, in its order: the dtypes, the ranks, then the mask's dtype
    if not query.dtype == key.dtype == value.dtype:
        from tensorgraft.dtypes import CPP_TYPE_NAMES
        q, k, v = (CPP_TYPE_NAMES.get(str(t.dtype).split(".")[-1], str(t.dtype)) for t in (query, key, value))
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{q} key.dtype: {k} and value.dtype: {v} instead.")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        # (the two spaces before "at least" are PyTorch's)
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if attn_mask is not None and attn_mask.dtype not in (_tg.bool, _tg.float32, query.dtype):
        from tensorgraft.dtypes import CPP_TYPE_NAMES
        m, q = (CPP_TYPE_NAMES.get(str(t).split(".")[-1], str(t)) for t in (attn_mask.dtype, query.dtype))
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {m} and  query.dtype: {q} instead.")
    L, S = query.shape[-2], key.shape[-2]
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        if query.ndim < 3:  # the heads are dim -3, which a 2-D query lacks
            raise IndexError(f"Dimension out of range (expected to be in range of [-{query.ndim}, {query.ndim - 1}], "
                             "but got -3)")
        hq = query.shape[-3]
        if hq % key.shape[-3] or hq % value.shape[-3]:
            # (PyTorch's message, cut short after "in " as it is)
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    if attn_mask is not None and attn_mask.ndim < 2 and query.ndim == key.ndim == value.ndim == 4:
        # PyTorch's choice of the CPU flash kernel reads the mask's size(-2)
        raise IndexError("Dimension specified as -2 but tensor has no dimensions" if attn_mask.ndim == 0 else
                         "Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    if _attention.flash_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
        if dropout_p != 0.0:   # (a negative or NaN probability: the flash kernel is chosen, then refuses it)
            raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0")
        # one node for the whole attention, as PyTorch's CPU flash kernel (see functional_ops/attention.py)
        return _attention.flash_attention(query, key, value, attn_mask, is_causal, sc,
                                          query.shape[1] // key.shape[1])
    if is_causal and attn_mask is not None:  # (the flash kernel above applies both; the math path refuses)
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    scores = query.matmul(key.transpose(-2, -1)) * sc
    bias = None
    if is_causal:
        bias = np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(query._data.dtype)
        bias = _tg.tensor(bias, device=query.device)
    elif attn_mask is not None:
        if attn_mask.dtype == _tg.bool:
            mask = attn_mask._host()
            bias = _tg.tensor(np.where(mask, 0.0, -np.inf).astype(query._data.dtype), device=query.device)
        else:
            bias = attn_mask
    if bias is not None:
        attn = _safe_softmax(scores + bias)
    else:
        attn = softmax(scores, -1)
    if dropout_p > 0.0:
        if dropout_p > 1.0:   # (ATen's dropout: a RuntimeError, not F.dropout's ValueError)
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)
