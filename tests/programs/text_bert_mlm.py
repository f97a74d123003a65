"""A small BERT-style masked language model as the Hugging Face-era tutorials write it: token, position
and segment embeddings, nn.TransformerEncoder with a key padding mask, the 80/10/10 masking rule
drawn with bernoulli, labels -100 where nothing is predicted, a decoder tied to the token embedding,
no-weight-decay parameter groups by name, linear warmup through LambdaLR, gradient accumulation."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(3)
VOCAB, PAD, CLS, SEP, MASK = 30, 0, 1, 2, 3
B, T, D = 6, 12, 32

lengths = torch.randint(5, T + 1, (B,))
tokens = torch.randint(4, VOCAB, (B, T))
positions = torch.arange(T).unsqueeze(0).expand(B, T)
pad_mask = positions >= lengths.unsqueeze(1)
tokens = tokens.masked_fill(pad_mask, PAD)
tokens[:, 0] = CLS
tokens[torch.arange(B), lengths - 1] = SEP
segments = (positions >= (lengths // 2).unsqueeze(1)).long().masked_fill(pad_mask, 0)
print("lengths:", lengths.tolist())
print(tokens[:2])
print(segments[:2])


def mask_tokens(inputs):
    labels = inputs.clone()
    special = (inputs == PAD) | (inputs == CLS) | (inputs == SEP)
    prob = torch.full(labels.shape, 0.15).masked_fill(special, 0.0)
    chosen = torch.bernoulli(prob).bool()
    labels[~chosen] = -100
    inputs = inputs.clone()
    replaced = torch.bernoulli(torch.full(labels.shape, 0.8)).bool() & chosen
    inputs[replaced] = MASK
    randomized = torch.bernoulli(torch.full(labels.shape, 0.5)).bool() & chosen & ~replaced
    inputs[randomized] = torch.randint(4, VOCAB, labels.shape)[randomized]
    return inputs, labels


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D, padding_idx=PAD)
        self.pos = nn.Embedding(T, D)
        self.seg = nn.Embedding(2, D)
        self.norm = nn.LayerNorm(D)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.1, activation="gelu",
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(D, D), nn.GELU(), nn.LayerNorm(D))
        self.decoder = nn.Linear(D, VOCAB)
        self.decoder.weight = self.tok.weight  # tied

    def forward(self, ids, seg, key_padding_mask):
        pos = torch.arange(ids.size(1)).unsqueeze(0)
        h = self.norm(self.tok(ids) + self.pos(pos) + self.seg(seg))
        h = self.encoder(h, src_key_padding_mask=key_padding_mask)
        return self.decoder(self.head(h))


model = TinyBert()
print("tied:", model.decoder.weight is model.tok.weight)
print("unique parameters:", sum(p.numel() for p in model.parameters()))
names = [n for n, _ in model.named_parameters()]
print(len(names), names[:4], names[-3:])
no_decay = ("bias", "norm", "LayerNorm")
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)], "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
]
print("group sizes:", [len(g["params"]) for g in groups])
opt = torch.optim.AdamW(groups, lr=2e-3, betas=(0.9, 0.98), eps=1e-6)
warmup, total = 3, 8
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))))

accumulate = 2
for step in range(total):
    inputs, labels = mask_tokens(tokens)
    if step == 0:
        print("masked positions:", int((labels != -100).sum().item()))
        print(inputs[:2])
    model.train()
    logits = model(inputs, segments, pad_mask)
    loss = F.cross_entropy(logits.view(-1, VOCAB), labels.view(-1), ignore_index=-100) / accumulate
    loss.backward()
    if (step + 1) % accumulate == 0:
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        print(f"step {step}: loss {loss.item() * accumulate:.4f} grad norm {norm.item():.4f} "
              f"lr {sched.get_last_lr()[0]:.6f}")
    sched.step()

model.eval()
with torch.no_grad():
    probe = tokens.clone()
    probe[:, 1] = MASK
    logits = model(probe, segments, pad_mask)
    top = logits[:, 1].softmax(-1).topk(3, dim=-1)
    print("top-3 at the masked slot:", top.indices.tolist())
    print("probabilities:", top.values.round(decimals=4))
    ppl = math.exp(F.cross_entropy(logits[:, 1], tokens[:, 1]).item())
    print(f"pseudo-perplexity {ppl:.3f}")
print(model.decoder.weight.grad is None, opt.state_dict()["param_groups"][0]["weight_decay"])
