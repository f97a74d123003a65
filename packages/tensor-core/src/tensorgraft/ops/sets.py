"""Set-like ops: ``unique``, ``unique_consecutive`` and ``isin``.

Neither is differentiable (PyTorch records unique_consecutive's values on a node whose backward raises). ``unique_consecutive``'s output shape depends on the values, so its
kernel reads them (a boolean mask selects the run starts); ``isin`` never leaves the device.
"""
from __future__ import annotations

from tensorgraft.argument_errors import c_type_name

import inspect
import numbers

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import check_bool, is_int, wrap_dim, wrong_type
from ._define import CORE_OPS, defop
from .reduction._shared import _refuse_complex
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)



# =========================================================================== unique
def _unique_kernel(xp, a, return_inverse, return_counts, axis):
    if axis is not None and xp is np and _np_kind(a.dtype) == "f" and a.size and np.isnan(a).any():
        from .reduction._unique_dim import unique_dim_with_nan
        return unique_dim_with_nan(a, axis)
    # every NaN is a value of its own in PyTorch's unique (NaN != NaN); NumPy merges them by default
    extra = {"equal_nan": False} if xp is np and axis is None and _np_kind(a.dtype) in "fc" else {}
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


def record_unique(op, result, input, node_name):
    """PyTorch records unique's values (its int64 inverse and counts never require grad) on a node
    without a derivative: ``node_name`` (``Unique2Backward0``...), whose backward raises."""
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, result[0] if isinstance(result, tuple) else result, (input,), None,
                                node_name=node_name)
    return result


# (gradcheck cannot run through them: PyTorch's nodes for unique's values raise at backward)
UNIQUE_NOT_DIFFERENTIABLE = {"gradcheck": "PyTorch gives unique no derivative: backward raises",
                             "gradgradcheck": "PyTorch gives unique no derivative: backward raises"}


def _unique_frontend(op):
    table = op.table

    def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
        # PyTorch's Python ``unique`` calls ``_unique2(input, sorted=, ...)``, or with a dim
        # ``unique_dim(input, dim, sorted=, ...)``: the parser's errors name that function, with
        # positions only for the arguments it passes positionally
        fname = "_unique2" if dim is None else "unique_dim"
        if not isinstance(input, Tensor):
            raise wrong_type(fname, "input", "Tensor", input, 1)
        if dim is not None and dim.__class__ is not int and not is_int(dim):
            raise wrong_type(fname, "dim", "int", dim, 2)
        for argname, value in (("sorted", sorted), ("return_inverse", return_inverse),
                               ("return_counts", return_counts)):
            check_bool(fname, argname, value)
        a = input._data
        _refuse_complex(a, "unique" if dim is None else "unique_dim")
        if dim is not None and a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        axis = None if dim is None else wrap_dim(dim, a.ndim, "unique_dim")
        if axis is not None and 0 in a.shape:
            if a.shape[axis] != 0:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
            if a.shape.count(0) > 1:
                raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
        dev = input._device
        res = unique_results(dev, *table[dev.type](a, return_inverse, return_counts, axis), return_inverse,
                             return_counts)
        return record_unique(op, res, input, "Unique2Backward0" if dim is None else "UniqueDimBackward0")
    return unique


defop("unique", kernel=_unique_kernel, frontend=_unique_frontend, conformance_skip=UNIQUE_NOT_DIFFERENTIABLE)


def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


# =========================================================================== isin
def _isin_kernel(xp, a, b, invert):
    # assume_unique only lets PyTorch skip a dedup; the answer is the same without it, so the
    # kernel always takes the general path (NumPy's assume_unique=True is wrong on repeats)
    return xp.isin(a, b, invert=invert)


def _isin_frontend(op):
    table = op.table

    def isin(elements, test_elements, **kwargs):
        # **kwargs: PyTorch's "invalid combination" message names the keywords given, latest first
        # (``out=`` is taken by the namespace's out wrapper before this runs)
        e_t, t_t = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
        flags_ok = all(k in ("assume_unique", "invert") for k in kwargs) and all(
            isinstance(v, (bool, np.bool_)) for v in kwargs.values())
        if not e_t and not t_t or (not e_t and not isinstance(elements, numbers.Number)) \
                or (not t_t and not isinstance(test_elements, numbers.Number)) or not flags_ok:
            raise _isin_signature_error(elements, test_elements, kwargs)
        invert = kwargs.get("invert", False)   # assume_unique changes no answer (see the kernel)
        ref = elements if e_t else test_elements
        dev = ref._device
        if e_t and t_t and test_elements._device is not dev:
            raise F.device_mismatch("isin", elements, test_elements)
        ranked = []
        for v, is_t in ((elements, e_t), (test_elements, t_t)):
            if is_t:
                ranked.append((v.dtype, _dt.ZERO_DIM if v._data.ndim == 0 else _dt.DIMENSIONED))
            else:
                ranked.append((_dt._scalar_dtype(v), _dt.SCALAR))
        for v, is_t in ((elements, e_t), (test_elements, t_t)):
            # PyTorch's isin kernels take no bool or complex operand, elements checked first; a
            # number is checked as the tensor it becomes (a Python complex: ComplexDouble)
            if is_t:
                kind, tname = _np_kind(v._data.dtype), F._type_name(v._data.dtype)
            else:
                kind = "b" if isinstance(v, (bool, np.bool_)) else "c" if isinstance(v, numbers.Complex) \
                    and not isinstance(v, numbers.Real) else ""
                tname = "Bool" if kind == "b" else "ComplexDouble"
            if kind in ("b", "c"):
                raise RuntimeError(f"Unsupported input type encountered for isin(): {tname}")
        common = _dt.result_type_ranked(ranked).np
        from ..device import get_backend
        xp = get_backend(dev).xp
        a = elements._data.astype(common, copy=False) if e_t else _number_as(xp, elements, common)
        b = test_elements._data.astype(common, copy=False) if t_t else _number_as(xp, [test_elements], common)
        return wrap(xp.asarray(table[dev.type](a, b, bool(invert))), dev)
    # introspection shows the keywords isin takes, not the **kwargs it reads them through
    isin.__signature__ = inspect.Signature([
        inspect.Parameter("elements", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("test_elements", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("assume_unique", inspect.Parameter.KEYWORD_ONLY, default=False),
        inspect.Parameter("invert", inspect.Parameter.KEYWORD_ONLY, default=False)])
    return isin


def _number_as(xp, v, common):
    """``v`` (a number, or one in a list) in isin's common dtype. PyTorch casts the number as c10
    does: -1 wraps into the unsigned types (65535 in uint16) and loses its sign in float8_e8m0fnu,
    where NumPy refuses the former and ml_dtypes makes the latter NaN; those take the slow way."""
    if common not in _FLOAT8_NP:
        try:
            return xp.asarray(v, dtype=common)
        except OverflowError:
            pass
    from .conversion import _to_kernel
    num = v[0] if isinstance(v, list) else v
    src = np.asarray(v, dtype=_dt._scalar_dtype(num).np)  # (the number as PyTorch's 0-d tensor of it)
    return xp.asarray(_to_kernel(np, src, common, False))


_FLOAT8_NP = frozenset(d.np for d in _dt.FLOAT8_DTYPES)
_ISIN_TAIL = "*, bool assume_unique = False, bool invert = False, Tensor out = None"


def _isin_signature_error(elements, test_elements, kwargs):
    got = [c_type_name(elements), c_type_name(test_elements)]
    got += [f"{k}={c_type_name(v)}" for k, v in reversed(kwargs.items())]
    overloads = ("Tensor elements, Tensor test_elements", "Number element, Tensor test_elements",
                 "Tensor elements, Number test_element")
    lines = "".join(f" * ({o}, {_ISIN_TAIL})\n" for o in overloads)
    return TypeError(f"isin() received an invalid combination of arguments - got ({', '.join(got)}), "
                     f"but expected one of:\n{lines}")


def _isin_samples(dtype, device):
    from .creation import tensor
    x = tensor([[1.0, 2.5, -1.0], [0.5, 2.5, 3.0]], dtype=dtype, device=device)
    t = tensor([2.5, 3.0, 7.0], dtype=dtype, device=device)
    return [((x, t), {}), ((x, t), {"invert": True}), ((x, 0.5), {}), ((2.5, t), {"assume_unique": True})]


def _isin_reference(elements, test_elements, assume_unique=False, invert=False):
    return np.isin(elements, test_elements, invert=invert)


defop("isin", kernel=_isin_kernel, frontend=_isin_frontend, method=False, differentiable=False,
      samples=_isin_samples, reference=_isin_reference)


# =========================================================================== unique_consecutive
def _unique_consecutive_kernel(xp, a, axis):
    """(values, inverse, counts): the first element of each run of equal elements (of equal
    slices along ``axis``); NaN never equals NaN, so each NaN starts a run, as in PyTorch."""
    if axis is None:
        rows = a.reshape(-1)
        inv_shape = a.shape
    else:
        rows = xp.moveaxis(a, axis, 0)
        inv_shape = (a.shape[axis],)
    n = rows.shape[0]
    start = xp.ones((n,), dtype=bool)
    if n > 1:
        neq = rows[1:] != rows[:-1]
        if neq.ndim > 1:
            neq = neq.reshape(n - 1, -1).any(axis=1)
        start[1:] = neq
    vals = rows[start]
    if axis is not None:
        vals = xp.moveaxis(vals, 0, axis)
    inv = (xp.cumsum(start, dtype=np.int64) - 1).reshape(inv_shape)
    first = xp.flatnonzero(start)
    counts = xp.diff(xp.concatenate([first, xp.asarray([n], dtype=first.dtype)])).astype(np.int64, copy=False)
    return vals, inv, counts


def _unique_consecutive_frontend(op):
    table = op.table

    def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("unique_consecutive", "input", 1, input)
        # PyTorch's Python wrapper passes the rest by keyword: no positions in the parser's errors
        check_bool("unique_consecutive", "return_inverse", return_inverse)
        check_bool("unique_consecutive", "return_counts", return_counts)
        if dim is not None and dim.__class__ is not int and not is_int(dim):
            raise wrong_type("unique_consecutive", "dim", "int", dim)
        a = input._data
        if _np_kind(a.dtype) == "c":  # PyTorch's kernels (shared with unique) have no complex case
            kernel = "unique" if dim is None else "unique_dim"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{F._type_name(a.dtype)}'")
        axis = None
        if dim is not None:
            # PyTorch's unique_dim_consecutive checks the dim as unique(dim=) does
            if a.ndim == 0:
                raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
            axis = wrap_dim(dim, a.ndim)
            if 0 in a.shape:
                if a.shape[axis] != 0:
                    raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                                       "applied")
                if a.shape.count(0) > 1:
                    raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be "
                                       "applied ")
        dev = input._device
        return record_unique(op, unique_results(dev, *table[dev.type](a, axis), return_inverse, return_counts), input,
                             "UniqueConsecutiveBackward0")
    return unique_consecutive


def _unique_consecutive_samples(dtype, device):
    from .creation import tensor
    x = tensor([1.0, 1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 2.0], dtype=dtype, device=device)
    m = tensor([[1.0, 1.0], [1.0, 1.0], [2.0, 3.0], [1.0, 1.0]], dtype=dtype, device=device)
    return [((x,), {}), ((x, True, True), {}), ((m,), {"return_counts": True, "dim": 0}),
            ((m,), {"return_inverse": True, "dim": 1})]


def _unique_consecutive_reference(a, return_inverse=False, return_counts=False, dim=None):
    rows = a.reshape(-1) if dim is None else np.moveaxis(a, dim, 0)
    keep, inv, counts = [], [], []
    for k in range(rows.shape[0]):
        if k == 0 or not np.array_equal(rows[k], rows[k - 1]):
            keep.append(k)
            counts.append(0)
        counts[-1] += 1
        inv.append(len(keep) - 1)
    vals = rows[keep] if dim is None else np.moveaxis(rows[keep], 0, dim)
    res = (vals,)
    if return_inverse:
        res += (np.array(inv).reshape(a.shape if dim is None else (a.shape[dim],)),)
    if return_counts:
        res += (np.array(counts),)
    return res if len(res) > 1 else vals


defop("unique_consecutive", kernel=_unique_consecutive_kernel, frontend=_unique_consecutive_frontend,
      samples=_unique_consecutive_samples, reference=_unique_consecutive_reference,
      conformance_skip=UNIQUE_NOT_DIFFERENTIABLE)

SETS_OPS = CORE_OPS[_FIRST:]
