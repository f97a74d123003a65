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
    if len(args) == 1 and isinstance(args[0], Tensor):
        return _typed_alias(dtype, args[0])
    if len(args) == 1:
        return tensor(args[0], dtype=dtype, device=device)
    raise TypeError("new(): invalid arguments: pass sizes as integers or data as one sequence")


def construct_into(target, args, kwargs) -> None:
    """``Tensor(...)`` (and a subclass's ``MyTensor(...)``) filling ``target``: ``Tensor(t)`` is an
    alias of ``t`` (its memory, dtype and graph), anything else builds data in the default dtype."""
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        from ...memory_layout import strided
        if args[0].layout is strided:
            from ..._tensor_autograd import alias_into
            alias_into(target, args[0])
            return
    from ...tensor import _init
    _init(target, _legacy_construct(_dt.get_default_dtype(), args, kwargs)._data, _CPU)


def options_mismatch(dtype, device, source) -> str:
    """PyTorch's message when a legacy constructor gets a tensor of another dtype or device."""
    def options(dt, dev):
        return (f"TensorOptions(dtype={_dt.CPP_TYPE_NAMES.get(dt.np.name, dt.np.name)}, device={dev}, "
                "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
                "memory_format=(nullopt))")
    return f"expected {options(dtype, device)} (got {options(source.dtype, source._device)})"


def _typed_alias(dtype, source):
    """``torch.FloatTensor(t)``: an alias of ``t`` (memory and graph), which must already have the
    constructor's dtype — PyTorch converts nothing here and says what it expected."""
    if source.dtype is not dtype or source._device.type != "cpu":
        raise TypeError(options_mismatch(dtype, "cpu", source))
    from ..._tensor_autograd import alias_into
    from ...tensor import _new
    out = _new(Tensor)
    alias_into(out, source)
    return out


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
