"""Creating tensors: from data, filled, ranges, identity, and random sampling."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device, get_backend
from ..cpu.fill_order import fill_values, from_memory_order, memory_axes, to_memory_order
from ..random import random_stream
from ..tensor import Size, Tensor, wrap
from .. import memory_layout as _ml
from . import _frontend as F
from ._define import defop
from .conversion import asarray, frombuffer, move_array, resolve_device  # noqa: F401  (re-exported)

__all__ = [
    "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "range", "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal",
    "bernoulli", "multinomial", "rand_like", "randn_like", "randint_like", "FloatTensor", "DoubleTensor",
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


_BAD_DATA = (str, bytes, dict, set)


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


def _to_nested(data):
    if isinstance(data, Tensor):
        return data._host()
    if isinstance(data, (list, tuple)):
        return [_to_nested(d) for d in data]
    return data


def _check_rectangular(data, np_dtype):
    """PyTorch's message for ragged nested sequences. As PyTorch, the shape is read from the
    first element at each depth; every other element is then checked against it. Returns that
    shape when it has an empty dim (PyTorch then reads nothing more: ``[[], [1]]`` is 2 x 0)."""
    shape = []
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            return tuple(shape)
        probe = probe[0]

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
        inferred = _infer_dtype(data)
        if inferred is None:  # empty (nested) list
            inferred = _dt.get_default_dtype()
        from_python = True
        build = inferred.np
        if dtype is not None:
            if dtype.category >= 2 and dtype.category >= inferred.category:
                build = dtype.np  # Python floats go straight to the requested precision
            elif inferred.category >= 2:
                build = np.complex128 if inferred.category == 3 else np.float64
        try:
            arr = np.array(_to_nested(data), dtype=build)
        except ValueError:
            empty_shape = _check_rectangular(data, build)
            if empty_shape is None:
                raise
            # no number was read, so the dtype is the default one unless given
            arr = np.zeros(empty_shape, dtype=build if dtype is not None else _dt.get_default_dtype().np)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
    if dtype is not None:
        arr = _cast_checked(arr, dtype.np, from_python)
    elif arr.dtype not in _dt._BY_NUMPY:
        _dt.from_numpy_dtype(arr.dtype)
    return _finish(arr, dev, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    if isinstance(s, Tensor):
        s = s.item()
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


def _steps_arg(steps, fname):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"{fname}(): argument 'steps' must be int, not {type(steps).__name__}")
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
    steps = _steps_arg(steps, "linspace")
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
    steps = _steps_arg(steps, "logspace")
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


# --------------------------------------------------------------------------- random sampling
_KERNEL_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                      "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
                      "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


# the C++ spelling of each dtype, which some of PyTorch's sampling messages print
_C_TYPE_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
                 "int32": "int", "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                 "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
                 "complex128": "c10::complex<double>"}


def _no_random_bounds_for_complex(dtype) -> None:
    """``random_(to)``, ``randint(..., dtype=complex)``: PyTorch checks the bounds per dtype first."""
    if dtype.category == 3:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")


def _check_int_bounds(low, high, dtype) -> None:
    """``[low, high)`` must fit an integer (or bool) ``dtype``; PyTorch names it in C++."""
    if dtype.category <= 1:
        lo, hi = (0, 1) if dtype is _dt.bool else (int(np.iinfo(dtype.np).min), int(np.iinfo(dtype.np).max))
        if high - 1 > hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_TYPE_NAMES[dtype.name]}")
        if low < lo:
            raise RuntimeError(f"from is out of bounds for {_C_TYPE_NAMES[dtype.name]}")


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_KERNEL_TYPE_NAMES[dtype.name]}'")


def _stream(generator, dev):
    """(stream, on_device): the stream a sampler making a tensor on ``dev`` draws from, and whether
    its draws are already on ``dev`` (a device stream) or are host arrays to copy there."""
    s = random_stream(generator, dev)
    return s, dev is not _CPU and getattr(s, "on_device", False)


def _matches_pytorch(g, on_device) -> bool:
    """Whether ``g`` is the CPU stream that draws PyTorch's numbers (``cpu/random_stream.py``):
    the samplers then pass it the result's dtype and draw in PyTorch's order."""
    return not on_device and getattr(g, "matches_pytorch", False)


def _pytorch_draw(draw, shape, dtype):
    """A fresh tensor's values from the PyTorch-matching stream: ``draw(shape, np_dtype, is_complex)``;
    a complex tensor is filled through its float view (real and imaginary parts interleaved)."""
    if dtype.category == 3:
        part = np.float32 if dtype is _dt.complex64 else np.float64
        parts = draw(tuple(shape) + (2,), part, True)
        return parts.view(dtype.np).reshape(shape)
    return draw(tuple(shape), dtype.np, False)


# a complex normal's parts each get half the variance; PyTorch divides the std by sqrt(2)
_HALF_VARIANCE = 1.0 / math.sqrt(2.0)


def _draw_dtype(np_dtype):
    """The float precision a device stream draws in for a result of ``np_dtype`` (other host
    streams draw float64)."""
    return np.float64 if np_dtype in (np.float64, np.complex128) else np.float32


def _drawn(data, dev, on_device, requires_grad):
    """Wrap an array drawn for ``dev``: a device stream's is there already."""
    return _make(data, dev, requires_grad) if on_device else _finish(data, dev, requires_grad)


def _sample(fname, kernel, draw, complex_scale, pytorch_draw):
    def sample(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
               pin_memory=False, **kw):
        size_ = kw.pop("size", None)
        if kw:
            raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kw))}'")
        if not size and size_ is None:
            raise TypeError(f"{fname}() received an invalid combination of arguments - got (), but expected "
                            "(tuple of ints size, ...)")
        dtype = _check_dtype(dtype, fname)
        if out is not None:
            dtype, device = _out_dtype_and_device(out, dtype, device, fname)
        dtype = dtype or _dt.get_default_dtype()
        if dtype.category < 2:
            raise _not_implemented(kernel, dtype)
        shape = _size(size, fname, size_)
        dev = resolve_device(device)
        g, on_device = _stream(generator, dev)
        fd = _draw_dtype(dtype.np) if on_device else np.float64
        if _matches_pytorch(g, on_device):
            data = _pytorch_draw(lambda s, d, c: pytorch_draw(g, s, d, c), shape, dtype)
        elif dtype.category == 3:
            re = draw(g, shape, fd) * complex_scale
            data = (re + 1j * draw(g, shape, fd) * complex_scale).astype(dtype.np)
        else:
            data = draw(g, shape, fd).astype(dtype.np, copy=False)
        res = _drawn(data, dev, on_device, requires_grad)
        return res if out is None else F.write_out(out, res._data, fname)
    sample.__name__ = sample.__qualname__ = fname
    return sample


def _out_dtype_and_device(out, dtype, device, fname):
    """A factory's ``out=`` decides the result's dtype (and device) unless they are given; a given
    dtype must be ``out``'s."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{fname}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_KERNEL_TYPE_NAMES[dtype.name]} does not match dtype of out parameter "
                           f"({_KERNEL_TYPE_NAMES[out.dtype.name]})")
    return out.dtype, out.device if device is None else device


rand = _sample("rand", "check_uniform_bounds", lambda g, s, d: g.random(s, dtype=d), 1.0,
               lambda g, s, d, c: g.uniform(0.0, 1.0, s, d))
# complex randn: real and imaginary parts each with variance 1/2, as PyTorch
randn = _sample("randn", "normal_kernel_cpu", lambda g, s, d: g.standard_normal(s, dtype=d), math.sqrt(0.5),
                lambda g, s, d, c: g.normal(0.0, _HALF_VARIANCE if c else 1.0, s, d))


def _strided_like(input, dtype, device, memory_format, generator):
    """For ``rand_like`` & co.: an empty result laid out as PyTorch lays it out, when that is not
    C-contiguous and the PyTorch-matching stream draws it (``None`` otherwise). PyTorch fills such
    a result in memory order, and its normals element by element, so it is filled in place."""
    if memory_format is _ml.contiguous_format or input._data.flags.c_contiguous and memory_format is None:
        return None
    dev = resolve_device(device or input.device)
    if not _matches_pytorch(*_stream(generator, dev)):
        return None
    out = empty_like(input, dtype=dtype or input.dtype, device=dev, memory_format=memory_format)
    return None if out._data.flags.c_contiguous else out


def _requires_grad(t, requires_grad):
    return t.requires_grad_(True) if requires_grad else t


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None, pin_memory=False):
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None:
        return _requires_grad(strided.uniform_(0.0, 1.0, generator=generator), requires_grad)
    out = rand(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
               requires_grad=requires_grad, generator=generator)
    return _like_layout(out, input, memory_format)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None, pin_memory=False):
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None:
        return _requires_grad(strided.normal_(0.0, 1.0, generator=generator), requires_grad)
    out = randn(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)
    return _like_layout(out, input, memory_format)


def _int_arg(v, fname, name, pos):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    return int(v)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
            pin_memory=False, low=None, high=None) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``; values in ``[low, high)``, int64."""
    args = list(args)
    if size is None:
        if len(args) == 2 and isinstance(args[1], numbers.Integral) and not isinstance(args[1], bool):
            # randint(5, 3): the second int is read as the size
            raise TypeError("randint(): argument 'size' (position 2) must be tuple of ints, not int")
        if not args or not isinstance(args[-1], (tuple, list, Size)):
            got = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"randint() received an invalid combination of arguments - got ({got}), but expected "
                            "one of:\n * (int high, tuple of ints size, ...)\n * (int low, int high, tuple of ints "
                            "size, ...)")
        size = args.pop()
    elif isinstance(size, numbers.Integral):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    if high is None:
        if len(args) == 1:
            low_, high = 0 if low is None else low, args[0]
        elif len(args) == 2:
            low_, high = args
        else:
            raise TypeError("randint() takes 'high' or 'low, high' followed by 'size'")
    else:
        low_ = (args[0] if args else 0) if low is None else low
    low_ = _int_arg(low_, "randint", "low", 1)
    high = _int_arg(high, "randint", "high", 2 if args and len(args) == 2 else 1)
    dtype = _check_dtype(dtype, "randint") or _dt.int64
    if high <= low_:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low_} >= to={high}")
    _no_random_bounds_for_complex(dtype)
    _check_int_bounds(low_, high, dtype)
    shape = _size((tuple(size),), "randint")
    dev = resolve_device(device)
    g, on_device = _stream(generator, dev)
    data = g.integers(low_, high, shape, dtype=np.int64)
    return _drawn(data.astype(dtype.np, copy=False), dev, on_device, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None, pin_memory=False):
    if high is None:
        low, high = 0, low
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None and high > low:  # (bad bounds: randint below words the error)
        return _requires_grad(strided.random_(low, high, generator=generator), requires_grad)
    out = randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                  generator=generator, requires_grad=requires_grad)
    return _like_layout(out, input, memory_format)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False) -> Tensor:
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _check_dtype(dtype, "randperm") or _dt.int64
    if dtype is _dt.bool or dtype.category == 3:
        raise _not_implemented("randperm", dtype)
    _check_randperm_fits(n, dtype)
    dev = resolve_device(device)
    g, on_device = _stream(generator, dev)
    return _drawn(g.permutation(n).astype(dtype.np), dev, on_device, requires_grad)


# the largest n whose permutation a float type holds exactly (its integers are exact up to 2**digits)
_RANDPERM_FLOAT_LIMITS = {"float16": ("2049", "Half"), "float32": ("2^24+1", "Float"), "float64": ("2^53+1", "Double")}


def _check_randperm_fits(n, dtype) -> None:
    """``randperm(n, dtype=...)``: PyTorch refuses an ``n`` whose values the dtype cannot hold."""
    if dtype.name in _RANDPERM_FLOAT_LIMITS:
        if n > (1 << (np.finfo(dtype.np).nmant + 1)) + 1:
            shown, kind = _RANDPERM_FLOAT_LIMITS[dtype.name]
            raise RuntimeError(f"n cannot be greater than {shown} for {kind} type.")
    elif dtype.category == 1 and n > int(np.iinfo(dtype.np).max) + 1:
        raise RuntimeError(f"value cannot be converted to type {dtype.name}_t without overflow")


def _operand(x, dev, on_device):
    """A tensor argument's array for a sampler: on the host for a host stream, on ``dev`` for a
    device stream; numbers pass through."""
    if not isinstance(x, Tensor):
        return x
    if not on_device:
        return x._host()
    return x._data if x._device is dev else move_array(x._data, x._device, dev)


def _any(cond) -> bool:
    """``cond.any()`` for an array of any namespace (one device sync), or a Python bool."""
    return bool(cond.any()) if hasattr(cond, "any") else bool(cond)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    """``normal(mean, std, size)`` with numbers, or elementwise with tensor ``mean``/``std``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:  # PyTorch has no overload taking a tensor and a size
            got = ", ".join(type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in (mean, std))
            raise TypeError(f"normal() received an invalid combination of arguments - got ({got}, size=tuple), but "
                            "expected one of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = None, "
                            "Tensor out = None)\n * (Tensor mean, float std = 1, *, torch.Generator generator = None, "
                            "Tensor out = None)\n * (float mean, Tensor std, *, torch.Generator generator = None, "
                            "Tensor out = None)\n * (float mean, float std, tuple of ints size, *, ...)")
        ref = mean if isinstance(mean, Tensor) else std
        dev = ref._device
        if not isinstance(std, Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_cnum(float(std))}")
        g, on_device = _stream(generator, dev)
        m, s = _operand(mean, dev, on_device), _operand(std, dev, on_device)
        if isinstance(std, Tensor) and (_any(s < 0) if on_device else np.any(np.asarray(s) < 0)):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        m_shape, s_shape = getattr(m, "shape", ()), getattr(s, "shape", ())
        mismatch = F.broadcast_mismatch(m_shape, s_shape)
        if mismatch is not None:
            raise mismatch
        shape = np.broadcast_shapes(m_shape, s_shape)
        # PyTorch samples in the dtype of a tensor mean (no promotion with std's), else of std
        res_dtype = mean.dtype if isinstance(mean, Tensor) else std.dtype
        if res_dtype.category < 2:
            raise _not_implemented("normal_kernel_cpu", res_dtype)
        if out is not None:
            F.check_out_grad("normal", out, mean, std)
        if _matches_pytorch(g, on_device):
            # PyTorch: the result filled by normal_(0, 1), then multiplied by std and shifted by mean in place
            z = _pytorch_draw(lambda sh, d, c: g.normal(0.0, _HALF_VARIANCE if c else 1.0, sh, d), shape, res_dtype)
            data = ((z * s).astype(res_dtype.np, copy=False) + m).astype(res_dtype.np, copy=False)
        else:
            fd = _draw_dtype(res_dtype.np) if on_device else np.float64
            data = (m + s * g.standard_normal(shape, dtype=fd)).astype(res_dtype.np)
        if out is not None:
            return F.write_out(out, _drawn(data, dev, on_device, False)._data, "normal")
        drawn = _drawn(data, dev, on_device, requires_grad)
        if F.needs_grad(mean, std):
            # the node lists only the tensor operands, as PyTorch's overloads do: (Tensor, float)
            # is NormalBackward1, (float, Tensor) NormalBackward2, (Tensor, Tensor) NormalBackward3
            tensors = tuple(x for x in (mean, std) if isinstance(x, Tensor))
            overload = 3 if len(tensors) == 2 else 1 if isinstance(mean, Tensor) else 2
            Tensor._autograd.record(_normal_op, drawn, tensors, None, node_name=f"NormalBackward{overload}")
        return drawn
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: 'size' is required when mean "
                        "and std are numbers")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cnum(float(std))}")
    dtype = _check_dtype(dtype, "normal") or _dt.get_default_dtype()
    if dtype.category < 2:
        raise _not_implemented("normal_kernel_cpu", dtype)
    shape = _size((tuple(size),), "normal")
    # PyTorch's normal() is not among the factories that follow the default device
    dev = _CPU if device is None else resolve_device(device)
    g, on_device = _stream(generator, dev)
    if _matches_pytorch(g, on_device):
        part_std = std * _HALF_VARIANCE if dtype.category == 3 else std
        data = _pytorch_draw(lambda s, d, c: g.normal(mean, part_std, s, d), shape, dtype)
    else:
        fd = _draw_dtype(dtype.np) if on_device else np.float64
        data = (mean + std * g.standard_normal(shape, dtype=fd)).astype(dtype.np)
    if out is not None:
        return F.write_out(out, _drawn(data, dev, on_device, False)._data, "normal")
    return _drawn(data, dev, on_device, requires_grad)


def _normal_samples(dtype, device):
    from ..testing import make_tensor
    mean = make_tensor((2, 3), dtype=dtype, device=device, low=-2.0, high=2.0, seed=780)
    std = make_tensor((3,), dtype=dtype, device=device, low=0.5, high=2.0, seed=781)
    return [((mean, std), {}), ((mean, 1.5), {}), ((0.5, std), {})]


# Only the tensor overloads of ``normal`` are recorded, through this op; the public function is
# ``normal`` above. Draws differ between calls and devices, so finite differences mean nothing.
_normal_op = defop("normal", frontend=lambda op: normal, method=False, public=False, samples=_normal_samples,
                   conformance_skip={"devices": "random draws", "gradcheck": "random draws",
                                     "gradgradcheck": "random draws"})


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Draws 0/1 with probability ``input`` (or ``p``); the result has ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    category = input.dtype.category
    if category == 3:
        raise _not_implemented("bernoulli_tensor_cpu_self_" if p is None else "bernoulli_scalar_cpu_", input.dtype)
    if p is None and category < 2:  # the probabilities themselves must be floats
        raise _not_implemented("bernoulli_tensor_cpu_p_", input.dtype)
    dev = input._device
    g, on_device = _stream(generator, dev)
    if on_device:
        probs = input._data if p is None else float(p)
        if _any((probs < 0) | (probs > 1) | (probs != probs)) if p is None else not 0 <= probs <= 1:
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        u = g.random(input._data.shape, dtype=_draw_dtype(input._data.dtype))
        return _make((u < probs).astype(input._data.dtype), dev, False)
    probs = input._host() if p is None else np.full(input.shape, float(p))
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    if _matches_pytorch(g, on_device):
        # the result is a new contiguous tensor, drawn in its (logical) order whatever the input's layout
        layout = np.empty(input._data.shape, input._data.dtype)
        keep = _pytorch_bernoulli(g, layout, input._host() if p is None else float(p))
        return _finish(keep.astype(input._data.dtype), dev, False)
    data = (g.random(probs.shape) < probs).astype(input._data.dtype)
    return _finish(data, dev, False)


def _pytorch_bernoulli(g, like, p):
    """0/1 draws for an array laid out as ``like`` from the PyTorch-matching stream, with the
    number ``p`` (float64 uniforms) or the probabilities array ``p`` broadcast to its shape
    (uniforms of their own precision), in memory order."""
    axes = memory_axes(like)
    if isinstance(p, np.ndarray):
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        ordered = np.ascontiguousarray(to_memory_order(np.broadcast_to(p, like.shape), axes))
        return from_memory_order(g.bernoulli(ordered), axes)
    return from_memory_order(g.bernoulli(p, tuple(like.shape[i] for i in axes)), axes)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (unnormalised non-negative weights), int64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.category != 2:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_KERNEL_TYPE_NAMES[input.dtype.name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    g, on_device = _stream(generator, input._device)
    if on_device:
        return _make(_multinomial_on_device(input, num_samples, replacement, g), input._device, False)
    probs = np.asarray(input._host(), dtype=np.float64)
    rows = probs[None] if probs.ndim == 1 else probs
    _check_multinomial(rows, num_samples, replacement, rows_too=False)
    if _matches_pytorch(g, on_device):
        if not np.all(rows.sum(axis=1) > 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        weights = input._host()  # PyTorch sums the weights in their own precision (half in float)
        weights = weights.astype(np.float32) if weights.dtype == np.float16 else weights
        data = g.multinomial_indices(weights[None] if weights.ndim == 1 else weights, num_samples, replacement)
        return _finish(data[0] if probs.ndim == 1 else data, input._device, False)
    res = []
    for row in rows:
        s = row.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        res.append(_draw_row(g, row, s, num_samples, replacement))
    data = np.asarray(res, dtype=np.int64)
    return _finish(data[0] if probs.ndim == 1 else data, input._device, False)


def _draw_row(g, row, total, num_samples, replacement):
    """``num_samples`` indices of one row of weights. Without replacement, once the categories of
    positive weight are used up PyTorch goes on with the zero-weight ones, in random order."""
    positive = np.count_nonzero(row)
    if replacement or positive >= num_samples:
        return g.choice(row.shape[0], size=num_samples, replace=replacement, p=row / total)
    first = g.choice(row.shape[0], size=positive, replace=False, p=row / total)
    rest = g.permutation(np.flatnonzero(row == 0))[:num_samples - positive]
    return np.concatenate([first, rest])


def _check_multinomial(rows, num_samples, replacement, rows_too=True) -> None:
    """PyTorch's checks of a (host, float64) 2-d ``rows`` for ``multinomial``, in its order."""
    if replacement and num_samples > 1:
        _check_rows_with_replacement(rows)
    elif np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if rows_too:  # the CPU sampler checks each row as it reaches it
        for row in rows:
            if row.sum() <= 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _multinomial_on_device(input, num_samples, replacement, g):
    """Draw with a device stream: with replacement by inverting each row's CDF, without by the
    exponential race (the ``num_samples`` smallest ``Exp(1) / p``, as PyTorch's kernel). One check
    on the device; the host sees the probabilities only to word an error."""
    xp = get_backend(input._device).xp
    rows = input._data.astype(np.float64)
    if rows.ndim == 1:
        rows = rows[None]
    r, n = rows.shape
    bad = not bool(((rows >= 0) & xp.isfinite(rows)).all()) or not bool((rows.sum(1) > 0).all())
    if not replacement:
        bad = bad or num_samples > n
    if bad:
        host = np.asarray(input._host(), dtype=np.float64)
        _check_multinomial(host[None] if host.ndim == 1 else host, num_samples, replacement)
    if replacement:
        cdf = xp.cumsum(rows, axis=1)
        cdf = cdf / cdf[:, -1:]
        # one sorted array for all rows: row i's CDF shifted into [i, i + 1]
        shift = xp.arange(r, dtype=np.float64)[:, None]
        u = g.random((r, num_samples), dtype=np.float64)
        flat = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right")
        idx = xp.minimum(flat.reshape(r, num_samples) - xp.arange(r, dtype=np.int64)[:, None] * n, n - 1)
    else:
        positive = rows > 0
        race = -xp.log(g.random((r, n), dtype=np.float64)) / xp.where(positive, rows, 1.0)
        # zero weights rank after every positive one (PyTorch goes on with them once those run out)
        idx = xp.argsort(xp.where(positive, race, xp.inf), axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return idx[0] if input.ndim == 1 else idx


def _check_rows_with_replacement(rows) -> None:
    """PyTorch's CPU kernel for sampling more than one index with replacement checks each row's
    entries in order (NaN fails the ``< 0`` test first), then the row's sum, with its own messages."""
    for row in rows:
        bad = np.flatnonzero(~((row >= 0) & np.isfinite(row)))
        if bad.size:
            if not row[bad[0]] >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if row.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


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


# --------------------------------------------------------------------------- in-place sampling methods
# ``w.uniform_(-0.1, 0.1)``, ``t.normal_()``, ``mask.bernoulli_(0.5)``: Tensor methods in PyTorch that
# fill a tensor with fresh samples (not ops: they read nothing from the tensor but its shape/dtype).
def _write_samples(t: Tensor, values, fname: str, on_device: bool = False) -> Tensor:
    from ._frontend import check_inplace_allowed, check_not_inference
    check_not_inference(t)
    check_inplace_allowed(t, fname)
    if not on_device:
        return write_host_values(t, values)
    return _write_values(t, values)  # drawn on t's device by its stream


def _write_values(t: Tensor, values) -> Tensor:
    """Store ``values`` (an array on ``t``'s device) into ``t``: cast to its dtype, version bumped."""
    d = t._data
    v = values.astype(d.dtype, copy=False)
    if d.ndim == 0:
        d[()] = v
    else:
        d[...] = v
    t._vc[0] += 1
    return t


def write_host_values(t: Tensor, values) -> Tensor:
    """Store host (NumPy) ``values`` into ``t`` in place: cast to its dtype, moved to its device,
    version bumped. No autograd checks: callers (in-place samplers, ``nn.init``) make their own."""
    v = np.asarray(values).astype(t._data.dtype, copy=False)
    if t._device.type != "cpu":
        # (ascontiguousarray would make a 0-d value 1-d)
        v = get_backend(t._device).from_host(np.ascontiguousarray(v) if v.ndim else v, t._device.index)
    return _write_values(t, v)


def _fill(t: Tensor, fname: str, generator, draw, integer: bool = False, pytorch_draw=None) -> Tensor:
    """Fill ``t`` with ``draw(stream, shape, kw)``, ``kw`` being the keywords of a device stream's
    draw (``dtype=``: ``t``'s float precision, int64 for ``integer`` draws); empty for host streams,
    whose NumPy draws are copied to ``t``'s device. The PyTorch-matching CPU stream draws
    ``pytorch_draw(stream, shape, dtype, serial)`` instead, in ``t``'s memory order."""
    g, on_device = _stream(generator, t._device)
    shape = t._data.shape
    if pytorch_draw is not None and _matches_pytorch(g, on_device):
        return _write_samples(t, fill_values(t._data, lambda s, d, serial: pytorch_draw(g, s, d, serial)), fname)
    if not on_device:
        return _write_samples(t, draw(g, shape, {}), fname)
    kw = {"dtype": np.int64 if integer else _draw_dtype(t._data.dtype)}
    return _write_samples(t, draw(g, shape, kw), fname, True)


def dropout_mask(shape, p: float, like: Tensor):
    """The array ``keep / (1 - p)`` (``keep`` 1 with probability ``1 - p``) of ``like``'s dtype on
    ``like``'s device, drawn by that device's default generator (on the device, for a device stream)."""
    dev, dt = like._device, like._data.dtype
    g, on_device = _stream(None, dev)
    if on_device:
        keep = g.random(shape, dtype=_draw_dtype(dt)) >= p
        return keep.astype(dt) / (1.0 - p) if p < 1 else keep.astype(dt) * 0
    if _matches_pytorch(g, on_device):
        # PyTorch: empty_like(input).bernoulli_(1 - p) (nothing drawn for p == 1), divided by 1 - p
        if p >= 1:
            return np.zeros(shape, dt)
        layout = like._data if tuple(shape) == like._data.shape else np.empty(shape, dt)
        keep = _pytorch_bernoulli(g, layout, 1.0 - p)
        return keep.astype(dt) / (1.0 - p)
    keep = g.random(shape) >= p
    m = (keep.astype(dt) / (1.0 - p)) if p < 1 else np.zeros(shape, dt)
    return m if dev is _CPU else get_backend(dev).from_host(m, dev.index)


def _float_only(t: Tensor, kernel: str, complex_too: bool = False) -> None:
    if t._data.dtype.kind not in ("fc" if complex_too else "f"):
        raise _not_implemented(kernel, _dt._BY_NUMPY[t._data.dtype])


def _continuous_only(t: Tensor, distribution: str, type_names) -> None:
    """PyTorch's check of ``exponential_``/``cauchy_``: the two spell the dtype differently."""
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{distribution} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {type_names[t.dtype.name]}")


def _complex_parts(draw):
    """A complex tensor's samples: real and imaginary parts drawn apart, from the same distribution
    (PyTorch fills the complex tensor's float view)."""
    def both(g, shape, kw):
        parts = draw(g, tuple(shape) + (2,), kw)
        return parts[..., 0] + 1j * parts[..., 1]
    return both


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    _float_only(self, "check_uniform_bounds", complex_too=True)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_cnum(float(from_))} > "
                           f"to={_cnum(float(to))}")
    draw = lambda g, s, k: g.uniform(from_, to, s, **k)  # noqa: E731
    return _fill(self, "uniform_", generator, _complex_parts(draw) if self._data.dtype.kind == "c" else draw,
                 pytorch_draw=lambda g, s, d, serial: g.uniform(from_, to, s, d))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _float_only(self, "normal_kernel_cpu", complex_too=True)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cnum(float(std))}")
    if self._data.dtype.kind == "c":
        # each part gets the mean and half the variance, so |x - mean| has variance std**2 (PyTorch)
        part_std = std / math.sqrt(2.0)
        draw = _complex_parts(lambda g, s, k: g.normal(mean, part_std, s, **k))
    else:
        part_std = std
        draw = lambda g, s, k: g.normal(mean, std, s, **k)  # noqa: E731
    return _fill(self, "normal_", generator, draw,
                 pytorch_draw=lambda g, s, d, serial: g.normal(mean, part_std, s, d, serial=serial))


def _exponential_(self, lambd=1.0, *, generator=None):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_cnum(float(lambd))}")
    _continuous_only(self, "Exponential", _KERNEL_TYPE_NAMES)
    return _fill(self, "exponential_", generator, lambda g, s, k: g.exponential(1.0 / lambd, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.exponential(1.0 / lambd, s, d))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_cnum(float(std))}")
    _float_only(self, "log_normal_cpu")
    return _fill(self, "log_normal_", generator, lambda g, s, k: g.lognormal(mean, std, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.lognormal(mean, std, s, d))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_cnum(float(sigma))}")
    _continuous_only(self, "Cauchy", _C_TYPE_NAMES)
    return _fill(self, "cauchy_", generator, lambda g, s, k: median + sigma * g.standard_cauchy(s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.cauchy(median, sigma, s, d))


def _geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_cnum(float(p))}")
    if self._data.dtype.kind in "bc":
        raise _not_implemented("geometric_cpu", self.dtype)
    return _fill(self, "geometric_", generator, lambda g, s, k: g.geometric(p, s, **k), integer=True,
                 pytorch_draw=lambda g, s, d, serial: g.geometric(p, s))


def _random_(self, from_=None, to=None, *, generator=None, **kw):
    """``random_()``: integers in [0, 2**mantissa] (floats) or [0, dtype max]; ``random_(to)``;
    ``random_(from, to)``."""
    from_ = kw.pop("from", from_)
    d = self._data.dtype
    if d.kind == "c":
        if from_ is None and to is None:
            raise _not_implemented("random_kernel_cpu", self.dtype)
        _no_random_bounds_for_complex(self.dtype)
    if from_ is not None and to is None and "to" not in kw:
        from_, to = 0, from_
    lo = 0 if from_ is None else int(from_)
    if to is None:
        if d.kind == "f":
            hi = (1 << (np.finfo(d).nmant + 1)) + 1
        elif d.kind == "b":
            hi = 2
        else:
            hi = int(np.iinfo(d).max) + 1
    else:
        hi = int(to)
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    _check_int_bounds(lo, hi, self.dtype)
    if from_ is None and to is None:  # PyTorch: a draw of the dtype's own width, not a bounded one
        exact = lambda g, s, d, serial: g.random_unbounded(s, d)  # noqa: E731
    else:
        exact = lambda g, s, d, serial: g.integers(lo, hi, s, dtype=np.int64)  # noqa: E731
    return _fill(self, "random_", generator, lambda g, s, k: g.integers(lo, hi, s, dtype=np.int64),
                 pytorch_draw=exact)


def _bernoulli_(self, p=0.5, *, generator=None):
    g, on_device = _stream(generator, self._device)
    if isinstance(p, Tensor):
        probs = _operand(p, self._device, on_device)
        if _any((probs < 0) | (probs > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    else:
        probs = float(p)
        if not 0 <= probs <= 1:  # NaN included, as PyTorch
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cnum(probs)}")
    if self._data.dtype.kind == "c":
        kernel = "bernoulli_tensor_cpu_self_" if isinstance(p, Tensor) else "bernoulli_scalar_cpu_"
        raise _not_implemented(kernel, self.dtype)
    if _matches_pytorch(g, on_device):
        return _write_samples(self, _pytorch_bernoulli(g, self._data, probs), "bernoulli_")
    kw = {"dtype": _draw_dtype(self._data.dtype)} if on_device else {}
    return _write_samples(self, g.random(self._data.shape, **kw) < probs, "bernoulli_", on_device)


for _name, _fn in (("uniform_", _uniform_), ("normal_", _normal_), ("exponential_", _exponential_),
                   ("log_normal_", _log_normal_), ("cauchy_", _cauchy_), ("geometric_", _geometric_),
                   ("random_", _random_), ("bernoulli_", _bernoulli_)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn
