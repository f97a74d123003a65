"""Dense layers and shape helpers: Identity, Linear, Bilinear, Flatten, Unflatten."""
from __future__ import annotations

import math

from tensorgraft.ops.creation import empty

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]


def _new_param(shape, device, dtype):
    """An uninitialised trainable tensor (values come from ``reset_parameters``)."""
    return Parameter(empty(*shape, device=device, dtype=dtype))


def _uniform_fan_bound(fan_in):
    """Half-width 1/sqrt(fan_in) of the uniform initialisation; 0 for an empty layer."""
    return 0 if fan_in <= 0 else 1 / math.sqrt(fan_in)  # not fan_in ** -0.5: one ulp off PyTorch in float64


def _dense_params(module, weight_shape, bias, device, dtype):
    module.weight = _new_param(weight_shape, device, dtype)
    if bias:
        module.bias = _new_param((weight_shape[0],), device, dtype)
    else:
        module.register_parameter("bias", None)


class Identity(Module):
    """Returns its input; any constructor arguments are accepted and ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features)."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _dense_params(self, (out_features, in_features), bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        # weight ~ U(-1/sqrt(in), 1/sqrt(in)), written as He-uniform with negative slope sqrt(5)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = init._calculate_fan_in_and_fan_out(self.weight)[0]
            half = _uniform_fan_bound(fan_in)
            init.uniform_(self.bias, -half, half)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return "in_features={}, out_features={}, bias={}".format(
            self.in_features, self.out_features, self.bias is not None)


class Bilinear(Module):
    """``y[k] = x1 @ weight[k] @ x2 + bias[k]``; ``weight`` is (out, in1, in2)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _dense_params(self, (out_features, in1_features, in2_features), bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        half = 1 / math.sqrt(self.weight.shape[1])
        for t in (self.weight, self.bias):
            if t is not None:
                init.uniform_(t, -half, half)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return "in1_features={}, in2_features={}, out_features={}, bias={}".format(
            self.in1_features, self.in2_features, self.out_features, self.bias is not None)


class Flatten(Module):
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one."""

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return "start_dim={}, end_dim={}".format(self.start_dim, self.end_dim)


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        # checked up front (PyTorch's messages), so a bad size fails where the layer is built
        # rather than at its first forward
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for i, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {i}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return "dim={}, unflattened_size={}".format(self.dim, self.unflattened_size)
