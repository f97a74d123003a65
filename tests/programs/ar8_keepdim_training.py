"""A small classifier trained the way "from scratch" tutorials write it: features standardised with
``mean(dim=0, keepdim=True)`` / ``std(...)``, a hand-written softmax with ``amax(..., keepdim=True)``
and ``logsumexp``, a manual SGD step ``p.add_(p.grad, alpha=-lr)`` next to ``torch.optim.SGD``, and
the mistakes people make with ``keepdim`` (an int instead of a bool) and their errors."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
X = torch.randn(24, 5) * 3 + 1
y = (X[:, 0] + X[:, 1] > 2).long()

mu = X.mean(dim=0, keepdim=True)
sd = X.std(dim=0, keepdim=True)
print(mu.shape, sd.shape)
Xn = (X - mu) / sd
print(bool(Xn.mean(0).abs().max() < 1e-5))  # (zero up to rounding)
print(Xn.var(0, keepdim=True))

W = torch.zeros(5, 2, requires_grad=True)
b = torch.zeros(2, requires_grad=True)


def log_softmax(z):
    # the numerically stable form: subtract the row maximum, kept as a column
    z = z - z.amax(dim=1, keepdim=True).detach()
    return z - z.exp().sum(dim=1, keepdim=True).log()


logits = Xn @ W + b
lp = log_softmax(logits)
print(lp.grad_fn.name(), [n for n in dir(lp.grad_fn) if n.startswith("_saved_")])
print(torch.allclose(lp, F.log_softmax(logits, dim=1)))

lr = 0.5
for step in range(6):
    logits = Xn @ W + b
    loss = -log_softmax(logits).gather(1, y[:, None]).mean()
    loss.backward()
    with torch.no_grad():
        for p in (W, b):
            p.add_(p.grad, alpha=-lr)
            p.grad.zero_()
    print(step, f"{loss.item():.4f}")
print(W)

# the same model with nn and optim
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
for epoch in range(5):
    out = model(Xn)
    loss = F.cross_entropy(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    acc = (out.argmax(dim=1, keepdim=True).squeeze(1) == y).float().mean()
    print(epoch, f"{loss.item():.4f}", f"{acc.item():.4f}")

probs = F.softmax(model(Xn), dim=1)
print(probs.sum(dim=1, keepdim=True)[:3].shape, torch.allclose(probs.sum(dim=1, keepdim=True), torch.ones(24, 1)))
print(probs.max(dim=1, keepdim=True).values.shape, probs.logsumexp(dim=1, keepdim=True).shape)
print(probs.sum(dim=1, keepdim=True).grad_fn.name(), probs.mean().grad_fn.name())
print([n for n in dir(probs.mean(1, keepdim=True).grad_fn) if n.startswith("_saved_")])
print([n for n in dir(probs.sum().grad_fn) if n.startswith("_saved_")])

# keepdim must be a bool: an int (or None) is refused before anything runs
for name, call in [
    ("sum", lambda: Xn.sum(1, keepdim=1)),
    ("mean", lambda: Xn.mean(dim=0, keepdim=0)),
    ("amax", lambda: Xn.amax(1, keepdim=None)),
    ("max", lambda: Xn.max(dim=1, keepdim=1)),
    ("logsumexp", lambda: Xn.logsumexp(1, keepdim=1)),
    ("argmax", lambda: Xn.argmax(1, keepdim=1)),
    ("var", lambda: Xn.var(0, keepdim=1)),
    ("std", lambda: Xn.std(0, keepdim=1)),
    ("all", lambda: (Xn > 0).all(1, keepdim=1)),
]:
    try:
        call()
    except Exception as e:
        print(name, type(e).__name__, e)
print(Xn.sum(1, keepdim=True).shape, Xn.sum(1, keepdim=bool(1)).shape)
