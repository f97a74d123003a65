"""``Gumbel``: the type-I extreme-value distribution (PyTorch's ``gumbel`` module)."""
import math

import tensorgraft as tg

from .continuous import LocationScale, Uniform
from .distribution import broadcast_all
from .transformed import TransformedDistribution
from .transforms import AffineTransform, ExpTransform

__all__ = ["Gumbel"]

EULER_GAMMA = 0.57721566490153286061


class Gumbel(LocationScale, TransformedDistribution):
    """``loc - scale * log(-log U)`` for ``U ~ Uniform``. The uniform is kept strictly inside
    ``(0, 1)`` (``[tiny, 1 - eps)``) so that neither logarithm can return an infinity."""

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = tg.finfo(self.loc.dtype)
        base = Uniform(tg.full_like(self.loc, info.tiny), tg.full_like(self.loc, 1 - info.eps), validate_args=False)
        log = ExpTransform().inv
        chain = [log, AffineTransform(loc=0, scale=-tg.ones_like(self.scale)), log,
                 AffineTransform(loc=self.loc, scale=-self.scale)]
        super().__init__(base, chain, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def log_prob(self, value):
        # closed form: the transform chain would lose precision through exp/log round trips
        self._check(value)
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    def entropy(self):
        return self.scale.log() + (1 + EULER_GAMMA)
