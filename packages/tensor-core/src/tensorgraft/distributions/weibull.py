"""``Weibull`` (PyTorch's ``weibull`` module)."""
import tensorgraft as tg

from . import constraints
from .continuous import Exponential
from .distribution import broadcast_all
from .gumbel import EULER_GAMMA
from .transformed import TransformedDistribution
from .transforms import AffineTransform, PowerTransform

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    """``scale * E ** (1 / concentration)`` for ``E ~ Exponential(1)``, which gives the survival
    function ``exp(-(x / scale) ** concentration)``."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _expand_params = ("scale", "concentration", "concentration_reciprocal")

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(tg.ones_like(self.scale), validate_args=False)
        chain = [PowerTransform(exponent=self.concentration_reciprocal), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, chain, validate_args=validate_args)

    def _raw_moment(self, n):
        """``E[X ** n] = scale ** n * Gamma(1 + n / concentration)``."""
        return self.scale.pow(n) * tg.exp(tg.lgamma(1 + n * self.concentration_reciprocal))

    @property
    def mean(self):
        return self._raw_moment(1)

    @property
    def mode(self):
        # a negative base (concentration < 1) to a fractional power gives NaN: there is no interior mode
        k = self.concentration
        return self.scale * ((k - 1) / k).pow(self.concentration_reciprocal)

    @property
    def variance(self):
        return self._raw_moment(2) - self._raw_moment(1).pow(2)

    def entropy(self):
        k = self.concentration
        return EULER_GAMMA * (1 - self.concentration_reciprocal) + tg.log(self.scale / k) + 1
