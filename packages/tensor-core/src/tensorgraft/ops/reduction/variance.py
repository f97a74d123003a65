"""``std``, ``var``, ``std_mean`` and ``var_mean``: the spread reductions, sharing the resolution
of PyTorch's ``unbiased``/``correction`` arguments and its degrees-of-freedom warning."""
from __future__ import annotations

import warnings

import numpy as np

from ...caller_warnings import warn_at_caller
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .._frontend import check_tensor
from .._args import NOT_GIVEN, check_dims_type, invalid_combination, wrap_dims
from .._define import defop
from ._shared import (VAR_MEAN_NO_DIM_OVERLOADS, VAR_MEAN_OVERLOADS, VAR_NO_DIM_OVERLOADS, VAR_OVERLOADS, _all_dims,
                      _no_grad, _record_values, check_keepdim)
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== std / var
def _var_kernel(xp, a, axes, correction, keepdim, std):
    if std and _np_kind(a.dtype) == "f" and a.dtype.itemsize < 8:
        # the squares of large float32 values overflow where their spread does not: PyTorch's
        # std stays finite there (std of [3e29, -3e29] is 3e29 while var is inf)
        v = xp.var(a.astype(np.float64), axis=axes, ddof=correction, keepdims=keepdim)
        return xp.sqrt(v).astype(a.dtype)
    if a.dtype == np.float16:  # (accumulated in float32, as PyTorch's half-precision var)
        return xp.var(a.astype(np.float32), axis=axes, ddof=correction, keepdims=keepdim).astype(np.float16)
    v = xp.var(a, axis=axes, ddof=correction, keepdims=keepdim)
    return xp.sqrt(v) if std else v


def _correction(dim, unbiased, correction, name, keepdim=False, input=None):
    """``std(x, dim, unbiased, keepdim)`` (legacy) and ``std(x, dim, *, correction=1)``; ``std(x, True)``.
    ``dim``/``keepdim``: NOT_GIVEN where not passed; returns (dim, correction, keepdim)."""
    if keepdim is not NOT_GIVEN and (dim is NOT_GIVEN and unbiased is not None or isinstance(dim, bool)):
        # no signature takes keepdim without a dim: std(x, unbiased=True, keepdim=True), std(x, True, keepdim=True)
        args = (dim,) if isinstance(dim, bool) else ()
        kwargs = {"unbiased": unbiased} if unbiased is not None else {}
        kwargs["keepdim"] = keepdim
        if input is None:
            raise invalid_combination(name, args, kwargs, VAR_OVERLOADS)
        raise invalid_combination(name, (input, *args), kwargs, VAR_MEAN_OVERLOADS)
    if keepdim is NOT_GIVEN:
        keepdim = False
    if dim is NOT_GIVEN:
        dim = None
    if isinstance(dim, bool):  # std(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: Cannot pass both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction, keepdim


def _variance(op, std, input, dim, keepdim, correction, name):
    """var/std with the correction resolved; ``name`` is the public function warnings name
    (``var_mean`` reports its own name, as PyTorch does)."""
    check_dims_type(name, dim, ())  # (PyTorch's parser, before the dtype is looked at)
    if name in ("var_mean", "std_mean"):
        check_keepdim(name, keepdim, dim, VAR_MEAN_OVERLOADS if dim is not None else VAR_MEAN_NO_DIM_OVERLOADS,
                      input=input)
    else:
        check_keepdim(name, keepdim, dim, VAR_OVERLOADS if dim is not None else VAR_NO_DIM_OVERLOADS)
    a = input._data
    if _np_kind(a.dtype) not in "fc":
        # var_mean/std_mean name themselves; var and std share one message
        who = name if name in ("var_mean", "std_mean") else "std and var"
        raise RuntimeError(f"{who} only support floating point and complex dtypes")
    axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
    n = a.size if axes is None else int(np.prod([a.shape[d] for d in axes]))
    if n - correction <= 0:
        # raised from C++ in PyTorch, so it names the user's line whichever route led here
        warn_at_caller(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                       "reduction factor (input numel divided by output numel).")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own notice of the same thing
            res = op.table[input._device.type](a, axes, correction, keepdim, std)
    else:
        res = op.table[input._device.type](a, axes, correction, keepdim, std)
    if n == 0 and correction < 0:
        res = res * np.nan  # the spread of nothing is NaN in PyTorch, whatever the correction
    out = wrap(res, input._device)
    _record_values(op, out, input, {"dim": axes, "keepdim": keepdim, "correction": correction})
    return out


def _var_frontend(op, std):
    name = "std" if std else "var"

    def var(input, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None):
        check_tensor(input, name)
        dim, correction, keepdim = _correction(dim, unbiased, correction, name, keepdim)
        return _variance(op, std, input, dim, keepdim, correction, name)
    var.__name__ = var.__qualname__ = name
    return var


_std = defop("std", kernel=_var_kernel, frontend=lambda op: _var_frontend(op, True))
_var = defop("var", kernel=_var_kernel, frontend=lambda op: _var_frontend(op, False))


def _var_mean_frontend(op, std):
    name = "std_mean" if std else "var_mean"

    def var_mean(input, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None):
        check_tensor(input, name)
        dim, correction, keepdim = _correction(dim, unbiased, correction, name, keepdim, input)
        import tensorgraft
        # both halves run unrecorded: PyTorch gives the pair one node (VarMeanBackward0 /
        # StdMeanBackward0), the spread as output 0 and the mean as output 1
        with _no_grad():
            v = _variance(_std if std else _var, std, input, dim, keepdim, correction, name)
            m = tensorgraft.mean(input, None if _all_dims(dim) else dim, keepdim)
        if input._requires_grad and _gs.enabled:
            dims = None if _all_dims(dim) else wrap_dims(dim, input._data.ndim)
            Tensor._autograd.record_multi(op, (v, m), (input,),
                                          {"dim": dims, "keepdim": keepdim, "correction": correction})
        return v, m
    var_mean.__name__ = var_mean.__qualname__ = name
    return var_mean


defop("std_mean", frontend=lambda op: _var_mean_frontend(op, True), method=False)
defop("var_mean", frontend=lambda op: _var_mean_frontend(op, False), method=False)
