"""The legacy typed constructors ``FloatTensor``, ``LongTensor``, ... (``torch.FloatTensor(2, 3)``,
``torch.LongTensor([1, 2])``, ``isinstance(x, torch.FloatTensor)``) that old tutorials use.

Separate because they are classes with a metaclass, not factory functions, and only delegate to
``empty`` and ``tensor``.
"""
from __future__ import annotations

import numbers

from ... import dtypes as _dt
from ...tensor import Size, Tensor
from ._common import _CPU
from .fills import empty
from .from_data import tensor


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
BFloat16Tensor = _legacy("BFloat16Tensor", _dt.bfloat16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
ShortTensor = _legacy("ShortTensor", _dt.int16)
CharTensor = _legacy("CharTensor", _dt.int8)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
BoolTensor = _legacy("BoolTensor", _dt.bool)
