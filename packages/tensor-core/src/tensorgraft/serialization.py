"""``tensorgraft.save`` / ``tensorgraft.load``: checkpoints in the safetensors format, no pickle.

A checkpoint is a plain safetensors file (written and read through the ``safetensors`` package):

* the tensors are safetensors entries (a flat state_dict ``{name: tensor}`` keeps its names, so
  ``safetensors.torch.load_file`` reads it back as the same dict);
* the structure around them (dicts with int or str keys, ``OrderedDict``, ``Counter`` (MultiStepLR's
  milestones), ``defaultdict``, lists vs tuples, bytes vs bytearray, ``None``/bool/int/float/str,
  dtypes, devices, ``argparse.Namespace``, ``pathlib`` paths, naive ``datetime`` values, nesting,
  which tensors are the same object) is JSON in the safetensors ``__metadata__`` under the key
  ``"tensorgraft"``.

Loading only parses JSON and copies bytes: nothing in a checkpoint is ever executed, so
``weights_only`` protects nothing here. It refuses an ``argparse.Namespace``, a ``pathlib`` path, a
``datetime``/``date``/``time``/``timedelta`` and a ``collections.defaultdict`` as PyTorch's
restricted unpickler does (its messages, its ``add_safe_globals`` allow-list), so a program that
needs ``weights_only=False`` for them there needs it here too; NumPy arrays and scalars and
frozensets, which PyTorch also refuses by default, are loaded whatever ``weights_only`` says. (NumPy
arrays of dtypes no tensor has, such as the uint32 key of ``np.random.get_state()``, are stored as
their bytes.)

Choices, documented because PyTorch's pickle-based format behaves differently:

* Complex tensors are stored as their real view (trailing dimension 2, ``F32``/``F64``) with the
  complex dtype recorded in the metadata (safetensors has no portable complex dtype).
* Non-contiguous tensors are stored contiguous.
* Sharing: a tensor object that appears several times is stored once and every reference is
  restored as the *same* object. Distinct tensor objects that are the same view of the same
  memory (``p.detach()`` twice, tied weights in a state_dict) are stored once and restored as
  distinct tensors sharing one array. (In a flat ``{name: tensor}`` state_dict the bytes of a tied
  entry are written under each of its names too, so ``safetensors.torch.load_file`` sees every key.) Other overlapping views of one base (``x`` and ``x[1:]``)
  are each stored with their own values; the aliasing between them is not restored.
* Writes to a path are atomic: a temporary file in the same directory is written, flushed,
  fsync'ed and ``os.replace``'d over the target; on any error the old file is untouched.
* Every header is validated (lengths against the file size, dtypes, shapes against byte sizes,
  offsets) before any tensor memory is allocated; problems raise :class:`CheckpointError`.
"""
from __future__ import annotations

import collections
import io
import math
import os
import struct

import numpy as np

from . import dtypes as _dt
from .device import device as _device_cls
from .tensor import Size, Tensor, wrap

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

DEFAULT_PROTOCOL = 2  # PyTorch's pickle protocol constant; save() accepts and ignores pickle_protocol
MAX_HEADER_BYTES = 100 * 1024 * 1024
_META_KEY = "tensorgraft"
_FORMAT_VERSION = 1
_READ_CHUNK = 64 * 1024 * 1024
_MAX_NDIM = 64

# safetensors dtype codes <-> NumPy dtypes (only what tensorgraft can hold)
_ST_TO_NP = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8), "I16": np.dtype(np.int16),
    "I32": np.dtype(np.int32), "I64": np.dtype(np.int64), "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32), "F64": np.dtype(np.float64), "C64": np.dtype(np.complex64),
}
_ST_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "F16": 2, "F32": 4, "F64": 8,
                "C64": 8, "BF16": 2, "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1}
_NP_TO_ST = {v: k for k, v in _ST_TO_NP.items() if k != "C64"}
_COMPLEX_PARTS = {"complex64": "F32", "complex128": "F64"}
# the dict types a checkpoint keeps apart (the ones PyTorch's weights_only loading accepts)
_MAPPING_TAGS = {dict: "d", collections.OrderedDict: "od", collections.Counter: "ctr"}
# unsigned NumPy integer types no tensor dtype matches (np.random.get_state() holds a uint32 array)
_NP_ONLY_UINTS = ("uint16", "uint32", "uint64")


def _raw_numpy_dtype(text):
    """The NumPy dtype a raw-bytes array record names, or None when it is not one that can be
    rebuilt from plain bytes (structured, sub-array, object or zero-size dtypes are not)."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    try:
        dt = np.dtype(text)
    except (TypeError, ValueError):
        return None
    if dt.kind not in "biufcUS" or dt.fields is not None or dt.subdtype is not None or dt.hasobject \
            or dt.itemsize == 0 or dt.str != text:
        return None
    return dt


def _argparse_namespace():
    import argparse
    return argparse.Namespace


def _path_classes():
    """The pathlib classes a checkpoint can hold (a path in a saved config)."""
    import pathlib
    return (pathlib.PurePath, pathlib.PurePosixPath, pathlib.PureWindowsPath, pathlib.Path, pathlib.PosixPath,
            pathlib.WindowsPath)


def _time_classes():
    """The datetime classes a checkpoint can hold (naive ones: a saved timezone would need its class)."""
    import datetime
    return (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)


def _global_name(cls) -> str:
    """How PyTorch's weights_only messages name a class: ``module.qualname`` (builtins bare)."""
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


# what a saved defaultdict's default_factory may be, by name (builtin types: nothing to import)
_DEFAULTDICT_FACTORIES = {c.__name__: c for c in (list, dict, set, frozenset, tuple, int, float, complex, bool,
                                                  str, bytes, bytearray)}


class CheckpointError(RuntimeError):
    """A checkpoint file that is truncated, corrupt or not a safetensors checkpoint."""


def _name_of(f) -> str:
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    n = getattr(f, "name", None)
    return n if isinstance(n, str) else f"<{type(f).__name__}>"


# ============================================================================ encoding (save)
class _Encoder:
    """Walks the object, collects tensors, and produces the JSON structure."""

    def __init__(self):
        self.records = []        # tensor records (JSON-able)
        self.arrays = {}         # storage name -> contiguous host array
        self.by_id = {}          # id(tensor) -> record index
        self.by_view = {}        # (ptr, shape, strides, dtype, device) -> storage name
        self.keep = []           # keep encoded objects alive while ids are used
        self.active = set()      # ids of containers being encoded (cycle check)

    # -- tensors
    def _storage_name(self, path: str) -> str:
        name = path or "tensor"
        if name == "__metadata__" or name in self.arrays:
            base, i = name, 1
            while f"{base}#{i}" in self.arrays:
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
            arr, dev, rg = t._data, str(t._device), bool(t._requires_grad)
            dtype = t.dtype
            kind = "param" if type(t).__name__ == "Parameter" and type(t).__module__.startswith("tensorgraft.nn") \
                else "t"
        view_key = None
        iface = getattr(arr, "__array_interface__", None) or getattr(arr, "__cuda_array_interface__", None)
        if iface is not None and arr.size:
            view_key = (iface["data"][0], arr.shape, arr.strides, arr.dtype.str, dev)
        storage = self.by_view.get(view_key) if view_key is not None else None
        if storage is None:
            host = arr if dev == "cpu" or as_numpy else t._host()
            if not host.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
                host = host.copy(order="C")
            if not host.dtype.isnative:
                host = host.astype(host.dtype.newbyteorder("="))
            if dtype.is_complex:
                host = host.reshape(-1).view(host.real.dtype).reshape(host.shape + (2,))
            storage = self._storage_name(path)
            self.arrays[storage] = host
            if view_key is not None:
                self.by_view[view_key] = storage
        idx = len(self.records)
        self.records.append([storage, dtype.name, list(arr.shape), dev, rg, kind])
        self.by_id[id(t)] = idx
        return ["T", idx]

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
        self.records.append([storage, host.dtype.str, list(arr.shape), "cpu", False, "ndb"])
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
            return self.tensor(obj, path)
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


def _flat_state_dict(obj) -> bool:
    return type(obj) in (dict, collections.OrderedDict) and all(
        type(k) is str and k != "__metadata__" for k in obj) and all(isinstance(v, Tensor) for v in obj.values())


def _encode(obj):
    import json
    enc = _Encoder()
    if _flat_state_dict(obj):
        # name the entries exactly as the keys, so safetensors readers see the same dict
        pairs = []
        for k, v in obj.items():
            ref = enc.tensor(v, k)
            if k not in enc.arrays:
                # tied/shared with an earlier entry: tensorgraft restores the sharing from the record, and
                # the bytes are written under this name too so safetensors readers see every key
                enc.arrays[k] = enc.arrays[enc.records[ref[1]][0]]
            pairs.append([k, ref])
        root = ["d", pairs] if type(obj) is dict else ["od", pairs] + enc.state_dict_metadata(obj, "")
    else:
        root = enc.enc(obj, "")
    meta = {"v": _FORMAT_VERSION, "root": root, "tensors": enc.records}
    metadata = {"format": "pt", _META_KEY: json.dumps(meta, separators=(",", ":"), allow_nan=False)}
    return enc.arrays, metadata


def _write_file(arrays, path, metadata) -> None:
    """Write a safetensors file at ``path`` (the temporary one). Separate so tests can fault it."""
    from safetensors.numpy import save_file
    save_file(arrays, path, metadata=metadata)


def _atomic_save(arrays, metadata, path: str) -> None:
    path = os.path.realpath(path)  # through symlinks: replace the file they point to, not the link
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"tensorgraft.save: '{path}' is a directory")
    base = os.path.basename(path)
    while True:
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode honours the umask
            break
        except FileExistsError:
            continue
    try:
        os.close(fd)
        _write_file(arrays, tmp, metadata)
        with open(tmp, "r+b") as fh:
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)  # keep the permissions of the file replaced
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        try:
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Save ``obj`` (a tensor, a state_dict, an optimizer state_dict, nested containers of them)
    to ``f``, a path or a binary file object. The pickle arguments are accepted and ignored."""
    is_path = isinstance(f, (str, bytes, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        # checked before encoding, as PyTorch does, so a bad target is reported whatever obj holds
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    arrays, metadata = _encode(obj)
    if is_path:
        _atomic_save(arrays, metadata, os.fsdecode(f))
        return
    from safetensors.numpy import save as _save_bytes
    f.write(_save_bytes(arrays, metadata=metadata))
    flush = getattr(f, "flush", None)
    if flush is not None:
        flush()


# ============================================================================ validation (load)
def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _foreign_hint(prefix: bytes) -> str:
    """What a file that is not safetensors probably is (only used once its header failed to parse)."""
    if prefix[:4] == b"PK\x03\x04":
        return (" (it is a zip archive, e.g. a PyTorch torch.save file; tensorgraft.load reads only safetensors "
                "files and never unpickles)")
    if prefix[:1] == b"\x80" and prefix[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return " (it looks like a pickle file; tensorgraft.load never unpickles)"
    return ""


def _parse_header(prefix: bytes, total: int, name: str):
    """Validate the 8-byte length and JSON header; ``total`` = bytes available (file size).
    Returns (header dict, header length, tensor-data length)."""
    if total == 0:
        raise CheckpointError(f"checkpoint '{name}' is empty (0 bytes)")
    if total < 8:
        raise CheckpointError(f"checkpoint '{name}' is truncated: a safetensors file starts with an 8-byte header "
                              f"length, file has {total} bytes")
    (n,) = struct.unpack("<Q", prefix[:8])
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file{_foreign_hint(prefix)}: "
                              f"header length {n} bytes exceeds the {MAX_HEADER_BYTES // (1024 * 1024)} MB limit")
    if n < 2:
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file: header length {n} bytes")
    if 8 + n > total:
        raise CheckpointError(f"checkpoint '{name}' is truncated{_foreign_hint(prefix)}: header says {n} bytes of "
                              f"JSON header, file has {total - 8} bytes after the length field")
    return n


def _decode_header(raw: bytes, name: str, data_len, prefix: bytes = b""):
    import json
    if raw[:1] != b"{":
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file{_foreign_hint(prefix)}: "
                              "header does not start with a JSON object")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: __metadata__ must map strings to strings")
    spans = []
    for key, info in header.items():
        bad = f"checkpoint '{name}' is corrupt: entry {key!r} "
        if not isinstance(info, dict):
            raise CheckpointError(bad + "is not a JSON object")
        code, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if code not in _ST_ITEMSIZE:
            raise CheckpointError(bad + f"has an unknown dtype {code!r}")
        if code not in _ST_TO_NP:
            raise CheckpointError(f"checkpoint '{name}': entry {key!r} has dtype {code}, which tensorgraft does not "
                                  "support (supported: " + ", ".join(_ST_TO_NP) + ")")
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise CheckpointError(bad + f"has an invalid shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int for o in offs)
                or not 0 <= offs[0] <= offs[1]):
            raise CheckpointError(bad + f"has invalid data_offsets {offs!r}")
        nbytes = _prod(shape) * _ST_ITEMSIZE[code]
        if offs[1] - offs[0] != nbytes:
            raise CheckpointError(bad + f"has shape {shape} of {code} ({nbytes} bytes) but data_offsets "
                                  f"{offs} span {offs[1] - offs[0]} bytes")
        spans.append((offs[0], offs[1], key))
    spans.sort()
    end = 0
    for b, e, key in spans:
        if b != end:
            raise CheckpointError(f"checkpoint '{name}' is corrupt: entry {key!r} starts at byte {b} of the tensor "
                                  f"data, expected {end} (tensor data must be contiguous and non-overlapping)")
        end = e
    if data_len is None:
        return header, meta or {}, end
    if end > data_len:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {end} bytes of tensor data, file has "
                              f"{data_len}")
    if end < data_len:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: header says {end} bytes of tensor data, file has "
                              f"{data_len} (unexpected trailing bytes)")
    return header, meta or {}, end


# ============================================================================ decoding (load)
class _Decoder:
    def __init__(self, header, records, name):
        self.header = header
        self.records = records
        self.name = name
        self.tensors = None

    def err(self, what):
        return CheckpointError(f"checkpoint '{self.name}' is corrupt: {what}")

    def check_records(self):
        if not isinstance(self.records, list):
            raise self.err("tensor table is not a list")
        for i, r in enumerate(self.records):
            if not (isinstance(r, list) and len(r) == 6 and isinstance(r[0], str) and isinstance(r[1], str)
                    and isinstance(r[2], list) and all(type(s) is int for s in r[2]) and isinstance(r[3], str)
                    and isinstance(r[4], bool) and r[5] in ("t", "nd", "param", "ndb")):
                raise self.err(f"tensor record {i} is malformed")
            storage, dname, shape, dev, _, _ = r
            entry = self.header.get(storage)
            if entry is None:
                raise self.err(f"tensor record {i} refers to a missing entry {storage!r}")
            if r[5] == "ndb":  # a NumPy array kept as its bytes
                dt = _raw_numpy_dtype(dname)
                if dt is None:
                    raise self.err(f"tensor record {i} has an unknown dtype {dname!r}")
                if entry["dtype"] != "U8" or entry["shape"] != [_prod(shape) * dt.itemsize] or \
                        any(s < 0 for s in shape):
                    raise self.err(f"tensor record {i} ({dname}{shape}) does not match entry {storage!r} "
                                   f"({entry['dtype']}{entry['shape']})")
                continue
            d = _dt._BY_NAME.get(dname)
            if d is None:
                raise self.err(f"tensor record {i} has an unknown dtype {dname!r}")
            if dname in _COMPLEX_PARTS:
                want_code, want_shape = _COMPLEX_PARTS[dname], shape + [2]
            else:
                want_code, want_shape = _NP_TO_ST[d.np], shape
            if entry["dtype"] != want_code or entry["shape"] != want_shape:
                raise self.err(f"tensor record {i} ({dname}{shape}) does not match entry {storage!r} "
                               f"({entry['dtype']}{entry['shape']})")
            try:
                _device_cls(dev)
            except Exception:
                raise self.err(f"tensor record {i} has an invalid device {dev!r}") from None

    def check(self, node, depth=0):
        """Validate the whole structure before anything is built."""
        if depth > 500:
            raise self.err("structure is nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise self.err(f"unexpected structure node {str(node)[:80]}")
        tag, args = node[0], node[1:]
        ok = True
        if tag == "T":
            ok = len(args) == 1 and type(args[0]) is int and 0 <= args[0] < len(self.records)
        elif tag in ("l", "t", "s", "fs"):
            ok = len(args) == 1 and isinstance(args[0], list)
            if ok:
                for v in args[0]:
                    self.check(v, depth + 1)
        elif tag == "ns":
            ok = len(args) == 1 and isinstance(args[0], list) and all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in args[0])
            if ok:
                for _, v in args[0]:
                    self.check(v, depth + 1)
        elif tag == "time":
            ok = len(args) == 2 and args[0] in {c.__name__ for c in _time_classes()} and (
                isinstance(args[1], list) and len(args[1]) == 3 and all(type(v) is int for v in args[1])
                if args[0] == "timedelta" else isinstance(args[1], str))
        elif tag == "path":
            ok = len(args) == 2 and args[0] in {c.__name__ for c in _path_classes()} and isinstance(args[1], str)
        elif tag in ("d", "od", "ctr", "dd"):
            if tag == "dd":  # the default_factory's name comes first
                ok = len(args) == 2 and (args[0] is None or args[0] in _DEFAULTDICT_FACTORIES)
                args = args[1:]
            if tag == "od" and len(args) == 2:  # a state_dict's _metadata comes last
                self.check(args[1], depth + 1)
                args = args[:1]
            ok = ok and len(args) == 1 and isinstance(args[0], list) and all(
                isinstance(p, list) and len(p) == 2 for p in args[0])
            if ok:
                for k, v in args[0]:
                    self.check(k, depth + 1)
                    self.check(v, depth + 1)
        elif tag == "f":
            ok = len(args) == 1 and args[0] in ("nan", "inf", "-inf")
        elif tag == "c":
            ok = len(args) == 2
            if ok:
                self.check(args[0], depth + 1)
                self.check(args[1], depth + 1)
        elif tag == "dt":
            ok = len(args) == 1 and args[0] in _dt._BY_NAME
        elif tag == "dev":
            ok = len(args) == 1 and isinstance(args[0], str)
        elif tag == "sz":
            ok = len(args) == 1 and isinstance(args[0], list) and all(type(s) is int for s in args[0])
        elif tag in ("b", "ba"):
            ok = len(args) == 1 and isinstance(args[0], str)
        elif tag == "np":
            ok = len(args) == 2 and args[0] in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                                                "float32", "float64", "complex64", "complex128") + _NP_ONLY_UINTS
            if ok:
                self.check(args[1], depth + 1)
        else:
            ok = False
        if not ok:
            raise self.err(f"unexpected structure node {str(node)[:80]}")

    def build(self, node):
        if not isinstance(node, list):
            return node
        tag = node[0]
        if tag == "T":
            return self.tensors[node[1]]
        if tag == "l":
            return [self.build(v) for v in node[1]]
        if tag == "t":
            return tuple(self.build(v) for v in node[1])
        if tag == "d":
            return {self.build(k): self.build(v) for k, v in node[1]}
        if tag == "od":
            out = collections.OrderedDict((self.build(k), self.build(v)) for k, v in node[1])
            if len(node) == 3:
                out._metadata = self.build(node[2])
            return out
        if tag == "ctr":
            return collections.Counter({self.build(k): self.build(v) for k, v in node[1]})
        if tag == "ns":
            return _argparse_namespace()(**{k: self.build(v) for k, v in node[1]})
        if tag == "path":
            return {c.__name__: c for c in _path_classes()}[node[1]](node[2])
        if tag == "time":
            cls = {c.__name__: c for c in _time_classes()}[node[1]]
            if node[1] == "timedelta":
                return cls(days=node[2][0], seconds=node[2][1], microseconds=node[2][2])
            return cls.fromisoformat(node[2])
        if tag == "dd":
            factory = None if node[1] is None else _DEFAULTDICT_FACTORIES[node[1]]
            return collections.defaultdict(factory, {self.build(k): self.build(v) for k, v in node[2]})
        if tag == "s":
            return {self.build(v) for v in node[1]}
        if tag == "fs":
            return frozenset(self.build(v) for v in node[1])
        if tag == "f":
            return float(node[1])
        if tag == "c":
            return complex(self.build(node[1]), self.build(node[2]))
        if tag == "dt":
            return _dt._BY_NAME[node[1]]
        if tag == "dev":
            return _device_cls(node[1])
        if tag == "sz":
            return Size(node[1])
        if tag in ("b", "ba"):
            import base64
            raw = base64.b64decode(node[1])
            return raw if tag == "b" else bytearray(raw)
        if tag == "np":
            dt = np.dtype(node[1])
            value = self.build(node[2])
            if dt.kind in "iu" and not (np.iinfo(dt).min <= value <= np.iinfo(dt).max):
                # NumPy 2 raises OverflowError here; NumPy 1.x would wrap silently
                raise OverflowError(f"Python integer {value} out of bounds for {dt}")
            return dt.type(value)
        raise self.err(f"unexpected structure node {tag!r}")


def _foreign_device(obj) -> bool:
    """A device object of another library (a ``torch.device``): its ``str()`` is the device string."""
    return type(obj).__name__ == "device" and hasattr(obj, "type") and hasattr(obj, "index")


def _target_device(map_location, loc: str, cpu_tensor):
    """Where a tensor saved on ``loc`` goes; returns a device/str, or a Tensor from a callable."""
    if map_location is None:
        return loc
    if isinstance(map_location, (str, _device_cls)):
        return map_location
    if _foreign_device(map_location):
        return str(map_location)
    if isinstance(map_location, dict):
        target = map_location.get(loc, loc)
        return str(target) if _foreign_device(target) else target
    if callable(map_location):
        r = map_location(cpu_tensor, loc)
        return loc if r is None else r
    raise ValueError(f"map_location should be either None, a string, a device, a dict or a callable, "
                     f"got {type(map_location).__name__}")


def _move(t: Tensor, target):
    if isinstance(target, Tensor):
        return target
    if isinstance(target, _device_cls):
        dev = target
    else:
        try:
            dev = _device_cls(target)
        except RuntimeError:
            if not isinstance(target, str):
                raise
            # a location no device type is named by: PyTorch's message for a storage it cannot place
            raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage (tagged "
                               f"with {target})") from None
    if dev.type == "cpu":
        return t
    from .device import backends
    b = backends().get(dev.type)
    if b is None or not b.is_available():
        if dev.type == "cuda":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                "If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        raise RuntimeError(f"Attempting to deserialize object on device '{dev}', which is not available")
    return t.to(dev)


def _materialize(dec: _Decoder, arrays, map_location):
    tensors = []
    by_storage = {}  # (storage, target) -> tensor that owns the array (aliases share it)
    for storage, dname, shape, dev, rg, kind in dec.records:
        arr = arrays[storage]
        if not arr.flags.writeable:
            arr = arr.copy()
            arrays[storage] = arr
        if kind == "ndb":
            tensors.append(arr.view(np.dtype(dname)).reshape(shape))
            continue
        if dname in _COMPLEX_PARTS:
            arr = arr.view(_dt._BY_NAME[dname].np).reshape(shape)
        if kind == "nd":
            tensors.append(arr)
            continue
        cpu = wrap(arr)
        target = _target_device(map_location, dev, cpu)
        key = (storage, dname, target if not isinstance(target, Tensor) else id(target))
        first = by_storage.get(key)
        if first is not None and not isinstance(target, Tensor):
            t = wrap(first._data, first._device)
            t._vc = first._vc
        else:
            t = _move(cpu, target)
            by_storage[key] = t
        if rg and t.dtype.category >= 2 and Tensor._autograd is not None:
            t.requires_grad_(True)
        if kind == "param":
            try:
                from .nn import Parameter
                t = Parameter(t, requires_grad=rg)
            except ImportError:
                pass
        tensors.append(t)
    dec.tensors = tensors


def _read_exact(f, n: int, name: str, what: str) -> bytes:
    """Read ``n`` bytes in bounded chunks (a lying header cannot make us allocate ``n`` up front)."""
    parts, got = [], 0
    while got < n:
        chunk = f.read(min(_READ_CHUNK, n - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    if got < n:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {n} bytes of {what}, file has {got}")
    return b"".join(parts)


def _read_safetensors_file(path: str):
    """All tensors of a (validated) safetensors file as NumPy arrays. Newer safetensors can read
    with pread(2) instead of mmap, which avoids page-faulting a fresh mapping (about 2x faster)."""
    from safetensors import safe_open
    try:
        f = safe_open(path, framework="np", backend="pread")
    except TypeError:  # safetensors < 0.8 has no backend argument
        from safetensors.numpy import load_file
        return load_file(path)
    with f:
        return f.get_tensors()


def _load_from_path(path: str):
    name = path
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'") from None
    with fh:
        total = os.fstat(fh.fileno()).st_size
        prefix = fh.read(8)
        n = _parse_header(prefix, total, name)
        raw = _read_exact(fh, n, name, "JSON header")
    header, meta, _ = _decode_header(raw, name, total - 8 - n, prefix)
    if not header:
        return header, meta, {}
    try:
        arrays = _read_safetensors_file(path)
    except Exception as exc:  # the file changed under us, or safetensors disagrees
        raise CheckpointError(f"checkpoint '{name}' could not be read: {exc}") from None
    return header, meta, arrays


def _load_from_stream(f):
    name = _name_of(f)
    remaining = None
    try:
        if f.seekable():
            pos = f.tell()
            remaining = f.seek(0, io.SEEK_END) - pos
            f.seek(pos)
    except (AttributeError, OSError, ValueError):
        remaining = None
    prefix = f.read(8)
    if not isinstance(prefix, (bytes, bytearray, memoryview)):
        raise TypeError("tensorgraft.load: the file object must be opened in binary mode")
    prefix = bytes(prefix)
    if remaining is None and len(prefix) < 8:
        remaining = len(prefix)
    n = _parse_header(prefix, remaining if remaining is not None else (1 << 62), name)
    raw = _read_exact(f, n, name, "JSON header")
    # Read exactly what the header claims (a stream may hold several checkpoints back to back);
    # the claim is checked against the bytes left when the stream can tell, else read in chunks.
    header, meta, end = _decode_header(raw, name, None, prefix)
    if remaining is not None and end > remaining - 8 - n:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {end} bytes of tensor data, file has "
                              f"{remaining - 8 - n}")
    data = _read_exact(f, end, name, "tensor data")
    if not header:
        return header, meta, {}
    from safetensors.numpy import load as _load_bytes
    try:
        arrays = _load_bytes(prefix + raw + data)
    except Exception as exc:
        raise CheckpointError(f"checkpoint '{name}' could not be read: {exc}") from None
    return header, meta, arrays


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what :func:`save` wrote, or any safetensors file (then a flat ``{name: tensor}`` dict).

    ``map_location``: None (tensors go back to the device they were saved from), a device or
    string (all tensors go there), a dict mapping saved locations to new ones, or a callable
    ``fn(tensor, location)`` returning a tensor or None. ``weights_only`` is accepted (None, as
    in PyTorch, means the default); loading never executes code from the file either way.
    """
    # PyTorch's refusals of contradictory arguments, made before the file is touched
    if weights_only is True and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if mmap and not isinstance(f, (str, bytes, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if isinstance(f, (str, bytes, os.PathLike)):
        header, meta, arrays = _load_from_path(os.fsdecode(f))
        name = os.fsdecode(f)
    else:
        if not hasattr(f, "read"):
            raise AttributeError(f"tensorgraft.load: expected a path or a binary file object with read(), "
                                 f"got {type(f).__name__}")
        name = _name_of(f)
        header, meta, arrays = _load_from_stream(f)
    import json
    raw_meta = meta.get(_META_KEY)
    if raw_meta is None:
        # a plain safetensors file: {name: tensor}, in file order
        order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
        out = {}
        for k in order:
            arr = arrays[k]
            if not arr.flags.writeable:
                arr = arr.copy()
            t = wrap(arr)
            target = _target_device(map_location, "cpu", t)
            out[k] = _move(t, target)
        return out
    try:
        doc = json.loads(raw_meta)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its tensorgraft metadata is not valid JSON ({exc})") \
            from None
    if not isinstance(doc, dict) or "root" not in doc or "tensors" not in doc:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its tensorgraft metadata is incomplete")
    if doc.get("v") != _FORMAT_VERSION:
        raise CheckpointError(f"checkpoint '{name}' has tensorgraft format version {doc.get('v')!r}; this "
                              f"tensorgraft reads version {_FORMAT_VERSION}")
    dec = _Decoder(header, doc["tensors"], name)
    dec.check_records()
    dec.check(doc["root"])
    if weights_only is not False:
        _refuse_what_weights_only_refuses(doc["root"])
    _materialize(dec, arrays, map_location)
    try:
        return dec.build(doc["root"])
    except (TypeError, ValueError, OverflowError, RuntimeError) as exc:  # e.g. an unhashable key, a bad device
        raise CheckpointError(f"checkpoint '{name}' is corrupt: {exc}") from None


# ============================================================================ weights_only
_WO_HEAD = ("Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
            "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) ")
_WO_DEFAULT_CHANGED = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
                       "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
                       "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
                       "trusted source.")
_WO_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
            "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _unsupported_global(name: str):
    import pickle
    return pickle.UnpicklingError(
        f"{_WO_HEAD}{_WO_DEFAULT_CHANGED}\n\t(2) Alternatively, to load with `weights_only=True` please check the "
        "recommended steps in the following error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL "
        f"{name} was not an allowed global by default. Please use `torch.serialization.add_safe_globals([{name}])` "
        f"or the `torch.serialization.safe_globals([{name}])` context manager to allowlist this global if you trust "
        f"this class/function.{_WO_DOCS}")


def _refuse_what_weights_only_refuses(node) -> None:
    """With ``weights_only`` (PyTorch's default), refuse what PyTorch's restricted unpickler refuses,
    in the order it meets them: an ``argparse.Namespace``, a ``pathlib`` path or a ``datetime`` value
    whose class is not allow-listed (``add_safe_globals``); a ``defaultdict`` unless its class and its
    factory are, and
    even then only an empty one. Nothing is executed either way; the refusal keeps programs written
    for PyTorch behaving as there."""
    if not isinstance(node, list) or not node:
        return
    tag = node[0]
    if tag == "ns":
        if _argparse_namespace() not in _safe_globals:
            raise _unsupported_global(_global_name(_argparse_namespace()))
        for _, v in node[1]:
            _refuse_what_weights_only_refuses(v)
        return
    if tag in ("path", "time"):
        cls = {c.__name__: c for c in (_path_classes() if tag == "path" else _time_classes())}[node[1]]
        if cls not in _safe_globals:
            raise _unsupported_global(_global_name(cls))
        return
    if tag == "dd":
        allowed = _safe_globals
        if collections.defaultdict not in allowed:
            raise _unsupported_global("collections.defaultdict")
        factory = None if node[1] is None else _DEFAULTDICT_FACTORIES[node[1]]
        if factory is not None and factory not in allowed:
            raise _unsupported_global(node[1])
        if node[2]:
            import pickle
            raise pickle.UnpicklingError(
                f"Weights only load failed. {_WO_DEFAULT_CHANGED}\nPlease file an issue with the following so that "
                "we can make `weights_only=True` compatible with your use case: WeightsUnpickler error: \n\nCan "
                "only SETITEM for dict, collections.OrderedDict, collections.Counter, but got <class "
                f"'collections.defaultdict'>{_WO_DOCS}")
        return
    if tag in ("l", "t", "s", "fs"):
        for v in node[1]:
            _refuse_what_weights_only_refuses(v)
    elif tag in ("d", "od", "ctr"):
        for k, v in node[1]:
            _refuse_what_weights_only_refuses(k)
            _refuse_what_weights_only_refuses(v)


# ============================================================================ torch.serialization shims
# PyTorch's weights_only unpickler has an allow-list of globals. Nothing is ever unpickled here, so
# these only keep code written for PyTorch running: the list is kept, and has no effect.
_safe_globals: list = []


def add_safe_globals(safe_globals) -> None:
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    return list(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """``with tensorgraft.serialization.safe_globals([...]):`` (a no-op: nothing is unpickled)."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._n = len(_safe_globals)
        _safe_globals.extend(self.safe_globals)
        return self

    def __exit__(self, *exc):
        del _safe_globals[self._n:]
        return False
