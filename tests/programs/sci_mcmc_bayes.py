"""Bayesian inference by sampling, as in MCMC tutorials: random-walk Metropolis–Hastings for a
logistic-regression posterior (Normal prior, Bernoulli(logits=...) likelihood), acceptance
tests with torch.rand, posterior summaries by mean / quantile, importance sampling with
log-weights and logsumexp, and a few steps of Hamiltonian Monte Carlo with autograd gradients."""
import math

import tensorgraft as torch
from tensorgraft.distributions import Bernoulli, Normal, Uniform, StudentT, Laplace

torch.manual_seed(1)
n, d = 40, 2
X = torch.randn(n, d)
w_true = torch.tensor([1.5, -2.0])
y = Bernoulli(logits=X @ w_true).sample()
print(y[:10], y.mean())
prior = Normal(torch.zeros(d), 2.0 * torch.ones(d))
print(prior)


def log_post(w):
    return prior.log_prob(w).sum(-1) + Bernoulli(logits=X @ w).log_prob(y).sum(-1)


print(f"{log_post(torch.zeros(d)).item():.4f} {log_post(w_true).item():.4f}")
w = torch.zeros(d)
lp = log_post(w)
samples, accepted = [], 0
step = 0.4
for it in range(1500):
    prop = w + step * torch.randn(d)
    lp_prop = log_post(prop)
    if torch.rand(()).log() < lp_prop - lp:
        w, lp = prop, lp_prop
        accepted += 1
    if it >= 500 and it % 5 == 0:
        samples.append(w)
S = torch.stack(samples)
print(S.shape, f"acceptance {accepted / 1500:.3f}")
print("posterior mean", S.mean(0))
print("posterior std", S.std(0))
print("95% interval", torch.quantile(S, torch.tensor([0.025, 0.975]), dim=0))
print(f"P(w0 > 0) = {(S[:, 0] > 0).float().mean().item():.3f}")

# batched log posterior over a grid
grid = torch.stack(torch.meshgrid(torch.linspace(-1, 4, 6), torch.linspace(-5, 0, 6), indexing="ij"), -1).reshape(-1, 2)
lps = prior.log_prob(grid).sum(-1) + Bernoulli(logits=grid @ X.T).log_prob(y).sum(-1)
print(lps.shape, grid[lps.argmax()])

# importance sampling: E_p[x^2] for a Student-t target with a Normal proposal
target = StudentT(torch.tensor(5.0))
proposal = Normal(torch.tensor(0.0), torch.tensor(2.0))
xs = proposal.sample((4000,))
log_w = target.log_prob(xs) - proposal.log_prob(xs)
w_norm = torch.softmax(log_w, 0)
est = (w_norm * xs ** 2).sum()
ess = 1.0 / (w_norm ** 2).sum()
print(f"E[x^2] ~ {est.item():.4f} (exact {5 / 3:.4f}) ess {ess.item():.1f}")
print(f"log Z estimate {(torch.logsumexp(log_w, 0) - math.log(len(xs))).item():.4f}")
print(target, target.mean, target.variance)
print(Laplace(0.0, 1.0).log_prob(torch.tensor([0.0, 1.0])), Uniform(0.0, 2.0).sample((3,)))


# HMC with leapfrog, gradients of the log posterior by autograd
def grad_log_post(w):
    w = w.detach().requires_grad_(True)
    lp = log_post(w)
    (g,) = torch.autograd.grad(lp, w)
    return lp.detach(), g


w = torch.zeros(d)
eps, L = 0.1, 10
hmc = []
acc = 0
for it in range(200):
    p0 = torch.randn(d)
    lp0, g = grad_log_post(w)
    wn, p = w.clone(), p0 + 0.5 * eps * g
    for i in range(L):
        wn = wn + eps * p
        lpn, g = grad_log_post(wn)
        if i < L - 1:
            p = p + eps * g
    p = p + 0.5 * eps * g
    log_accept = (lpn - 0.5 * p.pow(2).sum()) - (lp0 - 0.5 * p0.pow(2).sum())
    if torch.rand(()).log() < log_accept:
        w = wn
        acc += 1
    if it >= 50:
        hmc.append(w)
H = torch.stack(hmc)
print(f"hmc acceptance {acc / 200:.3f}", H.mean(0), H.std(0))
