"""Gaussian-process regression written from scratch, as in GP tutorials: an RBF kernel from
torch.cdist, the Cholesky of K + noise, cholesky_solve / solve_triangular for the posterior mean
and variance, the log marginal likelihood as a MultivariateNormal log_prob (and by hand), kernel
hyperparameters fitted with Adam through softplus, posterior samples, and LowRankMultivariateNormal
for a low-rank-plus-diagonal covariance."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn.functional as F
from tensorgraft.distributions import LowRankMultivariateNormal, MultivariateNormal

torch.manual_seed(0)
X = torch.linspace(0, 5, 12, dtype=torch.float64).unsqueeze(1)
y = torch.sin(X).squeeze(1) + 0.1 * torch.randn(12, dtype=torch.float64)
Xs = torch.linspace(-0.5, 5.5, 7, dtype=torch.float64).unsqueeze(1)


def rbf(a, b, lengthscale, variance):
    d2 = torch.cdist(a, b).pow(2)
    return variance * torch.exp(-0.5 * d2 / lengthscale ** 2)


K = rbf(X, X, 1.0, 1.0)
print(K.shape, K.dtype, K[0, :4])
print(torch.cdist(X[:3], X[:3]))
L = torch.linalg.cholesky(K + 0.01 * torch.eye(12, dtype=torch.float64))
print(L[:3, :3])
alpha = torch.cholesky_solve(y.unsqueeze(1), L)
Ks = rbf(Xs, X, 1.0, 1.0)
mean = (Ks @ alpha).squeeze(1)
v = torch.linalg.solve_triangular(L, Ks.T, upper=False)
var = 1.0 - v.pow(2).sum(0)
print("mean", mean)
print("std ", var.clamp_min(0).sqrt())
print("sin ", torch.sin(Xs).squeeze(1))

mvn = MultivariateNormal(torch.zeros(12, dtype=torch.float64), scale_tril=L)
lml = mvn.log_prob(y)
by_hand = -0.5 * (y @ alpha.squeeze(1)) - L.diagonal().log().sum() - 6 * math.log(2 * math.pi)
print(f"log marginal likelihood {lml.item():.6f} {by_hand.item():.6f}")
print(mvn.batch_shape, mvn.event_shape, mvn.loc.dtype)

# hyperparameter fit
raw = torch.zeros(3, dtype=torch.float64, requires_grad=True)  # lengthscale, variance, noise
opt = torch.optim.Adam([raw], lr=0.1)
for step in range(101):
    ls, var_f, noise = F.softplus(raw) + 1e-4
    Kn = rbf(X, X, ls, var_f) + noise * torch.eye(12, dtype=torch.float64)
    loss = -MultivariateNormal(torch.zeros(12, dtype=torch.float64), covariance_matrix=Kn).log_prob(y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 25 == 0:
        print(step, f"{loss.item():.4f}", [f"{t:.4f}" for t in (F.softplus(raw) + 1e-4).tolist()])
print(loss.grad_fn, raw.grad)

# posterior samples at the test points
with torch.no_grad():
    ls, var_f, noise = F.softplus(raw) + 1e-4
    Kn = rbf(X, X, ls, var_f) + noise * torch.eye(12, dtype=torch.float64)
    Ln = torch.linalg.cholesky(Kn)
    Ks = rbf(Xs, X, ls, var_f)
    mu_s = Ks @ torch.cholesky_solve(y.unsqueeze(1), Ln)
    vs = torch.linalg.solve_triangular(Ln, Ks.T, upper=False)
    cov_s = rbf(Xs, Xs, ls, var_f) - vs.T @ vs + 1e-6 * torch.eye(7, dtype=torch.float64)
    post = MultivariateNormal(mu_s.squeeze(1), covariance_matrix=cov_s)
    draws = post.sample((3,))
print(draws.shape, draws[:, :3])
print(post.variance)

# low-rank plus diagonal covariance
W = torch.randn(5, 2)
Dg = torch.rand(5) + 0.5
lr = LowRankMultivariateNormal(torch.zeros(5), cov_factor=W, cov_diag=Dg)
print(lr)
full = MultivariateNormal(torch.zeros(5), covariance_matrix=W @ W.T + torch.diag(Dg))
z = torch.randn(5)
print(lr.log_prob(z), full.log_prob(z))
print(lr.entropy(), full.entropy())
print(torch.allclose(lr.covariance_matrix, full.covariance_matrix), lr.rsample((2,)).shape)
print(lr.variance, full.variance)
