"""Normalizing flows and squashed policies built from torch.distributions.transforms, as in flow
and SAC tutorials: ComposeTransform / AffineTransform / ExpTransform / TanhTransform /
SigmoidTransform / SoftmaxTransform / StickBreakingTransform, log_abs_det_jacobian, inverse
transforms and caching, TransformedDistribution with learnable affine parameters fitted by
maximum likelihood with Adam, and a tanh-squashed Gaussian policy's log-probabilities."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.distributions as D
from tensorgraft.distributions import transforms as T

torch.manual_seed(0)

x = torch.tensor([-1.0, 0.0, 0.5, 2.0])
for t in (T.ExpTransform(), T.AffineTransform(1.0, 3.0), T.TanhTransform(), T.SigmoidTransform(),
          T.PowerTransform(torch.tensor(2.0)), T.SoftplusTransform(), T.AbsTransform()):
    y = t(x)
    print(t, y)
    if t.bijective:
        print("  inv", t.inv(y), "ladj", t.log_abs_det_jacobian(x, y))
print(T.ExpTransform().domain, T.ExpTransform().codomain, T.TanhTransform().codomain)
print(T.ExpTransform().inv, T.ExpTransform().inv.inv, T.ExpTransform() == T.ExpTransform())
c = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.TanhTransform()])
print(c, c.parts)
y = c(x)
print(y, c.inv(y), c.log_abs_det_jacobian(x, y))
print(c.domain, c.codomain, c.event_dim)
sm = T.SoftmaxTransform()
print(sm(torch.tensor([1.0, 2.0, 3.0])), sm.event_dim if hasattr(sm, "event_dim") else None)
sb = T.StickBreakingTransform()
p = sb(torch.tensor([0.0, 0.0]))
print(p, f"{p.sum().item():.4f}", sb.inv(p).abs().max().item() < 1e-6, sb.log_abs_det_jacobian(torch.tensor([0.0, 0.0]), p))
print(T.identity_transform(x), T.LowerCholeskyTransform()(torch.tensor([[1.0, 2.0], [3.0, -1.0]])))
cached = T.ExpTransform(cache_size=1)
yy = cached(x)
print(cached.inv(yy) is x, T.ExpTransform().inv(T.ExpTransform()(x)) is x)
it = T.IndependentTransform(T.ExpTransform(), 1)
print(it, it.log_abs_det_jacobian(x, x.exp()))
rt = T.ReshapeTransform((4,), (2, 2))
print(rt(x), rt.inv(rt(x)).shape)
try:
    T.ExpTransform().log_abs_det_jacobian(x)
except Exception as e:
    print(type(e).__name__, e)
try:
    T.ExpTransform(cache_size=2)
except Exception as e:
    print(type(e).__name__, e)

# learnable affine flow fitted to data: base N(0, 1), y = loc + exp(log_scale) * z
data = 3.0 + 0.5 * torch.randn(256)


class AffineFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1))
        self.log_scale = nn.Parameter(torch.zeros(1))

    def dist(self):
        base = D.Normal(torch.zeros(1), torch.ones(1))
        return D.TransformedDistribution(base, [T.AffineTransform(self.loc, self.log_scale.exp())])


flow = AffineFlow()
print(flow, [n for n, _ in flow.named_parameters()])
opt = torch.optim.Adam(flow.parameters(), lr=0.05)
for step in range(301):
    nll = -flow.dist().log_prob(data.unsqueeze(-1)).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 100 == 0:
        print(step, f"{nll.item():.4f}", f"{flow.loc.item():.4f}", f"{flow.log_scale.exp().item():.4f}")
d = flow.dist()
print(d.batch_shape, d.event_shape, d.sample((3,)).shape, d.rsample().requires_grad)
print(d.transforms, d.base_dist)

# a tanh-squashed Gaussian policy (SAC): log pi(a|s) = log N(u) - sum log(1 - tanh(u)^2)
mu = torch.tensor([[0.2, -0.5], [1.0, 0.0]], requires_grad=True)
log_std = torch.tensor([[-0.5, -1.0], [0.0, -0.2]], requires_grad=True)
normal = D.Normal(mu, log_std.exp())
u = normal.rsample()
a = torch.tanh(u)
logp_manual = (normal.log_prob(u) - torch.log(1 - a.pow(2) + 1e-6)).sum(-1)
squashed = D.TransformedDistribution(normal, [T.TanhTransform(cache_size=1)])
logp_td = squashed.log_prob(a).sum(-1)
print(a.shape, torch.allclose(logp_manual, logp_td, atol=1e-3))
print(logp_td.grad_fn is not None, squashed.has_rsample)
logp_td.sum().backward()
print(mu.grad.shape, log_std.grad.abs().sum() > 0)
ind = D.Independent(D.TransformedDistribution(D.Normal(torch.zeros(3), torch.ones(3)), [T.SigmoidTransform()]), 1)
s = ind.sample((2,))
print(s.shape, ind.log_prob(s).shape, ind.event_shape)
ln = D.LogNormal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
print(ln, ln.mean, ln.variance, ln.entropy())
print(D.TransformedDistribution(D.Normal(0.0, 1.0), T.ExpTransform()).log_prob(torch.tensor(1.0)),
      D.LogNormal(0.0, 1.0).log_prob(torch.tensor(1.0)))
print(D.TransformedDistribution(D.Uniform(0.0, 1.0), [T.AffineTransform(2.0, 3.0)]).support)
