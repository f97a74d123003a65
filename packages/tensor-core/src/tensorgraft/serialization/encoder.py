"""Saving, first half: turning the object given to ``save`` into safetensors entries (one per
distinct tensor storage) plus the JSON document that describes the structure around them.

Separate from the file writing in ``__init__`` because it is pure (no I/O): it decides what is
stored and how sharing, tied weights, complex and non-contiguous tensors are recorded.
"""
from __future__ import annotations

import collections
import math

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls
from ..sparse.compressed_data import SparseCompressedData
from ..sparse.coo_data import SparseCOOData
from ..storage import place_in_storage
from ..tensor import Size, Tensor, wrap
from .header import _FORMAT_VERSION, _META_KEY, _NP_TO_ST
from .location_registry import tag_of
from .values import (
    _DEFAULTDICT_FACTORIES, _MAPPING_TAGS, _NP_ONLY_UINTS, _argparse_namespace, _path_classes, _raw_numpy_dtype,
    _time_classes,
)


class _StorageGroup:
    """The CPU tensors of one storage and dtype: one entry holds it."""

    __slots__ = ("flat", "dtype", "path", "members", "covering")

    def __init__(self, flat, path):
        self.flat, self.dtype, self.path = flat, flat.dtype, path  # (the storage's elements; the first tensor's path)
        self.members = []     # (record index, array, path) of the tensors viewing it
        self.covering = None  # (array, path) of a tensor that is the whole storage, C-ordered


def _contiguous(shape) -> list:
    """C-order strides, in elements, of ``shape`` (what a tensor stored on its own is viewed with)."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    return strides[::-1]


def _entry_array(host, is_complex: bool):
    """A host array as a safetensors entry: C-contiguous, native byte order, and a complex one as its
    real view with a trailing dimension of 2 (safetensors has no portable complex dtype)."""
    if not host.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
        host = host.copy(order="C")
    if not host.dtype.isnative:
        host = host.astype(host.dtype.newbyteorder("="))
    if is_complex:
        host = host.reshape(-1).view(host.real.dtype).reshape(host.shape + (2,))
    return host


class _Encoder:
    """Walks the object, collects tensors, and produces the JSON structure."""

    def __init__(self):
        self.records = []        # tensor records (JSON-able)
        self.arrays = {}         # storage name -> contiguous host array
        self.by_id = {}          # id(tensor) -> record index
        self.by_view = {}        # (ptr, shape, strides, dtype, device) -> storage name (tensors stored on their own)
        self.reserved = set()    # names entries other than a flat state_dict's own keys must not take
        self.groups = {}         # (storage ptr, elements, dtype) -> _StorageGroup (CPU tensors sharing memory)
        self.keep = []           # keep encoded objects alive while ids are used
        self.active = set()      # ids of containers being encoded (cycle check)
        self.attributes_done = set()  # ids of tensors whose Python attributes are encoded
        self.classes_done = set()  # ids of subclass tensors whose class is encoded

    # -- tensors
    def _storage_name(self, path: str) -> str:
        name = path or "tensor"
        if name == "__metadata__" or name in self.arrays:
            base, i = name, 1
            while f"{base}#{i}" in self.arrays or f"{base}#{i}" in self.reserved:
                i += 1
            name = f"{base}#{i}"
        return name

    def tensor(self, t: Tensor, path: str, as_numpy: bool = False):
        idx = self.by_id.get(id(t))
        if idx is not None:
            return ["T", idx]
        self.keep.append(t)
        if as_numpy:
            arr, dev, rg, kind = t, "cpu", False, "nd"
            dtype = _dt.from_numpy_dtype(arr.dtype)
        else:
            arr, dev, rg = t._data, tag_of(t), bool(t._requires_grad)
            dtype = t.dtype
            if rg:  # backward hooks are not saved: PyTorch warns about each one
                from ..utils.hooks import warn_if_has_hooks
                warn_if_has_hooks(t)
            kind = "param" if type(t).__name__ == "Parameter" and type(t).__module__.startswith("tensorgraft.nn") \
                else "t"
        idx = len(self.records)
        placed = None if as_numpy or dev != "cpu" else self.in_storage(t, idx, path)
        if placed is not None:
            # a view into a storage shared with other tensors: where it lies in it, as torch.save keeps it
            storage, offset, stride = placed
        else:
            storage, offset, stride = self.own_storage(t, arr, dev, dtype, path, as_numpy), 0, _contiguous(arr.shape)
        self.records.append([storage, dtype.name, list(arr.shape), dev, rg, kind, offset, stride])
        self.by_id[id(t)] = idx
        return ["T", idx]

    def in_storage(self, t: Tensor, idx: int, path: str):
        """``(storage group, offset, stride)`` of a CPU tensor in its storage (``place_in_storage``:
        the memory of the tensor its offsets count from, as ``torch.save`` sees it), grouping every
        tensor of one storage and dtype; None where it is stored on its own instead."""
        placed = place_in_storage(t)
        if placed is None:
            return None
        flat, offset, stride = placed
        key = (flat.__array_interface__["data"][0], flat.size, flat.dtype)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _StorageGroup(flat, path)
        arr = t._data
        if group.covering is None and offset == 0 and arr.size == flat.size and arr.flags.c_contiguous:
            group.covering = (arr, path)  # a tensor that is the whole storage: the entry takes its shape
        group.members.append((idx, arr, path))
        return group, offset, list(stride)

    def own_storage(self, t, arr, dev: str, dtype, path: str, as_numpy: bool) -> str:
        """The entry of a tensor stored on its own (a device tensor, a NumPy array, an empty or
        oddly laid out tensor): its values, contiguous; identical views share one entry."""
        view_key = None
        iface = getattr(arr, "__array_interface__", None) or getattr(arr, "__cuda_array_interface__", None)
        if iface is not None and arr.size:
            view_key = (iface["data"][0], arr.shape, arr.strides, arr.dtype.str, dev)
        storage = self.by_view.get(view_key) if view_key is not None else None
        if storage is None:
            host = arr if dev == "cpu" or as_numpy else t._host()
            storage = self._storage_name(path)
            self.arrays[storage] = _entry_array(host, dtype.is_complex)
            if view_key is not None:
                self.by_view[view_key] = storage
        return storage

    def finish(self) -> None:
        """Write each storage group's entry and point its records at it: the entry is a tensor of the
        group that is the whole storage (named and shaped as it: a state_dict keeps its names), else
        the storage's flat elements named after its first tensor."""
        for group in self.groups.values():
            if group.covering is not None:
                arr, path = group.covering
            elif self.reserved:
                self.each_on_its_own(group)
                continue
            else:
                arr, path = group.flat, group.path
            name = self._storage_name(path)
            self.arrays[name] = _entry_array(arr, group.dtype.kind == "c")
            for idx, _, _ in group.members:
                self.records[idx][0] = name
        self.groups.clear()

    def each_on_its_own(self, group) -> None:
        """A flat state_dict's tensors viewing memory that none of its tensors holds whole (``{"w":
        big[:10]}``): each is stored as its own values, under its key, so that the file stays the
        same dict for safetensors readers (no extra entry for the rest of the storage); identical
        views share one entry."""
        seen = {}
        for idx, arr, path in group.members:
            record = self.records[idx]
            view = (record[6], arr.shape, arr.strides)
            name = seen.get(view)
            if name is None:
                name = seen[view] = self._storage_name(path)
                self.arrays[name] = _entry_array(arr, group.dtype.kind == "c")
            record[0], record[6], record[7] = name, 0, _contiguous(arr.shape)

    def sparse_coo(self, t: Tensor, path: str) -> list:
        """A sparse COO tensor: its indices and values as two stored tensors, and the rest (size,
        coalesced, requires_grad) in the document: ``["spcoo", indices, values, size, coalesced,
        requires_grad]``."""
        d = t._data
        prefix = f"{path}." if path else ""
        parts = [wrap(np.ascontiguousarray(a)) for a in (d.indices, d.values)]
        self.keep.extend(parts)  # (their ids key the tensor table while encoding)
        return ["spcoo", self.tensor(parts[0], prefix + "indices"), self.tensor(parts[1], prefix + "values"),
                list(d.shape), bool(d.coalesced), bool(t._requires_grad)]

    def sparse_compressed(self, t: Tensor, path: str) -> list:
        """A CSR/CSC/BSR/BSC tensor: its three arrays as stored tensors, the rest in the document:
        ``["spcmp", layout, compressed indices, plain indices, values, size, requires_grad]``."""
        d = t._data
        prefix = f"{path}." if path else ""
        parts = [wrap(np.ascontiguousarray(a)) for a in (d.compressed, d.plain, d.values)]
        self.keep.extend(parts)
        return ["spcmp", d.layout, *(self.tensor(p, prefix + name) for p, name in
                                     zip(parts, ("compressed_indices", "plain_indices", "values"))),
                list(d.shape), bool(t._requires_grad)]

    def state_dict_metadata(self, obj, path: str) -> list:
        """A state_dict's ``_metadata`` (the per-module versions ``load_state_dict`` checks), kept
        as PyTorch's pickle keeps an OrderedDict's attributes: ``[encoded]``, or ``[]`` without one."""
        meta = getattr(obj, "_metadata", None) if type(obj) is collections.OrderedDict else None
        return [] if meta is None else [self.enc(meta, f"{path}._metadata" if path else "_metadata")]

    def raw_numpy(self, arr: np.ndarray, path: str):
        """A NumPy array of a dtype no tensor has (np.random.get_state()'s uint32 key, strings, ...):
        stored as its bytes (a U8 entry), its dtype recorded by NumPy's own string for it."""
        idx = self.by_id.get(id(arr))
        if idx is not None:
            return ["T", idx]
        self.keep.append(arr)
        host = arr.copy(order="C")  # contiguous, and never a view of the caller's memory
        if not host.dtype.isnative:
            host = host.astype(host.dtype.newbyteorder("="))
        storage = self._storage_name(path)
        self.arrays[storage] = host.reshape(-1).view(np.uint8)
        idx = len(self.records)
        self.records.append([storage, host.dtype.str, list(arr.shape), "cpu", False, "ndb", 0, _contiguous(arr.shape)])
        self.by_id[id(arr)] = idx
        return ["T", idx]

    # -- generic values
    def enc(self, obj, path: str):
        if obj is None or obj is True or obj is False or type(obj) is str:
            return obj
        cls = type(obj)
        if cls is int:
            return obj
        if cls is float:
            if math.isfinite(obj):
                return obj
            return ["f", repr(obj)]
        if isinstance(obj, Tensor):
            data_cls = obj._data.__class__
            node = self.sparse_coo(obj, path) if data_cls is SparseCOOData else \
                self.sparse_compressed(obj, path) if data_cls is SparseCompressedData else self.tensor(obj, path)
            if cls is not Tensor and not cls.__module__.startswith("tensorgraft") and id(obj) not in self.classes_done:
                # a Tensor subclass of the program's, by import name (as torch.save's pickle names it),
                # with its first reference: ["Tc", tensor node, module, qualified name]
                self.classes_done.add(id(obj))
                node = ["Tc", node, *_importable_name(cls, path)]
            if obj.__dict__ and id(obj) not in self.attributes_done:
                # Python attributes set on the tensor, kept as torch.save keeps them (with its first
                # reference; later ones are the same object): ["Ta", tensor node, [[name, value]...]]
                self.attributes_done.add(id(obj))
                node = ["Ta", node, [[k, self.enc(v, f"{path}.{k}" if path else k)] for k, v in obj.__dict__.items()]]
            return node
        if cls is np.ndarray:
            if obj.dtype in _NP_TO_ST or obj.dtype in (np.complex64, np.complex128):
                if not obj.dtype.isnative:
                    obj = obj.astype(obj.dtype.newbyteorder("="))
                return self.tensor(obj, path, as_numpy=True)
            if _raw_numpy_dtype(obj.dtype.str) is None:
                raise TypeError(f"tensorgraft.save: cannot store a NumPy array of dtype {obj.dtype}")
            return self.raw_numpy(obj, path)
        if cls is _argparse_namespace():
            # an argparse Namespace (a script's arguments): its attributes, by name
            if id(obj) in self.active:
                raise ValueError("tensorgraft.save: the object contains a reference cycle")
            self.active.add(id(obj))
            try:
                return ["ns", [[k, self.enc(v, f"{path}.{k}" if path else k)] for k, v in vars(obj).items()]]
            finally:
                self.active.discard(id(obj))
        if cls in _path_classes():
            return ["path", cls.__name__, str(obj)]
        if cls in _time_classes():
            import datetime
            if cls is datetime.timedelta:
                return ["time", "timedelta", [obj.days, obj.seconds, obj.microseconds]]
            if cls is not datetime.date and obj.tzinfo is not None:
                raise TypeError(f"tensorgraft.save cannot store a timezone-aware {cls.__name__}"
                                f"{' (at ' + repr(path) + ')' if path else ''}: save it as a naive one or a string")
            return ["time", cls.__name__, obj.isoformat()]
        if cls is collections.defaultdict:
            factory = obj.default_factory
            if factory is not None and _DEFAULTDICT_FACTORIES.get(factory.__name__ if isinstance(factory, type)
                                                                  else None) is not factory:
                raise TypeError(f"tensorgraft.save cannot store a defaultdict whose default_factory is {factory!r}"
                                f"{' (at ' + repr(path) + ')' if path else ''}: only None and the builtin types "
                                f"{', '.join(sorted(_DEFAULTDICT_FACTORIES))} can be named in a checkpoint")
            if id(obj) in self.active:
                raise ValueError("tensorgraft.save: the object contains a reference cycle")
            self.active.add(id(obj))
            try:
                pairs = [[self.key(k), self.enc(v, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]
            finally:
                self.active.discard(id(obj))
            return ["dd", None if factory is None else factory.__name__, pairs]
        if cls in (list, tuple, dict, collections.OrderedDict, collections.Counter, set, frozenset):
            if id(obj) in self.active:
                raise ValueError("tensorgraft.save: the object contains a reference cycle")
            self.active.add(id(obj))
            try:
                if cls is list or cls is tuple:
                    items = [self.enc(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
                    return ["l" if cls is list else "t", items]
                if cls is set or cls is frozenset:
                    return ["s" if cls is set else "fs", [self.enc(v, path) for v in obj]]
                pairs = []
                for k, v in obj.items():
                    ek = self.key(k)
                    pairs.append([ek, self.enc(v, f"{path}.{k}" if path else str(k))])
                # a Counter is what MultiStepLR.state_dict() holds its milestones in
                return [_MAPPING_TAGS[cls], pairs] + self.state_dict_metadata(obj, path)
            finally:
                self.active.discard(id(obj))
        if cls is complex:
            return ["c", self.enc(obj.real, path), self.enc(obj.imag, path)]
        if isinstance(obj, _dt.dtype):
            return ["dt", obj.name]
        if isinstance(obj, _device_cls):
            return ["dev", str(obj)]
        if cls is Size:
            return ["sz", list(obj)]
        if cls is bytes or cls is bytearray:
            import base64
            return ["b" if cls is bytes else "ba", base64.b64encode(obj).decode("ascii")]
        if isinstance(obj, np.generic) and (obj.dtype in _NP_TO_ST or obj.dtype.name in _NP_ONLY_UINTS) \
                or isinstance(obj, (np.complex64, np.complex128)):
            return ["np", obj.dtype.name, self.enc(obj.item(), path)]
        raise TypeError(
            f"tensorgraft.save cannot store an object of type {cls.__module__}.{cls.__qualname__}"
            f"{' (at ' + repr(path) + ')' if path else ''}: checkpoints hold tensors, NumPy arrays, "
            "dict/OrderedDict/Counter/defaultdict/list/tuple/set, None, bool, int, float, complex, str, "
            "bytes/bytearray, argparse.Namespace, pathlib paths, naive datetimes, dtypes and devices "
            "(no pickle, so arbitrary objects cannot be saved; save their state_dict() instead)")

    def key(self, k):
        if type(k) in (str, int, bool, float, tuple, complex, bytes) or k is None or isinstance(k, (_dt.dtype, _device_cls)):
            if isinstance(k, tuple):
                return ["t", [self.key(x) for x in k]]
            return self.enc(k, "")
        raise TypeError(f"tensorgraft.save cannot store a dict key of type {type(k).__name__}")


def _importable_name(cls, path: str) -> tuple:
    """``(module, qualified name)`` of a Tensor subclass, refused when loading could not import it."""
    module, qualname = cls.__module__, cls.__qualname__
    if "<locals>" in qualname:
        raise AttributeError(f"Can't pickle local object '{qualname}'"
                             f"{' (at ' + repr(path) + ')' if path else ''}: tensorgraft.save stores a tensor "
                             "subclass by its import name, so that load can find the class; define it at the top "
                             "level of a module (or save the tensor as a plain one: t.as_subclass(torch.Tensor))")
    return module, qualname


def _flat_state_dict(obj) -> bool:
    """A dict of dense tensors by name: stored as safetensors' own flat layout (a sparse tensor is
    two stored tensors, and attributes on a tensor or a subclass of the program's need the document,
    so a dict holding one takes the general path)."""
    return type(obj) in (dict, collections.OrderedDict) and all(
        type(k) is str and k != "__metadata__" for k in obj) and all(
        isinstance(v, Tensor) and v._data.__class__ is not SparseCOOData and
        v._data.__class__ is not SparseCompressedData and not v.__dict__
        and (type(v) is Tensor or type(v).__module__.startswith("tensorgraft")) for v in obj.values())


def _encode(obj):
    import json
    enc = _Encoder()
    if _flat_state_dict(obj):
        # name the entries exactly as the keys, so safetensors readers see the same dict
        enc.reserved = set(obj)
        refs = [(k, enc.tensor(v, k)) for k, v in obj.items()]
        enc.finish()
        pairs = []
        for k, ref in refs:
            record = enc.records[ref[1]]
            if record[0] != k and k not in enc.arrays:
                # a view of a storage stored under another name (tied weights, a slice): tensorgraft
                # restores it from the record, and its values are written under its key too so that
                # safetensors readers see every key
                v = obj[k]
                enc.arrays[k] = _entry_array(v._data if v._device.type == "cpu" else v._host(), v.dtype.is_complex)
            pairs.append([k, ref])
        root = ["d", pairs] if type(obj) is dict else ["od", pairs] + enc.state_dict_metadata(obj, "")
    else:
        root = enc.enc(obj, "")
        enc.finish()
    meta = {"v": _FORMAT_VERSION, "root": root, "tensors": enc.records}
    metadata = {"format": "pt", _META_KEY: json.dumps(meta, separators=(",", ":"), allow_nan=False)}
    return enc.arrays, metadata
