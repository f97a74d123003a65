"""torch.special and descriptive statistics as data-analysis and scientific scripts use them:
erf/erfc/erfinv for Gaussian tails, logit/expit, gammaln/digamma/polygamma, xlogy and entr
for entropies, i0/i1, log_ndtr/ndtr, sinc, softmax/log_softmax; then quantile/nanquantile,
median/mode, histc/histogram/bincount, cov/corrcoef, var/std (unbiased and correction=0),
cumulative statistics, and the errors of common mistakes."""
import math

import tensorgraft as torch

torch.manual_seed(0)
x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
print(torch.special.erf(x))
print(torch.special.erfc(x))
print(torch.special.erfinv(torch.tensor([-0.9, 0.0, 0.5, 0.99])))
print(torch.special.ndtr(x))
print(torch.special.ndtri(torch.tensor([0.025, 0.5, 0.975])))
print(torch.special.log_ndtr(torch.tensor([-10.0, 0.0, 3.0])))
p = torch.tensor([0.1, 0.5, 0.9])
print(torch.special.logit(p), torch.special.logit(torch.tensor([0.0, 1.0]), eps=1e-6))
print(torch.special.expit(x), torch.sigmoid(x))
print(torch.special.gammaln(torch.tensor([0.5, 1.0, 5.0, 10.5])))
print(torch.lgamma(torch.tensor([5.0])).exp(), math.factorial(4))
print(torch.special.digamma(torch.tensor([1.0, 2.0, 0.5])), torch.special.psi(torch.tensor([3.0])))
print(torch.special.polygamma(1, torch.tensor([1.0, 2.0])))
print(torch.special.multigammaln(torch.tensor([2.5, 3.0]), 2))
print(torch.special.xlogy(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 2.0, 3.0])))
print(torch.special.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])))
probs = torch.tensor([0.5, 0.25, 0.25, 0.0])
print(torch.special.entr(probs), torch.special.entr(probs).sum())
print(-(probs * probs.log()).sum(), -torch.special.xlogy(probs, probs).sum())
print(torch.special.i0(torch.tensor([0.0, 1.0, 2.5])), torch.i0(torch.tensor([3.0])))
print(torch.special.i0e(torch.tensor([0.0, 1.0, 10.0])), torch.special.i1(torch.tensor([1.0])), torch.special.i1e(torch.tensor([1.0])))
print(torch.special.sinc(torch.tensor([0.0, 0.5, 1.0])), torch.special.round(torch.tensor([0.5, 1.5, 2.5])))
print(torch.special.log1p(torch.tensor([1e-8])), torch.special.expm1(torch.tensor([1e-8])), torch.special.exp2(torch.tensor([3.0])))
print(torch.special.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0), torch.special.log_softmax(torch.tensor([1.0, 2.0]), dim=0))
print(torch.special.logsumexp(torch.tensor([1000.0, 1000.0]), dim=0))
print(torch.special.gammainc(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0])), torch.special.gammaincc(torch.tensor([2.0]), torch.tensor([1.0])))
print(torch.special.zeta(torch.tensor([2.0]), torch.tensor([1.0])), math.pi ** 2 / 6)
print(torch.special.bessel_j0(torch.tensor([0.0, 1.0])), torch.special.bessel_j1(torch.tensor([1.0])))
print(torch.special.erfcx(torch.tensor([0.0, 5.0])))

# statistics of a sample
data = torch.randn(1000) * 2 + 1
print(f"mean {data.mean().item():.4f} std {data.std().item():.4f} var {data.var(correction=0).item():.4f}")
print(torch.std_mean(data[:10]), torch.var_mean(data[:10], unbiased=False))
q = torch.quantile(data, torch.tensor([0.025, 0.25, 0.5, 0.75, 0.975]))
print(q)
print(torch.quantile(data[:9], 0.3, interpolation="lower"), torch.quantile(data[:9], 0.3, interpolation="nearest"),
      torch.quantile(data[:9], 0.3, interpolation="midpoint"), torch.quantile(data[:9], 0.3, interpolation="higher"))
m = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
print(torch.quantile(m, 0.5, dim=1, keepdim=True), m.median(), m.median(dim=1))
print(torch.nanquantile(torch.tensor([1.0, float("nan"), 3.0]), 0.5), torch.quantile(torch.tensor([1.0, float("nan"), 3.0]), 0.5))
print(torch.nanmedian(torch.tensor([1.0, float("nan"), 3.0, 2.0])), torch.nanmean(torch.tensor([1.0, float("nan"), 3.0])))
print(torch.tensor([1, 2, 2, 3, 3, 3]).mode())
print(torch.histc(data, bins=8, min=-5, max=7))
h = torch.histogram(data, bins=5)
print(h.hist, h.bin_edges)
print(torch.histogram(data, bins=torch.tensor([-10.0, 0.0, 1.0, 10.0]), density=True))
counts = torch.bincount(torch.tensor([0, 1, 1, 3, 3, 3]))
print(counts, torch.bincount(torch.tensor([0, 1, 1]), minlength=5), torch.bincount(torch.tensor([0, 1, 1]), weights=torch.tensor([0.5, 1.0, 2.0])))
print(torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_counts=True))
obs = torch.randn(3, 100)
obs[1] = obs[0] * 0.8 + obs[1] * 0.2
print(torch.cov(obs))
print(torch.corrcoef(obs))
print(torch.cov(obs, correction=0).diag(), torch.cov(obs[0]))
print(torch.cov(obs[:, :5], fweights=torch.tensor([1, 2, 1, 1, 3]), aweights=torch.tensor([0.5, 1.0, 1.0, 2.0, 1.0])))
print(torch.cumsum(torch.arange(1.0, 6.0), 0), torch.cumprod(torch.arange(1.0, 6.0), 0))
print(torch.cummax(torch.tensor([1.0, 3.0, 2.0, 5.0]), 0), torch.logcumsumexp(torch.tensor([0.0, 0.0, 0.0]), 0))
print(torch.diff(torch.tensor([1.0, 4.0, 9.0, 16.0])), torch.diff(torch.tensor([1.0, 4.0, 9.0, 16.0]), n=2))
print(torch.trapezoid(torch.tensor([1.0, 4.0, 9.0]), dx=0.5), torch.cumulative_trapezoid(torch.tensor([1.0, 4.0, 9.0])))
print(torch.aminmax(data), torch.kthvalue(torch.tensor([4.0, 1.0, 3.0, 2.0]), 2))
z = (data - data.mean()) / data.std()
print(f"skew {z.pow(3).mean().item():.4f} kurt {z.pow(4).mean().item():.4f}")
print(torch.searchsorted(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.5, 2.0, 5.0])), torch.bucketize(torch.tensor([0.5, 2.0]), torch.tensor([0.0, 1.0, 2.0]), right=True))

for bad in (lambda: torch.quantile(data, 1.5), lambda: torch.quantile(data.long(), 0.5),
            lambda: torch.bincount(torch.tensor([-1, 2])), lambda: torch.bincount(torch.tensor([1.0, 2.0])),
            lambda: torch.histc(torch.tensor([1, 2, 3]), bins=3), lambda: torch.quantile(data, 0.5, interpolation="cubic"),
            lambda: torch.cov(torch.ones(2, 2, 2)), lambda: torch.special.polygamma(-1, x),
            lambda: torch.special.erfinv(torch.tensor([1, 2])), lambda: torch.histc(data, bins=4, min=3, max=1)):
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
