"""Upsample and its two fixed-mode spellings."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


def _as_float_factor(factor):
    """A scale factor is kept as a float, or a tuple of floats for per-dimension factors."""
    if factor is None:
        return None
    if isinstance(factor, (tuple, list)):
        return tuple(float(v) for v in factor)
    return float(factor)


class Upsample(Module):
    """Resize the spatial dimensions of the input with ``F.interpolate``."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = _as_float_factor(scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, size=self.size, scale_factor=self.scale_factor, mode=self.mode,
                             align_corners=self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        # the factor wins when both are set; with neither, ``size=None`` is shown
        if self.scale_factor is None:
            target = "size=" + str(self.size)
        else:
            target = "scale_factor=" + str(self.scale_factor)
        return target + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample`` with ``mode='nearest'``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` with ``mode='bilinear'`` and ``align_corners=True``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
