"""A small speech-recognition model as ASR tutorials write it, on synthetic filterbank features: a
strided Conv1d front end (output lengths computed from the input lengths), a bidirectional GRU,
log_softmax over characters with blank 0, nn.CTCLoss with input and target lengths (concatenated
targets, zero_infinity for an utterance too short for its transcript), greedy decoding with argmax
and unique_consecutive then blank removal, and word/character error rates from a Python edit
distance; three SGD steps with gradient clipping."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(11)
ALPHABET = "_ abcdefgh"  # index 0 is the CTC blank
FEATS, T_MAX = 12, 40
transcripts = ["bad cafe", "fade", "ace", "a bag head"]
input_lengths = torch.tensor([40, 34, 28, 8])  # the last one is too short for its transcript
features = torch.randn(len(transcripts), FEATS, T_MAX)
features = features * (torch.arange(T_MAX) < input_lengths.unsqueeze(1)).unsqueeze(1)


def encode(text):
    return [ALPHABET.index(c) for c in text]


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


targets = torch.cat([torch.tensor(encode(t)) for t in transcripts])
target_lengths = torch.tensor([len(t) for t in transcripts])
print(targets.tolist())
print(target_lengths, targets.dtype)


class AcousticModel(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(FEATS, hidden, kernel_size=5, stride=2, padding=2),
            nn.BatchNorm1d(hidden),
            nn.Hardtanh(0, 20),
        )
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, len(ALPHABET))

    @staticmethod
    def output_lengths(lengths):
        return torch.div(lengths + 2 * 2 - 5, 2, rounding_mode="floor") + 1

    def forward(self, x):
        h = self.conv(x).transpose(1, 2)  # (B, T', C)
        h, _ = self.gru(h)
        return self.fc(h).log_softmax(-1)


model = AcousticModel()
ctc = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
out_lengths = AcousticModel.output_lengths(input_lengths)
print("output lengths:", out_lengths.tolist())

log_probs = model(features)
print(log_probs.shape, log_probs.grad_fn.name())
per_utt = F.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, target_lengths, reduction="none")
print("per utterance:", per_utt)
per_utt_zero = F.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, target_lengths, reduction="none",
                          zero_infinity=True)
print("zero_infinity:", per_utt_zero)
padded = nn.utils.rnn.pad_sequence([torch.tensor(encode(t)) for t in transcripts], batch_first=True)
same = ctc(log_probs.transpose(0, 1), padded, out_lengths, target_lengths)
print("padded targets:", padded.shape, round(same.item(), 4))


def greedy_decode(log_probs, lengths):
    best = log_probs.argmax(-1)
    texts = []
    for b, n in enumerate(lengths.tolist()):
        collapsed = torch.unique_consecutive(best[b, :n])
        texts.append("".join(ALPHABET[i] for i in collapsed.tolist() if i != 0))
    return texts


for step in range(3):
    model.train()
    opt.zero_grad()
    log_probs = model(features)
    loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
    opt.step()
    print(f"step {step}: ctc {loss.item():.4f} grad norm {norm.item():.4f}")

print("fc bias grad:", model.fc.bias.grad)
model.eval()
with torch.no_grad():
    log_probs = model(features)
hyps = greedy_decode(log_probs, out_lengths)
best = log_probs.argmax(-1)
print(best[3, :out_lengths[3]])
values, counts = torch.unique_consecutive(best[0], return_counts=True)
print(values.tolist(), counts.tolist())
chars = words = 0
for hyp, ref in zip(hyps, transcripts):
    chars += edit_distance(hyp, ref)
    words += edit_distance(hyp.split(), ref.split())
    print(repr(hyp), "vs", repr(ref))
print(f"CER {chars / sum(map(len, transcripts)):.3f} WER {words / sum(len(t.split()) for t in transcripts):.3f}")
print("blank share:", round((best == 0).float().mean().item(), 4))

# decoding random frame posteriors exercises the collapse and blank removal on non-trivial paths
noisy = (torch.randn(4, 20, len(ALPHABET)) * 2).log_softmax(-1)
for hyp, ref in zip(greedy_decode(noisy, out_lengths), transcripts):
    print(repr(hyp), edit_distance(hyp, ref), edit_distance(hyp.split(), ref.split()))
leaf = noisy.transpose(0, 1).detach().requires_grad_()
loss = F.ctc_loss(leaf, targets, out_lengths, target_lengths, reduction="sum", zero_infinity=True)
loss.backward()
print(round(loss.item(), 4), leaf.grad[:, 3].abs().sum().item(), leaf.grad[0, 0])
