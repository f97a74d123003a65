"""``Pareto`` (type I; PyTorch's ``pareto`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .continuous import Exponential
from .distribution import broadcast_all
from .transformed import TransformedDistribution
from .transforms import AffineTransform, ExpTransform

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """``scale * exp(E)`` for ``E ~ Exponential(alpha)``: density ``alpha scale^alpha / x^(alpha+1)``
    on ``[scale, inf)``. Moments of order ``n >= alpha`` are infinite."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True
    _expand_params = ("scale", "alpha")

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        # log(X / scale) ~ Exponential(alpha): exponentiate, then stretch by the scale
        chain = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        # the base checks alpha first, so a bad alpha is reported as the Exponential's rate, as in PyTorch
        super().__init__(Exponential(self.alpha, validate_args=validate_args), chain, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def _alpha_above(self, order):
        """``alpha`` where it exceeds ``order`` (the moment of that order is finite), else
        ``order + 1``: a stand-in that keeps the discarded branch, and its gradient, finite."""
        finite = self.alpha > order
        return finite, tg.where(finite, self.alpha, tg.full_like(self.alpha, order + 1.0))

    @property
    def mean(self):
        finite, a = self._alpha_above(1)
        return tg.where(finite, self.scale * a / (a - 1), tg.full_like(a, math.inf))

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        finite, a = self._alpha_above(2)
        spread = self.scale.pow(2) * a / ((a - 2) * (a - 1).pow(2))
        return tg.where(finite, spread, tg.full_like(a, math.inf))

    def entropy(self):
        # log(scale / alpha) + 1 / alpha + 1
        return self.scale.log() - self.alpha.log() + (1 + self.alpha) / self.alpha
