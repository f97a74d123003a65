"""The dropout frontends of ``nn.functional``: ``F.dropout``, the channel-wise ``dropout1d/2d/3d``
and the SELU-preserving ``alpha_dropout``/``feature_alpha_dropout``.

Dropout has no fused op: the mask (``_dropout_mask``, drawn by the input's device generator, also
used by ``tensorgraft.dropout``'s top-level spellings) multiplies the input, so the gradient is
that product's. In-place variants go through the activations' ``_inplace``.
"""
from __future__ import annotations

import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor, wrap

from .activation_api import _SELU_ALPHA, _SELU_SCALE, _check, _inplace
from .activation_args import type_name


def _dropout_mask(shape, p, x):
    from tensorgraft.ops.sampling import dropout_mask  # drawn by x's device's default generator, there
    return wrap(dropout_mask(shape, p, x), x._device)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _aten_args(input, p, training, name):
    """The checks of PyTorch's argument parser on the ATen call every dropout frontend ends in
    (``name``: "dropout", "feature_dropout_", ...): ``input`` a Tensor, ``p`` a float (a Python or
    NumPy number, or a 0-d tensor that does not require grad; returned as a float), ``train`` a bool
    (1 or None is a TypeError, not a truthy value)."""
    _check(input, name)
    if isinstance(p, Tensor) and p.ndim == 0 and not p.requires_grad:
        p = p.item()
    elif not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}(): argument 'p' (position 2) must be float, not {type_name(p)}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument 'train' (position 3) must be bool, not {type_name(training)}")
    return float(p)


def _check_noise_dtype(input, alpha=False):
    """ATen draws the dropout noise in the input's dtype (``bernoulli_``, which refuses complex) and
    scales it by a float in place, which an integer or bool noise cannot hold; ``p == 1`` (a product
    with zero) and empty inputs never get here."""
    dt = input._data.dtype
    if dt.kind == "c":
        raise NotImplementedError(f"\"bernoulli_scalar_cpu_\" not implemented for '{_type_name(dt)}'")
    if dt.kind in "biu":
        # (the bool noise of alpha dropout becomes Long in its ``noise.add(-1)`` first)
        target = "Long" if alpha and dt.kind == "b" else _type_name(dt)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {target}")


def _times_zero(input, inplace, name):
    """``p == 1``: ATen returns ``input * 0`` (a zero of the input's dtype, so an integer input
    stays integer), not a mask product."""
    zero = _tg.zeros((), dtype=input.dtype, device=input.device)
    return _inplace(input, lambda x: x * zero, name) if inplace else input * zero


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    name = "dropout_" if inplace else "dropout"
    p = _aten_args(input, p, training, name)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _times_zero(input, inplace, name)
    _check_noise_dtype(input)
    m = _dropout_mask(input.shape, p, input)
    if inplace:
        return _inplace(input, lambda x: x * m, "dropout_")
    return input * m


_FEATURE_DROPOUT_DEPRECATED = (
    "{name}: Received a {nd}-D input to {name}, which is deprecated and will result in an error in a future "
    "release. To retain the behavior and silence this warning, please use dropout instead. Note that {name} "
    "exists to provide channel-wise dropout on inputs with {sp} spatial dimensions, a channel dimension, and an "
    "optional batch dimension (i.e. {sp1}D or {sp2}D inputs).")


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    """Channel-wise dropout for ``name`` (dropout1d/2d/3d), whose batched input has ``batched_ndim``
    dimensions. The rank checks come first and run in eval mode too, as PyTorch's do."""
    _check_p(p)
    fname = name.rstrip("_")
    _check(input, fname)
    nd, spatial = input.ndim, batched_ndim - 2
    if spatial == 1:
        if nd not in (2, 3):
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                               "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                               "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    elif nd not in (batched_ndim - 1, batched_ndim):
        warnings.warn(_FEATURE_DROPOUT_DEPRECATED.format(name=fname, nd=nd, sp=spatial, sp1=spatial + 1,
                                                         sp2=spatial + 2), stacklevel=3)
    elif spatial == 2 and nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=3)
    # dropout1d/3d treat any input that is not batched as a batch of one (so even in eval mode the
    # result is a new view, grad_fn SqueezeBackward1, as PyTorch's); dropout2d takes 3-D as (N, C, L).
    # In place, PyTorch adds and removes that dim on the input itself (``unsqueeze_``/``squeeze_``:
    # the result's grad_fn is SqueezeBackward4, a leaf that requires grad is refused), so do we.
    unbatched = spatial != 2 and nd != batched_ndim
    if unbatched and inplace:
        input.unsqueeze_(0)
        try:
            return _feature_dropout_batched(input, p, training, True, name)
        finally:
            input.squeeze_(0)
    x = input.unsqueeze(0) if unbatched else input
    out = _feature_dropout_batched(x, p, training, inplace, name)
    return out.squeeze(0) if unbatched else out


def _feature_dropout_batched(x, p, training, inplace, name):
    """ATen's ``feature_dropout`` (``name`` "dropout2d_" ... for the in-place error's wording)."""
    p = _aten_args(x, p, training, "feature_dropout_" if inplace else "feature_dropout")
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if p == 1.0:  # (zeroes everything: no channel needed, so no rank check)
        return _times_zero(x, inplace, name)
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    _check_noise_dtype(x)
    m = _dropout_mask(tuple(x.shape[:2]) + (1,) * (x.ndim - 2), p, x)
    return _inplace(x, lambda t: t * m, name) if inplace else x * m


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d_")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d_")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d_")


def _alpha_dropout(input, p, training, inplace, feature, name):
    _check_p(p)
    p = _aten_args(input, p, training, name if inplace else name.rstrip("_"))
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:   # everything dropped: PyTorch returns input * 0 (not the saturation value)
        return _times_zero(input, inplace, name)
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    _check_noise_dtype(input, alpha=True)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = _dropout_mask(shape, p, input) * (1 - p)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p

    def f(x):
        return (x * keep + alpha_p * (1 - keep)) * a + b
    return _inplace(input, f, name) if inplace else f(input)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, False, "alpha_dropout_")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one mask value per (sample, channel)."""
    return _alpha_dropout(input, p, training, inplace, True, "feature_alpha_dropout_")
