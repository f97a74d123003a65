"""``nansum``, ``nanmean`` and ``prod``: the sum-like reductions beyond ``sum``/``mean``, with
PyTorch's int64 accumulation for integer inputs."""
from __future__ import annotations

import numpy as np

from ...amp._state import state as _autocast  # autocast's flag (tensorgraft.amp)
from ...tensor import wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import (NOT_GIVEN, arg_position, check_bool, dim_keepdim, invalid_combination, is_int,
                     method_and_function, spread, wrap_dim, wrap_dims)
from .._define import defop
from ._shared import _all_dims, _half_input, _int64_acc, _record_values, _type_name
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== nansum / nanmean
def _nansum_kernel(xp, a, axes, keepdim, npdtype):
    return xp.nansum(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _nansum_frontend(op):
    table = op.table

    def build(method):
        def nansum(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None):
            # dim: ints or None; keepdim: a bool (PyTorch's parser takes no ``keepdim=1``)
            check_tensor(input, "nansum")  # (the tensor is the parser's first argument)
            dim, keepdim = dim_keepdim("nansum", args, dim, keepdim, method)
            a = input._data
            if _np_kind(a.dtype) == "c":
                raise RuntimeError("nansum on CPU does not support complex inputs")
            if dtype is not None and _np_kind(dtype.np) == "c" and a.size:
                # (a real input summed into a complex dtype: PyTorch's kernel has no such loop)
                raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{_type_name(dtype.np)}'")
            axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
            a = _half_input(a, dtype)
            out = wrap(table[input._device.type](a, axes, keepdim, _int64_acc(a, dtype)), input._device)
            _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
            return out
        nansum.__name__ = nansum.__qualname__ = "nansum"
        return nansum
    return method_and_function(op, build)


defop("nansum", kernel=_nansum_kernel, frontend=_nansum_frontend)


def _nanmean_frontend(op):
    def build(method):
        def nanmean(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None):
            # checked here, as nanmean's own arguments: the sums below would name themselves
            check_tensor(input, "nanmean")
            dim, keepdim = dim_keepdim("nanmean", args, dim, keepdim, method)
            return _nanmean(input, dim, keepdim, dtype)
        nanmean.__name__ = nanmean.__qualname__ = "nanmean"
        return nanmean

    def _nanmean(input, dim, keepdim, dtype):
        # PyTorch checks the input's dtype whatever ``dtype=`` says, then divides nansum(dtype=...)
        if _np_kind(input._data.dtype) not in "fc":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                               f"{_type_name(input._data.dtype)}")
        if dtype is not None and _np_kind(dtype.np) not in "fc":
            raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_type_name(dtype.np)}")
        notnan = input.isnan().logical_not().sum(dim, keepdim)
        return input.nansum(dim, keepdim, dtype=dtype) / notnan
    return method_and_function(op, build)


defop("nanmean", frontend=_nanmean_frontend, composite=True)


# =========================================================================== prod
def _prod_kernel(xp, a, axis, keepdim, npdtype):
    return xp.prod(a, axis=axis, keepdims=keepdim, dtype=npdtype)


# the signatures PyTorch's parser lists for prod (a hidden one takes a dim name)
_PROD_OVERLOADS = {
    True: ("*, torch.dtype dtype = None", "int dim, bool keepdim = False, *, torch.dtype dtype = None"),
    False: ("Tensor input, *, torch.dtype dtype = None",
            "Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None"),
}


def _prod_frontend(op):
    table = op.table

    def build(method):
        overloads = _PROD_OVERLOADS[method]

        def prod(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None, out=None):
            check_tensor(input, "prod")  # (the tensor is the parser's first argument)
            if _autocast.on:  # (on PyTorch's CPU float32 list)
                input, = _autocast.fp32_cpu(input)
            if args:
                dim, keepdim = spread("prod", args, ("dim", "keepdim"), [dim, keepdim])
            if dim is not NOT_GIVEN and dim.__class__ is not int and not is_int(dim) or (
                    dim is NOT_GIVEN and keepdim is not NOT_GIVEN):
                # prod reduces one dim or all: no None, tuple or list (unlike sum), no keepdim alone
                given = {k: v for k, v in (("dim", dim), ("keepdim", keepdim)) if v is not NOT_GIVEN}
                raise invalid_combination("prod", args if method else (input, *args),
                                          {k: v for k, v in given.items() if k not in ("dim", "keepdim")[:len(args)]},
                                          overloads)
            if keepdim is NOT_GIVEN:
                keepdim = False
            else:
                check_bool("prod", "keepdim", keepdim, arg_position(1, len(args), method))
            if out is not None:
                if method:
                    raise TypeError("prod() got an unexpected keyword argument 'out'")
                if dim is NOT_GIVEN:  # only the function's dim signature takes out=
                    raise invalid_combination("prod", (input, *args), {"out": out}, overloads)
                F.check_out_grad("prod", out, input)
                return F.write_out(out, _prod(input, dim, keepdim, dtype)._data, "prod")
            return _prod(input, None if dim is NOT_GIVEN else dim, keepdim, dtype)
        prod.__name__ = prod.__qualname__ = "prod"
        return prod

    def _prod(input, dim, keepdim, dtype):
        a = input._data
        axis = None if dim is None else wrap_dim(dim, a.ndim, "prod", overloads=())
        if a.ndim == 0:
            axis = None
        npd = _int64_acc(a, dtype)
        if npd is not None and a.dtype != npd:
            a = a.astype(npd)
        if a.dtype.char in "eE" and a.size and input._device.type == "cpu":
            # (a 0-d input stays 0-d with keepdim, as in the other dtypes' path)
            res = _prod_half_steps(a, axis, keepdim and dim is not None and a.ndim > 0)
        else:
            # (the accumulation dtype given: NumPy's prod of small integers or bools would widen to int64)
            res = table[input._device.type](a, axis, keepdim and dim is not None, npd)
        out = wrap(res, input._device)
        _record_values(op, out, input, {"dim": axis, "keepdim": keepdim},
                       "ProdBackward0" if dim is None else "ProdBackward1")
        return out
    return method_and_function(op, build)


def _prod_half_steps(a, axis, keepdim):
    """The product of a float16/bfloat16 array rounded to its type after every multiplication, as
    PyTorch's CPU kernel computes it (300 * 300 * 0 in float16 is inf * 0 = NaN, not 0). Exact for
    rows of fewer than 64 elements; longer contiguous rows PyTorch multiplies in vector lanes, whose
    roundings fall in another order (the last bits may differ)."""
    if axis is None:
        a, axis = a.reshape(-1), 0
    # an accumulation stores every partial product in the half type, so rounds it
    steps = np.multiply.accumulate(a, axis=axis)
    return np.take(steps, [-1] if keepdim else -1, axis=axis)


defop("prod", kernel=_prod_kernel, frontend=_prod_frontend)
