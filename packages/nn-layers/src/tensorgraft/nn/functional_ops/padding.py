"""``F.pad``. Constant padding writes the input into an array filled with the value (negative
pads crop); reflect, replicate and circular padding gather, per padded dimension, the source
position of every output position. Both are exact - an inf or NaN stays where it was - and run on
the input's device. Gradients: constant padding's is the gradient cropped back (``pad`` with the
pads negated), the others' sum the output gradient into the source positions (``index_add``);
both are written with tensorgraft ops, so they differentiate again."""
from __future__ import annotations

import numpy as np

import tensorgraft as _tg

from ._common import formula, gs, nnop, record, wrap
from .norm import suggested_layout
from tensorgraft.ops._frontend.memory_overlap import PARTIAL_OVERLAP


# ------------------------------------------------------------------ constant
def _constant_regions(shape, pad):
    """(output shape, source slices, destination slices) of a constant pad; PyTorch's error for
    a negative output size."""
    nd = len(shape)
    out_shape, src, dst = list(shape), [slice(None)] * nd, [slice(None)] * nd
    for i in range(len(pad) // 2):
        dim = nd - 1 - i
        lo, hi, n = int(pad[2 * i]), int(pad[2 * i + 1]), shape[dim]
        new = n + lo + hi
        if new < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                               f"output size, which is invalid. Check dimension {dim} of your input.")
        keep = max(n - max(-lo, 0) - max(-hi, 0), 0)
        src[dim] = slice(max(-lo, 0), max(-lo, 0) + keep)
        dst[dim] = slice(max(lo, 0), max(lo, 0) + keep)
        out_shape[dim] = new
    return tuple(out_shape), tuple(src), tuple(dst)


def _constant_kernel(xp, a, pad, value):
    out_shape, src, dst = _constant_regions(a.shape, pad)
    out = xp.full(out_shape, value, dtype=a.dtype)
    out[dst] = a[src]
    return suggested_layout(xp, out, a)


def constant_pad(input, pad, value):
    out = wrap(_CONSTANT.table[input._device.type](input._data, tuple(pad), value), input._device)
    if gs.enabled and input._requires_grad:
        record(_CONSTANT, out, (input,), {"pad": tuple(pad)}, node_name="ConstantPadNdBackward0")
    return out


_CONSTANT = nnop("constant_pad_nd", _constant_kernel, constant_pad)


@formula("constant_pad_nd", saves=())
def _constant_grad(node, g):
    return (constant_pad(g, tuple(-p for p in node.attrs["pad"]), 0),)


# ------------------------------------------------------------------ reflect / replicate / circular
def source_index(n, lo, hi, mode, dim, shape, dense_slices=True):
    """For each output position along a dimension of length ``n`` padded by (lo, hi): the input
    position it copies. PyTorch's errors for pads the mode cannot take. ``dense_slices``: (circular
    only) whether the output's slices along ``dim`` are single blocks of memory, which is when
    PyTorch's overlap check sees the copies it pads with."""
    idx = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            # ATen numbers the pad of the last dimension #4, of the one before it #6, then #8
            raise RuntimeError(f"Argument #{4 + 2 * (len(shape) - 1 - dim)}: Padding size should be less than the "
                               "corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(shape)}")
        period = 2 * (n - 1) if n > 1 else 1
        m = np.mod(idx, period)
        return np.where(m >= n, period - m, m)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    return _circular_index(n, lo, hi, dense_slices)


def _circular_index(n, lo, hi, dense_slices=True):
    """Circular padding: negative pads crop first, and the positive ones then wrap around what is
    left (so (2, -2) on [0..5] gives [2, 3, 0, 1, 2, 3]), as PyTorch does."""
    if lo > n or hi > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if n + lo + hi < 0:
        raise RuntimeError("Negative padding value is resulting in an empty dimension")
    start, stop = max(-lo, 0), n - max(-hi, 0)
    if n + lo + hi == 0:
        return np.arange(0)
    kept = stop - start
    # PyTorch copies the wrapped slices from the cropped output itself, and these pads read
    # positions that are still being written. Its overlap check refuses that when the slices are
    # single blocks of memory; otherwise the copy runs, and a right pad longer than what is left
    # repeats it (what a forward element-by-element copy gives; PyTorch's vectorised copy differs
    # from 16 elements on), while a left one would read memory not yet written.
    if kept <= 0 or max(lo, 0) > kept or (max(hi, 0) > kept and dense_slices):
        raise RuntimeError(PARTIAL_OVERLAP)
    return np.mod(np.arange(-max(lo, 0), kept + max(hi, 0)), kept) + start


def _plan(shape, pad, mode):
    """[(dim, source index)] for each padded dimension, innermost first (the order applied)."""
    plan = []
    k = len(pad) // 2
    if mode == "circular":  # ATen checks the pads of circular padding outermost dimension first
        for i in reversed(range(k)):
            n, lo, hi = shape[len(shape) - 1 - i], int(pad[2 * i]), int(pad[2 * i + 1])
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = list(shape)
    for i in range(k):
        out[len(shape) - 1 - i] += int(pad[2 * i]) + int(pad[2 * i + 1])
    for i in range(k):
        lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
        if lo or hi:
            dim = len(shape) - 1 - i
            dense = int(np.prod(out[:dim], dtype=np.int64)) == 1  # nothing outside the slice but it
            plan.append((dim, source_index(shape[dim], lo, hi, mode, dim, shape, dense)))
    return plan


def _gather_kernel(xp, a, plan):
    for dim, idx in plan:
        a = xp.take(a, idx if xp is np else xp.asarray(idx), axis=dim)
    return a


_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
          "circular": "CopySlices"}  # (PyTorch pads circularly in Python, by slice copies)


def _check_index_pad(shape, pad, mode):
    """ATen's reflection/replication checks that come before the per-dimension ones: no empty
    dimension but the batch, and (1-D) an output of at least one element."""
    k = len(pad) // 2
    if any(n == 0 for n in (shape[1:] if len(shape) == k + 2 else shape)):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    out = [shape[len(shape) - 1 - i] + int(pad[2 * i]) + int(pad[2 * i + 1]) for i in range(k)][::-1]
    if max(out) < 1:  # every output length (D, H, W) empty: ATen's own message, spaced as ATen's
        size = shape[len(shape) - k:]
        if k == 1:
            raise RuntimeError(f"input (W: {size[0]}) is too small. Calculated output W: {out[0]}")
        if k == 2:
            gap = " " if mode == "replicate" else ""
            raise RuntimeError(f"input (H: {size[0]}, W: {size[1]}{gap}) is too small. Calculated output H: {out[0]} "
                               f"W: {out[1]}")
        raise RuntimeError(f"input (D: {size[0]} H: {size[1]}, W: {size[2]}) is too small. Calculated output D: "
                           f"{out[0]} H: {out[1]} W: {out[2]}")
    if min(out) < 0:
        full = list(shape[:len(shape) - k]) + out
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {full}")


def index_pad(input, pad, mode):
    if mode != "circular":
        _check_index_pad(tuple(input.shape), pad, mode)
    plan = _plan(tuple(input.shape), pad, mode)
    if mode != "circular" and input._data.dtype == np.bool_:
        # (after the shape checks, as ATen's kernels dispatch on dtype once those passed)
        kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{len(pad) // 2}d"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    out = wrap(_GATHER.table[input._device.type](input._data, plan), input._device)
    if gs.enabled and input._requires_grad:
        record(_GATHER, out, (input,), {"plan": plan}, node_name=_NAMES[mode].format(len(pad) // 2))
    return out


_GATHER = nnop("pad_gather", _gather_kernel, index_pad)


@formula("pad_gather", saves=())
def _gather_grad(node, g):
    shape = list(node.in_meta[0][0])
    sizes = []  # the shape before each gather, to undo them in reverse
    for dim, idx in node.attrs["plan"]:
        sizes.append(list(shape))
        shape[dim] = len(idx)
    for (dim, idx), before in zip(reversed(node.attrs["plan"]), reversed(sizes)):
        index = _tg.tensor(idx, dtype=_tg.int64, device=g.device)
        g = _tg.zeros(before, dtype=g.dtype, device=g.device).index_add(dim, index, g)
    return (g,)
