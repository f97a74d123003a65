"""The 'Per-sample-gradients' torch.func tutorial: a small CNN on MNIST-shaped random data, the
per-sample gradients first by a loop of ordinary backward passes on one-sample batches, then with
functional_call + vmap(grad(compute_loss), in_dims=(None, None, 0, 0)) over detached parameters and
buffers, compared with torch.allclose; then the DP-SGD-style use (per-sample gradient norms,
clipping, the clipped mean written back into .grad) and the errors of wrong in_dims."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.func import functional_call, grad, vmap

torch.manual_seed(0)


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


batch_size = 6
data = torch.randn(batch_size, 1, 8, 8)
targets = torch.randint(10, (batch_size,))
print(data.shape, targets)

model = SimpleCNN()
print(model)
predictions = model(data)
loss = loss_fn(predictions, targets)
print(f"batch loss {loss.item():.4f}", loss.grad_fn)


def compute_grad(sample, target):
    sample = sample.unsqueeze(0)  # prepend batch dimension for processing
    target = target.unsqueeze(0)
    prediction = model(sample)
    loss = loss_fn(prediction, target)
    return torch.autograd.grad(loss, list(model.parameters()))


def compute_sample_grads(data, targets):
    sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
    sample_grads = zip(*sample_grads)
    sample_grads = [torch.stack(shards) for shards in sample_grads]
    return sample_grads


per_sample_grads = compute_sample_grads(data, targets)
print([tuple(g.shape) for g in per_sample_grads])
print(per_sample_grads[-1][0])

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}
print(list(params), buffers)


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    loss = loss_fn(predictions, targets)
    return loss


ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
print(type(ft_per_sample_grads).__name__, list(ft_per_sample_grads))
for per_sample_grad, (name, ft_per_sample_grad) in zip(per_sample_grads, ft_per_sample_grads.items()):
    print(name, tuple(ft_per_sample_grad.shape), ft_per_sample_grad.requires_grad,
          torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5))
print(ft_per_sample_grads["fc2.bias"][:2])

# the mean of the per-sample gradients is the ordinary batch gradient
model.zero_grad()
loss_fn(model(data), targets).backward()
print("mean == batch grad:", all(torch.allclose(g.mean(0), p.grad, atol=1e-6)
                                 for g, p in zip(ft_per_sample_grads.values(), model.parameters())))

# params only (no buffers): the in_dims=(None, 0, 0) form


def compute_loss_params_only(params, sample, target):
    predictions = functional_call(model, params, (sample.unsqueeze(0),))
    return loss_fn(predictions, target.unsqueeze(0))


grads2 = vmap(grad(compute_loss_params_only), in_dims=(None, 0, 0))(params, data, targets)
print("params-only:", all(torch.equal(a, b) for a, b in zip(grads2.values(), ft_per_sample_grads.values())))

# DP-SGD style: per-sample norms, clip to max_norm, average, write into .grad
max_norm = 1.0
flat = torch.cat([g.reshape(batch_size, -1) for g in ft_per_sample_grads.values()], dim=1)
norms = flat.norm(dim=1)
print("per-sample norms:", norms)
factors = (max_norm / (norms + 1e-6)).clamp(max=1.0)
print("clip factors:", factors)
for p, g in zip(model.parameters(), ft_per_sample_grads.values()):
    p.grad = torch.einsum("i,i...->...", factors, g) / batch_size
print("clipped fc2.bias grad:", model.fc2.bias.grad)
total = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
print(f"clipped grad norm {total.item():.4f}")

# mistakes with in_dims
for name, thunk in [
    ("in_dims too short", lambda: vmap(ft_compute_grad, in_dims=(None, 0, 0))(params, buffers, data, targets)),
    ("batch sizes differ", lambda: vmap(ft_compute_grad, in_dims=(None, None, 0, 0))(params, buffers, data,
                                                                                     targets[:4])),
    ("in_dims out of range", lambda: vmap(ft_compute_grad, in_dims=(None, None, 4, 0))(params, buffers, data,
                                                                                      targets)),
    ("in_dims list", lambda: vmap(ft_compute_grad, in_dims=[None, None, 0, 0])(params, buffers, data, targets)),
]:
    try:
        thunk()
        print(name, "no error")
    except Exception as e:
        print(name, "->", type(e).__name__, e)
