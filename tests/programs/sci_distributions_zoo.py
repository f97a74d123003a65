"""A tour of torch.distributions as probabilistic-programming tutorials use it: MultivariateNormal
with scale_tril / covariance_matrix, Bernoulli, Beta, Dirichlet, Gamma, Uniform, Poisson,
TransformedDistribution (log-normal by ExpTransform, affine), kl_divergence between families,
reprs, batch_shape/event_shape, sample shapes, expand, and the errors of common mistakes."""
import tensorgraft as torch
from tensorgraft.distributions import (
    Bernoulli, Beta, Dirichlet, Gamma, MultivariateNormal, Normal, Poisson, Uniform,
    TransformedDistribution, LogNormal, Independent, OneHotCategorical, Exponential, kl_divergence,
)
from tensorgraft.distributions.transforms import AffineTransform, ExpTransform, SigmoidTransform

torch.manual_seed(0)

# MultivariateNormal from a covariance and from its Cholesky factor
cov = torch.tensor([[2.0, 0.6], [0.6, 1.0]])
mvn = MultivariateNormal(torch.zeros(2), covariance_matrix=cov)
print(mvn)
print(mvn.batch_shape, mvn.event_shape)
print(mvn.scale_tril)
print(mvn.precision_matrix)
L = torch.linalg.cholesky(cov)
mvn2 = MultivariateNormal(torch.tensor([1.0, -1.0]), scale_tril=L)
print(mvn2.covariance_matrix)
x = mvn2.sample((4,))
print(x)
print(mvn2.log_prob(x))
print(mvn2.entropy(), mvn2.mean, mvn2.variance)
print(kl_divergence(mvn2, mvn))
batched = MultivariateNormal(torch.zeros(3, 2), scale_tril=L.expand(3, 2, 2))
print(batched.batch_shape, batched.event_shape, batched.rsample((5,)).shape)
print(batched.log_prob(torch.zeros(2)))
try:
    MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
except Exception as e:
    print(type(e).__name__, e)
try:
    MultivariateNormal(torch.zeros(2))
except Exception as e:
    print(type(e).__name__, e)
try:
    MultivariateNormal(torch.zeros(2), covariance_matrix=cov, scale_tril=L)
except Exception as e:
    print(type(e).__name__, e)

# Bernoulli / Beta (coin with a Beta prior: the conjugate update)
flips = Bernoulli(probs=torch.tensor(0.7)).sample((20,))
print(flips, flips.dtype)
heads = flips.sum()
prior = Beta(torch.tensor(2.0), torch.tensor(2.0))
post = Beta(prior.concentration1 + heads, prior.concentration0 + 20 - heads)
print(prior, post)
print(f"posterior mean {post.mean.item():.4f} var {post.variance.item():.6f}")
print(post.log_prob(torch.tensor([0.25, 0.5, 0.75])))
print(post.sample((3,)))
print(kl_divergence(post, prior))
b = Bernoulli(logits=torch.tensor([-1.0, 0.0, 2.0]))
print(b, b.probs, b.entropy())
print(b.log_prob(torch.tensor([1.0, 0.0, 1.0])))
print(b.enumerate_support())

# Dirichlet
d = Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
print(d, d.batch_shape, d.event_shape)
s = d.sample((2,))
print(s, s.sum(-1))
print(d.log_prob(torch.tensor([0.2, 0.3, 0.5])), d.mean, d.entropy())
print(kl_divergence(d, Dirichlet(torch.ones(3))))
try:
    d.log_prob(torch.tensor([0.2, 0.3, 0.6]))
except Exception as e:
    print(type(e).__name__, e)

# Gamma / Poisson / Uniform / Exponential
g = Gamma(torch.tensor([1.0, 3.0]), torch.tensor([2.0, 0.5]))
print(g, g.mean, g.variance, g.sample())
print(g.log_prob(torch.tensor([0.5, 4.0])), g.cdf(torch.tensor([0.5, 4.0])))
pois = Poisson(torch.tensor([1.0, 4.0]))
print(pois, pois.sample((3,)), pois.log_prob(torch.tensor([0.0, 3.0])))
u = Uniform(torch.tensor(-1.0), torch.tensor(3.0))
print(u, u.sample((4,)), u.entropy(), u.log_prob(torch.tensor(0.5)))
try:
    u.log_prob(torch.tensor(5.0))
except Exception as e:
    print(type(e).__name__, e)
print(Exponential(torch.tensor(2.0)).rsample((3,)))
print(kl_divergence(Exponential(torch.tensor(2.0)), Exponential(torch.tensor(1.0))))

# TransformedDistribution: log-normal two ways, and a squashed Gaussian (SAC-style policy)
base = Normal(torch.tensor(0.0), torch.tensor(0.5))
logn = TransformedDistribution(base, [ExpTransform()])
print(logn)
ref = LogNormal(torch.tensor(0.0), torch.tensor(0.5))
v = torch.tensor([0.5, 1.0, 2.0])
print(logn.log_prob(v), ref.log_prob(v))
print(logn.sample((3,)), logn.batch_shape, logn.event_shape)
aff = TransformedDistribution(Normal(torch.zeros(2), torch.ones(2)), [AffineTransform(loc=3.0, scale=2.0)])
print(aff.log_prob(torch.tensor([3.0, 5.0])), aff.rsample().shape)
squash = TransformedDistribution(Normal(torch.zeros(3), torch.ones(3)), [SigmoidTransform()])
y = squash.sample()
print(y, squash.log_prob(y))
print(ExpTransform(), AffineTransform(loc=3.0, scale=2.0), ExpTransform().inv)
print(ExpTransform().inv(torch.tensor([1.0, 4.0])))

# One-hot and Independent
oh = OneHotCategorical(probs=torch.tensor([0.1, 0.6, 0.3]))
print(oh, oh.sample((2,)), oh.event_shape)
ind = Independent(Normal(torch.zeros(3, 2), torch.ones(3, 2)), 1)
print(ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(3, 2)))
print(Normal(torch.zeros(2), torch.ones(2)).expand((3, 2)))
try:
    kl_divergence(Beta(torch.tensor(1.0), torch.tensor(1.0)), Poisson(torch.tensor(1.0)))
except Exception as e:
    print(type(e).__name__, e)
try:
    Beta(torch.tensor(-1.0), torch.tensor(1.0))
except Exception as e:
    print(type(e).__name__, e)
