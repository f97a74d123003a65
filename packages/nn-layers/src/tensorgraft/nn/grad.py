"""``tensorgraft.nn.grad``: gradients of a convolution with respect to its input or weight, as ``torch.nn.grad``.

A convolution is linear in its input and in its weight, so the gradient with respect to one of them
does not depend on that operand's value: differentiate the forward convolution at a zero tensor of
the requested shape, seeded with ``grad_output``. This reuses the forward kernels and their backward
formulas (so every stride/padding/dilation/groups combination the layers support works here too), and
the result is itself differentiable when ``weight``/``input`` or ``grad_output`` require grad.
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.grad_mode import enable_grad, is_grad_enabled

from . import functional as F

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]

_FORWARD = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _seeded_grad(output, wrt, grad_output, keep_graph):
    if tuple(output.shape) != tuple(grad_output.shape):
        raise RuntimeError(f"grad_output has shape {tuple(grad_output.shape)}, but the convolution described by the "
                           f"arguments produces an output of shape {tuple(output.shape)}")
    from tensorgraft import autograd
    return autograd.grad(output, wrt, grad_output, create_graph=keep_graph)[0]


def _grad_wrt_input(nd, input_size, weight, grad_output, stride, padding, dilation, groups):
    keep_graph = is_grad_enabled() and (weight.requires_grad or grad_output.requires_grad)
    probe = _tg.zeros(tuple(int(s) for s in input_size), dtype=grad_output.dtype, device=grad_output.device,
                      requires_grad=True)
    with enable_grad():
        output = _FORWARD[nd](probe, weight, None, stride, padding, dilation, groups)
        return _seeded_grad(output, probe, grad_output, keep_graph)


def _grad_wrt_weight(nd, input, weight_size, grad_output, stride, padding, dilation, groups):
    keep_graph = is_grad_enabled() and (input.requires_grad or grad_output.requires_grad)
    probe = _tg.zeros(tuple(int(s) for s in weight_size), dtype=grad_output.dtype, device=grad_output.device,
                      requires_grad=True)
    with enable_grad():
        output = _FORWARD[nd](input, probe, None, stride, padding, dilation, groups)
        return _seeded_grad(output, probe, grad_output, keep_graph)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv1d`` with respect to an input of shape ``input_size``."""
    return _grad_wrt_input(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv1d`` with respect to a weight of shape ``weight_size``."""
    return _grad_wrt_weight(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv2d`` with respect to an input of shape ``input_size``."""
    return _grad_wrt_input(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv2d`` with respect to a weight of shape ``weight_size``."""
    return _grad_wrt_weight(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv3d`` with respect to an input of shape ``input_size``."""
    return _grad_wrt_input(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv3d`` with respect to a weight of shape ``weight_size``."""
    return _grad_wrt_weight(3, input, weight_size, grad_output, stride, padding, dilation, groups)
