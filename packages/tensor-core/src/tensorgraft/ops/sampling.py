"""Random sampling: the factories that draw fresh tensors (``rand``, ``randn``, ``randint``,
``randperm``, ``normal``, ``bernoulli``, ``multinomial`` and their ``*_like`` forms), the Tensor
methods that refill a tensor in place (``uniform_``, ``normal_``, ``random_``, ``exponential_``...)
and the dropout mask ``nn.functional`` draws.

Every sampler takes its numbers from a stream (``tensorgraft.random.random_stream``): on the CPU,
the stream in ``cpu/random_stream.py`` that reproduces PyTorch's draws, which these frontends call
with the result's dtype and in PyTorch's order; on a device whose backend brings its own stream,
draws made on the device itself. The tensor-building helpers (sizes, dtypes, devices) are
``creation.py``'s, which this module builds on.

The factories and the in-place fillers stay together, though that makes a long module: they are
one concept and share the plumbing at the top (which stream, whether it draws PyTorch's numbers,
its draw precision, the bound checks and PyTorch's wording of their errors).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes as _dt
from .. import memory_layout as _ml
from ..cpu.fill_order import fill_values, from_memory_order, memory_axes, to_memory_order
from ..device import device as _device, get_backend
from ..random import random_stream
from ..tensor import Size, Tensor
from . import _frontend as F
from ._define import defop
from .conversion import move_array, resolve_device
from .creation import (
    _KERNEL_TYPE_NAMES, _check_dtype, _cnum, _finish, _like_layout, _make, _not_implemented, _size, empty_like,
)

__all__ = [
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
    "randint_like",
]

_CPU = _device("cpu")  # (devices are interned: ``dev is _CPU`` is the CPU test)


# --------------------------------------------------------------------------- streams, bounds, messages
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


# --------------------------------------------------------------------------- fresh tensors
_SIZE_OVERLOADS = ("tuple of ints size, *, {}Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                   "torch.device device = None, bool pin_memory = False, bool requires_grad = False")


def _no_size(fname, *options):
    """PyTorch's error for ``rand()``/``randn()`` without a size: its argument parser names the
    missing size when one keyword was given, else lists the overloads. (With several keywords
    it lists them in an order of its own; the overload list is kept and the "got" part is
    left empty.) Reached only on the error path."""
    given = sum(o is not None and o is not False for o in options)
    if given == 1:
        return TypeError(f"{fname}() missing 1 required positional arguments: \"size\"")
    return TypeError(f"{fname}() received an invalid combination of arguments - got (), but expected one of:\n"
                     f" * ({_SIZE_OVERLOADS.format('torch.Generator generator, ')})\n"
                     f" * ({_SIZE_OVERLOADS.format('')})\n")


def _sample(fname, kernel, draw, complex_scale, pytorch_draw):
    def sample(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
               pin_memory=False, **kw):
        size_ = kw.pop("size", None)
        if kw:
            raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kw))}'")
        if not size and size_ is None:
            raise _no_size(fname, generator, out, dtype, layout, device, requires_grad, pin_memory)
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


def _sample_like(input, sampler, fill, dtype, device, requires_grad, memory_format, generator):
    """``rand_like``/``randn_like``: a result laid out like a non-contiguous ``input`` is filled in
    place (``fill``, PyTorch's memory order); otherwise ``sampler`` draws it and it takes the layout."""
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None:
        return _requires_grad(getattr(strided, fill)(0.0, 1.0, generator=generator), requires_grad)
    out = sampler(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                  requires_grad=requires_grad, generator=generator)
    return _like_layout(out, input, memory_format)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None, pin_memory=False):
    return _sample_like(input, rand, "uniform_", dtype, device, requires_grad, memory_format, generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None, pin_memory=False):
    return _sample_like(input, randn, "normal_", dtype, device, requires_grad, memory_format, generator)


def _int_arg(v, fname, name, pos):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    return int(v)


# PyTorch's argument parser lists randint's four signatures in full, one per line, then a blank line
_RANDINT_KW = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
               "bool pin_memory = False, bool requires_grad = False")
_RANDINT_OVERLOADS = "".join(f" * ({head}, *, {gen}{_RANDINT_KW})\n"
                             for head in ("int high, tuple of ints size", "int low, int high, tuple of ints size")
                             for gen in ("torch.Generator generator, ", ""))
# the words of PyTorch's unadorned TORCH_CHECK, which ends with its plea for a better message
_P_IN_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
               "If so, please report an enhancement request to PyTorch.)")


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
                            f"one of:\n{_RANDINT_OVERLOADS}")
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
    if p is not None and not 0 <= float(p) <= 1:  # a number p is checked as bernoulli_ checks it
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cnum(float(p))}")
    dev = input._device
    g, on_device = _stream(generator, dev)
    if on_device:
        probs = input._data if p is None else float(p)
        if _any((probs < 0) | (probs > 1) | (probs != probs)) if p is None else not 0 <= probs <= 1:
            raise RuntimeError(_P_IN_RANGE)
        u = g.random(input._data.shape, dtype=_draw_dtype(input._data.dtype))
        return _make((u < probs).astype(input._data.dtype), dev, False)
    probs = input._host() if p is None else np.full(input.shape, float(p))
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise RuntimeError(_P_IN_RANGE)
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
        if not like.ndim:  # ascontiguousarray makes a 0-d array 1-d: the result keeps shape ()
            return g.bernoulli(ordered).reshape(())
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
            raise RuntimeError(_P_IN_RANGE)
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
