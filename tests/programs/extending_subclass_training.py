"""A Tensor subclass through a training loop: inputs marked with a subclass flow through nn layers,
losses and backward, subclass constructors written with Tensor._make_subclass carry metadata,
nn.Parameter (and a subclass of it) stays out of dispatch, and a mode counts what a training step
calls directly."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.overrides import TorchFunctionMode


class Marked(torch.Tensor):
    """Remembers how many torch functions produced it."""

    @staticmethod
    def __new__(cls, data, depth=0):
        t = torch.Tensor._make_subclass(cls, data, data.requires_grad)
        t.depth = depth
        return t

    def __init__(self, data, depth=0):
        pass

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        depths = [getattr(a, "depth", 0) for a in args if isinstance(a, Marked)]
        out = super().__torch_function__(func, types, args, kwargs)
        if isinstance(out, Marked):
            out.depth = max(depths, default=0) + 1
        return out


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = Marked(torch.randn(16, 4))
y = torch.randint(0, 3, (16,))
print(type(x).__name__, x.depth, x.requires_grad, x.is_leaf)
for step in range(3):
    opt.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    opt.step()
    print(step, type(out).__name__, out.depth, type(loss).__name__, round(loss.item(), 4))
print([type(p).__name__ for p in model.parameters()])
print(type(model[0].weight.grad).__name__)

w = Marked(torch.ones(3, requires_grad=True), depth=5)
print(w.depth, w.requires_grad, w.is_leaf, w.grad_fn)
s = (w * 2).sum()
print(type(s).__name__, s.depth, s)
s.backward()
print(type(w.grad).__name__, w.grad)


class MyParam(nn.Parameter):
    pass


p = MyParam(torch.ones(2))
print(type(p).__name__, type(p * 2).__name__, type(p.detach()).__name__, p.requires_grad)
buf = nn.Buffer(torch.zeros(2))
print(type(buf + 1).__name__)


class CallCounter(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(func.__name__)
        return func(*args, **(kwargs or {}))


xs = torch.randn(5, 4)
ys = torch.randint(0, 3, (5,))
with CallCounter() as counter:
    logits = F.linear(F.relu(F.linear(xs, model[0].weight, model[0].bias)), model[2].weight, model[2].bias)
    loss = F.cross_entropy(logits, ys)
    probs = torch.softmax(logits, dim=1)
    top = probs.argmax(dim=1)
print(counter.names)
print(top.shape, round(loss.item(), 4))
