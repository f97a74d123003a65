"""The 'Pruning Tutorial' done on a small LeNet: random_unstructured on conv1.weight, the
weight_orig parameter and weight_mask buffer, the forward pre-hook that recomputes the weight,
iterative pruning (l1_unstructured on the bias, ln_structured on channels) and the PruningContainer
it builds, prune.remove making it permanent, pruning several layers in a loop, global_unstructured
with the per-layer and global sparsity printout, and a custom pruning method written as a
BasePruningMethod subclass (every other entry of the tensor)."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.nn.utils.prune as prune

torch.manual_seed(42)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        # 1 input image channel, 6 output channels, 3x3 square conv kernel
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.conv2 = nn.Conv2d(3, 4, 3)
        self.fc1 = nn.Linear(4 * 2 * 2, 12)
        self.fc2 = nn.Linear(12, 8)
        self.fc3 = nn.Linear(8, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


model = LeNet()
print(model)
module = model.conv1
print(list(module.named_parameters()))
print(list(module.named_buffers()))

# Inspect a module, then prune 30% of the connections in conv1.weight at random.
prune.random_unstructured(module, name="weight", amount=0.3)
print([name for name, _ in module.named_parameters()])
print(list(module.named_buffers()))
print(module.weight)
print(module.weight.grad_fn.name(), module.weight.requires_grad, module.weight.is_leaf)
print(module._forward_pre_hooks)
hooks = module._forward_pre_hooks
print(type(hooks).__name__, len(hooks), [type(h).__name__ for h in hooks.values()])
print([(h._tensor_name, h.amount) for h in hooks.values()])

# Prune the bias by L1 norm: the 3 smallest entries (an absolute amount).
prune.l1_unstructured(module, name="bias", amount=3)
print([name for name, _ in module.named_parameters()])
print([name for name, _ in module.named_buffers()])
print(module.bias_mask)
print(module.bias)
print(len(module._forward_pre_hooks))

# Iterative pruning: remove 50% of the output channels of conv1.weight by L2 norm on top.
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight)
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print(type(hook).__name__, [type(m).__name__ for m in hook], len(hook))
print(list(hook))
print(model.state_dict().keys())
print(module._forward_pre_hooks)

# Make it permanent: weight_orig and weight_mask go, weight is a plain Parameter again.
prune.remove(module, "weight")
print([name for name, _ in module.named_parameters()])
print([name for name, _ in module.named_buffers()])
print(type(module.weight).__name__, module.weight.requires_grad, module.weight.is_leaf)
print(module.weight[0])
try:
    prune.remove(module, "weight")
except Exception as e:
    print(type(e).__name__, e)

# Pruning several parameters in a model.
new_model = LeNet()
for m in new_model.modules():
    if isinstance(m, nn.Conv2d):
        prune.l1_unstructured(m, name="weight", amount=0.2)
    elif isinstance(m, nn.Linear):
        prune.l1_unstructured(m, name="weight", amount=0.4)
print(dict(new_model.named_buffers()).keys())
for name, m in new_model.named_children():
    zeros = float(torch.sum(m.weight == 0))
    print(f"Sparsity in {name}.weight: {100.0 * zeros / float(m.weight.nelement()):.2f}%")

# Global pruning: the 20% smallest weights over all layers together.
model = LeNet()
parameters_to_prune = (
    (model.conv1, "weight"),
    (model.conv2, "weight"),
    (model.fc1, "weight"),
    (model.fc2, "weight"),
    (model.fc3, "weight"),
)
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
total_zero = 0
total = 0
for name in ["conv1", "conv2", "fc1", "fc2", "fc3"]:
    w = getattr(model, name).weight
    zeros = float(torch.sum(w == 0))
    total_zero += zeros
    total += w.nelement()
    print(f"Sparsity in {name}.weight: {100.0 * zeros / float(w.nelement()):.2f}%")
print(f"Global sparsity: {100.0 * total_zero / total:.2f}%")

x = torch.randn(2, 1, 14, 14)
out = model(x)
print(out.shape, out.grad_fn.name())
out.sum().backward()
print(model.fc3.weight_orig.grad)
print(model.fc3.weight_mask)


# A custom pruning method: prune every other entry of the (flattened) tensor.
class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor"""
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module


model = LeNet()
foobar_unstructured(model.fc3, name="bias")
print(model.fc3.bias_mask)
print(model.fc3.bias)
foobar_unstructured(model.fc3, name="bias")
print(model.fc3.bias_mask)
hook = next(iter(model.fc3._forward_pre_hooks.values()))
print(type(hook).__name__, [type(m).__name__ for m in hook])
print(hook._pruning_methods)
print(prune.is_pruned(model), prune.is_pruned(model.fc1))

# Common mistakes.
for bad in [lambda: prune.random_unstructured(model.fc1, name="weight", amount=1.2),
            lambda: prune.random_unstructured(model.fc1, name="weight", amount=200),
            lambda: prune.l1_unstructured(model.fc1, name="weights", amount=0.2),
            lambda: prune.ln_structured(model.fc1, name="weight", amount=0.5, n=2, dim=3),
            lambda: prune.remove(model.fc2, "weight")]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
