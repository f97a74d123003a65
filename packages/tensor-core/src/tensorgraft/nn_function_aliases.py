"""Top-level spellings of ``nn.functional`` functions, with PyTorch's top-level signatures.

PyTorch exposes its ATen kernels at top level (``torch.dropout``, ``torch.batch_norm``,
``torch.max_pool2d``), and tutorials call them. Their signatures are the kernels', not
``torch.nn.functional``'s: arguments that ``F`` defaults are required (``torch.dropout(input, p,
train)``), the weight of ``embedding`` comes first, losses take ``reduction`` as an int
(1 "mean", 2 "sum", others "none"; "none" when omitted, as PyTorch's binding does), ``max_pool2d`` returns only values, ``adaptive_max_pool1d`` and
``max_pool1d_with_indices`` always return (values, indices). Each function here translates its
arguments and calls tensorgraft-nn's ``nn.functional``, so the numerics, gradients and
``grad_fn`` names are ``F``'s.

The table lives in core (``tensorgraft.<name>`` resolves through ``ALIASES``), while the
functions need tensorgraft-nn, imported on first use; without it, asking for one of the names
raises ModuleNotFoundError naming the distribution.
"""
from __future__ import annotations

import importlib
import numbers
import warnings
from tensorgraft.argument_errors import c_type_name

# PyTorch's top-level losses declare ``reduction=Mean`` but their Python binding applies 0 ("none")
# when it is omitted: ``torch.kl_div(x, t)`` is elementwise. The behaviour is the specification.
_NO_REDUCTION = 0


def functional(name: str = "this function"):
    """``tensorgraft.nn.functional``, or ModuleNotFoundError saying how to get it."""
    try:
        return importlib.import_module("tensorgraft.nn.functional")
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"tensorgraft.{name} needs tensorgraft-nn, which is not installed. Install it "
                                  f"with: pip install tensorgraft-nn") from exc


def _reduction(value, function: str, position: int) -> str:
    """ATen's int: 1 "mean", 2 "sum", any other int "none" (its losses reduce only for 1 and 2)."""
    if not isinstance(value, int):
        raise TypeError(f"{function}(): argument 'reduction' (position {position}) must be int, not "
                        f"{c_type_name(value)}")
    return {1: "mean", 2: "sum"}.get(value, "none")


def number_arg(value, function: str, name: str, position: int):
    """ATen's ``Number`` argument: a Python number, or a one-element tensor (read with ``item()``)."""
    from .tensor import Tensor
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, numbers.Number):
        return value
    raise TypeError(f"{function}(): argument '{name}' (position {position}) must be Number, not "
                    f"{c_type_name(value)}")


def _check_p(p) -> None:
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _stride(stride, kernel_size):
    """ATen's empty stride (the default ``[]``) means "the kernel size"; F's spelling is None."""
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


# --------------------------------------------------------------------------- activations
def selu(input):
    return functional("selu").selu(input)


def selu_(input):
    return functional("selu_").selu_(input)


def celu(input, alpha=1.0):
    return functional("celu").celu(input, alpha)


def celu_(input, alpha=1.0):
    return functional("celu_").celu_(input, alpha)


def _check_generator(generator, function: str) -> None:
    from .random import Generator
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{function}(): argument 'generator' (position 5) must be torch.Generator, not "
                        f"{c_type_name(generator)}")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """``torch.rrelu``: F.rrelu with the training slopes drawn from ``generator`` when given."""
    _check_generator(generator, "rrelu")
    return functional("rrelu")._rrelu(input, lower, upper, training, False, generator)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    _check_generator(generator, "rrelu_")
    return functional("rrelu_")._rrelu(input, lower, upper, training, True, generator)


def threshold(input, threshold, value):
    return functional("threshold").threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return functional("threshold_").threshold_(input, threshold, value)


def hardshrink(input, lambd=0.5):
    return functional("hardshrink").hardshrink(input, number_arg(lambd, "hardshrink", "lambd", 2))


def prelu(input, weight):
    return functional("prelu").prelu(input, weight)


# --------------------------------------------------------------------------- convolutions
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return functional("conv1d").conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return functional("conv2d").conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return functional("conv3d").conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return functional("conv_transpose1d").conv_transpose1d(input, weight, bias, stride, padding, output_padding,
                                                           groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return functional("conv_transpose2d").conv_transpose2d(input, weight, bias, stride, padding, output_padding,
                                                           groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return functional("conv_transpose3d").conv_transpose3d(input, weight, bias, stride, padding, output_padding,
                                                           groups, dilation)


# --------------------------------------------------------------------------- dropout (p and train required)
def dropout(input, p, train):
    _check_p(p)
    return functional("dropout").dropout(input, p, train)


def dropout_(input, p, train):
    _check_p(p)
    return functional("dropout_").dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    _check_p(p)
    return functional("alpha_dropout").alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    _check_p(p)
    return functional("alpha_dropout_").alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(input, p, train, inplace, name):
    """Whole channels dropped: one mask value per (sample, channel) of an input of any rank >= 2."""
    _check_p(p)
    F = functional(name)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not train or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    mask = F._dropout_mask(mask_shape, p, input)
    return input.mul_(mask) if inplace else input * mask


def feature_dropout(input, p, train):
    return _feature_dropout(input, p, train, False, "feature_dropout")


def feature_dropout_(input, p, train):
    return _feature_dropout(input, p, train, True, "feature_dropout_")


def feature_alpha_dropout(input, p, train):
    _check_p(p)
    return functional("feature_alpha_dropout").feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    _check_p(p)
    return functional("feature_alpha_dropout_").feature_alpha_dropout(input, p, train, inplace=True)


# --------------------------------------------------------------------------- normalization
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return functional("layer_norm").layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return functional("group_norm").group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return functional("batch_norm").batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                                               eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return functional("instance_norm").instance_norm(input, running_mean, running_var, weight, bias,
                                                     use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return functional("rms_norm").rms_norm(input, normalized_shape, weight, eps)


# --------------------------------------------------------------------------- embeddings
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """The weight comes first; a negative ``padding_idx`` means "no padding row" (ATen's), not
    "count from the end" (``F.embedding``'s)."""
    padding_idx = None if padding_idx is None or padding_idx < 0 else padding_idx
    return functional("embedding").embedding(indices, weight, padding_idx, None, 2.0, scale_grad_by_freq, sparse)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """(output, offset2bag, bag_size, max_indices), as ATen's CPU kernel returns them. offset2bag is
    each index's bag, except for the sum of float32 rows (mode 0), whose fast path leaves it empty;
    bag_size is each bag's count of indices other than ``padding_idx`` (zeros for sum); max_indices
    is bag_size for mean (1), zeros for sum, and for max (2) the row each output element was
    taken from (0 for an empty bag)."""
    if isinstance(mode, bool) or mode not in (0, 1, 2):
        raise RuntimeError(f"mode has to be one of sum, mean or max, but got {mode}")
    F = functional("embedding_bag")
    mode_name = ("sum", "mean", "max")[mode]
    output = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, mode_name, sparse,
                             per_sample_weights, include_last_offset, padding_idx)
    offset2bag, bag_size, max_indices = _embedding_bag_aux(weight, indices, offsets, mode, include_last_offset,
                                                           padding_idx)
    return output, offset2bag, bag_size, max_indices


def _embedding_bag_aux(weight, indices, offsets, mode, include_last_offset, padding_idx):
    import numpy as np

    from .ops.creation import tensor
    dev = indices.device
    idx = indices.detach().cpu().numpy().reshape(-1).astype(np.int64)
    if indices.ndim == 2:  # fixed-length bags: one per row
        starts = np.arange(0, idx.size, max(indices.shape[1], 1), dtype=np.int64)
    else:
        starts = offsets.detach().cpu().numpy().astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
    n_bags = starts.size
    bag_of = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    if mode == 0:
        from .dtypes import float32
        zeros = np.zeros(n_bags, np.int64)
        offset2bag = np.zeros(0, np.int64) if weight.dtype is float32 else bag_of
        return tensor(offset2bag, device=dev), tensor(zeros, device=dev), tensor(zeros.copy(), device=dev)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    kept = idx != padding_idx if padding_idx is not None else np.ones(idx.size, bool)
    bag_size = np.bincount(bag_of[kept], minlength=n_bags).astype(np.int64)
    if mode == 1:
        return (tensor(bag_of, device=dev), tensor(bag_size, device=dev), tensor(bag_size.copy(), device=dev))
    w = weight.detach().cpu().numpy()
    argmax = np.zeros((n_bags, w.shape[1]), np.int64)
    best = np.full((n_bags, w.shape[1]), -np.inf)
    seen = np.zeros(n_bags, bool)
    for pos in np.flatnonzero(kept):  # the first of equal maxima wins, as the kernel's strict ">"
        b, row = bag_of[pos], idx[pos]
        better = (w[row] > best[b]) | ~seen[b]
        argmax[b][better], best[b][better] = row, w[row][better]
        seen[b] = True
    return tensor(bag_of, device=dev), tensor(bag_size, device=dev), tensor(argmax, device=dev)


# --------------------------------------------------------------------------- distances and shuffles
def bilinear(input1, input2, weight, bias=None):
    return functional("bilinear").bilinear(input1, input2, weight, bias)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    return functional("cosine_similarity").cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    return functional("pairwise_distance").pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p=2):
    return functional("pdist").pdist(input, p)


def pixel_shuffle(input, upscale_factor):
    return functional("pixel_shuffle").pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return functional("pixel_unshuffle").pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    return functional("channel_shuffle").channel_shuffle(input, groups)


def native_channel_shuffle(input, groups):
    return functional("native_channel_shuffle").channel_shuffle(input, groups)


# --------------------------------------------------------------------------- losses (reduction as an int)
def kl_div(input, target, reduction=_NO_REDUCTION, *, log_target=False):
    F = functional("kl_div")
    with warnings.catch_warnings():  # F's advice to prefer "batchmean" is not given at top level
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(input, target, reduction=_reduction(reduction, "kl_div", 3), log_target=log_target)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=_NO_REDUCTION, zero_infinity=False):
    return functional("ctc_loss").ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                           _reduction(reduction, "ctc_loss", 6), zero_infinity)


def hinge_embedding_loss(input, target, margin=1.0, reduction=_NO_REDUCTION):
    return functional("hinge_embedding_loss").hinge_embedding_loss(input, target, margin,
                                                                   reduction=_reduction(reduction, "hinge_embedding_loss", 4))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=_NO_REDUCTION):
    functional("margin_ranking_loss")  # (ATen's op: no rank check, the ranks broadcast; F's checks them)
    from tensorgraft.nn.functional_ops.loss_api import margin_ranking_loss_aten
    return margin_ranking_loss_aten(input1, input2, target, margin, _reduction(reduction, "margin_ranking_loss", 5))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return functional("poisson_nll_loss").poisson_nll_loss(input, target, log_input, full, eps=eps,
                                                           reduction=_reduction(reduction, "poisson_nll_loss", 6))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=_NO_REDUCTION):
    return functional("cosine_embedding_loss").cosine_embedding_loss(input1, input2, target, margin,
                                                                     reduction=_reduction(reduction, "cosine_embedding_loss", 5))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=_NO_REDUCTION):
    return functional("triplet_margin_loss").triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                                                 reduction=_reduction(reduction, "triplet_margin_loss", 8))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=_NO_REDUCTION):
    return functional("binary_cross_entropy_with_logits").binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits", 5), pos_weight=pos_weight)


# --------------------------------------------------------------------------- pooling
def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return functional("max_pool1d").max_pool1d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                                               ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return functional("max_pool2d").max_pool2d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                                               ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return functional("max_pool3d").max_pool3d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                                               ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return tuple(functional("max_pool1d_with_indices").max_pool1d(
        input, kernel_size, _stride(stride, kernel_size), padding, dilation, ceil_mode, return_indices=True))


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return functional("avg_pool1d").avg_pool1d(input, kernel_size, _stride(stride, kernel_size), padding, ceil_mode,
                                               count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    return functional("adaptive_avg_pool1d").adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    return tuple(functional("adaptive_max_pool1d").adaptive_max_pool1d(input, output_size, return_indices=True))


# --------------------------------------------------------------------------- padding and sampling grids
def constant_pad_nd(input, pad, value=0):
    # (not F.pad: ATen's op takes any Number as the value, a complex one included, and words its
    # own errors)
    functional("constant_pad_nd")
    from tensorgraft.nn.functional_ops.padding_api import constant_pad_nd as _constant_pad_nd
    return _constant_pad_nd(input, pad, value)


def affine_grid_generator(theta, size, align_corners):
    return functional("affine_grid_generator").affine_grid(theta, list(size), align_corners)


_INTERPOLATION_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """The modes are ATen's ints: interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros,
    1 border, 2 reflection."""
    if interpolation_mode not in (0, 1, 2):
        raise RuntimeError(f"grid_sampler(): expected interpolation_mode to be 0 (bilinear), 1 (nearest) or 2 "
                           f"(bicubic), but got: {interpolation_mode}")
    if padding_mode not in (0, 1, 2):
        raise RuntimeError(f"grid_sampler(): expected padding_mode to be 0 (zeros), 1 (border) or 2 (reflection), "
                           f"but got: {padding_mode}")
    return functional("grid_sampler").grid_sample(input, grid, _INTERPOLATION_MODES[interpolation_mode],
                                                  _PADDING_MODES[padding_mode], align_corners)


ALIASES = frozenset(
    name for name, value in list(globals().items())
    if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == __name__
    and name not in ("functional", "number_arg"))
# these are C++-bound functions in PyTorch: its argument parser takes axis=/keepdims= for dim=/keepdim=
from .ops._frontend.axis_aliases import with_axis_alias as _with_axis_alias  # noqa: E402

for _name in ALIASES:
    globals()[_name] = _with_axis_alias(globals()[_name], _name)
del _name
