"""nn.Parameter and nn.Buffer as people poke at them while writing custom layers: reprs (float,
double, requires_grad=False, scalar), arithmetic results and their grad_fn, .data / .detach(),
integer parameters, Parameter of a Parameter, a custom layer with explicit Parameters and a
buffer, plus distance modules, Unflatten/Flatten and AdaptiveLogSoftmaxWithLoss on top."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)

p = nn.Parameter(torch.randn(2, 3))
print(p)
print(nn.Parameter(torch.tensor(3.0)))
print(nn.Parameter(torch.ones(2, dtype=torch.float64), requires_grad=False))
print(nn.Parameter())
print(type(p).__name__, p.requires_grad, p.is_leaf, p.grad_fn, isinstance(p, torch.Tensor))
q = p * 2
print(type(q).__name__, q.grad_fn, q.requires_grad)
print(type(p.data).__name__, p.data.requires_grad, type(p.detach()).__name__)
print(type(p[0]).__name__, p[0].grad_fn)
print(type(p.clone()).__name__, p.clone().grad_fn)
pp = nn.Parameter(p)
print(type(pp).__name__, pp is p, pp.requires_grad)
try:
    nn.Parameter(torch.tensor([1, 2, 3]))
except Exception as e:
    print(type(e).__name__, e)
ip = nn.Parameter(torch.tensor([1, 2, 3]), requires_grad=False)
print(ip)
try:
    nn.Parameter([1.0, 2.0])
except Exception as e:
    print(type(e).__name__, e)
b = nn.Buffer(torch.zeros(3))
print(b, isinstance(b, torch.Tensor))
print(nn.Buffer(torch.ones(2), persistent=False).persistent)


class Affine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(n))
        self.shift = nn.Parameter(torch.zeros(n))
        self.count = nn.Buffer(torch.tensor(0))
        self.register_buffer("stats", torch.zeros(n), persistent=False)

    def forward(self, x):
        self.count += 1
        self.stats = x.detach().mean(0)
        return x * self.scale + self.shift


aff = Affine(3)
print(aff, list(aff.state_dict().keys()), [n for n, _ in aff.named_buffers()])
y = aff(torch.randn(4, 3))
print(y.grad_fn, aff.count, aff.stats.shape)
y.pow(2).mean().backward()
print(aff.scale.grad, aff.shift.grad)
with torch.no_grad():
    aff.scale.mul_(0.5)
    aff.shift.add_(1.0)
print(aff.scale, aff.shift.requires_grad, aff.scale.is_leaf)
try:
    aff.scale.mul_(2)
except Exception as e:
    print(type(e).__name__, e)
aff.scale.data.fill_(3.0)
print(aff.scale)
print(aff.half().scale.dtype, aff.count.dtype, aff.float().stats.dtype)

pd = nn.PairwiseDistance()
cs = nn.CosineSimilarity(dim=0)
u, v = torch.randn(3, 5), torch.randn(3, 5)
print(pd, pd(u, v), cs(u, v))
print(F.pairwise_distance(u, v, p=1.0), torch.cdist(u, v).shape, F.cosine_similarity(u, v, dim=1))
try:
    cs(u, torch.randn(4, 5))
except Exception as e:
    print(type(e).__name__, e)

asm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 8], div_value=2.0)
print(asm)
out = asm(torch.randn(5, 8), torch.tensor([0, 3, 5, 9, 7]))
print(out.output.shape, f"{out.loss.item():.4f}", out.loss.grad_fn)
print(asm.log_prob(torch.randn(2, 8)).exp().sum(1).detach().round(decimals=4))
print(asm.predict(torch.randn(3, 8)))
try:
    nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[8, 4])
except Exception as e:
    print(type(e).__name__, e)
