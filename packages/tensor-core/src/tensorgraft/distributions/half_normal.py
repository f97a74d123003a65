"""``HalfNormal`` (PyTorch's ``half_normal`` module)."""
import math

from ._folded import FoldedAtZero
from .continuous import Normal

__all__ = ["HalfNormal"]


class HalfNormal(FoldedAtZero):
    """``|X|`` for ``X ~ Normal(0, scale)``."""

    _symmetric_family = Normal

    @property
    def mean(self):
        return math.sqrt(2 / math.pi) * self.scale

    @property
    def variance(self):
        return (1 - 2 / math.pi) * self.scale.pow(2)
