"""Two classic sequential-inference loops: Thompson sampling for a Bernoulli bandit with Beta
posteriors (Beta.sample per arm, Bernoulli rewards, posterior means and credible intervals via
Beta.icdf-free quantiles of samples), and a Kalman filter / RTS-free tracker for a constant-
velocity model written with matrix ops, MultivariateNormal observations, the innovation
log-likelihood and the filter's covariance; plus Poisson-Gamma conjugate updates."""
import tensorgraft as torch
from tensorgraft.distributions import Bernoulli, Beta, Gamma, MultivariateNormal, Normal, Poisson

torch.manual_seed(0)
true_p = torch.tensor([0.25, 0.55, 0.6])
alpha = torch.ones(3)
beta = torch.ones(3)
pulls = torch.zeros(3, dtype=torch.long)
total = 0.0
for t in range(300):
    theta = Beta(alpha, beta).sample()
    arm = int(theta.argmax())
    r = Bernoulli(true_p[arm]).sample()
    alpha[arm] += r
    beta[arm] += 1 - r
    pulls[arm] += 1
    total += r.item()
    if t % 100 == 99:
        print(t + 1, pulls.tolist(), f"reward {total:.0f}", (alpha / (alpha + beta)))
post = Beta(alpha, beta)
print(post)
print(post.mean, post.variance)
draws = post.sample((2000,))
print(torch.quantile(draws, torch.tensor([0.05, 0.95]), dim=0))
print(f"P(arm2 best) = {(draws.argmax(1) == 2).float().mean().item():.3f}")
print(post.entropy(), post.log_prob(torch.tensor([0.3, 0.5, 0.6])))

# Poisson-Gamma: counts of events per day with a Gamma(2, 1) prior on the rate
counts = Poisson(torch.tensor(4.0)).sample((30,))
print(counts[:10], counts.sum())
prior = Gamma(torch.tensor(2.0), torch.tensor(1.0))
posterior = Gamma(prior.concentration + counts.sum(), prior.rate + len(counts))
print(posterior, f"{posterior.mean.item():.4f}", f"{posterior.stddev.item():.4f}")
print(posterior.sample((4,)))
print(f"{Poisson(posterior.mean).log_prob(counts).sum().item():.4f}")

# Kalman filter for x_t = F x_{t-1} + w, y_t = H x_t + v
dt = 0.1
F = torch.tensor([[1.0, dt], [0.0, 1.0]], dtype=torch.float64)
H = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
Q = 0.01 * torch.eye(2, dtype=torch.float64)
R = torch.tensor([[0.25]], dtype=torch.float64)
x_true = torch.tensor([0.0, 1.0], dtype=torch.float64)
process = MultivariateNormal(torch.zeros(2, dtype=torch.float64), covariance_matrix=Q)
noise = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64))
xs, ys = [], []
for _ in range(40):
    x_true = F @ x_true + process.sample()
    xs.append(x_true)
    ys.append(H @ x_true + noise.sample((1,)))
xs, ys = torch.stack(xs), torch.stack(ys)
print(xs.shape, ys.shape, xs[-1], ys[-1])

x = torch.zeros(2, dtype=torch.float64)
P = torch.eye(2, dtype=torch.float64)
loglik = torch.tensor(0.0, dtype=torch.float64)
estimates = []
for t in range(40):
    x = F @ x
    P = F @ P @ F.T + Q
    S = H @ P @ H.T + R
    innov = ys[t] - H @ x
    loglik = loglik + MultivariateNormal(torch.zeros(1, dtype=torch.float64), covariance_matrix=S).log_prob(innov)
    K = P @ H.T @ torch.linalg.inv(S)
    x = x + K @ innov
    P = (torch.eye(2, dtype=torch.float64) - K @ H) @ P
    estimates.append(x)
est = torch.stack(estimates)
print("final estimate", est[-1], "truth", xs[-1])
print("final P", P)
print(f"log-likelihood {loglik.item():.4f}")
rmse_filter = (est[:, 0] - xs[:, 0]).pow(2).mean().sqrt()
rmse_raw = (ys[:, 0] - xs[:, 0]).pow(2).mean().sqrt()
print(f"rmse filter {rmse_filter.item():.4f} raw {rmse_raw.item():.4f}")
print(K.shape, K.squeeze(), torch.linalg.eigvalsh(P))
