"""Tensors of a given size and a fixed content: ``zeros``/``ones``/``empty``/``full``, their
``*_like`` forms (which keep the input's memory layout), ``empty_strided``, ``eye`` and
``tril_indices``/``triu_indices``; and ``checked_fill_value``, PyTorch's conversion of a Python
number into one element of a dtype.

Separate because these share one shape of signature (a size, then ``dtype``/``device``/
``requires_grad``/``memory_format``) and the hot ``zeros``/``ones`` path.
"""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...device import get_backend
from ...tensor import Tensor
from ... import memory_layout as _ml
from .. import _frontend as F
from ..conversion import float8_from_number, resolve_device
from ...sparse.compressed_data import SparseCompressedData
from ._common import (_check_dtype, _create, _finish, _make, _not_implemented, _size, no_sparse_kernel, sparse_empty,
                      sparse_layout)
from tensorgraft.dtypes import np_kind as _np_kind


def _filled(fname, fill):
    def make(*size, size_=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False, memory_format=None, **kw):
        if kw:
            if set(kw) != {"size"}:
                raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(set(kw) - {'size'}))}'")
            size_ = kw["size"]
        if not size and size_ is None:
            raise TypeError(f"{fname}() missing 1 required positional arguments: \"size\"")
        dtype = _check_dtype(dtype, fname)
        shape = _size(size, fname, size_)
        dev = resolve_device(device)
        if layout is not None and sparse_layout(layout, fname):
            return _sparse_factory(fname, shape, dtype, dev, requires_grad, layout)
        npd = (dtype or _dt.get_default_dtype()).np
        if memory_format is not None and fname != "empty":  # only empty() takes one in PyTorch
            raise TypeError(f"{fname}() got an unexpected keyword argument 'memory_format'")
        if memory_format is not None and memory_format is not _ml.contiguous_format:
            return _make(_create(dev, lambda xp: _in_format(xp, fill(xp, shape, npd), memory_format)), dev,
                         requires_grad)
        return _make(_create(dev, lambda xp: fill(xp, shape, npd)), dev, requires_grad)
    make.__name__ = make.__qualname__ = fname
    make.__doc__ = f"``tensorgraft.{fname}(*size, dtype=None, device=None, requires_grad=False)``"
    return F.factory_with_out(fname)(make)


def _sparse_factory(fname, shape, dtype, dev, requires_grad, layout):
    """``zeros``/``empty`` with a sparse ``layout``: a sparse tensor without entries; ``ones`` has
    nothing to store sparsely, and PyTorch refuses it."""
    if fname == "ones":
        raise RuntimeError("full(...) is not implemented for sparse layout")
    return sparse_empty(shape, dtype or _dt.get_default_dtype(), dev, requires_grad, layout=layout)


zeros = _filled("zeros", lambda xp, s, d: xp.zeros(s, d))
ones = _filled("ones", lambda xp, s, d: xp.ones(s, d))
# Tensors made by ``empty`` are zero-filled: the values are unspecified in PyTorch, and zeros
# make programs that (wrongly) read them reproducible instead of flaky.
empty = _filled("empty", lambda xp, s, d: xp.zeros(s, d))


def _in_format(xp, data, memory_format):
    """A factory's fresh C-ordered ``data`` laid out in ``memory_format`` (PyTorch refuses
    ``preserve_format`` here: there is no input to preserve)."""
    if memory_format is _ml.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    _ml.check_format_rank(data.ndim, memory_format)
    return _ml.relayout_like(xp, data, data, memory_format)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor (zeros here, see ``empty``) with exactly these strides."""
    if layout is not None and sparse_layout(layout, "empty_strided"):
        raise no_sparse_kernel("empty_strided", "empty_strided")
    dtype = _check_dtype(dtype, "empty_strided")
    shape = _size((size,), "empty_strided")
    stride = tuple(int(s) for s in stride)
    if len(stride) != len(shape):
        raise RuntimeError("mismatch in length of strides and shape")
    dev = resolve_device(device)
    npd = (dtype or _dt.get_default_dtype()).np
    return _make(_create(dev, lambda xp: _ml.empty_with_strides(xp, shape, stride, npd)), dev, requires_grad)


def _fill_dtype(fill_value) -> _dt.dtype:
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    return _dt._scalar_dtype(fill_value)


@F.factory_with_out("full")
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """The dtype follows ``fill_value`` (int -> int64, float -> default, bool -> bool) as in PyTorch."""
    dtype = _check_dtype(dtype, "full")
    if layout is not None and sparse_layout(layout, "full"):
        raise RuntimeError("full(...) is not implemented for sparse layout")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {c_type_name(size)}")
    shape = _size((size,), "full")
    if not isinstance(fill_value, (Tensor, int, float, complex, np.number, np.bool_)) or \
            (isinstance(fill_value, Tensor) and fill_value.dim() != 0):  # (a tensor only as a 0-d Number)
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {c_type_name(fill_value)}")
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    # (one element takes c10's unchecked conversion into the 16- and 8-bit floats: full((1,), 1e5,
    # dtype=float16) is inf, where two elements refuse it)
    fill_value = checked_fill_value(fill_value, dtype.np, math.prod(shape) != 1)
    dev = resolve_device(device)
    return _make(_create(dev, lambda xp: xp.full(shape, fill_value, dtype=dtype.np)), dev, requires_grad)


def checked_fill_scalar(value, npdtype, range_check=True):
    """A fill value (masked_fill, index_fill, scatter's ``value``) as PyTorch converts it into one
    element of ``npdtype``: a Python number through ``checked_fill_value``; a 0-d tensor's array,
    read on the host (PyTorch reads it with ``.item()``), through the same checks where its kind
    could lose or wrap something (a float or complex into an integer type); else as it is."""
    if isinstance(value, (numbers.Number, np.bool_)):
        return checked_fill_value(value, npdtype, range_check)
    if value.__class__ is np.ndarray and value.ndim == 0 and _np_kind(value.dtype) in "fc" and (
            _np_kind(np.dtype(npdtype)) in "iu" or np.dtype(npdtype).name in _FLOAT_MAX or np.dtype(npdtype) == np.complex64):
        checked_fill_value(value.item(), npdtype)  # (a float64 1e40 does not fit a float32 either)
    return value


# the finite values each 8-bit float holds, as c10's checked conversion tests them
_FLOAT8_RANGE = {d.np: (float(_dt.finfo(d).min), float(_dt.finfo(d).max)) for d in _dt.FLOAT8_DTYPES}


# the finite range c10's checked conversion allows each narrower-than-double float (complex64: per part)
_F32_MAX = float(np.finfo(np.float32).max)
_FLOAT_MAX = {"float32": _F32_MAX, "float16": 65504.0, "bfloat16": float(_dt.finfo(_dt.bfloat16).max)}
_COMPLEX_NAMES = {"complex64": "c10::complex<float>"}


def _check_float_range(value, npdtype, highest):
    """c10's overflow test for a number into a float type: NaN and the infinities always fit; a
    finite value fits up to the type's largest finite value exactly (3.4028235e38, one double ulp
    past float's max, does not fit a float32 even though it rounds to it)."""
    if not -highest <= value <= highest and not math.isinf(value) and value == value:
        name = np.dtype(npdtype).name
        raise RuntimeError(f"value cannot be converted to type {_COMPLEX_NAMES.get(name) or F._CONVERT_NAMES[name]} "
                           "without overflow")


def checked_fill_value(value, npdtype, range_check=True):
    """A Python number as PyTorch converts it into one element of ``npdtype`` (c10's checked
    conversion): RuntimeError "value cannot be converted ... without overflow" where it does not
    fit, except that a negative int wraps into an unsigned type (``-1`` -> 255); a complex number
    needs a zero imaginary part to enter a real type; a float into an integer type truncates.
    A number outside float's range into a float32 or complex64 raises the same overflow error; so
    does one outside a half's, bfloat16's or 8-bit float's range unless ``range_check=False``: the
    paths that write a single element (``full``/``fill_`` of one element, ``t[i] = x``) take c10's
    unchecked conversion for those (1e5 becomes a half's inf, 1e10 saturates into e4m3fn), where
    filling several elements, ``masked_fill`` and the like refuse it. A Python int outside
    [-2**63, 2**64) is refused first with PyTorch's argument parser's OverflowError."""
    if value.__class__ is int and not -(1 << 63) <= value < 1 << 64:
        # PyTorch's argument parser reads a Python int as an int64 or else a uint64, whatever the dtype
        raise OverflowError("int too big to convert" if value > 0 else "can't convert negative int to unsigned")
    kind = _np_kind(np.dtype(npdtype))
    if kind == "c" and not isinstance(value, (bool, np.bool_)):
        if np.dtype(npdtype) == np.complex64:  # (each part checked against float's range, as c10 does)
            _check_float_range(value.real, npdtype, _F32_MAX)
            _check_float_range(value.imag, npdtype, _F32_MAX)
        return value
    if kind in "bc" or isinstance(value, (bool, np.bool_)):
        if npdtype in _FLOAT8_RANGE and kind == "f":
            return float8_from_number(value, npdtype)  # (False into e8m0 is its 0 bits, where ml_dtypes gives NaN)
        return value
    if isinstance(value, (complex, np.complexfloating)):
        if value.imag != 0:
            raise F.complex_into_real(npdtype)
        value = value.real
    if kind == "f":
        if npdtype in _FLOAT8_RANGE:
            # c10 checks a number against the 8-bit float's finite range (e8m0: its positive one); it
            # builds the value from a float
            if isinstance(value, (int, np.integer)) and npdtype == _dt.float8_e8m0fnu.np:
                # (c10 lets an integer into e8m0 unchecked, converted as a tensor's values are: without its
                # sign, and 0 as the bits 0, the smallest value 2**-127)
                return float8_from_number(value, npdtype)
            lowest, highest = _FLOAT8_RANGE[npdtype]
            # (c10's overflows(): NaN always fits, an infinity only into e5m2, the one with infinities)
            if range_check and value == value and not lowest <= value <= highest and not (
                    math.isinf(value) and npdtype == _dt.float8_e5m2.np):
                raise RuntimeError(f"value cannot be converted to type c10::{_dt.from_numpy_dtype(npdtype).scalar_type} "
                                   "without overflow")
            return float8_from_number(value, npdtype)  # (c10's bits: e5m2's NaN is 0x7f, not ml_dtypes' 0x7e)
        highest = _FLOAT_MAX.get(np.dtype(npdtype).name)
        if highest is not None and (range_check or highest == _F32_MAX):
            _check_float_range(value, npdtype, highest)
        if value.__class__ is int and value >= 1 << 63:
            value = float(value)  # (an int past int64 reaches the 16-bit floats as a float: ml_dtypes takes no uint64)
        # a double becomes a half through float, as c10's Half does (rounding twice)
        return np.float32(value) if np.dtype(npdtype) == np.float16 and isinstance(value, float) else value
    info = np.iinfo(npdtype)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if info.min <= value <= info.max:
            return value
        # (c10 wraps a negative int into an unsigned type only while its magnitude fits: -255 into a
        # uint8 is 1, -256 overflows)
        if kind == "u" and -info.max <= value < 0:
            return value % (1 << (8 * np.dtype(npdtype).itemsize))
    elif math.isfinite(value) and info.min <= value <= info.max:
        return int(value)  # truncated toward zero
    raise RuntimeError(f"value cannot be converted to type {F._CONVERT_NAMES[np.dtype(npdtype).name]} without overflow")


def _like(fname, maker):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
             pin_memory=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(fname, "input", 1, input)
        dtype = _check_dtype(dtype, fname) or input.dtype
        dev = resolve_device(device) if device is not None else input._device
        if _sparse_like(input, layout, fname):  # (the layout follows the input unless given)
            if fname == "ones_like":
                raise no_sparse_kernel(fname, "fill_.Scalar")
            compressed = input._data.__class__ is SparseCompressedData
            return sparse_empty(input.shape, dtype, dev, requires_grad,
                                input._data.sparse_dim if input.is_sparse else None, layout,
                                input._data if compressed else None)
        out = maker(input.shape, dtype=dtype, device=dev, requires_grad=requires_grad)
        sparse_input = input.is_sparse or input._data.__class__ is SparseCompressedData
        return out if sparse_input else _like_layout(out, input, memory_format)
    like.__name__ = like.__qualname__ = fname
    return like


def _sparse_like(input: Tensor, layout, fname: str) -> bool:
    if layout is not None:
        return sparse_layout(layout, fname)
    return input.is_sparse or input._data.__class__ is SparseCompressedData


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              pin_memory=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("full_like", "input", 1, input)
    if _sparse_like(input, layout, "full_like"):
        raise no_sparse_kernel("full_like", "fill_.Scalar")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    out = full(tuple(input.shape), fill_value, dtype=_check_dtype(dtype, "full_like") or input.dtype,
               device=device if device is not None else input._device, requires_grad=requires_grad)
    return out if input.is_sparse else _like_layout(out, input, memory_format)


def _like_layout(out: Tensor, input: Tensor, memory_format) -> Tensor:
    """Lay a ``*_like`` result out as PyTorch does: ``preserve_format`` (the default) keeps the
    input's memory order when the input is dense; a named format imposes its own."""
    a = out._data
    like = input._data
    if memory_format is None or memory_format is _ml.preserve_format:
        if like.strides == a.strides and like.itemsize == a.itemsize:
            return out  # the common case: already the input's strides
    elif memory_format is _ml.contiguous_format:
        return out
    out._data = _ml.relayout_like(get_backend(out._device).xp, a, like, memory_format)
    return out


@F.factory_with_out("eye")
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    if layout is not None and sparse_layout(layout, "eye"):
        raise no_sparse_kernel("eye", "eye.m_out")
    dtype = _check_dtype(dtype, "eye") or _dt.get_default_dtype()
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' must be int, not {c_type_name(v)}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dev = resolve_device(device)
    data = _create(dev, lambda xp: xp.eye(int(n), int(m) if m is not None else int(n), dtype=dtype.np))
    return _make(data, dev, requires_grad)


def _tri_indices_args(fname, row, col, dtype):
    """PyTorch's checks: sizes not negative, then a kernel only for int32/int64."""
    dtype = _check_dtype(dtype, fname) or _dt.int64
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if dtype not in (_dt.int64, _dt.int32):
        raise _not_implemented(fname, dtype)
    return dtype


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    dtype = _tri_indices_args("tril_indices", row, col, dtype)
    r, c = np.tril_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(dtype.np), resolve_device(device), False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    dtype = _tri_indices_args("triu_indices", row, col, dtype)
    r, c = np.triu_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(dtype.np), resolve_device(device), False)

