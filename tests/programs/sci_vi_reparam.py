"""Variational inference the way VAE / Bayesian-regression tutorials write it: an encoder gives
Normal(mu, sigma), z = q.rsample() (reparameterization trick), the ELBO uses log_prob and the
analytic kl_divergence(q, p) against a standard Normal prior, with Independent to sum over
latent dimensions; distribution reprs, shapes and validate_args errors along the way."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.distributions import Independent, Normal, kl_divergence
from tensorgraft.distributions import Bernoulli

torch.manual_seed(0)

p = Normal(torch.tensor(0.0), torch.tensor(1.0))
print(p)
print(p.batch_shape, p.event_shape, p.mean, p.stddev, p.variance)
print(p.log_prob(torch.tensor([0.0, 1.0, -2.0])))
print(p.cdf(torch.tensor([0.0, 1.96])))
print(p.icdf(torch.tensor([0.5, 0.975])))
print(p.entropy())
print(p.sample((3,)))
q = Normal(torch.tensor([0.5, -1.0]), torch.tensor([1.5, 0.2]))
print(q)
print(kl_divergence(q, p))
print(q.rsample((2,)).shape, q.expand((4, 2)).batch_shape)
ind = Independent(q, 1)
print(ind)
print(ind.batch_shape, ind.event_shape)
print(ind.log_prob(torch.zeros(2)))
print(kl_divergence(ind, Independent(Normal(torch.zeros(2), torch.ones(2)), 1)))
print(Normal(0.0, 1.0))
print(Normal(torch.zeros(2, 3), 1.0).batch_shape)

try:
    Normal(torch.tensor([0.0]), torch.tensor([-1.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    unchecked = Normal(torch.tensor([0.0]), torch.tensor([-1.0]), validate_args=False)
    print("no validation:", unchecked.scale)
except Exception as e:
    print(type(e).__name__, e)
try:
    Bernoulli(probs=torch.tensor([0.3])).log_prob(torch.tensor([0.5]))
except Exception as e:
    print(type(e).__name__, e)
try:
    Normal(torch.zeros(3), torch.ones(3)).log_prob(torch.zeros(2))
except Exception as e:
    print(type(e).__name__, e)


class VAE(nn.Module):
    def __init__(self, d_in=8, d_z=2, d_h=16):
        super().__init__()
        self.enc = nn.Linear(d_in, d_h)
        self.mu = nn.Linear(d_h, d_z)
        self.logvar = nn.Linear(d_h, d_z)
        self.dec1 = nn.Linear(d_z, d_h)
        self.dec2 = nn.Linear(d_h, d_in)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.mu(h), self.logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x, reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


data = (torch.rand(32, 8) > 0.5).float()
model = VAE()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(30):
    recon, mu, logvar = model(data)
    loss = loss_function(recon, data, mu, logvar)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item() / len(data):.4f}")
print(loss.grad_fn)

# The same ELBO written with distributions
mu, logvar = model.encode(data)
qz = Normal(mu, torch.exp(0.5 * logvar))
pz = Normal(torch.zeros_like(mu), torch.ones_like(mu))
z = qz.rsample()
print(z.shape, z.grad_fn is not None, z.requires_grad)
px = Independent(Bernoulli(probs=model.decode(z)), 1)
print(px.batch_shape, px.event_shape)
kl = kl_divergence(qz, pz).sum(-1)
kl_closed = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
print(torch.allclose(kl, kl_closed, atol=1e-5))
elbo = px.log_prob(data) - kl
print(f"elbo {elbo.mean().item():.4f}")
(-elbo.mean()).backward()
print(model.mu.weight.grad.shape, f"{model.mu.weight.grad.abs().sum().item():.4f}")
print(qz.sample().requires_grad, qz.rsample().requires_grad)
print(Normal.has_rsample, Bernoulli.has_rsample, Normal.arg_constraints)
print(qz.support, Bernoulli(probs=0.3).support)
print(qz.mean.grad_fn)
