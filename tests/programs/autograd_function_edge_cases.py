"""Custom autograd.Function corner cases users run into (forum questions and the 'Extending
PyTorch' notes): non-tensor and None outputs, returning an input unchanged, saving outputs and
intermediate tensors, ctx attributes, Function.vjp alias, apply with keyword arguments,
mark_dirty on a view, errors for bad backward returns, and a Function-based straight-through
estimator trained inside a small model with gradient checkpointing."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import Function
from tensorgraft.utils.checkpoint import checkpoint

torch.manual_seed(0)


class SplitStats(Function):
    @staticmethod
    def forward(ctx, x):
        mean = x.mean()
        ctx.n = x.numel()
        return mean, x.numel(), "stats"

    @staticmethod
    def backward(ctx, g_mean, g_n, g_s):
        print("grads for non-tensor outputs:", g_n, g_s)
        return g_mean.expand(ctx.n).clone() / ctx.n


x = torch.arange(4.0, requires_grad=True)
m, n, s = SplitStats.apply(x)
print(m, n, s)
m.backward()
print(x.grad)


class Passthrough(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a, b * 2

    @staticmethod
    def backward(ctx, ga, gb):
        return ga, gb * 2


a = torch.ones(2, requires_grad=True)
b = torch.ones(2, requires_grad=True)
pa, pb = Passthrough.apply(a, b)
print(pa is a, pa.grad_fn.name(), pb.grad_fn.name(), pa.is_leaf)
(pa * 3 + pb).sum().backward()
print(a.grad, b.grad)


class SaveOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y

    vjp = backward


z = torch.tensor([0.0, 1.0], requires_grad=True)
out = SaveOutput.apply(z)
try:
    out.sum().backward()
except Exception as e:
    print(type(e).__name__, e)


class VjpOnly(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


VjpOnly.apply(z).sum().backward()
print(z.grad)
print(VjpOnly.backward is VjpOnly.vjp)
try:
    SaveOutput.apply(x=z)
except Exception as e:
    print(type(e).__name__, e)


class SaveIntermediate(Function):
    @staticmethod
    def forward(ctx, x):
        t = x * 2
        ctx.save_for_backward(t)
        return t.sin()

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        return g * t.cos() * 2


z.grad = None
SaveIntermediate.apply(z).sum().backward()
print(z.grad)


class DirtyView(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


base = torch.ones(4, requires_grad=True).clone()
view = base[:2]
r = DirtyView.apply(view)
print(r.grad_fn.name(), base.grad_fn.name(), view._version)
leaf = torch.ones(4, requires_grad=True)
base = leaf.clone()
DirtyView.apply(base[1:3])
(base * torch.arange(4.0)).sum().backward()
print(leaf.grad)


class ReturnsTooMany(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g, g


class ReturnsInt(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return 1


class ReturnsWrongDtype(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g.double()


for F_ in (ReturnsTooMany, ReturnsInt, ReturnsWrongDtype):
    q = torch.ones(2, requires_grad=True)
    try:
        F_.apply(q).sum().backward()
        print(F_.__name__, q.grad, q.grad.dtype)
    except Exception as e:
        print(F_.__name__, type(e).__name__, e)


class NoForward(Function):
    pass


try:
    NoForward.apply(torch.ones(1))
except Exception as e:
    print(type(e).__name__, e)


class SavesNonTensor(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x, 3)
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g


try:
    SavesNonTensor.apply(torch.ones(1, requires_grad=True))
except Exception as e:
    print(type(e).__name__, e)


# straight-through estimator for sign(), trained with checkpointed blocks
class STESign(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sign()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class BinaryBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)

    def forward(self, x):
        return F.relu(self.fc(STESign.apply(x))) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([BinaryBlock(8) for _ in range(2)])
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = checkpoint(blk, h, use_reentrant=False)
        return self.out(h)


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
xs = torch.randn(16, 4)
ys = (xs[:, 0] > 0).long()
for step in range(30):
    opt.zero_grad()
    logits = net(xs)
    loss = F.cross_entropy(logits, ys)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(step, f"{loss.item():.4f}", logits.grad_fn.name())
print(net.blocks[0].fc.weight.grad.abs().sum() > 0)
print((net(xs).argmax(1) == ys).float().mean())
try:
    checkpoint(net.blocks[0], torch.randn(2, 8), use_reentrant=True, extra=1)
except Exception as e:
    print(type(e).__name__, e)
try:
    checkpoint(lambda t: t.detach() * 2, torch.randn(2, requires_grad=True), use_reentrant=True).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    checkpoint(net.blocks[0], torch.randn(2, 8), use_reentrant=False, determinism_check="bogus")
except Exception as e:
    print(type(e).__name__, e)
