"""``FisherSnedecor``, the F distribution (PyTorch's ``fishersnedecor`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .continuous import Gamma
from .distribution import Distribution, broadcast_all

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """``(X1 / df1) / (X2 / df2)`` for independent ``Xi ~ Chi2(dfi)``. Each ``Xi / dfi`` is drawn
    as a reparameterized ``Gamma(dfi / 2, rate=dfi)``, which is half of it; the halves cancel in the
    ratio. Building the two Gammas validates ``df1`` and ``df2`` (with the Gamma's message, as in
    PyTorch)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _expand_params = ("df1", "df2")
    _expand_dists = ("_gamma1", "_gamma2")

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(0.5 * self.df1, self.df1, validate_args=validate_args)
        self._gamma2 = Gamma(0.5 * self.df2, self.df2, validate_args=validate_args)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self):
        d2 = self.df2
        finite = d2 / (d2 - 2)
        return tg.where(d2 > 2, finite, tg.full_like(finite, math.nan))

    @property
    def mode(self):
        d1, d2 = self.df1, self.df2
        finite = (d1 - 2) / d1 * d2 / (d2 + 2)
        return tg.where(d1 > 2, finite, tg.full_like(finite, math.nan))

    @property
    def variance(self):
        d1, d2 = self.df1, self.df2
        finite = 2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4))
        return tg.where(d2 > 4, finite, tg.full_like(finite, math.nan))

    def rsample(self, sample_shape=tg.Size()):
        tiny = tg.finfo(self.df1.dtype).tiny
        numerator = self._gamma1.rsample(sample_shape)
        denominator = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (numerator / denominator).clamp(min=tiny)

    def log_prob(self, value):
        self._check(value)
        half1, half2 = 0.5 * self.df1, 0.5 * self.df2
        ratio = self.df1 / self.df2
        log_beta = tg.lgamma(half1) + tg.lgamma(half2) - tg.lgamma(half1 + half2)
        return (half1 * ratio.log() + (half1 - 1) * tg.log(value)
                - (half1 + half2) * tg.log1p(ratio * value) - log_beta)
