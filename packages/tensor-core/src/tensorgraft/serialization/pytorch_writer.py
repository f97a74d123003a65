"""``save_for_pytorch``: writing a file PyTorch's ``torch.load`` reads, so weights trained here move
to PyTorch (and to what reads PyTorch checkpoints) unchanged.

The file is PyTorch's zip format (1.6 and later): a pickle ``data.pkl`` naming only globals that
PyTorch's ``weights_only`` loader allows by default (``torch._utils._rebuild_tensor_v2``, the storage
classes, ``torch.Size``, ``torch.device``, the dtypes, ``collections.OrderedDict``...), and each storage's
bytes as an uncompressed record, 64-byte aligned as PyTorch aligns them (so ``torch.load(mmap=True)``
maps them). Tensors that share memory here (views of one array, tied weights) are written as views of
one storage, as ``torch.save`` writes them, and the same tensor object twice is pickled once.

What can be written: tensors (every dtype, dense, sparse COO or compressed (CSR ...), on any device, ``nn.Parameter`` and
``requires_grad`` kept), storages saved on their own, the containers and scalars of a checkpoint (dict, ``OrderedDict`` with its
``_metadata``, ``Counter``, list, tuple, set, frozenset, str, bytes, bytearray, int, float, complex,
bool, None), dtypes, devices, ``torch.Size`` and layouts. Anything else (a module, a function, an
object of the program) raises a TypeError before the file is touched: tensorgraft's classes are not
PyTorch's, so pickling them would write a file PyTorch cannot load.

The pickle is written by the standard library's pure-Python pickler, subclassed so that PyTorch's
names are written as names (``GLOBAL torch._utils _rebuild_tensor_v2``) without importing PyTorch.
"""
from __future__ import annotations

import codecs
import collections
import io
import os
import pickle
import random
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls
from ..memory_layout import layout as _layout
from ..storage import TypedStorage, UntypedStorage, owner_array
from ..tensor import Size, Tensor, wrap
from .data_skipping import skipping
from .location_registry import tag_of
from .pytorch_files import _STORAGE_DTYPES

_STORAGE_OF_DTYPE = {dname: storage for storage, dname in _STORAGE_DTYPES.items()}
_ALIGNMENT = 64  # PyTorch's .storage_alignment
_PAD_FIELD = 0x4246  # the extra-field id PyTorch's writer pads with ("FB")
_PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset,
                collections.OrderedDict, collections.Counter)


# what the pickler itself writes as globals for the plain types: their classes, and protocol 2's
# spelling of bytes (``_codecs.encode(str, 'latin1')``), all in PyTorch's default allow-list
_PLAIN_CALLABLES = (collections.OrderedDict, collections.Counter, set, frozenset, bytearray, bytes, complex,
                    codecs.encode)  # (bytes: how protocol 2 spells an empty bytes object, ``bytes()``)


class _TorchName:
    """A global of PyTorch's, written by name (``torch``, ``float32``): nothing of PyTorch is imported."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # the pickler wants a reduce's function callable; it is only written
        raise TypeError(f"{self.module}.{self.name} is PyTorch's; tensorgraft only writes its name")


class _StorageRef:
    """A storage of the file: its flat little-endian bytes, its PyTorch class, key and location."""

    __slots__ = ("array", "key", "storage_class", "location")

    def __init__(self, array, key, storage_class, location):
        self.array, self.key, self.storage_class, self.location = array, key, storage_class, location


class _Rebuilt:
    """An argument that is itself a rebuild call (a Parameter's data)."""

    __slots__ = ("reduce",)

    def __init__(self, reduce):
        self.reduce = reduce

    def __reduce__(self):
        return self.reduce


class _Pickler(pickle._Pickler):
    """Protocol 2, as torch.save: tensors become PyTorch's rebuild calls over persistent storages."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages: list[_StorageRef] = []
        self._by_root = {}  # (id(root array), dtype) -> (root, _StorageRef): views of one array share a storage
        self._by_storage = {}  # id(storage object) -> (object, _StorageRef)

    def _write_global(self, module: str, name: str, obj):
        self.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")
        self.memoize(obj)

    # written as PyTorch's names: a dtype pickles as the global torch.float32
    dispatch[_TorchName] = lambda self, obj: self._write_global(obj.module, obj.name, obj)
    dispatch[_dt.dtype] = lambda self, obj: self._write_global("torch", obj.name, obj)

    def _save_bytes(self, obj):
        # protocol 2 spells bytes as ``_codecs.encode(str, 'latin1')``, but an empty one as
        # ``bytes()``, a global PyTorch's weights_only loader refuses (torch.save's own files with
        # b'' or bytearray() need weights_only=False): spell it as the others
        self.save_reduce(codecs.encode, (str(obj, "latin1"), "latin1"), obj=obj)

    dispatch[bytes] = _save_bytes

    def persistent_id(self, obj):
        if isinstance(obj, (TypedStorage, UntypedStorage)):  # a storage saved on its own
            obj = self._storage_object(obj)
        if isinstance(obj, _StorageRef):
            return ("storage", obj.storage_class, obj.key, obj.location, obj.array.size)
        return None

    def _storage_object(self, storage):
        """The file storage of a ``TypedStorage``/``UntypedStorage`` object (once per object):
        its elements, or its bytes (PyTorch's ``torch.storage.UntypedStorage``) when untyped."""
        ref = self._by_storage.get(id(storage))
        if ref is not None:
            return ref[1]
        untyped = storage if isinstance(storage, UntypedStorage) else storage._untyped
        owner = untyped._owner
        if untyped.device.type != "cpu":
            owner = wrap(owner, untyped.device).cpu()._data
        raw = np.ascontiguousarray(owner).reshape(-1).view(np.uint8)
        location = tag_of(untyped)
        if isinstance(storage, TypedStorage):
            dname = storage.dtype.name
            if dname not in _STORAGE_OF_DTYPE:
                raise TypeError(f"save_for_pytorch: PyTorch has no storage class for dtype {storage.dtype}")
            item = storage.dtype.itemsize
            elements = raw[: raw.size // item * item].view(storage.dtype.np)
            ref = self._new_storage(elements, dname, location)
        else:
            ref = _StorageRef(raw, str(len(self.storages)), _TorchName("torch.storage", "UntypedStorage"), location)
            self.storages.append(ref)
        self._by_storage[id(storage)] = (storage, ref)
        return ref

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return (_TorchName("torch", "Size"), (tuple(int(s) for s in obj),))
        if isinstance(obj, _device_cls):
            return (_TorchName("torch", "device"), (str(obj),))
        if isinstance(obj, _layout):  # as PyTorch: torch.serialization._get_layout("torch.sparse_coo")
            return (_TorchName("torch.serialization", "_get_layout"), (str(obj),))
        if type(obj) in _PLAIN_TYPES or isinstance(obj, (_TorchName, _StorageRef, _Rebuilt, _dt.dtype)) \
                or any(obj is c for c in _PLAIN_CALLABLES):
            return NotImplemented  # the pickler's own way (the dispatch entries above for names)
        raise TypeError(f"save_for_pytorch writes tensors and plain data (dicts, lists, numbers, strings, dtypes, "
                        f"devices...), not {type(obj).__module__}.{type(obj).__qualname__}: PyTorch could not load "
                        "tensorgraft's classes. Save a module's state_dict() instead of the module.")

    # ---------------------------------------------------------------- tensors
    def _reduce_tensor(self, t):
        from .. import memory_layout
        if t.layout is memory_layout.sparse_coo:
            data = (t._indices(), t._values(), Size(t.shape), t.is_coalesced())
            return (_TorchName("torch._utils", "_rebuild_sparse_tensor"), (memory_layout.sparse_coo, data))
        compressed = getattr(t._data, "compressed", None)
        if compressed is not None:  # CSR/CSC/BSR/BSC: PyTorch's (compressed, plain, values, size)
            d = t._data
            data = tuple(wrap(a) for a in (d.compressed, d.plain, d.values)) + (Size(t.shape),)
            return (_TorchName("torch._utils", "_rebuild_sparse_tensor"), (t.layout, data))
        is_parameter = type(t).__name__ == "Parameter" and any(c.__name__ == "Parameter" for c in type(t).__mro__)
        requires_grad = bool(t.requires_grad)
        storage, offset, stride = self._storage_of(t)
        if storage.storage_class.name == "UntypedStorage":
            # a dtype PyTorch has no legacy storage class for (uint16/32/64, the 8-bit floats): as
            # torch.save writes every tensor, its bytes with the dtype beside them
            rebuild_v2 = _TorchName("torch._utils", "_rebuild_tensor_v3")
            v2_args = (storage, offset, tuple(int(s) for s in t.shape), stride, requires_grad and not is_parameter,
                       collections.OrderedDict(), t.dtype)
        else:
            rebuild_v2 = _TorchName("torch._utils", "_rebuild_tensor_v2")
            v2_args = (storage, offset, tuple(int(s) for s in t.shape), stride, requires_grad and not is_parameter,
                       collections.OrderedDict())
        attributes = t.__dict__  # Python attributes set on the tensor: PyTorch's rebuild-with-state forms
        if is_parameter:
            if attributes:
                return (_TorchName("torch._utils", "_rebuild_parameter_with_state"),
                        (_Rebuilt((rebuild_v2, v2_args)), requires_grad, collections.OrderedDict(), dict(attributes)))
            return (_TorchName("torch._utils", "_rebuild_parameter"),
                    (_Rebuilt((rebuild_v2, v2_args)), requires_grad, collections.OrderedDict()))
        if attributes:
            return (_TorchName("torch._tensor", "_rebuild_from_type_v2"),
                    (rebuild_v2, _TorchName("torch", "Tensor"), v2_args, dict(attributes)))
        return (rebuild_v2, v2_args)

    def _storage_of(self, t):
        """(storage, offset, stride) of a dense tensor: a view into the storage of the array that
        owns its memory when it has one, else a contiguous copy of its own."""
        location = tag_of(t)
        dname = t.dtype.name
        arr = t._data if t.device.type == "cpu" else t.detach().cpu()._data
        if t.device.type == "cpu" and isinstance(arr, np.ndarray):
            root = owner_array(arr)
            item = arr.itemsize
            # a view of another dtype (``c.real`` of a complex tensor, ``x.view(torch.uint8)``) is
            # written as PyTorch writes it: the whole memory as a storage of the view's dtype
            if (root.flags.c_contiguous and root.size and root.nbytes % item == 0
                    and all(s >= 0 and s % item == 0 for s in arr.strides)):
                begin = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
                extent = sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) if arr.size else 0
                if begin >= 0 and begin % item == 0 and begin + extent + item <= root.nbytes:
                    # (a memory viewed as two dtypes becomes two storages: PyTorch refuses to save that)
                    key = (id(root), arr.dtype)
                    entry = self._by_root.get(key)
                    if entry is None:
                        flat = root.reshape(-1)
                        if flat.dtype != arr.dtype:
                            flat = flat.view(np.uint8).view(arr.dtype)
                        entry = (root, self._new_storage(flat, dname, location))
                        self._by_root[key] = entry
                    return entry[1], begin // item, tuple(s // item for s in arr.strides)
        flat = np.ascontiguousarray(arr)
        contiguous = _contiguous_strides(flat.shape)
        return self._new_storage(flat.reshape(-1), dname, location), 0, contiguous

    def _new_storage(self, flat, dname, location):
        storage_class = _STORAGE_OF_DTYPE.get(dname)
        if storage_class is None:  # (a dtype with no legacy class: its bytes, which _rebuild_tensor_v3 types)
            name, flat = _TorchName("torch.storage", "UntypedStorage"), flat.view(np.uint8)
        else:
            name = _TorchName("torch", storage_class)
        ref = _StorageRef(flat, str(len(self.storages)), name, location)
        self.storages.append(ref)
        return ref


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    return tuple(reversed(strides))


# ============================================================================ the zip archive
def pickle_for_pytorch(obj):
    """(the ``data.pkl`` bytes, the storages they name) of ``obj``; raises before anything is written."""
    buf = io.BytesIO()
    pickler = _Pickler(buf)
    pickler.dump(obj)
    return buf.getvalue(), pickler.storages


def write_archive(fileobj, data_pkl: bytes, storages, archive_name: str = "archive") -> None:
    """PyTorch's zip layout: the pickle, the format records, then each storage, uncompressed, its
    bytes starting at a multiple of 64 in the file."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as zf:
        def record(name, data):
            info = zipfile.ZipInfo(f"{archive_name}/{name}")
            info.compress_type = zipfile.ZIP_STORED
            size = len(data)
            header = 30 + len(info.filename.encode("utf-8")) + 4
            if size * 1.05 > zipfile.ZIP64_LIMIT:
                header += 20  # zipfile adds a zip64 extra field to the local header
            pad = -(zf.fp.tell() + header) % _ALIGNMENT
            info.extra = _PAD_FIELD.to_bytes(2, "little") + pad.to_bytes(2, "little") + b"\0" * pad
            zf.writestr(info, data)

        record("data.pkl", data_pkl)
        record(".format_version", b"1")
        record(".storage_alignment", str(_ALIGNMENT).encode())
        record("byteorder", b"little")
        skip = skipping()
        for ref in storages:
            flat = ref.array
            if skip:  # skip_data(): the record keeps its size and place, its bytes are zeros
                record(f"data/{ref.key}", memoryview(np.zeros(flat.nbytes, np.uint8)))
                continue
            if flat.dtype.byteorder == ">" or (flat.dtype.byteorder == "=" and np.little_endian is False):
                flat = flat.astype(flat.dtype.newbyteorder("<"))
            record(f"data/{ref.key}", memoryview(np.ascontiguousarray(flat).view(np.uint8)))
        record("version", b"3\n")
        record(".data/serialization_id", "".join(random.choice("0123456789") for _ in range(40)).encode())


def save_for_pytorch(obj, f) -> None:
    """Write ``obj`` (tensors and the plain data around them: a state_dict, an optimizer state_dict,
    a checkpoint dict) to ``f``, a path or a binary file object, as PyTorch's ``torch.save`` writes
    it: ``torch.load(f)`` reads it in PyTorch, with its default ``weights_only=True``.

    Writes to a path are atomic (a temporary file, then renamed over the target), as
    :func:`tensorgraft.save`'s. Objects PyTorch could not load (a module, a function, an object of the
    program) raise a TypeError before the file is touched."""
    is_path = isinstance(f, (str, bytes, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    data_pkl, storages = pickle_for_pytorch(obj)
    write_archive_to(f, data_pkl, storages)


def write_archive_to(f, data_pkl, storages) -> None:
    """The zip archive to ``f``: a path (atomically: a temporary file renamed over it; the archive's
    folder is named after the file, as PyTorch names it) or a binary file object (then flushed)."""
    if isinstance(f, (str, bytes, os.PathLike)):
        from . import _atomic_write
        path = os.fsdecode(f)
        stem = os.path.splitext(os.path.basename(path))[0] or "archive"

        def write(tmp):
            with open(tmp, "wb") as fh:
                write_archive(fh, data_pkl, storages, stem)
        _atomic_write(path, write)
        return
    write_archive(f, data_pkl, storages)
    flush = getattr(f, "flush", None)
    if flush is not None:
        flush()
