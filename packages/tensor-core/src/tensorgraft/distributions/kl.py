"""``kl_divergence(p, q)`` = E_p[log p(X) - log q(X)], dispatched on the two types.

``register_kl(P, Q)`` adds a closed form; the lookup takes the registered pair whose classes are
the nearest ancestors of ``type(p)`` and ``type(q)`` (so a subclass reuses its parent's formula
until it registers its own).
"""
import math
import warnings

import tensorgraft as tg

from .continuous import Beta, Cauchy, Exponential, Gamma, Laplace, Normal, Uniform
from .continuous_bernoulli import ContinuousBernoulli
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import LOG_SQRT_2PI, softplus, sum_rightmost
from .gumbel import EULER_GAMMA, Gumbel
from .half_normal import HalfNormal
from .multivariate import Dirichlet, MultivariateNormal, _batch_solve_lower
from .pareto import Pareto
from .transformed import Independent, TransformedDistribution

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}
_DISPATCH_CACHE = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...``."""
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError("Expected type_p and type_q to be subclasses of Distribution")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _DISPATCH_CACHE.clear()
        return fn
    return decorator


def _dispatch(tp, tq):
    """The registered pair nearest to ``(tp, tq)``, ``p``'s class first. When the pair nearest
    ``q``'s class first is another formula, the choice is ambiguous: PyTorch warns, naming the
    pair to register (once per pair of types, as the result is cached)."""
    matches = [(P, Q) for P, Q in _KL_REGISTRY if issubclass(tp, P) and issubclass(tq, Q)]
    if not matches:
        return None
    left_p, left_q = min(matches, key=lambda m: (tp.__mro__.index(m[0]), tq.__mro__.index(m[1])))
    right_p, right_q = min(matches, key=lambda m: (tq.__mro__.index(m[1]), tp.__mro__.index(m[0])))
    if _KL_REGISTRY[left_p, left_q] is not _KL_REGISTRY[right_p, right_q]:
        warnings.warn(f"Ambiguous kl_divergence({tp.__name__}, {tq.__name__}). "
                      f"Please register_kl({left_p.__name__}, {right_q.__name__})", RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left_p, left_q]


def kl_divergence(p, q):
    key = (type(p), type(q))
    if key not in _DISPATCH_CACHE:
        _DISPATCH_CACHE[key] = _dispatch(*key)
    fn = _DISPATCH_CACHE[key]
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} "
                                  f"and q type {q.__class__.__name__}")
    return fn(p, q)


def _infinite_where(cond, value):
    return tg.where(cond, tg.full_like(value, math.inf), value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # log p = -softplus(-logit), log(1 - p) = -softplus(logit)
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    # exactly 0 or 1: infinite where q gives no mass to what p draws, no term where p never draws it
    inf = float("inf")
    t1 = tg.where(p.probs == 0, 0.0, tg.where(q.probs == 0, inf, t1))
    t2 = tg.where(p.probs == 1, 0.0, tg.where(q.probs == 1, inf, t2))
    return t1 + t2


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * _kl_bernoulli_bernoulli(p, q)
    return _infinite_where(p.total_count > q.total_count, kl)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = tg.where(p.probs == 0, tg.zeros_like(t), t)
    t = _infinite_where((q.probs == 0) & (p.probs > 0), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    # E_p[log q(X)] = log q + E_p[X] log(1 - q), E_p[X] = 1/p - 1
    return -p.entropy() - tg.log1p(-q.probs) * (1 / p.probs - 1) - q.probs.log()


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    kl = ((q.high - q.low) / (p.high - p.low)).log()
    return _infinite_where((q.low > p.low) | (q.high < p.high), kl)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    ratio = p.scale / q.scale
    d = (p.loc - q.loc).abs()
    return -ratio.log() + d / q.scale + ratio * tg.exp(-d / p.scale) - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    ap, bp, aq, bq = p.concentration, p.rate, q.concentration, q.rate
    return ((ap - aq) * tg.digamma(ap) - tg.lgamma(ap) + tg.lgamma(aq)
            + aq * (bp.log() - bq.log()) + ap * (bq - bp) / bp)


def _kl_dirichlet_concentrations(a, b):
    a0, b0 = a.sum(-1), b.sum(-1)
    return (tg.lgamma(a0) - tg.lgamma(b0) - tg.lgamma(a).sum(-1) + tg.lgamma(b).sum(-1)
            + ((a - b) * (tg.digamma(a) - tg.digamma(a0).unsqueeze(-1))).sum(-1))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    return _kl_dirichlet_concentrations(p.concentration, q.concentration)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    a, b = tg.broadcast_tensors(p._concentration, q._concentration)
    return _kl_dirichlet_concentrations(a, b)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    shape = tg.broadcast_shapes(tuple(Lp.shape), tuple(Lq.shape))
    # tr(Sq^-1 Sp) = ||Lq^-1 Lp||_F^2; the Mahalanobis term uses Lq^-1 (mu_q - mu_p)
    M = tg.linalg.solve_triangular(Lq.expand(shape), Lp.expand(shape), upper=False)
    trace = M.pow(2).sum((-2, -1))
    maha = _batch_solve_lower(Lq, q.loc - p.loc).pow(2).sum(-1)
    log_det = (Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    return log_det + 0.5 * (trace + maha - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    # the same bijection applied to both leaves the divergence of the bases unchanged
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError
    extra_event_dims = len(p.event_shape) - len(p.base_dist.event_shape)
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), extra_event_dims)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    # Chyzak & Nielsen (2019): log(((g_p + g_q)^2 + (m_p - m_q)^2) / (4 g_p g_q))
    spread = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return spread.log() - (4 * p.scale * q.scale).log()


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)


# ---------------------------------------------------------------------------------------------
# Pairs with a new distribution on one side. Most are -H(p) - E_p[log q(X)] with E_p[log q(X)]
# written from the moments of p that log q depends on. Where the support of p is not inside the
# support of q the divergence is infinite for every parameter value.

def _infinite_like(t):
    return tg.full_like(t, math.inf)


def _expected_log_normal(mean, variance, q):
    """``E[log q(X)]`` for ``q = Normal`` and any ``X`` with the given mean and variance."""
    second_moment = variance + (mean - q.loc).pow(2)
    return -second_moment / (2 * q.scale.pow(2)) - q.scale.log() - LOG_SQRT_2PI


@register_kl(Beta, Normal)
@register_kl(ContinuousBernoulli, Normal)
@register_kl(Exponential, Normal)
@register_kl(Gamma, Normal)
@register_kl(Gumbel, Normal)
@register_kl(Uniform, Normal)
def _kl_normal_from_moments(p, q):
    """Any ``p`` with a finite mean and variance against a Normal."""
    return -p.entropy() - _expected_log_normal(p.mean, p.variance, q)


def _expected_log_gumbel(mean, laplace_transform, q):
    """``E[log q(X)]`` for ``q = Gumbel(m, s)``: ``log q(x) = -log s - z - exp(-z)`` with
    ``z = (x - m) / s``, so it needs ``E[X]`` and ``E[exp(-X / s)]`` (``laplace_transform``)."""
    return -q.scale.log() - (mean - q.loc) / q.scale - tg.exp(q.loc / q.scale) * laplace_transform


def _continuous_bernoulli_log_terms(q):
    """``log q(x) = x * logits + log(1 - p) + log C`` for ``q = ContinuousBernoulli``: (slope, offset)."""
    return q.logits, tg.log1p(-q.probs) + q._log_normalizer_of_probs()


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    # E_p[exp(-t z_p)] = Gamma(1 + t) for a standard Gumbel z_p
    return (ratio.reciprocal().log() + shift + EULER_GAMMA * (ratio - 1) - 1
            + tg.exp(-shift + tg.lgamma(1 + ratio)))


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    s = q.scale
    laplace = tg.exp(-p.loc / s + p.scale.pow(2) / (2 * s.pow(2)))
    return -p.entropy() - _expected_log_gumbel(p.loc, laplace, q)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    s = q.scale
    laplace = s * (tg.exp(-p.low / s) - tg.exp(-p.high / s)) / (p.high - p.low)
    return -p.entropy() - _expected_log_gumbel(p.mean, laplace, q)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    rs = p.rate * q.scale
    return -p.entropy() - _expected_log_gumbel(p.mean, rs / (rs + 1), q)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    rs = p.rate * q.scale
    laplace = tg.exp(p.concentration * (rs.log() - tg.log1p(rs)))
    return -p.entropy() - _expected_log_gumbel(p.mean, laplace, q)


def _pareto_mean_log(p):
    """``E[log X] = log scale + 1 / alpha`` for ``X ~ Pareto(scale, alpha)``."""
    return p.scale.log() + p.alpha.reciprocal()


def _expected_log_pareto(mean_log, q):
    """``E[log q(X)]`` for ``q = Pareto(s, a)`` on its support: ``log q(x) = log a + a log s - (a + 1) log x``."""
    return q.alpha.log() + q.alpha * q.scale.log() - (q.alpha + 1) * mean_log


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    # q's support starts at scale_q
    kl = -p.entropy() - _expected_log_pareto(_pareto_mean_log(p), q)
    return _infinite_where(p.scale < q.scale, kl)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    kl = -p.entropy() - _expected_log_normal(p.mean, p.variance, q)
    return _infinite_where(p.alpha <= 2, kl)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    kl = -p.entropy() - q.rate.log() + q.rate * p.mean
    return _infinite_where(p.alpha <= 1, kl)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    a, b = q.concentration, q.rate
    mean_log = _pareto_mean_log(p)
    expected_log_q = a * b.log() + (a - 1) * mean_log - b * p.mean - tg.lgamma(a)
    return _infinite_where(p.alpha <= 1, -p.entropy() - expected_log_q)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    expected_log_q = _expected_log_pareto(_uniform_mean_log(p.low, p.high), q)
    return _infinite_where(p.low < q.scale, -p.entropy() - expected_log_q)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    slope_p, offset_p = _continuous_bernoulli_log_terms(p)
    slope_q, offset_q = _continuous_bernoulli_log_terms(q)
    return p.mean * (slope_p - slope_q) + offset_p - offset_q


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Uniform)
@register_kl(ContinuousBernoulli, Uniform)
def _kl_unit_interval_uniform(p, q):
    """``p`` supported on ``[0, 1]`` against a Uniform: ``E_p[log q]`` is ``-log(high - low)``
    when ``[low, high]`` covers ``[0, 1]``."""
    kl = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low > 0) | (q.high < 1), kl)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    slope, offset = _continuous_bernoulli_log_terms(q)
    kl = -p.entropy() - (p.mean * slope + offset)
    return _infinite_where((p.low < 0) | (p.high > 1), kl)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    slope, offset = _continuous_bernoulli_log_terms(q)
    return -p.entropy() - (p.mean * slope + offset)


def _register_infinite(pairs, param_of_p):
    """Registers ``KL = inf`` (shaped like ``param_of_p(p)``) for pairs whose supports nest badly."""
    def infinite(p, q):
        return _infinite_like(param_of_p(p))
    for type_p, type_q in pairs:
        register_kl(type_p, type_q)(infinite)


# a real-line p against q on a half line or an interval
_register_infinite([(Gumbel, q) for q in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)],
                   lambda p: p.loc)
_register_infinite([(Normal, ContinuousBernoulli), (Normal, Pareto), (Laplace, ContinuousBernoulli),
                    (Laplace, Pareto)], lambda p: p.loc)
# a half line starting at 0 (or an unbounded tail) against [0, 1] or [scale, inf)
_register_infinite([(Exponential, ContinuousBernoulli), (Exponential, Pareto)], lambda p: p.rate)
_register_infinite([(Gamma, ContinuousBernoulli), (Gamma, Pareto)], lambda p: p.concentration)
_register_infinite([(Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform)], lambda p: p.scale)
_register_infinite([(Beta, Pareto)], lambda p: p.concentration0)
_register_infinite([(ContinuousBernoulli, Pareto)], lambda p: p.probs)


# ---------------------------------------------------------------------------------------------
# Pairs across the older families. Each is again -H(p) - E_p[log q(X)], and E_p[log q(X)] only
# needs the few moments of p that log q is linear in:
#   Normal(m, s):       -(x - m)^2 / 2s^2 - log s - log sqrt(2 pi)     -> E[X], Var[X]
#   Exponential(r):     log r - r x                                      -> E[X]
#   Gamma(a, b):        a log b - lgamma(a) + (a - 1) log x - b x        -> E[X], E[log X]
#   Beta(a, b):         (a - 1) log x + (b - 1) log(1 - x) - log B(a, b) -> E[log X], E[log(1 - X)]
#   Uniform(l, h):      -log(h - l) on [l, h]                            -> nothing but the support
#   Laplace(m, s):      -log 2s - |x - m| / s                            -> E|X - m|

def _expected_log_exponential(mean, q):
    return q.rate.log() - q.rate * mean


def _expected_log_gamma(mean, mean_log, q):
    a, b = q.concentration, q.rate
    return a * b.log() - tg.lgamma(a) + (a - 1) * mean_log - b * mean


def _expected_log_beta(mean_log, mean_log1m, q):
    a, b = q.concentration1, q.concentration0
    log_beta_fn = tg.lgamma(a) + tg.lgamma(b) - tg.lgamma(a + b)
    return (a - 1) * mean_log + (b - 1) * mean_log1m - log_beta_fn


def _uniform_mean_log(low, high):
    """``E[log X]`` for ``X ~ Uniform(low, high)``, ``low >= 0``: the antiderivative of ``log x``
    is ``x log x - x``, divided by the width."""
    return (tg.xlogy(high, high) - tg.xlogy(low, low)) / (high - low) - 1


def _beta_mean_logs(p):
    """``(E[log X], E[log(1 - X)])`` for ``X ~ Beta(a, b)``: ``psi(a) - psi(a + b)`` and
    ``psi(b) - psi(a + b)`` (derivatives of ``log B(a, b)``)."""
    digamma_total = tg.digamma(p.concentration1 + p.concentration0)
    return tg.digamma(p.concentration1) - digamma_total, tg.digamma(p.concentration0) - digamma_total


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    # log q(0) = -rate, log q(1) = log rate - rate: E_p[log q(X)] = probs * log rate - rate
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
@register_kl(Gamma, Exponential)
def _kl_exponential_from_mean(p, q):
    """``p`` on the half line (or inside it) against an Exponential: only ``E[X]`` matters."""
    return -p.entropy() - _expected_log_exponential(p.mean, q)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    return -p.entropy() - _expected_log_gamma(p.mean, _beta_mean_logs(p)[0], q)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    # E[log X] = -gamma_E - log rate for X ~ Exponential(rate) (Gamma(1, rate): psi(1) = -gamma_E)
    mean_log = -EULER_GAMMA - p.rate.log()
    return -p.entropy() - _expected_log_gamma(p.mean, mean_log, q)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() - _expected_log_normal(p.loc, 2 * p.scale.pow(2), q)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    # E|X - m_q| for X ~ Normal(m, s) is the folded normal's mean with d = m - m_q:
    # s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / (s sqrt 2))
    d = p.loc - q.loc
    folded_mean = (p.scale * math.sqrt(2 / math.pi) * tg.exp(-d.pow(2) / (2 * p.scale.pow(2)))
                   + d * tg.erf(d / (p.scale * math.sqrt(2))))
    expected_log_q = -(2 * q.scale).log() - folded_mean / q.scale
    return -p.entropy() - expected_log_q


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    low, high = p.low, p.high
    # 1 - X ~ Uniform(1 - high, 1 - low)
    inside = (low >= 0) & (high <= 1)
    low_in, high_in = tg.where(inside, low, tg.zeros_like(low)), tg.where(inside, high, tg.ones_like(high))
    mean_log = _uniform_mean_log(low_in, high_in)
    mean_log1m = _uniform_mean_log(1 - high_in, 1 - low_in)
    return _infinite_where(~inside, -p.entropy() - _expected_log_beta(mean_log, mean_log1m, q))


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    kl = -p.entropy() - _expected_log_exponential(p.mean, q)
    return _infinite_where(p.low < 0, kl)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    # a stand-in interval where p leaves the half line keeps log() away from negative numbers
    outside = p.low < 0
    low_in = tg.where(outside, tg.zeros_like(p.low), p.low)
    high_in = tg.where(outside, tg.ones_like(p.high), p.high)
    kl = -p.entropy() - _expected_log_gamma(p.mean, _uniform_mean_log(low_in, high_in), q)
    return _infinite_where(outside, kl)


# the real line against a half line or [0, 1]; a half line against [0, 1]; a count with unbounded
# support against one on {0, 1} or {0, ..., n}
_register_infinite([(Normal, q) for q in (Beta, Exponential, Gamma, Uniform)]
                   + [(Laplace, q) for q in (Beta, Exponential, Gamma, Uniform)], lambda p: p.loc)
_register_infinite([(Exponential, Beta), (Exponential, Uniform)], lambda p: p.rate)
_register_infinite([(Gamma, Beta), (Gamma, Uniform)], lambda p: p.concentration)
_register_infinite([(Poisson, Bernoulli), (Poisson, Binomial)], lambda p: p.rate)
