"""Ops that pick elements by position or report positions: take and take_along_dim (flat or
per-dim indices), nonzero, argwhere and where (by condition; ``Tensor.where`` too), and
searchsorted and bucketize (by sorted order)."""
from __future__ import annotations

import numbers

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import NOT_GIVEN, invalid_combination, wrap_dim, wrong_type
from .._define import defop
from ..elementwise import branch_free
from .normalize import _xp
from tensorgraft.dtypes import np_kind as _np_kind
from ..conversion import float8_from_number
from ..creation.fills import checked_fill_value

_FLOAT8_NP = frozenset(d.np for d in _dt.FLOAT8_DTYPES)


# --------------------------------------------------------------------------- take
def _take_kernel(xp, a, idx):
    return a.reshape(-1)[idx]


def _take_frontend(op):
    table = op.table

    def take(input, index, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("take", "input", 1, input)
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("take", "index", 2, index)
        idx = index._data
        if idx.dtype != np.int64:  # take wants int64 alone (int32 is refused as well)
            raise RuntimeError("take(): Expected a long tensor for index, but got " + F._type_name(idx.dtype))
        n = input._data.size
        if idx.size and not n:
            raise IndexError("take(): tried to take from an empty tensor")
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < -n or hi >= n:
                bad = hi if hi >= n else lo
                raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
        if out is not None:
            F.check_out_grad("take", out, input)
            if isinstance(out, Tensor):  # (it reads other elements than it writes: no overlap at all)
                F.check_out_overlap(out, (input, index), full_ok=False)
        res = wrap(table[input._device.type](input._data, idx), input._device)
        if out is not None:
            return F.write_out(out, res._data, "take")
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), None)
        return res
    return take


defop("take", kernel=_take_kernel, frontend=_take_frontend, nondiff_inputs=(1,))


def _take_along_dim(input, indices, dim=None, *, out=None):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("take_along_dim", "input", 1, input)
    if not isinstance(indices, Tensor):
        raise F.not_a_tensor("take_along_dim", "indices", 2, indices)
    if dim is None:  # (gather's own checks: int32 indices too, no negative ones)
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if indices._data.dtype != np.int64:  # int64 alone along a dim
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{F._type_name(indices._data.dtype)}")
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {nd} dimensions for input, and {indices._data.ndim} dimensions for indices")
    d = wrap_dim(dim, nd)
    n = input._data.shape[d] if nd else 1
    idx = indices._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        if n == 0:
            raise RuntimeError("ZeroDivisionError")
        indices = indices.remainder(n)  # PyTorch wraps indices along a dim (-1 is the last, n the first)
    si, sx = list(input._data.shape), list(indices._data.shape)
    si[d] = sx[d] = 1
    from ..shape.squeeze_expand import infer_broadcast_shape
    b = list(infer_broadcast_shape(si, sx))
    bi, bx = list(b), list(b)
    bi[d] = input._data.shape[d]
    bx[d] = indices._data.shape[d]
    x = input.expand(*bi)  # also when it changes nothing: PyTorch's graph has the ExpandBackward0 node
    ix = indices if tuple(bx) == indices._data.shape else indices.expand(*bx)
    return x.gather(d, ix)


defop("take_along_dim", frontend=lambda op: _take_along_dim, differentiable=False)


# --------------------------------------------------------------------------- nonzero / where
def _nonzero_kernel(xp, a):
    if a.ndim == 0:
        return xp.zeros((1 if a else 0, 0), dtype=np.int64)
    return xp.stack(xp.nonzero(a), axis=1).astype(np.int64, copy=False) if a.ndim else None


def _nonzero_frontend(op):
    table = op.table

    def nonzero(input, *, out=None, as_tuple=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("nonzero", "input", 1, input)
        a = input._data
        if as_tuple:
            xp = _xp(input)
            if a.ndim == 0:
                return (wrap(xp.zeros(1 if a else 0, dtype=np.int64), input._device),)
            return tuple(wrap(i.astype(np.int64, copy=False), input._device) for i in xp.nonzero(a))
        return wrap(table[input._device.type](a), input._device)
    return nonzero


defop("nonzero", kernel=_nonzero_kernel, frontend=_nonzero_frontend, differentiable=False)


def _argwhere(input):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("argwhere", "input", 1, input)
    return input.nonzero()


defop("argwhere", frontend=lambda op: _argwhere, differentiable=False)


def _where_kernel(xp, cond, a, b):
    # (NumPy's where branches per element; branch_free blends the bits of same-typed float operands)
    try:
        return branch_free.select(xp, cond, a, b)
    except KeyError:  # (the 8-bit floats: branch_free has no 1-byte integers to blend their bits in)
        return xp.where(cond, a, b)


_TENSOR_OR_NUMBER = (Tensor, numbers.Number, np.bool_)  # (NumPy bools are numbers to PyTorch too)
_WHERE_OVERLOADS = ("Tensor condition", "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor condition, Number self, Tensor other", "Tensor condition, Tensor input, Number other",
                    "Tensor condition, Number self, Number other")


def _check_where_scalar(value, npdtype):
    """PyTorch converts where's number into the result dtype with c10's checked conversion: 1e40
    into a float32 result, 300 into an int8 one raise "value cannot be converted to type ...
    without overflow"; into a 16- or 8-bit float it converts unchecked (1e6 becomes a half's inf)."""
    if value.__class__ is float and (npdtype is _F64 or npdtype is _F32 and -_F32_MAX <= value <= _F32_MAX) or \
            value.__class__ is int and -_I64_HIGH <= value < _I64_HIGH and (npdtype is _I64 or npdtype is _F32 or npdtype is _F64):
        return  # (the common case, without the general conversion's cost)
    checked_fill_value(value, npdtype, np.dtype(npdtype).itemsize >= 4)


_F32, _F64, _I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
_I64_HIGH = 1 << 63
_F32_MAX = float(np.finfo(np.float32).max)


def _where_frontend(op):
    table = op.table

    def where(condition, input=None, other=None, *, out=None):
        if input is None and other is None:
            if not isinstance(condition, Tensor):
                raise F.not_a_tensor("where", "condition", 1, condition)
            return condition.nonzero(as_tuple=True)
        if not isinstance(condition, Tensor):
            raise F.not_a_tensor("where", "condition", 1, condition)
        if not (isinstance(input, _TENSOR_OR_NUMBER) and isinstance(other, _TENSOR_OR_NUMBER)):
            raise invalid_combination("where", (condition, input, other), overloads=_WHERE_OVERLOADS)
        if _np_kind(condition._data.dtype) != "b":
            if condition._data.dtype != np.uint8:
                raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                                   f"{F._type_name(condition._data.dtype)}")
            # PyTorch still takes a uint8 mask (older code's masks), with a once-per-process warning
            from ...caller_warnings import warn_once_at_caller
            warn_once_at_caller("where received a uint8 condition tensor. This behavior is deprecated and will be "
                                "removed in a future version of PyTorch. Use a boolean condition instead.")
            condition = wrap(condition._data != 0, condition._device)
        dev = condition._device
        if isinstance(input, Tensor) and input._device is not dev or \
                isinstance(other, Tensor) and other._device is not dev:
            condition, input, other = F.join_cpu_scalars("where", condition, input, other)
            dev = condition._device
        ref = input if isinstance(input, Tensor) else other
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            a, b, _ = F._promote_pair("where", input._data, 1 if input._data.ndim == 0 else 0,
                                      other._data, 1 if other._data.ndim == 0 else 0, "same") \
                if input._data.dtype != other._data.dtype else (input._data, other._data, None)
        elif isinstance(ref, Tensor):
            scalar = other if ref is input else input
            ra = 1 if ref._data.ndim == 0 else 0
            if ref is input:
                a, b, _ = F._promote_pair("where", ref._data, ra, scalar, 2, "same")
            else:
                a, b, _ = F._promote_pair("where", scalar, 2, ref._data, ra, "same")
            _check_where_scalar(scalar, a.dtype)
            if ref._data.dtype.itemsize == 1 and ref._data.dtype in _FLOAT8_NP and \
                    (a if ref is input else b).dtype == ref._data.dtype:
                # the number as c10 makes an 8-bit float (0 into e8m0 is its 0 bits, 1e10 saturates into
                # e4m3fn), where NumPy's cast gives NaN
                s8 = float8_from_number(scalar, ref._data.dtype)
                a, b = (a, s8) if ref is input else (s8, b)
        else:
            da, db = _dt._scalar_dtype(input), _dt._scalar_dtype(other)
            npd = _dt.promote_types(da, db).np
            _check_where_scalar(input, npd)
            _check_where_scalar(other, npd)
            xp = _xp(condition)
            a, b = xp.asarray(input, dtype=npd), xp.asarray(other, dtype=npd)
        if out is not None and isinstance(out, Tensor):
            F.check_out_overlap(out, (condition, input, other))
        try:
            res = wrap(table[dev.type](condition._data, a, b), dev)
        except ValueError as e:
            raise F.shape_error(e, condition, a, b) from None
        if out is not None:
            F.write_out(out, res._data, "where")
            return out
        if F.needs_grad(input, other):
            Tensor._autograd.record(op, res, (condition, input, other), None, node_name="WhereBackward0")
        return res
    return where


_where = defop("where", kernel=_where_kernel, frontend=_where_frontend, method=False, nondiff_inputs=(0,))


def _where_method(self, condition, other):
    """``Tensor.where(condition, y)`` is ``torch.where(condition, self, y)``."""
    if not isinstance(other, _TENSOR_OR_NUMBER):  # (refused before the condition's dtype is looked at)
        raise invalid_combination("where", (condition, other),
                                  overloads=("Tensor condition, Tensor other", "Tensor condition, Number other"))
    return _where.frontend(condition, self, other)


defop("_where_method", frontend=lambda op: _where_method, method="where", public=False, differentiable=False,
      composite=True)


# --------------------------------------------------------------------------- searchsorted / bucketize
def _searchsorted_kernel(xp, seq, vals, side, sorter):
    if seq.ndim == 1:
        return _search_row(xp, seq, vals, side, sorter).astype(np.int64, copy=False)
    # (explicit leading sizes: a -1 cannot be inferred where the last dim is 0)
    rows = seq.size // seq.shape[-1] if seq.shape[-1] else int(np.prod(seq.shape[:-1]))
    s2 = seq.reshape(rows, seq.shape[-1])
    v2 = vals.reshape(rows, vals.shape[-1])
    out = xp.empty(v2.shape, dtype=np.int64)
    for i in range(rows):  # one search per leading index (boundaries differ per row)
        srt = None if sorter is None else sorter.reshape(rows, seq.shape[-1])[i]
        out[i] = _search_row(xp, s2[i], v2[i], side, srt)
    return out.reshape(vals.shape)


def _search_row(xp, seq, vals, side, sorter):
    """One row's search. NumPy's sorts NaN last; PyTorch's binary search compares with ``>=``
    (``>`` for the right side), to which a NaN boundary is never greater: where the boundaries hold
    NaN, or are not sorted (where NumPy's search, which starts from the previous key's answer, ends
    elsewhere), its bisection is run here, step for step, on all values at once."""
    bd = seq if sorter is None else seq[sorter]
    if not (seq.dtype.kind == "f" and bool(xp.isnan(seq).any())) and bool((bd[1:] >= bd[:-1]).all()):
        return xp.searchsorted(seq, vals, side=side, sorter=sorter)
    v = xp.asarray(vals)
    start = xp.zeros(v.shape, dtype=np.int64)
    end = xp.full(v.shape, bd.shape[0], dtype=np.int64)
    while bool((start < end).any()):
        active = start < end
        mid = start + ((end - start) >> 1)
        mid_val = bd[xp.minimum(mid, bd.shape[0] - 1)]
        after = ~(mid_val > v) if side == "right" else ~(mid_val >= v)  # (PyTorch's cus_upper/lower_bound)
        start = xp.where(active & after, mid + 1, start)
        end = xp.where(active & ~after, mid, end)
    return start


def _warn_non_contiguous(what):
    # PyTorch copies a non-contiguous operand and says so, once per process (bucketize too)
    from ...caller_warnings import warn_once_at_caller
    warn_once_at_caller(f"torch.searchsorted(): {what} is non-contiguous, this will lower the performance due to "
                        "extra data copy when converting non-contiguous tensor to contiguous, please use contiguous "
                        f"{what} if possible. This message will only appear once per program.")


_SEARCHSORTED_SIGS = tuple(
    f"Tensor sorted_sequence, {v}, *, bool out_int32 = False, bool right = False, str side = None, "
    "Tensor sorter = None, Tensor out = None" for v in ("Tensor input", "Number self"))
_BUCKETIZE_SIGS = ("Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None",
                   "Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False")
_NUMBER = (numbers.Number, np.number, np.bool_)


def _refuse_search_args(name, positional, given, extra, sigs):
    """PyTorch's parser's refusal of ``searchsorted``/``bucketize`` arguments of wrong types (it has
    two signatures: a tensor or a number to look up). ``given``: the keyword arguments given (listed
    latest in the signature first, as the parser lists keywords)."""
    ok = {"out_int32": lambda v: v.__class__ is bool, "right": lambda v: v.__class__ is bool,
          "side": lambda v: v is None or isinstance(v, str), "sorter": lambda v: v is None or isinstance(v, Tensor),
          "out": lambda v: v is None or isinstance(v, Tensor)}
    tensor_first = name == "searchsorted"
    seq, value = positional if tensor_first else positional[::-1]
    known = set(ok) if tensor_first else {"out_int32", "right", "out"}
    if (extra or not set(given) <= known or not isinstance(seq, Tensor) or not isinstance(value, (Tensor,) + _NUMBER)
            or not all(ok[k](v) for k, v in given.items() if k in known)
            or (name == "bucketize" and not isinstance(value, Tensor) and "out" in given)):
        if not tensor_first and not extra and len(given) == 3 and set(given) <= known:
            # five arguments: more than bucketize's Number signature takes, so PyTorch's parser words
            # the tensor signature's own first error, parameter by parameter
            for pos, (argname, v) in enumerate(zip(("input", "boundaries"), positional)):
                if not isinstance(v, Tensor):
                    raise wrong_type(name, argname, "Tensor", v, pos + 1)
            for k in ("out_int32", "right", "out"):
                if not ok[k](given[k]):
                    raise wrong_type(name, k, "Tensor" if k == "out" else "bool", given[k])
        raise invalid_combination(name, tuple(positional) + tuple(extra), given, sigs)


def _given(**options):
    """The keyword arguments a caller gave (``NOT_GIVEN``, or None for an optional one: left out)."""
    return {k: v for k, v in options.items()
            if v is not NOT_GIVEN and not (v is None and k in ("side", "sorter", "out"))}


def _searchsorted_frontend(op):
    table = op.table

    def searchsorted(sorted_sequence, input, *args, out_int32=NOT_GIVEN, right=NOT_GIVEN, side=None, sorter=None,
                     out=None, **unknown):
        _refuse_search_args("searchsorted", (sorted_sequence, input), _given(
            out_int32=out_int32, right=right, side=side, sorter=sorter, out=out, **unknown), args, _SEARCHSORTED_SIGS)
        return _search(sorted_sequence, input, out_int32 is True, right is True, side, sorter, out)

    def _search(sorted_sequence, input, out_int32, right, side, sorter, out):
        scalar = not isinstance(input, Tensor)
        seq = sorted_sequence._data
        if side is not None:
            if side not in ("left", "right"):
                raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
            if right and side == "left":
                raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                                   "while right was True")
            right = side == "right"
        xp = _xp(sorted_sequence)
        srt = sorter._data if sorter is not None else None
        if srt is not None:  # (PyTorch's checks, in its order: the sorter's, then the shapes', then out's)
            if srt.shape != seq.shape:
                raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                                   f"tensor {list(seq.shape)}and got sorter tensor {list(srt.shape)}")
            if srt.dtype != np.int64:
                raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                                   f"{F._type_name(srt.dtype)}")
            if srt.size and (int(srt.min()) < 0 or int(srt.max()) >= srt.shape[-1]):
                raise RuntimeError("torch.searchsorted(): sorter index out of range")
        in_shape = () if scalar else input._data.shape
        if not in_shape and seq.ndim != 1:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                               f"is 1, but we got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
        if seq.ndim == 0:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                               "dimension")
        if seq.ndim > 1 and in_shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(in_shape)}")
        res_dtype = np.dtype(np.int32 if out_int32 else np.int64)
        if out is not None:
            if out._data.dtype != res_dtype:
                raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
                                   "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
                                   f"dtype {F._type_name(out._data.dtype)} and out_int32 flag is {out_int32}")
            _resize_out(out, in_shape)
        if scalar:
            # PyTorch wraps the number as a 0-d tensor and promotes: one of a higher category than the
            # boundaries (0.5 against integers) compares in the promoted dtype, else in theirs
            vals = xp.asarray(input)
            if vals.dtype.kind == "c" and seq.dtype.kind != "c":  # (a complex number: only to be refused below)
                vals = vals.astype(np.complex128 if seq.dtype == np.float64 else np.complex64)
            if F._CATEGORY[vals.dtype.kind] > F._CATEGORY[seq.dtype.kind]:
                seq = seq.astype(np.result_type(seq.dtype, vals.dtype))
            vals = vals.astype(seq.dtype)
        else:
            vals = input._data
        if vals.size:  # (PyTorch returns before its dispatch on the compared dtype, which has no bool or complex)
            kinds = {vals.dtype.kind, seq.dtype.kind}
            if kinds == {"b"} or "c" in kinds:
                wide = {vals.dtype, seq.dtype} & {np.dtype(np.float64), np.dtype(np.complex128)}
                common = "Bool" if kinds == {"b"} else "ComplexDouble" if wide else "ComplexFloat"
                raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for '{common}'")
            if not scalar and not input.is_contiguous():
                _warn_non_contiguous("input value tensor")
            if not sorted_sequence.is_contiguous():
                _warn_non_contiguous("boundary tensor")
            res = table[sorted_sequence._device.type](seq, vals, "right" if right else "left", srt)
        else:
            res = xp.zeros(in_shape, np.int64)
        res = xp.asarray(res).astype(res_dtype, copy=False)
        if out is not None:
            F.store_into(out, res, "searchsorted")
            return out
        return wrap(res, sorted_sequence._device)
    searchsorted.search = _search  # (bucketize's frontend, past its own parser checks)
    return searchsorted


def _resize_out(t, shape):
    """``t`` resized to ``shape``, with PyTorch's deprecation warning where it held elements."""
    if tuple(t.shape) != tuple(shape):
        if t._data.size:
            from ...caller_warnings import warn_at_caller
            warn_at_caller(F._RESIZED.format(old=list(t.shape), new=list(shape)), UserWarning)
        t.resize_(tuple(shape))


_searchsorted = defop("searchsorted", kernel=_searchsorted_kernel, frontend=_searchsorted_frontend, method=False,
                      differentiable=False)


def _bucketize(input, boundaries, *args, out_int32=NOT_GIVEN, right=NOT_GIVEN, out=None, **unknown):
    _refuse_search_args("bucketize", (input, boundaries), _given(out_int32=out_int32, right=right, out=out, **unknown),
                        args, _BUCKETIZE_SIGS)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return _searchsorted.frontend.search(boundaries, input, out_int32 is True, right is True, None, None, out)


# (no Tensor.bucketize: PyTorch has none)
defop("bucketize", frontend=lambda op: _bucketize, method=False, differentiable=False)
