"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` and friends)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.device import get_backend
from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor, wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _xp(t):
    return get_backend(t._device).xp


def _norm(xp, a, norm_type):
    """One tensor's norm, in float64, as a 0-d array on the tensor's own device (no host read)."""
    v = xp.abs(a.astype(np.float64, copy=False)).ravel()
    if norm_type == math.inf:
        return v.max() if v.size else xp.asarray(0.0)
    if norm_type == -math.inf:
        return v.min() if v.size else xp.asarray(math.inf)
    if norm_type == 0:
        return xp.asarray(xp.count_nonzero(v), dtype=np.float64)
    if norm_type == 2:
        return xp.sqrt(xp.dot(v, v))
    return xp.sum(v ** norm_type) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from tensorgraft.ops.creation import tensor
        return tensor(0.0)
    dev = tensors[0]._device
    xp = _xp(tensors[0])
    # as PyTorch: the norm of each tensor, then the same norm of those norms (which differs from one
    # norm over all elements only for the orders 0 and -inf). Computed where the gradients live:
    # on a GPU, reading a norm back would wait for every queued kernel.
    norms = []
    for t in tensors:
        n = _norm(_xp(t), t._data, norm_type)
        if t._device != dev:  # gradients on several devices (rare): the norms meet on the first one
            n = xp.asarray(float(n)) if dev.type == "cpu" else get_backend(dev).from_host(
                np.asarray(float(n)), dev.index)
        norms.append(n)
    nv = xp.abs(xp.stack(norms))
    if norm_type == math.inf:
        total = nv.max()
    elif norm_type == -math.inf:
        total = nv.min()
    elif norm_type == 0:
        total = xp.asarray(xp.count_nonzero(nv), dtype=np.float64)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            total = xp.sum(nv ** norm_type) ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):  # the one host read, asked for
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return wrap(xp.asarray(total, dtype=tensors[0]._data.dtype), dev)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = _grads(parameters)
    if not grads:
        return
    if isinstance(total_norm, Tensor):
        # as PyTorch: every gradient is multiplied by min(max_norm / (norm + 1e-6), 1), computed on
        # the norm's device, so nothing waits for the GPU; a NaN norm scales by NaN
        xp = _xp(total_norm)
        coef = xp.minimum(float(max_norm) / (total_norm._data.astype(np.float64) + 1e-6), 1.0)
        norm_dev = total_norm._device
    else:
        coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0) if total_norm == total_norm else math.nan
        norm_dev = None
    with no_grad():
        for g in grads:
            c = coef
            if norm_dev is not None and g._device != norm_dev:
                c = float(coef)  # a gradient on another device than the norm (rare): read it once
            g._data *= c.astype(g._data.dtype) if hasattr(c, "astype") else g._data.dtype.type(c)
            g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data) if isinstance(g._data, np.ndarray) else \
            g._data.clip(-clip_value, clip_value, out=g._data)
        g._vc[0] += 1
