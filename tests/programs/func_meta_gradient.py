"""A MAML-free meta-gradient program with torch.func: the model as a function of a dict of params
through functional_call, an inner SGD step written functionally, torch.func.grad of the
post-step validation loss w.r.t. the learning rate (a hypergradient) and w.r.t. the initial
params (a meta-gradient through the step), checked against torch.autograd.grad with
create_graph=True and against finite differences; then stack_module_state over several
models, vmap of the same meta-gradient over the stack, and grad_and_value / has_aux."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, grad_and_value, stack_module_state, vmap

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
print(model)
params = {k: v.detach() for k, v in model.named_parameters()}
print({k: tuple(v.shape) for k, v in params.items()})

x_train, y_train = torch.randn(16, 3), torch.randn(16, 1)
x_val, y_val = torch.randn(8, 3), torch.randn(8, 1)


def loss_fn(params, x, y):
    return F.mse_loss(functional_call(model, params, (x,)), y)


def sgd_step(params, lr, x, y):
    grads = grad(loss_fn)(params, x, y)
    return {k: p - lr * grads[k] for k, p in params.items()}


def val_loss_after_step(lr, params):
    new_params = sgd_step(params, lr, x_train, y_train)
    return loss_fn(new_params, x_val, y_val)


lr = torch.tensor(0.1)
print(f"train loss {loss_fn(params, x_train, y_train).item():.4f}")
print(f"val loss before {loss_fn(params, x_val, y_val).item():.4f}")
print(f"val loss after one step {val_loss_after_step(lr, params).item():.4f}")

# d val_loss / d lr
hypergrad = grad(val_loss_after_step)(lr, params)
print("hypergradient:", hypergrad.shape, f"{hypergrad.item():.5f}", hypergrad.requires_grad)
eps = 1e-3
fd = (val_loss_after_step(lr + eps, params) - val_loss_after_step(lr - eps, params)) / (2 * eps)
print("finite difference agrees:", abs(fd.item() - hypergrad.item()) < 1e-3)

# the same with torch.autograd and create_graph=True
lr_leaf = torch.tensor(0.1, requires_grad=True)
p_leaf = {k: v.clone().requires_grad_() for k, v in params.items()}
inner = loss_fn(p_leaf, x_train, y_train)
g = torch.autograd.grad(inner, list(p_leaf.values()), create_graph=True)
print([gi.grad_fn.name() for gi in g])
stepped = {k: p - lr_leaf * gi for (k, p), gi in zip(p_leaf.items(), g)}
outer = loss_fn(stepped, x_val, y_val)
print("outer:", outer.grad_fn.name(), f"{outer.item():.4f}")
(hg,) = torch.autograd.grad(outer, lr_leaf, retain_graph=True)
print("autograd hypergradient matches:", torch.allclose(hg, hypergrad, atol=1e-6))
meta_autograd = torch.autograd.grad(outer, list(p_leaf.values()))

# meta-gradient w.r.t. the initial params (second order through the inner step)
meta = grad(val_loss_after_step, argnums=1)(lr, params)
print(type(meta).__name__, list(meta))
print("meta matches autograd:", all(torch.allclose(meta[k], m, atol=1e-6) for k, m in zip(meta, meta_autograd)))
print(meta["2.bias"], meta["2.weight"].shape)
both = grad(val_loss_after_step, argnums=(0, 1))(lr, params)
print("argnums=(0, 1):", type(both).__name__, len(both), torch.allclose(both[0], hypergrad))

# a few steps of meta-learning the learning rate itself (gradient descent on log lr)
log_lr = torch.tensor(-2.0)
for step in range(5):
    value_and = grad_and_value(lambda ll: val_loss_after_step(ll.exp(), params))
    g_ll, val = value_and(log_lr)
    log_lr = log_lr - 0.5 * g_ll
    print(f"meta step {step}: val {val.item():.4f} lr {log_lr.exp().item():.4f}")

# has_aux: return the stepped params alongside the loss


def val_loss_with_aux(lr, params):
    new_params = sgd_step(params, lr, x_train, y_train)
    return loss_fn(new_params, x_val, y_val), new_params


g_aux, new_params = grad(val_loss_with_aux, has_aux=True)(lr, params)
print("aux:", list(new_params), new_params["0.weight"].requires_grad,
      torch.allclose(g_aux, hypergrad))

# several models at once: stack_module_state + vmap of the same meta-gradient
models = [nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)) for _ in range(3)]
stacked_params, stacked_buffers = stack_module_state(models)
print({k: (tuple(v.shape), v.requires_grad, v.is_leaf) for k, v in stacked_params.items()}, stacked_buffers)
hypergrads = vmap(grad(val_loss_after_step), in_dims=(None, 0))(lr, stacked_params)
print("stacked hypergradients:", hypergrads.shape)
one_by_one = torch.stack([grad(val_loss_after_step)(lr, {k: v.detach() for k, v in m.named_parameters()})
                          for m in models])
print("matches loop:", torch.allclose(hypergrads, one_by_one, atol=1e-6))
lrs = torch.tensor([0.01, 0.1, 0.5])
per_lr = vmap(val_loss_after_step, in_dims=(0, None))(lrs, params)
print("val loss per lr:", per_lr)

# mistakes
for name, thunk in [
    ("grad w.r.t. int", lambda: grad(val_loss_after_step)(1, params)),
    ("has_aux not a tuple", lambda: grad(val_loss_after_step, has_aux=True)(lr, params)),
    ("stack of nothing", lambda: stack_module_state([])),
    ("missing key", lambda: functional_call(model, {"0.weight": params["0.weight"]}, (x_val,), strict=True)),
    ("unexpected key", lambda: functional_call(model, {**params, "3.weight": lr}, (x_val,), strict=True)),
]:
    try:
        thunk()
        print(name, "no error")
    except Exception as e:
        print(name, "->", type(e).__name__, e)
