"""Creating tensors: from data, filled, ranges, identity, legacy typed constructors. (Random
sampling, built on these helpers, is ``sampling.py``.)"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device, get_backend
from ..grad_mode import state as _gs
from ..caller_warnings import warn_once_at_caller
from ..tensor import Size, Tensor, _warn_scalar_of_grad, wrap
from .. import memory_layout as _ml
from . import _frontend as F
from .conversion import asarray, frombuffer, move_array, resolve_device  # noqa: F401  (re-exported)
from ._args import ONE_SEQUENCE_ONLY, invalid_combination

__all__ = [
    "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "range", "linspace", "logspace", "eye", "FloatTensor", "DoubleTensor",
    "LongTensor", "IntTensor", "BoolTensor", "ByteTensor", "HalfTensor", "ShortTensor", "CharTensor",
    "scalar_tensor", "empty_strided", "tril_indices", "triu_indices", "asarray", "frombuffer",
]

_CPU = _device("cpu")
_pyrange = range


def _size(size, fname: str, kwsize=None) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(Size)``, ``zeros(size=(2, 3))``,
    with PyTorch's messages for bad sizes."""
    if kwsize is not None:
        if size:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        size = (kwsize,)
    elif size and size.__class__ is tuple:
        # fast path: ``zeros(2, 3)`` with plain non-negative ints
        for s in size:
            if s.__class__ is not int or s < 0:
                break
        else:
            return size
    if not size and fname in ONE_SEQUENCE_ONLY:  # x.new_zeros(): no size at all (zeros() checks it itself)
        raise TypeError(f"{fname}() missing 1 required positional arguments: \"size\"")
    if len(size) > 1 and isinstance(size[0], (tuple, list)) and fname in ONE_SEQUENCE_ONLY:
        raise TypeError(f"{fname}() takes 1 positional argument but {len(size)} were given")
    given = len(size)
    if len(size) == 1:
        one = size[0]
        if isinstance(one, (tuple, list)):
            size = one
        elif isinstance(one, Tensor) and one.ndim == 1:
            size = one.tolist()
        elif not (isinstance(one, numbers.Integral) or (isinstance(one, Tensor) and one.ndim == 0)) \
                or isinstance(one, bool):
            raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(one).__name__}")
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) and s.ndim == 0 and s.dtype.category == 1:
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            if i == 0:  # (the error path: valid sizes never get here)
                # PyTorch's parser reads a size whose first element is not an int as the
                # one-sequence form: a sequence names the element, more arguments are too many
                if given == 1:
                    raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, but found "
                                    f"element of type {type(s).__name__} at pos 0")
                if fname not in ("rand", "randn"):  # (those two list their overloads instead)
                    raise TypeError(f"{fname}() takes 1 positional argument but {given} were given")
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(s).__name__}\"")
        out.append(int(s))
    for s in out:
        if s < 0:
            if fname == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


_PY_DTYPES = {float: _dt.float64, int: _dt.int64, bool: _dt.bool, complex: _dt.complex128}


def _check_dtype(dtype, fname):
    """``dtype=`` argument: a tensorgraft dtype, None, or (as PyTorch accepts) a Python type."""
    if dtype is None or dtype.__class__ is _dt.dtype:
        return dtype
    d = _PY_DTYPES.get(dtype) if isinstance(dtype, type) else None
    if d is None:
        raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    return d


def _check_requires_grad(dtype) -> None:
    if dtype.category < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _finish(data, dev, requires_grad: bool) -> Tensor:
    if dev is not _CPU:
        data = move_array(data, _CPU, dev)
    t = wrap(data, dev)
    if requires_grad:
        _check_requires_grad(_dt._BY_NUMPY[data.dtype])
        t.requires_grad_(True)
    return t


def _create(dev, make):
    """``make(xp)`` with ``dev``'s array namespace: creation runs on the device directly (no host
    round-trip), and on the indexed device itself (``cuda:1`` while GPU 0 is current)."""
    if dev is _CPU:
        return make(np)
    backend = get_backend(dev)
    on = getattr(backend, "on", None)  # (a backend need not subclass DeviceBackend)
    if on is None:
        return make(backend.xp)
    with on(dev.index):
        return make(backend.xp)


def _make(data, dev, requires_grad):
    """Wrap an array already on ``dev``."""
    t = wrap(data, dev)
    if requires_grad:
        _check_requires_grad(_dt._BY_NUMPY[data.dtype])
        t.requires_grad_(True)
    return t


# data PyTorch names as invalid rather than saying it cannot infer a dtype for it (a dict, a set
# or None only meet the latter)
_BAD_DATA = (str, bytes)


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
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
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
    kind = np.dtype(np_dtype).kind

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


def _to_nested(data, arrays: list):
    """``data`` (a nested sequence) for NumPy. A tensor in it stands for the number it holds, as
    PyTorch reads it (so one of more elements is refused, and one recording gradients warns); the
    NumPy arrays met are counted into ``arrays`` for PyTorch's slowness warning."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
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
                if np.dtype(np_dtype).kind in "fc":
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
    k = np.dtype(np_dtype).kind
    if from_python and arr.dtype.kind == "c" and k in "iuf":
        raise TypeError("'complex' object cannot be interpreted as an integer" if k in "iu"
                        else "must be real number, not complex")
    if from_python and k in "iu" and arr.dtype.kind in "iuf" and arr.size:
        info = np.iinfo(np_dtype)
        lowest = -(1 << 63) if k == "u" and arr.dtype.kind in "iu" else info.min
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)) or arr.min() < lowest or arr.max() > info.max:
            raise RuntimeError(f"value cannot be converted to type {np.dtype(np_dtype).name} without overflow")
    return arr.astype(np_dtype)


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
        from .conversion import from_dlpack
        src = from_dlpack(data)
        arr = np.array(src._host(), copy=True)
        _dt.from_numpy_dtype(arr.dtype)
        if device is None:
            dev = src._device
    else:
        if isinstance(data, _pyrange):
            data = list(data)  # PyTorch reads a range as the sequence of its ints
        elif isinstance(data, _BAD_DATA):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        _refuse_str_dimension(data)
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
        from_python = True
        build = inferred.np
        if dtype is not None:
            if dtype.category >= 2 and dtype.category >= inferred.category:
                build = dtype.np  # Python floats go straight to the requested precision
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
            raise ValueError("Overflow when unpacking long long") from None
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
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    dtype = _check_dtype(dtype, "scalar_tensor") or _dt.get_default_dtype()
    return tensor(checked_fill_value(s, dtype.np), dtype=dtype, device=device, requires_grad=requires_grad)


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
        npd = (dtype or _dt.get_default_dtype()).np
        if memory_format is not None and memory_format is not _ml.contiguous_format:
            return _make(_create(dev, lambda xp: _in_format(xp, fill(xp, shape, npd), memory_format)), dev,
                         requires_grad)
        return _make(_create(dev, lambda xp: fill(xp, shape, npd)), dev, requires_grad)
    make.__name__ = make.__qualname__ = fname
    make.__doc__ = f"``tensorgraft.{fname}(*size, dtype=None, device=None, requires_grad=False)``"
    return make


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


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """The dtype follows ``fill_value`` (int -> int64, float -> default, bool -> bool) as in PyTorch."""
    dtype = _check_dtype(dtype, "full")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    shape = _size((size,), "full")
    if not isinstance(fill_value, (Tensor, int, float, complex, np.number, np.bool_)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    fill_value = checked_fill_value(fill_value, dtype.np)
    dev = resolve_device(device)
    return _make(_create(dev, lambda xp: xp.full(shape, fill_value, dtype=dtype.np)), dev, requires_grad)


def checked_fill_value(value, npdtype):
    """A Python number as PyTorch converts it into one element of ``npdtype`` (c10's checked
    conversion): RuntimeError "value cannot be converted ... without overflow" where it does not
    fit, except that a negative int wraps into an unsigned type (``-1`` -> 255); a complex number
    needs a zero imaginary part to enter a real type; a float into an integer type truncates."""
    kind = np.dtype(npdtype).kind
    if kind in "bc" or isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (complex, np.complexfloating)):
        if value.imag != 0:
            raise F.complex_into_real(npdtype)
        value = value.real
    if kind == "f":
        return value
    info = np.iinfo(npdtype)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if info.min <= value <= info.max:
            return value
        if kind == "u" and -(1 << 63) <= value < 0:
            return value % (1 << (8 * np.dtype(npdtype).itemsize))
    elif math.isfinite(value) and info.min <= value <= info.max:
        return int(value)  # truncated toward zero
    raise RuntimeError(f"value cannot be converted to type {F._CONVERT_NAMES[np.dtype(npdtype).name]} without overflow")


def _like(fname, maker):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
             pin_memory=False):
        if not isinstance(input, Tensor):
            raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        out = maker(input.shape, dtype=_check_dtype(dtype, fname) or input.dtype,
                    device=device if device is not None else input._device, requires_grad=requires_grad)
        return _like_layout(out, input, memory_format)
    like.__name__ = like.__qualname__ = fname
    return like


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              pin_memory=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"full_like(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    out = full(tuple(input.shape), fill_value, dtype=_check_dtype(dtype, "full_like") or input.dtype,
               device=device if device is not None else input._device, requires_grad=requires_grad)
    return _like_layout(out, input, memory_format)


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


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def _cnum(x) -> str:
    """A number as C++ streams print it in PyTorch's messages (``0``, ``-1``, ``nan``, ``2.5``)."""
    if isinstance(x, float) and math.isfinite(x) and x == int(x):
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


# PyTorch's names of the dtypes in its "not implemented for" messages
_KERNEL_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                      "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
                      "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_KERNEL_TYPE_NAMES[dtype.name]}'")


def _fma(a, b, c):
    """``a * b + c`` rounded once (float64 arrays), as a fused multiply-add: Dekker's exact
    product plus a compensated sum."""
    p = a * b

    def split(v):
        t = 134217729.0 * v
        hi = t - (t - v)
        return hi, v - hi
    ah, al = split(a)
    bh, bl = split(np.float64(b))
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    err2 = (p - (s - bb)) + (c - bb)
    return s + (err + err2)


def _float_range(n, start, step, npd):
    """``arange`` values bit-for-bit as PyTorch's CPU kernel computes them: blocks of SIMD
    width start from ``start + step * block_start`` and add ``j * step``; the tail is scalar."""
    idx = np.arange(n, dtype=np.int64)
    if npd == np.float16:
        # accumulated in float32 (exact for short ranges; long float16 ranges may differ in the last bit)
        s32, st32 = float(np.float32(start)), float(np.float32(step))
        return (s32 + idx * st32).astype(np.float32).astype(np.float16)
    v = 4 if npd == np.float64 else 8
    nv = (n // (2 * v)) * 2 * v
    out = np.empty(n, dtype=np.float64)
    if nv:
        j = (idx[:nv] % v).astype(np.float64)
        base = _fma((idx[:nv] - idx[:nv] % v).astype(np.float64), step, start)
        if npd != np.float64:
            base = base.astype(np.float32).astype(np.float64)
        out[:nv] = _fma(j, step, base)
    out[nv:] = _fma(idx[nv:].astype(np.float64), step, start)
    if npd == np.float64:
        return out
    return out.astype(np.float32).astype(npd, copy=False)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False) -> Tensor:
    """Length ``ceil((end - start) / step)`` computed in double, values as PyTorch's kernel."""
    dtype = _check_dtype(dtype, "arange")
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if not isinstance(v, numbers.Real):
            raise TypeError(f"arange(): argument 'end' must be Number, not {type(v).__name__}")
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    if dtype is None:
        dtype = _dt.int64 if all_int else _dt.get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_cnum(start)} -> {_cnum(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dev = resolve_device(device)
    if dtype.category == 3:
        raise _not_implemented("arange_cpu", dtype)
    if dtype.category == 2:
        n = max(0, math.ceil((float(end) - float(start)) / float(step)))
        data = _float_range(n, float(start), float(step), dtype.np)
    else:
        istart, iend, istep = int(start), int(end), int(step)
        if all_int or dtype is _dt.int64:
            if istep == 0:
                raise ValueError("step must be nonzero")
            sgn = (istep > 0) - (istep < 0)
            num = iend - istart + istep - sgn
            q = abs(num) // abs(istep)  # C++ integer division truncates toward zero
            n = max(0, q if (num < 0) == (istep < 0) else -q)
        else:
            n = max(0, math.ceil((float(end) - float(start)) / float(step)))
        data = (istart + np.arange(n, dtype=np.int64) * istep).astype(dtype.np)
    if dev is not _CPU:
        data = move_array(data, _CPU, dev)
    return _make(data, dev, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False) -> Tensor:
    """Deprecated in PyTorch (end inclusive); kept for old tutorials. Default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    dtype = _check_dtype(dtype, "range") or _dt.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    data = (start + np.arange(max(n, 0), dtype=np.float64) * step).astype(dtype.np)
    return _finish(data, resolve_device(device), requires_grad)


def _steps_arg(steps, fname, start, end):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        # several signatures (number or tensor ends): a float count is refused as a whole call,
        # shown as usually written, every argument positionally
        raise invalid_combination(fname, (start, end, steps))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_values(start, end, steps, npd):
    """PyTorch's kernel: ``step`` in the result precision, values computed from the nearer end
    (``start + step * i`` in the first half, ``end - step * (steps - 1 - i)`` after), each as a
    fused multiply-add. Returns float64 values to be cast to ``npd``."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    kind = np.dtype(npd)
    if kind == np.float64 or kind.kind in "iub":
        s, e = float(start), float(end)
        step = (e - s) / (steps - 1)
    elif kind == np.float16:  # every operation rounded to half precision
        h = np.float16
        s, e = h(start), h(end)
        step = h(np.float32(e - s) / np.float32(steps - 1))
        i = np.arange(steps)
        fwd = (s + (step * i.astype(h)).astype(h)).astype(h)
        bwd = (e - (step * (steps - 1 - i).astype(h)).astype(h)).astype(h)
        return np.where(i < steps // 2, fwd, bwd).astype(np.float64)
    else:  # float32: ends and step rounded to single precision
        s, e = float(np.float32(start)), float(np.float32(end))
        step = float(np.float32(np.float32(e - s) / np.float32(steps - 1)))
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.where(i < half, _fma(i, step, s), _fma(-(steps - 1 - i), step, e))


def _range_dtype(fname, dtype, start, end, steps):
    """linspace/logspace's dtype: the one given, else the default float - or the default complex
    when an end point is complex, which then may not be narrowed to a real dtype."""
    given = _check_dtype(dtype, fname)
    complex_ends = any(isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (start, end))
    inferred = _dt.default_complex_dtype() if complex_ends else _dt.get_default_dtype()
    if given is None:
        return inferred
    if complex_ends and given.category < 3:
        legacy = {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}[inferred.np.name]
        raise RuntimeError(f"torch.{fname}(): inferred dtype {legacy} can't be safely cast to passed dtype "
                           f"{F._type_name(given.np)}")
    if given is _dt.bool and steps > 1:  # one point is just ``start``: no kernel runs
        raise NotImplementedError(f"\"{fname}_cpu\" not implemented for 'Bool'")
    return given


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    steps = _steps_arg(steps, "linspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _range_dtype("linspace", dtype, start, end, steps)
    if dtype is _dt.bool:
        return _finish(np.full(steps, start != 0), resolve_device(device), requires_grad)
    if dtype.category == 3:
        vals = np.linspace(start, end, steps)
    elif dtype.category <= 1:
        # the end points are converted to the dtype first (-5 is 251 in uint8; -0.25 is refused)
        start, end = (float(checked_fill_value(v, dtype.np)) for v in (start, end))
        vals = np.trunc(_linspace_values(start, end, steps, dtype.np))
    else:
        vals = _linspace_values(float(start), float(end), steps, dtype.np)
    if dtype is _dt.float16:
        vals = vals.astype(np.float32)
    return _finish(vals.astype(dtype.np), resolve_device(device), requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    steps = _steps_arg(steps, "logspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _range_dtype("logspace", dtype, start, end, steps)
    if dtype is _dt.bool:
        return _finish(np.full(steps, float(base) ** start != 0), resolve_device(device), requires_grad)
    if dtype.category == 3:
        exps = np.linspace(complex(start), complex(end), steps)
        return _finish((complex(base) ** exps).astype(dtype.np), resolve_device(device), requires_grad)
    ends = (start, end)
    start, end = float(start), float(end)
    if steps == 1:
        exps = np.array([start])  # filled with pow(base, start) in double
    elif dtype.category <= 1:
        # the end points are converted to the dtype first (-5 is 251 in uint8; -0.25 is refused)
        start, end = (float(checked_fill_value(v, dtype.np)) for v in ends)
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    elif dtype.category == 2 and dtype is not _dt.float64:
        low = np.float16 if dtype is _dt.float16 else np.float32
        exps = _linspace_values(start, end, steps, low).astype(low).astype(np.float64)
    else:  # exponents as PyTorch computes them for double: start + step * i (no fused multiply-add)
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    base = float(base)
    if steps <= 100_000:  # the C library's pow, as PyTorch's scalar kernel (NumPy's SIMD pow may differ by an ulp)
        vals = np.array([math.pow(base, v) for v in exps.tolist()], dtype=np.float64)
    else:
        vals = np.power(base, exps)
    if dtype.category <= 1:
        vals = np.trunc(vals)
    return _finish(vals.astype(dtype.np), resolve_device(device), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    dtype = _check_dtype(dtype, "eye") or _dt.get_default_dtype()
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dev = resolve_device(device)
    data = _create(dev, lambda xp: xp.eye(int(n), int(m) if m is not None else int(n), dtype=dtype.np))
    return _make(data, dev, requires_grad)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    r, c = np.tril_indices(row, offset, col)
    dtype = _check_dtype(dtype, "tril_indices") or _dt.int64
    return _finish(np.stack([r, c]).astype(dtype.np), resolve_device(device), False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    r, c = np.triu_indices(row, offset, col)
    dtype = _check_dtype(dtype, "triu_indices") or _dt.int64
    return _finish(np.stack([r, c]).astype(dtype.np), resolve_device(device), False)


# --------------------------------------------------------------------------- legacy constructors
def _legacy_construct(dtype, args, kwargs):
    device = kwargs.pop("device", None) or _CPU  # the legacy constructors ignore the default device (PyTorch)
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    if not args:
        return empty(0, dtype=dtype, device=device)
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1:
        return tensor(args[0], dtype=dtype, device=device)
    raise TypeError("new(): invalid arguments: pass sizes as integers or data as one sequence")


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        # tensorgraft.FloatTensor & co. are CPU types (tensorgraft.cuda.FloatTensor the GPU ones), as PyTorch
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype and obj._device.type == "cpu"

    def __call__(cls, *args, **kwargs):
        return _legacy_construct(cls._dtype, args, kwargs)


def _legacy(name, dt):
    return _LegacyMeta(name, (), {"_dtype": dt, "__doc__": f"Legacy constructor: tensors of dtype {dt}."})


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
ShortTensor = _legacy("ShortTensor", _dt.int16)
CharTensor = _legacy("CharTensor", _dt.int8)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
BoolTensor = _legacy("BoolTensor", _dt.bool)


# --------------------------------------------------------------------------- moved names
def __getattr__(name):
    """The random samplers (``rand``, ``normal``, ``dropout_mask``, ``write_host_values``, their
    helpers...) lived here before ``sampling.py``; code that imports them from this module keeps
    working. Resolved on first use because ``sampling`` imports this module."""
    if not name.startswith("__"):
        from . import sampling
        if name in vars(sampling):
            return vars(sampling)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
