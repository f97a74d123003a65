"""``pdist`` (the condensed p-norm distances between the rows of a matrix, ``PdistBackward0``),
``channel_shuffle`` (``ChannelShuffleBackward0``) and ``pixel_shuffle``/``pixel_unshuffle``
(``PixelShuffleBackward0``/``PixelUnshuffleBackward0``), one op each as in ATen; and the
composites ``pairwise_distance`` and ``cosine_similarity``, built from the ops ATen builds them
from so that their ``grad_fn`` chains read as PyTorch's.

``pdist`` works on the (K, M) row differences of the K = N(N-1)/2 pairs i < j (row-major, as
PyTorch orders them); its gradient, ATen's ``_pdist_backward``, is first order only there too, so
the formula works on arrays and scatters the pair gradients back to the rows with two ``bincount``s.
A pair at distance 0 gets gradient 0 (no 0/0), as in ATen.
``channel_shuffle``'s gradient is the inverse shuffle (C // groups groups), the op again, so it
differentiates any number of times.
"""
from __future__ import annotations

import math

import numpy as np

from tensorgraft.grad_mode import no_grad

from ._common import check_tensor, check_tensor_args, formula, gs, nnop, record, wrap
from .nn_aten_nodes import add_scalar, norm
from tensorgraft.dtypes import np_kind as _np_kind


# ------------------------------------------------------------------ pdist
def _pairs(xp, n):
    i, j = np.triu_indices(n, 1)  # host constants: depend on the shape only
    return xp.asarray(i), xp.asarray(j)


def _norm(xp, diff, p):
    a = xp.abs(diff)
    if p == 0:
        return (a != 0).sum(axis=1).astype(diff.dtype)
    if p == math.inf:
        return a.max(axis=1) if a.shape[1] else xp.zeros(a.shape[0], dtype=diff.dtype)
    if p == 1:
        return a.sum(axis=1)
    if p == 2:
        return xp.sqrt((a * a).sum(axis=1))
    return (a ** p).sum(axis=1) ** (1 / p)


def _pdist_kernel(xp, x, p):
    i, j = _pairs(xp, x.shape[0])
    return _norm(xp, x[i] - x[j], p).astype(x.dtype, copy=False)


def _pdist_backward_kernel(xp, g, x, dist, p):
    n, m = x.shape
    i, j = _pairs(xp, n)
    diff = x[i] - x[j]
    d = dist[:, None]
    gk = g[:, None]
    zero = xp.zeros((), dtype=x.dtype)
    if p == 0 or not diff.size:
        gd = xp.zeros_like(diff)
    elif p == 1:
        gd = xp.sign(diff) * gk
    elif p == math.inf:
        gd = xp.sign(diff) * (xp.abs(diff) == d) * gk
    elif p == 2:
        gd = xp.where(d == 0, zero, diff * gk / xp.where(d == 0, 1, d))
    else:
        # sign(diff) |diff|^(p-1) / dist^(p-1); a zero difference adds nothing (also for p < 1)
        ad = xp.abs(diff)
        num = xp.where(ad == 0, zero, xp.sign(diff) * ad ** (p - 1))
        gd = xp.where(d == 0, zero, num * gk / xp.where(d == 0, 1, d) ** (p - 1))
    cols = xp.arange(m)
    acc = xp.bincount((i[:, None] * m + cols).ravel(), weights=gd.ravel(), minlength=n * m)
    acc = acc - xp.bincount((j[:, None] * m + cols).ravel(), weights=gd.ravel(), minlength=n * m)
    return acc.reshape(n, m).astype(x.dtype, copy=False)


def _pdist_op(input, p):
    out = wrap(_PDIST.table[input._device.type](input._data, p), input._device)
    if gs.enabled and input._requires_grad:  # (also with one row: an empty result, a zero gradient)
        record(_PDIST, out, (input,), {"p": p, "out": out._data}, node_name="PdistBackward0")
    return out


_PDIST = nnop("pdist", _pdist_kernel, _pdist_op)


def _pdist_backward(grad, input, dist, p):
    return wrap(_PDIST_BACKWARD.table[grad._device.type](grad._data, input._data, dist, p), grad._device)


_PDIST_BACKWARD = nnop("pdist_backward", _pdist_backward_kernel, _pdist_backward, differentiable=False)


@formula("pdist")
def _pdist_grad(node, g):
    return (_pdist_backward(g, node.inputs[0], node.attrs["out"], node.attrs["p"]),)


def pdist(input, p=2):
    check_tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if _np_kind(input._data.dtype) != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input._data.dtype.itemsize == 2:  # (its CPU kernel has no half types)
        raise NotImplementedError(f"\"pdist\" not implemented for '{input.dtype.scalar_type}'")
    return _pdist_op(input, float(p))


# ------------------------------------------------------------------ channel_shuffle
def _shuffle_kernel(xp, x, groups):
    n, c = x.shape[:2]
    sp = x.shape[2:]
    y = x.reshape((n, groups, c // groups) + sp).swapaxes(1, 2)
    return xp.ascontiguousarray(y).reshape(x.shape)


def _shuffle_op(input, groups):
    out = wrap(_SHUFFLE.table[input._device.type](input._data, groups), input._device)
    if gs.enabled and input._requires_grad:
        record(_SHUFFLE, out, (input,), {"groups": groups}, node_name="ChannelShuffleBackward0")
    return out


_SHUFFLE = nnop("channel_shuffle", _shuffle_kernel, _shuffle_op)


@formula("channel_shuffle")
def _shuffle_grad(node, g):
    # the inverse permutation is the shuffle into C // groups groups
    return (_shuffle_op(g, g.shape[1] // node.attrs["groups"]),)


def channel_shuffle(input, groups):
    check_tensor(input, "channel_shuffle")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")
    return _shuffle_op(input, int(groups))


# ------------------------------------------------------------------ pixel_shuffle / pixel_unshuffle
# (*, C r^2, H, W) <-> (*, C, H r, W r). Each op's gradient is the other op on the incoming
# gradient, so both differentiate any number of times.
def _pixel_shuffle_kernel(xp, x, r):
    *lead, c, h, w = x.shape
    nl = len(lead)
    y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    y = y.transpose(tuple(range(nl)) + (nl, nl + 3, nl + 1, nl + 4, nl + 2))
    return xp.ascontiguousarray(y).reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def _pixel_unshuffle_kernel(xp, x, r):
    *lead, c, h, w = x.shape
    nl = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(nl)) + (nl, nl + 2, nl + 4, nl + 1, nl + 3))
    return xp.ascontiguousarray(y).reshape(tuple(lead) + (c * r * r, h // r, w // r))


def _pixel_op(holder, node_name):
    def run(input, factor):
        op = holder[0]
        out = wrap(op.table[input._device.type](input._data, factor), input._device)
        if gs.enabled and input._requires_grad:
            record(op, out, (input,), {"factor": factor}, node_name=node_name)
        return out
    return run


_PS, _PU = [], []
_pixel_shuffle_op = _pixel_op(_PS, "PixelShuffleBackward0")
_pixel_unshuffle_op = _pixel_op(_PU, "PixelUnshuffleBackward0")
_PS.append(nnop("pixel_shuffle", _pixel_shuffle_kernel, _pixel_shuffle_op))
_PU.append(nnop("pixel_unshuffle", _pixel_unshuffle_kernel, _pixel_unshuffle_op))


@formula("pixel_shuffle", saves=())
def _pixel_shuffle_grad(node, g):
    return (_pixel_unshuffle_op(g, node.attrs["factor"]),)


@formula("pixel_unshuffle", saves=())
def _pixel_unshuffle_grad(node, g):
    return (_pixel_shuffle_op(g, node.attrs["factor"]),)


def _check_pixel(input, fname, factor, what):
    check_tensor(input, fname)
    if input.ndim < 3:
        raise RuntimeError(f"{fname} expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           f"dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{fname} expects a positive {what}, but got {factor}")


def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    _check_pixel(input, "pixel_shuffle", r, "upscale_factor")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return _pixel_shuffle_op(input, r)


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    _check_pixel(input, "pixel_unshuffle", r, "downscale_factor")
    for axis, side in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {side} to be divisible by downscale_factor, but "
                               f"input.size({axis})={input.shape[axis]} is not divisible by {r}")
    return _pixel_unshuffle_op(input, r)


# ------------------------------------------------------------------ pairwise_distance / cosine_similarity
_PAIRWISE_DISTANCE_ARGS = (("x1", 1, False), ("x2", 2, False))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dim: ATen's sub, ``add(Tensor, Scalar)`` and
    ``norm`` (grad_fn ``NormBackward1``; a zero difference gets gradient 0, not NaN)."""
    check_tensor_args("pairwise_distance", _PAIRWISE_DISTANCE_ARGS, x1, x2)
    return norm(add_scalar(x1 - x2, eps), p, -1, keepdim)


def _clamped_norm(x, dim, eps):
    """``max(||x||, eps)`` over ``dim``. ATen clamps a clone of the norm in place without
    recording it, so the gradient flows through the norm even where the clamp is active
    (the node chain is CloneBackward0 <- LinalgVectorNormBackward0, no clamp node)."""
    import tensorgraft.linalg as linalg
    n = linalg.vector_norm(x, 2, dim, keepdim=True).clone()
    with no_grad():
        n.clamp_min_(eps)
    return n


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` over ``dim`` (grad_fn ``SumBackward1``),
    each input normalized by its own clamped norm as ATen does (inputs broadcast first)."""
    check_tensor(x1, "cosine_similarity", "x1", 1)
    check_tensor(x2, "cosine_similarity", "x2", 2)
    import tensorgraft as tg
    common = tg.result_type(x1, x2)
    if not common.is_floating_point:
        # ATen checks the promoted dtype first (before the shapes), and refuses complex too;
        # integer inputs would otherwise reach vector_norm and fail there with another message
        from .linear import _scalar_name
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_scalar_name(np.dtype(common.np))}")
    # an integer input beside a floating one is computed in the common dtype, as ATen does
    x1, x2 = (x if x.dtype == common else x.to(common) for x in (x1, x2))
    if x1.shape != x2.shape:
        # both expanded, even the one already of the shape (ATen expands each: ExpandBackward0);
        # broadcast_tensors would hand that one back unchanged
        try:
            shape = tg.broadcast_shapes(x1.shape, x2.shape)
        except RuntimeError:
            tg.broadcast_tensors(x1, x2)  # raises PyTorch's "The size of tensor a (3) must match ..."
            raise
        x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)
