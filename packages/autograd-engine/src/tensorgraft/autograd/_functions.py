"""Autograd Functions behind deprecated Tensor methods, as PyTorch's ``torch.autograd._functions``:
``Tensor.resize``/``resize_as`` (non-in-place) record ``ResizeBackward``."""
from __future__ import annotations

from .function import Function


class Resize(Function):
    """A reshape that keeps the number of elements (the only resize autograd can follow)."""

    @staticmethod
    def forward(ctx, tensor, sizes):
        ctx.input_sizes = tensor.size()
        return tensor.contiguous().view(*sizes)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.contiguous().view(ctx.input_sizes), None
