"""Tensor's dtype and device moves: ``to`` (with PyTorch's overload checks), ``cpu``/``cuda``,
``type``/``type_as``, the dtype shorthands (``float()``, ``long()`` ...) and ``pin_memory``.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

from . import dtypes as _dt
from .device import device as _device_cls
from .tensor import Tensor
from tensorgraft.argument_errors import c_type_name


_TO_OVERLOADS = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = "
    "None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n")


def _arg_type_name(a) -> str:
    """An argument's type as PyTorch's "invalid combination" messages print it."""
    from .memory_layout import memory_format
    if a.__class__ is _dt.dtype:
        return "torch.dtype"
    if isinstance(a, _device_cls):
        return "torch.device"
    if a.__class__ is memory_format:
        return "torch.memory_format"
    return "Tensor" if isinstance(a, Tensor) else type(a).__name__


def _invalid_to_arguments(args, kwargs) -> TypeError:
    # PyTorch lists the positional types, then the keywords (last given first); with no positional
    # argument each keyword is followed by ", "
    pos = [_arg_type_name(a) for a in args]
    kws = [f"{k}={_arg_type_name(v)}" for k, v in reversed(kwargs.items())]
    got = ", ".join(pos + kws) if pos else "".join(k + ", " for k in kws)
    return TypeError(f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + _TO_OVERLOADS)


def _check_to_keywords(args, kwargs) -> None:
    """``Tensor.to``'s keywords, as PyTorch's parser takes them: ``device``/``dtype`` (not also
    given by position) or ``tensor`` (alone), and ``non_blocking``/``copy`` bools and a
    ``memory_format``; anything else is refused with the list of overloads."""
    from .memory_layout import memory_format
    positional = [a for a in args if not isinstance(a, bool)]
    ok = True
    for k, v in kwargs.items():
        if k in ("non_blocking", "copy"):
            ok = v.__class__ is bool and len(args) - len(positional) < (1 if k == "non_blocking" else 2)
        elif k == "memory_format":
            ok = v is None or v.__class__ is memory_format
        elif k == "dtype":
            ok = (v is None or v.__class__ is _dt.dtype or isinstance(v, type) and v in _PY_TYPE_DTYPES) and \
                not any(a.__class__ is _dt.dtype or isinstance(a, Tensor) for a in positional) and "tensor" not in kwargs
        elif k == "device":
            ok = (v is None or isinstance(v, (str, _device_cls, int)) and not isinstance(v, bool)) and \
                not positional and "tensor" not in kwargs
        elif k == "tensor":
            ok = isinstance(v, Tensor) and not positional
        else:
            ok = False
        if not ok:
            raise _invalid_to_arguments(args, kwargs)


def _check_to_positionals(args) -> None:
    """``Tensor.to``'s positional forms, as PyTorch's parser takes them: ``(device, dtype, bools)``,
    ``(dtype, bools)`` or ``(tensor, bools)``; anything else (``to(torch.float64, "cpu")``) is
    refused with its list of overloads rather than read leniently."""
    kinds = []
    for a in args:
        if a.__class__ is _dt.dtype or isinstance(a, type) and a in _PY_TYPE_DTYPES:
            kinds.append("dtype")
        elif isinstance(a, Tensor):
            kinds.append("tensor")
        elif isinstance(a, bool):
            kinds.append("bool")
        elif a is None and kinds == ["device"]:  # ``to(None, None)``: both defaults
            kinds.append("dtype")
        elif a is None or isinstance(a, (str, _device_cls, int)):  # (None: the device argument's default)
            kinds.append("device")
        else:
            raise _invalid_to_arguments(args, {})  # (an object no overload takes: ``to(np.float64)``)
    head = [k for k in kinds if k != "bool"]
    first_bool = kinds.index("bool") if "bool" in kinds else len(kinds)
    ok = head in ([], ["device"], ["dtype"], ["tensor"], ["device", "dtype"]) and \
        all(k == "bool" for k in kinds[first_bool:]) and len(kinds) - first_bool <= 2
    if not ok:
        raise _invalid_to_arguments(args, {})


def _to_with_format(t, dtype, device, copy, fmt):
    """``to(..., memory_format=)``: PyTorch checks the format before anything changes, returns
    the tensor itself when nothing else changes and its strides already suggest ``fmt`` (a
    transposed matrix is "contiguous format" there), else copies into ``fmt`` and records
    ToCopyBackward0."""
    from .memory_layout import check_format_rank, has_format_strides, preserve_format, suggest_format
    from .ops.conversion import convert
    from .ops.tensor_extras import to_memory_format
    check_format_rank(t._data.ndim, fmt)
    if fmt is preserve_format:
        return convert(t, dtype=dtype, device=device, copy=copy)
    moved = convert(t, dtype=dtype, device=device, copy=copy)
    if moved is t:
        return t if suggest_format(t._data) is fmt else to_memory_format(t, fmt, "ToCopyBackward0")
    if has_format_strides(moved._data, fmt):
        return moved
    # the dtype/device step already recorded ToCopyBackward0; relayout its result in place
    from .device import get_backend
    from .memory_layout import copy_in_format
    moved._data = copy_in_format(get_backend(moved._device).xp, moved._data, fmt)
    return moved


_LEGACY_TYPE_NAMES = {
    _dt.float32: "torch.FloatTensor", _dt.float64: "torch.DoubleTensor", _dt.float16: "torch.HalfTensor",
    _dt.bfloat16: "torch.BFloat16Tensor",
    _dt.int64: "torch.LongTensor", _dt.int32: "torch.IntTensor", _dt.int16: "torch.ShortTensor",
    _dt.int8: "torch.CharTensor", _dt.uint8: "torch.ByteTensor", _dt.bool: "torch.BoolTensor",
    _dt.complex64: "torch.ComplexFloatTensor", _dt.complex128: "torch.ComplexDoubleTensor",
    **{d: f"torch.{d.scalar_type}Tensor" for d in _dt.LIMITED_DTYPES},  # (no legacy classes: names only)
}


def _memory_format_cls():
    from .memory_layout import memory_format
    return memory_format


_PY_TYPE_DTYPES = {float: _dt.float64, int: _dt.int64, bool: _dt.bool, complex: _dt.complex128}


class ConversionMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``non_blocking`` and
        ``copy`` accepted."""
        if not kwargs and len(args) == 1:
            a = args[0]
            if a.__class__ is _dt.dtype and a.np == self._data.dtype:
                return self  # already that dtype: PyTorch returns the same tensor
        if kwargs:
            _check_to_keywords(args, kwargs)
        _check_to_positionals(args)
        dev = kwargs.get("device")
        dt = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        fmt = kwargs.get("memory_format")
        other = kwargs.get("tensor")
        if other is not None:  # ``to(tensor=other)``: its dtype and device
            dev, dt = other._device, other.dtype
        flags = 0
        for a in args:
            if a.__class__ is _dt.dtype:
                dt = a
            elif isinstance(a, Tensor):
                dev, dt = a._device, a.dtype
            elif isinstance(a, bool):
                flags += 1  # non_blocking, then copy
                if flags == 2:
                    copy = a
            elif a is None:
                pass  # to(None): the device left as it is
            elif isinstance(a, (str, _device_cls, int)):
                dev = a
            elif isinstance(a, type) and a in _PY_TYPE_DTYPES:
                dt = _PY_TYPE_DTYPES[a]
            else:
                raise TypeError(f"to() received an invalid argument of type {type(a).__name__}")
        if dt is not None and dt.__class__ is not _dt.dtype:
            if isinstance(dt, type) and dt in _PY_TYPE_DTYPES:
                dt = _PY_TYPE_DTYPES[dt]
            else:
                raise TypeError(f"to(): argument 'dtype' must be torch.dtype, not {c_type_name(dt)}")
        from .ops.conversion import convert
        if fmt is not None:
            return _to_with_format(self, dt, dev, copy, fmt)
        return convert(self, dtype=dt, device=dev, copy=copy)

    def cpu(self, *, memory_format=None) -> "Tensor":  # (keyword-only, as PyTorch's)
        if memory_format is not None and memory_format.__class__ is not _memory_format_cls():
            raise TypeError("cpu(): argument 'memory_format' must be torch.memory_format, not "
                            f"{c_type_name(memory_format)}")
        return self.to("cpu") if memory_format is None else self.to("cpu", memory_format=memory_format)

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device) if memory_format is None else self.to(device, memory_format=memory_format)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """``t.type()`` -> ``'torch.FloatTensor'``; ``t.type(tg.int32)`` / ``t.type('torch.IntTensor')``
        convert."""
        if dtype is None:
            name = _LEGACY_TYPE_NAMES.get(self.dtype, "torch.Tensor")
            if self._device.type != "cpu":
                name = name.replace("torch.", f"torch.{self._device.type}.")
            if self.is_sparse:
                name = name.replace("torch.", "torch.sparse.")
            return name
        if isinstance(dtype, str):
            inv = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            dev = None
            key = dtype
            if dtype.startswith("torch.cuda."):
                key, dev = "torch." + dtype[len("torch.cuda."):], "cuda"
            if key not in inv:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to(device=dev, dtype=inv[key])
        if isinstance(dtype, type) and hasattr(dtype, "_dtype"):  # tg.FloatTensor, tg.cuda.FloatTensor etc.
            # a legacy type names a device too: tg.FloatTensor the CPU, tg.cuda.FloatTensor the GPU
            return self.to(device="cuda" if getattr(dtype, "is_cuda", False) else "cpu", dtype=dtype._dtype)
        if isinstance(dtype, type):  # another class (``int``, ``np.float64``): PyTorch looks its C name up
            name = f"numpy.{dtype.__name__}" if dtype.__module__ == "numpy" else dtype.__name__
            raise ValueError(f"invalid type: '{name}'")
        if dtype.__class__ is not _dt.dtype:
            raise TypeError("dtype must be a type, str, or dtype object")
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not {c_type_name(other)}")
        return self.to(other.dtype)

    def float(self, *, memory_format=None):
        return self.to(_dt.float32) if memory_format is None else self.to(_dt.float32, memory_format=memory_format)

    def double(self, *, memory_format=None):
        return self.to(_dt.float64) if memory_format is None else self.to(_dt.float64, memory_format=memory_format)

    def half(self, *, memory_format=None):
        return self.to(_dt.float16) if memory_format is None else self.to(_dt.float16, memory_format=memory_format)

    def bfloat16(self, *, memory_format=None):
        return self.to(_dt.bfloat16) if memory_format is None else self.to(_dt.bfloat16, memory_format=memory_format)

    def long(self, *, memory_format=None):
        return self.to(_dt.int64) if memory_format is None else self.to(_dt.int64, memory_format=memory_format)

    def int(self, *, memory_format=None):
        return self.to(_dt.int32) if memory_format is None else self.to(_dt.int32, memory_format=memory_format)

    def short(self, *, memory_format=None):
        return self.to(_dt.int16) if memory_format is None else self.to(_dt.int16, memory_format=memory_format)

    def char(self, *, memory_format=None):
        return self.to(_dt.int8) if memory_format is None else self.to(_dt.int8, memory_format=memory_format)

    def byte(self, *, memory_format=None):
        return self.to(_dt.uint8) if memory_format is None else self.to(_dt.uint8, memory_format=memory_format)

    def bool(self, *, memory_format=None):
        return self.to(_dt.bool) if memory_format is None else self.to(_dt.bool, memory_format=memory_format)

    def cfloat(self, *, memory_format=None):
        return self.to(_dt.complex64) if memory_format is None else self.to(_dt.complex64, memory_format=memory_format)

    def cdouble(self, *, memory_format=None):
        return self.to(_dt.complex128) if memory_format is None else self.to(_dt.complex128, memory_format=memory_format)

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None) -> bool:
        return False
