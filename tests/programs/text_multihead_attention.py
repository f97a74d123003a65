"""Attention building blocks as users call them: nn.MultiheadAttention (self- and cross-attention,
batch_first, need_weights, average_attn_weights, key_padding_mask, attn_mask bool/float/3-D,
kdim/vdim, add_bias_kv, add_zero_attn), F.scaled_dot_product_attention (is_causal, masks, scale,
dropout in eval, enable_gqa), a hand-written attention checked against it, torch.nn.attention's
sdpa_kernel context, and the errors of common shape mistakes."""
# needs: nn
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.attention import SDPBackend, sdpa_kernel

torch.manual_seed(0)

embed_dim, num_heads = 8, 2
mha = nn.MultiheadAttention(embed_dim, num_heads)
print(mha)
print([(n, tuple(p.shape)) for n, p in mha.named_parameters()])
print(mha.in_proj_weight.shape, mha.out_proj, mha.head_dim, mha.batch_first, mha._qkv_same_embed_dim)
print(mha.in_proj_bias[:4], mha.out_proj.bias[:4])

L, S, N = 3, 4, 2
query = torch.randn(L, N, embed_dim)
key = torch.randn(S, N, embed_dim)
value = torch.randn(S, N, embed_dim)
attn_output, attn_weights = mha(query, key, value)
print(attn_output.shape, attn_weights.shape)
print(attn_output[0])
print(attn_weights[0])
print(attn_output.grad_fn, attn_weights.grad_fn)
out, w = mha(query, key, value, average_attn_weights=False)
print(w.shape, torch.allclose(w.mean(1), attn_weights))
out, w = mha(query, key, value, need_weights=False)
print(out.shape, w)

# self-attention, batch_first, key padding mask
sa = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True, dropout=0.1)
x = torch.randn(2, 5, embed_dim)
kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
sa.eval()
y, w = sa(x, x, x, key_padding_mask=kpm)
print(y.shape, w.shape)
print(w[0])
print(w[0, :, 3:].abs().sum())
causal = nn.Transformer.generate_square_subsequent_mask(5)
y2, w2 = sa(x, x, x, attn_mask=causal)
print(w2[1])
bool_causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
y3, w3 = sa(x, x, x, attn_mask=bool_causal)
print(torch.allclose(w2, w3), torch.allclose(y2, y3, atol=1e-6))
y4, w4 = sa(x, x, x, attn_mask=bool_causal, is_causal=True)
print(torch.allclose(y4, y3, atol=1e-6))
mask3d = torch.zeros(2 * num_heads, 5, 5)
mask3d[:, :, 0] = float("-inf")
y5, w5 = sa(x, x, x, attn_mask=mask3d, average_attn_weights=False)
print(w5.shape, w5[0, 0, :, 0])
y6, w6 = sa(x, x, x, key_padding_mask=kpm.float().masked_fill(kpm, float("-inf")))
print(torch.allclose(w6, w, atol=1e-6))
sa.train()
torch.manual_seed(1)
yt, wt = sa(x, x, x)
print(yt[0, 0], wt.sum(-1)[0])

# inference on a padded batch: eval() + no_grad(), one sequence all padding
sa.eval()
with torch.no_grad():
    all_pad = torch.tensor([[True] * 5, [False, False, False, True, True]])
    y, _ = sa(x, x, x, key_padding_mask=all_pad, need_weights=False)
    print(y[:, 0, :3])
    y, w = sa(x, x, x, key_padding_mask=all_pad)
    print(y[:, 0, :3], w[:, 0])
    y, w = sa(x, x, x, is_causal=True)
    print(w[0, 0])
sa.train()

# different key/value sizes, bias_kv, zero attention
cross = nn.MultiheadAttention(embed_dim, 4, kdim=6, vdim=3, batch_first=True)
print(cross)
print([(n, tuple(p.shape)) for n, p in cross.named_parameters()])
y, w = cross(torch.randn(2, 3, embed_dim), torch.randn(2, 7, 6), torch.randn(2, 7, 3))
print(y.shape, w.shape)
bkv = nn.MultiheadAttention(embed_dim, 2, add_bias_kv=True, add_zero_attn=True)
print(bkv.bias_k.shape, bkv.bias_v.shape)
y, w = bkv(query, key, value)
print(y.shape, w.shape)
print(w[0, 0])

# unbatched input
y, w = mha(torch.randn(3, embed_dim), torch.randn(4, embed_dim), torch.randn(4, embed_dim))
print(y.shape, w.shape)

# backward through attention
q = torch.randn(2, 3, embed_dim, requires_grad=True)
y, _ = nn.MultiheadAttention(embed_dim, 2, batch_first=True)(q, q, q)
y.pow(2).mean().backward()
print(q.grad.shape, q.grad[0, 0])

# scaled dot product attention
torch.manual_seed(0)
B, H, T, D = 2, 2, 4, 8
q, k, v = torch.randn(B, H, T, D), torch.randn(B, H, T, D), torch.randn(B, H, T, D)
out = F.scaled_dot_product_attention(q, k, v)
print(out.shape, out[0, 0, 0])


def manual_attention(q, k, v, mask=None, scale=None):
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    att = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        att = att.masked_fill(mask.logical_not(), float("-inf"))
    att = F.softmax(att, dim=-1)
    return att @ v


print(torch.allclose(out, manual_attention(q, k, v), atol=1e-6))
tril = torch.tril(torch.ones(T, T, dtype=torch.bool))
causal_out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(torch.allclose(causal_out, manual_attention(q, k, v, tril), atol=1e-6))
print(torch.allclose(causal_out, F.scaled_dot_product_attention(q, k, v, attn_mask=tril), atol=1e-6))
float_mask = torch.zeros(T, T).masked_fill(~tril, float("-inf"))
print(torch.allclose(causal_out, F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask), atol=1e-6))
print(F.scaled_dot_product_attention(q, k, v, scale=0.5)[1, 1, 3])
print(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)[0, 1, 2])
bias = torch.randn(T, T)
print(F.scaled_dot_product_attention(q, k, v, attn_mask=bias)[0, 0, 1])
kv_q = torch.randn(B, 4, T, D)
print(F.scaled_dot_product_attention(kv_q, k, v, enable_gqa=True).shape)
print(F.scaled_dot_product_attention(q[0], k[0], v[0]).shape)
print(F.scaled_dot_product_attention(q, k[:, :, :2], v[:, :, :2], is_causal=True)[0, 0])
with sdpa_kernel(SDPBackend.MATH):
    print(F.scaled_dot_product_attention(q, k, v, is_causal=True)[0, 0, 0])
with sdpa_kernel([SDPBackend.MATH, SDPBackend.EFFICIENT_ATTENTION]):
    print(F.scaled_dot_product_attention(q, k, v)[0, 0, 0])
print(SDPBackend.MATH, SDPBackend.FLASH_ATTENTION.name)
qg = q.clone().requires_grad_()
o = F.scaled_dot_product_attention(qg, k, v, is_causal=True)
print(o.grad_fn)
o.sum().backward()
print(qg.grad[0, 0, 0])

for fn in [
    lambda: nn.MultiheadAttention(10, 3),
    lambda: mha(torch.randn(3, 2, 6), key, value),
    lambda: mha(query, torch.randn(5, 2, embed_dim), value),
    lambda: mha(query, key, value, attn_mask=torch.zeros(3, 5)),
    lambda: mha(query, key, value, key_padding_mask=torch.zeros(2, 3, dtype=torch.bool)),
    lambda: sa(x, x, x, is_causal=True),
    lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=tril.long()),
    lambda: F.scaled_dot_product_attention(q, k[..., :4], v),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
