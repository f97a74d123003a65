"""torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) and torch.func (grad,
grad_and_value, vmap, jacrev, jacfwd, hessian, vjp, jvp, functional_call) as in the
'Jacobians, Hessians, hvp, vhp, and more' and 'Per-sample gradients' / 'Model ensembling' tutorials."""
# needs: nn
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from tensorgraft.func import functional_call, grad, grad_and_value, jacfwd, jacrev, vmap

torch.manual_seed(0)


def exp_reducer(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(2, 2)
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True).grad_fn is not None)
print(jacobian(exp_reducer, inputs, vectorize=True).shape)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


ji = jacobian(exp_adder, (torch.rand(2), torch.rand(2)))
print(type(ji).__name__, len(ji))
print(ji[0])
print(ji[1])


def pow_reducer(x):
    return x.pow(3).sum()


h = hessian(pow_reducer, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
print(h.shape)
print(h[1, 0])


def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


hh = hessian(pow_adder_reducer, (torch.rand(2), torch.rand(2)))
print(hh[0][0], hh[1][1], hh[0][1])

v = torch.ones(4)
xin = torch.rand(4, 4)


def exp_reducer4(x):
    return x.exp().sum(dim=1)


val, vjp_out = vjp(exp_reducer4, xin, v)
print(val.shape, vjp_out.shape, torch.allclose(vjp_out, xin.exp()))


def adder(x, y):
    return 2 * x + 3 * y


print(vjp(adder, (torch.rand(2), torch.rand(2)), torch.ones(2))[1])
print(jvp(exp_reducer4, torch.zeros(4, 4), v=torch.ones(4, 4)))
print(hvp(pow_reducer, torch.tensor([1.0, 2.0]), torch.ones(2)))
print(vhp(pow_reducer, torch.tensor([1.0, 2.0]), torch.ones(2)))
try:
    jacobian(exp_reducer, inputs, strategy="forward-mode")
except Exception as e:
    print(type(e).__name__, e)
print(jacobian(exp_reducer, inputs, strategy="forward-mode", vectorize=True)[0, 0])
try:
    vjp(exp_reducer4, xin)
except Exception as e:
    print(type(e).__name__, e)

# torch.func.grad and friends
f = lambda x: torch.sin(x).sum()  # noqa: E731
xx = torch.tensor([0.0, 1.0, 2.0])
print(grad(f)(xx))
print(grad(grad(lambda s: torch.sin(s)))(torch.tensor(1.0)))
gv = grad_and_value(lambda x, y: (x * y).sum(), argnums=(0, 1))(xx, torch.ones(3))
print(gv)
aux_g, aux = grad(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(xx)
print(aux_g, aux)
try:
    grad(lambda x: x ** 2)(xx)
except Exception as e:
    print(type(e).__name__, e)

# vmap
batched_dot = vmap(torch.dot)
print(batched_dot(torch.ones(3, 4), torch.arange(12.0).reshape(3, 4)))
print(vmap(lambda r: r.sum(), in_dims=1)(torch.arange(6.0).reshape(2, 3)))
print(vmap(torch.mul, in_dims=(0, None))(torch.arange(3.0), torch.tensor(2.0)))
print(vmap(lambda r: (r, r * 2), out_dims=(0, 1))(torch.ones(2, 3))[1].shape)
try:
    vmap(torch.add)(torch.ones(2), torch.ones(3))
except Exception as e:
    print(type(e).__name__, e)

# jacrev / jacfwd / hessian
def g3(x):
    return x.sin() * x.sum()


xj = torch.tensor([0.5, 1.0, 1.5])
print(jacrev(g3)(xj))
print(torch.allclose(jacrev(g3)(xj), jacfwd(g3)(xj)))
print(torch.func.hessian(lambda x: (x ** 3).sum())(xj))
print(jacrev(lambda x, y: x * y, argnums=1)(xj, torch.ones(3)))

# per-sample gradients with functional_call + vmap(grad)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


model = SimpleMLP()
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}
data = torch.randn(6, 4)
targets = torch.tensor([0, 1, 2, 0, 1, 2])


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return F.cross_entropy(predictions, target.unsqueeze(0))


ft_compute_sample_grad = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))
per_sample = ft_compute_sample_grad(params, buffers, data, targets)
for k, g in per_sample.items():
    print(k, tuple(g.shape), f"{g.sum().item():.4f}")
loss = F.cross_entropy(model(data), targets, reduction="sum")
loss.backward()
print(torch.allclose(per_sample["fc1.weight"].sum(0), model.fc1.weight.grad, atol=1e-5))
print(functional_call(model, params, (data[:2],)))

# ensembling with stack_module_state
from tensorgraft.func import stack_module_state  # noqa: E402

models = [SimpleMLP() for _ in range(3)]
sparams, sbuffers = stack_module_state(models)
print({k: tuple(p.shape) for k, p in sparams.items()})
base = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


ens = vmap(fmodel, in_dims=(0, 0, None))(sparams, sbuffers, data[:2])
print(ens.shape, torch.allclose(ens[1], models[1](data[:2]), atol=1e-6))
