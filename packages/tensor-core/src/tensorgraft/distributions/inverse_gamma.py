"""``InverseGamma`` (PyTorch's ``inverse_gamma`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .continuous import Gamma
from .transformed import TransformedDistribution
from .transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """``1 / X`` for ``X ~ Gamma(concentration, rate)``; ``rate`` is the scale of the result.
    No ``icdf``: the Gamma it inverts has none."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        minus_one = -tg.ones((), dtype=base.rate.dtype, device=base.rate.device)
        super().__init__(base, PowerTransform(minus_one), validate_args=validate_args)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        a, b = self.concentration, self.rate
        finite = b / (a - 1)
        return tg.where(a > 1, finite, tg.full_like(finite, math.inf))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        a, b = self.concentration, self.rate
        finite = b.pow(2) / ((a - 1).pow(2) * (a - 2))
        return tg.where(a > 2, finite, tg.full_like(finite, math.inf))

    def entropy(self):
        a = self.concentration
        return a + self.rate.log() + tg.lgamma(a) - (1 + a) * tg.digamma(a)
