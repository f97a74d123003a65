"""A GRU encoder-decoder with attention on a toy reverse-the-sequence task: variable-length padded
batches, nn.Embedding(padding_idx=0), pack_padded_sequence/pad_packed_sequence with lengths,
Luong (dot) and Bahdanau (additive) scores through bmm with masked_fill(-inf) on the padding and
softmax, teacher forcing, CrossEntropyLoss(ignore_index=0), greedy decoding with argmax and a
width-2 beam search with log_softmax and topk; 4 training steps."""
# needs: nn optim
# tolerance: 1e-3
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)
PAD, SOS, EOS = 0, 1, 2
VOCAB = 10  # tokens 3..9 are "digits"


def make_batch(n, min_len=2, max_len=5):
    lengths = torch.randint(min_len, max_len + 1, (n,))
    srcs = [torch.randint(3, VOCAB, (int(L),)) for L in lengths]
    tgts = [torch.cat([torch.tensor([SOS]), s.flip(0), torch.tensor([EOS])]) for s in srcs]
    return pad_sequence(srcs, batch_first=True), lengths, pad_sequence(tgts, batch_first=True, padding_value=PAD)


src, src_len, tgt = make_batch(6)
print(src)
print(src_len, src_len.dtype)
print(tgt)


class Encoder(nn.Module):
    def __init__(self, vocab, emb, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.rnn = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)

    def forward(self, src, lengths):
        packed = pack_padded_sequence(self.embedding(src), lengths, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        out, out_len = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        h = torch.tanh(self.bridge(torch.cat([h[0], h[1]], dim=-1))).unsqueeze(0)
        return out, out_len, h


class Attention(nn.Module):
    def __init__(self, hidden, enc_dim, kind):
        super().__init__()
        self.kind = kind
        if kind == "luong":
            self.W = nn.Linear(enc_dim, hidden, bias=False)
        else:
            self.Wq = nn.Linear(hidden, hidden)
            self.Wk = nn.Linear(enc_dim, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, query, keys, mask):
        # query (B, H), keys (B, S, E), mask (B, S) True where padding
        if self.kind == "luong":
            scores = torch.bmm(self.W(keys), query.unsqueeze(2)).squeeze(2)
        else:
            scores = self.v(torch.tanh(self.Wq(query).unsqueeze(1) + self.Wk(keys))).squeeze(-1)
        scores = scores.masked_fill(mask, float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
        return context, weights


class Decoder(nn.Module):
    def __init__(self, vocab, emb, hidden, enc_dim, kind):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.attn = Attention(hidden, enc_dim, kind)
        self.cell = nn.GRUCell(emb + enc_dim, hidden)
        self.out = nn.Linear(hidden + enc_dim, vocab)

    def step(self, token, h, enc_out, mask):
        context, weights = self.attn(h, enc_out, mask)
        h = self.cell(torch.cat([self.embedding(token), context], dim=-1), h)
        return self.out(torch.cat([h, context], dim=-1)), h, weights


class Seq2Seq(nn.Module):
    def __init__(self, kind, emb=8, hidden=16):
        super().__init__()
        self.encoder = Encoder(VOCAB, emb, hidden)
        self.decoder = Decoder(VOCAB, emb, hidden, 2 * hidden, kind)

    def forward(self, src, lengths, tgt):
        enc_out, _, h = self.encoder(src, lengths)
        h = h.squeeze(0)
        mask = src == PAD
        logits = []
        for t in range(tgt.size(1) - 1):  # teacher forcing: feed the gold token
            out, h, _ = self.decoder.step(tgt[:, t], h, enc_out, mask)
            logits.append(out)
        return torch.stack(logits, dim=1)


model = Seq2Seq("luong")
print(model)
emb = model.encoder.embedding
print(emb, emb.padding_idx, emb.weight[PAD], emb(torch.tensor([[0, 3]])).shape)

enc_out, out_len, h = model.encoder(src, src_len)
print(enc_out.shape, out_len, h.shape, enc_out.grad_fn.name())
print(enc_out[:, :, 0])
packed = pack_padded_sequence(src, src_len, batch_first=True, enforce_sorted=False)
print(packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
print(packed.data)
mask = src == PAD
ctx, w = model.decoder.attn(h.squeeze(0), enc_out, mask)
print(ctx.shape, w.shape, w.grad_fn.name())
print(w)

criterion = nn.CrossEntropyLoss(ignore_index=PAD)
for kind in ["luong", "bahdanau"]:
    torch.manual_seed(1)
    model = Seq2Seq(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(4):
        logits = model(src, src_len, tgt)
        loss = criterion(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        print(kind, step, logits.shape, f"{loss.item():.5f}")
    print(model.encoder.embedding.weight.grad[PAD], model.decoder.embedding.weight.grad[PAD].abs().sum())

per_token = F.cross_entropy(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1), ignore_index=PAD, reduction="none")
print(per_token.view(logits.shape[:2]))
smoothed = F.cross_entropy(logits.permute(0, 2, 1), tgt[:, 1:], ignore_index=PAD, label_smoothing=0.1)
print(f"{smoothed.item():.5f}", smoothed.grad_fn.name(), logits.permute(0, 2, 1).shape)
print((per_token.sum() / (tgt[:, 1:] != PAD).sum()).item() - criterion(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1)).item() < 1e-6)


@torch.no_grad()
def greedy(model, src, lengths, max_len=7):
    enc_out, _, h = model.encoder(src, lengths)
    h, mask = h.squeeze(0), src == PAD
    token = torch.full((src.size(0),), SOS, dtype=torch.long)
    outputs, attns = [], []
    for _ in range(max_len):
        logits, h, weights = model.decoder.step(token, h, enc_out, mask)
        token = logits.argmax(dim=-1)
        outputs.append(token)
        attns.append(weights)
    return torch.stack(outputs, 1), torch.stack(attns, 1)


model.eval()
ids, attns = greedy(model, src, src_len)
print(ids)
print(attns.shape, attns[0, 0])
print((attns[:, :, -1] == 0).all(dim=1))


@torch.no_grad()
def beam_search(model, src, length, width=2, max_len=6):
    enc_out, _, h = model.encoder(src.unsqueeze(0), length.view(1))
    mask = src.unsqueeze(0) == PAD
    beams = [([SOS], 0.0, h.squeeze(0))]
    finished = []
    for _ in range(max_len):
        candidates = []
        for seq, score, hb in beams:
            logits, h_new, _ = model.decoder.step(torch.tensor([seq[-1]]), hb, enc_out, mask)
            logp = F.log_softmax(logits, dim=-1).squeeze(0)
            top_lp, top_ix = logp.topk(width)
            for lp, ix in zip(top_lp.tolist(), top_ix.tolist()):
                candidates.append((seq + [ix], score + lp, h_new))
        candidates.sort(key=lambda c: c[1], reverse=True)
        beams = []
        for cand in candidates[:width]:
            (finished if cand[0][-1] == EOS else beams).append(cand)
        if not beams:
            break
    finished.extend(beams)
    return sorted(((s, round(sc, 4)) for s, sc, _ in finished), key=lambda c: -c[1])


for i in range(2):
    print(src[i, :src_len[i]].tolist(), beam_search(model, src[i], src_len[i]))

scores = torch.tensor([[0.3, -1.2, 2.0, 0.1]])
print(scores.masked_fill(torch.tensor([[False, True, False, True]]), float("-inf")).softmax(-1))
print(F.log_softmax(scores, dim=-1).topk(2), torch.topk(scores, 3, largest=False, sorted=True))
