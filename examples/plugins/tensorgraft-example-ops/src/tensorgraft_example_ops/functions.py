"""A custom ``tensorgraft.autograd.Function`` exposed as the op ``example.scaled_tanh``.

Importing this module needs the autograd engine (tensorgraft-autograd); the plugin only does so
from its ``tensorgraft_register_formulas`` hook, which runs only when the engine is installed.
"""
from __future__ import annotations

import tensorgraft as tg
from tensorgraft.autograd import Function


class ScaledTanh(Function):
    """``scale * tanh(x)``; its backward node is named ``ScaledTanhBackward``."""

    @staticmethod
    def forward(ctx, x, scale=1.0):
        if not isinstance(x, tg.Tensor):
            raise TypeError(f"scaled_tanh(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
        ctx.save_for_backward(x)
        ctx.scale = float(scale)
        return tg.tanh(x) * ctx.scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = tg.tanh(x)  # recomputed from the input so that double backward sees the graph
        return grad * (ctx.scale * (1 - t * t)), None
