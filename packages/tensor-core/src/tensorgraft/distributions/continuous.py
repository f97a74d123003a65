"""Univariate continuous distributions. Densities, moments and entropies are the textbook closed
forms; samplers transform uniform/normal draws (inverse CDF where it is cheap) or use the Gamma
sampler of ``_sampling``."""
import math

import tensorgraft as tg

from . import _sampling, constraints
from .distribution import LOG_SQRT_2PI, CenteredAtLoc, Distribution, broadcast_all
from .exp_family import ExponentialFamily
from .multivariate import Dirichlet, dirichlet_mode

__all__ = ["Beta", "Cauchy", "Chi2", "Exponential", "Gamma", "Laplace", "Normal", "StudentT", "Uniform"]


def _nan_like(x):
    return tg.full_like(x, math.nan)


class LocationScale:
    """Mixin of the reparameterized real-line families given by a ``loc`` and a positive
    ``scale``: Normal, Laplace, Cauchy and Gumbel declare their parameters and support through it."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _expand_params = ("loc", "scale")


class Normal(CenteredAtLoc, LocationScale, ExponentialFamily):
    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        eps = tg.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        self._check(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value):
        self._check(value)
        # PyTorch's grouping: with float32 parameters, scale * sqrt(2) would be rounded to float32
        # before a float64 value meets it
        return 0.5 * (1 + tg.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * tg.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + LOG_SQRT_2PI + self.scale.log()


    # exponential-family form (ExponentialFamily): eta = (mu / s^2, -1 / (2 s^2))
    _mean_carrier_measure = 0

    @property
    def _natural_params(self):
        return (self.loc / self.scale.pow(2), -0.5 * self.scale.pow(-2))

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()

class Uniform(Distribution):
    has_rsample = True
    _expand_params = ("low", "high")

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.high * math.nan  # NaN, but still a function of the parameters (as in PyTorch)

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=tg.Size()):
        u = tg.rand(self._extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        self._check(value)
        inside = ((self.low <= value) & (value < self.high)).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value):
        self._check(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        return self.low + value * (self.high - self.low)

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(ExponentialFamily):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _expand_params = ("rate",)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return tg.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=tg.Size()):
        # exponential_ draws from float64 uniforms, as PyTorch does: the same seed gives its samples
        e = tg.empty(self._extended_shape(sample_shape), dtype=self.rate.dtype, device=self.rate.device)
        return e.exponential_() / self.rate

    def log_prob(self, value):
        self._check(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        self._check(value)
        return 1 - tg.exp(-self.rate * value)

    def icdf(self, value):
        return -tg.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()


    # exponential-family form: eta = -rate, A(eta) = -log(-eta)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()

class Laplace(CenteredAtLoc, LocationScale, Distribution):
    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        eps = tg.finfo(self.loc.dtype).eps
        u = tg.rand(shape, dtype=self.loc.dtype, device=self.loc.device) * (2 - eps) - (1 - eps)  # in (-1, 1)
        return self.loc - self.scale * u.sign() * tg.log1p(-u.abs())

    def log_prob(self, value):
        self._check(value)
        return -tg.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        self._check(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * tg.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        t = value - 0.5
        return self.loc - self.scale * t.sign() * tg.log1p(-2 * t.abs())

    def entropy(self):
        return 1 + tg.log(2 * self.scale)


class Cauchy(LocationScale, Distribution):
    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return _nan_like(self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return tg.full_like(self.loc, math.inf)

    def rsample(self, sample_shape=tg.Size()):
        # cauchy_ (float64 uniforms, as in PyTorch) so the same seed gives PyTorch's samples
        eps = tg.empty(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        self._check(value)
        return -math.log(math.pi) - self.scale.log() - tg.log1p(((value - self.loc) / self.scale) ** 2)

    def cdf(self, value):
        self._check(value)
        return tg.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return tg.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class Gamma(ExponentialFamily):
    """Shape ``concentration``, inverse scale ``rate``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _expand_params = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        x = _sampling.standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # in place on a detached alias: the floor is no step of the graph (PyTorch's grad_fn
        # stays the division)
        x.detach().clamp_(min=tg.finfo(x.dtype).tiny)
        return x

    def log_prob(self, value):
        # PyTorch converts the value first: a number is accepted (even with validation on) and a
        # float64 value gives a float32 result for float32 parameters
        value = tg.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        self._check(value)
        a, r = self.concentration, self.rate
        return tg.xlogy(a, r) + tg.xlogy(a - 1, value) - r * value - tg.lgamma(a)

    def cdf(self, value):
        self._check(value)
        return _sampling.gammainc_differentiable(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + tg.lgamma(a) + (1.0 - a) * tg.digamma(a)


    # exponential-family form: eta = (concentration - 1, -rate)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return tg.lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()

class Chi2(Gamma):
    """``Gamma(df / 2, 1 / 2)``."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, tg.full_like(df, 0.5), validate_args=validate_args)

    @property
    def df(self):
        return self.concentration * 2


class Beta(ExponentialFamily):
    """Beta(a = ``concentration1``, b = ``concentration0``), sampled as ``Ga / (Ga + Gb)``."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _expand_dists = ("_dirichlet",)

    def __init__(self, concentration1, concentration0, validate_args=None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        # the pair is a two-component Dirichlet; building one validates it (with its messages)
        self._dirichlet = Dirichlet(tg.stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(c1.shape, validate_args=validate_args)

    @property
    def _concentration(self):
        return self._dirichlet.concentration

    @property
    def concentration1(self):
        return self._concentration[..., 0]

    @property
    def concentration0(self):
        return self._concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return dirichlet_mode(self._concentration)[..., 0]

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape) + (2,)
        return _sampling.sample_dirichlet(self._concentration.expand(shape))[..., 0]

    def log_prob(self, value):
        self._check(value)
        a, b = self.concentration1, self.concentration0
        lbeta = tg.lgamma(a) + tg.lgamma(b) - tg.lgamma(a + b)
        return tg.xlogy(a - 1, value) + tg.xlogy(b - 1, 1 - value) - lbeta

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        lbeta = tg.lgamma(a) + tg.lgamma(b) - tg.lgamma(total)
        return lbeta - (a - 1) * tg.digamma(a) - (b - 1) * tg.digamma(b) + (total - 2) * tg.digamma(total)


    # exponential-family form: eta = (concentration1, concentration0), A = log B(eta), carrier
    # h(x) = 1 / (x (1 - x)), whose mean log is -E[log X] - E[log(1 - X)]
    @property
    def _mean_carrier_measure(self):
        a, b = self.concentration1, self.concentration0
        return -(tg.digamma(a) + tg.digamma(b) - 2 * tg.digamma(a + b))

    @property
    def _natural_params(self):
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return tg.lgamma(x) + tg.lgamma(y) - tg.lgamma(x + y)

class StudentT(Distribution):
    """Location-scale Student's t with ``df`` degrees of freedom: ``loc + scale * Z / sqrt(V / df)``
    with ``Z ~ N(0, 1)`` and ``V ~ Chi2(df)``."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _expand_params = ("df", "loc", "scale")
    _expand_dists = ("_chi2",)

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=validate_args)  # validates df first, as PyTorch does
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        return tg.where(self.df > 1, self.loc, _nan_like(self.loc))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        out = tg.where(df > 2, finite, tg.full_like(finite, math.inf))
        return tg.where(df <= 1, _nan_like(out), out)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        z = tg.randn(shape, dtype=self.df.dtype, device=self.df.device)
        v = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * z * tg.rsqrt(v / self.df)

    def log_prob(self, value):
        self._check(value)
        df = self.df
        y = (value - self.loc) / self.scale
        log_norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                    + tg.lgamma(0.5 * df) - tg.lgamma(0.5 * (df + 1)))
        return -0.5 * (df + 1) * tg.log1p(y ** 2 / df) - log_norm

    def entropy(self):
        df = self.df
        lbeta = tg.lgamma(0.5 * df) + math.lgamma(0.5) - tg.lgamma(0.5 * (df + 1))
        return (self.scale.log() + 0.5 * (df + 1) * (tg.digamma(0.5 * (df + 1)) - tg.digamma(0.5 * df))
                + 0.5 * df.log() + lbeta)
