"""A LLaMA-style decoder as the from-scratch walkthroughs write it: RMSNorm, rotary position
embeddings through torch.polar and view_as_complex, grouped-query attention (repeat_interleave of
the key/value heads) over scaled_dot_product_attention with is_causal, a SwiGLU feed-forward and a
top-2 mixture-of-experts layer with a load-balancing loss, then generation with a KV cache and
top-p (nucleus) sampling."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(1)
VOCAB, DIM, HEADS, KV_HEADS, LAYERS, EXPERTS = 40, 32, 4, 2, 2, 4
HEAD_DIM = DIM // HEADS


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
    t = torch.arange(end, dtype=torch.float32)
    freqs = torch.outer(t, freqs)
    return torch.polar(torch.ones_like(freqs), freqs)


def apply_rotary(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs = freqs_cis.view(1, xq_.shape[1], 1, xq_.shape[-1])
    xq_out = torch.view_as_real(xq_ * freqs).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.wq = nn.Linear(DIM, HEADS * HEAD_DIM, bias=False)
        self.wk = nn.Linear(DIM, KV_HEADS * HEAD_DIM, bias=False)
        self.wv = nn.Linear(DIM, KV_HEADS * HEAD_DIM, bias=False)
        self.wo = nn.Linear(HEADS * HEAD_DIM, DIM, bias=False)

    def forward(self, x, freqs_cis, cache=None):
        b, t, _ = x.shape
        q = self.wq(x).view(b, t, HEADS, HEAD_DIM)
        k = self.wk(x).view(b, t, KV_HEADS, HEAD_DIM)
        v = self.wv(x).view(b, t, KV_HEADS, HEAD_DIM)
        q, k = apply_rotary(q, k, freqs_cis)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=1)
                v = torch.cat([cache["v"], v], dim=1)
            cache["k"], cache["v"] = k, v
        rep = HEADS // KV_HEADS
        k = k.repeat_interleave(rep, dim=2)
        v = v.repeat_interleave(rep, dim=2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None or t > 1)
        return self.wo(out.transpose(1, 2).reshape(b, t, -1))


class SwiGLU(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.w1 = nn.Linear(DIM, hidden, bias=False)
        self.w2 = nn.Linear(hidden, DIM, bias=False)
        self.w3 = nn.Linear(DIM, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class MoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(DIM, EXPERTS, bias=False)
        self.experts = nn.ModuleList([SwiGLU(24) for _ in range(EXPERTS)])

    def forward(self, x):
        flat = x.reshape(-1, DIM)
        probs = F.softmax(self.gate(flat), dim=-1)
        weights, chosen = torch.topk(probs, 2, dim=-1)
        weights = weights / weights.sum(-1, keepdim=True)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            rows, slot = torch.where(chosen == e)
            if rows.numel():
                out.index_add_(0, rows, weights[rows, slot, None] * expert(flat[rows]))
        load = torch.bincount(chosen.flatten(), minlength=EXPERTS).float() / chosen.numel()
        importance = probs.mean(0)
        self.aux_loss = EXPERTS * (load * importance).sum()
        self.last_load = load
        return out.view_as(x)


class Block(nn.Module):
    def __init__(self, moe):
        super().__init__()
        self.attn_norm, self.ffn_norm = RMSNorm(DIM), RMSNorm(DIM)
        self.attn = Attention()
        self.ffn = MoE() if moe else SwiGLU()

    def forward(self, x, freqs_cis, cache=None):
        x = x + self.attn(self.attn_norm(x), freqs_cis, cache)
        return x + self.ffn(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.layers = nn.ModuleList([Block(moe=(i % 2 == 1)) for i in range(LAYERS)])
        self.norm = RMSNorm(DIM)
        self.output = nn.Linear(DIM, VOCAB, bias=False)
        self.register_buffer("freqs_cis", precompute_freqs_cis(HEAD_DIM, 64), persistent=False)

    def forward(self, tokens, start=0, caches=None):
        h = self.embed(tokens)
        freqs = self.freqs_cis[start:start + tokens.shape[1]]
        for i, layer in enumerate(self.layers):
            h = layer(h, freqs, None if caches is None else caches[i])
        return self.output(self.norm(h))


model = Llama()
print("freqs_cis:", model.freqs_cis.dtype, tuple(model.freqs_cis.shape), model.freqs_cis[1, :2])
print("buffers in state_dict:", [k for k in model.state_dict() if "freqs" in k])
print("parameters:", sum(p.numel() for p in model.parameters()))
data = torch.randint(0, VOCAB, (4, 17))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)
for step in range(4):
    logits = model(data[:, :-1])
    ce = F.cross_entropy(logits.reshape(-1, VOCAB), data[:, 1:].reshape(-1))
    aux = model.layers[1].ffn.aux_loss
    loss = ce + 0.01 * aux
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print(f"step {step}: ce {ce.item():.4f} aux {aux.item():.4f} load {model.layers[1].ffn.last_load.tolist()}")

model.eval()
with torch.no_grad():
    full = model(data[:1, :8])
    caches = [{} for _ in range(LAYERS)]
    first = model(data[:1, :7], 0, caches)
    last = model(data[:1, 7:8], 7, caches)
    print("cache matches full pass:", torch.allclose(full[:, -1], last[:, -1], atol=1e-5))
    print("cache shapes:", tuple(caches[0]["k"].shape))


def top_p_sample(logits, p=0.9, temperature=0.8):
    probs = torch.softmax(logits / temperature, dim=-1)
    sorted_probs, idx = torch.sort(probs, dim=-1, descending=True)
    cum = torch.cumsum(sorted_probs, dim=-1)
    mask = cum - sorted_probs > p
    sorted_probs[mask] = 0.0
    sorted_probs.div_(sorted_probs.sum(dim=-1, keepdim=True))
    choice = torch.multinomial(sorted_probs, num_samples=1)
    return torch.gather(idx, -1, choice)


torch.manual_seed(5)
with torch.no_grad():
    tokens = data[:2, :3]
    caches = [{} for _ in range(LAYERS)]
    logits = model(tokens, 0, caches)
    out = [tokens]
    pos = tokens.shape[1]
    for _ in range(6):
        nxt = top_p_sample(logits[:, -1])
        out.append(nxt)
        logits = model(nxt, pos, caches)
        pos += 1
    print("generated:\n", torch.cat(out, dim=1))
