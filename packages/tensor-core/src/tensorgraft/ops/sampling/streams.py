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
from ...device import device as _device
from ...random import random_stream
from ...tensor import Tensor
from ..conversion import move_array
from ..creation import _finish, _make


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
