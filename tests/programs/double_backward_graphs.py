"""Second derivatives the way gradient-penalty code (WGAN-GP, R1) and double-backward tutorials
compute them: torch.autograd.grad(..., create_graph=True) through an MLP with tanh, pow, norm and
mse_loss, printing the grad_fn of the gradients and their next_functions, then a penalty's
backward into the weights; and saved-tensor hooks showing what autograd saves for x * y and a @ b."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


def names(fn, depth=2, indent="  "):
    """grad_fn and its next_functions, a few levels deep."""
    if fn is None:
        return
    for nxt, idx in fn.next_functions:
        label = None if nxt is None else type(nxt).__name__
        print(f"{indent}{type(fn).__name__} -> {label} [{idx}]")
        if depth > 1 and nxt is not None:
            names(nxt, depth - 1, indent + "  ")


# A scalar: d/dx and d2/dx2 of tanh(x)**3.
x = torch.tensor(0.7, requires_grad=True)
y = torch.tanh(x).pow(3)
(dy,) = torch.autograd.grad(y, x, create_graph=True)
print("dy", f"{dy.item():.6f}", type(dy.grad_fn).__name__, dy.requires_grad)
names(dy.grad_fn, depth=3)
(d2y,) = torch.autograd.grad(dy, x)
print("d2y", f"{d2y.item():.6f}", d2y.grad_fn)

# An MLP with a gradient penalty on the inputs (||d out / d x|| - 1)^2.
net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
inputs = torch.randn(4, 3, requires_grad=True)
target = torch.randn(4, 1)
out = net(inputs)
loss = F.mse_loss(out, target)
print("loss", f"{loss.item():.6f}", type(loss.grad_fn).__name__)
(g,) = torch.autograd.grad(out.sum(), inputs, create_graph=True)
print("grad", tuple(g.shape), type(g.grad_fn).__name__)
names(g.grad_fn, depth=3)
norm = g.norm(2, dim=1)
print("norm", type(norm.grad_fn).__name__, [f"{v:.5f}" for v in norm.tolist()])
penalty = ((norm - 1) ** 2).mean()
print("penalty", f"{penalty.item():.6f}", type(penalty.grad_fn).__name__)
names(penalty.grad_fn, depth=2)
total = loss + 10 * penalty
total.backward()
print("w0 grad", net[0].weight.grad[0])
print("w2 grad", net[2].weight.grad)
print("inputs grad", inputs.grad[0])

# Gradients of the loss w.r.t. the weights, then a Hessian-vector product.
params = list(net.parameters())
grads = torch.autograd.grad(F.mse_loss(net(inputs), target), params, create_graph=True)
print([type(gr.grad_fn).__name__ for gr in grads])
names(grads[0].grad_fn, depth=2)
v = [torch.ones_like(p) for p in params]
hvp = torch.autograd.grad(sum((gr * vi).sum() for gr, vi in zip(grads, v)), params)
print("hvp", [f"{h.sum().item():.5f}" for h in hvp])

# grad of the grad of x**2 * y, with the graph printed at each order.
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, -1.0], requires_grad=True)
z = (a.pow(2) * b).sum()
(ga,) = torch.autograd.grad(z, a, create_graph=True)
print("ga", ga, type(ga.grad_fn).__name__)
names(ga.grad_fn, depth=2)
(gab,) = torch.autograd.grad(ga.sum(), b, create_graph=True)
print("gab", gab, gab.grad_fn)


# Saved-tensor hooks: what autograd keeps for backward.
def pack(t):
    print("  pack", tuple(t.shape), t.dtype, t.requires_grad)
    return t


def unpack(t):
    print("  unpack", tuple(t.shape))
    return t


p = torch.randn(2, 3, requires_grad=True)
q = torch.randn(2, 3, requires_grad=True)
m1 = torch.randn(2, 4, requires_grad=True)
m2 = torch.randn(4, 5, requires_grad=True)
print("x * y:")
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    r = p * q
print("a @ b:")
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    s = m1 @ m2
print("tanh:")
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    th = torch.tanh(p)
print("backward:")
(r.sum() + s.sum() + th.sum()).backward()
print(tuple(p.grad.shape), tuple(m2.grad.shape))

# WGAN-GP: the penalty on interpolates between real and fake samples.
critic = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
real, fake = torch.randn(6, 2), torch.randn(6, 2)
alpha = torch.rand(6, 1)
interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
d_interpolates = critic(interpolates)
gradients = torch.autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                grad_outputs=torch.ones_like(d_interpolates),
                                create_graph=True, retain_graph=True, only_inputs=True)[0]
print("gp grad", type(gradients.grad_fn).__name__)
names(gradients.grad_fn, depth=2)
gradient_penalty = ((gradients.view(gradients.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
print("gp", f"{gradient_penalty.item():.6f}")
gradient_penalty.backward()
print("critic grad", critic[0].bias.grad)

print("exp / div / pow / sigmoid:")
u = torch.randn(3, requires_grad=True)
w = torch.rand(2, 1, requires_grad=True)


def pack_named(t):
    print("  pack", tuple(t.shape), "leaf" if t.grad_fn is None else type(t.grad_fn).__name__)
    return t


with torch.autograd.graph.saved_tensors_hooks(pack_named, unpack):
    e = u.exp()
    dv = u / (w + 1)
    pw = u.pow(3)
    sg = torch.sigmoid(w)
    mse = F.mse_loss(u.expand(2, 3), w.expand(2, 3))
print("backward 2:")
(e.sum() + dv.sum() + pw.sum() + sg.sum() + mse).backward()
print([f"{t:.5f}" for t in u.grad.tolist()])
