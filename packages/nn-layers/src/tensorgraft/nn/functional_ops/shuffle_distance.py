"""``pdist`` (the condensed p-norm distances between the rows of a matrix, ``PdistBackward0``) and
``channel_shuffle`` (``ChannelShuffleBackward0``), one op each as in ATen.

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

from ._common import check_tensor, formula, gs, nnop, record, wrap


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
    if gs.enabled and input._requires_grad and out.shape[0]:
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
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
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
