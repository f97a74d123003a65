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


def _probe_grad(nd, probe_size, grad_output, other, probe_is_input, stride, padding, dilation, groups):
    """The gradient of the ``nd``-D convolution with respect to the operand of shape ``probe_size`` (the
    input when ``probe_is_input``, else the weight), ``other`` being the given operand."""
    keep_graph = is_grad_enabled() and (other.requires_grad or grad_output.requires_grad)
    probe = _tg.zeros(tuple(int(s) for s in probe_size), dtype=grad_output.dtype, device=grad_output.device,
                      requires_grad=True)
    operands = (probe, other) if probe_is_input else (other, probe)
    with enable_grad():
        output = _FORWARD[nd](*operands, None, stride, padding, dilation, groups)
        if tuple(output.shape) != tuple(grad_output.shape):
            raise RuntimeError(f"grad_output has shape {tuple(grad_output.shape)}, but the convolution described by "
                               f"the arguments produces an output of shape {tuple(output.shape)}")
        from tensorgraft import autograd
        return autograd.grad(output, probe, grad_output, create_graph=keep_graph)[0]


def _gradients_for_rank(nd):
    """``conv<nd>d_input`` and ``conv<nd>d_weight`` (the public functions differ only in the rank)."""
    def conv_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
        return _probe_grad(nd, input_size, grad_output, weight, True, stride, padding, dilation, groups)

    def conv_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
        return _probe_grad(nd, weight_size, grad_output, input, False, stride, padding, dilation, groups)

    for fn, operand, article in ((conv_input, "input", "an"), (conv_weight, "weight", "a")):
        fn.__name__ = fn.__qualname__ = f"conv{nd}d_{operand}"
        fn.__doc__ = f"Gradient of ``conv{nd}d`` with respect to {article} {operand} of shape ``{operand}_size``."
    return conv_input, conv_weight


conv1d_input, conv1d_weight = _gradients_for_rank(1)
conv2d_input, conv2d_weight = _gradients_for_rank(2)
conv3d_input, conv3d_weight = _gradients_for_rank(3)
