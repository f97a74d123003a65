"""The 'Model ensembling' and 'Per-sample-gradients' torch.func tutorials on a model with
BatchNorm1d: vmap over the model first fails (running stats), replace_all_batch_norm_modules_
patches it; an ensemble of 4 MLPs is stacked with stack_module_state and trained together for a
few SGD steps with vmap(functional_call) (one optimizer over the stacked parameters, per-model
losses printed); then per-sample gradients of one model via vmap(grad(compute_loss)) compared
with a loop of backward passes, their norms clipped DP-SGD style."""
# needs: nn optim
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, replace_all_batch_norm_modules_, stack_module_state, vmap

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


data = torch.randn(16, 6)
targets = torch.randint(0, 3, (16,))

models = [MLP() for _ in range(4)]
print(models[0])

# --- the mistake first: vmap over mini-batches with a training BatchNorm
minibatches = data.view(4, 4, 6)
try:
    vmap(models[0])(minibatches)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])
print("running_mean still", models[0].bn.running_mean[:3])

for m in models:
    replace_all_batch_norm_modules_(m)
print(models[0].bn, models[0].bn.running_mean)

# --- ensembling
params, buffers = stack_module_state(models)
print({k: tuple(v.shape) for k, v in params.items()})
print("buffers", buffers)
base = copy.deepcopy(models[0]).to("meta")


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


same_batch = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[:5])
print("same minibatch", same_batch.shape, same_batch.grad_fn)
per_model = vmap(fmodel)(params, buffers, minibatches)
print("different minibatches", per_model.shape)
expected = torch.stack([models[i](minibatches[i]) for i in range(4)])
print("matches the loop:", torch.allclose(per_model, expected, atol=1e-6))

opt = torch.optim.SGD(list(params.values()), lr=0.2)
for step in range(5):
    logits = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data)
    losses = vmap(F.cross_entropy, in_dims=(0, None))(logits, targets)
    opt.zero_grad()
    losses.sum().backward()
    opt.step()
    print(f"step {step} losses", [f"{v:.4f}" for v in losses.tolist()], losses.grad_fn)
print("grad of stacked fc2.bias", params["fc2.bias"].grad)

# --- per-sample gradients of one (patched) model
model = models[1]
weights = {k: v.detach() for k, v in model.named_parameters()}
bufs = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(weights, bufs, sample, target):
    out = functional_call(model, (weights, bufs), (sample.unsqueeze(0),))
    return F.cross_entropy(out, target.unsqueeze(0))


# one-sample batches: BatchNorm without running stats normalizes a single row to zero
model.bn = nn.Identity()
per_sample = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(weights, bufs, data, targets)
print({k: tuple(v.shape) for k, v in per_sample.items()})
print("requires_grad", per_sample["fc1.weight"].requires_grad, per_sample["fc1.weight"].grad_fn)
loop = []
for i in range(4):
    model.zero_grad()
    F.cross_entropy(model(data[i:i + 1]), targets[i:i + 1]).backward()
    loop.append(model.fc2.weight.grad.clone())
print("loop agrees:", torch.allclose(per_sample["fc2.weight"][:4], torch.stack(loop), atol=1e-6))
norms = torch.stack([g.flatten(1).norm(dim=1) for g in per_sample.values()], dim=1).norm(dim=1)
print("per-sample norms", norms[:6])
clip = (1.0 / (norms + 1e-6)).clamp(max=1.0)
clipped = {k: (g * clip.view(-1, *([1] * (g.dim() - 1)))).mean(0) for k, g in per_sample.items()}
print("clipped fc2.bias", clipped["fc2.bias"])
try:
    vmap(grad(compute_loss), in_dims=(None, None, 0))(weights, bufs, data, targets)
except ValueError as e:
    print(type(e).__name__, e)
