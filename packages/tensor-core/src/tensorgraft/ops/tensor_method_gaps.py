"""Tensor methods that PyTorch programs call and that no op family covers.

- ``prelu`` / ``hardshrink``: the method spellings of ``nn.functional``'s functions (PyTorch has
  them on Tensor). They need tensorgraft-nn, reached through ``nn_function_aliases`` as the
  top-level ``tensorgraft.prelu`` is, so numerics, gradients and ``grad_fn`` names are ``F``'s.
- ``to_dense``: every tensorgraft tensor is strided (dense), so it is the tensor itself, or a
  converted copy when a ``dtype`` is given (as PyTorch does for a strided tensor).
- The sparse-layout queries: ``sparse_dim``/``dense_dim`` answer for a strided tensor as PyTorch does
  (0 and ``ndim``); ``values``, ``indices``, ``coalesce``, ``crow_indices`` ... raise PyTorch's errors
  for a strided tensor. There are no sparse tensors, so nothing else could be asked of them.
- ``is_distributed``: False (no ``torch.distributed``).
- ``storage_type`` and the legacy storage classes it returns (``FloatStorage`` ...): like the legacy
  tensor types of ops/creation.py, constructors that build a ``TypedStorage`` of their dtype, and
  ``isinstance(t.storage(), FloatStorage)`` checks the dtype.
- ``record_stream``: keeps a CUDA tensor's memory from being reused while work queued on another
  stream may still read it (see the function).

Plain methods, not registered ops: they compute nothing a gradient or a device kernel could apply to.
"""
from __future__ import annotations

import numbers
import warnings

from .. import dtypes as _dt
from ..storage import TypedStorage, untyped_storage
from ..tensor import Tensor


# --------------------------------------------------------------------------- nn.functional spellings
def _prelu(self, weight):
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 1) must be Tensor, not {type(weight).__name__}")
    from .. import nn_function_aliases
    nn_function_aliases.functional("Tensor.prelu")
    return nn_function_aliases.prelu(self, weight)


def _hardshrink(self, lambd=0.5):
    from .. import nn_function_aliases
    lambd = nn_function_aliases.number_arg(lambd, "hardshrink", "lambd", 1)
    nn_function_aliases.functional("Tensor.hardshrink")
    return nn_function_aliases.hardshrink(self, lambd)


# --------------------------------------------------------------------------- layouts
def _to_dense(self, dtype=None, *, masked_grad=None):
    if dtype is not None and not isinstance(dtype, _dt.dtype):
        raise TypeError(f"to_dense(): argument 'dtype' (position 1) must be torch.dtype, not {type(dtype).__name__}")
    if masked_grad is not None and not isinstance(masked_grad, bool):
        raise TypeError(f"to_dense(): argument 'masked_grad' must be bool, not {type(masked_grad).__name__}")
    return self if dtype is None or dtype is self.dtype else self.to(dtype)


def _sparse_dim(self) -> int:
    return 0


def _dense_dim(self) -> int:
    return self.ndim


def _sparse_only(name: str, layout: str):
    def method(self):
        raise RuntimeError(f"{name} expected {layout} layout but got Strided")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Only sparse tensors have {name}; tensorgraft's are strided, so this raises as PyTorch does."
    return method


def _is_distributed(self) -> bool:
    return False


# --------------------------------------------------------------------------- legacy storage types
class _LegacyStorageMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, TypedStorage) and obj.dtype is cls.dtype and obj.device.type == cls._device_type

    def __call__(cls, *args, wrap_storage=None, **kwargs):
        """``FloatStorage()``, ``FloatStorage(size)``, ``FloatStorage(sequence)`` or
        ``FloatStorage(wrap_storage=untyped)``: a ``TypedStorage`` of the class's dtype (zero-filled,
        like ``empty``)."""
        from ..storage import _TYPED_WARNING
        warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
        if kwargs or len(args) > 1 or (wrap_storage is not None and args):
            why = (f"Keyword argument '{next(iter(kwargs))}' cannot be specified" if kwargs else
                   "Too many positional arguments")
            raise RuntimeError(f"{cls!r}.__new__ received an invalid combination of arguments. Expected one of:\n"
                               " * no arguments\n * (int size)\n * (Sequence data)\n"
                               f" * (*, UntypedStorage wrap_storage)\n{why}")
        if wrap_storage is not None:
            return TypedStorage(wrap_storage, cls.dtype)
        from .creation import tensor, zeros
        device = cls._device_type
        if not args:
            data = zeros(0, dtype=cls.dtype, device=device)
        elif isinstance(args[0], numbers.Integral) and not isinstance(args[0], bool):
            data = zeros(int(args[0]), dtype=cls.dtype, device=device)
        else:
            data = tensor(args[0], dtype=cls.dtype, device=device)
        return TypedStorage(untyped_storage(data), cls.dtype)


_STORAGE_NAMES = {
    _dt.float32: "FloatStorage", _dt.float64: "DoubleStorage", _dt.float16: "HalfStorage",
    _dt.int64: "LongStorage", _dt.int32: "IntStorage", _dt.int16: "ShortStorage", _dt.int8: "CharStorage",
    _dt.uint8: "ByteStorage", _dt.bool: "BoolStorage", _dt.complex64: "ComplexFloatStorage",
    _dt.complex128: "ComplexDoubleStorage",
}
_storage_classes: dict = {}


def legacy_storage_class(dtype, device_type: str = "cpu"):
    """The legacy storage class of ``dtype`` on a device type (made once, then reused)."""
    key = (dtype, device_type)
    cls = _storage_classes.get(key)
    if cls is None:
        name = _STORAGE_NAMES[dtype]
        cls = _storage_classes[key] = _LegacyStorageMeta(name, (TypedStorage,), {
            "__slots__": (), "dtype": dtype, "_device_type": device_type, "is_cuda": device_type == "cuda",
            "__module__": __name__, "__doc__": f"Legacy storage type: a TypedStorage of {dtype} on {device_type}."})
    return cls


for _dtype, _name in _STORAGE_NAMES.items():  # the CPU ones by name (tensorgraft.FloatStorage & co. in PyTorch)
    globals()[_name] = legacy_storage_class(_dtype)
del _dtype, _name


def _storage_type(self):
    from ..storage import _TYPED_WARNING
    warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
    return legacy_storage_class(self.dtype, self._device.type)


# --------------------------------------------------------------------------- streams
# CuPy's memory pool keeps one arena per stream: freed memory goes back to the arena of the stream it
# was allocated on and is handed out again to later work on that stream, without waiting for work that
# other streams still have queued on it. That is the hazard PyTorch's ``record_stream`` guards against,
# and CuPy has no call to tell its pool about it. So the tensor's array is held here, with an event
# recorded on ``stream``, until that event has passed: the memory cannot return to the pool before the
# work queued on ``stream`` at the time of the call has finished. Finished entries are dropped on each
# call, so what is held is bounded by the work still in flight.
_held_for_streams: list = []


def _record_stream(self, stream):
    if not (hasattr(stream, "record_event") and hasattr(stream, "cuda_stream")):
        raise RuntimeError(f"record_stream(): expected a CUDA stream (tensorgraft.cuda.Stream), got "
                           f"{type(stream).__name__}")
    if self._device.type != "cuda":
        raise NotImplementedError(f"Could not run 'aten::record_stream' with arguments from the "
                                  f"'{self._device.type.upper()}' backend: only CUDA tensors are tied to streams")
    _held_for_streams[:] = [(event, array) for event, array in _held_for_streams if not event.query()]
    _held_for_streams.append((stream.record_event(), self._data))


# --------------------------------------------------------------------------- attach
_SPARSE_ONLY = (
    ("values", "sparse tensor"), ("indices", "sparse coordinate tensor"),
    ("is_coalesced", "sparse coordinate tensor"), ("coalesce", "sparse coordinate tensor"),
    ("crow_indices", "sparse row compressed tensor"), ("col_indices", "sparse row compressed tensor"),
    ("ccol_indices", "sparse column compressed tensor"), ("row_indices", "sparse column compressed tensor"),
)

for _name, _fn in (("prelu", _prelu), ("hardshrink", _hardshrink), ("to_dense", _to_dense),
                   ("sparse_dim", _sparse_dim), ("dense_dim", _dense_dim), ("is_distributed", _is_distributed),
                   ("storage_type", _storage_type), ("record_stream", _record_stream),
                   *((n, _sparse_only(n, layout)) for n, layout in _SPARSE_ONLY)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn
