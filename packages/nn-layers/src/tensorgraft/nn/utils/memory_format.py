"""Give convolution weights a memory format (``channels_last``) without touching other layers.

Only the weight's layout changes, never its values or shape: the point (on PyTorch's cuDNN) is
faster NHWC kernels, and on tensorgraft layouts are honoured by ``is_contiguous``/``stride`` so
code that checks them after the conversion sees what it expects.
"""
from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    for sub in module.modules():
        if isinstance(sub, kinds):
            weight = sub.weight
            weight.data = weight.detach().clone(memory_format=memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Convert the weight of every ``Conv2d``/``ConvTranspose2d`` in ``module`` (itself included)
    to ``memory_format``; returns ``module``."""
    from ..modules.conv import Conv2d, ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """As :func:`convert_conv2d_weight_memory_format`, for ``Conv3d``/``ConvTranspose3d``."""
    from ..modules.conv import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
