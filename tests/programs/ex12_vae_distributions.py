"""A VAE written with torch.distributions, as in the Pyro-free VAE blog posts: the encoder
returns a Normal posterior wrapped in Independent, rsample() for the reparameterisation trick,
kl_divergence against a standard-normal prior, a Bernoulli(logits=...) decoder likelihood,
a mixture prior with MixtureSameFamily, importance-weighted log-likelihood, and the errors
that invalid parameters raise with argument validation."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import distributions as D

torch.manual_seed(0)
N, DX, DZ = 16, 6, 2
data = (torch.rand(N, DX) > 0.5).float()


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(DX, 8), nn.Tanh(), nn.Linear(8, 2 * DZ))
        self.dec = nn.Sequential(nn.Linear(DZ, 8), nn.Tanh(), nn.Linear(8, DX))

    def posterior(self, x):
        mu, log_sigma = self.enc(x).chunk(2, dim=-1)
        return D.Independent(D.Normal(mu, log_sigma.exp()), 1)

    def likelihood(self, z):
        return D.Independent(D.Bernoulli(logits=self.dec(z)), 1)


model = VAE()
prior = D.Independent(D.Normal(torch.zeros(DZ), torch.ones(DZ)), 1)
print(prior)
print("prior shapes", prior.batch_shape, prior.event_shape)
q = model.posterior(data)
print(q.base_dist.__class__.__name__, q.batch_shape, q.event_shape)
z = q.rsample()
print("z", z.shape, z.grad_fn is not None, "sample() grad:", q.sample().requires_grad)
kl = D.kl_divergence(q, prior)
print("kl", kl.shape, f"{kl.mean().item():.4f}")
mu, sigma = q.base_dist.loc, q.base_dist.scale
closed = 0.5 * (mu.pow(2) + sigma.pow(2) - 1 - 2 * sigma.log()).sum(-1)
print("closed form matches:", torch.allclose(kl, closed, atol=1e-5))

opt = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(6):
    q = model.posterior(data)
    z = q.rsample()
    rec = model.likelihood(z).log_prob(data)
    elbo = (rec - D.kl_divergence(q, prior)).mean()
    opt.zero_grad()
    (-elbo).backward()
    opt.step()
    print(f"step {step} elbo {elbo.item():.4f} rec {rec.mean().item():.4f}")

with torch.no_grad():
    K = 8
    q = model.posterior(data[:3])
    zs = q.sample((K,))
    log_w = model.likelihood(zs).log_prob(data[:3]) + prior.log_prob(zs) - q.log_prob(zs)
    iw = torch.logsumexp(log_w, 0) - math.log(K)
    print("samples", zs.shape, "log weights", log_w.shape)
    print("IWAE bound", iw)

bern = D.Bernoulli(logits=torch.tensor([0.0, 2.0]))
print(bern, bern.probs, bern.entropy(), bern.log_prob(torch.tensor([1.0, 0.0])))
print("BCE agrees:", F.binary_cross_entropy_with_logits(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0]),
                                                        reduction="none"))

mix = D.MixtureSameFamily(D.Categorical(logits=torch.zeros(3)),
                          D.Independent(D.Normal(torch.tensor([[-2.0, 0.0], [0.0, 2.0], [2.0, 0.0]]),
                                                 torch.full((3, 2), 0.5)), 1))
print(mix)
print("mixture", mix.batch_shape, mix.event_shape, mix.mean, mix.sample((2,)).shape)
print("mixture log_prob", mix.log_prob(torch.tensor([[0.0, 2.0], [5.0, 5.0]])))

mv = D.MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor([[1.0, 0.0], [0.5, 1.0]]))
print(mv, mv.covariance_matrix, f"{mv.entropy().item():.4f}", mv.log_prob(torch.ones(2)))
print("kl(q||p) scalar", D.kl_divergence(D.Normal(0.5, 2.0), D.Normal(0.0, 1.0)))
print(D.Normal(0.0, 1.0).cdf(torch.tensor([0.0, 1.0])), D.Normal(0.0, 1.0).icdf(torch.tensor([0.975])))
print(D.Normal(0.0, 1.0).expand((3,)).batch_shape, D.Normal(0.0, 1.0).support)

for bad in [lambda: D.Normal(torch.zeros(2), -torch.ones(2)),
            lambda: D.Categorical(probs=torch.tensor([0.2, -0.3])),
            lambda: D.Bernoulli(probs=torch.tensor([0.5])).log_prob(torch.tensor([2.0])),
            lambda: D.Bernoulli(probs=0.3, logits=0.1),
            lambda: D.kl_divergence(D.Beta(1.0, 2.0), D.Normal(0.0, 1.0)),
            lambda: D.Independent(D.Normal(0.0, 1.0), 1)]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
