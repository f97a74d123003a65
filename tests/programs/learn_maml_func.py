"""Meta-learning and torch.func as tutorials write them: MAML on sine-wave regression with
torch.func.functional_call and torch.autograd.grad(create_graph=True) for the inner loop (second
order), first-order MAML, per-sample gradient norms with vmap(grad(...)) (the DP-SGD pattern),
and jacrev / hessian / jacfwd of a small model's loss, compared with torch.autograd.functional."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                              replace_all_batch_norm_modules_, vjp, vmap)

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(1, 20), nn.Tanh(), nn.Linear(20, 20), nn.Tanh(), nn.Linear(20, 1))
params = dict(model.named_parameters())
print(list(params))


def sample_task(n=10):
    amp = torch.empty(1).uniform_(0.5, 2.0)
    phase = torch.empty(1).uniform_(0, math.pi)
    xs = torch.empty(2 * n, 1).uniform_(-5, 5)
    ys = amp * torch.sin(xs + phase)
    return xs[:n], ys[:n], xs[n:], ys[n:]


def inner_adapt(params, x, y, steps=1, lr=0.01, first_order=False):
    for _ in range(steps):
        loss = F.mse_loss(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=not first_order)
        params = {k: v - lr * g for (k, v), g in zip(params.items(), grads)}
    return params


xs, ys, xq, yq = sample_task()
adapted = inner_adapt(params, xs, ys)
print({k: v.grad_fn.name() for k, v in list(adapted.items())[:2]})
q_loss = F.mse_loss(functional_call(model, adapted, (xq,)), yq)
print(f"{q_loss.item():.4f}", q_loss.grad_fn)
q_loss.backward()
print(model[0].weight.grad[:3].squeeze())

meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for it in range(5):
    meta_opt.zero_grad()
    total = 0.0
    for _ in range(3):
        xs, ys, xq, yq = sample_task()
        fast = inner_adapt(dict(model.named_parameters()), xs, ys, steps=2, first_order=(it % 2 == 1))
        loss = F.mse_loss(functional_call(model, fast, (xq,)), yq)
        (loss / 3).backward()
        total += loss.item() / 3
    meta_opt.step()
    print(it, f"{total:.4f}", f"{model[4].bias.grad.item():.4f}")

# per-sample gradients (DP-SGD style clipping of each sample's gradient)
detached = {k: v.detach() for k, v in model.named_parameters()}


def sample_loss(p, x, y):
    return F.mse_loss(functional_call(model, p, (x.unsqueeze(0),)), y.unsqueeze(0))


x8, y8 = xq[:8], yq[:8]
per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))(detached, x8, y8)
print({k: tuple(v.shape) for k, v in per_sample.items()})
norms = torch.stack([g.flatten(1).norm(dim=1) for g in per_sample.values()]).norm(dim=0)
print(norms)
clip = (1.0 / (norms + 1e-6)).clamp(max=1.0)
clipped_mean = {k: (g * clip.view(-1, *([1] * (g.ndim - 1)))).mean(0) for k, g in per_sample.items()}
print(clipped_mean["4.bias"])
full = torch.autograd.grad(F.mse_loss(model(x8), y8), list(model.parameters()))
print(torch.allclose(full[5], per_sample["4.bias"].mean(0), atol=1e-6))
g, v = grad_and_value(sample_loss)(detached, x8[0], y8[0])
print(f"{v.item():.4f}", tuple(g["0.weight"].shape))

# a model with BatchNorm: patch it so per-sample gradients need no running statistics
bn_model = replace_all_batch_norm_modules_(nn.Sequential(nn.Linear(1, 8), nn.BatchNorm1d(8), nn.Linear(8, 1)))
print(bn_model[1], list(bn_model.state_dict()))
bn_params = {k: v.detach() for k, v in bn_model.named_parameters()}
bn_grads = vmap(grad(lambda p, xb, yb: F.mse_loss(functional_call(bn_model, p, (xb,)), yb)), in_dims=(None, 0, 0))(
    bn_params, xq[:8].view(4, 2, 1), yq[:8].view(4, 2, 1))
print(bn_grads["1.weight"].shape, bn_grads["2.bias"].squeeze())

# jacobians and hessians of a tiny model
lin = nn.Linear(3, 2)
xin = torch.randn(3)
jac = jacrev(lambda inp: torch.tanh(lin(inp)))(xin)
print(jac)
print(torch.allclose(jac, jacfwd(lambda inp: torch.tanh(lin(inp)))(xin), atol=1e-6))
print(torch.autograd.functional.jacobian(lambda inp: torch.tanh(lin(inp)), xin))


def f(inp):
    return (torch.tanh(lin(inp)) ** 2).sum()


h = hessian(f)(xin)
print(h.shape, torch.allclose(h, h.T, atol=1e-6))
print(h)
print(torch.allclose(h, torch.autograd.functional.hessian(f, xin), atol=1e-6))
wj = jacrev(lambda w: functional_call(lin, {"weight": w, "bias": lin.bias}, (xin,)))(lin.weight)
print(wj.shape)
batched = vmap(jacrev(lambda inp: torch.tanh(lin(inp))))(torch.randn(4, 3))
print(batched.shape)
lp = {k: v.detach() for k, v in lin.named_parameters()}


def lin_loss(p, inp, target):
    return F.cross_entropy(functional_call(lin, p, (inp,)).unsqueeze(0), target.unsqueeze(0))


hp = hessian(lin_loss)(lp, xin, torch.tensor(1))
print({k: {k2: tuple(v2.shape) for k2, v2 in v.items()} for k, v in hp.items()})
print(hp["bias"]["bias"])
ja = jacrev(lin_loss, argnums=(0, 1))(lp, xin, torch.tensor(0))
print(type(ja).__name__, len(ja), ja[1])
W, b = lin.weight.detach(), lin.bias.detach()
out, tangent = jvp(lambda inp: torch.tanh(inp @ W.T + b), (xin,), (torch.ones(3),))
print(out, tangent)
out, vjp_fn = vjp(lambda inp: torch.tanh(inp @ W.T + b), xin)
print(vjp_fn(torch.tensor([1.0, 0.0])))
# label smoothing's curvature: the hessian w.r.t. the logits
ls_h = hessian(lambda z: F.cross_entropy(z.unsqueeze(0), torch.tensor([2]), label_smoothing=0.1))(torch.zeros(3))
print(ls_h)

for bad in [lambda: grad(lambda t: t * 2)(torch.randn(3)),
            lambda: torch.autograd.grad(F.mse_loss(model(x8), y8), [torch.randn(2, requires_grad=True)]),
            lambda: functional_call(model, {"0.weight": torch.randn(20, 1), "bogus": torch.zeros(1)}, (x8,)),
            lambda: vmap(lambda t: t.sum())(torch.randn(3, 2), torch.randn(3)),
            lambda: vmap(lambda a, b: a + b)(torch.randn(3, 2), torch.randn(4, 2)),
            lambda: jacrev(lin_loss, argnums=3)(lp, xin, torch.tensor(0)),
            lambda: torch.autograd.grad(F.mse_loss(model(x8), y8), model[0].weight, create_graph=True)[0].shape]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
