"""A BiLSTM-CRF named-entity tagger as the classic tutorials write it, batched: packed BiLSTM emissions,
a CRF layer whose partition function runs the forward algorithm with logsumexp over the transition
matrix, the gold path's score gathered from emissions and transitions, masks for padded sequences
(torch.where keeps the old alpha past a sequence's end), Viterbi decoding with max/argmax and
backtracking in Python, and three Adam steps on the negative log-likelihood."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(7)
VOCAB, TAGS, PAD = 20, 5, 0
B, T, E, H = 4, 7, 8, 6

lengths = torch.tensor([7, 5, 4, 2])
positions = torch.arange(T).unsqueeze(0).expand(B, T)
mask = positions < lengths.unsqueeze(1)
words = torch.randint(1, VOCAB, (B, T)).masked_fill(~mask, PAD)
tags = torch.randint(0, TAGS, (B, T)).masked_fill(~mask, 0)
print(words)
print(tags)
print(mask.int())


class CRF(nn.Module):
    def __init__(self, num_tags):
        super().__init__()
        self.start = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.trans = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))

    def gold_score(self, emissions, tags, mask):
        batch = torch.arange(emissions.size(0))
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        trans = self.trans[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        score = self.start[tags[:, 0]] + emit[:, 0]
        score = score + ((emit[:, 1:] + trans) * mask[:, 1:].float()).sum(1)
        last = tags[batch, mask.sum(1) - 1]
        return score + self.end[last]

    def partition(self, emissions, mask):
        alpha = self.start + emissions[:, 0]  # (B, K)
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def nll(self, emissions, tags, mask):
        return (self.partition(emissions, mask) - self.gold_score(emissions, tags, mask)).mean()

    @torch.no_grad()
    def viterbi(self, emissions, mask):
        score = self.start + emissions[:, 0]
        history = []
        for t in range(1, emissions.size(1)):
            total = score.unsqueeze(2) + self.trans.unsqueeze(0)
            best, idx = total.max(dim=1)
            history.append(idx)
            score = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], score)
        score = score + self.end
        best_scores, best_last = score.max(dim=1)
        paths = []
        for b, n in enumerate(mask.sum(1).tolist()):
            tag = best_last[b].item()
            path = [tag]
            for idx in reversed(history[:n - 1]):
                tag = idx[b, tag].item()
                path.append(tag)
            paths.append(path[::-1])
        return best_scores, paths


class BiLSTMCRF(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, E, padding_idx=PAD)
        self.lstm = nn.LSTM(E, H, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * H, TAGS)
        self.crf = CRF(TAGS)

    def emissions(self, words, lengths):
        packed = pack_padded_sequence(self.embed(words), lengths, batch_first=True, enforce_sorted=True)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=words.size(1))
        return self.proj(out)


model = BiLSTMCRF()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
emissions = model.emissions(words, lengths)
print(emissions.shape, emissions.grad_fn.name())
gold = model.crf.gold_score(emissions, tags, mask)
logz = model.crf.partition(emissions, mask)
print("gold:", gold)
print("log Z:", logz)
print("all below log Z:", bool((gold < logz).all()))

# brute force over every path of the shortest sentence checks the forward algorithm
n = lengths[-1].item()
paths = torch.cartesian_prod(*[torch.arange(TAGS)] * n)
e = emissions[-1, :n].detach()
crf = model.crf
scores = crf.start.detach()[paths[:, 0]] + e[0, paths[:, 0]] + crf.end.detach()[paths[:, -1]]
for t in range(1, n):
    scores = scores + crf.trans.detach()[paths[:, t - 1], paths[:, t]] + e[t, paths[:, t]]
print("brute force:", round(torch.logsumexp(scores, 0).item(), 4), round(logz[-1].item(), 4))
print("brute best:", paths[scores.argmax()].tolist(), round(scores.max().item(), 4))

for step in range(3):
    opt.zero_grad()
    loss = model.crf.nll(model.emissions(words, lengths), tags, mask)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    print(f"step {step}: nll {loss.item():.4f} grad norm {norm.item():.4f}")
print("trans grad:", model.crf.trans.grad.round(decimals=3))

model.eval()
best_scores, best_paths = model.crf.viterbi(model.emissions(words, lengths), mask)
print("viterbi scores:", best_scores)
for path, gold_tags, n in zip(best_paths, tags.tolist(), lengths.tolist()):
    correct = sum(int(p == g) for p, g in zip(path, gold_tags[:n]))
    print(path, f"{correct}/{n}")
