"""Fractional max pooling (Graham, 2014), 2-D and 3-D, as ATen computes it.

Each (batch, channel) plane has one random sample ``u`` in [0, 1) per spatial dim (``_random_samples``,
shaped (N, C, rank); the 2-D pool reads them as (w, h), the 3-D one as (t, h, w)). Along a dim of
size ``n`` pooled to ``o`` windows of size ``k`` the windows start at
``int((i + u) * alpha) - int(u * alpha)`` for ``i < o - 1`` and at ``n - k`` for the last one, with
``alpha = (n - k) / (o - 1)``, computed in the input's dtype as ATen does, so that the same samples
give the same windows. Every window's box is gathered at once and reduced by an argmax (the first
maximum, the last NaN: ATen's ``val > max || isnan(val)`` scan).

The gradient is a scatter-add at the winners, the same backward as the adaptive max pools': the
node is theirs (``adaptive_max_pool_op``'s formula), named ``FractionalMaxPool2DBackward0``."""
from __future__ import annotations

import numpy as np

import tensorgraft as tg
from tensorgraft.device import get_backend

from ._common import batched, check_tensor, gs, record, unbatched, wrap
from .pooling3d import box_max
from tensorgraft.dtypes import np_kind as _np_kind


def _starts(xp, u, n, o, k, dtype):
    """(P, o) window starts along one dim, one row per plane (``u``: its (P,) samples)."""
    P = u.shape[0]
    last = xp.full((P, min(o, 1)), n - k, dtype=xp.int64)
    if o <= 1:
        return last
    one = np.dtype(dtype).type
    alpha = one(n - k) / one(o - 1)  # (a host scalar of the input's dtype: ATen's scalar_t arithmetic)
    i = xp.arange(o - 1, dtype=dtype)
    seq = ((i + u[:, None]) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)[:, None]
    return xp.concatenate([seq, last], axis=1)


def _kernel(xp, x, samples, k, out_sp):
    """(N, C, *sp) input, (N, C, rank) samples in spatial order -> output and flat plane indices."""
    N, C = x.shape[:2]
    sp = x.shape[2:]
    r = len(sp)
    P = N * C
    u = samples.reshape(P, r)
    flat = None
    stride = 1
    for j in reversed(range(r)):
        pos = (_starts(xp, u[:, j], sp[j], out_sp[j], k[j], x.dtype)[:, :, None] + xp.arange(k[j])) * stride
        # axes (P, o0, o1, .., k0, k1, ..): dim j's windows on axis 1 + j, its box offsets on 1 + r + j
        shape = [P] + [1] * (2 * r)
        shape[1 + j], shape[1 + r + j] = out_sp[j], k[j]
        pos = pos.reshape(shape)
        flat = pos if flat is None else flat + pos
        stride *= sp[j]
    L = int(np.prod(out_sp))
    flat = flat.reshape(P, L, int(np.prod(k)))   # (the box size spelled out: an empty batch leaves -1 open)
    v = xp.take_along_axis(x.reshape(P, stride), flat.reshape(P, flat.shape[1] * flat.shape[2]), axis=1).reshape(flat.shape)
    out, am = box_max(xp, v)
    idx = xp.take_along_axis(flat, am[..., None], -1)[..., 0]
    shape = (N, C) + tuple(out_sp)
    return out.reshape(shape), idx.reshape(shape)


def _adaptive_max_op(rank):
    from tensorgraft.registry import registry
    return registry.ops[f"nn.adaptive_max_pool{rank}d"]


def _fractional_op(input, k, out_sp, samples, rank):
    x = input._data
    xp = get_backend(input._device).xp
    xb = batched(x, rank)
    s = samples._data[:xb.shape[0]]
    if rank == 2:
        s = s[..., ::-1]  # ATen reads a plane's two samples as (w, h)
    out, idx = _kernel(xp, xb, s, k, out_sp)
    out, idx = unbatched(out, x.ndim, rank), unbatched(idx, x.ndim, rank)
    res = wrap(out, input._device)
    if gs.enabled and input._requires_grad:
        record(_adaptive_max_op(rank), res, (input,), {"idx": idx}, node_name=f"FractionalMaxPool{rank}DBackward0")
    return res, wrap(idx, input._device)


def _sizes(v, rank, what):
    if isinstance(v, (tuple, list)):
        if len(v) != rank:
            ints = "tuple of Ints" if rank == 2 else "tuple of three Ints"
            raise RuntimeError(f"fractional_max_pool{rank}d: {what} must either be a single Int or {ints}")
        return tuple(int(a) for a in v)
    return (int(v),) * rank


def _check(input, k, out, samples, rank):
    """ATen's checks (the meta function's, then ``fractional_max_pool_check_shape``'s), in order."""
    prefix = "fractional_max_pool2d()" if rank == 2 else "fractional_max_pool3d_out()"
    nd = input.ndim
    if nd not in (rank + 1, rank + 2):
        raise RuntimeError(f"{prefix}: Expected {rank + 1}D or {rank + 2}D tensor, but got: {list(input.shape)}")
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"{prefix}: Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{list(input.shape)} with dimension {i} being empty.")
    sp = input.shape[-rank:]
    names = ("height", "width") if rank == 2 else ("time", "height", "width")
    # ATen: the 2-D pool checks (h, w) and allows o + k - 1 == n; the 3-D one (t, w, h), strictly
    order = (0, 1) if rank == 2 else (0, 2, 1)
    for j in order:
        if out[j] + k[j] - 1 > sp[j] - (0 if rank == 2 else 1):
            raise RuntimeError(f"{prefix}: pool {names[j]} {k[j]} too large relative to input {names[j]} {sp[j]}")
    if any(o < 0 for o in out):
        shape = list(input.shape[:-rank]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {shape}")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    batch, channels = (1, input.shape[0]) if nd == rank + 1 else input.shape[:2]
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != rank:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {rank}; got {samples.shape[2]}.")


def _not_implemented(input, kernel):
    from tensorgraft.ops._frontend import _type_name
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")


def _fractional(input, kernel_size, output_size, output_ratio, _random_samples, rank):
    check_tensor(input, f"fractional_max_pool{rank}d")
    name = f"fractional_max_pool{rank}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if rank == 2 and len(output_ratio) > 2:  # (PyTorch's len(): a plain float ratio is a TypeError there)
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints.")
        # (PyTorch's _pair/_triple: a sequence is kept as it is, a short one fails on indexing)
        ratio = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * rank
        output_size = [int(input.shape[d - rank] * ratio[d]) for d in range(rank)]
    if _random_samples is None:
        if input.ndim < rank + 1:  # PyTorch's input.size(-rank - 1)
            raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                             f"but got {-rank - 1})")
        if _np_kind(input._data.dtype) != "f":  # (PyTorch: the uniform draw in the input's dtype fails first)
            raise _not_implemented(input, "check_uniform_bounds")
        n_batch = 1 if input.ndim == rank + 1 else input.shape[0]
        # drawn by the generator of the input's device, there, in the input's dtype (as torch.rand)
        _random_samples = tg.rand(n_batch, input.shape[-rank - 1], rank, dtype=input.dtype, device=input.device)
    k = _sizes(kernel_size, rank, "kernel_size")
    out = _sizes(output_size, rank, "output_size")
    _check(input, k, out, _random_samples, rank)
    if _np_kind(input._data.dtype) != "f":
        raise _not_implemented(input, f"fractional_max_pool{rank}d_out_frame")
    if input.device != _random_samples.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {_random_samples.device}!")
    return _fractional_op(input, k, out, _random_samples, rank)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    out, idx = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return (out, idx) if return_indices else out


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    out, idx = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return (out, idx) if return_indices else out
