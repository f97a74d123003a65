"""What a distribution folded at zero shares: ``|X|`` for ``X`` symmetric about 0 (HalfNormal,
HalfCauchy). Reflecting the negative half onto the positive one doubles the density there, so
every quantity follows from the symmetric base with a factor 2 (``log 2`` on the log scale)."""
import math

import tensorgraft as tg

from . import constraints
from .transformed import TransformedDistribution
from .transforms import AbsTransform

LOG_2 = math.log(2.0)


class FoldedAtZero(TransformedDistribution):
    """Base class: ``self.base_dist`` is the subclass's ``_symmetric_family`` (a location-scale
    family) at ``loc = 0`` with the same ``scale``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _converts_value = False

    def __init__(self, scale, validate_args=None):
        # an unvalidated base, so that a bad ``scale`` is reported against the folded distribution
        symmetric_base = self._symmetric_family(0, scale, validate_args=False)
        super().__init__(symmetric_base, AbsTransform(), validate_args=validate_args)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return tg.zeros_like(self.scale)  # the density is largest at the fold

    def log_prob(self, value):
        self._check(value)
        # converted as PyTorch's HalfCauchy does (HalfNormal does not convert a number, and fails)
        if self._converts_value:
            value = tg.as_tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        doubled = LOG_2 + self.base_dist.log_prob(value)
        # left of the fold the density is 0 (reachable with validation off); written as PyTorch's
        # test, value >= 0, so that a NaN value gets -inf too
        return tg.where(value >= 0, doubled, tg.full_like(doubled, -math.inf))

    def cdf(self, value):
        self._check(value)
        # P(|X| <= v) = F(v) - F(-v) = 2 F(v) - 1 by symmetry
        return self.base_dist.cdf(value) * 2 - 1

    def icdf(self, prob):
        return self.base_dist.icdf(0.5 * (1 + prob))

    def entropy(self):
        return self.base_dist.entropy() - LOG_2
