# needs: nn optim
# Counting FLOPs the way the PyTorch docs and blog posts do: FlopCounterMode around a forward and
# backward pass of an MLP and a small CNN, totals, per-module counts and the printed table.
import tensorgraft
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.flop_counter import FlopCounterMode

tensorgraft.manual_seed(0)


class MLP(nn.Module):
    def __init__(self, d_in=32, hidden=64, d_out=10):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, d_out, bias=False)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, stride=2), nn.ReLU(),
        )
        self.classifier = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.flatten(1))


def show(counter):
    print("total:", counter.get_total_flops())
    for module, ops in sorted(counter.get_flop_counts().items()):
        print(f"  {module}:", sorted((str(op), n) for op, n in ops.items()))


mlp = MLP()
x = tensorgraft.randn(16, 32)
with FlopCounterMode(mlp, display=False) as counter:
    loss = F.cross_entropy(mlp(x), tensorgraft.arange(16) % 10)
    loss.backward()
show(counter)
print(counter.get_table(depth=2))

# forward only, in inference mode: no backward entries
counter = FlopCounterMode(display=False)
with counter, tensorgraft.no_grad():
    mlp(x)
print("forward only:", counter.get_total_flops(), 2 * 16 * (32 * 64 + 64 * 64 + 64 * 10))
show(counter)

cnn = SmallCNN()
images = tensorgraft.randn(4, 3, 16, 16)
opt = tensorgraft.optim.SGD(cnn.parameters(), lr=0.1)
with FlopCounterMode(cnn, display=False, depth=1) as counter:
    opt.zero_grad()
    out = cnn(images)
    loss = F.cross_entropy(out, tensorgraft.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
show(counter)
print(counter.get_table(depth=1))
print(counter.get_table())

# a plain function, matmuls and bmm outside any module
a, b = tensorgraft.randn(8, 16, 32), tensorgraft.randn(8, 32, 4)
with FlopCounterMode(display=False) as counter:
    c = tensorgraft.bmm(a, b)
    d = a @ b
    e = tensorgraft.einsum("bij,bjk->bik", a, b)
    f = tensorgraft.addmm(tensorgraft.zeros(16, 4), a[0], b[0])
show(counter)
print(tensorgraft.allclose(c, d, atol=1e-5), tensorgraft.allclose(c, e, atol=1e-5), tensorgraft.allclose(f, c[0], atol=1e-5))
print(counter.get_table())

# a tiny language model: GRU, a projection, the output layer tied to the embedding, and one
# Linear applied twice (the backward's attribution follows PyTorch's module tracker)


class TinyLM(nn.Module):
    def __init__(self, vocab=20, dim=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, ids):
        h, _ = self.rnn(self.emb(ids))
        h = self.proj(self.proj(h).tanh())
        return h @ self.emb.weight.t()


lm = TinyLM()
ids = tensorgraft.randint(0, 20, (2, 6))
with FlopCounterMode(display=False) as counter:
    logits = lm(ids)
    loss = F.cross_entropy(logits.flatten(0, 1), ids.flatten())
    loss.backward()
show(counter)
print(counter.get_table())

# activation checkpointing recomputes the forward in the backward (counted again), and a custom
# autograd.Function's backward runs ops of its own (counted too)
from tensorgraft.utils.checkpoint import checkpoint  # noqa: E402


class LinearFn(tensorgraft.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w.t()

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w, grad.t() @ x


class CheckpointedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32)) for _ in range(2))
        self.head = nn.Parameter(tensorgraft.randn(10, 32) * 0.1)

    def forward(self, x):
        for block in self.blocks:
            x = x + checkpoint(block, x, use_reentrant=False)
        return LinearFn.apply(x, self.head)


model = CheckpointedMLP()
with FlopCounterMode(display=False) as counter:
    model(tensorgraft.randn(16, 32)).sum().backward()
show(counter)
print(counter.get_table(depth=1))
