"""A next-token model whose vocabulary head is nn.LinearCrossEntropyLoss: the projection to the vocabulary
and the cross entropy in one criterion, first the reference path, then chunked with LinearCrossEntropyOptions
(the same values and gradients without the whole (tokens, vocab) logits at once); the K-dimensional and
probability-target forms from the docs, the fallback warning, and the second-backward rule."""
# needs: nn optim
import warnings

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM, T = 50, 8, 24
tokens = torch.randint(0, VOCAB, (T + 1,))
inputs, targets = tokens[:-1], tokens[1:]


class TinyLM(nn.Module):
    def __init__(self, options=None):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.mix = nn.Linear(DIM, DIM)
        self.head = nn.LinearCrossEntropyLoss(DIM, VOCAB, bias=True, options=options)

    def forward(self, x, y):
        return self.head(torch.tanh(self.mix(self.embed(x))), y)


torch.manual_seed(1)
ref = TinyLM()
torch.manual_seed(1)
chunked = TinyLM(nn.LinearCrossEntropyOptions(batch_chunk_size=5))
print(chunked)
print(list(chunked.state_dict().keys()))
print(chunked.head.linear.weight.shape, chunked.head.linear.bias[:4])

for model in (ref, chunked):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(6):
        opt.zero_grad()
        loss = model(inputs, targets)
        loss.backward()
        opt.step()
        history.append(round(loss.item(), 4))
    print(type(loss.grad_fn).__name__, history)
print(torch.allclose(ref.head.linear.weight, chunked.head.linear.weight, atol=1e-5))

# per-token losses, the chunked 'none' path recomputes its logits in backward
hidden = torch.randn(T, DIM, requires_grad=True)
w = torch.randn(VOCAB, DIM, requires_grad=True)
opts = nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio")
per_token = F.linear_cross_entropy(hidden, w, targets, reduction="none", options=opts)
print(per_token[:5], per_token.grad_fn.__class__.__name__)
per_token[::2].sum().backward()
print(hidden.grad[0], w.grad.abs().sum())
print(opts._adjust(T, DIM, VOCAB, torch.float32, torch.device("cpu")))

# class weights and ignore_index (None means -100 for class indices)
weight = torch.linspace(0.5, 1.5, VOCAB)
masked = targets.clone()
masked[::3] = -100
for options in (None, nn.LinearCrossEntropyOptions(batch_chunk_size=7)):
    print(F.linear_cross_entropy(hidden, w, masked, weight=weight, options=options))

# the K-dimensional loss and probability targets of the docs
torch.manual_seed(283)
loss_fn = nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
x = torch.randn(2, 5, requires_grad=True)
print(loss_fn(x, torch.randint(0, 10, (2, 4, 3))))
print(loss_fn(x, torch.randn(2, 10, 4, 3).softmax(dim=1)))

# options the chunked path cannot honour are ignored, with a warning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    smoothed = F.linear_cross_entropy(hidden, w, targets, label_smoothing=0.1, options=opts)
print(smoothed, caught[0].message)

# the scalar chunked loss hands its gradients out once
loss = F.linear_cross_entropy(hidden, w, targets, options=nn.LinearCrossEntropyOptions())
loss.backward(retain_graph=True)
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", err)
