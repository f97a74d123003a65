"""Loading checkpoints written by PyTorch's own ``torch.save``: the zip archive (PyTorch 1.6 and
later) and the legacy pickle stream (``_use_new_zipfile_serialization=False``, older releases).

So ``model.load_state_dict(torch.load("pretrained.pth"))`` runs unchanged on a file made by PyTorch.

Such a file is a pickle. It is read by a *restricted* unpickler, the same approach as PyTorch's own
``weights_only`` loader: every global the pickle names is looked up in an allow-list that maps
PyTorch's names to tensorgraft's objects (``torch._utils._rebuild_tensor_v2`` to a function that
makes a tensor from the storage bytes, ``torch.FloatStorage`` to a dtype marker, ``torch.Size``,
``torch.device``, the dtypes, ``collections.OrderedDict``...), and anything else is refused before it
is called (nothing from the file is executed unless the caller opts in):

* ``weights_only=True`` (the default, as in PyTorch 2.6+) allows what PyTorch's default allow-list
  allows, plus what the program allow-listed with ``torch.serialization.add_safe_globals`` /
  ``safe_globals``; anything else is refused with PyTorch's message.
* ``weights_only=False`` is the explicit opt-in to unpickling, as in PyTorch: every other global is
  imported and may run (``pickled_objects.find_global``), PyTorch's names mapped to tensorgraft's
  (``torch.nn.modules.linear.Linear`` is ``tensorgraft.nn.Linear``), so a whole model saved with
  ``torch.save(model)`` loads into tensorgraft modules. Plain data PyTorch refuses by default (NumPy
  arrays and scalars, ``argparse.Namespace``, paths, datetimes...) comes from the same tables as with
  ``weights_only``. An object of a class whose *library is not installed* (a Lightning
  ``AttributeDict`` in a checkpoint loaded without Lightning) loads as an inert ``ForeignObject``
  placeholder holding its saved fields (``foreign_objects``), with a warning, where PyTorch would
  raise ModuleNotFoundError.

Storages become NumPy arrays (one copy out of the archive); tensors are strided views of them, so
tensors that shared a storage in PyTorch (tied weights, views) share memory here too, after their
offsets, sizes and strides were checked to stay inside the storage.
"""
from __future__ import annotations

import _compat_pickle
import io
import os
import sys
import warnings
import zipfile

import numpy as np

from .. import dtypes as _dt
from .data_skipping import skipping
from .header import _LEGACY_MAGIC, _ZIP_MAGIC, CheckpointError
# (the rebuild functions and the unpickler live in their own modules; the names other modules
# import from here stay importable from here)
from .pytorch_rebuild import _STORAGE_DTYPES, _Builder, _public_storages, _Storage, _StorageType  # noqa: F401
from .pytorch_unpickler import (  # noqa: F401
    _allowed_name, _no_storage, _resolver, _RestrictedUnpickler, _unpickle, _warn_foreign, default_allowed_names)

_LEGACY_PROTOCOL = 1001  # the legacy format's second pickle (after the magic number)


def globals_of_file(fh) -> list:
    """The ``module.name`` of every global a PyTorch file's pickle refers to, in order, read by
    walking its opcodes (nothing is unpickled)."""
    import pickletools
    start = fh.tell()
    head = fh.read(4)
    fh.seek(start)
    if head == _ZIP_MAGIC:
        with zipfile.ZipFile(fh) as zf:
            pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if not pkl:
                raise CheckpointError("the zip archive is not a PyTorch checkpoint (it has no data.pkl record)")
            stream = io.BytesIO(zf.read(pkl[0]))
    else:
        stream = io.BytesIO(fh.read())
        for _ in range(3):  # the legacy format's magic number, protocol version and system info
            for _op in pickletools.genops(stream):
                pass
    # ``pushed``: what each opcode put on the stack, as far as STACK_GLOBAL needs it (a string, else
    # None); ``memo``: the same for memoized values, since protocol 4+ fetches a module or name
    # string met before from the memo (BINGET) instead of writing it again
    names, pushed, memo = [], [None, None], {}
    try:
        for op, arg, _ in pickletools.genops(stream):
            if op.name == "GLOBAL":
                module, _, name = arg.partition(" ")
            elif op.name == "STACK_GLOBAL":
                module, name = pushed[-2], pushed[-1]
                if not (isinstance(module, str) and isinstance(name, str)):
                    pushed.append(None)
                    continue
            else:
                if op.name == "MEMOIZE":
                    memo[len(memo)] = pushed[-1]
                elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = pushed[-1]
                elif op.name in ("GET", "BINGET", "LONG_BINGET"):
                    pushed.append(memo.get(arg))
                elif op.name != "FRAME":
                    pushed.append(arg if isinstance(arg, str) and "UNICODE" in op.name else None)
                continue
            pushed.append(None)  # the global itself
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
            names.append(f"{module}.{name}")
    except ValueError as exc:
        raise CheckpointError(f"the checkpoint's pickle could not be read ({exc})") from None
    return names


# ============================================================================ the zip archive
def load_zip(fileobj, name: str, map_location, weights_only: bool, mmap_path: str | None = None):
    """The object of a PyTorch zip checkpoint; with ``mmap_path`` (the file's path) its uncompressed
    storages are mapped copy-on-write from the file rather than read."""
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint '{name}' starts like a PyTorch zip checkpoint but is not a readable zip "
                              f"archive ({exc})") from None
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        pkl = [n for n in infos if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pkl:
            if any(n.endswith("/constants.pkl") or "/code/" in n for n in infos):
                raise CheckpointError(
                    f"'{name}' is a TorchScript archive (torch.jit.save); tensorgraft cannot run TorchScript. In "
                    "PyTorch, load it with torch.jit.load and save its state_dict() with torch.save, then load that")
            raise CheckpointError(f"checkpoint '{name}' is a zip archive but not a PyTorch checkpoint (it has no "
                                  "data.pkl record)")
        prefix = pkl[0][: -len("data.pkl")]
        if f"{prefix}constants.pkl" in infos:
            raise CheckpointError(
                f"'{name}' is a TorchScript archive (torch.jit.save); tensorgraft cannot run TorchScript. In PyTorch, "
                "load it with torch.jit.load and save its state_dict() with torch.save, then load that")
        from .torch_options import assumed_byteorder
        byteorder = assumed_byteorder()  # no record (files before PyTorch 1.11): set_default_load_endianness
        if f"{prefix}byteorder" in infos:
            byteorder = zf.read(f"{prefix}byteorder").decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise CheckpointError(f"checkpoint '{name}' is corrupt: its byteorder record says {byteorder!r}")
        builder = _Builder(name, map_location)
        storages = {}

        def load_storage(pid):
            if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
                raise CheckpointError(f"checkpoint '{name}' is corrupt: unknown persistent id {pid!r}")
            _, storage_type, key, location, numel = pid[:5]
            if not isinstance(storage_type, _StorageType) or not isinstance(key, str):
                raise CheckpointError(f"checkpoint '{name}' is corrupt: a storage is typed {storage_type!r}")
            if key in storages:
                return storages[key]
            dtype = np.dtype(_dt._BY_NAME[storage_type.dtype_name].np)
            info = infos.get(f"{prefix}data/{key}")
            if info is None:
                raise CheckpointError(f"checkpoint '{name}' is truncated: storage {key} is missing from the archive")
            expected = int(numel) * dtype.itemsize
            if info.file_size != expected:
                raise CheckpointError(f"checkpoint '{name}' is corrupt: storage {key} holds {info.file_size} bytes, "
                                      f"its record says {numel} elements of {storage_type.dtype_name} "
                                      f"({expected} bytes)")
            arr = _mapped_entry(fileobj, info, mmap_path, dtype, expected) if mmap_path is not None else None
            if arr is None and skipping():  # skip_data(): the storage's size, not its bytes (zeros)
                arr = np.zeros(int(numel), dtype)
            if arr is None:
                raw = bytearray(expected)
                got = _read_entry(zf, fileobj, info, raw)
                if got != expected:
                    raise CheckpointError(f"checkpoint '{name}' is truncated: storage {key} has {got} of {expected} "
                                          "bytes")
                arr = np.frombuffer(raw, dtype=dtype)
            if byteorder != sys.byteorder and dtype.itemsize > 1:
                arr = arr.byteswap()
            storages[key] = _Storage(arr, str(location))
            return storages[key]

        resolve = _resolver(builder, weights_only, name)
        with zf.open(pkl[0]) as fh:
            result = _unpickle(fh, resolve, load_storage, name)
        _warn_foreign(resolve, name)
        return _public_storages(result, map_location)


def _data_offset(fileobj, info):
    """Where an entry's bytes start in the file (after its local header), or None if that header is
    not where the central directory says."""
    fileobj.seek(info.header_offset)
    local = fileobj.read(30)
    if len(local) < 30 or local[:4] != _ZIP_MAGIC:
        return None
    name_len, extra_len = int.from_bytes(local[26:28], "little"), int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len


def _mapped_entry(fileobj, info, path, dtype, nbytes):
    """An uncompressed entry as a copy-on-write memory map of the file (None: read it instead)."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or nbytes == 0:
        return None
    start = _data_offset(fileobj, info)
    if start is None or start + nbytes > os.path.getsize(path) or start % dtype.itemsize:
        return None
    from .torch_options import memmap_mode  # MAP_PRIVATE (copy-on-write) or MAP_SHARED
    return np.memmap(path, dtype=dtype, mode=memmap_mode(), offset=start, shape=(nbytes // dtype.itemsize,))


def _read_entry(zf, fileobj, info, out: bytearray) -> int:
    """Read a zip entry's bytes into ``out``; returns how many were read. PyTorch stores storages
    uncompressed, so they are read straight from the file at their offset: zipfile's reader would
    also compute their CRC-32, which doubles the time of a large load (PyTorch does not check it either)."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or not hasattr(fileobj, "readinto"):
        with zf.open(info) as fh:
            return fh.readinto(out)
    start = _data_offset(fileobj, info)
    if start is None:
        return 0
    fileobj.seek(start)
    view, got = memoryview(out), 0
    while got < len(out):
        n = fileobj.readinto(view[got:])
        if not n:
            break
        got += n
    return got


# ============================================================================ the legacy stream
def load_legacy(fileobj, name: str, map_location, weights_only: bool):
    """The pre-1.6 format: pickles of the magic number, the protocol version and system info, then
    the object (storages as persistent ids), then the list of storage keys, then each storage's
    bytes (an 8-byte element count, then the elements), in that list's order."""
    builder = _Builder(name, map_location)  # checks map_location before anything is read
    data = fileobj.read()
    f = io.BytesIO(data)
    header_resolve = _resolver(_Builder(name, None), True, name)
    try:
        magic = _RestrictedUnpickler(f, resolve=header_resolve, load_storage=_no_storage).load()
        protocol = _RestrictedUnpickler(f, resolve=header_resolve, load_storage=_no_storage).load()
        sys_info = _RestrictedUnpickler(f, resolve=header_resolve, load_storage=_no_storage).load()
    except Exception as exc:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its legacy PyTorch header could not be read "
                              f"({exc})") from None
    if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL or not isinstance(sys_info, dict):
        raise CheckpointError(f"checkpoint '{name}' is not a PyTorch checkpoint this tensorgraft can read (legacy "
                              f"magic {magic!r}, protocol {protocol!r})")
    little = sys_info.get("little_endian", True)
    object_start = f.tell()

    # First pass: only find where the object's pickle ends and which storages it names, without
    # building anything (the storage bytes come after it in the stream).
    declared = {}

    def declare(pid):
        if _is_module_pid(pid):
            return pid[1]
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise CheckpointError(f"checkpoint '{name}' is corrupt: unknown persistent id {pid!r}")
        _, storage_type, key, location, numel = pid[:5]
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError(f"checkpoint '{name}' is corrupt: a storage is typed {storage_type!r}")
        declared.setdefault(key, (storage_type, str(location), int(numel)))
        return _Storage(np.zeros(int(numel), dtype=_dt._BY_NAME[storage_type.dtype_name].np), str(location))

    with warnings.catch_warnings():  # the second pass warns
        warnings.simplefilter("ignore")
        _unpickle(f, _resolver(_Builder(name, "cpu", placeholders=True), weights_only, name), declare, name)
    keys = _unpickle(f, header_resolve, _no_storage, name)
    if not isinstance(keys, list):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its storage list is a {type(keys).__name__}")
    storages = {}
    for key in keys:
        if key not in declared:
            raise CheckpointError(f"checkpoint '{name}' is corrupt: storage {key!r} is stored but never used")
        storage_type, location, numel = declared[key]
        dtype = np.dtype(_dt._BY_NAME[storage_type.dtype_name].np)
        count = f.read(8)
        if len(count) < 8:
            raise CheckpointError(f"checkpoint '{name}' is truncated: storage {key} is missing")
        n = int.from_bytes(count, "little" if little else "big", signed=True)
        if n != numel:
            raise CheckpointError(f"checkpoint '{name}' is corrupt: storage {key} holds {n} elements, its record "
                                  f"says {numel}")
        raw = bytearray(f.read(n * dtype.itemsize))
        if len(raw) != n * dtype.itemsize:
            raise CheckpointError(f"checkpoint '{name}' is truncated: storage {key} has {len(raw)} of "
                                  f"{n * dtype.itemsize} bytes")
        arr = np.frombuffer(raw, dtype=dtype)
        if (sys.byteorder == "little") != bool(little) and dtype.itemsize > 1:
            arr = arr.byteswap()
        if skipping():  # skip_data(): the storages are not populated (read past, zeros here)
            arr = np.zeros(n, dtype)
        storages[key] = _Storage(arr, location)
    missing = set(declared) - set(storages)
    if missing:
        raise CheckpointError(f"checkpoint '{name}' is truncated: storages {sorted(missing)} are missing")

    def load_storage(pid):
        if _is_module_pid(pid):
            return pid[1]
        storage = storages[pid[2]]
        view = pid[5] if len(pid) > 5 else None
        if view is not None:  # (view key, offset, size): a slice of the storage (PyTorch < 0.4)
            view_key, offset, size = view
            cached = storages.get(view_key)
            if cached is None:
                cached = _Storage(storage.array[int(offset):int(offset) + int(size)], storage.location)
                storages[view_key] = cached
            return cached
        return storage

    f.seek(object_start)
    resolve = _resolver(builder, weights_only, name)
    result = _unpickle(f, resolve, load_storage, name)
    _warn_foreign(resolve, name)
    return _public_storages(result, map_location)


def _is_module_pid(pid) -> bool:
    """The legacy format's record of a module class with its source, ``('module', class, file,
    source)``: stands for the class (its global was resolved, so weights_only=False). PyTorch warns
    (SourceChangeWarning) when the source differs from the class's; tensorgraft's classes never have
    PyTorch's source, so no comparison is made."""
    return isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "module" and isinstance(pid[1], type)
