"""A 2-D RealNVP normalizing flow as the flow tutorials write it: affine coupling layers with
alternating binary masks held in register_buffer, scale/translation nets in an nn.ModuleList,
tanh-bounded log-scales, the log-det-Jacobian summed over layers, the change-of-variables
log-likelihood under a MultivariateNormal base (checked against Normal(...).log_prob summed and
Independent), maximum-likelihood training on two moons-like data for a few steps, the inverse for
sampling, and the numerical check of the Jacobian with torch.autograd.functional.jacobian."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.distributions as D
import tensorgraft.nn as nn

torch.manual_seed(0)


class Coupling(nn.Module):
    def __init__(self, mask, hidden=16):
        super().__init__()
        self.register_buffer("mask", mask)
        self.s = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2), nn.Tanh())
        self.t = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(), nn.Linear(hidden, 2))
        self.scale = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        """data -> latent: y = x_masked + (1 - mask) * (x * exp(s) + t), with log|det J| = sum(s)."""
        xm = x * self.mask
        s = self.scale * self.s(xm) * (1 - self.mask)
        t = self.t(xm) * (1 - self.mask)
        y = xm + (1 - self.mask) * (x * torch.exp(s) + t)
        return y, s.sum(dim=1)

    def inverse(self, y):
        ym = y * self.mask
        s = self.scale * self.s(ym) * (1 - self.mask)
        t = self.t(ym) * (1 - self.mask)
        x = ym + (1 - self.mask) * ((y - t) * torch.exp(-s))
        return x, -s.sum(dim=1)


class RealNVP(nn.Module):
    def __init__(self, n_layers=4):
        super().__init__()
        masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0]) for i in range(n_layers)]
        self.layers = nn.ModuleList([Coupling(m) for m in masks])
        self.register_buffer("base_loc", torch.zeros(2))
        self.register_buffer("base_cov", torch.eye(2))

    @property
    def base(self):
        return D.MultivariateNormal(self.base_loc, covariance_matrix=self.base_cov)

    def forward(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def log_prob(self, x):
        z, log_det = self(x)
        return self.base.log_prob(z) + log_det

    def sample(self, n):
        z = self.base.sample((n,))
        for layer in reversed(self.layers):
            z, _ = layer.inverse(z)
        return z


def two_moons(n):
    theta = torch.rand(n) * math.pi
    upper = torch.rand(n) < 0.5
    x = torch.where(upper, torch.cos(theta), 1 - torch.cos(theta))
    y = torch.where(upper, torch.sin(theta), 0.5 - torch.sin(theta))
    return torch.stack([x, y], dim=1) + 0.05 * torch.randn(n, 2)


flow = RealNVP()
print(flow.layers[0])
print(len(flow.layers), [n for n, _ in flow.named_buffers()])
print([k for k in flow.state_dict() if k.startswith("layers.1.")])
print(flow.base, flow.base.event_shape, flow.base.batch_shape)

data = two_moons(128)
print(data.shape, data.mean(0), data.std(0))

# at initialisation (scale = 0) every coupling is a pure shift: log-det is exactly zero
z, log_det = flow(data[:4])
print(z.shape, log_det, log_det.grad_fn)

# a MultivariateNormal with identity covariance is a product of standard Normals
mvn = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
normal = D.Normal(torch.zeros(2), torch.ones(2))
print(mvn.log_prob(z[:2]), normal.log_prob(z[:2]).sum(-1))
print(torch.allclose(mvn.log_prob(z), D.Independent(normal, 1).log_prob(z)))
print(f"{-0.5 * 2 * math.log(2 * math.pi):.4f}", f"{mvn.log_prob(torch.zeros(2)).item():.4f}")
print(mvn.entropy(), mvn.mean, mvn.variance, mvn.scale_tril)

opt = torch.optim.Adam(flow.parameters(), lr=5e-3)
for step in range(5):
    batch = data[torch.randperm(128)[:64]]
    loss = -flow.log_prob(batch).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} nll {loss.item():.4f} scale0 {flow.layers[0].scale.detach()}")

print(loss.grad_fn, loss.grad_fn.next_functions[0][0])
print(flow.layers[0].scale.grad, flow.layers[0].mask.grad, flow.layers[0].mask.requires_grad)

# inverse(forward(x)) == x and the two log-dets cancel
with torch.no_grad():
    x = data[:5]
    z, ld_fwd = flow(x)
    back = z
    ld_inv = torch.zeros(5)
    for layer in reversed(flow.layers):
        back, ld = layer.inverse(back)
        ld_inv = ld_inv + ld
    print(torch.allclose(back, x, atol=1e-5), torch.allclose(ld_fwd + ld_inv, torch.zeros(5), atol=1e-5))
    print(ld_fwd)

# the log-det equals log|det| of the autograd Jacobian of one point
point = data[7]
jac = torch.autograd.functional.jacobian(lambda p: flow(p.unsqueeze(0))[0].squeeze(0), point)
sign, logabsdet = torch.linalg.slogdet(jac)
print(jac.shape, sign, f"{logabsdet.item():.4f} {flow(point.unsqueeze(0))[1].item():.4f}")
print(f"{torch.log(torch.abs(torch.det(jac))).item():.4f}")

# sampling
with torch.no_grad():
    samples = flow.sample(256)
print(samples.shape, samples.dtype, samples.requires_grad, samples.mean(0).shape)
print(f"{flow.log_prob(samples).mean().item():.4f}")
print(torch.isfinite(samples).all(), samples[:3])

# a full-covariance base: rsample keeps the graph, log_prob matches the explicit formula
loc = torch.tensor([0.5, -1.0], requires_grad=True)
cov = torch.tensor([[1.0, 0.3], [0.3, 0.5]])
base = D.MultivariateNormal(loc, covariance_matrix=cov)
s = base.rsample((3,))
print(s.shape, s.grad_fn is not None, base.scale_tril)
diff = s.detach() - loc
manual = -0.5 * (diff @ torch.linalg.inv(cov) * diff).sum(-1) - 0.5 * torch.logdet(2 * math.pi * cov)
print(torch.allclose(base.log_prob(s.detach()), manual, atol=1e-5))
base.log_prob(s.detach()).sum().backward()
print(loc.grad)
print(D.MultivariateNormal(loc.detach(), scale_tril=base.scale_tril).covariance_matrix)

for bad in [lambda: D.MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]])),
            lambda: D.MultivariateNormal(torch.zeros(2)),
            lambda: mvn.log_prob(torch.zeros(3)),
            lambda: D.Normal(torch.zeros(2), -torch.ones(2)),
            lambda: flow.layers[4]]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
