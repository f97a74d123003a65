"""Names ``torch.nn`` keeps for old code: ``CrossMapLRN2d`` (from Lua Torch), and the deprecated
``NLLLoss2d`` and ``Container``."""
from __future__ import annotations

import warnings

import numpy as np

import tensorgraft as _tg

from .loss import NLLLoss
from .module import Module


def _cross_map_windows(channels, size):
    """0/1 matrix whose row c marks the channels summed into channel c's scale.

    Lua Torch's running-sum implementation (kept by PyTorch) covers ``half = (size - 1) // 2`` channels
    each side (an even size behaves like ``size - 1``) and never drops channel 0 from the running sum,
    so channel 0 counts towards every channel; matched here so outputs agree with PyTorch.
    """
    half = int((size - 1) / 2 + 1) - 1
    windows = np.zeros((channels, channels))
    for c in range(channels):
        windows[c, max(0, c - half):min(channels, c + half + 1)] = 1.0
    windows[:, 0] = 1.0
    return windows


class CrossMapLRN2d(Module):
    """Local response normalisation across channels of a 4-D input: ``x / (k + alpha/size * S)**beta``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        windows = _tg.tensor(_cross_map_windows(input.shape[1], self.size), dtype=input.dtype, device=input.device)
        # (N, C, H, W) -> (N, H, W, C) so one matmul sums each channel's window
        summed = (input * input).permute(0, 2, 3, 1).matmul(windows.t()).permute(0, 3, 1, 2)
        return input * (summed * (self.alpha / self.size) + self.k).pow(-self.beta)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class NLLLoss2d(NLLLoss):
    """Deprecated: ``NLLLoss`` handles inputs of any rank."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class Container(Module):
    """Deprecated: a ``Module`` whose keyword arguments become child modules."""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)
