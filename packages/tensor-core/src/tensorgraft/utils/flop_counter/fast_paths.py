"""PyTorch's inference fast paths for attention, whose fused kernels are not in its FLOP table.

In eval mode, without gradients, ``nn.MultiheadAttention`` (self-attention, batch first, an even
number of heads, ...) runs ``torch._native_multi_head_attention`` and ``nn.TransformerEncoderLayer``
``torch._transformer_encoder_layer_fwd``: PyTorch's counter sees neither as a counted op, so such a
call counts 0 FLOPs. tensorgraft runs these modules as their ordinary ops; the checks below repeat
PyTorch's (in its order) so the same calls count 0 here too."""
from __future__ import annotations


def _grad_blocks(tensors) -> bool:
    import tensorgraft
    return tensorgraft.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _common_off() -> bool:
    import tensorgraft
    mha = getattr(tensorgraft.backends, "mha", None)
    return (mha is not None and not mha.get_fastpath_enabled()) or tensorgraft.is_autocast_enabled()


def _attention_module_ok(attn) -> bool:
    return (attn.batch_first and attn.in_proj_bias is not None and attn._qkv_same_embed_dim
            and attn.num_heads % 2 == 0)


def mha_fast(module, args) -> bool:
    """Whether PyTorch's ``MultiheadAttention.forward(*args)`` takes its fast path."""
    if len(args) < 3 or _common_off():
        return False
    query, key, value = args[:3]
    if getattr(query, "dim", None) is None or query.dim() != 3 or not (query is key and key is value):
        return False
    if module.in_proj_weight is None or query.dtype != module.in_proj_weight.dtype or module.training:
        return False
    if not _attention_module_ok(module) or module.bias_k is not None or module.bias_v is not None \
            or module.add_zero_attn:
        return False
    return not _grad_blocks((query, module.in_proj_weight, module.in_proj_bias, module.out_proj.weight,
                             module.out_proj.bias))


def encoder_layer_fast(module, args) -> bool:
    """Whether PyTorch's ``TransformerEncoderLayer.forward(*args)`` takes its fast path."""
    if not args or _common_off():
        return False
    src = args[0]
    attn = module.self_attn
    if getattr(src, "dim", None) is None or src.dim() != 3 or module.training or not _attention_module_ok(attn):
        return False
    if not getattr(module, "activation_relu_or_gelu", False) or module.norm1.eps != module.norm2.eps:
        return False
    if any(len(getattr(m, "_forward_hooks", {})) + len(getattr(m, "_forward_pre_hooks", {})) for m in module.modules()):
        return False
    return not _grad_blocks((src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                             module.norm1.weight, module.norm1.bias, module.norm2.weight, module.norm2.bias,
                             module.linear1.weight, module.linear1.bias, module.linear2.weight,
                             module.linear2.bias))


def module_plan(module, args):
    """([], []) for a module call PyTorch runs as an uncounted fused kernel, else None."""
    kind = type(module).__name__
    if kind == "MultiheadAttention" and mha_fast(module, args):
        return [], []
    if kind == "TransformerEncoderLayer" and encoder_layer_fast(module, args):
        return [], []
    return None
