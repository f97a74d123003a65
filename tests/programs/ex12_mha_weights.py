"""nn.MultiheadAttention as blog posts on attention visualisation use it: need_weights with
averaged and per-head weights, kdim/vdim for cross-attention, add_bias_kv / add_zero_attn,
boolean and float attn_mask, key_padding_mask, and F.scaled_dot_product_attention with
is_causal, plus the errors users hit with wrong mask shapes."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(1)
E, H, L, S, N = 6, 3, 4, 5, 2

mha = nn.MultiheadAttention(E, H, batch_first=True)
print(mha)
print({k: tuple(v.shape) for k, v in mha.state_dict().items()})
print("head_dim", mha.head_dim, "qkv same:", mha._qkv_same_embed_dim)

q = torch.randn(N, L, E)
kv = torch.randn(N, S, E)
out, w = mha(q, kv, kv)
print(out.shape, w.shape, out.grad_fn.name())
print(w[0].round(decimals=4))
print("rows sum to 1:", torch.allclose(w.sum(-1), torch.ones(N, L)))
out2, w_heads = mha(q, kv, kv, average_attn_weights=False)
print("per head", w_heads.shape, torch.allclose(w_heads.mean(1), w, atol=1e-6))
out3, none = mha(q, kv, kv, need_weights=False)
print("need_weights=False ->", none, torch.allclose(out3, out, atol=1e-6))

# padded keys are never attended to
kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
_, wk = mha(q, kv, kv, key_padding_mask=kpm)
print("masked key weights:", wk[1, :, 3:].abs().max().item())
print(wk[1].round(decimals=4))

# a float attn_mask is added to the scores; a 3-D mask is per (batch*head)
fmask = torch.zeros(L, S)
fmask[:, 0] = float("-inf")
_, wf = mha(q, kv, kv, attn_mask=fmask)
print("column 0:", wf[..., 0].sum().item())
bmask3 = torch.zeros(N * H, L, S, dtype=torch.bool)
bmask3[:, :, -1] = True
_, wb = mha(q, kv, kv, attn_mask=bmask3, average_attn_weights=False)
print("per-head masked", wb.shape, wb[..., -1].max().item())

# cross-attention with other key/value sizes, sequence-first layout
cross = nn.MultiheadAttention(E, 2, kdim=3, vdim=7, bias=False)
print(cross)
print(sorted(n for n, _ in cross.named_parameters()))
k = torch.randn(S, N, 3)
v = torch.randn(S, N, 7)
o, wc = cross(torch.randn(L, N, E), k, v)
print(o.shape, wc.shape)

extra = nn.MultiheadAttention(E, H, add_bias_kv=True, add_zero_attn=True, batch_first=True)
print("bias_k", extra.bias_k.shape, "bias_v", extra.bias_v.shape)
o, we = extra(q, kv, kv)
print("with bias_kv + zero_attn", o.shape, we.shape)

# self-attention gradient
x = torch.randn(N, L, E, requires_grad=True)
y, _ = mha(x, x, x, need_weights=False)
y.pow(2).mean().backward()
print("grad", x.grad.shape, f"{x.grad.norm().item():.4f}")
print("in_proj grad", f"{mha.in_proj_weight.grad.abs().sum().item():.4f}")

# scaled_dot_product_attention: the fused function the module builds on
qh = torch.randn(N, H, L, 2)
kh = torch.randn(N, H, L, 2)
vh = torch.randn(N, H, L, 2)
a = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True)
manual = torch.softmax((qh @ kh.transpose(-2, -1)) / 2 ** 0.5
                       + torch.triu(torch.full((L, L), float("-inf")), 1), dim=-1) @ vh
print("sdpa causal == manual:", torch.allclose(a, manual, atol=1e-6))
print(a[0, 0].round(decimals=4))
s = F.scaled_dot_product_attention(qh, kh, vh, scale=1.0, attn_mask=torch.ones(L, L, dtype=torch.bool).tril())
print("scale=1 causal via mask:", s[1, 2, -1].round(decimals=4))

for bad in [lambda: mha(q, kv, kv, key_padding_mask=torch.zeros(N, S + 1, dtype=torch.bool)),
            lambda: mha(q, kv, kv, attn_mask=torch.zeros(L, S + 1)),
            lambda: mha(q, kv, kv, attn_mask=torch.zeros(3, L, S)),
            lambda: mha(q, kv[:, :, :4], kv),
            lambda: nn.MultiheadAttention(7, 2)]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
