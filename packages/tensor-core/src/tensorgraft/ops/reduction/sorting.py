"""Everything computed by sorting along a dim: ``sort``, ``argsort``, ``topk``, the order statistics
``median``, ``nanmedian``, ``kthvalue`` and ``mode`` (``unique`` is with the set ops, ``ops/sets.py``;
the ``out=`` rules and argument parsing are in ``sort_arguments.py``). They share ``_argsort``, which
orders NaN last and keeps equal elements in order in both directions, as PyTorch's stable sort; on
CPU, ``sort``/``argsort`` (not stable by default), ``topk`` and ``mode`` then put equal elements where
PyTorch's CPU algorithms do (``cpu/sort_order.py``)."""
from __future__ import annotations

import numpy as np

from ...cpu.sort_order import (EMULATION_LIMIT, kthvalue_index, mode_index, mode_with_nan, topk_indices,
                               unstable_order)
from ...tensor import wrap
from .._frontend import check_tensor
from .._args import (NOT_GIVEN, arg_position, check_bool, check_int_dim, is_int,
                     method_and_function, missing_args,
                     spread, wrap_dim, wrong_type)
from .._define import defop
from .._return_types import return_type
from ._shared import _record_values, _refuse_complex, _type_name, _zero_dim_pair
from .sort_arguments import (ALIAS_MESSAGE, _INT64, _legacy_name, _out_pair, _parse_sort_args, _reduced_out, _reduced_shape, _resize_out,
                             _stored, _structured_out)
from tensorgraft.dtypes import np_kind as _np_kind
from .. import _frontend as F


# =========================================================================== sort / argsort / topk
def _argsort(xp, a, axis, descending, stable):
    """Indices sorting ``a`` along ``axis``; NaN is the largest value; ``stable`` keeps the order of
    equal elements in both directions."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    if _np_kind(a.dtype) == "b":
        a = a.astype(np.uint8)
    n = a.shape[axis]
    flipped = xp.flip(a, axis=axis)
    idx = xp.argsort(flipped, axis=axis, kind="stable")
    return (n - 1) - xp.flip(idx, axis=axis)


def _sort_kernel(xp, a, axis, descending, stable):
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = _argsort(xp, a, axis, descending, stable).astype(np.int64, copy=False)
    if not stable and xp is np:
        # equal elements where PyTorch's CPU sort leaves them (it is not stable by default)
        idx = unstable_order(a, idx, axis, descending)
    return xp.take_along_axis(a, idx, axis=axis), idx


def _like_input(dev, r, a):
    """A sort result laid out as PyTorch's: with the strides of a dense (permuted) input."""
    from ...device import get_backend
    from ...memory_layout import relayout_like
    return relayout_like(get_backend(dev).xp, r, a, None)


def _sort_frontend(op):
    table = op.table
    Ret = return_type("sort")

    def build(method):
        def sort(input, *args, out=None, **kwargs):
            check_tensor(input, "sort")
            dim, descending, stable = _parse_sort_args("sort", method, input, args, kwargs, out)
            if out is not None:
                _out_pair("sort", method, out, 4 if "stable" in kwargs else 3, input)
            a = input._data
            d = wrap_dim(dim, a.ndim, "sort", overloads=())
            _refuse_complex(a, message=" Sort does not support complex dtypes on CPU")  # (its leading space)
            if out is not None:
                _structured_out(out[0], a.dtype, a.shape)
                _structured_out(out[1], _INT64, a.shape)
                a = input._data  # (an out tensor that is the input was resized: PyTorch sorts what is left)
            v, i = table[input._device.type](a, d, bool(descending), bool(stable))
            if out is not None:
                return _stored("sort", out, v, i)
            if not a.flags.c_contiguous:
                v, i = _like_input(input._device, v, a), _like_input(input._device, i, a)
            vals, idx = wrap(v, input._device), wrap(i, input._device)
            # naming ``stable`` (either value) picks PyTorch's sort.stable overload: SortBackward1
            _record_values(op, vals, input, {"dim": d, "keepdim": True, "indices": idx},
                           node_name=None if "stable" not in kwargs else "SortBackward1")
            return Ret(vals, idx)
        sort.__name__ = sort.__qualname__ = "sort"
        return sort
    return method_and_function(op, build)


_sort = defop("sort", kernel=_sort_kernel, frontend=_sort_frontend)


def _argsort_frontend(op):
    def build(method):
        def argsort(input, *args, out=None, **kwargs):
            check_tensor(input, "argsort")
            dim, descending, stable = _parse_sort_args("argsort", method, input, args, kwargs, out)
            if out is not None:  # (PyTorch's argsort.stable_out is sort's: its refusal names sort)
                F.check_out_grad("sort", out, input)
            a = input._data
            d = wrap_dim(dim, a.ndim, "argsort", overloads=())
            _refuse_complex(a, message=" Sort does not support complex dtypes on CPU")
            if out is not None:
                _structured_out(out, _INT64, a.shape)
            i = _sort.table[input._device.type](a, d, bool(descending), bool(stable))[1]
            if out is not None:
                F.store_into(out, i, "argsort")
                return out
            return wrap(i if a.flags.c_contiguous else _like_input(input._device, i, a), input._device)
        argsort.__name__ = argsort.__qualname__ = "argsort"
        return argsort
    return method_and_function(op, build)


defop("argsort", frontend=_argsort_frontend, differentiable=False)


def _topk_kernel(xp, a, k, axis, largest, sorted_):
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = _argsort(xp, a, axis, largest, True).astype(np.int64, copy=False)
    if xp is np:  # ties, and sorted=False, as PyTorch's CPU selection leaves them
        idx = topk_indices(a, idx, k, axis, largest, sorted_)
    else:
        idx = xp.take(idx, xp.arange(k), axis=axis)
    return xp.take_along_axis(a, idx, axis=axis), idx


def _topk_frontend(op):
    table = op.table
    Ret = return_type("topk")

    def build(method):
        def topk(input, *args, k=NOT_GIVEN, dim=NOT_GIVEN, largest=NOT_GIVEN, sorted=NOT_GIVEN, out=None):
            if len(args) > 4:  # (the function counts the tensor too, the method not self)
                m = not method
                raise TypeError(f"topk() takes from {1 + m} to {4 + m} positional arguments but {len(args) + m} were "
                                "given")
            check_tensor(input, "topk")  # (the tensor is the parser's first argument)
            k, dim, largest, sorted = spread("topk", args, _TOPK_ARGS, [k, dim, largest, sorted])
            npos = len(args)
            if k is not NOT_GIVEN and k.__class__ is not int and not is_int(k):
                # PyTorch adds k's "(position N)" when it came positionally; tests/test_argument_type_errors.py
                # (not this module's) still holds the words without it, so they stay so for now
                raise wrong_type("topk", "k", "int", k)
            if dim is NOT_GIVEN:
                dim = -1
            else:
                check_int_dim("topk", dim, arg_position(1, npos, method))
            # largest and sorted are bools to PyTorch's parser (``topk(x, 1, 0, 1)`` is refused)
            if largest is NOT_GIVEN:
                largest = True
            else:
                check_bool("topk", "largest", largest, arg_position(2, npos, method))
            if sorted is NOT_GIVEN:
                sorted = True
            else:
                check_bool("topk", "sorted", sorted, arg_position(3, npos, method))
            if k is NOT_GIVEN:
                raise missing_args("topk", "k")
            if out is not None:
                _out_pair("topk", method, out, 5, input)
            return _topk(input, k, dim, largest, sorted, out)
        topk.__name__ = topk.__qualname__ = "topk"
        return topk

    def _topk(input, k, dim, largest, sorted, out=None):
        a = input._data
        d = wrap_dim(dim, a.ndim, "topk")
        n = a.shape[d] if a.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        if a.dtype == np.bool_ and input._device.type == "cpu":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        _refuse_complex(a, message=" topk does not support complex dtypes on CPU")
        if out is not None:
            shape = a.shape[:d] + (int(k),) + a.shape[d + 1:] if a.ndim else ()
            _structured_out(out[0], a.dtype, shape)
            _structured_out(out[1], _INT64, shape)
            a = input._data  # (an out tensor that is the input was resized: PyTorch reads what is left)
        v, i = table[input._device.type](a, int(k), d, bool(largest), bool(sorted))
        if out is not None:
            return _stored("topk", out, v, i)
        vals, idx = wrap(v, input._device), wrap(i, input._device)
        _record_values(op, vals, input, {"dim": d, "keepdim": True, "indices": idx})
        return Ret(vals, idx)
    return method_and_function(op, build)


_TOPK_ARGS = ("k", "dim", "largest", "sorted")


defop("topk", kernel=_topk_kernel, frontend=_topk_frontend)


# =========================================================================== median
def _median_kernel(xp, a, axis, keepdim):
    """Lower median along ``axis`` (NaN propagates: a slice holding NaN gives its first NaN)."""
    n = a.shape[axis]
    idx = _argsort(xp, a, axis, False, True)
    k = (n - 1) // 2
    pick = xp.take(idx, xp.arange(k, k + 1), axis=axis)
    if _np_kind(a.dtype) in "fc":
        nan = xp.isnan(a)
        has_nan = xp.any(nan, axis=axis, keepdims=True)
        first_nan = xp.argmax(nan, axis=axis, keepdims=True)
        pick = xp.where(has_nan, first_nan, pick)
    pick = pick.astype(np.int64, copy=False)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


_DIM_KEEPDIM = ("dim", "keepdim")


def _dim_keepdim_checked(name, dim, keepdim, npos, method, first=0):
    """An ``int dim, bool keepdim = False`` pair as PyTorch's parser takes it (no None, tuple or
    float dim; no int keepdim), with the positions of those given positionally (``first``: how
    many arguments come before ``dim``). Returns keepdim."""
    check_int_dim(name, dim, arg_position(first, npos, method))
    if keepdim is NOT_GIVEN:
        return False
    check_bool(name, "keepdim", keepdim, arg_position(first + 1, npos, method))
    return keepdim


def _nan_as(dev, dtype):
    import warnings
    from ...device import get_backend
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's "invalid value in cast")
        return get_backend(dev).xp.full((), np.nan).astype(dtype)


def _median_like_frontend(name: str, node: str):
    """``median``/``nanmedian``: the whole-tensor value, or ``(values, indices)`` along a dim."""
    def make(op):
        table = op.table
        Ret = return_type(name)

        def build(method):
            def median(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN, out=None):
                check_tensor(input, name)  # (the tensor is the parser's first argument)
                if args:
                    dim, keepdim = spread(name, args, _DIM_KEEPDIM, [dim, keepdim])
                a = input._data
                dev = input._device
                if dim is NOT_GIVEN and (keepdim is not NOT_GIVEN or out is not None):
                    raise missing_args(name, "dim")  # (keepdim and out only go with a dim)
                if dim is NOT_GIVEN:  # (an explicit None is refused: PyTorch's dim is an int)
                    if a.size == 0:
                        # PyTorch's NaN cast to the input's dtype (nan+0j; for integers what the
                        # CPU's conversion makes of NaN: INT_MIN for 32/64 bits, 0 below; True)
                        return wrap(_nan_as(dev, a.dtype), dev)
                    if _np_kind(a.dtype) in "bc":  # PyTorch's median kernels (nanmedian's too) take no bools
                        raise NotImplementedError(f"\"median_cpu\" not implemented for '{_type_name(a.dtype)}'")
                    v, _ = table[dev.type](a.reshape(-1), 0, False)
                    res = wrap(v, dev)
                    _record_values(op, res, input, {"dim": None}, f"{node}Backward0")
                    return res
                keepdim = _dim_keepdim_checked(name, dim, keepdim, len(args), method)
                if out is not None:
                    _out_pair(name, method, out, 3, input)
                d = wrap_dim(dim, a.ndim, name)
                if a.ndim and a.shape[d] == 0:
                    # (nanmedian's message names median too: PyTorch's kernels share the check)
                    raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
                if out is not None:
                    _median_outs(out, a, _reduced_shape(a.shape, d, keepdim))
                    a = input._data  # (an out tensor that is the input was resized: PyTorch reads what is left)
                    wrap_dim(dim, a.ndim)
                    _refuse_overlap(out, a)
                if _np_kind(a.dtype) in "bc":
                    raise NotImplementedError(f"\"median_out\" not implemented for '{_type_name(a.dtype)}'")
                if a.ndim == 0:
                    v, i = _zero_dim_pair(dev, a)
                else:
                    v, i = table[dev.type](a, d, keepdim)
                if out is not None:
                    return _stored(name, out, v, i)
                vals, idx = wrap(v, dev), wrap(i, dev)
                _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx}, f"{node}Backward1")
                return Ret(vals, idx)
            median.__name__ = median.__qualname__ = name
            return median
        return method_and_function(op, build)
    return make


def _refuse_overlap(outs, a):
    """PyTorch's refusal of out tensors that share memory with the input ``a``."""
    for t in outs:
        if np.may_share_memory(t._data, a):
            raise RuntimeError(ALIAS_MESSAGE)


def _median_outs(out, a, shape):
    """median's and nanmedian's checks of their out tensors (indices first; worded as PyTorch's
    ``checkScalarType``/``checkSameType``, naming median for both), then their resize."""
    if out[1]._data.dtype != _INT64:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                           f"{_legacy_name(out[1]._data.dtype)} instead (while checking arguments for median)")
    if out[0]._data.dtype != a.dtype:
        raise RuntimeError(f"Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but "
                           f"type {_legacy_name(out[0]._data.dtype)} does not equal {_legacy_name(a.dtype)} (while "
                           "checking arguments for median)")
    _resize_out(out[0], shape)
    _resize_out(out[1], shape)


_median_frontend = _median_like_frontend("median", "Median")


defop("median", kernel=_median_kernel, frontend=_median_frontend)


def _kthvalue_kernel(xp, a, k, axis, keepdim):
    idx = _argsort(xp, a, axis, False, True)
    pick = xp.take(idx, xp.arange(k - 1, k), axis=axis).astype(np.int64, copy=False)
    if xp is np and a.ndim and 1 < a.shape[axis] <= EMULATION_LIMIT and _np_kind(a.dtype) != "c":
        pick = _kthvalue_ties(a, pick, k, axis)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


def _kthvalue_ties(a, pick, k, axis):
    """Where the k-th value is tied, the index among the equal ones that PyTorch's CPU selection
    reports (``cpu/sort_order.py``) instead of the stable order's first."""
    rows = np.moveaxis(a, axis, -1).reshape(-1, a.shape[axis])
    chosen = np.moveaxis(pick, axis, -1).reshape(-1).copy()
    kth = rows[np.arange(rows.shape[0]), chosen]
    same = (rows == kth[:, None]) | (np.isnan(rows) & np.isnan(kth)[:, None]) if _np_kind(a.dtype) == "f" else rows == kth[:, None]
    for r in np.flatnonzero(same.sum(axis=1) > 1):
        chosen[r] = kthvalue_index(rows[r], k - 1)
    return np.moveaxis(chosen.reshape(np.moveaxis(pick, axis, -1).shape), -1, axis)


def _kthvalue_frontend(op):
    table = op.table
    Ret = return_type("kthvalue")

    def build(method):
        def kthvalue(input, *args, k=NOT_GIVEN, dim=NOT_GIVEN, keepdim=NOT_GIVEN, out=None):
            check_tensor(input, "kthvalue")  # (the tensor is the parser's first argument)
            k, dim, keepdim = spread("kthvalue", args, ("k", "dim", "keepdim"), [k, dim, keepdim])
            if k is NOT_GIVEN:
                raise missing_args("kthvalue", "k")
            if k.__class__ is not int and not is_int(k):
                raise wrong_type("kthvalue", "k", "int", k, arg_position(0, len(args), method))
            if dim is NOT_GIVEN:
                dim = -1
            keepdim = _dim_keepdim_checked("kthvalue", dim, keepdim, len(args), method, first=1)
            if out is not None:
                _out_pair("kthvalue", method, out, 4, input)
            return _kthvalue(input, k, dim, keepdim, out)
        kthvalue.__name__ = kthvalue.__qualname__ = "kthvalue"
        return kthvalue

    def _kthvalue(input, k, dim, keepdim, out=None):
        a = input._data
        dev = input._device
        d = wrap_dim(dim, a.ndim, "kthvalue")
        n = a.shape[d] if a.ndim else 1
        if n == 0:  # (checked before k)
            raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        if out is not None:
            if np.may_share_memory(out[0]._data, a):
                raise RuntimeError(ALIAS_MESSAGE)
            if out[0]._data.dtype != a.dtype:
                raise RuntimeError("output values must be of same type as input")
            _reduced_out(out[0], a.shape, d, keepdim)
            if out[1]._data.dtype != _INT64:
                raise RuntimeError("output indices must be of scalar type Long")
            _reduced_out(out[1], a.shape, d, keepdim)
        if a.dtype == np.bool_ and a.ndim:  # a 0-d bool is its own kth value; PyTorch sorts no bools
            raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
        if a.ndim:  # (as mode's: a 0-d complex input is its own k-th value)
            _refuse_complex(a, "kthvalue_cpu")
        if a.ndim == 0:
            v, i = _zero_dim_pair(dev, a)
            vals, idx = wrap(v, dev), wrap(i, dev)
        else:
            v, i = table[dev.type](a, int(k), d, keepdim)
            vals, idx = wrap(v, dev), wrap(i, dev)
        if out is not None:
            return _stored("kthvalue", out, vals._data, idx._data)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx})
        return Ret(vals, idx)
    return method_and_function(op, build)


def _sample_tensor(shape, dtype, device, seed):
    from ...testing import make_tensor
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
    if _np_kind(a.dtype) in "fc":
        valid = xp.sum(~xp.isnan(a), axis=axis, keepdims=True)
    else:
        valid = xp.full_like(xp.take(a, xp.arange(0, 1), axis=axis), a.shape[axis], dtype=np.int64)
    k = xp.maximum((valid - 1) // 2, 0).astype(np.int64)
    pick = xp.take_along_axis(idx, k, axis=axis).astype(np.int64, copy=False)
    if _np_kind(a.dtype) in "fc" and a.shape[axis] > 3:
        # an all-NaN slice: PyTorch's std::nth_element sees only equivalent elements, and the one it
        # leaves first depends on the slice's length alone (libstdc++'s introselect, emulated)
        pick = xp.where(valid == 0, _all_equal_nth_first(a.shape[axis]), pick)
    vals = xp.take_along_axis(a, pick, axis=axis)
    if not keepdim:
        vals, pick = vals.squeeze(axis), pick.squeeze(axis)
    return vals, pick


def _all_equal_nth_first(n):
    """The position libstdc++'s ``nth_element(first, first, first + n)`` moves to the front when
    no element is less than another."""
    from ...cpu.sort_order import _Arrangement
    run = _Arrangement([0] * n, lambda a, b: False)
    run.nth_element(0, 0, n)
    return run.pos[0]


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
    """Most frequent value along ``axis`` (the smallest among equally frequent ones) and which of
    its occurrences PyTorch's CPU kernel reports (``cpu/sort_order.py``). NaNs never equal each
    other, and a row holding NaN gets the value and index PyTorch's unsettled sort leads to."""
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
    vals = srt[r, best_end]
    run = (pos >= start[r, best_end][:, None]) & (pos <= best_end[:, None])
    idx = np.max(np.where(run, order, -1), axis=1).astype(np.int64)
    with_nan = np.isnan(rows).any(axis=1) if _np_kind(rows.dtype) == "f" else np.zeros(rows.shape[0], bool)
    for i in np.flatnonzero((length[r, best_end] > 1) & ~with_nan):
        idx[i] = mode_index(rows[i], srt[i, best_end[i]])  # which of the equal ones PyTorch reports
    if n <= EMULATION_LIMIT:
        for i in np.flatnonzero(with_nan):  # NaN unsettles PyTorch's sort: its value and index follow
            vals[i], idx[i] = mode_with_nan(rows[i])
    vals, idx = vals.reshape(lead), idx.reshape(lead)
    if keepdim:
        vals, idx = np.expand_dims(vals, axis), np.expand_dims(idx, axis)
    if xp is not np:
        return xp.asarray(vals), xp.asarray(idx)
    return np.asarray(vals), np.asarray(idx)


def _mode_frontend(op):
    table = op.table
    Ret = return_type("mode")

    def build(method):
        def mode(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN, out=None):
            check_tensor(input, "mode")  # (the tensor is the parser's first argument)
            if args:
                dim, keepdim = spread("mode", args, _DIM_KEEPDIM, [dim, keepdim])
            if dim is NOT_GIVEN:
                dim = -1
            keepdim = _dim_keepdim_checked("mode", dim, keepdim, len(args), method)
            if out is not None:
                _out_pair("mode", method, out, 3, input)
            return _mode(input, dim, keepdim, out)
        mode.__name__ = mode.__qualname__ = "mode"
        return mode

    def _mode(input, dim, keepdim, out=None):
        a = input._data
        if out is not None:  # (mode checks its out tensors' dtypes before anything else)
            for t, want, what in ((out[0], a.dtype, "values"), (out[1], _INT64, "indices")):
                if t._data.dtype != want:
                    raise RuntimeError(f"expected scalar type '{_type_name(want)}' but got '{_type_name(t._data.dtype)}' "
                                       f"for {what} output")
        if a.ndim:  # (a 0-d complex input is its own mode in PyTorch: its kernel is never reached)
            _refuse_complex(a, "mode_cpu")
        dev = input._device
        d = wrap_dim(dim, a.ndim, "mode")
        if a.ndim == 0:
            v, i = _zero_dim_pair(dev, a)
        else:
            if a.shape[d] == 0:
                raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
            if out is not None and not a.size:  # (PyTorch's early return for an empty input: a plain resize)
                _resize_out(out[0], _reduced_shape(a.shape, d, keepdim))
                _resize_out(out[1], _reduced_shape(a.shape, d, keepdim))
            elif out is not None:
                _reduced_out(out[0], a.shape, d, keepdim, mode=True)
                _reduced_out(out[1], a.shape, d, keepdim, mode=True)
                # (an out tensor that is the input itself PyTorch's mode goes on with, reading what it
                # held; a view of it is refused)
                _refuse_overlap([t for t in out if t is not input], a)
            v, i = table[dev.type](a, d, keepdim)
        if out is not None:
            if a.ndim == 0:  # (PyTorch's 0-d mode resizes its outs without a word)
                out[0].resize_(()), out[1].resize_(())
            return _stored("mode", out, v, i)
        vals, idx = wrap(v, dev), wrap(i, dev)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx})
        return Ret(vals, idx)
    return method_and_function(op, build)


def _mode_samples(dtype, device):
    from ..creation import tensor
    return [((tensor([[1., 2., 2., 3.], [0.5, 0.5, -1., -1.]], dtype=dtype, device=device),), {}),
            ((tensor([[1., 2.], [1., 3.], [4., 3.]], dtype=dtype, device=device), 0, True), {})]


def _mode_reference(a, dim=-1, keepdim=False):
    return _mode_kernel(np, a, dim % max(a.ndim, 1), keepdim)


_MODE_NOT_SMOOTH = ("the mode of repeated values changes under any perturbation: finite differences are 0 while "
                    "the gradient (like PyTorch's) goes to the reported index")
defop("mode", kernel=_mode_kernel, frontend=_mode_frontend, samples=_mode_samples, reference=_mode_reference,
      conformance_skip={"gradcheck": _MODE_NOT_SMOOTH, "gradgradcheck": _MODE_NOT_SMOOTH})
