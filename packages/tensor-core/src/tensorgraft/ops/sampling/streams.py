"""The plumbing every sampler shares, and the errors several of them raise.

Which stream a sampler on a given device draws from; whether that is the CPU stream reproducing
PyTorch's numbers (the sampler then passes it the result's dtype and draws in PyTorch's order); the
precision a device stream draws in; how a drawn array becomes a tensor; tensor arguments brought to
where the stream draws; the bound checks, in PyTorch's words. Apart so that the factories and the
in-place fillers share one copy."""
from __future__ import annotations

import math

import numpy as np

from ... import dtypes as _dt
from ...dtypes import CPP_TYPE_NAMES
from ...device import device as _device
from ...random import random_stream
from ...tensor import Tensor
from ..conversion import move_array
from ..creation import _finish, _make


_CPU = _device("cpu")  # (devices are interned: ``dev is _CPU`` is the CPU test)


# --------------------------------------------------------------------------- streams, bounds, messages
# the C++ spelling of each dtype, which some of PyTorch's sampling messages print
_C_TYPE_NAMES = CPP_TYPE_NAMES


def _cpp_float(x) -> str:
    """A number as PyTorch's messages print a double (C++'s stream: ``%g``, so ``-1``, ``nan``,
    ``2.5``, ``3e+38``)."""
    return f"{float(x):g}"


def _no_random_bounds_for_complex(dtype) -> None:
    """``random_(to)``, ``randint(..., dtype=complex)``: PyTorch checks the bounds per dtype first."""
    if dtype.category == 3:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")


def _check_int_bounds(low, high, dtype) -> None:
    """``[low, high)`` must fit ``dtype``: PyTorch's ``check_from_to_in_range`` (``from`` checked
    first), with its warning where a float dtype cannot hold every integer of the range."""
    _check_from_to_in_range(low, high - 1, dtype)


_INT64_MIN = -(1 << 63)
# the significand bits of each float dtype (std::numeric_limits<T>::digits)
_FLOAT_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
# each dtype's largest value (BFloat16's: NumPy's finfo cannot read it)
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": float.fromhex("0x1.fep127"), "float32": float(np.finfo(np.float32).max),
              "float64": float(np.finfo(np.float64).max)}
_INT_RANGE = {d.name: (0, 1) if d is _dt.bool else (int(np.iinfo(d.np).min), int(np.iinfo(d.np).max))
              for d in (_dt.bool, _dt.uint8, _dt.int8, _dt.int16, _dt.int32, _dt.int64, *_dt.UNSIGNED_WIDE)}


def _check_from_to_in_range(low, to_inc, dtype) -> None:
    """PyTorch's ``check_from_to_in_range(from, to_inc)``: each bound must be a value of ``dtype``
    (named in C++); for a float dtype, a bound beyond ``2**digits`` only warns."""
    name = _C_TYPE_NAMES[dtype.name]
    if dtype.category == 2:
        lo, hi = -_FLOAT_MAX[dtype.name], _FLOAT_MAX[dtype.name]
    elif dtype.category <= 1:
        lo, hi = _INT_RANGE[dtype.name]
    else:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    if dtype.category == 2:
        digits = _FLOAT_DIGITS[dtype.name]
        for value, what in ((low, "from"), (to_inc, "to - 1")):
            if not -(1 << digits) <= value <= 1 << digits:
                from ...caller_warnings import warn_at_caller
                warn_at_caller(f"{what} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                               f"{name} can support discrete uniform distribution only within this range. This "
                               "warning will become an error in version 1.7 release, please fix the code in advance")


def _round_to_bits(v: int, bits: int) -> int:
    """The integer ``v`` rounded to ``bits`` significant bits, ties to even (a C++ conversion)."""
    a = abs(v)
    shift = a.bit_length() - bits
    if shift <= 0:
        return v
    q, r = divmod(a, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return (q << shift) if v >= 0 else -(q << shift)


def _through_float(v: int, dtype) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(v))`` for a float ``dtype``: Half and BFloat16
    convert through float (rounded twice); a value beyond int64 (or Half's infinity) comes back as
    INT64_MIN, as x86's truncating conversion gives it."""
    if dtype is _dt.float64:
        x = _round_to_bits(v, 53)
    else:
        x = _round_to_bits(v, 24)
        if dtype is not _dt.float32:
            x = _round_to_bits(x, _FLOAT_DIGITS[dtype.name])
            if dtype is _dt.float16 and abs(x) > 65504:
                return _INT64_MIN  # inf
    return x if _INT64_MIN <= x < 1 << 63 else _INT64_MIN


def _update_from(low: int, dtype) -> int:
    """PyTorch's ``update_from``: a ``from`` whose successor rounds below it in ``dtype`` moves up
    to a value the dtype holds."""
    plus_1 = _through_float(low + 1, dtype)
    if plus_1 < low:
        n = abs(low + 1).bit_length() - 1
        low = plus_1 + (1 << (n - _FLOAT_DIGITS[dtype.name] + 1))
    return low


def _update_to(high: int, dtype) -> int:
    """PyTorch's ``update_to``: a ``to`` whose predecessor rounds up to it (or beyond) in ``dtype``
    moves down."""
    minus_1 = _through_float(high - 1, dtype)
    if minus_1 >= high:
        n = abs(high - 1).bit_length() - 1
        high = minus_1 - (1 << (n - _FLOAT_DIGITS[dtype.name] + 1))
    return high


def _random_from_to(low: int, high, dtype, empty: bool):
    """PyTorch's ``random_from_to_impl`` up to the draw, for ``random_(from, to)`` (``high`` None:
    up to the dtype's largest) and ``randint``: its checks, errors and warnings in its order, and
    the ``(low, span)`` of the draw ``low + word % span`` (``span`` None for the full 64-bit range
    of ``random_(-2**63, None)``); None when ``empty`` (nothing is drawn)."""
    if dtype.limited and dtype.category == 2:  # (PyTorch draws no 8-bit floats)
        from ..creation import _not_implemented
        raise _not_implemented("random_update_from_to", dtype)
    if high is not None:
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if dtype.category == 2 and not -(1 << _FLOAT_DIGITS[dtype.name]) <= low < high <= 1 << _FLOAT_DIGITS[dtype.name]:
            # (bounds within +-2**digits are exact in the dtype: nothing to move)
            low, high = _update_from(low, dtype), _update_to(high, dtype)
            if low >= high:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                                   f"but got from={low} >= to={high}")
        _check_from_to_in_range(low, high - 1, dtype)
        return None if empty else (low, high - low)
    if low != _INT64_MIN:
        if dtype.category == 2:
            to_inc = 1 << _FLOAT_DIGITS[dtype.name]
            low = _update_from(low, dtype)
            if low >= to_inc:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                                   f"casted to dtype, but got from={low} > to_inc={to_inc}")
        elif dtype.category <= 1:
            to_inc = _INT_RANGE[dtype.name][1]
        else:
            raise RuntimeError("random_from_to_impl handles only integral, floating-point and boolean types")
        _check_from_to_in_range(low, to_inc, dtype)
        return None if empty else (low, to_inc - low + 1)
    if empty:
        return None
    if dtype in (_dt.int64, _dt.float64, _dt.float32, _dt.bfloat16):
        return low, None
    if dtype.category in (0, 3) or dtype is _dt.float16:  # outside the kernel's dispatch
        from ..creation import _not_implemented
        raise _not_implemented("random_full_64_bits_range_kernel_cpu", dtype)
    raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")


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


# the words of PyTorch's unadorned TORCH_CHECK, which ends with its plea for a better message
_P_IN_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
               "If so, please report an enhancement request to PyTorch.)")


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


def _write_sampled_out(out, value, fname: str):
    """``out=`` of a sampler that PyTorch resizes with ``resize_`` (``rand``, ``randint``,
    ``randperm``, ``normal(mean, std, size)``, ``multinomial``): an ``out`` of another shape takes
    the result's silently, without the deprecation warning of other ops' outs."""
    from .. import _frontend as F
    if isinstance(out, Tensor) and tuple(out.shape) != tuple(value.shape):
        out.resize_(tuple(value.shape))
    return F.write_out(out, value, fname)


def _factory_out(fname: str):
    """``out=`` for a sampling factory: the creation factories' handling, with ``out`` resized
    silently as ``_write_sampled_out`` does."""
    from .. import _frontend as F
    return F.factory_with_out(fname, resize_silently=True)
