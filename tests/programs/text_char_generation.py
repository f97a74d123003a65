"""Char-level language model ('char-rnn' / 'Generating Names with a Character-Level RNN' style): a
vocabulary from a tiny corpus, an Embedding + 2-layer LSTM + Linear model trained with CrossEntropyLoss
on shifted sequences, gradient clipping, then generation by temperature sampling with
torch.multinomial and greedy argmax decoding, carrying (h, c) between steps."""
# needs: nn optim
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
random.seed(0)

text = "hello world. hello there. the world says hello. "
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for ch, i in stoi.items()}
vocab_size = len(chars)
print(vocab_size, "".join(chars))
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(data[:12], data.shape, data.dtype)

seq_len = 8


def get_batch(batch_size=4):
    ix = torch.randint(len(data) - seq_len, (batch_size,))
    x = torch.stack([data[i:i + seq_len] for i in ix])
    y = torch.stack([data[i + 1:i + seq_len + 1] for i in ix])
    return x, y


xb, yb = get_batch()
print(xb)
print(yb)


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed=12, hidden=24, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        emb = self.embed(x)
        out, state = self.lstm(emb, state)
        return self.head(out), state


model = CharLSTM(vocab_size)
print(model)
print(sum(p.numel() for p in model.parameters()))
for name, p in model.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)

logits, (h, c) = model(xb)
print(logits.shape, h.shape, c.shape)
print(logits.grad_fn, h.grad_fn is not None)
loss = F.cross_entropy(logits.view(-1, vocab_size), yb.view(-1))
print(f"initial loss {loss.item():.4f} (ln V = {torch.log(torch.tensor(float(vocab_size))).item():.4f})")

optimizer = torch.optim.AdamW(model.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()
for step in range(60):
    model.train()
    xb, yb = get_batch(8)
    logits, _ = model(xb)
    loss = criterion(logits.reshape(-1, vocab_size), yb.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 15 == 0:
        print(f"step {step} loss {loss.item():.4f} grad norm {norm.item():.4f}")

model.eval()
print(model.training, model.lstm.training)


@torch.no_grad()
def generate(start, n, temperature=1.0, greedy=False):
    idx = torch.tensor([[stoi[c] for c in start]])
    logits, state = model(idx)
    out = list(start)
    last = logits[:, -1, :]
    for _ in range(n):
        if greedy:
            nxt = last.argmax(dim=-1, keepdim=True)
        else:
            probs = F.softmax(last / temperature, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1)
        out.append(itos[nxt.item()])
        logits, state = model(nxt, state)
        last = logits[:, -1, :]
    return "".join(out)


print(repr(generate("hel", 20, greedy=True)))
torch.manual_seed(42)
print(repr(generate("the", 20, temperature=0.8)))
torch.manual_seed(42)
print(repr(generate("the", 20, temperature=0.8)))

probs = F.softmax(torch.tensor([[2.0, 1.0, 0.1, -1.0]]), dim=-1)
print(probs)
torch.manual_seed(3)
print(torch.multinomial(probs, 5, replacement=True))
print(torch.multinomial(probs, 4))
g = torch.Generator().manual_seed(7)
print(torch.multinomial(probs[0], 3, generator=g))
print(torch.multinomial(torch.tensor([0.0, 0.0, 1.0]), 2, replacement=True))
try:
    torch.multinomial(probs, 5)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.multinomial(torch.tensor([0.5, -0.1]), 1)
except Exception as e:
    print(type(e).__name__, e)
try:
    model.embed(torch.tensor([[vocab_size]]))
except Exception as e:
    print(type(e).__name__, e)
try:
    model.embed(torch.tensor([[1.0, 2.0]]))
except Exception as e:
    print(type(e).__name__, e)

# sampling with top-k filtering
logits = torch.tensor([[1.0, 3.0, 0.5, 2.5, -1.0]])
v, ix = torch.topk(logits, 2)
print(v, ix)
filtered = logits.clone()
filtered[filtered < v[:, [-1]]] = -float("inf")
print(filtered)
print(F.softmax(filtered, dim=-1))
torch.manual_seed(5)
print(torch.multinomial(F.softmax(filtered, dim=-1), 6, replacement=True))
