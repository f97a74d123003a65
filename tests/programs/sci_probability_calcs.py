"""Probability and statistics homework done with torch.distributions: pmf tables for Binomial /
Poisson / Geometric / NegativeBinomial via log_prob().exp(), cdf / icdf for Normal, Exponential,
Uniform, Laplace, Cauchy, Gamma and Beta-free cases, z-tests and confidence intervals, a
chi-square goodness-of-fit by hand with Gamma.cdf, entropies and perplexities, expand and
enumerate_support, set_default_validate_args, and the NotImplementedError of missing methods."""
import math

import tensorgraft as torch
import tensorgraft.distributions as D

torch.manual_seed(0)
k = torch.arange(0, 6, dtype=torch.float32)
print("binomial", D.Binomial(5, torch.tensor(0.4)).log_prob(k).exp())
print("poisson ", D.Poisson(torch.tensor(2.0)).log_prob(k).exp())
print("geometric", D.Geometric(torch.tensor(0.25)).log_prob(k).exp())
print("negbin  ", D.NegativeBinomial(torch.tensor(3.0), torch.tensor(0.4)).log_prob(k).exp())
print("cat     ", D.Categorical(torch.tensor([0.1, 0.2, 0.7])).log_prob(torch.arange(3)).exp())
b = D.Binomial(torch.tensor([10.0, 20.0]), torch.tensor([0.5, 0.1]))
print(b.mean, b.variance, b.batch_shape)
try:
    b.enumerate_support()
except NotImplementedError as ex:
    print("NotImplementedError", ex)
print(D.Binomial(4, torch.tensor(0.5)).enumerate_support(expand=False).squeeze())

n01 = D.Normal(0.0, 1.0)
z = torch.tensor([-1.96, -1.0, 0.0, 1.0, 1.645, 1.96])
print(n01.cdf(z))
print(n01.icdf(torch.tensor([0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995])))
sample = 10.3 + 2.0 * torch.randn(25)
xbar, s = sample.mean(), sample.std()
se = s / math.sqrt(len(sample))
zstat = (xbar - 10.0) / se
p_two = 2 * (1 - n01.cdf(zstat.abs()))
print(f"mean {xbar.item():.4f} sd {s.item():.4f} z {zstat.item():.4f} p {p_two.item():.4f}")
q = n01.icdf(torch.tensor(0.975))
print(f"95% CI ({(xbar - q * se).item():.4f}, {(xbar + q * se).item():.4f})")

for dist in (D.Exponential(torch.tensor(0.5)), D.Uniform(torch.tensor(-2.0), torch.tensor(2.0)),
             D.Laplace(torch.tensor(0.0), torch.tensor(1.0)), D.Cauchy(torch.tensor(0.0), torch.tensor(1.0)),
             D.Normal(torch.tensor(5.0), torch.tensor(2.0)), D.HalfNormal(torch.tensor(1.0))):
    x = torch.tensor([0.5, 1.0, 1.5])
    p = dist.cdf(x)
    print(type(dist).__name__, p, dist.icdf(p), dist.entropy())
g = D.Gamma(torch.tensor(3.0), torch.tensor(0.5))
print(g.cdf(torch.tensor([1.0, 6.0, 12.0])), g.mean, g.mode)

# chi-square goodness of fit for a die, the p-value from the Chi2 (= Gamma) cdf
rolls = torch.randint(1, 7, (600,))
observed = torch.bincount(rolls, minlength=7)[1:].float()
expected = torch.full((6,), 100.0)
chi2 = ((observed - expected) ** 2 / expected).sum()
pval = 1 - D.Chi2(torch.tensor(5.0)).cdf(chi2)
print(observed, f"chi2 {chi2.item():.4f} p {pval.item():.4f}")

# entropy and perplexity of a unigram model
counts = torch.tensor([50.0, 30.0, 15.0, 5.0])
model = D.Categorical(probs=counts)
print(model.probs, model.entropy(), torch.exp(model.entropy()))
print(D.Categorical(logits=torch.zeros(4)).entropy(), math.log(4))
print(D.Bernoulli(torch.tensor([0.5, 0.9, 0.99])).entropy())
print(D.kl_divergence(D.Categorical(probs=counts), D.Categorical(logits=torch.zeros(4))))
print(D.kl_divergence(D.Bernoulli(torch.tensor(0.3)), D.Bernoulli(torch.tensor(0.5))))
print(D.kl_divergence(D.Poisson(torch.tensor(3.0)), D.Poisson(torch.tensor(2.0))))
print(D.kl_divergence(D.Beta(torch.tensor(2.0), torch.tensor(3.0)), D.Beta(torch.tensor(1.0), torch.tensor(1.0))))
print(D.kl_divergence(D.Gamma(torch.tensor(2.0), torch.tensor(1.0)), D.Exponential(torch.tensor(1.0))))

e = D.Normal(torch.zeros(3), torch.ones(3)).expand((2, 3))
print(e, e.batch_shape, e.sample().shape)
print(D.Poisson(torch.tensor([1.0, 2.0])).expand((3, 2)).sample().shape)
for call in (lambda: D.Gamma(torch.tensor(2.0), torch.tensor(1.0)).icdf(torch.tensor(0.5)),
             lambda: D.StudentT(torch.tensor(3.0)).cdf(torch.tensor(0.0)),
             lambda: D.Beta(torch.tensor(2.0), torch.tensor(2.0)).cdf(torch.tensor(0.5)),
             lambda: D.Poisson(torch.tensor(2.0)).log_prob(torch.tensor(1.5)),
             lambda: D.Binomial(5, torch.tensor(0.3)).log_prob(torch.tensor(6.0)),
             lambda: D.Normal(0.0, 1.0).icdf(torch.tensor(1.5)),
             lambda: D.Geometric(torch.tensor(0.0)),
             lambda: D.Categorical(torch.tensor([0.5, 0.5])).cdf(torch.tensor(0))):
    try:
        print(call())
    except Exception as ex:
        print(type(ex).__name__, ex)
D.Distribution.set_default_validate_args(False)
print(D.Poisson(torch.tensor(2.0)).log_prob(torch.tensor(1.5)))
print(D.Normal(0.0, -1.0).scale)
D.Distribution.set_default_validate_args(True)
try:
    D.Normal(0.0, -1.0)
except ValueError as ex:
    print("ValueError", str(ex).splitlines()[0])
