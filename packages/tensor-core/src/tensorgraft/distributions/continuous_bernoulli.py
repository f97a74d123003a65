"""``ContinuousBernoulli`` (Loaiza-Ganem & Cunningham, 2019; PyTorch's ``continuous_bernoulli``
module)."""
import math

import tensorgraft as tg

from . import constraints
from .discrete import _ProbsOrLogitsParam
from .distribution import bernoulli_log_pmf, clamp_probs
from .exp_family import ExponentialFamily

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_ProbsOrLogitsParam, ExponentialFamily):
    """Density ``C(p) p^x (1 - p)^(1 - x)`` on ``[0, 1]`` with ``C(p) = 2 atanh(1 - 2p) / (1 - 2p)``.

    The closed forms divide ``0 / 0`` at ``p = 1/2`` (where the law is uniform), so for ``p`` in
    ``lims`` the normalizer and the moments use their Taylor series around ``1/2`` instead; the
    other branch is evaluated at a harmless stand-in ``p`` so that ``where`` never sees a NaN (which
    would poison the gradient). Sampling is the inverse CDF of a uniform, hence reparameterized.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0
    _expand_params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        param = self._set_probs_or_logits(probs, logits)
        if probs is not None:
            # checked before the clamp below, which would make any value pass, when validate_args
            # is given at all (True or False: PyTorch's test is ``is not None``); by default only
            # the clamped probs are validated
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            # p in {0, 1} is a point mass; nudging it inside keeps every log finite
            self.probs = param = clamp_probs(param)
        self._lims = lims
        super().__init__(param.shape, validate_args=validate_args)

    # ------------------------------------------------------------------ the p = 1/2 special case
    def _stable(self):
        """Where the closed forms can be used (``p`` outside ``lims``)."""
        p = self.probs
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _stand_in_probs(self):
        """``p`` where it is stable, ``lims[0]`` (also stable) elsewhere."""
        p = self.probs
        return tg.where(self._stable(), p, tg.full_like(p, self._lims[0]))

    def _log_normalizer_of_probs(self):
        p = self._stand_in_probs()
        log_odds = tg.log1p(-p) - tg.log(p)                # 2 atanh(1 - 2p)
        exact = tg.log(log_odds.abs()) - tg.log((1 - 2 * p).abs())
        x2 = (self.probs - 0.5).pow(2)
        series = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x2) * x2
        return tg.where(self._stable(), exact, series)

    @property
    def mean(self):
        p = self._stand_in_probs()
        exact = p / (2 * p - 1) + 1 / (tg.log1p(-p) - tg.log(p))
        x = self.probs - 0.5
        series = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return tg.where(self._stable(), exact, series)

    @property
    def variance(self):
        p = self._stand_in_probs()
        exact = p * (p - 1) / (1 - 2 * p).pow(2) + 1 / (tg.log1p(-p) - tg.log(p)).pow(2)
        x2 = (self.probs - 0.5).pow(2)
        series = 1.0 / 12.0 - (1.0 / 15.0 + 128.0 / 945.0 * x2) * x2
        return tg.where(self._stable(), exact, series)

    # ------------------------------------------------------------------ densities and sampling
    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=tg.Size()):
        u = tg.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        self._check(value)
        return bernoulli_log_pmf(self.logits, value) + self._log_normalizer_of_probs()

    def cdf(self, value):
        self._check(value)
        p = self._stand_in_probs()
        exact = (p.pow(value) * (1 - p).pow(1 - value) + p - 1) / (2 * p - 1)
        inside = tg.where(self._stable(), exact, value)
        zeros, ones = tg.zeros_like(inside), tg.ones_like(inside)
        return tg.where(value <= 0, zeros, tg.where(value >= 1, ones, inside))

    def icdf(self, value):
        p = self._stand_in_probs()
        exact = (tg.log1p(-p + value * (2 * p - 1)) - tg.log1p(-p)) / (tg.log(p) - tg.log1p(-p))
        return tg.where(self._stable(), exact, value)

    def entropy(self):
        log_p, log_q = tg.log(self.probs), tg.log1p(-self.probs)
        return self.mean * (log_q - log_p) - self._log_normalizer_of_probs() - log_q

    # ------------------------------------------------------------------ exponential-family view
    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """``A(eta) = log((exp(eta) - 1) / eta)``, by its series ``eta/2 + eta^2/24 - eta^4/2880``
        near ``eta = 0``."""
        stable = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        safe_x = tg.where(stable, x, tg.full_like(x, self._lims[0] - 0.5))
        exact = tg.log(tg.expm1(safe_x) / safe_x)
        series = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return tg.where(stable, exact, series)
