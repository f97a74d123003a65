"""Reductions: sum, mean, prod, max/min, std/var, norms, cumulative ops, sorting."""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._args import wrap_dim, wrap_dims
from ._define import CORE_OPS, defop
from ._return_types import return_type

_FIRST = len(CORE_OPS)


def _sum_kernel(xp, a, axes, npdtype, out=None, keepdims=False):
    # ufunc.reduce's signature, so NumPy's add.reduce can be the CPU kernel itself; ``out=...``
    # (an array rather than a NumPy scalar, NumPy >= 2) needs nothing here: array modules other
    # than NumPy return arrays anyway
    return xp.sum(a, axis=axes, dtype=npdtype, keepdims=keepdims)


def _sum_cpu_numpy1(a, axes, npdtype, out=None, keepdims=False):
    return np.add.reduce(a, axes, npdtype, None, keepdims)  # NumPy < 2.3 has no out=...


_SUM_ACC = {"b": np.int64, "i": np.int64, "u": np.int64}


def _sum_frontend(op):
    table = op.table

    def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = F.numpy_spellings("sum", dim, keepdim, axis, keepdims)
        if input.__class__ is not Tensor:
            check_tensor(input, "sum")
        a = input._data
        # dim=() / [] reduces every dim, as PyTorch
        axes = None if dim is None or (dim.__class__ in (tuple, list) and not dim) else wrap_dims(dim, a.ndim)
        if dtype is not None:
            npd = dtype.np
        else:
            npd = _SUM_ACC.get(a.dtype.kind)  # int64 for integers and bools, as PyTorch
        dev = input._device
        out = wrap(table[dev.type](a, axes, npd, out=..., keepdims=keepdim), dev)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim},
                                    node_name="SumBackward0" if dim is None else "SumBackward1")
        return out
    return sum


# On CPU the kernel is the ufunc's reduce itself: ``np.sum`` adds a Python-level dispatch layer
# (~1 us), a wrapper function another ~60 ns, and turning a NumPy scalar into a 0-d array ~150 ns
# (``out=...`` makes the reduce return the array directly) -- on tiny tensors that is the op's cost.
def _reduce_takes_array_out() -> bool:
    try:  # NumPy >= 2.3
        return np.add.reduce(np.zeros(1), None, None, out=...).__class__ is np.ndarray
    except TypeError:
        return False


defop("sum", kernel=_sum_kernel, kernels={"cpu": np.add.reduce if _reduce_takes_array_out() else _sum_cpu_numpy1},
      frontend=_sum_frontend)


def _mean_kernel(xp, a, axes, keepdim, npdtype):
    return xp.mean(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _mean_frontend(op):
    table = op.table

    def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = F.numpy_spellings("mean", dim, keepdim, axis, keepdims)
        check_tensor(input, "mean")
        a = input._data
        if dtype is None and a.dtype.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {F._type_name(a.dtype)}")
        if dtype is not None and dtype.np.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                               f"or complex dtype. Got: {F._type_name(dtype.np)}")
        axes = None if dim is None or (dim.__class__ in (tuple, list) and not dim) else wrap_dims(dim, a.ndim)
        npd = dtype.np if dtype is not None else None
        if npd is not None and a.dtype != npd:
            a = a.astype(npd)
        if a.size:
            res = table[input._device.type](a, axes, keepdim, None)
        else:
            import warnings
            with warnings.catch_warnings():
                # PyTorch returns NaN for the mean of nothing without a word; NumPy warns
                warnings.simplefilter("ignore", RuntimeWarning)
                res = table[input._device.type](a, axes, keepdim, None)
        out = wrap(res, input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim},
                                    node_name="MeanBackward0" if dim is None else "MeanBackward1")
        return out
    return mean


defop("mean", kernel=_mean_kernel, frontend=_mean_frontend)


# =========================================================================== helpers
def _float_in(a):
    """Integer/bool arrays become the default float dtype (ops that always produce floats)."""
    return a if a.dtype.kind in "fc" else a.astype(_dt.get_default_dtype().np)


def _int64_acc(a, dtype):
    """Accumulation dtype of sum-like ops: ``dtype=`` if given, int64 for integers and bools."""
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else None


def _all_dims(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def _type_name(npdtype):
    return F._type_name(npdtype)


# --------------------------------------------------------------------------- named-tuple results
# made up front, so tensorgraft.return_types lists them whether or not an op has run yet
for _n in ("max", "min", "sort", "topk", "median", "nanmedian", "mode", "kthvalue", "cummax", "cummin"):
    return_type(_n)  # (values, indices)
return_type("aminmax", ("min", "max"))


def _zero_dim_pair(dev, a):
    """(value, index 0) of a reduction along the only "dim" of a 0-d array, on its device."""
    from ..device import get_backend
    return a.copy(), get_backend(dev).xp.zeros((), np.int64)


def _record_values(op, out, input, attrs, node_name=None):
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)


# --------------------------------------------------------------------------- gather / scatter along a dim
def _along(xp, idx, dim):
    """Advanced index selecting ``idx`` (same ndim as the array) along ``dim``."""
    grids = list(xp.ix_(*[xp.arange(s) for s in idx.shape]))
    grids[dim] = idx
    return tuple(grids)


def _gather_kernel(xp, a, idx, dim):
    return a[_along(xp, idx, dim)]


def _scatter_kernel(xp, g, idx, dim, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    if g.size:
        out[_along(xp, idx, dim)] = g  # indices are distinct within each slice
    return out


def _gather_frontend(op):
    table = op.table

    def _gather_dim(input, index, dim):
        out = wrap(table[input._device.type](input._data, index._data, dim), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"index": index, "dim": dim})
        return out
    return _gather_dim


def _scatter_frontend(op):
    table = op.table

    def _scatter_dim(grad, index, dim, shape):
        out = wrap(table[grad._device.type](grad._data, index._data, dim, tuple(shape)), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (grad,), {"index": index, "dim": dim})
        return out
    return _scatter_dim


_gather_op = defop("_gather_dim", kernel=_gather_kernel, frontend=_gather_frontend, method=False, public=False)
_scatter_op = defop("_scatter_dim", kernel=_scatter_kernel, frontend=_scatter_frontend, method=False, public=False)


def gather_dim(input, index, dim):
    """``input`` values at ``index`` (same ndim) along ``dim``; differentiable (backward: scatter)."""
    return _gather_op.frontend(input, index, dim)


def scatter_dim(grad, index, dim, shape):
    """A zero tensor of ``shape`` holding ``grad`` at ``index`` (distinct per slice) along ``dim``."""
    return _scatter_op.frontend(grad, index, dim, shape)


# =========================================================================== nansum / nanmean
def _nansum_kernel(xp, a, axes, keepdim, npdtype):
    return xp.nansum(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _nansum_frontend(op):
    table = op.table

    def nansum(input, dim=None, keepdim=False, *, dtype=None):
        check_tensor(input, "nansum")
        a = input._data
        if a.dtype.kind == "c":
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
        if dtype is None and input._data.dtype.kind not in "fc":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                               f"{_type_name(input._data.dtype)}")
        if dtype is not None and dtype.np.kind not in "fc":
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
        if isinstance(dim, (tuple, list)):
            raise TypeError("prod(): argument 'dim' must be int, not " + type(dim).__name__)
        axis = None if dim is None else wrap_dim(dim, a.ndim)
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


# =========================================================================== max / min / amax / amin / argmax
def _extreme_kernel(xp, a, which, axis, keepdim):
    """(values, indices) along ``axis`` (NaN wins, as in PyTorch), or the full reduction."""
    if axis is None:
        return (xp.max(a) if which == "max" else xp.min(a)), None
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = (xp.argmax if which == "max" else xp.argmin)(a, axis=axis, keepdims=True)
    vals = xp.take_along_axis(a, idx, axis=axis)
    if not keepdim:
        idx = idx.squeeze(axis)
        vals = vals.squeeze(axis)
    return vals, idx.astype(np.int64, copy=False)


def _refuse_complex(a, kernel=None, message=None):
    """PyTorch has no complex kernel for ordering ops (max, sort, median...): NumPy orders complex
    numbers lexicographically, PyTorch refuses them, naming its kernel or in its own words."""
    if a.dtype.kind == "c":
        if message is not None:
            raise RuntimeError(message)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(a.dtype)}'")


def _extreme_frontend(op, which):
    table = op.table
    Ret = return_type(which)
    pair = None

    def extreme(input, dim=None, keepdim=False, *, other=None, out=None):
        nonlocal pair
        check_tensor(input, which)
        if other is not None:
            dim = other
        if isinstance(dim, Tensor):  # max(a, b) -> maximum
            if pair is None:
                import tensorgraft
                pair = getattr(tensorgraft, "maximum" if which == "max" else "minimum")
            return pair(input, dim)
        a = input._data
        if dim is None:
            if a.size == 0:
                raise RuntimeError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            _refuse_complex(a, f"{which}_all")
            v, _ = table[input._device.type](a, which, None, False)
            res = wrap(v, input._device)
            _record_values(op, res, input, {"dim": None}, "MaxBackward1" if which == "max" else "MinBackward1")
            return res
        d = wrap_dim(dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"{which}(): Expected reduction dim {d} to have non-zero size.")
        _refuse_complex(a, message=f"{which}(): does not support complex input")
        v, i = table[input._device.type](a, which, d, keepdim)
        vals, idx = wrap(v, input._device), wrap(i, input._device)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx},
                       "MaxBackward0" if which == "max" else "MinBackward0")
        return Ret(vals, idx)
    extreme.__name__ = extreme.__qualname__ = which
    return extreme


defop("max", kernel=_extreme_kernel, frontend=lambda op: _extreme_frontend(op, "max"))
defop("min", kernel=_extreme_kernel, frontend=lambda op: _extreme_frontend(op, "min"))


def _amax_kernel(xp, a, which, axes, keepdim):
    return (xp.amax if which == "amax" else xp.amin)(a, axis=axes, keepdims=keepdim)


def _amax_frontend(op, which):
    table = op.table

    def amax(input, dim=(), keepdim=False):
        check_tensor(input, which)
        a = input._data
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        if a.size == 0:
            if axes is None:
                raise RuntimeError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            empty = axes
            if any(a.shape[d] == 0 for d in empty):
                raise IndexError(f"{which}(): Expected reduction dim {next(d for d in empty if a.shape[d] == 0)} "
                                 "to have non-zero size.")
        _refuse_complex(a, "max_values_cpu" if which == "amax" else "min_values_cpu")
        out = wrap(table[input._device.type](a, which, axes, keepdim), input._device)
        _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
        return out
    amax.__name__ = amax.__qualname__ = which
    return amax


defop("amax", kernel=_amax_kernel, frontend=lambda op: _amax_frontend(op, "amax"))
defop("amin", kernel=_amax_kernel, frontend=lambda op: _amax_frontend(op, "amin"))


def _aminmax_frontend(op):
    Ret = return_type("aminmax", ("min", "max"))

    def aminmax(input, *, dim=None, keepdim=False):
        import tensorgraft
        if isinstance(input, Tensor):
            _refuse_complex(input._data, "aminmax_cpu")
        reduced = () if dim is None else dim
        # amin and amax run unrecorded: PyTorch keeps both results on one AminmaxBackward0 node
        with _no_grad():
            pair = (tensorgraft.amin(input, reduced, keepdim), tensorgraft.amax(input, reduced, keepdim))
        if input._requires_grad and _gs.enabled:
            dims = None if dim is None else wrap_dims(dim, input._data.ndim)
            Tensor._autograd.record_multi(op, pair, (input,), {"dim": dims, "keepdim": keepdim})
        return Ret(*pair)
    return aminmax


def _no_grad():
    from ..grad_mode import no_grad
    return no_grad()


defop("aminmax", frontend=_aminmax_frontend)


def _argext_kernel(xp, a, which, axis, keepdim):
    if axis is None:
        r = (xp.argmax if which == "argmax" else xp.argmin)(a.reshape(-1))
        r = xp.asarray(r, dtype=np.int64)
        return r.reshape((1,) * a.ndim) if keepdim else r
    return (xp.argmax if which == "argmax" else xp.argmin)(a, axis=axis, keepdims=keepdim).astype(np.int64, copy=False)


def _argext_frontend(op, which):
    table = op.table

    def argmax(input, dim=None, keepdim=False):
        check_tensor(input, which)
        a = input._data
        if a.dtype == np.bool_:  # PyTorch has no bool kernel for these (max/min/sort do take bools)
            raise RuntimeError(f"{which}(): does not support bool input")
        _refuse_complex(a, message=f"{which}(): does not support complex input")
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0.")
            axis = None
        else:
            axis = wrap_dim(dim, a.ndim)
            if a.ndim == 0:
                return wrap(table[input._device.type](a, which, None, False), input._device)
            if a.shape[axis] == 0:
                raise IndexError(f"{which}(): Expected reduction dim {axis} to have non-zero size.")
        return wrap(table[input._device.type](a, which, axis, keepdim), input._device)
    argmax.__name__ = argmax.__qualname__ = which
    return argmax


defop("argmax", kernel=_argext_kernel, frontend=lambda op: _argext_frontend(op, "argmax"), differentiable=False)
defop("argmin", kernel=_argext_kernel, frontend=lambda op: _argext_frontend(op, "argmin"), differentiable=False)


# =========================================================================== std / var
def _var_kernel(xp, a, axes, correction, keepdim, std):
    if std and a.dtype.kind == "f" and a.dtype.itemsize < 8:
        # the squares of large float32 values overflow where their spread does not: PyTorch's
        # std stays finite there (std of [3e29, -3e29] is 3e29 while var is inf)
        v = xp.var(a.astype(np.float64), axis=axes, ddof=correction, keepdims=keepdim)
        return xp.sqrt(v).astype(a.dtype)
    v = xp.var(a, axis=axes, ddof=correction, keepdims=keepdim)
    return xp.sqrt(v) if std else v


def _correction(dim, unbiased, correction, name):
    """``std(x, dim, unbiased, keepdim)`` (legacy) and ``std(x, dim, *, correction=1)``; ``std(x, True)``."""
    if isinstance(dim, bool):  # std(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: Cannot pass both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _variance(op, std, input, dim, keepdim, correction, name):
    """var/std with the correction resolved; ``name`` is the public function warnings name
    (``var_mean`` reports its own name, as PyTorch does)."""
    a = input._data
    if a.dtype.kind not in "fc":
        # var_mean/std_mean name themselves; var and std share one message
        who = name if name in ("var_mean", "std_mean") else "std and var"
        raise RuntimeError(f"{who} only support floating point and complex dtypes")
    axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
    n = a.size if axes is None else int(np.prod([a.shape[d] for d in axes]))
    if n - correction <= 0:
        import warnings
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own notice of the same thing
            res = op.table[input._device.type](a, axes, correction, keepdim, std)
    else:
        res = op.table[input._device.type](a, axes, correction, keepdim, std)
    out = wrap(res, input._device)
    _record_values(op, out, input, {"dim": axes, "keepdim": keepdim, "correction": correction})
    return out


def _var_frontend(op, std):
    name = "std" if std else "var"

    def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        check_tensor(input, name)
        dim, correction = _correction(dim, unbiased, correction, name)
        return _variance(op, std, input, dim, keepdim, correction, name)
    var.__name__ = var.__qualname__ = name
    return var


_std = defop("std", kernel=_var_kernel, frontend=lambda op: _var_frontend(op, True))
_var = defop("var", kernel=_var_kernel, frontend=lambda op: _var_frontend(op, False))


def _var_mean_frontend(op, std):
    name = "std_mean" if std else "var_mean"

    def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        check_tensor(input, name)
        dim, correction = _correction(dim, unbiased, correction, name)
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


# =========================================================================== norms
def _vnorm_kernel(xp, a, ord, axes, keepdim):
    x = xp.abs(a)
    if ord == 2:
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim))
    if ord == 1:
        return xp.sum(x, axis=axes, keepdims=keepdim)
    if ord == float("inf"):
        return xp.amax(x, axis=axes, keepdims=keepdim) if x.size else xp.zeros(
            _reduced_shape(x.shape, axes, keepdim), x.dtype)
    if ord == float("-inf"):
        return xp.amin(x, axis=axes, keepdims=keepdim)
    if ord == 0:
        return xp.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    return xp.power(xp.sum(xp.power(x, ord), axis=axes, keepdims=keepdim), 1.0 / ord).astype(x.dtype, copy=False)


def _reduced_shape(shape, axes, keepdim):
    axes = range(len(shape)) if axes is None else axes
    if keepdim:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _vnorm_frontend(op):
    table = op.table

    def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
        check_tensor(x, "linalg.vector_norm")
        a = x._data
        if a.dtype.kind not in "fc":  # checked before any dtype= cast, as PyTorch
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{_type_name(a.dtype)}")
        if dtype is not None:
            if dtype.np.kind not in "fc":
                raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got {dtype}")
            a = a.astype(dtype.np)
        if isinstance(ord, Tensor):
            ord = ord.item()
        if isinstance(ord, str) or not isinstance(ord, (int, float)):
            raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                            f"{type(ord).__name__}")
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        if ord < 0 and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
        src = x if dtype is None else x.to(dtype)
        res = wrap(table[x._device.type](a, float(ord), axes, keepdim), x._device)
        if src._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (src,), {"ord": float(ord), "dim": axes, "keepdim": keepdim},
                                    node_name="LinalgVectorNormBackward0")
        if out is not None:
            F.write_out(out, res._data, "linalg.vector_norm")
            return out
        return res
    return vector_norm


_vnorm = defop("linalg_vector_norm", kernel=_vnorm_kernel, frontend=_vnorm_frontend, method=False, public=False)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.vector_norm``."""
    return _vnorm.frontend(x, ord, dim, keepdim, dtype=dtype, out=out)


def _norm_frontend(op):
    def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
        check_tensor(input, "norm")
        if isinstance(dim, int) and not isinstance(dim, bool):
            dim = (dim,)
        if isinstance(p, str) and not (p == "fro" and (dim is None or len(dim) <= 2)):
            # as torch.norm: 'nuc' (and any other string) is a matrix norm over ``dim``, every dim
            # when none is given, which must then be exactly two
            from tensorgraft import linalg
            dims = tuple(range(input.ndim)) if dim is None else tuple(dim)
            if p not in ("fro", "nuc"):
                raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
            if input.ndim < 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
            if input._data.dtype.kind not in "fc":   # even with dtype=, as PyTorch
                raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                                   f"{_type_name(input._data.dtype)}")
            if len(dims) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
            res = linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype)
            if out is not None:
                F.write_out(out, res._data, "norm")
                return out
            return res
        if p == "fro":
            p = 2
        elif p is None:
            p = 2
        if input._data.dtype.kind not in "fc":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{_type_name(input._data.dtype)}")
        return _vnorm.frontend(input, p, dim, keepdim, dtype=dtype, out=out)
    return norm


defop("norm", frontend=_norm_frontend, composite=True)


# =========================================================================== logsumexp
def _logsumexp_kernel(xp, a, axes, keepdim):
    if a.size == 0:
        return xp.log(xp.sum(xp.exp(a), axis=axes, keepdims=keepdim))
    # complex: shift by the largest real part only, so the imaginary part of the result is the
    # principal angle of the sum (PyTorch's), not shifted by one element's angle
    m = xp.amax(a.real if a.dtype.kind == "c" else a, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros((), m.dtype))
    s = xp.log(xp.sum(xp.exp(a - m), axis=axes, keepdims=True)) + m
    if not keepdim:
        s = s.reshape(_reduced_shape(a.shape, axes, False))
    return s


def _logsumexp_frontend(op):
    table = op.table

    def logsumexp(input, dim, keepdim=False):
        check_tensor(input, "logsumexp")
        a = _float_in(input._data)
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        out = wrap(table[input._device.type](a, axes, keepdim), input._device)
        _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
        return out
    return logsumexp


defop("logsumexp", kernel=_logsumexp_kernel, frontend=_logsumexp_frontend)


# =========================================================================== cumulative
def _cum_kernel(xp, a, which, axis, npdtype):
    if a.ndim == 0:
        return a.astype(npdtype or a.dtype, copy=True)
    return (xp.cumsum if which == "cumsum" else xp.cumprod)(a, axis=axis, dtype=npdtype)


def _cum_frontend(op, which):
    table = op.table

    def cum(input, dim, *, dtype=None, out=None):
        check_tensor(input, which)
        a = input._data
        axis = wrap_dim(dim, a.ndim)
        res = wrap(table[input._device.type](a, which, axis, _int64_acc(a, dtype)), input._device)
        _record_values(op, res, input, {"dim": axis})
        if out is not None:
            F.write_out(out, res._data, which)
            return out
        return res
    cum.__name__ = cum.__qualname__ = which
    return cum


defop("cumsum", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumsum"), inplace="cumsum_")
defop("cumprod", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumprod"), inplace="cumprod_")


# =========================================================================== all / any / count_nonzero
def _logical_reduce_kernel(xp, a, which, axes, keepdim):
    r = (xp.all if which == "all" else xp.any)(a, axis=axes, keepdims=keepdim)
    r = xp.asarray(r)
    return r.astype(np.uint8) if a.dtype == np.uint8 else r


def _logical_reduce_frontend(op, which):
    table = op.table

    def all(input, dim=None, keepdim=False):
        check_tensor(input, which)
        a = input._data
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
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
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        return wrap(table[input._device.type](a, axes), input._device)
    return count_nonzero


defop("count_nonzero", kernel=lambda xp, a, axes: xp.asarray(xp.sum(a != 0, axis=axes), dtype=np.int64),
      frontend=_count_nonzero_frontend, differentiable=False)


# =========================================================================== sort / argsort / topk
def _argsort(xp, a, axis, descending, stable):
    """Indices sorting ``a`` along ``axis``; NaN is the largest value; ``stable`` keeps the order of
    equal elements in both directions."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    if a.dtype.kind == "b":
        a = a.astype(np.uint8)
    n = a.shape[axis]
    flipped = xp.flip(a, axis=axis)
    idx = xp.argsort(flipped, axis=axis, kind="stable")
    return (n - 1) - xp.flip(idx, axis=axis)


def _sort_kernel(xp, a, axis, descending, stable):
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = _argsort(xp, a, axis, descending, stable).astype(np.int64, copy=False)
    return xp.take_along_axis(a, idx, axis=axis), idx


def _sort_frontend(op):
    table = op.table
    Ret = return_type("sort")

    def sort(input, dim=-1, descending=False, stable=None, *, out=None):
        check_tensor(input, "sort")
        a = input._data
        if isinstance(dim, bool):  # sort(x, stable=...) passed positionally is not allowed in torch
            raise TypeError("sort(): argument 'dim' must be int, not bool")
        d = wrap_dim(dim, a.ndim)
        _refuse_complex(a, message=" Sort does not support complex dtypes on CPU")  # (its leading space)
        v, i = table[input._device.type](a, d, bool(descending), bool(stable))
        vals, idx = wrap(v, input._device), wrap(i, input._device)
        # naming ``stable`` (either value) picks PyTorch's sort.stable overload: SortBackward1
        _record_values(op, vals, input, {"dim": d, "keepdim": True, "indices": idx},
                       node_name=None if stable is None else "SortBackward1")
        return Ret(vals, idx)
    return sort


_sort = defop("sort", kernel=_sort_kernel, frontend=_sort_frontend)


def _argsort_frontend(op):
    def argsort(input, dim=-1, descending=False, stable=False):
        check_tensor(input, "argsort")
        a = input._data
        d = wrap_dim(dim, a.ndim)
        _refuse_complex(a, message=" Sort does not support complex dtypes on CPU")
        return wrap(_sort.table[input._device.type](a, d, bool(descending), bool(stable))[1], input._device)
    return argsort


defop("argsort", frontend=_argsort_frontend, differentiable=False)


def _topk_kernel(xp, a, k, axis, largest, sorted_):
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = _argsort(xp, a, axis, largest, True).astype(np.int64, copy=False)
    idx = xp.take(idx, xp.arange(k), axis=axis)
    return xp.take_along_axis(a, idx, axis=axis), idx


def _topk_frontend(op):
    table = op.table
    Ret = return_type("topk")

    def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
        check_tensor(input, "topk")
        a = input._data
        d = wrap_dim(dim, a.ndim)
        n = a.shape[d] if a.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        if a.dtype == np.bool_ and input._device.type == "cpu":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        _refuse_complex(a, message=" topk does not support complex dtypes on CPU")
        v, i = table[input._device.type](a, int(k), d, bool(largest), bool(sorted))
        vals, idx = wrap(v, input._device), wrap(i, input._device)
        _record_values(op, vals, input, {"dim": d, "keepdim": True, "indices": idx})
        return Ret(vals, idx)
    return topk


defop("topk", kernel=_topk_kernel, frontend=_topk_frontend)


# =========================================================================== median
def _median_kernel(xp, a, axis, keepdim):
    """Lower median along ``axis`` (NaN propagates: a slice holding NaN gives its first NaN)."""
    n = a.shape[axis]
    idx = _argsort(xp, a, axis, False, True)
    k = (n - 1) // 2
    pick = xp.take(idx, xp.arange(k, k + 1), axis=axis)
    if a.dtype.kind in "fc":
        nan = xp.isnan(a)
        has_nan = xp.any(nan, axis=axis, keepdims=True)
        first_nan = xp.argmax(nan, axis=axis, keepdims=True)
        pick = xp.where(has_nan, first_nan, pick)
    pick = pick.astype(np.int64, copy=False)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


def _median_like_frontend(name: str, node: str):
    """``median``/``nanmedian``: the whole-tensor value, or ``(values, indices)`` along a dim."""
    def make(op):
        table = op.table
        Ret = return_type(name)

        def median(input, dim=None, keepdim=False, *, out=None):
            check_tensor(input, name)
            a = input._data
            dev = input._device
            if dim is None:
                if a.size == 0:
                    if a.dtype.kind not in "fc":
                        raise IndexError(f"{name}() input tensor cannot be empty")
                    return wrap(a.sum() * np.nan, dev)
                if a.dtype.kind in "bc":  # PyTorch's median kernels (nanmedian's too) take no bools
                    raise NotImplementedError(f"\"median_cpu\" not implemented for '{_type_name(a.dtype)}'")
                v, _ = table[dev.type](a.reshape(-1), 0, False)
                res = wrap(v, dev)
                _record_values(op, res, input, {"dim": None}, f"{node}Backward0")
                return res
            d = wrap_dim(dim, a.ndim)
            if a.ndim and a.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
            if a.dtype.kind in "bc":
                raise NotImplementedError(f"\"median_out\" not implemented for '{_type_name(a.dtype)}'")
            if a.ndim == 0:
                v, i = _zero_dim_pair(dev, a)
            else:
                v, i = table[dev.type](a, d, keepdim)
            vals, idx = wrap(v, dev), wrap(i, dev)
            _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx}, f"{node}Backward1")
            return Ret(vals, idx)
        median.__name__ = median.__qualname__ = name
        return median
    return make


_median_frontend = _median_like_frontend("median", "Median")


defop("median", kernel=_median_kernel, frontend=_median_frontend)


def _kthvalue_kernel(xp, a, k, axis, keepdim):
    idx = _argsort(xp, a, axis, False, True)
    pick = xp.take(idx, xp.arange(k - 1, k), axis=axis).astype(np.int64, copy=False)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


def _kthvalue_frontend(op):
    table = op.table
    Ret = return_type("kthvalue")

    def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
        check_tensor(input, "kthvalue")
        a = input._data
        dev = input._device
        d = wrap_dim(dim, a.ndim)
        n = a.shape[d] if a.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        if a.dtype == np.bool_ and a.ndim:  # a 0-d bool is its own kth value; PyTorch sorts no bools
            raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
        _refuse_complex(a, "kthvalue_cpu")
        if a.ndim == 0:
            v, i = _zero_dim_pair(dev, a)
            vals, idx = wrap(v, dev), wrap(i, dev)
        else:
            v, i = table[dev.type](a, int(k), d, keepdim)
            vals, idx = wrap(v, dev), wrap(i, dev)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx})
        return Ret(vals, idx)
    return kthvalue


def _sample_tensor(shape, dtype, device, seed):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=-2.0, high=2.0, seed=seed)


def _kthvalue_samples(dtype, device):
    return [((_sample_tensor((2, 4), dtype, device, 91), 2), {}),
            ((_sample_tensor((3, 2), dtype, device, 92), 3, 0, True), {})]


def _kthvalue_reference(a, k, dim=-1, keepdim=False):
    idx = np.take(np.argsort(a, axis=dim, kind="stable"), [k - 1], axis=dim)
    v = np.take_along_axis(a, idx, axis=dim)
    return (v, idx) if keepdim else (v.squeeze(dim), idx.squeeze(dim))


defop("kthvalue", kernel=_kthvalue_kernel, frontend=_kthvalue_frontend, samples=_kthvalue_samples,
      reference=_kthvalue_reference)


def _nanmedian_kernel(xp, a, axis, keepdim):
    """Lower median of the non-NaN values along ``axis`` (NaN only when a slice is all NaN)."""
    idx = _argsort(xp, a, axis, False, True)  # NaNs sort last
    if a.dtype.kind in "fc":
        valid = xp.sum(~xp.isnan(a), axis=axis, keepdims=True)
    else:
        valid = xp.full_like(xp.take(a, xp.arange(0, 1), axis=axis), a.shape[axis], dtype=np.int64)
    k = xp.maximum((valid - 1) // 2, 0).astype(np.int64)
    pick = xp.take_along_axis(idx, k, axis=axis).astype(np.int64, copy=False)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


_nanmedian_frontend = _median_like_frontend("nanmedian", "Nanmedian")


def _nanmedian_samples(dtype, device):
    return [((_sample_tensor((2, 3), dtype, device, 93),), {}),
            ((_sample_tensor((2, 4), dtype, device, 94), 1), {})]


def _nanmedian_reference(a, dim=None, keepdim=False):
    if dim is None:
        return np.sort(a.reshape(-1))[(a.size - 1) // 2]
    idx = np.take(np.argsort(a, axis=dim, kind="stable"), [(a.shape[dim] - 1) // 2], axis=dim)
    v = np.take_along_axis(a, idx, axis=dim)
    return (v, idx) if keepdim else (v.squeeze(dim), idx.squeeze(dim))


defop("nanmedian", kernel=_nanmedian_kernel, frontend=_nanmedian_frontend, samples=_nanmedian_samples,
      reference=_nanmedian_reference)


def _mode_kernel(xp, a, axis, keepdim):
    """Most frequent value along ``axis`` (the smallest among equally frequent ones) and the index
    of its last occurrence, as PyTorch's CPU kernel. NaNs never equal each other."""
    host = a if xp is np else a.get()
    moved = np.moveaxis(host, axis, -1)
    lead = moved.shape[:-1]
    n = moved.shape[-1]
    rows = moved.reshape(-1, n)
    order = np.argsort(rows, axis=1, kind="stable")
    srt = np.take_along_axis(rows, order, axis=1)
    pos = np.arange(n)
    new_run = np.ones(rows.shape, dtype=bool)
    new_run[:, 1:] = srt[:, 1:] != srt[:, :-1]
    start = np.maximum.accumulate(np.where(new_run, pos, 0), axis=1)
    length = pos - start + 1  # run length so far; complete at each run's last position
    best_end = np.argmax(length, axis=1)  # first (smallest value) run reaching the largest count
    r = np.arange(rows.shape[0])
    vals = srt[r, best_end].reshape(lead)
    run = (pos >= start[r, best_end][:, None]) & (pos <= best_end[:, None])
    idx = np.max(np.where(run, order, -1), axis=1).astype(np.int64).reshape(lead)
    if keepdim:
        vals, idx = np.expand_dims(vals, axis), np.expand_dims(idx, axis)
    if xp is not np:
        return xp.asarray(vals), xp.asarray(idx)
    return np.asarray(vals), np.asarray(idx)


def _mode_frontend(op):
    table = op.table
    Ret = return_type("mode")

    def mode(input, dim=-1, keepdim=False, *, out=None):
        check_tensor(input, "mode")
        a = input._data
        _refuse_complex(a, "mode_cpu")
        dev = input._device
        d = wrap_dim(dim, a.ndim)
        if a.ndim == 0:
            v, i = _zero_dim_pair(dev, a)
        else:
            if a.shape[d] == 0:
                raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
            v, i = table[dev.type](a, d, keepdim)
        vals, idx = wrap(v, dev), wrap(i, dev)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx})
        return Ret(vals, idx)
    return mode


def _mode_samples(dtype, device):
    from .creation import tensor
    return [((tensor([[1., 2., 2., 3.], [0.5, 0.5, -1., -1.]], dtype=dtype, device=device),), {}),
            ((tensor([[1., 2.], [1., 3.], [4., 3.]], dtype=dtype, device=device), 0, True), {})]


def _mode_reference(a, dim=-1, keepdim=False):
    return _mode_kernel(np, a, dim % max(a.ndim, 1), keepdim)


_MODE_NOT_SMOOTH = ("the mode of repeated values changes under any perturbation: finite differences are 0 while "
                    "the gradient (like PyTorch's) goes to the reported index")
defop("mode", kernel=_mode_kernel, frontend=_mode_frontend, samples=_mode_samples, reference=_mode_reference,
      conformance_skip={"gradcheck": _MODE_NOT_SMOOTH, "gradgradcheck": _MODE_NOT_SMOOTH})


# =========================================================================== unique
def _unique_kernel(xp, a, return_inverse, return_counts, axis):
    # every NaN is a value of its own in PyTorch's unique (NaN != NaN); NumPy merges them by default
    extra = {"equal_nan": False} if xp is np and axis is None and a.dtype.kind in "fc" else {}
    r = xp.unique(a, return_inverse=True, return_counts=True, axis=axis, **extra)
    vals, inv, counts = r
    inv = inv.reshape(a.shape if axis is None else (a.shape[axis],)).astype(np.int64, copy=False)
    return vals, inv, counts.astype(np.int64, copy=False)


def unique_results(dev, values, inverse, counts, return_inverse, return_counts):
    """What ``unique`` and ``unique_consecutive`` return from their kernels' three arrays: the
    values alone, or a plain tuple adding the inverse indices and/or counts that were asked for."""
    out = wrap(values, dev)
    if not return_inverse and not return_counts:
        return out
    res = (out,)
    if return_inverse:
        res += (wrap(inverse, dev),)
    if return_counts:
        res += (wrap(counts, dev),)
    return res


def _unique_frontend(op):
    table = op.table

    def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
        check_tensor(input, "unique")
        a = input._data
        _refuse_complex(a, "unique" if dim is None else "unique_dim")
        axis = None if dim is None else wrap_dim(dim, a.ndim)
        dev = input._device
        return unique_results(dev, *table[dev.type](a, return_inverse, return_counts, axis), return_inverse,
                              return_counts)
    return unique


defop("unique", kernel=_unique_kernel, frontend=_unique_frontend, differentiable=False)


# =========================================================================== softmax / log_softmax
def _softmax_kernel(xp, a, axis, log):
    m = xp.amax(a, axis=axis, keepdims=True) if a.size else a
    m = xp.where(xp.isfinite(m), m, xp.zeros((), a.dtype))
    z = a - m
    e = xp.exp(z)
    s = xp.sum(e, axis=axis, keepdims=True)
    if log:
        return z - xp.log(s)
    if axis is None or axis == a.ndim - 1:
        # PyTorch's last-dim kernel scales by the sum's reciprocal, its other-dim kernel divides
        # (seen from its results): doing the same keeps more results bit-equal to PyTorch's
        return e * xp.reciprocal(s)  # (a 0-d input's exp and sum are NumPy scalars: no in-place ops)
    return e / s


def _softmax_frontend(op, log):
    table = op.table
    name = "log_softmax" if log else "softmax"

    def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
        check_tensor(input, name)
        if dim is None:
            raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
        src = input if dtype is None else input.to(dtype)
        a = src._data
        axis = wrap_dim(dim, a.ndim) if a.ndim else None
        if a.dtype.kind != "f":
            # PyTorch has a kernel for the last dim and one for any other; neither for integers
            # nor for complex numbers
            kernel = "lastdim_kernel_impl" if axis is None or axis == a.ndim - 1 else "kernel_impl"
            raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{_type_name(a.dtype)}'")
        out = wrap(table[input._device.type](a, axis, log), input._device)
        if src._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (src,), {"dim": axis})
        return out
    softmax.__name__ = softmax.__qualname__ = name
    return softmax


defop("softmax", kernel=lambda xp, a, axis, log: _softmax_kernel(xp, a, axis, log),
      frontend=lambda op: _softmax_frontend(op, False))
defop("log_softmax", kernel=lambda xp, a, axis, log: _softmax_kernel(xp, a, axis, log),
      frontend=lambda op: _softmax_frontend(op, True), node="LogSoftmaxBackward0")


# the ops this module declares (tests check each differentiable one has a formula)
REDUCTION_OPS = CORE_OPS[_FIRST:]
