"""``kl_divergence(p, q)`` = E_p[log p(X) - log q(X)], dispatched on the two types.

``register_kl(P, Q)`` adds a closed form; the lookup takes the registered pair whose classes are
the nearest ancestors of ``type(p)`` and ``type(q)`` (so a subclass reuses its parent's formula
until it registers its own).
"""
import math

import tensorgraft as tg

from .continuous import Beta, Exponential, Gamma, Laplace, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import softplus, sum_rightmost
from .multivariate import Dirichlet, MultivariateNormal, _batch_solve_lower
from .transformed import Independent

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
    best, best_rank = None, None
    for (P, Q), fn in _KL_REGISTRY.items():
        if issubclass(tp, P) and issubclass(tq, Q):
            rank = (tp.__mro__.index(P), tq.__mro__.index(Q))
            if best_rank is None or rank < best_rank:
                best, best_rank = fn, rank
    return best


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
