"""Gaussian mixture models as in probabilistic-ML tutorials: data drawn from MixtureSameFamily,
fitted by gradient ascent on the log-likelihood (unconstrained parameters mapped through
softmax / exp / transform_to), then by classic EM with responsibilities from logsumexp; the
mixture's repr, shapes, mean/variance, cdf and the constraint helpers."""
# needs: optim
import tensorgraft as torch
import tensorgraft.distributions as D
from tensorgraft.distributions import constraints, transform_to

torch.manual_seed(0)

mix = D.Categorical(torch.tensor([0.3, 0.7]))
comp = D.Normal(torch.tensor([-2.0, 1.5]), torch.tensor([0.5, 0.8]))
gmm = D.MixtureSameFamily(mix, comp)
print(gmm)
print(gmm.batch_shape, gmm.event_shape, gmm.mean, gmm.variance)
data = gmm.sample((300,))
print(data.shape, data[:5])
print(f"data mean {data.mean().item():.4f} std {data.std().item():.4f}")
print(gmm.log_prob(torch.tensor([-2.0, 0.0, 1.5])))
print(gmm.cdf(torch.tensor([-2.0, 0.0, 1.5])))
print(f"true avg loglik {gmm.log_prob(data).mean().item():.4f}")

# 2-D mixture with Independent components
mix2 = D.Categorical(torch.ones(3))
comp2 = D.Independent(D.Normal(torch.tensor([[0.0, 0.0], [3.0, 3.0], [-3.0, 3.0]]), torch.ones(3, 2) * 0.5), 1)
gmm2 = D.MixtureSameFamily(mix2, comp2)
print(gmm2.batch_shape, gmm2.event_shape)
pts = gmm2.sample((4,))
print(pts)
print(gmm2.log_prob(pts))
print(gmm2.component_distribution.batch_shape, gmm2.mixture_distribution.probs)

# fit by gradient ascent on unconstrained parameters
logits = torch.zeros(2, requires_grad=True)
locs = torch.tensor([-1.0, 1.0], requires_grad=True)
raw_scales = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([logits, locs, raw_scales], lr=0.05)
to_pos = transform_to(constraints.positive)
print(to_pos, transform_to(constraints.simplex), transform_to(constraints.interval(0.0, 1.0)))
for step in range(201):
    model = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(locs, to_pos(raw_scales)))
    nll = -model.log_prob(data).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 50 == 0:
        print(step, f"{nll.item():.4f}", [f"{v:.3f}" for v in locs.tolist()])
print("weights", [f"{v:.3f}" for v in torch.softmax(logits, 0).tolist()],
      "scales", [f"{v:.3f}" for v in raw_scales.exp().tolist()])
print(nll.grad_fn)

# EM
pi = torch.tensor([0.5, 0.5])
mu = torch.tensor([-1.0, 1.0])
sigma = torch.tensor([1.0, 1.0])
for it in range(30):
    log_r = torch.log(pi) + D.Normal(mu, sigma).log_prob(data.unsqueeze(1))
    log_r = log_r - torch.logsumexp(log_r, dim=1, keepdim=True)
    r = log_r.exp()
    nk = r.sum(0)
    pi = nk / len(data)
    mu = (r * data.unsqueeze(1)).sum(0) / nk
    sigma = ((r * (data.unsqueeze(1) - mu) ** 2).sum(0) / nk).sqrt()
    if it % 10 == 0:
        ll = torch.logsumexp(torch.log(pi) + D.Normal(mu, sigma).log_prob(data.unsqueeze(1)), dim=1).mean()
        print(it, f"{ll.item():.4f}")
print(pi, mu, sigma)
assign = r.argmax(1)
print(torch.bincount(assign), r[:3])

# constraints in use
print(constraints.positive, constraints.unit_interval, constraints.simplex, constraints.real)
print(constraints.positive.check(torch.tensor([-1.0, 0.0, 2.0])), constraints.simplex.check(torch.tensor([0.3, 0.7])))
print(constraints.interval(0.0, 2.0).check(torch.tensor([1.0, 3.0])), constraints.integer_interval(0, 3))
print(D.Normal.arg_constraints["scale"], D.Categorical.arg_constraints)
t = transform_to(constraints.simplex)
y = t(torch.tensor([0.0, 1.0]))
print(y, t.inv(y))
try:
    D.MixtureSameFamily(D.Categorical(torch.ones(3)), D.Normal(torch.zeros(2), torch.ones(2)))
except Exception as e:
    print(type(e).__name__, e)
try:
    D.MixtureSameFamily(torch.ones(2), D.Normal(torch.zeros(2), torch.ones(2)))
except Exception as e:
    print(type(e).__name__, e)
