"""The 'Model ensembling' and 'Per-sample gradients' torch.func tutorials: stack_module_state over
several copies of a model, a 'meta' base model, vmap of functional_call over the stacked weights
(same minibatch and different minibatches), and per-sample gradients with vmap(grad(...)) checked
against a loop of ordinary backward passes."""
# needs: nn
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, stack_module_state, vmap

torch.manual_seed(0)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 8)
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


num_models = 4
data = torch.randn(20, 3, 4)
targets = torch.randint(3, (20,))
models = [SimpleMLP() for _ in range(num_models)]
minibatches = data[:num_models * 2].view(num_models, 2, 3, 4)
minibatch = data[:2]
predictions_diff_minibatch_loop = [model(mb) for model, mb in zip(models, minibatches)]
predictions2 = [model(minibatch) for model in models]

params, buffers = stack_module_state(models)
print({k: (tuple(v.shape), v.requires_grad) for k, v in params.items()}, buffers)
base_model = copy.deepcopy(models[0])
base_model = base_model.to("meta")
print(base_model.fc1.weight.device, base_model.fc1.weight.is_meta)


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
print(predictions1_vmap.shape, torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop),
                                              atol=1e-3, rtol=1e-5))
predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
print(predictions2_vmap.shape, torch.allclose(predictions2_vmap, torch.stack(predictions2), atol=1e-3, rtol=1e-5))
print(predictions2_vmap[1])

model = models[0]


def loss_fn(predictions, targets):
    return F.nll_loss(F.log_softmax(predictions, dim=-1), targets)


def compute_grad(sample, target):
    sample = sample.unsqueeze(0)
    target = target.unsqueeze(0)
    prediction = model(sample)
    loss = loss_fn(prediction, target)
    return torch.autograd.grad(loss, list(model.parameters()))


sample_grads = [compute_grad(data[i], targets[i]) for i in range(8)]
sample_grads = zip(*sample_grads)
sample_grads = [torch.stack(shards) for shards in sample_grads]
print([tuple(g.shape) for g in sample_grads])

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return loss_fn(predictions, targets)


ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data[:8], targets[:8])
for per_sample_grad, ft_per_sample_grad in zip(sample_grads, ft_per_sample_grads.values()):
    print(tuple(ft_per_sample_grad.shape), torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5))
print(ft_per_sample_grads["fc3.bias"][:2])
