"""Logical reductions: ``all``, ``any`` and ``count_nonzero``. None is differentiable."""
from __future__ import annotations

import numpy as np

from ...sparse.array_base import dispatch_key, no_aten_kernel
from ...tensor import wrap
from .._frontend import check_tensor
from .._args import wrap_dims
from .._define import defop
from ._shared import LOGICAL_NO_DIM_OVERLOADS, LOGICAL_OVERLOADS, _all_dims, check_keepdim


# =========================================================================== all / any / count_nonzero
def _logical_reduce_kernel(xp, a, which, axes, keepdim):
    r = (xp.all if which == "all" else xp.any)(a, axis=axes, keepdims=keepdim)
    r = xp.asarray(r)
    return r.astype(np.uint8) if a.dtype == np.uint8 else r


def _logical_reduce_frontend(op, which):
    table = op.table

    def all(input, dim=None, keepdim=False):
        check_tensor(input, which)
        check_keepdim(which, keepdim, dim, LOGICAL_OVERLOADS if dim is not None else LOGICAL_NO_DIM_OVERLOADS)
        a = input._data
        # (dim=() reduces nothing here, as PyTorch's all/any; sum and mean reduce everything)
        axes = None if dim is None else () if _all_dims(dim) else wrap_dims(dim, a.ndim, which, ())
        return wrap(table[input._device.type](a, which, axes, keepdim), input._device)
    all.__name__ = all.__qualname__ = which
    return all


defop("all", kernel=_logical_reduce_kernel, frontend=lambda op: _logical_reduce_frontend(op, "all"),
      differentiable=False)
defop("any", kernel=_logical_reduce_kernel, frontend=lambda op: _logical_reduce_frontend(op, "any"),
      differentiable=False)


def _count_nonzero_frontend(op):
    table = op.table

    def count_nonzero(input, dim=None):
        check_tensor(input, "count_nonzero")
        a = input._data
        if dispatch_key(a):  # (PyTorch has no sparse kernel; a != 0 would not be elementwise)
            raise no_aten_kernel("count_nonzero.dim_IntList", a)
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim, "count_nonzero", ())
        return wrap(table[input._device.type](a, axes), input._device)
    return count_nonzero


defop("count_nonzero", kernel=lambda xp, a, axes: xp.asarray(xp.sum(a != 0, axis=axes), dtype=np.int64),
      frontend=_count_nonzero_frontend, differentiable=False)
