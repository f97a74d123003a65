"""``GeneralizedPareto`` (PyTorch's ``generalized_pareto`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Peaks-over-threshold law with location ``loc``, scale ``scale`` and shape ``concentration``
    ``c``: survival ``(1 + c z) ** (-1/c)`` for ``z = (x - loc) / scale`` (``exp(-z)`` at ``c = 0``).
    A negative ``c`` bounds the support above at ``loc - scale / c``.

    Every ``c = 0`` branch is computed with a stand-in ``c = 1`` and then selected away by
    ``where``: dividing by the real zero would put NaNs into the gradients of the other branch.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True
    _expand_params = ("loc", "scale", "concentration")

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _split_concentration(self):
        c = self.concentration
        is_zero = c == 0
        return is_zero, tg.where(is_zero, tg.ones_like(c), c)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        c = self.concentration
        _, safe_c = self._split_concentration()
        upper = tg.where(c < 0, self.loc - self.scale / safe_c, tg.full_like(self.loc, math.inf))
        return constraints.interval(self.loc, upper)

    @property
    def mean(self):
        c = self.concentration
        finite = self.loc + self.scale / (1 - c).clamp(min=tg.finfo(c.dtype).tiny)
        return tg.where(c < 1, finite, tg.full_like(finite, math.inf))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        c = self.concentration
        denominator = ((1 - c).pow(2) * (1 - 2 * c)).clamp(min=tg.finfo(c.dtype).tiny)
        finite = self.scale.pow(2) / denominator
        return tg.where(c < 0.5, finite, tg.full_like(finite, math.inf))

    def rsample(self, sample_shape=tg.Size()):
        u = tg.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        self._check(value)
        is_zero, safe_c = self._split_concentration()
        z = (value - self.loc) / self.scale
        # outside the support log1p sees an argument below -1; that branch is replaced by -inf
        inside = (z >= 0) & ((self.concentration >= 0) | (z <= -1 / safe_c))
        tail = tg.where(is_zero, z, (1 / safe_c + 1) * tg.log1p((safe_c * z).clamp(min=-1)))
        out = -tail - self.scale.log()
        return tg.where(inside, out, tg.full_like(out, -math.inf))

    def cdf(self, value):
        self._check(value)
        is_zero, safe_c = self._split_concentration()
        z = ((value - self.loc) / self.scale).clamp(min=0)
        log_survival = tg.where(is_zero, -z, -tg.log1p((safe_c * z).clamp(min=-1)) / safe_c)
        return -tg.expm1(log_survival)

    def icdf(self, value):
        is_zero, safe_c = self._split_concentration()
        log_tail = tg.log1p(-value)
        z = tg.where(is_zero, -log_tail, tg.expm1(-safe_c * log_tail) / safe_c)
        return self.loc + self.scale * z

    def entropy(self):
        return self.scale.log() + self.concentration + 1
