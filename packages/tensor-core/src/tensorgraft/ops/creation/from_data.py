"""``tensor(data)`` and ``scalar_tensor``: a tensor from Python data (numbers, nested lists and
tuples, NumPy arrays, tensors, DLPack producers), with PyTorch's dtype inference, its reading of
ragged or str-holding sequences, its checked conversions and its warnings.

Separate because reading arbitrary Python data is its own set of rules, unlike the factories
that take a size.
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...caller_warnings import warn_once_at_caller
from ...tensor import Tensor, _warn_scalar_of_grad
from ..conversion import float8_from_number, resolve_device, through_pytorch_step
from ._common import _check_dtype, _finish
from .fills import checked_fill_value
from tensorgraft.dtypes import np_kind as _np_kind

_pyrange = range


# data PyTorch names as invalid rather than saying it cannot infer a dtype for it (a dict, a set
# or None only meet the latter)
_BAD_DATA = (str, bytes)


def _type_label(data) -> str:
    """A value's type as PyTorch's messages name it (``numpy.str_``, ``str``)."""
    cls = type(data)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _infer_dtype(data):
    """PyTorch's inference for ``tensor(data)``: Python floats -> default dtype, ints -> int64,
    bools -> bool, NumPy arrays/scalars and tensors keep their dtype; a sequence takes the
    promotion of its items."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return _dt.from_numpy_dtype(data.dtype)
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (list, tuple)):
        best = None
        for item in data:
            d = _infer_dtype(item)
            if d is None:
                continue
            best = d if best is None else _dt.promote_types(best, d)
        return best
    if isinstance(data, bool):
        return _dt.bool
    if isinstance(data, numbers.Integral):
        return _dt.int64
    if isinstance(data, numbers.Real):
        return _dt.get_default_dtype()
    if isinstance(data, numbers.Complex):
        return _dt.default_complex_dtype()
    if isinstance(data, _BAD_DATA):
        raise TypeError(f"new(): invalid data type '{_type_label(data)}'")
    if hasattr(data, "__array__") or hasattr(data, "__array_interface__"):
        return _dt.from_numpy_dtype(np.asarray(data).dtype)
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _refuse_str_dimension(data) -> None:
    """PyTorch reads a nested sequence's shape from the first element at each depth, and a str met
    there would be one more dimension (a str is a sequence), which it refuses: ``tensor(["a"])``,
    ``tensor(["a", 1])``. A str further on is refused later, by dtype inference or conversion."""
    probe = data
    while isinstance(probe, (list, tuple)):
        if not probe:
            return
        probe = probe[0]
        if isinstance(probe, str):
            raise ValueError("too many dimensions 'str'")


def _leading_shape(data) -> tuple:
    """The shape PyTorch reads from nested sequences (bytes among them): the length of the first
    element at each depth. It ends at an empty dimension (a 0 last), after which PyTorch reads
    nothing more."""
    shape = []
    probe = data
    while isinstance(probe, (list, tuple, bytes)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    return tuple(shape)


def _conversion_error(data, shape, np_dtype):
    """With a ``dtype`` given, PyTorch infers nothing: it converts element after element (depth
    first), checking each sequence's length as it reaches it. The error of the first it cannot
    take (None when all convert). As there, a str or bytes where a sequence is expected is one
    (of characters)."""
    kind = _np_kind(np.dtype(np_dtype))

    def walk(item, dim):
        if dim == len(shape):
            if isinstance(item, (np.ndarray, Tensor, np.generic)) or isinstance(item, numbers.Number) and (
                    kind in "cb" or isinstance(item, numbers.Real)):
                return None
            name = type(item).__name__
            if kind in "fc":
                return TypeError(f"must be real number, not {name}")
            return TypeError(f"'{name}' object cannot be interpreted as an integer")
        if isinstance(item, (np.ndarray, Tensor)):
            return None  # numbers already: not what failed
        if not isinstance(item, (list, tuple, str, bytes)):
            return TypeError("not a sequence")
        if len(item) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})")
        for sub in item:
            error = walk(sub, dim + 1)
            if error is not None:
                return error
        return None

    return walk(data, 0)


def _integral_item_error(data, to_bool: bool):
    """With an integer or bool dtype, PyTorch converts each Python item itself (depth first): a
    float (NumPy's float64 too) is cast, for bool a complex too; anything else goes through
    ``__index__`` (which NumPy's other float scalars and float tensors lack) and must fit in
    int64. The error of the first item that fails, None when all convert."""
    if isinstance(data, (list, tuple)):
        for item in data:
            error = _integral_item_error(item, to_bool)
            if error is not None:
                return error
        return None
    if isinstance(data, float) or to_bool and isinstance(data, complex):
        return None
    if isinstance(data, Tensor):
        if data._data.size != 1 or data.dtype.category >= 2:
            return TypeError("only integer tensors of a single element can be converted to an index")
        return None
    if isinstance(data, np.ndarray):
        return None
    if isinstance(data, numbers.Integral):
        if not -(1 << 63) <= int(data) < (1 << 63):
            return ValueError("Overflow when unpacking long long")
        return None
    cls = type(data)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return TypeError(f"'{name}' object cannot be interpreted as an integer")


def _to_nested(data, arrays: list):
    """``data`` (a nested sequence) for NumPy. A tensor in it stands for the number it holds, as
    PyTorch reads it (so one of more elements is refused, and one recording gradients warns); the
    NumPy arrays met are counted into ``arrays`` for PyTorch's slowness warning."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            if data._data.dtype.kind in "biu":  # (PyTorch reads an integer tensor as an index there)
                raise TypeError("only integer tensors of a single element can be converted to an index")
            raise ValueError("only one element tensors can be converted to Python scalars")
        if data._requires_grad and _gs.enabled:
            _warn_scalar_of_grad()
        return data._scalar_host()
    if isinstance(data, (list, tuple)):
        return [_to_nested(d, arrays) for d in data]
    if isinstance(data, np.ndarray) and data.ndim:
        arrays.append(data)
    return data


_ARRAYS_SLOW = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting the "
                "list to a single numpy.ndarray with numpy.array() before converting to a tensor.")


def _check_rectangular(data, np_dtype):
    """PyTorch's message for ragged nested sequences. As PyTorch, the shape is read from the
    first element at each depth; every other element is then checked against it. Returns that
    shape when it has an empty dim (PyTorch then reads nothing more: ``[[], [1]]`` is 2 x 0)."""
    shape = _leading_shape(data)
    if 0 in shape:
        return shape

    def walk(item, dim):
        is_seq = isinstance(item, (list, tuple)) or isinstance(item, np.ndarray) and item.ndim
        if dim == len(shape):
            if is_seq:
                kind = type(item).__name__
                if _np_kind(np.dtype(np_dtype)) in "fc":
                    raise TypeError(f"must be real number, not {kind}")
                raise TypeError(f"'{kind}' object cannot be interpreted as an integer")
            return
        if not is_seq:
            raise TypeError("not a sequence")
        if len(item) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})")
        if shape[dim]:
            for sub in item:
                walk(sub, dim + 1)

    walk(data, 0)


def _cast_checked(arr, np_dtype, from_python: bool):
    """Cast values coming from Python data: PyTorch refuses values out of range of an integer dtype
    (but a negative Python int wraps into an unsigned one, as a C cast: ``tensor(-1, dtype=uint8)``
    is 255, while ``tensor(-1.0, dtype=uint8)`` is refused), and a complex number where a real one
    is asked for."""
    if arr.dtype == np_dtype:
        return arr
    k = _np_kind(np.dtype(np_dtype))
    if from_python and _np_kind(arr.dtype) == "c" and k in "iuf":
        raise TypeError("'complex' object cannot be interpreted as an integer" if k in "iu"
                        else "must be real number, not complex")
    if from_python and k in "iu" and _np_kind(arr.dtype) in "iuf" and arr.size:
        info = np.iinfo(np_dtype)
        lowest = -(1 << 63) if k == "u" and _np_kind(arr.dtype) in "iu" else info.min
        if _np_kind(arr.dtype) == "f" and not np.all(np.isfinite(arr)) or arr.min() < lowest or arr.max() > info.max:
            raise RuntimeError(f"value cannot be converted to type {np.dtype(np_dtype).name} without overflow")
    return through_pytorch_step(arr, np_dtype).astype(np_dtype)


def _check_uint64_items(data):
    """PyTorch reads each Python item for a uint64 tensor as an unsigned 64-bit C integer: an int (or
    bool) in [0, 2**64) only, with Python's own messages (no float, not even 2.0, no NumPy scalar)."""
    if isinstance(data, (list, tuple)):
        for x in data:
            _check_uint64_items(x)
    elif not isinstance(data, int):
        raise TypeError("an integer is required")
    elif data < 0:
        raise OverflowError("can't convert negative int to unsigned")
    elif data >> 64:
        raise OverflowError("int too big to convert")


def _uint64_from_python(nested):
    """Python ints for a uint64 tensor, some beyond int64: PyTorch then reads every one as an unsigned
    64-bit value, refusing negative ones and ints beyond 64 bits with Python's own messages."""
    def unsigned(v):
        if isinstance(v, list):
            return [unsigned(x) for x in v]
        v = int(v)
        if v >= 1 << 64:
            raise OverflowError("int too big to convert")
        if v < 0:
            raise OverflowError("can't convert negative int to unsigned")
        return v
    return np.array(unsigned(nested), dtype=np.uint64)


def copy_construct_warning(spelling: str) -> None:
    """PyTorch's hint when a tensor is copied through a constructor meant for Python data."""
    import warnings
    warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than {spelling}(sourceTensor).",
                  UserWarning, stacklevel=3)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """``tensorgraft.tensor(data)``: always copies. dtype inferred as PyTorch does."""
    if isinstance(data, Tensor):
        copy_construct_warning("torch.tensor")
    return tensor_from_data(data, dtype=dtype, device=device, requires_grad=requires_grad)


def tensor_from_data(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``tensor()`` without its warning for a Tensor argument (for callers that copy on purpose)."""
    dtype = _check_dtype(dtype, "tensor")
    dev = resolve_device(device)
    from_python = False
    if isinstance(data, Tensor):
        arr = np.array(data._host(), copy=True)
    elif isinstance(data, np.ndarray):
        _dt.from_numpy_dtype(data.dtype)
        arr = np.array(data, copy=True)
    elif hasattr(data, "__dlpack__") and hasattr(data, "__dlpack_device__"):
        # a device array (CuPy...) or any DLPack producer: copy its values
        from ..conversion import from_dlpack
        src = from_dlpack(data)
        arr = np.array(src._host(), copy=True)
        _dt.from_numpy_dtype(arr.dtype)
        if device is None:
            dev = src._device
    else:
        if isinstance(data, _pyrange):
            data = list(data)  # PyTorch reads a range as the sequence of its ints
        elif isinstance(data, _BAD_DATA):
            raise TypeError(f"new(): invalid data type '{_type_label(data)}'")
        _refuse_str_dimension(data)
        if dtype is _dt.uint64:
            _check_uint64_items(data)
        try:
            inferred = _infer_dtype(data)
        except (TypeError, RuntimeError):
            if dtype is None:
                raise
            shape = _leading_shape(data)
            if 0 not in shape:  # (PyTorch reads no element after an empty dimension: nothing fails)
                error = _conversion_error(data, shape, dtype.np)
                if error is None:
                    raise
                raise error from None
            inferred = dtype
        if inferred is None:  # empty (nested) list
            inferred = _dt.get_default_dtype()
        if dtype is not None and dtype.category <= 1 and inferred.category >= 2:
            error = _integral_item_error(data, dtype is _dt.bool)
            if error is not None:
                raise error
        from_python = True
        build = inferred.np
        if dtype is not None:
            if dtype.category >= 2 and dtype.category >= inferred.category:
                # Python floats go straight to the requested precision; to half through float,
                # rounding twice as c10's Half does
                # (and to the 8-bit floats through float: c10 builds them from a float)
                build = np.float32 if dtype.np == np.float16 or dtype.limited else dtype.np
            elif inferred.category >= 2:
                build = np.complex128 if inferred.category == 3 else np.float64
        arrays = []
        nested = _to_nested(data, arrays)
        try:
            arr = np.array(nested, dtype=build)
        except ValueError:
            empty_shape = _check_rectangular(data, build)
            if empty_shape is None:
                raise
            # no number was read, so the dtype is the default one unless given
            arr = np.zeros(empty_shape, dtype=build if dtype is not None else _dt.get_default_dtype().np)
        except OverflowError:
            if dtype is not _dt.uint64 or inferred is not _dt.int64:
                raise ValueError("Overflow when unpacking long long") from None
            arr = _uint64_from_python(nested)
        if arrays and arr.size:
            for _ in arrays:  # PyTorch warns at each array it copies element by element
                warn_once_at_caller(_ARRAYS_SLOW)
    if dtype is not None:
        arr = _cast_checked(arr, dtype.np, from_python)
    elif arr.dtype not in _dt._BY_NUMPY:
        _dt.from_numpy_dtype(arr.dtype)
    return _finish(arr, dev, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    # a number: Python's or NumPy's, or a 0-d tensor (not a str, a list, an array: PyTorch's check)
    if isinstance(s, Tensor) and s.ndim == 0:
        s = s.item()
    elif not isinstance(s, (bool, int, float, complex, np.number, np.bool_)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {c_type_name(s)}")
    dtype = _check_dtype(dtype, "scalar_tensor") or _dt.get_default_dtype()
    if dtype in _dt.FLOAT8_DTYPES:
        # c10 converts the number unchecked here (1e10 saturates into e4m3fn), where full() range-checks it
        a = np.asarray(float8_from_number(s, dtype.np))
        return _finish(a, resolve_device(device), requires_grad)
    # (the one-element path: a half or bfloat16 takes 1e5 unchecked, as inf; a float32 refuses 1e40)
    return tensor(checked_fill_value(s, dtype.np, False), dtype=dtype, device=device, requires_grad=requires_grad)
