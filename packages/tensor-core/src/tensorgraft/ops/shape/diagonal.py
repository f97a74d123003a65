"""diagonal (a view), diag_embed, diag, tril and triu, and ``diagonal_backward``: the scatter of a
diagonal's gradient into zeros, whose kernel diag_embed shares."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .._frontend import check_tensor
from .._args import wrap_dim
from .._define import defop, gradient_scatter
from ._common import _finish_copy, _finish_view, _int_arg


# --------------------------------------------------------------------------- diagonals / triangles
def _diag_dims(nd, offset, dim1, dim2, fname="diagonal"):
    d1, d2 = wrap_dim(dim1, nd, fname, "dim1"), wrap_dim(dim2, nd, fname, "dim2")
    if d1 == d2:
        raise RuntimeError(f"{fname} dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diagonal_kernel(xp, a, offset, d1, d2):
    v = xp.diagonal(a, offset, d1, d2)
    if xp is np and a.flags.writeable:
        v.flags.writeable = True  # NumPy hands out read-only diagonals; PyTorch's are writable views
    return v


def _diagonal_frontend(op):
    table = op.table

    def diagonal(input, offset=0, dim1=0, dim2=1):
        check_tensor(input, "diagonal")
        a = input._data
        if offset.__class__ is not int:
            offset = _int_arg(offset, "diagonal", "offset")
        d1, d2 = _diag_dims(a.ndim, offset, dim1, dim2)
        data = table[input._device.type](a, offset, d1, d2)
        return _finish_view(op, input, data, {"offset": offset, "dim1": d1, "dim2": d2, "shape": a.shape})
    return diagonal


_diagonal = defop("diagonal", kernel=_diagonal_kernel, frontend=_diagonal_frontend)


def _diag_scatter_kernel(xp, g, shape, offset, d1, d2):
    """Zeros of ``shape`` with ``g`` (diagonal as the last dim) written on its (d1, d2) diagonal."""
    out = xp.zeros(shape, dtype=g.dtype)
    m = xp.moveaxis(out, (d1, d2), (-2, -1))
    n = g.shape[-1]
    if n:
        r = xp.arange(n) + max(-offset, 0)
        c = xp.arange(n) + max(offset, 0)
        m[..., r, c] = g
    return out


# diagonal_backward(grad, shape, offset, dim1, dim2)
diagonal_backward = gradient_scatter("_diagonal_backward", _diag_scatter_kernel, (None, "offset", "dim1", "dim2"))


def _diag_embed_frontend(op):
    table = op.table

    def diag_embed(input, offset=0, dim1=-2, dim2=-1):
        check_tensor(input, "diag_embed")
        a = input._data
        nd = a.ndim + 1
        d1, d2 = _diag_dims(nd, offset, dim1, dim2, "diagonal")
        n = (a.shape[-1] if a.ndim else 1) + abs(offset)
        rest = list(a.shape[:-1])
        shape = []
        for k in range(nd):
            shape.append(n if k in (d1, d2) else rest.pop(0))
        src = a if a.ndim else a.reshape(1)
        out = wrap(table[input._device.type](src, tuple(shape), offset, d1, d2), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"offset": offset, "dim1": d1, "dim2": d2})
        return out
    return diag_embed


defop("diag_embed", kernel=_diag_scatter_kernel, frontend=_diag_embed_frontend)


def _diag_frontend(op):
    table = op.table

    def diag(input, diagonal=0):
        check_tensor(input, "diag")
        if diagonal.__class__ is not int:
            diagonal = _int_arg(diagonal, "diag", "diagonal")
        a = input._data
        if a.ndim == 1:
            return input.diag_embed(diagonal, 0, 1)
        if a.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
        data = table[input._device.type](a, diagonal, 0, 1).copy()
        return _finish_copy(op, input, data, {"offset": diagonal, "dim1": 0, "dim2": 1, "shape": a.shape},
                            node_name="DiagonalBackward0_copy")
    return diag


defop("diag", kernel=_diagonal_kernel, frontend=_diag_frontend, formula_of="diagonal")


def _tri_frontend(op, name):
    table = op.table

    def tri(input, diagonal=0):
        check_tensor(input, name)
        a = input._data
        if a.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        k = _int_arg(diagonal, name, "diagonal")
        return _finish_copy(op, input, table[input._device.type](a, k), {"diagonal": k})
    tri.__name__ = name
    return tri


defop("tril", kernel=lambda xp, a, k: xp.tril(a, k), frontend=lambda op: _tri_frontend(op, "tril"), inplace="tril_")
defop("triu", kernel=lambda xp, a, k: xp.triu(a, k), frontend=lambda op: _tri_frontend(op, "triu"), inplace="triu_")
