"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` and friends)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor, wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from tensorgraft.ops.creation import tensor
        return tensor(0.0)
    dev = tensors[0]._device
    host = [t._host() for t in tensors]
    # as PyTorch: the norm of each tensor, then the same norm of those norms (which differs from one
    # norm over all elements only for the orders 0 and -inf)
    norms = []
    for h in host:
        hv = np.abs(h.astype(np.float64, copy=False)).ravel()
        if norm_type == math.inf:
            norms.append(float(hv.max()) if hv.size else 0.0)
        elif norm_type == -math.inf:
            norms.append(float(hv.min()) if hv.size else math.inf)
        elif norm_type == 0:
            norms.append(float(np.count_nonzero(hv)))
        elif norm_type == 2:
            norms.append(math.sqrt(float(np.dot(hv, hv))))
        else:
            norms.append(float(np.sum(hv ** norm_type)) ** (1.0 / norm_type))
    nv = np.abs(np.asarray(norms))
    if norm_type == math.inf:
        total = float(nv.max())
    elif norm_type == -math.inf:
        total = float(nv.min())
    elif norm_type == 0:
        total = float(np.count_nonzero(nv))
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(nv ** norm_type)) ** (1.0 / norm_type)
    if error_if_nonfinite and (math.isnan(total) or math.isinf(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    out = np.asarray(total, dtype=tensors[0]._data.dtype)
    if dev.type != "cpu":
        from tensorgraft.device import get_backend
        out = get_backend(dev).from_host(out, dev.index)
    return wrap(out, dev)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = _grads(parameters)
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if not coef >= 1.0:  # a NaN norm scales by NaN, as PyTorch's clamp(coef, max=1) does
        with no_grad():
            for g in grads:
                g._data *= g._data.dtype.type(coef)
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
