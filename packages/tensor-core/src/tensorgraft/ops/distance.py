"""Distances: ``cdist`` (pairwise), ``dist`` (the p-norm of a difference) and ``renorm`` (slices
rescaled to a maximal p-norm).

As in PyTorch, ``p=2`` may be computed through a matrix product (``|x|^2 - 2 x.y + |y|^2``: fast,
slightly less accurate for nearly equal rows) -- always with ``compute_mode=
"use_mm_for_euclid_dist"``, and by default when either input has more than 25 rows. Otherwise each
pair's difference is formed and reduced (``x1[..., :, None, :] - x2[..., None, :, :]``).
"""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import wrap_dim
from ._define import CORE_OPS, defop
from .elementwise.arithmetic import refuse_bool_subtraction
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)

_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


def _cdist_kernel(xp, a, b, p, use_mm, out_shape):
    batch = out_shape[:-2]
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    if 0 in out_shape or a.shape[-1] == 0:
        return xp.zeros(out_shape, a.dtype)
    if use_mm:
        # PyTorch's _euclidean_dist: one matmul of [-2x, |x|^2, 1] and [y, 1, |y|^2]
        an = xp.sum(a * a, axis=-1, keepdims=True)
        bn = xp.sum(b * b, axis=-1, keepdims=True)
        a_ = xp.concatenate([a * -2, an, xp.ones_like(an)], axis=-1)
        b_ = xp.concatenate([b, xp.ones_like(bn), bn], axis=-1)
        return xp.sqrt(xp.maximum(xp.matmul(a_, xp.swapaxes(b_, -1, -2)), 0))
    diff = xp.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return xp.sum(diff != 0, axis=-1).astype(a.dtype)
    if p == 1:
        return xp.sum(diff, axis=-1)
    if p == 2:
        return xp.sqrt(xp.sum(diff * diff, axis=-1))
    if p == math.inf:
        return xp.amax(diff, axis=-1)
    return xp.sum(diff ** p, axis=-1) ** (1.0 / p)


def _cdist_frontend(op):
    table = op.table

    def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
        if not isinstance(x1, Tensor):
            raise F.not_a_tensor("cdist", "x1", 1, x1)
        if not isinstance(x2, Tensor):
            raise F.not_a_tensor("cdist", "x2", 2, x2)
        if compute_mode not in _MODES:
            raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
        if isinstance(p, Tensor):
            p = p.item()
        if not isinstance(p, numbers.Real):
            raise TypeError(f"cdist(): argument 'p' must be float, not {c_type_name(p)}")
        p = float(p)
        a, b = x1._data, x2._data
        if a.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
        if b.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {b.ndim}D")
        if a.shape[-1] != b.shape[-1]:
            raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
        for name, arr in (("X1", a), ("X2", b)):
            if _np_kind(arr.dtype) != "f":
                raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {F._type_name(arr.dtype)}")
        if p < 0 or math.isnan(p):
            raise RuntimeError("cdist only supports non-negative p values")
        if x1._device is not x2._device:
            raise F.device_mismatch("cdist", x1, x2)
        if a.dtype == np.float16 or a.dtype is _dt.BF16:  # (x2's dtype: compared with x1's below)
            raise NotImplementedError(f"\"cdist\" not implemented for '{F._type_name(a.dtype)}'")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {F._type_name(a.dtype)} but found {F._type_name(b.dtype)}")
        err = F.broadcast_mismatch(a.shape[:-2], b.shape[:-2])
        if err is not None:
            raise err
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        r1, r2 = a.shape[-2], b.shape[-2]
        out_shape = batch + (r1, r2)
        mode = _MODES[compute_mode]
        use_mm = p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25)))
        use_mm = use_mm and 0 not in out_shape and a.shape[-1] != 0
        out = wrap(table[x1._device.type](a, b, p, use_mm, out_shape), x1._device)
        if _gs.enabled and (x1._requires_grad or x2._requires_grad):
            Tensor._autograd.record(op, out, (x1, x2), {"p": p},
                                    node_name="EuclideanDistBackward0" if use_mm else None)
            if use_mm:
                out = out.view(out_shape)  # PyTorch views the matmul's result: the output shows ViewBackward0
        return out
    return cdist


# =========================================================================== declarations
def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _cdist_samples(dtype, device):
    a, b = _mk((3, 2), dtype, device, 140), _mk((4, 2), dtype, device, 141)
    ba, bb = _mk((2, 3, 3), dtype, device, 142), _mk((2, 2, 3), dtype, device, 143)
    return [((a, b), {}), ((ba, bb, 1.0), {}), ((a, b, float("inf")), {}), ((ba, bb[:1], 1.5), {}),
            ((a, b, 0.0), {}), ((ba, bb), {"compute_mode": "use_mm_for_euclid_dist"}),
            ((_mk((2, 1, 3, 2), dtype, device, 144), _mk((2, 4, 2), dtype, device, 145), 3.0), {})]


def _cdist_reference(a, b, p=2.0, compute_mode=None):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return np.sum(d != 0, axis=-1).astype(a.dtype)
    if p == math.inf:
        return d.max(-1)
    return np.sum(d ** p, axis=-1) ** (1.0 / p)


defop("cdist", kernel=_cdist_kernel, frontend=_cdist_frontend, method=False, samples=_cdist_samples,
      reference=_cdist_reference)


# =========================================================================== dist / renorm
def _pnorm(xp, d, p, axis, keepdims):
    """The p-norm of ``d`` over ``axis`` (None: everything), as linalg.vector_norm computes it."""
    ad = xp.abs(d)
    if p == 0:
        return xp.sum(ad != 0, axis=axis, keepdims=keepdims).astype(ad.dtype)
    if p == math.inf:
        return xp.amax(ad, axis=axis, keepdims=keepdims) if ad.size else xp.zeros(() if axis is None else
                                                                                  ad.shape, d.dtype)
    if p == -math.inf:
        return xp.amin(ad, axis=axis, keepdims=keepdims)
    if p == 1:
        return xp.sum(ad, axis=axis, keepdims=keepdims)
    if p == 2:
        return xp.sqrt(xp.sum(ad * ad, axis=axis, keepdims=keepdims))
    return xp.sum(ad ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


_REAL_OF = {"F": np.dtype(np.float32), "D": np.dtype(np.float64)}


def _dist_kernel(xp, a, b, p):
    d = a - b
    if d.size == 0 and math.isinf(p):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the "
                           "operation does not have an identity")
    if d.dtype == np.float16:  # (accumulated in float32, as PyTorch's half-precision norms)
        d = d.astype(np.float32)
    # a norm is real: complex inputs give their real counterpart (complex64 -> float32)
    return xp.asarray(_pnorm(xp, d, p, None, False), dtype=_REAL_OF.get(a.dtype.char, a.dtype))


def _real(p, fname, argname):
    if isinstance(p, Tensor):
        p = p.item()
    if not isinstance(p, numbers.Real):
        raise TypeError(f"{fname}(): argument '{argname}' must be Number, not {c_type_name(p)}")
    return float(p)


def _dist_frontend(op):
    table = op.table

    def dist(input, other, p=2):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("dist", "input", 1, input)
        if not isinstance(other, Tensor):
            raise F.not_a_tensor("dist", "other", 2, other)
        p = _real(p, "dist", "p")
        if other._device is not input._device:
            input, other = F.join_cpu_scalars("dist", input, other)
        # (dist is norm(input - other) in PyTorch: a bool operand gets subtraction's refusals)
        refuse_bool_subtraction(input._data, other._data)
        err = F.broadcast_mismatch(input._data.shape, other._data.shape)
        if err is not None:
            raise err
        npd = _dt.result_type(input, other).np
        if _dt.np_kind(npd) not in "fc":
            raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                               f"{F._type_name(npd)} instead.")
        a, b = input._data.astype(npd, copy=False), other._data.astype(npd, copy=False)
        out = wrap(table[input._device.type](a, b, p), input._device)
        if F.needs_grad(input, other):
            Tensor._autograd.record(op, out, (input, other), {"p": p})
        return out
    return dist


def _renorm_kernel(xp, a, p, axis, maxnorm):
    dims = tuple(i for i in range(a.ndim) if i != axis)
    norm = _pnorm(xp, a, p, dims, True)
    t = a.dtype.type
    # PyTorch's renorm_scale_factor: slices over maxnorm scaled to it (the 1e-7 keeps 0/0 away)
    factor = xp.where(norm > t(maxnorm), t(maxnorm) / (norm + t(1e-7)), t(1))
    return a * factor


def _renorm_frontend(op):
    table = op.table

    def renorm(input, p, dim, maxnorm):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("renorm", "input", 1, input)
        p = _real(p, "renorm", "p")
        maxnorm = _real(maxnorm, "renorm", "maxnorm")
        if not p > 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
        if not maxnorm >= 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
        a = input._data
        if a.ndim <= 1:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {a.ndim} dimensions")
        d = wrap_dim(dim, a.ndim)
        if _np_kind(a.dtype) not in "fc":
            raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                               f"{F._type_name(a.dtype)} instead.")
        if math.isinf(p):
            for i, n in enumerate(a.shape):
                if n == 0 and i != d:  # (PyTorch's message, its missing space included)
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension {i}because "
                                       "this dimension is empty and the operation does not have an identity")
        out = wrap(table[input._device.type](a, p, d, maxnorm), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"p": p, "dim": d, "maxnorm": maxnorm})
        return out
    return renorm


def _dist_samples(dtype, device):
    a, b = _mk((2, 3), dtype, device, 146), _mk((2, 3), dtype, device, 147)
    return [((a, b), {}), ((a, b, 1), {}), ((a, _mk((3,), dtype, device, 148), 3.0), {}), ((a, b, math.inf), {}),
            ((a, b, 0), {}), ((a, b), {"p": 1.5})]


def _dist_reference(a, b, p=2):
    d = np.abs(a - b).reshape(-1)
    if p == 0:
        return np.asarray(np.count_nonzero(d), a.dtype)
    if p == math.inf:
        return d.max()
    return np.sum(d ** p) ** (1.0 / p)


def _renorm_samples(dtype, device):
    x = _mk((3, 4), dtype, device, 149, -3.0, 3.0)
    return [((x, 2, 0, 2.5), {}), ((x, 1, 1, 3.0), {}), ((_mk((2, 3, 2), dtype, device, 150), 3.0, -1, 1.0), {}),
            ((x, math.inf, 0, 1.5), {}), ((x, 2, 0, 100.0), {})]


def _renorm_reference(a, p, dim, maxnorm):
    dims = tuple(i for i in range(a.ndim) if i != dim % a.ndim)
    ad = np.abs(a)
    norm = ad.max(axis=dims, keepdims=True) if p == math.inf else np.sum(ad ** p, axis=dims, keepdims=True) ** (1 / p)
    return a * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


defop("dist", kernel=_dist_kernel, frontend=_dist_frontend, samples=_dist_samples, reference=_dist_reference)
defop("renorm", kernel=_renorm_kernel, frontend=_renorm_frontend, inplace="renorm_", samples=_renorm_samples,
      reference=_renorm_reference)

DISTANCE_OPS = CORE_OPS[_FIRST:]
