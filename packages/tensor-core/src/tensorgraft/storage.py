"""Storages (``Tensor.untyped_storage()``, ``Tensor.storage()``, the legacy per-dtype classes such as
``FloatStorage`` that ``Tensor.storage_type()`` returns) and the methods that change which memory a
tensor uses (``set_``, ``resize_``, ``resize_as_``) or write it element by element (``apply_``,
``map_``, ``map2_``).

A tensor's array is a NumPy/CuPy array, possibly a view of another one; its storage is the array
that owns the memory at the end of that chain of views. Views of one tensor therefore report one
storage (same ``data_ptr``), as in PyTorch.

The storage classes are here; where a tensor lies in its storage and the methods that change its
memory are in ``storage_changes`` (re-exported at the end of this module).
"""
from __future__ import annotations

import collections.abc
import numbers
import warnings

import numpy as np

from . import dtypes as _dt

__all__ = ["UntypedStorage", "TypedStorage", "legacy_storage_class", "owner_array", "storage_offset", "set_",
           "resize_", "apply_", "map_", "map2_"]


def owner_array(a):
    """The array owning ``a``'s memory: ``a``'s chain of views followed to its start (through the
    helper object ``as_strided`` puts in between)."""
    kind = type(a).__mro__[-2]  # numpy.ndarray (or cupy.ndarray): the family's base class
    while True:
        b = getattr(a, "base", None)
        if isinstance(b, kind):
            a = b
            continue
        inner = getattr(b, "base", None)  # NumPy's as_strided keeps the array behind a DummyArray
        if b is not None and isinstance(inner, kind):
            a = inner
            continue
        return a


def _ptr(a) -> int:
    iface = getattr(a, "__array_interface__", None) or a.__cuda_array_interface__
    return iface["data"][0]


def _bytes_of(owner):
    """The owner's memory as a flat uint8 array (a view, so writes reach the tensors)."""
    if owner.flags.c_contiguous:
        return owner.reshape(-1).view(np.uint8)
    return owner.view(np.uint8).reshape(-1)  # pragma: no cover - owners are allocated contiguous


def storage_offset(a) -> int:
    """Offset in elements of ``a``'s first element from the start of its storage."""
    if a.size == 0:
        return 0
    return (_ptr(a) - _ptr(owner_array(a))) // a.itemsize


def _new_storage_bytes(arg) -> np.ndarray:
    """The bytes of ``UntypedStorage(arg)``: ``arg`` zero bytes for a number (PyTorch leaves them
    uninitialised), else the items of a sequence of ints modulo 256, with PyTorch's errors."""
    if isinstance(arg, numbers.Integral) and not isinstance(arg, bool):
        n = int(arg)
        if n < 0:
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:98] ((ptrdiff_t)nbytes) >= 0. alloc_cpu() seems to have "
                               f"been called with negative number: {n + 2 ** 64}")
        return np.zeros(n, np.uint8)
    if not isinstance(arg, collections.abc.Sequence):
        raise RuntimeError(f"torch.UntypedStorage(): Expected a sequence type, but got {type(arg).__name__}")
    for item in arg:
        if not isinstance(item, numbers.Integral):
            raise RuntimeError(f"torch.UntypedStorage(): tried to construct a storage from a sequence "
                               f"({type(arg).__name__}), but one of the items was of type {type(item).__name__} "
                               "instead of int")
    return np.array([int(v) % 256 for v in arg], dtype=np.uint8)


class UntypedStorage:
    """The bytes of a tensor's memory (``torch.UntypedStorage``)."""

    __slots__ = ("_owner", "_device")

    def __init__(self, *args, device=None):
        from .device import device as _device_cls
        if len(args) == 2 and device is None and isinstance(args[1], _device_cls):
            self._owner, self._device = args  # (tensorgraft's own: the array owning the memory, its device)
            return
        # PyTorch's public forms: UntypedStorage(), UntypedStorage(nbytes), UntypedStorage(sequence)
        if len(args) > 1:
            raise TypeError(f"UntypedStorage(): expected at most one positional argument, got {len(args)}")
        values = _new_storage_bytes(args[0] if args else 0)
        import tensorgraft as tg
        t = tg.tensor(values, dtype=_dt.uint8, device=device)
        self._owner, self._device = owner_array(t._data), t._device

    def _bytes(self):
        return _bytes_of(self._owner)

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    def data_ptr(self) -> int:
        return _ptr(self._owner)

    def nbytes(self) -> int:
        return int(self._owner.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    def is_shared(self) -> bool:
        if self._device.type != "cpu":
            return False
        from .memory_mapped_files import is_from_file
        from .multiprocessing.shared_memory import is_shared
        return is_shared(self._owner) or is_from_file(self._owner)

    @staticmethod
    def from_file(filename, shared=False, nbytes=0):
        """A CPU storage of ``nbytes`` bytes over a memory-mapped file (``shared=True``: writes reach
        the file, which is created or lengthened as needed); see ``tensorgraft.from_file``."""
        from .memory_mapped_files import from_file
        return untyped_storage(from_file(filename, shared, nbytes, dtype=_dt.uint8))

    def _host_bytes(self):
        b = self._bytes()
        if self._device.type == "cpu":
            return b
        from .device import get_backend
        return get_backend(self._device).to_host(b)

    def tolist(self) -> list:
        return self._host_bytes().tolist()

    def _check_index(self, i: int, n: int) -> int:
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return i + n if i < 0 else i

    def _slice_bounds(self, s: slice):
        start, stop, step = s.indices(len(self))
        if step != 1:
            raise RuntimeError(f"Trying to slice with a step of {step}, but only a step of 1 is supported")
        return start, max(start, stop)

    def __getitem__(self, i):
        if isinstance(i, slice):
            # as PyTorch: a storage over the same memory (writes reach this one), not a copy; its
            # bytes are its owner, so data_ptr()/nbytes() are the slice's
            start, stop = self._slice_bounds(i)
            return UntypedStorage(self._bytes()[start:stop], self._device)
        i = self._check_index(int(i), len(self))
        return int(self._host_bytes()[i])

    def __setitem__(self, i, value):
        if isinstance(i, slice):
            start, stop = self._slice_bounds(i)
            self._bytes()[start:stop] = value
            return
        i = self._check_index(int(i), len(self))
        self._bytes()[i] = value

    def fill_(self, value):
        self._bytes()[...] = value
        return self

    def type(self) -> str:
        return "torch.UntypedStorage"

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        head = f"[torch.storage.UntypedStorage(device={self._device}) of size {len(self)}]"
        return body + "\n" + head if body else head

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and self.data_ptr() == other.data_ptr() \
            and self._device == other._device

    def __hash__(self):
        return hash((self.data_ptr(), str(self._device)))


class TypedStorage:
    """The elements of a tensor's memory seen with its dtype (``torch.TypedStorage``, which
    PyTorch deprecates in favour of ``untyped_storage()``)."""

    __slots__ = ("_untyped", "dtype")

    def __init__(self, untyped: UntypedStorage, dtype):
        self._untyped = untyped
        self.dtype = dtype

    def untyped(self) -> UntypedStorage:
        return self._untyped

    @classmethod
    def from_file(cls, filename, shared, size):
        """``FloatStorage.from_file(filename, shared, size)``: ``size`` elements of the class's dtype
        over a memory-mapped file (see ``UntypedStorage.from_file``)."""
        if cls is TypedStorage:
            raise RuntimeError("from_file can only be called on derived classes")
        return TypedStorage(UntypedStorage.from_file(filename, shared, size * cls.dtype.itemsize), cls.dtype)

    def _elements(self):
        b = self._untyped._bytes()
        isz = self.dtype.itemsize
        return b[: len(b) // isz * isz].view(self.dtype.np)

    @property
    def device(self):
        return self._untyped.device

    @property
    def is_cuda(self) -> bool:
        return self._untyped.is_cuda

    def data_ptr(self) -> int:
        return self._untyped.data_ptr()

    def is_shared(self) -> bool:
        return self._untyped.is_shared()

    def element_size(self) -> int:
        return self.dtype.itemsize

    def nbytes(self) -> int:
        return self._untyped.nbytes()

    def size(self) -> int:
        return self._untyped.nbytes() // self.dtype.itemsize

    def __len__(self) -> int:
        return self.size()

    def tolist(self) -> list:
        e = self._elements()
        if self.device.type != "cpu":
            from .device import get_backend
            e = get_backend(self.device).to_host(e)
        return e.tolist()

    def __getitem__(self, i):
        n = self.size()
        i = int(i)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return self.tolist()[i]

    def __setitem__(self, i, value):
        n = self.size()
        if not -n <= int(i) < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        self._elements()[int(i)] = value

    def type(self) -> str:
        from .tensor import _LEGACY_TYPE_NAMES
        return _LEGACY_TYPE_NAMES.get(self.dtype, "torch.Tensor").replace("Tensor", "Storage")

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        head = f"[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {len(self)}]"
        return body + "\n" + head if body else head


_TYPED_WARNING = ("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()")


def untyped_storage(t) -> UntypedStorage:
    return UntypedStorage(owner_array(t._data), t._device)


def typed_storage(t) -> TypedStorage:
    from .global_switches import warn_once
    warn_once(_TYPED_WARNING, UserWarning, stacklevel=3)  # (PyTorch: once per process)
    return TypedStorage(untyped_storage(t), t.dtype)


# --------------------------------------------------------------------------- legacy storage classes
class _LegacyStorageMeta(type):
    """The type of ``FloatStorage`` & co.: like the legacy tensor types of ops/creation/legacy.py, they build
    a ``TypedStorage`` of their dtype, and ``isinstance(t.storage(), FloatStorage)`` checks the dtype
    (and the device type) of a ``TypedStorage``, as PyTorch's do."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, TypedStorage) and obj.dtype is cls.dtype and obj.device.type == cls._device_type

    def __call__(cls, *args, wrap_storage=None, dtype=None, device=None, _internal=False, **unexpected):
        """``FloatStorage()``, ``FloatStorage(size)``, ``FloatStorage(sequence)`` or
        ``FloatStorage(wrap_storage=untyped)``: a ``TypedStorage`` of the class's dtype (zero-filled,
        like ``empty``). Arguments are checked in PyTorch's order, with its messages: ``dtype`` and
        ``device`` are TypedStorage's keywords, which the legacy classes refuse; ``_internal=True``
        (PyTorch's own calls) skips the deprecation warning."""
        if unexpected:
            raise TypeError(f"TypedStorage.__new__() got an unexpected keyword argument '{next(iter(unexpected))}'")
        if not _internal:
            warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
        invalid = (f"{cls!r}.__new__ received an invalid combination of arguments. Expected one of:\n"
                   " * no arguments\n * (int size)\n * (Sequence data)\n * (*, UntypedStorage wrap_storage)\n")
        for keyword, value in (("device", device), ("dtype", dtype)):
            if value is not None:
                raise RuntimeError(f"{invalid}Keyword argument '{keyword}' cannot be specified")
        if wrap_storage is not None:
            if args:
                raise RuntimeError(f"{invalid}No positional arguments should be given when using 'wrap_storage'")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(f"{invalid}Argument 'wrap_storage' must be UntypedStorage, but got "
                                f"{type(wrap_storage)}")
            return TypedStorage(wrap_storage, cls.dtype)
        if len(args) > 1:
            raise RuntimeError(f"{invalid}Too many positional arguments")
        from .ops.creation import tensor, zeros
        device = cls._device_type
        if not args:
            data = zeros(0, dtype=cls.dtype, device=device)
        elif isinstance(args[0], numbers.Integral):  # a size (so are True and NumPy integers, as in PyTorch)
            data = zeros(int(args[0]), dtype=cls.dtype, device=device)
        elif isinstance(args[0], collections.abc.Sequence):  # data (not a Tensor, an array or an iterator)
            data = tensor(args[0], dtype=cls.dtype, device=device)
        else:
            raise TypeError(f"{invalid}Argument type not recognized: {type(args[0])}")
        return TypedStorage(untyped_storage(data), cls.dtype)


# PyTorch's legacy class of each dtype tensorgraft has (it has no quantized dtypes, so no QInt8Storage ...)
_LEGACY_NAMES = {
    _dt.float32: "FloatStorage", _dt.float64: "DoubleStorage", _dt.float16: "HalfStorage",
    _dt.bfloat16: "BFloat16Storage",
    _dt.int64: "LongStorage", _dt.int32: "IntStorage", _dt.int16: "ShortStorage", _dt.int8: "CharStorage",
    _dt.uint8: "ByteStorage", _dt.bool: "BoolStorage", _dt.complex64: "ComplexFloatStorage",
    _dt.complex128: "ComplexDoubleStorage",
}
# The CPU classes by the names ``tensorgraft.<name>`` resolves on first use (``Storage`` is PyTorch's old
# alias of ``FloatStorage``, the same class)
LEGACY_STORAGE_DTYPES = {**{name: dt for dt, name in _LEGACY_NAMES.items()}, "Storage": _dt.float32}
_legacy_classes: dict = {}


def legacy_storage_class(dtype, device_type: str = "cpu"):
    """The legacy storage class of ``dtype`` on a device type, made on first use (``import tensorgraft``
    makes none) and the same object from then on."""
    key = (dtype, device_type)
    cls = _legacy_classes.get(key)
    if cls is None:
        name = _LEGACY_NAMES[dtype]
        cls = _legacy_classes[key] = _LegacyStorageMeta(name, (TypedStorage,), {
            "__slots__": (), "dtype": dtype, "_device_type": device_type, "is_cuda": device_type == "cuda",
            # named as PyTorch names them (torch.FloatStorage, torch.cuda.FloatStorage): how they print,
            # and where pickle looks them up
            "__module__": "tensorgraft" if device_type == "cpu" else f"tensorgraft.{device_type}",
            "__doc__": f"Legacy storage type: a TypedStorage of {dtype} on {device_type}."})
    return cls


# Where a tensor lies in its storage, and changing which memory it uses (storage_changes.py); imported
# last, as that module builds on the classes above. Every name stays importable from here.
from .storage_changes import (  # noqa: E402, F401
    _broadcast_other, _check_can_change, _cpu_only, _store_python_values, _strided_view, apply_, is_storage, map2_,
    map_, place_in_storage, rebuild_view, resize_, set_, storage_base, view_in_storage)
