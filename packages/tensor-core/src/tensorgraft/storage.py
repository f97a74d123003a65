"""Storages (``Tensor.untyped_storage()``, ``Tensor.storage()``, the legacy per-dtype classes such as
``FloatStorage`` that ``Tensor.storage_type()`` returns) and the methods that change which memory a
tensor uses (``set_``, ``resize_``, ``resize_as_``) or write it element by element (``apply_``,
``map_``, ``map2_``).

A tensor's array is a NumPy/CuPy array, possibly a view of another one; its storage is the array
that owns the memory at the end of that chain of views. Views of one tensor therefore report one
storage (same ``data_ptr``), as in PyTorch.
"""
from __future__ import annotations

import collections.abc
import numbers
import warnings

import numpy as np

from . import dtypes as _dt
from .memory_layout import strided_view
from tensorgraft.dtypes import np_kind as _np_kind

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


# --------------------------------------------------------------------------- changing a tensor's memory
def place_in_storage(t):
    """``(storage elements, offset, stride)`` of a CPU tensor in its storage, as ``torch.save``
    writes a tensor: the storage is the memory of the tensor its offsets count from
    (``storage_base``: a view's base, else the tensor itself), as one flat array of ``t``'s dtype;
    offset and strides are in elements. None where no such flat storage describes it (an empty
    tensor, negative strides, a base that is not one dense block, a foreign byte order)."""
    a = t._data
    if not isinstance(a, np.ndarray) or not a.size or not a.dtype.isnative:
        return None
    root = storage_base(t)._data
    if not isinstance(root, np.ndarray) or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    item = a.itemsize
    if root.nbytes % item:
        return None
    begin = _ptr(a) - _ptr(root)
    if begin < 0 or begin % item or any(s < 0 or s % item for s in a.strides):
        return None
    if begin + sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + item > root.nbytes:
        return None
    flat = root.reshape(-1) if root.flags.c_contiguous else root.T.reshape(-1)
    if flat.dtype != a.dtype:  # (a view of the memory as another dtype: ``c.real``, ``x.view(torch.uint8)``)
        flat = flat.view(np.uint8).view(a.dtype)
    return flat, begin // item, tuple(s // item for s in a.strides)


def view_in_storage(t):
    """``(storage elements, offset, size, stride)`` of a CPU tensor that views part of its storage
    or lies in it with gaps (``x[1:]``, ``x[::2]``, ``x.expand(...)``), so that pickling it keeps the
    whole storage, the offset and the strides as PyTorch's ``Tensor.__reduce_ex__`` does; None for a
    tensor that is all of its storage, densely (NumPy pickles its array with its C or F layout), or
    one ``place_in_storage`` cannot describe."""
    placed = place_in_storage(t)
    if placed is None:
        return None
    flat, offset, stride = placed
    a = t._data
    if offset == 0 and a.size == flat.size and (a.flags.c_contiguous or a.flags.f_contiguous):
        return None
    return flat, offset, a.shape, stride


def rebuild_view(cls, flat, offset, size, stride, device, requires_grad):
    """What a tensor pickled as a view of its storage (``view_in_storage``) unpickles as: a leaf
    viewing the unpickled storage at its offset and strides (``storage_offset()`` as before)."""
    from .tensor import _rebuild_leaf, wrap
    item = flat.itemsize
    data = strided_view(np, flat[offset:], tuple(size), tuple(s * item for s in stride))
    t = _rebuild_leaf(cls, data, device, requires_grad)
    t._hooks().storage_root = wrap(flat, device)
    return t


def _check_can_change(t, fname: str) -> None:
    from .tensor import check_not_inference
    check_not_inference(t)
    if t._requires_grad and t.grad_fn is None:
        from .grad_mode import state
        if state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _strided_view(u8, offset_elems, size, stride, npdtype, xp):
    isz = np.dtype(npdtype).itemsize
    elems = u8[: len(u8) // isz * isz].view(npdtype)
    start = elems[offset_elems:]
    byte_strides = tuple(s * isz for s in stride)
    if xp is np:
        return strided_view(np, start, tuple(size), byte_strides)
    from cupy.lib.stride_tricks import as_strided  # pragma: no cover - CUDA only
    return as_strided(start, tuple(size), byte_strides)


def is_storage(obj) -> bool:
    """``torch.is_storage``: whether ``obj`` is a storage (untyped, or a legacy typed one)."""
    return isinstance(obj, (UntypedStorage, TypedStorage))


def storage_base(t):
    """The tensor whose first element starts ``t``'s memory, from where storage offsets count: a
    view's base, the storage root of a tensor that shares memory without being an autograd view
    (``detach()`` of a view, ``set_()``), else ``t`` itself."""
    root = t
    while True:  # (a view's base can itself be a detached view with a root of its own)
        if root._base is not None:
            nxt = root._base
        elif root._extra is not None and root._extra.storage_root is not None:
            nxt = root._extra.storage_root
        else:
            return root
        if nxt is root:
            return root
        root = nxt


def set_(t, source=None, storage_offset=0, size=None, stride=None):
    """``Tensor.set_``: make ``t`` use ``source``'s memory (a tensor's, or a storage's from
    ``storage_offset`` with ``size``/``stride``); ``set_()`` leaves ``t`` empty."""
    from .tensor import Tensor, wrap
    from .device import get_backend
    _check_can_change(t, "set_")
    if source is None:
        t._data = get_backend(t._device).xp.empty((0,), dtype=t._data.dtype)
        t._base = None
        if t._extra is not None:
            t._extra.storage_root = None
    elif isinstance(source, Tensor):
        if source._data.dtype != t._data.dtype:
            from .tensor import _CPP_TYPE_NAMES
            raise RuntimeError(f"Could not set tensor of type {_CPP_TYPE_NAMES[source._data.dtype.name]} to a tensor "
                               f"of type {_CPP_TYPE_NAMES[t._data.dtype.name]}")
        t._data = source._data
        t._device = source._device
        # not an autograd view of source (PyTorch's _base stays None): only storage_offset() needs
        # to know whose memory it now starts in
        t._base = None
        root = storage_base(source)
        t._hooks().storage_root = root.detach() if root is source else root
    else:
        if isinstance(source, TypedStorage):
            source = source.untyped()
        if not isinstance(source, UntypedStorage):
            raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not {type(source).__name__}")
        xp = get_backend(source.device).xp
        n = source.nbytes() // t._data.itemsize
        if size is None:
            size, stride = (n - storage_offset,), (1,)
        size = tuple(int(s) for s in size)
        if stride is None:
            from .memory_layout import format_strides
            stride = format_strides(size, tuple(range(len(size))))
        u8 = source._bytes()
        t._data = _strided_view(u8, int(storage_offset), size, tuple(int(s) for s in stride), t._data.dtype, xp)
        t._device = source.device
        # the whole storage as a tensor of t's dtype: what storage_offset() measures from
        isz = t._data.itemsize
        t._base = None
        t._hooks().storage_root = wrap(u8[: len(u8) // isz * isz].view(t._data.dtype), source.device)
    t._vc[0] += 1
    return t


def resize_(t, size):
    """PyTorch's ``resize_``: the first ``numel`` elements of the tensor's memory (from its
    offset, in memory order) seen as a contiguous tensor of ``size``; memory grows when too small
    (the new elements are zeros here; PyTorch leaves them uninitialised)."""
    if t._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    from .tensor import check_not_inference
    from .device import get_backend
    check_not_inference(t)
    size = tuple(size)
    for s in size:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"resize_(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    a = t._data
    n = 1
    for s in size:
        n *= int(s)
    if a.shape == size:
        return t
    isz = a.itemsize
    owner = owner_array(a)
    u8 = _bytes_of(owner)
    start = (_ptr(a) - _ptr(owner)) if a.size else 0
    need = n * isz
    if start + need <= len(u8):
        t._data = u8[start:start + need].view(a.dtype).reshape(size)
    else:
        xp = get_backend(t._device).xp
        grown = xp.zeros(n, dtype=a.dtype)
        keep = (len(u8) - start) // isz
        grown[:keep] = u8[start:start + keep * isz].view(a.dtype)
        t._data = grown.reshape(size)
        t._base = None
    return t


def _cpu_only(t, fname: str) -> None:
    if t._device.type != "cpu":
        raise TypeError(f"{fname} is only implemented on CPU tensors")
    if t._requires_grad:
        raise RuntimeError(f"Can't call {fname}() on Variable that requires grad. Use var.detach().{fname}() "
                           "instead.")


def _store_python_values(t, values, fname):
    """Write Python results back with the tensor's dtype (``apply_`` on an int tensor truncates)."""
    from .tensor import check_not_inference
    check_not_inference(t)
    a = t._data
    if _np_kind(a.dtype) in "iub":
        values = [int(v) if _np_kind(a.dtype) != "b" else bool(v) for v in values]
    a[...] = np.asarray(values, dtype=a.dtype).reshape(a.shape)
    t._vc[0] += 1
    return t


def apply_(t, fn):
    """Call ``fn`` on every element (a Python number) and store what it returns."""
    if t._device.type == "meta":  # (no values to call it on: PyTorch returns the tensor as it is)
        return t
    _cpu_only(t, "apply_")
    values = [fn(v) for v in t._data.reshape(-1).tolist()]
    for v in values:
        if not isinstance(v, (int, float, complex, bool, np.number, np.bool_)):
            raise TypeError(f"must be real number, not {type(v).__name__}")
    return _store_python_values(t, values, "apply_")


def _broadcast_other(t, other, fname):
    try:
        return np.broadcast_to(other._data, t._data.shape)
    except ValueError:
        from .tensor import _LEGACY_TYPE_NAMES
        if other._data.ndim <= t._data.ndim:  # enough sizes, one that does not fit: expand's size message
            target, have = t._data.shape, other._data.shape
            for d in range(1, len(have) + 1):
                if have[-d] != 1 and have[-d] != target[-d]:
                    raise RuntimeError(f"The expanded size of the tensor ({target[-d]}) must match the existing size "
                                       f"({have[-d]}) at non-singleton dimension {len(target) - d}.  Target sizes: "
                                       f"{list(target)}.  Tensor sizes: {list(have)}") from None
        raise RuntimeError(f"expand({_LEGACY_TYPE_NAMES.get(other.dtype, 'torch.Tensor')}{{{list(other._data.shape)}}}, size={list(t._data.shape)}): "
                           f"the number of sizes provided ({t._data.ndim}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({other._data.ndim})") from None


def map_(t, other, fn):
    """``fn(self_element, other_element)`` for every element, ``other`` broadcast to ``t``."""
    _cpu_only(t, "map_")
    b = _broadcast_other(t, other, "map_")
    return _store_python_values(t, [fn(x, y) for x, y in zip(t._data.reshape(-1).tolist(), b.reshape(-1).tolist())],
                                "map_")


def map2_(t, x, y, fn):
    _cpu_only(t, "map2_")
    bx = _broadcast_other(t, x, "map2_")
    by = _broadcast_other(t, y, "map2_")
    vals = [fn(a, b, c) for a, b, c in zip(t._data.reshape(-1).tolist(), bx.reshape(-1).tolist(),
                                           by.reshape(-1).tolist())]
    return _store_python_values(t, vals, "map2_")
