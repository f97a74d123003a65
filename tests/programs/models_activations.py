"""Activation modules and their functional forms as people print and probe them: reprs with
their arguments (inplace, approximate, dim, negative_slope, alpha, num_parameters), values on a
small grid, grad_fn names, gradients, in-place behaviour, PReLU's learnable slope, Softmax/
LogSoftmax/Softmin along dims, Identity, Bilinear and LazyLinear."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
x = torch.linspace(-3, 3, 7)
print(x)
acts = [nn.ReLU(), nn.ReLU(inplace=True), nn.ReLU6(), nn.LeakyReLU(), nn.LeakyReLU(0.2, inplace=True), nn.ELU(),
        nn.ELU(alpha=0.5), nn.SELU(), nn.CELU(alpha=2.0), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
        nn.Mish(), nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-2.0, 2.0), nn.Sigmoid(), nn.Tanh(),
        nn.Softplus(beta=2.0, threshold=10.0), nn.Softsign(), nn.Tanhshrink(), nn.Softshrink(0.5),
        nn.Hardshrink(lambd=1.0), nn.Threshold(0.5, -1.0), nn.LogSigmoid(), nn.GLU(), nn.Identity(),
        nn.RReLU(0.1, 0.3)]
for act in acts:
    inp = torch.linspace(-3, 3, 6).requires_grad_() if isinstance(act, nn.GLU) else x.clone().requires_grad_()
    if getattr(act, "inplace", False):
        out = act(inp * 1)
    else:
        out = act.eval()(inp)
    out.sum().backward()
    print(act)
    print("  ", out.detach(), type(out.grad_fn).__name__ if out.grad_fn else None)
    print("  ", inp.grad)

t = torch.randn(2, 4)
print(nn.Softmax(dim=1), nn.Softmax(dim=1)(t))
print(nn.Softmax(dim=0)(t))
print(nn.LogSoftmax(dim=-1), nn.LogSoftmax(dim=-1)(t))
print(nn.Softmin(dim=1), nn.Softmin(dim=1)(t))
print(nn.Softmax2d(), nn.Softmax2d()(torch.randn(1, 3, 2, 2)).shape)
sm = nn.Softmax()
print(sm)

prelu = nn.PReLU()
print(prelu, prelu.weight)
pr = prelu(x)
pr.sum().backward()
print(pr, prelu.weight.grad)
prelu3 = nn.PReLU(num_parameters=3, init=0.1)
print(prelu3, prelu3.weight, prelu3(torch.randn(2, 3, 2)).shape)
print([n for n, _ in prelu3.named_parameters()])

a = torch.tensor([-1.0, 0.0, 2.0])
b = F.relu(a, inplace=True)
print(a, b is a)
c = torch.tensor([-1.0, 0.5])
F.leaky_relu_(c, 0.1)
print(c)
print(F.gelu(x, approximate="tanh"))
print(F.silu(x), F.mish(x))
print(F.hardtanh(x, min_val=-1, max_val=1), F.relu6(x * 3))
print(F.elu(x, alpha=1.0), F.selu(x))
print(F.softplus(x), F.softsign(x))
print(F.glu(torch.arange(8.0).reshape(2, 4), dim=-1))
print(torch.sigmoid(x), torch.tanh(x), torch.relu(x))
print(F.logsigmoid(x), F.hardswish(x), F.hardsigmoid(x))
print(F.normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1))

leaf = torch.randn(3, requires_grad=True)
try:
    nn.ReLU(inplace=True)(leaf)
except Exception as e:
    print(type(e).__name__, e)
try:
    F.gelu(x, approximate="fast")
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.GLU()(torch.randn(3))
except Exception as e:
    print(type(e).__name__, e)
try:
    prelu3(torch.randn(2, 4))
except Exception as e:
    print(type(e).__name__, e)

bil = nn.Bilinear(3, 4, 2)
print(bil, bil.weight.shape, bil.bias.shape)
bo = bil(torch.randn(5, 3), torch.randn(5, 4))
print(bo.shape, bo.grad_fn)
try:
    bil(torch.randn(5, 3), torch.randn(5, 3))
except Exception as e:
    print(type(e).__name__, e)

ident = nn.Identity(54, unused_argument1=0.1)
print(ident, ident(x) is x)

lazy = nn.LazyLinear(5)
print(lazy)
print(lazy.weight)
print(type(lazy).__name__, lazy.in_features)
lo = lazy(torch.randn(2, 7))
print(lazy, type(lazy).__name__, lazy.weight.shape, lo.shape)
print(lazy.in_features, lazy.weight.requires_grad)
lazy_seq = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
print(lazy_seq)
lazy_seq(torch.randn(4, 3))
print(lazy_seq)
print([tuple(p.shape) for p in lazy_seq.parameters()])
