"""``NegativeBinomial``: the number of successes (probability ``probs`` each) seen before the
``total_count``-th failure."""
import tensorgraft as tg

from . import _sampling, constraints
from .continuous import Gamma
from .discrete import _ProbsOrLogitsParam
from .distribution import Distribution, lazy_property, softplus

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_ProbsOrLogitsParam, Distribution):
    """A Gamma-Poisson mixture (which is how it is sampled); ``total_count`` may be fractional."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer
    _expand_params = ("total_count", "probs", "logits")

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits(probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new.__dict__.pop("_gamma", None)  # rebuilt from the expanded parameters on first use
        return new

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        # mean / (1 - p), with 1 - p = sigmoid(-logits)
        return self.mean / tg.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        # Poisson rate ~ Gamma(total_count, rate = (1 - p) / p); total_count may be 0, so no validation
        return Gamma(self.total_count, tg.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            return _sampling.poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        self._check(value)
        n, logits = self.total_count, self.logits
        # n log(1 - p) + k log p, with log p = -softplus(-logits) and log(1 - p) = -softplus(logits)
        unnormalized = -n * softplus(logits) - value * softplus(-logits)
        log_choose = tg.lgamma(n + value) - tg.lgamma(1.0 + value) - tg.lgamma(n)
        # n = k = 0 is the certain event (lgamma(0) would give inf - inf)
        log_choose = tg.where(n + value == 0, tg.zeros_like(log_choose), log_choose)
        return unnormalized + log_choose
