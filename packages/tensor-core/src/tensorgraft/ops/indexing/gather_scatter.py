"""gather, scatter, scatter_add and scatter_reduce: one element per entry of an index tensor along
``dim`` (``_grid`` builds the full advanced index), with PyTorch's shape and bounds checks.
``ops/scatter.py`` builds the *_scatter ops and index_reduce on these kernels."""
from __future__ import annotations

import warnings

import numpy as np

from ...caller_warnings import caller_stacklevel
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import wrap_dim
from .._define import defop
from ..creation.fills import checked_fill_scalar
from .setitem import _add_at, _fold_pays, _fold_rows
from tensorgraft.argument_errors import c_type_name
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- gather / scatter
def _index_tensor(index, fname, argname="index", pos=3):
    if not isinstance(index, Tensor):
        raise F.not_a_tensor(fname, argname, pos, index)
    # only the two index widths: PyTorch refuses int8/int16 and the unsigned ones here too
    if index._data.dtype not in (np.int64, np.int32):
        # (PyTorch checks the dtype only of an index with elements: an empty one of any dtype
        # gathers nothing and scatters nothing)
        if index._data.size:
            raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
        return index._data.astype(np.int64)
    return index._data


def _grid(xp, shape, dim, idx):
    """Full advanced index addressing ``idx`` along ``dim`` and every position elsewhere."""
    nd = len(shape)
    out = []
    for d in range(nd):
        if d == dim:
            out.append(idx)
        else:
            s = [1] * nd
            s[d] = shape[d]
            out.append(xp.arange(shape[d]).reshape(s))
    return tuple(out)


def _check_gather_bounds(xp, idx, n, dim):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = hi if hi >= n else lo
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _gather_kernel(xp, a, dim, idx):
    if a.ndim == 0:
        return a.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
    rows = _whole_rows(xp, a, dim, idx)
    if rows is not None:  # whole rows (scatter_add's gradient in message passing): a row gather
        return xp.take(a, rows, axis=0)
    return a[_grid(xp, idx.shape, dim, idx)]


def _gather_frontend(op):
    table = op.table

    def gather(input, dim, index, *, sparse_grad=False, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("gather", "input", 1, input)
        a = input._data
        idx = _index_tensor(index, "gather")
        nd = a.ndim
        d = wrap_dim(dim, nd, "gather")
        if not idx.size:
            # (PyTorch checks no shape against an empty index: the result is empty, of its shape)
            res = wrap(a.reshape(-1)[:0].reshape(idx.shape), input._device)
            if input._requires_grad and _gs.enabled:
                Tensor._autograd.record(op, res, (input, index), {"dim": d})
            return res
        if idx.ndim != nd and not (max(nd, 1) == max(idx.ndim, 1)):
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for k in range(nd):
            if k != d and idx.shape[k] > a.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                                   f"larger than self {list(a.shape)} apart from dimension {d}")
        _check_gather_bounds(np, idx, a.shape[d] if nd else 1, d)
        res = wrap(table[input._device.type](a, d, idx), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), {"dim": d})
        return res
    return gather


defop("gather", kernel=_gather_kernel, frontend=_gather_frontend, nondiff_inputs=(1,))


_REDUCERS = {"add": "add", "multiply": "multiply", "sum": "add", "prod": "multiply"}


def _scatter_kernel(xp, a, dim, idx, src, reduce):
    out = a.copy()
    if not idx.size:  # (an empty index of any shape writes nothing)
        return out
    if a.ndim == 0:
        out = out.reshape(1)
        grid = (idx.reshape(-1),)
        s = src.reshape(-1)[:idx.size] if hasattr(src, "shape") and src.ndim else src
    else:
        grid = _grid(xp, idx.shape, dim, idx)
        s = src[tuple(slice(0, n) for n in idx.shape)] if hasattr(src, "shape") and src.ndim else src
    if reduce is None:
        out[grid] = s
    elif reduce == "add":
        vals = xp.broadcast_to(xp.asarray(s, dtype=out.dtype), idx.shape)
        rows = _whole_rows(xp, out, dim, idx)
        if rows is not None:  # message passing's scatter_add_(0, dst[:, None].expand(-1, D), msg)
            _add_at(xp, out, rows, vals)
        else:
            _add_at(xp, out, grid, vals)
    else:
        if xp is np:
            np.multiply.at(out, grid, np.broadcast_to(np.asarray(s, dtype=out.dtype), idx.shape))
        else:  # pragma: no cover - CUDA
            xp.multiply.at(out, grid, xp.broadcast_to(xp.asarray(s, dtype=out.dtype), idx.shape))
    return out.reshape(a.shape)


def _whole_rows(xp, out, dim, idx):
    """For ``scatter_add``/``scatter_reduce``/``gather`` along dim 0 with an index that covers
    whole rows of ``out`` and holds one value per row (``dst.unsqueeze(-1).expand(-1, D)``): that
    column of row numbers, so the update folds rows (setitem._add_at) or the gather takes rows,
    instead of addressing every element; None otherwise."""
    if (xp is not np or dim != 0 or idx.ndim < 2 or idx.shape[1:] != out.shape[1:]
            or idx.shape[0] < 256):
        return None
    first = idx[(slice(None),) + (slice(0, 1),) * (idx.ndim - 1)]
    # an expanded index repeats its column by stride 0: nothing to compare
    if any(stride != 0 for stride in idx.strides[1:]) and not (idx == first).all():
        return None
    return first.reshape(-1)


def _scatter_checks(fname, a, d, idx, src):
    if not idx.size:  # (PyTorch checks no shape against an empty index: it scatters nothing)
        return
    nd = a.ndim
    if idx.ndim != nd and max(nd, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and src.ndim != idx.ndim and max(src.ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(idx.ndim):
        if (k != d and nd and idx.shape[k] > a.shape[k]) or (src is not None and src.ndim and idx.shape[k] > src.shape[k]):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} apart "
                               f"from dimension {d}" + (f" and to be no larger size than src {list(src.shape)}"
                                                        if src is not None else ""))
    _check_gather_bounds(np, idx, a.shape[d] if nd else 1, d)


def _scatter_frontend(op, add=False):
    table = op.table
    fname = "scatter_add" if add else "scatter"

    def scatter(input, dim, index, src=None, *, value=None, reduce=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(fname, "input", 1, input)
        if not isinstance(index, Tensor):  # (its argument parser names the op itself ...)
            raise F.not_a_tensor(fname, "index", 3, index)
        a = input._data
        idx = _index_tensor(index, "scatter")  # (... its checks name scatter(), as PyTorch's do)
        d = wrap_dim(dim, a.ndim)
        if src is None:
            src = value
        if src is None:
            raise TypeError(f"{fname}() missing required argument 'src' or 'value'")
        if reduce is not None:
            if reduce not in ("add", "multiply"):
                raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        red = "add" if add else reduce
        if reduce is not None and isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                          "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=caller_stacklevel())
        if isinstance(src, Tensor):
            if src._device is not input._device:
                raise F.device_mismatch(fname, input, src)
            s = src._data
            if s.dtype != a.dtype:
                raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
            _scatter_checks(fname, a, d, idx, s)
            name = "ScatterAddBackward0" if add else "ScatterBackward0"
        else:
            if add:
                raise F.not_a_tensor(fname, "src", 4, src)
            if not isinstance(src, (int, float, complex, np.number, np.bool_)):  # (an array: no overload takes it)
                raise TypeError(f"scatter() received an invalid combination of arguments - got (Tensor, "
                                f"{c_type_name(dim)}, Tensor, {c_type_name(src)}), but expected one of:\n"
                                " * (Tensor input, int dim, Tensor index, Tensor src)\n"
                                " * (Tensor input, int dim, Tensor index, Number value)\n")
            _scatter_checks(fname, a, d, idx, None)
            s = checked_fill_scalar(src, a.dtype) if not isinstance(src, Tensor) else src
            name = "ScatterBackward1"
        res = wrap(table[input._device.type](a, d, idx, s, red), input._device)
        if F.needs_grad(input, src):
            if reduce is not None:  # PyTorch has no derivative here: its node says so by name
                name = "NotImplemented"
            Tensor._autograd.record(op, res, (input, index, src), {"dim": d, "reduce": reduce}, node_name=name)
        return res
    return scatter


defop("scatter", kernel=_scatter_kernel, frontend=_scatter_frontend, inplace="scatter_", nondiff_inputs=(1,),
      scalar_inputs=(2,))
defop("scatter_add", kernel=_scatter_kernel, frontend=lambda op: _scatter_frontend(op, add=True),
      inplace="scatter_add_", nondiff_inputs=(1,))


def _ufunc_at(xp, name, out, idx, vals):
    if xp is np:
        if _fold_pays(out, idx, vals):  # idx: the row numbers of whole rows (_whole_rows)
            _fold_rows(name, out, idx, vals)
        else:
            getattr(np, name).at(out, idx, vals)
        return
    ufunc = getattr(xp, name)  # pragma: no cover - CUDA
    if hasattr(ufunc, "at"):
        ufunc.at(out, idx, vals)
    else:
        import cupyx
        getattr(cupyx, {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}[name])(out, idx, vals)


_REDUCE_INIT = {"sum": 0, "mean": 0, "prod": 1}


def _scatter_reduce_kernel(xp, a, dim, idx, src, reduce, include_self):
    out = a.copy()
    if not idx.size:  # (an empty index of any shape reduces nothing into the input)
        return out
    if a.ndim == 0:
        out = out.reshape(1)
        grid = (idx.reshape(-1),)
        s = src.reshape(-1)[:idx.size]
    else:
        grid = _grid(xp, idx.shape, dim, idx)
        s = src[tuple(slice(0, n) for n in idx.shape)]
        rows = _whole_rows(xp, out, dim, idx)  # (GraphSAGE's mean, max aggregation: whole rows fold)
        if rows is not None:
            grid = rows
    if not include_self:
        if reduce in _REDUCE_INIT:
            init = _REDUCE_INIT[reduce]
        elif _np_kind(out.dtype) == "f":
            init = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(out.dtype) if _np_kind(out.dtype) in "iu" else None
            init = (info.min if reduce == "amax" else info.max) if info is not None else (reduce == "amin")
        out[grid] = init
    name = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
    _ufunc_at(xp, name, out, grid, s)
    if reduce == "mean":
        cnt = xp.zeros(out.shape, dtype=np.int64)
        if grid.__class__ is tuple:
            _ufunc_at(xp, "add", cnt, grid, xp.ones(idx.shape, dtype=np.int64))
        else:  # whole rows: every element of a row is counted alike
            cnt += np.bincount(grid, minlength=out.shape[0]).reshape((-1,) + (1,) * (out.ndim - 1))
        if include_self:
            cnt = cnt + 1
        cnt = xp.maximum(cnt, 1)
        # integers: floor division, kept in the input's dtype (NumPy would widen to int64 here)
        out = (out // cnt if _np_kind(out.dtype) in "iu" else out / cnt).astype(out.dtype, copy=False)
    return out.reshape(a.shape)


def _scatter_reduce_frontend(op):
    table = op.table

    def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("scatter_reduce", "input", 1, input)
        if not isinstance(src, Tensor):
            raise F.not_a_tensor("scatter_reduce", "src", 4, src)
        # PyTorch also takes "max"/"min" as the amax/amin reductions (its message names only these);
        # the node keeps the name as given, since its backward refuses the legacy names
        given = reduce
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("scatter_reduce", "index", 3, index)
        a = input._data
        idx = _index_tensor(index, "scatter")  # PyTorch's check names scatter()
        d = wrap_dim(dim, a.ndim)
        if src._data.dtype != a.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        _scatter_checks("scatter_reduce", a, d, idx, src._data)
        if reduce in ("amax", "amin", "mean") and _np_kind(a.dtype) == ("b" if reduce == "mean" else "c"):
            raise NotImplementedError(f'"scatter_gather_tensor_cpu_reduce_{reduce}" not implemented for '
                                      f"'{F._type_name(a.dtype)}'")
        res = wrap(table[input._device.type](a, d, idx, src._data, reduce, include_self), input._device)
        if F.needs_grad(input, src):
            Tensor._autograd.record(op, res, (input, index, src), {"dim": d, "reduce": given,
                                                                   "include_self": include_self})
        return res
    return scatter_reduce


defop("scatter_reduce", kernel=_scatter_reduce_kernel, frontend=_scatter_reduce_frontend, inplace="scatter_reduce_",
      nondiff_inputs=(1,))
