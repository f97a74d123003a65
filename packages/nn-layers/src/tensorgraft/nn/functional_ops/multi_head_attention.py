"""``F.multi_head_attention_forward``: the whole of multi-head attention as one function of its weights.

``nn.MultiheadAttention`` is a thin module over this (``module_forward`` maps its attributes onto the
arguments), so the projection, the appended keys, the masking rules and the softmax live in one place.
Layout follows PyTorch: sequence-first ``(L, N, E)`` inputs (or unbatched ``(L, E)``), heads folded into
the batch as ``(N * num_heads, L, head_dim)``, and ``static_k``/``static_v`` given in that folded layout.
"""
from __future__ import annotations

import math

import tensorgraft as _tg
from tensorgraft.dtypes import CPP_TYPE_NAMES
from ._common import check_tensor_args


def _float_mask_check(mask, what):
    if mask is not None and mask.dtype != _tg.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {what} are supported")


def _as_additive(mask, dtype):
    """Bool masks (True = may not attend) become 0/-inf additive masks; float masks are already additive."""
    if mask is None or mask.dtype != _tg.bool:
        return mask
    return _tg.zeros(tuple(mask.shape), dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))


# the C++ names PyTorch's messages give dtypes in (also F.scaled_dot_product_attention's mask message)


def _check_mask_dtype(bias, dtype, need_weights):
    """A float mask (merged with the key padding mask) of another dtype than the query: PyTorch adds
    it to the scores with ``baddbmm`` when it returns the weights, which wants one dtype, and otherwise
    hands it to ``scaled_dot_product_attention``, which takes float32 masks besides the query's dtype."""
    if bias is None or bias.dtype == dtype:
        return
    m, q = (CPP_TYPE_NAMES.get(str(t).split(".")[-1], str(t)) for t in (bias.dtype, dtype))
    if need_weights:
        raise RuntimeError(f"Input dtypes must be the same, got: input {m}, batch1: {q}, batch2: {q}")
    if bias.dtype != _tg.float32:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {m} and  query.dtype: {q} instead.")


def _append_visible_key(mask):
    """Widen an additive mask over the keys by one more key that every query may see."""
    if mask is None:
        return None
    return _tg.cat([mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))], -1)


def _check_unbatched(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the call is batched; raises PyTorch's errors for rank mismatches."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() == 3 and attn_mask.shape[0] != num_heads:
            raise AssertionError(f"Expected `attn_mask` shape to be {(num_heads, query.shape[0], key.shape[0])} "
                                 f"but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         "tensor")


_BIAS_KV_ARGS = (("bias_k", 8, True), ("bias_v", 9, True))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    return _forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                    add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
                    need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                    static_k, static_v, average_attn_weights, is_causal)


def _forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
             add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
             attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
             average_attn_weights, is_causal, native=False):
    """``multi_head_attention_forward``; ``native`` for the module's inference fast path (see
    ``_takes_native_path``), whose softmax leaves a query with every key masked as NaN."""
    from .. import functional as F

    batched = _check_unbatched(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    head_dim = E // num_heads
    if head_dim * num_heads != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    _float_mask_check(key_padding_mask, "key_padding_mask")
    _float_mask_check(attn_mask, "attn_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    # PyTorch's fused path masks causally by itself (ignoring attn_mask) when nothing else needs the mask
    causal_by_kernel = is_causal and key_padding_mask is None and not need_weights

    # ---- input projections
    if use_separate_proj_weight:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
        # PyTorch's own check of each projection against its input, not the matmul's shape error
        for name, w, t in (("query", wq, query), ("key", wk, key), ("value", wv, value)):
            if tuple(w.shape) != (E, t.shape[-1]):
                raise AssertionError(f"expecting {name} weights shape of {(E, t.shape[-1])}, but got {w.shape}")
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        wq, wk, wv = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
    q = F.linear(query, wq, bq)
    k = F.linear(key, wk, bk)
    v = F.linear(value, wv, bv)

    S = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2 and tuple(attn_mask.shape) != (L, S):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}.")
        if attn_mask.dim() == 3 and tuple(attn_mask.shape) != (N * num_heads, L, S):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(N * num_heads, L, S)}.")
    keys = static_k.shape[1] if static_k is not None else S
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (N, keys):
        i = 0 if key_padding_mask.shape[0] != N else 1
        raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {(N, keys)[i]}, but got "
                             f"{key_padding_mask.shape[i]}")
    attn_bias = None if causal_by_kernel else _as_additive(attn_mask, q.dtype)
    if attn_bias is not None and attn_bias.dim() == 2:
        attn_bias = attn_bias.unsqueeze(0)
    padding_bias = _as_additive(key_padding_mask, q.dtype)

    # ---- a learned key/value appended to every sequence
    if bias_k is not None and bias_v is not None:
        # (PyTorch's ``bias_k.repeat(1, bsz, 1)`` of an array: NumPy's "repeat() takes at most 2 arguments")
        check_tensor_args("multi_head_attention_forward", _BIAS_KV_ARGS, bias_k, bias_v)
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = _tg.cat([k, bias_k.expand(1, N, E)], 0)
        v = _tg.cat([v, bias_v.expand(1, N, E)], 0)
        attn_bias = _append_visible_key(attn_bias)
        padding_bias = _append_visible_key(padding_bias)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    # ---- heads folded into the batch: (seq, N, E) -> (N * heads, seq, head_dim)
    q = q.reshape(L, N * num_heads, head_dim).transpose(0, 1)
    k = _fold_heads(k, static_k, "static_k", N * num_heads, head_dim)
    v = _fold_heads(v, static_v, "static_v", N * num_heads, head_dim)
    if add_zero_attn:
        k = _tg.cat([k, k.new_zeros((N * num_heads, 1, head_dim))], 1)
        v = _tg.cat([v, v.new_zeros((N * num_heads, 1, head_dim))], 1)
        attn_bias = _append_visible_key(attn_bias)
        padding_bias = _append_visible_key(padding_bias)
    S = k.shape[1]
    if padding_bias is not None:
        padding_bias = padding_bias.reshape(N, 1, 1, S).expand(N, num_heads, 1, S).reshape(N * num_heads, 1, S)
        attn_bias = padding_bias if attn_bias is None else attn_bias + padding_bias

    # ---- attention
    _check_mask_dtype(attn_bias, q.dtype, need_weights)
    if not need_weights and not native:
        # PyTorch hands the heads to F.scaled_dot_product_attention (its nodes, its kernel choice)
        if attn_bias is not None:
            attn_bias = attn_bias.unsqueeze(0) if attn_bias.shape[0] == 1 else attn_bias.view(N, num_heads, -1, S)
        q, k, v = (t.view(N, num_heads, t.shape[1], head_dim) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, attn_bias, dropout_p if training else 0.0, causal_by_kernel)
        out = out.permute(2, 0, 1, 3).contiguous().view(N * L, E)
        out = F.linear(out, out_proj_weight, out_proj_bias).view(L, N, E)
        return (out if batched else out.squeeze(1)), None
    if causal_by_kernel:
        attn_bias = _as_additive(_tg.ones((L, S), dtype=_tg.bool, device=query.device).triu(1), q.dtype)
    scores = q.matmul(k.transpose(-2, -1)) * (1.0 / math.sqrt(head_dim))
    if attn_bias is not None:
        scores = scores + attn_bias
    weights = F.softmax(scores, -1)
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, dropout_p, True)
    out = weights.matmul(v).transpose(0, 1).reshape(L * N, E)
    out = F.linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(N, num_heads, L, S)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights


def _fold_heads(projected, static, name, batch_heads, head_dim):
    if static is None:
        return projected.reshape(projected.shape[0], batch_heads, head_dim).transpose(0, 1)
    if static.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static


def _takes_native_path(module, query, key, value, key_padding_mask, attn_mask):
    """Whether PyTorch's ``nn.MultiheadAttention`` runs its fused inference kernel (CPU, as observed
    from outside; PyTorch's conditions in its order): ``torch.backends.mha`` allows it, batch-first
    self-attention on one 3-D tensor (query, key and value the same object) of the projection's
    dtype in eval mode, nothing to differentiate, the packed projection with biases, an even number
    of heads, no bias_kv or zero attention, and masks, if any, of bool dtype."""
    if not _tg.backends.mha.get_fastpath_enabled():
        return False
    if not (query is key and key is value) or query.dim() != 3 or not module.batch_first or module.training:
        return False
    if module.bias_k is not None or module.bias_v is not None or module.add_zero_attn:
        return False
    if not module._qkv_same_embed_dim or module.in_proj_bias is None or module.num_heads % 2:
        return False
    if query.dtype != module.in_proj_weight.dtype or query.dtype != module.in_proj_bias.dtype:
        return False
    if any(m is not None and m.dtype != _tg.bool for m in (key_padding_mask, attn_mask)):
        return False
    tensors = (query, module.in_proj_weight, module.in_proj_bias, module.out_proj.weight, module.out_proj.bias)
    return not (_tg.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors))


def _why_no_nested_fast_path(module, query, key, value, key_padding_mask, attn_mask):
    """Why PyTorch's ``nn.MultiheadAttention`` leaves its fused path for these inputs, in its words and
    order; past its module checks, a nested tensor (a ``__torch_function__`` subclass there too) is
    the reason itself."""
    floating = any(m is not None and m.is_floating_point() for m in (attn_mask, key_padding_mask))
    reasons = (
        (not _tg.backends.mha.get_fastpath_enabled(), "torch.backends.mha.get_fastpath_enabled() was not True"),
        (query.dim() != 3, f"input not batched; expected query.dim() of 3 but got {query.dim()}"),
        (query is not key or key is not value,
         "non-self attention was used (query, key, and value are not the same Tensor)"),
        (module.in_proj_bias is not None and query.dtype != module.in_proj_bias.dtype,
         f"dtypes of query ({query.dtype}) and self.in_proj_bias ({getattr(module.in_proj_bias, 'dtype', None)}) "
         "don't match"),
        (module.in_proj_weight is None, "in_proj_weight was None"),
        (module.in_proj_weight is not None and query.dtype != module.in_proj_weight.dtype,
         f"dtypes of query ({query.dtype}) and self.in_proj_weight ({getattr(module.in_proj_weight, 'dtype', None)}) "
         "don't match"),
        (module.training, "training is enabled"),
        (module.num_heads % 2 != 0, "self.num_heads is not even"),
        (not module.batch_first, "batch_first was not True"),
        (module.bias_k is not None, "self.bias_k was not None"),
        (module.bias_v is not None, "self.bias_v was not None"),
        (module.add_zero_attn, "add_zero_attn was enabled"),
        (not module._qkv_same_embed_dim, "_qkv_same_embed_dim was not True"),
        (getattr(query, "is_nested", False) and (key_padding_mask is not None or attn_mask is not None),
         "supplying both src_key_padding_mask and src_mask at the same time                                  is "
         "not supported with NestedTensor input"),
        (_tg.is_autocast_enabled(), "autocast is enabled"),
    )
    reason = next((why for hit, why in reasons if hit), None)
    if reason is None:  # (a floating mask's reason is PyTorch's first, overwritten by any later one)
        reason = "floating-point masks are not supported for fast path." if floating else \
            "some Tensor argument has_torch_function"
    return reason


def module_forward(module, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                   average_attn_weights=True, is_causal=False, native=None):
    """``nn.MultiheadAttention.forward`` expressed through ``multi_head_attention_forward``.
    ``native`` forces (or rules out) the fused inference kernel's semantics, for the fused encoder
    layer; None decides as the module does."""
    if any(getattr(t, "is_nested", False) for t in (query, key, value)):
        raise AssertionError("MultiheadAttention does not support NestedTensor outside of its fast path. The fast "
                             "path was not hit because " + _why_no_nested_fast_path(module, query, key, value,
                                                                                   key_padding_mask, attn_mask))
    batched = query.dim() == 3
    if native is None:
        native = _takes_native_path(module, query, key, value, key_padding_mask, attn_mask)
    if native:
        # PyTorch's fused inference kernel takes no causal hint: is_causal is dropped (no mask needed,
        # none made), and attn_mask, if given, is applied as it is; its softmax leaves a query with
        # every key masked as NaN
        is_causal = False
    if module.batch_first and batched:
        query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
    separate = not module._qkv_same_embed_dim
    out, weights = _forward(
        query, key, value, module.embed_dim, module.num_heads, module.in_proj_weight, module.in_proj_bias,
        module.bias_k, module.bias_v, module.add_zero_attn, module.dropout, module.out_proj.weight,
        module.out_proj.bias, module.training, key_padding_mask, need_weights, attn_mask, separate,
        module.q_proj_weight if separate else None, module.k_proj_weight if separate else None,
        module.v_proj_weight if separate else None, None, None, average_attn_weights, is_causal, native=native)
    if module.batch_first and batched:
        out = out.transpose(0, 1)
    return out, weights
