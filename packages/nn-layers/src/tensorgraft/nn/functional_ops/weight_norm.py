"""Weight normalisation ``w = v * g / ||v||`` (PyTorch's ``_weight_norm``), the norm taken over every
dim but ``dim`` (``dim=-1``: over the whole tensor).

As PyTorch's CPU build, normalising over the first or the last dim is one fused op
(``WeightNormInterfaceBackward0``); any other dim is composed of ordinary ops (``MulBackward0``).
The fused op's formula is written with tensorgraft ops, so it serves higher-order gradients too.
"""
from __future__ import annotations

from ._common import formula, gs, nnop, record, wrap


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over all dims but ``dim``, shaped to broadcast against ``v``."""
    if dim == -1:
        return v.norm(pow)
    nd = v.ndim
    if dim == 0:
        return v.reshape(v.shape[0], -1).norm(pow, 1).reshape((v.shape[0],) + (1,) * (nd - 1))
    if dim == nd - 1:
        return v.reshape(-1, v.shape[-1]).norm(pow, 0).reshape((1,) * (nd - 1) + (v.shape[-1],))
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _sum_except(x, dim):
    if x.ndim == 1:
        return x
    return x.sum(tuple(i for i in range(x.ndim) if i != dim), keepdim=True)


def _wn_kernel(xp, v, g, dim):
    if v.ndim == 1:
        n = xp.abs(v)
    else:
        n = xp.sqrt((v * v).sum(axis=tuple(i for i in range(v.ndim) if i != dim), keepdims=True))
    return v * (g.reshape(n.shape) / n)


def weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``."""
    if dim == -1 or not (dim == 0 or dim == v.ndim - 1):
        return v * (g / norm_except_dim(v, 2, dim))
    out = wrap(_WN.table[v._device.type](v._data, g._data, dim), v._device)
    if gs.enabled and (v._requires_grad or g._requires_grad):
        record(_WN, out, (v, g), {"dim": dim})
    return out


_WN = nnop("weight_norm_interface", _wn_kernel, weight_norm, node="WeightNormInterfaceBackward0")


@formula("weight_norm_interface")
def _wn_grad(node, gw):
    v, g = node.inputs
    dim = node.attrs["dim"]
    n = norm_except_dim(v, 2, dim)
    red = _sum_except(gw * v, dim) / n           # d/dg, shaped like n
    gv = (g.reshape(n.shape) / n) * (gw - v * (red / n))
    return gv, red.reshape(g.shape)
