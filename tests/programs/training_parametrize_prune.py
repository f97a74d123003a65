"""Parametrizations and pruning tutorials: weight_norm / spectral_norm / orthogonal from
torch.nn.utils.parametrizations, a custom register_parametrization (symmetric matrix, with
right_inverse), remove_parametrizations, the legacy torch.nn.utils.weight_norm, and the
'Pruning Tutorial' (random/l1 unstructured, ln_structured, global_unstructured, prune.remove)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.nn.utils.parametrize as parametrize
import tensorgraft.nn.utils.prune as prune
from tensorgraft.nn.utils import parametrizations

torch.manual_seed(0)

# weight_norm (new API).
lin = parametrizations.weight_norm(nn.Linear(4, 3))
print(lin)
print(sorted(n for n, _ in lin.named_parameters()))
print(lin.parametrizations.weight.original0.shape, lin.parametrizations.weight.original1.shape)
print(parametrize.is_parametrized(lin), parametrize.is_parametrized(lin, "bias"))
print(sorted(lin.state_dict().keys()))
x = torch.randn(2, 4)
out = lin(x)
print(out.grad_fn.name(), out.shape)
out.sum().backward()
print(lin.parametrizations.weight.original0.grad)
w = lin.weight
print(w.grad_fn is not None, torch.allclose(w.norm(dim=1, keepdim=True), lin.parametrizations.weight.original0))
with parametrize.cached():
    print(lin.weight is lin.weight)
parametrize.remove_parametrizations(lin, "weight")
print(lin, sorted(n for n, _ in lin.named_parameters()))

# weight_norm over dim=None and on a conv.
conv = parametrizations.weight_norm(nn.Conv2d(2, 3, 3), dim=None)
print(conv.parametrizations.weight.original0.shape, conv.parametrizations.weight.original0)

# Legacy weight_norm keeps weight_g / weight_v.
old = nn.utils.weight_norm(nn.Linear(3, 2), name="weight")
print(sorted(n for n, _ in old.named_parameters()), old.weight_g.shape)
nn.utils.remove_weight_norm(old)
print(sorted(n for n, _ in old.named_parameters()))

# spectral_norm: the largest singular value is ~1 after a few power iterations.
torch.manual_seed(0)
sn = parametrizations.spectral_norm(nn.Linear(5, 4), n_power_iterations=3)
print(sorted(sn.state_dict().keys()))
for _ in range(10):
    sn(torch.randn(1, 5))
print(f"{torch.linalg.matrix_norm(sn.weight, ord=2).item():.4f}")
sn.eval()
print(sn.parametrizations.weight[0])

# orthogonal.
torch.manual_seed(0)
orth = parametrizations.orthogonal(nn.Linear(4, 4))
Q = orth.weight
print(torch.allclose(Q @ Q.T, torch.eye(4), atol=1e-5), orth.parametrizations.weight[0])
opt = torch.optim.SGD(orth.parameters(), lr=0.1)
loss = orth(torch.randn(3, 4)).pow(2).sum()
loss.backward()
opt.step()
Q = orth.weight
print(torch.allclose(Q @ Q.T, torch.eye(4), atol=1e-5))


# A custom parametrization (symmetric weights) with right_inverse.
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
print(layer)
print(torch.allclose(layer.weight, layer.weight.T))
A = torch.rand(3, 3)
A = A + A.T
layer.weight = A
print(torch.allclose(layer.weight, A), layer.parametrizations.weight.original)
print(type(layer).__name__, type(layer).__mro__[1].__name__)
parametrize.register_parametrization(layer, "bias", nn.Identity())
print(sorted(layer.parametrizations.keys()))
parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
print(layer.weight)
try:
    parametrize.remove_parametrizations(layer, "weight")
except Exception as e:
    print(type(e).__name__, e)
try:
    parametrize.register_parametrization(layer, "bias", nn.Linear(3, 4))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])


# Pruning.
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.fc1 = nn.Linear(12, 6)
        self.fc2 = nn.Linear(6, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


torch.manual_seed(0)
model = LeNet()
module = model.conv1
print(list(module.named_parameters())[0][0], list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print(sorted(n for n, _ in module.named_parameters()), sorted(n for n, _ in module.named_buffers()))
print(int(module.weight_mask.sum().item()), module.weight_mask.numel())
print(module._forward_pre_hooks.__class__.__name__, len(module._forward_pre_hooks))
prune.l1_unstructured(module, name="bias", amount=1)
print(module.bias_mask, module.bias)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight_mask.sum(dim=(1, 2, 3)))
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        print(type(hook).__name__, [type(m).__name__ for m in hook])
prune.remove(module, "weight")
print(sorted(n for n, _ in module.named_parameters()), sorted(n for n, _ in module.named_buffers()))

parameters_to_prune = ((model.fc1, "weight"), (model.fc2, "weight"))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.4)
for m in [model.fc1, model.fc2]:
    print(f"sparsity {100.0 * float(torch.sum(m.weight == 0)) / float(m.weight.nelement()):.2f}%")
total = sum(float(torch.sum(m.weight == 0)) for m in [model.fc1, model.fc2])
print(f"global sparsity {100.0 * total / (model.fc1.weight.nelement() + model.fc2.weight.nelement()):.2f}%")
print(sorted(model.state_dict().keys()))
print(prune.is_pruned(model), prune.is_pruned(model.fc2))
out = model(torch.randn(2, 1, 6, 6))
out.sum().backward()
print(model.fc2.weight_orig.grad.eq(0).sum().item() >= model.fc2.weight_mask.eq(0).sum().item())
prune.remove(model.fc1, "weight")
prune.remove(model.fc2, "weight")
print(prune.is_pruned(model))

prune.identity(model.fc2, "bias")
print(model.fc2.bias_mask)
for bad in [lambda: prune.l1_unstructured(model.fc1, "weight", amount=1.5),
            lambda: prune.l1_unstructured(model.fc1, "weight", amount=100),
            lambda: prune.l1_unstructured(model.fc1, "nonexistent", amount=0.2),
            lambda: prune.remove(model.fc1, "bias"),
            lambda: prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=-1)]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
