"""``nansum``, ``nanmean`` and ``prod``: the sum-like reductions beyond ``sum``/``mean``, with
PyTorch's int64 accumulation for integer inputs."""
from __future__ import annotations

from ...tensor import wrap
from .._frontend import check_tensor
from .._args import check_dims_type, wrap_dim, wrap_dims
from .._define import defop
from ._shared import _all_dims, _int64_acc, _record_values, _type_name
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== nansum / nanmean
def _nansum_kernel(xp, a, axes, keepdim, npdtype):
    return xp.nansum(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _nansum_frontend(op):
    table = op.table

    def nansum(input, dim=None, keepdim=False, *, dtype=None):
        check_tensor(input, "nansum")
        check_dims_type("nansum", dim)
        a = input._data
        if _np_kind(a.dtype) == "c":
            raise RuntimeError("nansum on CPU does not support complex inputs")
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        out = wrap(table[input._device.type](a, axes, keepdim, _int64_acc(a, dtype)), input._device)
        _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
        return out
    return nansum


defop("nansum", kernel=_nansum_kernel, frontend=_nansum_frontend)


def _nanmean_frontend(op):
    def nanmean(input, dim=None, keepdim=False, *, dtype=None):
        check_tensor(input, "nanmean")
        if dtype is None and _np_kind(input._data.dtype) not in "fc":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                               f"{_type_name(input._data.dtype)}")
        if dtype is not None and _np_kind(dtype.np) not in "fc":
            raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_type_name(dtype.np)}")
        if dtype is not None:
            input = input.to(dtype)
        notnan = input.isnan().logical_not().sum(dim, keepdim)
        return input.nansum(dim, keepdim) / notnan
    return nanmean


defop("nanmean", frontend=_nanmean_frontend, composite=True)


# =========================================================================== prod
def _prod_kernel(xp, a, axis, keepdim, npdtype):
    return xp.prod(a, axis=axis, keepdims=keepdim, dtype=npdtype)


def _prod_frontend(op):
    table = op.table

    def prod(input, dim=None, keepdim=False, *, dtype=None):
        check_tensor(input, "prod")
        a = input._data
        axis = None if dim is None else wrap_dim(dim, a.ndim, "prod", overloads=())
        if a.ndim == 0:
            axis = None
        npd = _int64_acc(a, dtype)
        if npd is not None and a.dtype != npd:
            a = a.astype(npd)
        res = table[input._device.type](a, axis, keepdim and dim is not None, None)
        out = wrap(res, input._device)
        _record_values(op, out, input, {"dim": axis, "keepdim": keepdim},
                       "ProdBackward0" if dim is None else "ProdBackward1")
        return out
    return prod


defop("prod", kernel=_prod_kernel, frontend=_prod_frontend)
