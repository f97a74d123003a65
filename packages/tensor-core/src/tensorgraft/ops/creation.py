"""Creating tensors: from data, filled, ranges, identity, and random sampling."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device, get_backend
from ..random import numpy_generator
from ..tensor import Size, Tensor, wrap
from .conversion import move_array, resolve_device

__all__ = [
    "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "range", "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal",
    "bernoulli", "multinomial", "rand_like", "randn_like", "randint_like", "FloatTensor", "DoubleTensor",
    "LongTensor", "IntTensor", "BoolTensor", "ByteTensor", "HalfTensor", "ShortTensor", "CharTensor",
    "scalar_tensor", "empty_strided", "tril_indices", "triu_indices", "complex", "polar",
]

_CPU = _device("cpu")
_pyrange = range


def _size(size, fname: str) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(Size)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (numbers.Integral,)) or isinstance(s, bool):
            raise TypeError(f"{fname}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{fname}(): Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(data, dev, requires_grad: bool) -> Tensor:
    if dev is not _CPU:
        data = move_array(data, _CPU, dev)
    t = wrap(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_dtype(dtype, fname):
    if dtype is not None and not isinstance(dtype, _dt.dtype):
        raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")


def _on_device(dev):
    """Array namespace of ``dev`` (creation runs there directly, no host round-trip)."""
    return np if dev is _CPU else get_backend(dev).xp


def _infer_dtype(data):
    """PyTorch's inference for ``tensor(data)``: Python floats -> default dtype, ints -> int64,
    NumPy arrays and scalars keep their dtype."""
    if isinstance(data, np.ndarray):
        return _dt.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
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
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_nested(data):
    if isinstance(data, Tensor):
        return data._host()
    if isinstance(data, (list, tuple)):
        return [_to_nested(d) for d in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    _check_dtype(dtype, "tensor")
    dev = resolve_device(device)
    if isinstance(data, Tensor):
        arr = np.array(data._host(), copy=True)
    else:
        inferred = _infer_dtype(data)
        if inferred is None:  # empty list
            inferred = _dt.get_default_dtype()
        try:
            arr = np.array(_to_nested(data), dtype=inferred.np)
        except ValueError as exc:
            raise ValueError(f"expected a sequence of equal-length sequences (a rectangular array): {exc}") from None
        except OverflowError:
            raise RuntimeError("Overflow when unpacking long") from None
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    _dt.from_numpy_dtype(arr.dtype)
    return _finish(arr, dev, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(s, dtype=dtype or _dt.get_default_dtype(), device=device, requires_grad=requires_grad)


def _filled(fname, fill):
    def make(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
             memory_format=None):
        _check_dtype(dtype, fname)
        shape = _size(size, fname)
        dev = resolve_device(device)
        dt = (dtype or _dt.get_default_dtype()).np
        data = fill(_on_device(dev), shape, dt)
        t = wrap(data, dev)
        if requires_grad:
            t.requires_grad_(True)
        return t
    make.__name__ = make.__qualname__ = fname
    return make


zeros = _filled("zeros", lambda xp, s, d: xp.zeros(s, d))
ones = _filled("ones", lambda xp, s, d: xp.ones(s, d))
# Tensors made by ``empty`` are zero-filled: the values are unspecified in PyTorch, and zeros
# make programs that (wrongly) read them reproducible instead of flaky.
empty = _filled("empty", lambda xp, s, d: xp.zeros(s, d))


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _check_dtype(dtype, "full")
    shape = _size((size,) if not isinstance(size, (tuple, list, Size)) else (tuple(size),), "full")
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = _infer_dtype(fill_value)
    dev = resolve_device(device)
    data = _on_device(dev).full(shape, fill_value, dtype=dtype.np)
    t = wrap(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like(fname, maker):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None, **kw):
        if not isinstance(input, Tensor):
            raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return maker(input.shape, dtype=dtype or input.dtype, device=device if device is not None else input.device,
                     requires_grad=requires_grad, **kw)
    like.__name__ = like.__qualname__ = fname
    return like


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=device if device is not None else input.device, requires_grad=requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False):
    _check_dtype(dtype, "arange")
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dt.int64 if all(isinstance(v, numbers.Integral) for v in (start, end, step)) \
            else _dt.get_default_dtype()
    n = max(0, math.ceil((end - start) / step))
    dev = resolve_device(device)
    xp = _on_device(dev)
    # computed in float64 then cast, like PyTorch (keeps e.g. arange(0, 1, 0.1) exact in length)
    data = (start + xp.arange(n, dtype=np.float64) * step) if dtype.category >= 2 or not all(
        isinstance(v, numbers.Integral) for v in (start, end, step)) else xp.arange(start, end, step, dtype=np.int64)
    t = wrap(data.astype(dtype.np, copy=False), dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated in PyTorch (end inclusive); kept for old tutorials."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    return arange(0, n, dtype=dtype or _dt.get_default_dtype(), device=device) * step + start


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    _check_dtype(dtype, "linspace")
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dtype = dtype or _dt.get_default_dtype()
    dev = resolve_device(device)
    data = _on_device(dev).linspace(_num(start), _num(end), int(steps), dtype=np.float64).astype(dtype.np)
    t = wrap(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = dtype or _dt.get_default_dtype()
    dev = resolve_device(device)
    xp = _on_device(dev)
    data = (base ** xp.linspace(_num(start), _num(end), int(steps), dtype=np.float64)).astype(dtype.np)
    t = wrap(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _check_dtype(dtype, "eye")
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dev = resolve_device(device)
    data = _on_device(dev).eye(n, m if m is not None else n, dtype=(dtype or _dt.get_default_dtype()).np)
    t = wrap(data, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.tril_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype((dtype or _dt.int64).np), resolve_device(device), False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.triu_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype((dtype or _dt.int64).np), resolve_device(device), False)


def complex(real, imag, *, out=None):  # noqa: A001
    return real + imag * 1j


def polar(abs, angle, *, out=None):  # noqa: A002
    return abs * angle.cos() + (abs * angle.sin()) * 1j


# --------------------------------------------------------------------------- random sampling
def _float_dtype(dtype, fname):
    _check_dtype(dtype, fname)
    dtype = dtype or _dt.get_default_dtype()
    if dtype.category < 2:
        raise RuntimeError(f"\"{fname}\" not implemented for '{dtype._torch_name.capitalize()}'")
    return dtype


def _sample(fname, draw):
    def sample(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
               pin_memory=False):
        dtype = _float_dtype(dtype, fname)
        shape = _size(size, fname)
        dev = resolve_device(device)
        data = draw(numpy_generator(generator), shape).astype(dtype.np, copy=False)
        return _finish(data, dev, requires_grad)
    sample.__name__ = sample.__qualname__ = fname
    return sample


rand = _sample("rand", lambda g, s: g.random(s, dtype=np.float64))
randn = _sample("randn", lambda g, s: g.standard_normal(s, dtype=np.float64))


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    return rand(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    return randn(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
            pin_memory=False):
    """``randint(high, size)`` or ``randint(low, high, size)``."""
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list, Size)):
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() takes 'high' or 'low, high' followed by 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _size((tuple(size),), "randint")
    data = numpy_generator(generator).integers(low, high, shape, dtype=np.int64)
    return _finish(data.astype((dtype or _dt.int64).np, copy=False), resolve_device(device), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                   generator=generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False):
    data = numpy_generator(generator).permutation(int(n)).astype((dtype or _dt.int64).np)
    return _finish(data, resolve_device(device), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    g = numpy_generator(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = mean._host() if isinstance(mean, Tensor) else mean
        s = std._host() if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        data = (m + s * g.standard_normal(shape)).astype(ref.dtype.np)
        return _finish(data, ref.device, False)
    if size is None:
        raise TypeError("normal() missing required argument 'size' when mean and std are numbers")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dtype = _float_dtype(dtype, "normal")
    data = (mean + std * g.standard_normal(_size((tuple(size),), "normal"))).astype(dtype.np)
    return _finish(data, resolve_device(device), requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    probs = input._host() if p is None else np.full(input.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false. (bernoulli probabilities "
                           "must lie in [0, 1])")
    data = (numpy_generator(generator).random(probs.shape) < probs).astype(input._data.dtype)
    return _finish(data, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    probs = np.asarray(input._host(), dtype=np.float64)
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if np.any(probs < 0) or not np.all(np.isfinite(probs)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs[None] if probs.ndim == 1 else probs
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    g = numpy_generator(generator)
    out = []
    for row in rows:
        s = row.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        out.append(g.choice(row.shape[0], size=num_samples, replace=replacement, p=row / s))
    data = np.asarray(out, dtype=np.int64)
    return _finish(data[0] if probs.ndim == 1 else data, input.device, False)


# --------------------------------------------------------------------------- legacy constructors
def _legacy_construct(dtype, args, kwargs):
    device = kwargs.pop("device", None)
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
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype

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
