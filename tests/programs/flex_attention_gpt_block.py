# needs: nn
# A GPT-style causal self-attention block on FlexAttention (the attention-gym recipes): a
# sliding-window causal BlockMask from create_block_mask, an ALiBi score_mod, and a learned
# per-head relative-position bias whose gradient flows through score_mod.
import math

import tensorgraft
import tensorgraft.nn as nn
from tensorgraft.nn.attention.flex_attention import and_masks, create_block_mask, flex_attention

tensorgraft.manual_seed(0)

B, H, S, D = 2, 4, 256, 16
WINDOW = 64


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding_window(b, h, q_idx, kv_idx):
    return q_idx - kv_idx <= WINDOW


sliding_window_causal = and_masks(causal, sliding_window)


def alibi_slopes(n_heads):
    return tensorgraft.tensor([2 ** (-8 * (i + 1) / n_heads) for i in range(n_heads)])


slopes = alibi_slopes(H)


def alibi(score, b, h, q_idx, kv_idx):
    return score + slopes[h] * (kv_idx - q_idx)


block_mask = create_block_mask(sliding_window_causal, B=None, H=None, Q_LEN=S, KV_LEN=S, device="cpu",
                               BLOCK_SIZE=32)
print(block_mask)
print(block_mask.shape, block_mask.BLOCK_SIZE)
print(f"sparsity {block_mask.sparsity():.2f}")
print(block_mask.kv_num_blocks)
print(block_mask.kv_indices[0, 0, :, :3])
print(block_mask.full_kv_num_blocks)
print(block_mask.to_dense()[0, 0])
print(block_mask[0])

# a per-batch mask: document ids packed into one sequence (the "document masking" recipe)
doc_id = tensorgraft.tensor([[0] * 100 + [1] * 156, [0] * 200 + [1] * 56])


def document_causal(b, h, q_idx, kv_idx):
    return (doc_id[b, q_idx] == doc_id[b, kv_idx]) & (q_idx >= kv_idx)


doc_mask = create_block_mask(document_causal, B=B, H=None, Q_LEN=S, KV_LEN=S, device="cpu", BLOCK_SIZE=64)
print(doc_mask)
print(doc_mask.kv_num_blocks, doc_mask.full_kv_num_blocks)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_mask, max_distance=S):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head
        self.block_mask = block_mask
        # one learned bias per head and (clamped) distance, as in T5-style relative attention
        self.rel_bias = nn.Parameter(tensorgraft.zeros(n_head, max_distance))

    def forward(self, x):
        Bsz, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(Bsz, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(Bsz, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(Bsz, T, self.n_head, C // self.n_head).transpose(1, 2)
        rel_bias = self.rel_bias

        def score_mod(score, b, h, q_idx, kv_idx):
            return score + slopes[h] * (kv_idx - q_idx) + rel_bias[h, q_idx - kv_idx]

        y = flex_attention(q, k, v, score_mod=score_mod, block_mask=self.block_mask)
        y = y.transpose(1, 2).contiguous().view(Bsz, T, C)
        return self.c_proj(y)


x = tensorgraft.randn(B, S, H * D)
attn = CausalSelfAttention(H * D, H, block_mask)
with tensorgraft.no_grad():
    attn.rel_bias.normal_(0, 0.1)

# plain flex_attention against the same thing written with softmax
q, k, v = (tensorgraft.randn(B, H, S, D) for _ in range(3))
out = flex_attention(q, k, v, score_mod=alibi, block_mask=block_mask)
pos = tensorgraft.arange(S)
allowed = (pos[:, None] >= pos[None, :]) & (pos[:, None] - pos[None, :] <= WINDOW)
scores = q @ k.transpose(-2, -1) / math.sqrt(D) + slopes.view(H, 1, 1) * (pos[None, :] - pos[:, None])
ref = scores.masked_fill(~allowed, float("-inf")).softmax(-1) @ v
print(tuple(out.shape), out.dtype, f"max diff {(out - ref).abs().max().item() < 1e-5}")
print(out[0, 1, :3, :4])
print(out[1, 3, -2:, :4])
print(f"{out.mean().item():.5f} {out.std().item():.5f}")

out, lse = flex_attention(q, k, v, block_mask=block_mask, return_lse=True)
print(tuple(lse.shape), lse[0, 0, :4], lse[1, 2, -3:])
doc_out = flex_attention(q, k, v, block_mask=doc_mask, scale=0.5)
print(doc_out[0, 0, 99:102, :3], doc_out[1, 0, 199:202, :3])

# the block: forward, then the gradient of the parameters (q/k/v come from a Linear whose input
# needs no grad, and PyTorch's CPU eager path refuses gradients for q/k/v, so keep only rel_bias)
for p in attn.c_attn.parameters():
    p.requires_grad_(False)
y = attn(x)
print(tuple(y.shape), f"{y.sum().item():.4f}", y[0, :2, :4])
loss = y.pow(2).sum()
loss.backward()
g = attn.rel_bias.grad
print(f"loss {loss.item():.4f}")
print(tuple(g.shape), f"{g.abs().sum().item():.4f}")
print(g[:, :4])
print(g[:, 60:66])
print("outside the window:", g[:, WINDOW + 1:].abs().max().item())
print(attn.c_proj.weight.grad.shape, f"{attn.c_proj.weight.grad.norm().item():.4f}")
