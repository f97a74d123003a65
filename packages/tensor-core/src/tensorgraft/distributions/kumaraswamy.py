"""``Kumaraswamy`` (PyTorch's ``kumaraswamy`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .continuous import Uniform
from .distribution import broadcast_all
from .gumbel import EULER_GAMMA
from .transformed import TransformedDistribution
from .transforms import AffineTransform, PowerTransform

__all__ = ["Kumaraswamy"]


def _raw_moment(a, b, n):
    """``E[X ** n] = b * B(1 + n / a, b)`` for ``X ~ Kumaraswamy(a, b)``."""
    shifted = 1 + n / a
    return b * tg.exp(tg.lgamma(shifted) + tg.lgamma(b) - tg.lgamma(shifted + b))


class Kumaraswamy(TransformedDistribution):
    """A Beta look-alike with a closed-form CDF ``1 - (1 - x^a)^b`` (``a = concentration1``,
    ``b = concentration0``), so sampling is the inverse CDF of a uniform:
    ``(1 - U ** (1/b)) ** (1/a)``."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _expand_params = ("concentration1", "concentration0")

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        b = self.concentration0
        base = Uniform(tg.zeros_like(b), tg.ones_like(b), validate_args=False)
        chain = [PowerTransform(exponent=b.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                 PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, chain, validate_args=validate_args)

    @property
    def mean(self):
        return _raw_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        # ((a - 1) / (a b - 1)) ** (1 / a); without an interior maximum (a < 1 or b < 1) it is NaN
        a, b = self.concentration1, self.concentration0
        log_mode = (tg.log(a - 1) - tg.log(a * b - 1)) / a
        return tg.where((a < 1) | (b < 1), tg.full_like(log_mode, math.nan), log_mode.exp())

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _raw_moment(a, b, 2) - _raw_moment(a, b, 1).pow(2)

    def entropy(self):
        # harmonic number H_b = digamma(b + 1) + Euler's gamma
        a, b = self.concentration1, self.concentration0
        harmonic_b = tg.digamma(b + 1) + EULER_GAMMA
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - a.log() - b.log()
