"""Folding an eval-mode BatchNorm into the convolution or linear layer that feeds it.

In eval mode BatchNorm is the per-channel affine map ``y = (x - mean) * s + beta`` with
``s = gamma / sqrt(var + eps)``; applied after ``x = W @ input + b`` it equals one layer with
weight ``W * s`` (scaled along the output-channel axis) and bias ``(b - mean) * s + beta``.
"""
from __future__ import annotations

import copy

import tensorgraft as _tg

from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _bn_scale_and_shift(mean, var, eps, gamma, beta):
    """The per-channel factor ``s`` and the additive ``beta - mean * s`` of an eval BatchNorm
    (``gamma``/``beta`` default to one and zero as for ``affine=False``)."""
    inv_std = _tg.rsqrt(var + eps)
    factor = inv_std if gamma is None else gamma * inv_std
    shift = -mean * factor
    if beta is not None:
        shift = shift + beta
    return factor, shift


# PyTorch raises AssertionError for these; raised explicitly here, so that ``python -O`` and
# pytest's assertion rewriting (which rewrites plugin distributions' modules) leave them alone
def _check_eval(*modules):
    if any(m.training for m in modules):
        raise AssertionError("Fusion only for eval!")


def _check_stats(bn):
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def _as_parameters(weight, bias, like_w, like_b):
    """Wrap the fused tensors as leaf parameters with the dtypes and ``requires_grad`` flags of the
    layer's own weight and bias (a missing bias counts as not requiring grad, with the weight's dtype)."""
    bias_dtype = like_w.dtype if like_b is None else like_b.dtype
    w = Parameter(weight.detach().to(like_w.dtype), like_w.requires_grad)
    b = Parameter(bias.detach().to(bias_dtype), like_b is not None and like_b.requires_grad)
    return w, b


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """Return a copy of the eval-mode ``conv`` whose weight and bias absorb the eval-mode ``bn``."""
    _check_eval(conv, bn)
    _check_stats(bn)
    out = copy.deepcopy(conv)
    out.weight, out.bias = fuse_conv_bn_weights(out.weight, out.bias, bn.running_mean, bn.running_var, bn.eps,
                                                bn.weight, bn.bias, transpose)
    return out


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """Fused ``(weight, bias)`` parameters of a convolution followed by an eval BatchNorm.

    The output channels are dim 0 of a convolution's weight and dim 1 of a transposed one's."""
    factor, shift = _bn_scale_and_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    channel_axis = 1 if transpose else 0
    view = [1] * conv_w.dim()
    view[channel_axis] = -1
    weight = conv_w * factor.reshape(view)
    bias = shift if conv_b is None else conv_b * factor + shift
    return _as_parameters(weight, bias, conv_w, conv_b)


def fuse_linear_bn_eval(linear, bn):
    """Return a copy of the eval-mode ``linear`` whose weight and bias absorb the eval-mode ``bn``."""
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
                             f"got linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    _check_stats(bn)
    out = copy.deepcopy(linear)
    out.weight, out.bias = fuse_linear_bn_weights(out.weight, out.bias, bn.running_mean, bn.running_var, bn.eps,
                                                  bn.weight, bn.bias)
    return out


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """Fused ``(weight, bias)`` parameters of a linear layer followed by an eval BatchNorm (whose
    affine ``bn_w``/``bn_b`` are required here, as in PyTorch)."""
    factor = bn_w * _tg.rsqrt(bn_rv + bn_eps)
    weight = linear_w * factor.unsqueeze(-1)
    centred = -bn_rm if linear_b is None else linear_b - bn_rm
    bias = centred * factor + bn_b
    return _as_parameters(weight, bias, linear_w, linear_b)
