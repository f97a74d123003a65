"""``HalfNormal`` (PyTorch's ``half_normal`` module)."""
import math

from ._folded import FoldedAtZero
from .continuous import Normal

__all__ = ["HalfNormal"]


class HalfNormal(FoldedAtZero):
    """``|X|`` for ``X ~ Normal(0, scale)``."""

    def __init__(self, scale, validate_args=None):
        # an unvalidated base, so that a bad ``scale`` is reported against HalfNormal itself
        super().__init__(Normal(0, scale, validate_args=False), validate_args=validate_args)

    @property
    def mean(self):
        return math.sqrt(2 / math.pi) * self.scale

    @property
    def variance(self):
        return (1 - 2 / math.pi) * self.scale.pow(2)
