"""``HalfCauchy`` (PyTorch's ``half_cauchy`` module)."""
import math

import tensorgraft as tg

from ._folded import FoldedAtZero
from .continuous import Cauchy

__all__ = ["HalfCauchy"]


class HalfCauchy(FoldedAtZero):
    """``|X|`` for ``X ~ Cauchy(0, scale)``: its tail is too heavy for a finite mean or variance."""

    _symmetric_family = Cauchy
    _converts_value = True

    @property
    def mean(self):
        return tg.full_like(self.scale, math.inf)

    @property
    def variance(self):
        return tg.full_like(self.scale, math.inf)
