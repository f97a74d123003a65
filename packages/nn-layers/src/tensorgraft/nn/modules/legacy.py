"""Names ``torch.nn`` keeps for old code: ``CrossMapLRN2d`` (from Lua Torch), and the deprecated
``NLLLoss2d`` and ``Container``."""
from __future__ import annotations

import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.autograd.function import Function

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


def _cross_map_backward_windows(channels, size):
    """0/1 matrix whose row c marks the channels whose ``grad * output / scale`` ratios PyTorch's
    backward sums into channel c's gradient.

    PyTorch's hand-written backward (Lua Torch's) slides a window of ``size`` channels over the ratios
    padded with ``size - (size - 1) // 2`` zero channels in front, so channel c sums the ratios of
    channels ``c - pad .. c + size - 1 - pad``. That window is not the transpose of the forward's
    (it is not the exact gradient: gradcheck fails on PyTorch's), but it is what PyTorch computes.
    """
    pad = int(size - (size - 1) / 2)
    if pad + channels > channels + size - 1:   # size 1: PyTorch's narrow of the padded ratios fails
        raise RuntimeError(f"start ({pad}) + length ({channels}) exceeds dimension size ({channels + size - 1}).")
    windows = np.zeros((channels, channels))
    for c in range(channels):
        windows[c, max(0, c - pad):max(0, min(channels, c + size - pad))] = 1.0
    return windows


def _sum_channels(x, windows):
    """``out[:, c] = sum_j windows[c, j] * x[:, j]`` for a (N, C, H, W) ``x``, as one matmul."""
    w = _tg.tensor(windows, dtype=x.dtype, device=x.device)
    return x.permute(0, 2, 3, 1).matmul(w.t()).permute(0, 3, 1, 2)


class _CrossMapLRN2dFunction(Function):
    """PyTorch's ``CrossMapLRN2d`` autograd Function: its own forward and its own (inexact) backward,
    whose gradients tensorgraft reproduces rather than the exact derivative of the forward."""

    @staticmethod
    def forward(ctx, input, size, alpha, beta, k):
        scale = _sum_channels(input * input, _cross_map_windows(input.shape[1], size)) * (alpha / size) + k
        output = input * scale.pow(-beta)
        ctx.save_for_backward(input, output)
        ctx.scale, ctx.size, ctx.alpha, ctx.beta = scale, size, alpha, beta
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output = ctx.saved_tensors
        windows = _cross_map_backward_windows(input.shape[1], ctx.size)
        summed = _sum_channels(grad_output * output / ctx.scale, windows)
        cache_ratio = 2 * ctx.alpha * ctx.beta / ctx.size
        grad_input = ctx.scale.pow(-ctx.beta) * grad_output - cache_ratio * input * summed
        return grad_input, None, None, None, None


# the node PyTorch's graph shows (its Function is named CrossMapLRN2d)
_CrossMapLRN2dFunction._backward_cls.__name__ = _CrossMapLRN2dFunction._backward_cls.__qualname__ = (
    "CrossMapLRN2dBackward")


class CrossMapLRN2d(Module):
    """Local response normalisation across channels of a 4-D input: ``x / (k + alpha/size * S)**beta``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)

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
