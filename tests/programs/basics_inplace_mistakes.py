"""In-place ops and the mistakes tensor beginners hit: add_/mul_/clamp_/zero_/fill_/copy_/
exponential in-place on views sharing storage, clone vs view vs detach, data_ptr-free aliasing
checks, requires_grad rules (integer tensors, leaves modified in place), item()/tolist()/numpy()
misuse, and version counters."""
import numpy as np

import tensorgraft as torch

torch.manual_seed(0)
x = torch.arange(6.0).reshape(2, 3)
row = x[0]
row.add_(10)
print(x)
col = x[:, 1]
col.mul_(-1)
print(x)
x.clamp_(min=-5, max=11)
print(x)
x.clamp_(max=8.5)
print(x, x.clamp(min=0).sum())
y = x.clone()
y.zero_()
print(x.sum(), y.sum())
z = x.view(3, 2)
z.fill_(2.5)
print(x)
x.copy_(torch.tensor([1, 2, 3]))
print(x)
x.sub_(torch.tensor([[1.0], [2.0]]), alpha=2)
print(x)
x.div_(2).pow_(2)
print(x)
x.neg_().abs_().sqrt_()
print(x)
w = torch.empty(2, 3)
w.uniform_(0, 1)
print(w.shape, bool((w >= 0).all() and (w < 1).all()))
w.normal_(mean=0.0, std=0.01).fill_diagonal_(1.0)
print(w[0, 0].item(), w[1, 1].item())
print(torch.ones(3).index_fill_(0, torch.tensor([1]), 0.0), torch.zeros(4).masked_fill_(torch.tensor([True, False, True, False]), 1))
t = torch.tensor([0.4, 1.6, -2.5])
print(t.round(), t.floor_(), t)
u = torch.tensor([1, 2, 3])
print(u.add_(1), u.mul_(2), u.sub_(1), u.fmod_(4), u.remainder_(3), u.bitwise_or_(torch.tensor([4, 4, 4])))

a = torch.ones(3)
b = a
c = a.clone()
d = a.detach()
a.add_(1)
print(b, c, d)
print(a._version, c._version, a.is_leaf, a.requires_grad)
n = a.numpy()
n[0] = 100
print(a)
e = torch.tensor(n)
n[1] = -1
print(e, a)

p = torch.tensor([1.0, 2.0], requires_grad=True)
q = p * 3
print(q.requires_grad, q.is_leaf, q.grad_fn, p.grad)
q.sum().backward()
print(p.grad)
with torch.no_grad():
    p.add_(1)
    p.mul_(0.5)
print(p, p.requires_grad, p.grad_fn)
p.grad.zero_()
print(p.grad)
print(p.detach().numpy(), p.tolist(), p.data)
print(torch.tensor([2.0], requires_grad=True).item())

for bad in [lambda: torch.tensor([1, 2], requires_grad=True),
            lambda: torch.arange(3).requires_grad_(),
            lambda: torch.tensor([1.0, 2.0], requires_grad=True).add_(1),
            lambda: torch.tensor([1.0, 2.0], requires_grad=True).numpy(),
            lambda: torch.tensor([1.0, 2.0]).item(),
            lambda: torch.ones(2, 3).t().view(-1),
            lambda: torch.ones(3).expand(2, 3).add_(1),
            lambda: torch.ones(2).copy_(torch.ones(3)),
            lambda: torch.ones(2, dtype=torch.int64).clamp_(0.5),
            lambda: torch.tensor([1, 2]).mean(),
            lambda: torch.ones(2).mul_(torch.ones(2, 2)),
            lambda: float(torch.ones(2)),
            lambda: int(torch.tensor([1.5, 2.5])),
            lambda: bool(torch.tensor([True, False])),
            lambda: torch.tensor([1.0, 2.0]).backward(),
            lambda: torch.tensor(3.0).backward(),
            lambda: torch.from_numpy(np.array(["a", "b"])),
            lambda: torch.tensor("abc")]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
