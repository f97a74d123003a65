"""Custom modules and containers: extra_repr, nn.ModuleList / ModuleDict / ParameterList /
ParameterDict reprs and indexing, Sequential with an OrderedDict, add_module, insert/append/
extend, named_children, and the common mistakes (a missing super().__init__() call, assigning a
plain tensor where a Parameter is registered, indexing past the end)."""
# needs: nn
from collections import OrderedDict

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


class Scale(nn.Module):
    def __init__(self, features, init=1.0):
        super().__init__()
        self.features = features
        self.weight = nn.Parameter(torch.full((features,), init))

    def forward(self, x):
        return x * self.weight

    def extra_repr(self):
        return f"features={self.features}, init=full"


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.scale = Scale(dim, 0.5)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.act(self.scale(self.fc(x)))


class Tower(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(dim, 3), "reg": nn.Linear(dim, 1)})
        self.gains = nn.ParameterList([nn.Parameter(torch.ones(dim)) for _ in range(2)])
        self.extras = nn.ParameterDict({"temperature": nn.Parameter(torch.tensor(1.5)),
                                        "offset": nn.Parameter(torch.zeros(3))})

    def forward(self, x, head="cls"):
        for block, gain in zip(self.blocks, self.gains):
            x = block(x) * gain
        return self.heads[head](x) / self.extras["temperature"] + (self.extras["offset"] if head == "cls" else 0)


model = Tower(4, 2)
print(model)
print(model.gains)
print(model.extras)
merged = model.extras | nn.ParameterDict({"bias": nn.Parameter(torch.zeros(1))})
print(list(merged.keys()), merged["temperature"] is model.extras["temperature"])
print(model.extras.setdefault("temperature", torch.zeros(1)), model.extras.copy())
print(len(model.blocks), len(model.heads), len(model.gains), len(model.extras))
print(list(model.heads.keys()), [type(v).__name__ for v in model.heads.values()])
print(model.blocks[-1].scale, model.blocks[0].scale.extra_repr())
x = torch.randn(2, 4)
out = model(x)
print(out, out.shape)
print(model(x, head="reg").grad_fn)
print([n for n, _ in model.named_parameters()])
print([n for n, _ in model.named_children()])
print(sum(p.numel() for p in model.parameters()))

model.blocks.append(Block(4))
model.blocks.insert(0, nn.Identity())
model.blocks.extend([nn.Identity()])
print(len(model.blocks), [type(m).__name__ for m in model.blocks])
print(model.blocks[1:3])
del model.blocks[0]
print(len(model.blocks), type(model.blocks[0]).__name__)
model.heads.update({"aux": nn.Linear(4, 2)})
print(model.heads)
popped = model.heads.pop("aux")
print(popped, "aux" in model.heads)

seq = nn.Sequential(OrderedDict([("conv", nn.Conv1d(2, 3, 3)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool1d(1)),
                                 ("flat", nn.Flatten())]))
print(seq)
print(seq.conv, seq[1], seq[-1])
seq.add_module("head", nn.Linear(3, 2))
seq.append(nn.LogSoftmax(dim=1))
print(seq)
y = seq(torch.randn(4, 2, 5))
print(y.shape, y.grad_fn, y.exp().sum(1).detach().round(decimals=3))
print(nn.Sequential())
print(nn.ModuleList())
print(nn.ParameterList([nn.Parameter(torch.randn(2, 3)), nn.Parameter(torch.randn(3), requires_grad=False)]))

pl = nn.ParameterList()
pl.append(nn.Parameter(torch.zeros(2, dtype=torch.float64)))
pl.append(torch.ones(3))
print(pl, type(pl[1]).__name__)

try:
    seq[10]
except Exception as e:
    print(type(e).__name__, e)
try:
    model.heads["missing"]
except Exception as e:
    print(type(e).__name__, e)


class Forgot(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 2)


try:
    Forgot()
except Exception as e:
    print(type(e).__name__, e)

try:
    model.blocks[0].scale.weight = torch.ones(4)
except Exception as e:
    print(type(e).__name__, e)
model.blocks[0].scale.weight = nn.Parameter(torch.ones(4) * 2)
print(model.blocks[0].scale.weight)
try:
    model.blocks[0].fc = "linear"
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.ModuleList([nn.Linear(1, 1), "not a module"])
except Exception as e:
    print(type(e).__name__, e)
try:
    print(model.does_not_exist)
except Exception as e:
    print(type(e).__name__, e)

plain = torch.randn(3)
model.plain = plain
print("plain" in dict(model.named_parameters()), "plain" in dict(model.named_buffers()), model.plain is plain)
model.blocks[0].scale.register_parameter("bias", None)
print(model.blocks[0].scale.bias, [n for n, _ in model.blocks[0].scale.named_parameters()])
print(F.linear(x, model.heads["cls"].weight).shape)
