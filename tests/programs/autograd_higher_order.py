"""Higher-order gradients as in the autograd tutorial and gradient-penalty (WGAN-GP) code:
torch.autograd.grad with create_graph=True, grad_outputs, allow_unused, retain_graph and the
'backward through the graph a second time' error, plus gradient penalties on a small network."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 3
(dy,) = torch.autograd.grad(y.sum(), x, create_graph=True)
print(dy)
(d2y,) = torch.autograd.grad(dy.sum(), x, create_graph=True)
print(d2y)
(d3y,) = torch.autograd.grad(d2y.sum(), x)
print(d3y, d3y.requires_grad)

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
f = a * a * b + torch.sin(a * b)
ga, gb = torch.autograd.grad(f, (a, b), create_graph=True)
print(ga, gb)
print(ga.grad_fn.name(), gb.grad_fn.name())
gaa, gab = torch.autograd.grad(ga, (a, b), retain_graph=True)
print(f"{gaa.item():.4f} {gab.item():.4f}")
gba, gbb = torch.autograd.grad(gb, (a, b))
print(f"{gba.item():.4f} {gbb.item():.4f}")

# grad_outputs for non-scalar outputs
w = torch.randn(3, 4, requires_grad=True)
out = w.tanh()
v = torch.ones_like(out) * 0.5
(gw,) = torch.autograd.grad(out, w, grad_outputs=v)
print(gw)
try:
    torch.autograd.grad(out, w)
except Exception as e:
    print(type(e).__name__, e)

# retain_graph
z = (x * x).sum()
z.backward(retain_graph=True)
print(x.grad)
z.backward()
print(x.grad)
try:
    z.backward()
except Exception as e:
    print(type(e).__name__, str(e).split("\n")[0][:120])
x.grad.zero_()
e1 = x.exp().sum()
torch.autograd.grad(e1, x)
try:
    torch.autograd.grad(e1, x)
except Exception as e:
    print(type(e).__name__, str(e)[:80])

# allow_unused and materialize_grads
p = torch.tensor(1.0, requires_grad=True)
q = torch.tensor(2.0, requires_grad=True)
r = p * 3
try:
    torch.autograd.grad(r, (p, q), retain_graph=True)
except Exception as e:
    print(type(e).__name__, e)
print(torch.autograd.grad(r, (p, q), allow_unused=True, retain_graph=True))
print(torch.autograd.grad(r, (p, q), allow_unused=True, materialize_grads=True))

# element 0 error and backward on non-scalar
n = torch.ones(3)
try:
    (n * 2).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    (x * 2).backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.autograd.grad((n * 2).sum(), n)
except Exception as e:
    print(type(e).__name__, e)

# gradient penalty on a critic
critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
real = torch.randn(5, 4)
fake = torch.randn(5, 4)
alpha = torch.rand(5, 1)
interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
scores = critic(interp)
grads = torch.autograd.grad(outputs=scores, inputs=interp, grad_outputs=torch.ones_like(scores),
                            create_graph=True, retain_graph=True)[0]
print(grads.shape, grads.requires_grad, grads.grad_fn is not None)
gp = ((grads.norm(2, dim=1) - 1) ** 2).mean()
print(f"gp {gp.item():.4f}")
gp.backward()
for name, prm in critic.named_parameters():
    if prm.grad is None:
        print(name, "grad is None")
    else:
        print(name, tuple(prm.grad.shape), f"{prm.grad.abs().sum().item():.4f}")

# Hessian-vector product via double backward
xs = torch.randn(4, requires_grad=True)
loss = (xs ** 4).sum() + (xs[0] * xs[1])
(g,) = torch.autograd.grad(loss, xs, create_graph=True)
vec = torch.tensor([1.0, 0.0, 0.0, 0.0])
(hv,) = torch.autograd.grad(g, xs, grad_outputs=vec)
print(hv)
print(12 * xs.detach() ** 2 * vec)

# grad of a grad used in training (sum of squares of gradients)
lin = nn.Linear(3, 1)
inp = torch.randn(6, 3)
target = torch.randn(6, 1)
mse = ((lin(inp) - target) ** 2).mean()
gparams = torch.autograd.grad(mse, list(lin.parameters()), create_graph=True)
print([tuple(gp_.shape) for gp_ in gparams])
penalty = sum((gp_ ** 2).sum() for gp_ in gparams)
print(f"{mse.item():.4f} {penalty.item():.4f}")
penalty.backward()
print(lin.weight.grad)
print(lin.bias.grad)

# is_grads_batched
xb = torch.randn(3, requires_grad=True)
yb = xb * torch.tensor([1.0, 2.0, 3.0])
(jac,) = torch.autograd.grad(yb, xb, grad_outputs=torch.eye(3), is_grads_batched=True)
print(jac)

# inputs= argument of backward
u = torch.tensor(1.5, requires_grad=True)
s = torch.tensor(0.5, requires_grad=True)
(u * s).backward(inputs=[u])
print(u.grad, s.grad)
