"""A toy DDPM on 2-D points as the diffusion tutorials write it: a linear beta schedule, the cumprod
of the alphas, schedule values gathered per timestep and reshaped for broadcasting, the closed-form
forward noising q(x_t | x_0), a sinusoidal time embedding (exp / sin / cos / cat), an MLP noise
predictor with SiLU, the MSE loss on the noise, AdamW with clip_grad_norm_, an EMA copy of the
weights, and a few reverse (ancestral sampling) steps under torch.no_grad()."""
# needs: nn optim
import copy
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)

T = 50
betas = torch.linspace(1e-4, 0.02, T)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_ac = torch.sqrt(alphas_cumprod)
sqrt_one_minus_ac = torch.sqrt(1.0 - alphas_cumprod)
posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
print(betas.shape, betas.dtype, betas[:3], betas[-1])
print(alphas_cumprod[[0, 10, 25, 49]])
print(alphas_cumprod_prev[:3], posterior_variance[:3])
print(f"{sqrt_ac[-1].item():.5f} {sqrt_one_minus_ac[-1].item():.5f}")


def extract(values, t, x_shape):
    """values[t] for each sample, shaped (B, 1, ...) to broadcast over the data."""
    out = values.gather(-1, t)
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


def q_sample(x0, t, noise):
    return extract(sqrt_ac, t, x0.shape) * x0 + extract(sqrt_one_minus_ac, t, x0.shape) * noise


class SinusoidalEmbedding(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
        args = t.float()[:, None] * freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)

    def extra_repr(self):
        return f"dim={self.dim}"


class NoisePredictor(nn.Module):
    def __init__(self, dim=2, hidden=32, temb=8):
        super().__init__()
        self.time_mlp = nn.Sequential(SinusoidalEmbedding(temb), nn.Linear(temb, hidden), nn.SiLU())
        self.inp = nn.Linear(dim, hidden)
        self.net = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x, t):
        return self.net(self.inp(x) + self.time_mlp(t))


def spiral(n):
    theta = torch.sqrt(torch.rand(n)) * 3 * math.pi
    r = theta / (3 * math.pi)
    return torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1) + 0.02 * torch.randn(n, 2)


emb = SinusoidalEmbedding(8)
e = emb(torch.tensor([0, 1, 49]))
print(emb, e.shape)
print(e)

model = NoisePredictor()
print(model)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
ema = copy.deepcopy(model).requires_grad_(False)
print(next(ema.parameters()).requires_grad, next(model.parameters()).requires_grad)

data = spiral(256)
print(data.shape, data.mean(0), data.abs().max())

# q(x_t | x_0) keeps the signal's variance near one
t = torch.randint(0, T, (8,))
noise = torch.randn(8, 2)
xt = q_sample(data[:8], t, noise)
print(t, t.dtype, extract(sqrt_ac, t, xt.shape).shape)
print(xt[:3])

opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
print(opt.defaults["weight_decay"], opt.param_groups[0]["betas"])
ema_decay = 0.9
for step in range(6):
    x0 = data[torch.randint(0, 256, (64,))]
    t = torch.randint(0, T, (64,))
    noise = torch.randn_like(x0)
    pred = model(q_sample(x0, t, noise), t)
    loss = F.mse_loss(pred, noise)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(ema_decay).add_(pm, alpha=1 - ema_decay)
    print(f"step {step} loss {loss.item():.4f} grad_norm {total_norm.item():.4f}")

print(loss.grad_fn, pred.grad_fn, total_norm.shape, total_norm.grad_fn)
grads = [p.grad.norm() for p in model.parameters()]
print(f"{torch.linalg.vector_norm(torch.stack(grads)).item():.4f}")
print(f"{(ema.inp.weight - model.inp.weight).abs().max().item():.4f}")
print(list(ema.state_dict().keys())[:4])

# clip_grad_norm_ scales the gradients so their total norm is max_norm
w = torch.tensor([3.0, 4.0], requires_grad=True)
(w * torch.tensor([1.0, 1.0])).sum().mul(10).backward()
print(w.grad, nn.utils.clip_grad_norm_([w], 1.0), w.grad, w.grad.norm())
print(nn.utils.clip_grad_value_([w], 0.5), w.grad)
print(nn.utils.clip_grad_norm_([w], 1.0, norm_type="inf"))

# reverse process: x_{t-1} = 1/sqrt(a_t) (x_t - b_t / sqrt(1 - ac_t) eps) + sqrt(var_t) z
model.eval()
with torch.no_grad():
    x = torch.randn(5, 2)
    for i in reversed(range(T - 4, T)):
        t = torch.full((5,), i, dtype=torch.long)
        eps = model(x, t)
        coef = extract(betas, t, x.shape) / extract(sqrt_one_minus_ac, t, x.shape)
        mean = (x - coef * eps) / extract(torch.sqrt(alphas), t, x.shape)
        if i > 0:
            x = mean + torch.sqrt(extract(posterior_variance, t, x.shape)) * torch.randn_like(x)
        else:
            x = mean
        print(i, t[:2], f"{x.norm(dim=1).mean().item():.4f}", x.requires_grad)
    print(x)
    # predicting x_0 from x_t and the predicted noise
    x0_hat = (x - extract(sqrt_one_minus_ac, t, x.shape) * eps) / extract(sqrt_ac, t, x.shape)
    print(x0_hat.clamp(-1, 1).shape, torch.is_grad_enabled())
print(torch.is_grad_enabled(), model.training)

for bad in [lambda: betas.gather(0, torch.tensor([T])),
            lambda: betas.gather(0, torch.tensor([1.0])),
            lambda: extract(sqrt_ac, torch.tensor([[1, 2]]), (2, 2)),
            lambda: emb(torch.tensor([[1, 2]])),
            lambda: F.mse_loss(torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.long))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
