"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` and friends)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.device import get_backend
from tensorgraft.ops._frontend.memory_overlap import INTERNAL_OVERLAP
from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor, wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _xp(t):
    return get_backend(t._device).xp


def _acc_dtype(dtype):
    """The dtype a norm is accumulated in: as PyTorch's vector_norm, a float16 or bfloat16 tensor's
    norm is accumulated in float32, every other one in its own real dtype (so a float32 norm overflows
    to inf where PyTorch's does)."""
    return np.dtype(np.float32) if dtype.itemsize == 2 else dtype


def _norm(xp, a, norm_type):
    """One tensor's vector norm, as a 0-d array of its real dtype on its own device (no host read).
    The magnitudes are taken first, so a complex tensor's norm is that of its moduli."""
    out_dtype = _real_dtype(a.dtype)
    v = xp.abs(a).astype(_acc_dtype(out_dtype), copy=False).ravel()
    if norm_type == math.inf:
        n = v.max() if v.size else xp.asarray(0.0)
    elif norm_type == -math.inf:
        n = v.min() if v.size else xp.asarray(math.inf)
    elif norm_type == 0:
        n = xp.asarray(xp.count_nonzero(v))
    else:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            n = xp.sqrt(xp.dot(v, v)) if norm_type == 2 else xp.sum(v ** norm_type) ** (1.0 / norm_type)
    return xp.asarray(n, dtype=out_dtype)


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
    # as PyTorch: the norm of each tensor in its own dtype, then the same norm of those norms stacked
    # in their promoted dtype (float64 once one gradient is float64, float32 for float16 with float32).
    # Computed where the gradients live: on a GPU, reading a norm back would wait for every queued kernel.
    out_dtype = np.result_type(*[_real_dtype(t._data.dtype) for t in tensors])
    norms = []
    for t in tensors:
        n = _norm(_xp(t), t._data, norm_type)
        if t._device != dev:  # gradients on several devices (rare): the norms meet on the first one
            n = xp.asarray(float(n)) if dev.type == "cpu" else get_backend(dev).from_host(
                np.asarray(float(n)), dev.index)
        norms.append(n.astype(out_dtype))
    total = _norm(xp, xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):  # the one host read, asked for
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return wrap(total, dev)


def _real_dtype(dtype):
    """The dtype of a tensor's norm: the real counterpart of a complex dtype, else the dtype."""
    return np.empty(0, dtype=dtype).real.dtype


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = _grads(parameters)
    if not grads:
        return
    if not isinstance(total_norm, Tensor):
        # PyTorch clamps max_norm / (total_norm + 1e-6) with torch.clamp, which takes only a tensor: a
        # plain-number total_norm (what get_total_norm never returns) is refused with clamp's message
        coef = float(max_norm) / (total_norm + 1e-6)
        cls = type(coef)
        name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        raise TypeError(f"clamp() received an invalid combination of arguments - got ({name}, max=float), but "
                        "expected one of:\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = "
                        "None)\n * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    # as PyTorch: every gradient is multiplied by min(max_norm / (norm + 1e-6), 1), computed on the
    # norm's device, so nothing waits for the GPU; a NaN norm scales by NaN. Each step is rounded to
    # the norm's dtype, a float16 or bfloat16 one computed in float32 with unrounded numbers; PyTorch
    # divides a number by a tensor as reciprocal() * number, which rounds differently.
    xp = _xp(total_norm)
    norm = total_norm._data if total_norm.is_floating_point() else total_norm._data.astype(np.float32)
    dtype, acc = norm.dtype, _acc_dtype(norm.dtype)

    def rounded(a):
        return a.astype(dtype).astype(acc)

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        coef = rounded(1.0 / rounded(norm.astype(acc) + 1e-6))
        coef = xp.minimum(rounded(coef * float(max_norm)), 1.0).astype(dtype)
    norm_dev = total_norm._device
    with no_grad():
        for g in grads:
            c = coef
            if g._device != norm_dev:
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
    grads = _grads(parameters)
    # checked first: no gradient is clipped when one is refused
    if any(g.is_complex() for g in grads):
        raise NotImplementedError("clamp is not supported for complex types")
    if any(any(st == 0 and n > 1 for st, n in zip(g._data.strides, g._data.shape)) for g in grads):
        # an expanded gradient: several of its elements are one in memory
        raise RuntimeError(INTERNAL_OVERLAP)
    with no_grad():
        for g in grads:
            g.clamp_(-clip_value, clip_value)  # writes through a (1-sized) expanded view too
