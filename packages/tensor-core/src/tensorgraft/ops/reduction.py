"""Reductions: sum, mean, prod, max/min, std/var, norms, cumulative ops, sorting."""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import wrap_dims
from ._define import defop


def _check(input, name):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(name, "input", 1, input)


def _sum_kernel(xp, a, axes, keepdim, npdtype):
    return xp.sum(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _sum_frontend(op):
    table = op.table

    def sum(input, dim=None, keepdim=False, *, dtype=None):
        _check(input, "sum")
        a = input._data
        axes = wrap_dims(dim, a.ndim)
        if dtype is not None:
            npd = dtype.np
        elif a.dtype.kind in "biu":
            npd = np.int64  # PyTorch sums integers and bools in int64
        else:
            npd = None
        out = wrap(table[input._device.type](a, axes, keepdim, npd), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim},
                                    node_name="SumBackward0" if dim is None else "SumBackward1")
        return out
    return sum


defop("sum", kernel=_sum_kernel, frontend=_sum_frontend)


def _mean_kernel(xp, a, axes, keepdim, npdtype):
    return xp.mean(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _mean_frontend(op):
    table = op.table

    def mean(input, dim=None, keepdim=False, *, dtype=None):
        _check(input, "mean")
        a = input._data
        if dtype is None and a.dtype.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {_dt._BY_NUMPY[a.dtype]._torch_name.capitalize()}")
        axes = wrap_dims(dim, a.ndim)
        npd = dtype.np if dtype is not None else None
        if npd is not None and a.dtype != npd:
            a = a.astype(npd)
        out = wrap(table[input._device.type](a, axes, keepdim, None), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim},
                                    node_name="MeanBackward0" if dim is None else "MeanBackward1")
        return out
    return mean


defop("mean", kernel=_mean_kernel, frontend=_mean_frontend)
