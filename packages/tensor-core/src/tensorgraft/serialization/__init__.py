"""``tensorgraft.save`` / ``tensorgraft.load``: checkpoints in the safetensors format, no pickle;
``load`` also reads the files PyTorch's ``torch.save`` writes (see ``pytorch_files``). An object the
safetensors format cannot hold (a whole module, an optimizer, an object of the program's classes) is
pickled into PyTorch's zip format instead, as ``torch.save`` does, and loads back only with an explicit
``weights_only=False``, as in PyTorch (see ``pickled_objects``).

A checkpoint is a plain safetensors file (written and read through the ``safetensors`` package):

* the tensors are safetensors entries (a flat state_dict ``{name: tensor}`` keeps its names, so
  ``safetensors.torch.load_file`` reads it back as the same dict);
* the structure around them (dicts with int or str keys, ``OrderedDict``, ``Counter`` (MultiStepLR's
  milestones), ``defaultdict``, lists vs tuples, bytes vs bytearray, ``None``/bool/int/float/str,
  dtypes, devices, ``argparse.Namespace``, ``pathlib`` paths, naive ``datetime`` values, nesting,
  which tensors are the same object) is JSON in the safetensors ``__metadata__`` under the key
  ``"tensorgraft"``.

Loading such a file only parses JSON and copies bytes: nothing in it is ever executed, so
``weights_only`` protects nothing there. It refuses an ``argparse.Namespace``, a ``pathlib`` path, a
``datetime``/``date``/``time``/``timedelta`` and a ``collections.defaultdict`` as PyTorch's
restricted unpickler does (its messages, its ``add_safe_globals`` allow-list), so a program that
needs ``weights_only=False`` for them there needs it here too; NumPy arrays and scalars and
frozensets, which PyTorch also refuses by default, are loaded whatever ``weights_only`` says. (NumPy
arrays of dtypes no tensor has, such as the uint32 key of ``np.random.get_state()``, are stored as
their bytes.)

Choices, documented because PyTorch's pickle-based format behaves differently:

* Complex tensors are stored as their real view (trailing dimension 2, ``F32``/``F64``) with the
  complex dtype recorded in the metadata (safetensors has no portable complex dtype).
* Storages, as ``torch.save``: the CPU tensors of one storage (the memory of the tensor their
  ``storage_offset()`` counts from) and dtype are stored as one entry, the whole storage; each record
  keeps its storage offset, size and strides (format version 2). After loading, views of one base
  share memory again (a write through one is seen by the others), a transposed or strided tensor
  keeps its strides, and a slice saved alone comes back at its offset in its whole storage (all of
  which is written, as PyTorch writes it). The entry is named and shaped as the first tensor that is
  the whole storage, C-ordered, when there is one, else it is the storage's flat elements named
  after the first tensor viewing it. Version 1 files (each tensor its own values) still load.
* Sharing: a tensor object that appears several times is stored once and every reference is
  restored as the *same* object; distinct tensor objects over one storage (``p.detach()`` twice,
  tied weights in a state_dict, ``x`` and ``x[1:]``) are restored as distinct tensors sharing it.
* A flat ``{name: tensor}`` state_dict stays the same dict for safetensors readers: a tensor whose
  record points into another key's entry (tied weights, a slice of another entry) also has its
  values written under its own key, and tensors viewing memory that none of its tensors holds
  whole (``{"w": big[:10]}``) are each stored as their values (contiguous, offset 0), so no entry
  but the keys appears. Views of one memory as different dtypes (``c`` and ``c.real``) are stored
  as one storage per dtype, not sharing after loading (PyTorch refuses to save them); empty
  tensors, tensors with negative strides and tensors on other devices are stored as their values.
* Writes to a path are atomic: a temporary file in the same directory is written, flushed,
  fsync'ed and ``os.replace``'d over the target; on any error the old file is untouched.
* Every header is validated (lengths against the file size, dtypes, shapes against byte sizes,
  offsets) before any tensor memory is allocated; problems raise :class:`CheckpointError`.

The package's modules, each holding one concept:

- ``header``: the safetensors layout (constants, dtype codes), ``CheckpointError``, header validation
- ``values``: the non-tensor values a checkpoint holds (Namespace, paths, datetimes, defaultdict...)
- ``encoder``: an object -> safetensors entries + the JSON structure document (no I/O)
- ``decoder``: validating that document and rebuilding the object from it
- ``placement``: ``map_location`` and turning loaded arrays into tensors on their devices
- ``reading``: reading the bytes of a checkpoint from a path or a stream
- ``weights_only``: PyTorch's weights_only refusals and the ``add_safe_globals`` allow-list
- ``pytorch_files``: loading files PyTorch's own ``torch.save`` wrote (zip archive or legacy stream)
  with a restricted unpickler (``weights_only=True``) or an unrestricted one (``weights_only=False``);
  ``pytorch_rebuild`` holds the storages and the tensors a PyTorch pickle rebuilds over them,
  ``pytorch_unpickler`` the allow-lists and the restricted unpickler
- ``pytorch_writer``: ``save_for_pytorch``, writing files PyTorch's ``torch.load`` reads
- ``pickled_objects``: whole objects (``torch.save(model)``) pickled into that format, and the
  unrestricted global lookup of ``weights_only=False``
- ``foreign_objects``: placeholders for objects of classes a PyTorch file names (weights_only=False)
- ``torch_options``: the rest of ``torch.serialization`` (mmap and endianness options,
  ``get_unsafe_globals_in_checkpoint``, the ``map_location`` helpers)

This module holds the public API: ``save`` (with the atomic write to a path) and ``load``.
"""
from __future__ import annotations

# the former single module's own imports (what ``serialization.x`` reached before stays reachable)
import collections
import io
import math
import os
import struct

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls
from ..tensor import Size, Tensor, wrap

# The package's modules. Every top-level name of the former single module
# ``serialization.py`` stays importable from here, the private ones included (tests fault
# ``_write_file``, which ``_atomic_save`` below looks up in this module).
from .header import PREFIX_BYTES, _ZIP_MAGIC, is_pytorch_file
from .header import (  # noqa: F401
    _COMPLEX_PARTS, _FORMAT_VERSION, _MAX_NDIM, _READ_VERSIONS, _META_KEY, _NP_TO_ST, _ST_ITEMSIZE, _ST_TO_NP, MAX_HEADER_BYTES,
    CheckpointError, _decode_header, _foreign_hint, _name_of, _parse_header, _prod,
)
from .values import (  # noqa: F401
    _DEFAULTDICT_FACTORIES, _MAPPING_TAGS, _NP_ONLY_UINTS, _argparse_namespace, _global_name, _path_classes,
    _raw_numpy_dtype, _time_classes,
)
from .encoder import _encode, _Encoder, _flat_state_dict  # noqa: F401
from .data_skipping import skip_data, skipped_entries, skipping as _skipping, zeros_like_arrays
from .location_registry import _package_registry, register_package  # noqa: F401
from .decoder import _Decoder  # noqa: F401
from .placement import _foreign_device, _materialize, _move, _target_device  # noqa: F401
from .reading import _READ_CHUNK, _load_from_path, _load_from_stream, _read_exact, _read_safetensors_file  # noqa: F401
from .weights_only import (  # noqa: F401
    _WO_DEFAULT_CHANGED, _WO_DOCS, _WO_HEAD, _refuse_what_weights_only_refuses, _safe_globals, _unsupported_global,
    allowed_classes as _allowed_classes,
    add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals,
)

__all__ = ["save", "load", "save_for_pytorch", "ForeignObject", "CheckpointError", "SourceChangeWarning",
           "LoadEndianness", "get_default_load_endianness", "set_default_load_endianness", "get_default_mmap_options",
           "set_default_mmap_options", "get_unsafe_globals_in_checkpoint", "location_tag", "default_restore_location",
           "validate_cuda_device", "validate_hpu_device", "normalize_storage_type", "storage_to_tensor_type", "StorageType",
           "get_crc32_options", "set_crc32_options", "check_module_version_greater_or_equal", "mkdtemp", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals",
           "safe_globals", "skip_data", "register_package"]

DEFAULT_PROTOCOL = 2  # PyTorch's pickle protocol constant; save() accepts and ignores pickle_protocol


def _write_file(arrays, path, metadata) -> None:
    """Write a safetensors file at ``path`` (the temporary one). Separate so tests can fault it."""
    from safetensors.numpy import save_file
    save_file(arrays, path, metadata=metadata)


def _atomic_save(arrays, metadata, path: str) -> None:
    # ``_write_file`` is looked up when the write happens, so tests can fault it
    _atomic_write(path, lambda tmp: _write_file(arrays, tmp, metadata))


def _atomic_write(path: str, write) -> None:
    """``write(tmp)`` writes the file at a temporary path next to ``path``, which then replaces
    ``path`` (fsync'ed, permissions kept); on any error ``path`` is untouched and ``tmp`` removed."""
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
        write(tmp)
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
    """Save ``obj`` to ``f``, a path or a binary file object. Tensors, state_dicts, optimizer
    state_dicts and nested containers of them are written in tensorgraft's safetensors format; any
    other object (a whole module, an optimizer, an object of the program's classes) is pickled into
    PyTorch's zip format, as ``torch.save`` writes it (``pickled_objects``): loading it back needs
    ``weights_only=False``, as in PyTorch. The pickle arguments are accepted and ignored."""
    is_path = isinstance(f, (str, bytes, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        # checked before encoding, as PyTorch does, so a bad target is reported whatever obj holds
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if _skipping() and not _use_new_zipfile_serialization:
        raise RuntimeError("Cannot use skip_data=True with _use_new_zipfile_serialization=False")
    try:
        arrays, metadata = _encode(obj)
    except (TypeError, ValueError):
        # an object the safetensors format cannot hold (a module, an optimizer, an object of the
        # program's classes, a reference cycle): pickled into PyTorch's zip format, as torch.save
        # writes every object; pickling errors (a lambda, a local class) are raised as pickle raises them
        from .pickled_objects import save_pickled
        save_pickled(obj, f)
        return
    if _skipping():
        arrays = skipped_entries(arrays, metadata)
    if is_path:
        _atomic_save(arrays, metadata, os.fsdecode(f))
        return
    from safetensors.numpy import save as _save_bytes
    f.write(_save_bytes(arrays, metadata=metadata))
    flush = getattr(f, "flush", None)
    if flush is not None:
        flush()


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what :func:`save` wrote, any safetensors file (then a flat ``{name: tensor}`` dict), or
    a file PyTorch's ``torch.save`` wrote (read by the restricted unpickler of ``pytorch_files``).

    ``mmap=True`` with a path to a PyTorch zip checkpoint maps its storages copy-on-write instead
    of reading them (writes to the tensors never reach the file), as PyTorch does.

    ``map_location``: None (tensors go back to the device they were saved from), a device or
    string (all tensors go there), a dict mapping saved locations to new ones, or a callable
    ``fn(tensor, location)`` returning a tensor or None. ``weights_only`` decides what a PyTorch
    file may hold; None means PyTorch's default (True, or False when a ``pickle_module`` is given,
    overridden by the ``TORCH_FORCE_WEIGHTS_ONLY_LOAD``/``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``
    environment variables). ``weights_only=True`` never executes code from the file; with
    ``weights_only=False`` a pickled object (``torch.save(model)``, from PyTorch or tensorgraft) is
    unpickled, which runs code named by the file, as in PyTorch: only load files you trust.
    """
    weights_only = _weights_only_of(weights_only, pickle_module)
    # PyTorch's refusals of contradictory arguments, made before the file is touched
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args:
        _check_pickle_load_args(pickle_load_args, weights_only)
    if mmap and not isinstance(f, (str, bytes, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if isinstance(f, (str, bytes, os.PathLike)):
        name = os.fsdecode(f)
        if _starts_like_pytorch_file(name):
            with open(name, "rb") as fh:
                shown = f"{f}, " if isinstance(f, str) else ""  # how PyTorch's mmap refusal names the file
                return _load_pytorch_file(fh, name, map_location, weights_only, mmap_path=name if mmap else None,
                                          shown=shown)
        header, meta, arrays = _load_from_path(name)
    else:
        if not hasattr(f, "read"):
            # PyTorch's words: it first seeks to check the stream is seekable
            raise AttributeError(f"'{type(f).__name__}' object has no attribute "
                                 f"'{'seek' if not hasattr(f, 'seek') else 'read'}'. You can only torch.load from a "
                                 "file that is seekable. Please pre-load the data into a buffer like io.BytesIO and "
                                 "try to load from it instead.")
        name = _name_of(f)
        f, is_pytorch = _peek_stream(f)
        if is_pytorch:
            return _load_pytorch_file(f, name, map_location, weights_only)
        header, meta, arrays = _load_from_stream(f)
    import json
    raw_meta = meta.get(_META_KEY)
    if raw_meta is None:
        # a plain safetensors file: {name: tensor}, in file order
        order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
        if _skipping():  # (the values are read, then dropped: skip_data promises no values)
            arrays = zeros_like_arrays(arrays)
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
    version = doc.get("v")
    if version not in _READ_VERSIONS or type(version) is not int:
        raise CheckpointError(f"checkpoint '{name}' has tensorgraft format version {version!r}; this "
                              f"tensorgraft reads versions {', '.join(map(str, _READ_VERSIONS))}")
    dec = _Decoder(header, doc["tensors"], name, version)
    dec.check_records()
    dec.check(doc["root"])
    if weights_only is not False:
        _refuse_what_weights_only_refuses(doc["root"])
        dec.classes = _allowed_classes()  # (a Tensor subclass comes from the allow-list, never imported)
    if _skipping():  # the tensors without their values; NumPy arrays keep theirs (PyTorch pickles them inline)
        arrays = zeros_like_arrays(arrays, {r[0] for r in dec.records if r[5] in ("nd", "ndb")})
    _materialize(dec, arrays, map_location)
    try:
        return dec.build(doc["root"])
    except (TypeError, ValueError, OverflowError, RuntimeError) as exc:  # e.g. an unhashable key, a bad device
        raise CheckpointError(f"checkpoint '{name}' is corrupt: {exc}") from None


def _weights_only_of(weights_only, pickle_module) -> bool:
    """The ``weights_only`` a load uses, as PyTorch decides it: None means True unless a
    ``pickle_module`` is given; the environment variables ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` (always
    True) and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (False when not given) override it, so programs
    (and their launch scripts) written for PyTorch load the same files."""
    not_set = weights_only is None
    if not_set:
        weights_only = pickle_module is None
    truthy = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should "
                           "be set, but both were set.")
    if force:
        return True
    if force_no and not_set:
        import warnings
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the`weights_only` "
                      "argument was not explicitly passed to `torch.load`, forcing weights_only=False.", UserWarning,
                      stacklevel=3)
        return False
    return bool(weights_only)


# the keyword arguments pickle.Unpickler takes (PyTorch passes load()'s extra ones to it)
_UNPICKLER_ARGS = ("fix_imports", "encoding", "errors", "buffers")


def _check_pickle_load_args(args: dict, weights_only: bool) -> None:
    """PyTorch's warning and errors for load()'s extra keyword arguments. They are accepted and
    otherwise ignored: the restricted reader decodes Python 2 strings as UTF-8."""
    import warnings
    if weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", UserWarning, stacklevel=3)
        for key in args:
            if key != "encoding":  # all PyTorch's weights_only unpickler takes
                raise TypeError(f"Unpickler.__init__() got an unexpected keyword argument '{key}'")
    for key in args:
        if key not in _UNPICKLER_ARGS:
            raise TypeError(f"'{key}' is an invalid keyword argument for Unpickler()")


def _starts_like_pytorch_file(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return is_pytorch_file(fh.read(PREFIX_BYTES))
    except OSError:
        return False  # the safetensors reader reports the error in its words


class _PrefixedStream:
    """A non-seekable stream whose first bytes were read to look at them: reads give them back first."""

    def __init__(self, prefix: bytes, stream):
        self._prefix, self._stream = prefix, stream
        self.name = getattr(stream, "name", None)

    def seekable(self) -> bool:
        return False

    def read(self, n=-1):
        if not self._prefix:
            return self._stream.read(n)
        if n is None or n < 0:
            out, self._prefix = self._prefix + self._stream.read(), b""
            return out
        out, self._prefix = self._prefix[:n], self._prefix[n:]
        if len(out) < n:
            out += self._stream.read(n - len(out))
        return out


def _peek_stream(f):
    """(a stream positioned where ``f`` was, whether it holds a PyTorch torch.save file)."""
    try:
        seekable = f.seekable()
    except AttributeError:
        seekable = False
    # (a closed file raises its ValueError here: "I/O operation on closed file", as in PyTorch)
    if seekable:
        pos = f.tell()
        prefix = f.read(PREFIX_BYTES)
        f.seek(pos)
    else:
        prefix = f.read(PREFIX_BYTES)
        f = _PrefixedStream(bytes(prefix) if isinstance(prefix, (bytes, bytearray, memoryview)) else prefix, f)
    if not isinstance(prefix, (bytes, bytearray, memoryview)):
        return f, False  # a text-mode stream: the safetensors reader says so
    return f, is_pytorch_file(bytes(prefix))


def _load_pytorch_file(fh, name, map_location, weights_only, *, mmap_path=None, shown=""):
    """A file written by PyTorch's torch.save: read by the restricted unpickler of ``pytorch_files``.
    ``mmap_path``: map its storages from this path; ``shown``: how PyTorch's mmap refusal names it."""
    if not fh.seekable():
        fh = io.BytesIO(fh.read())  # zipfile needs to seek; the legacy reader reads it whole anyway
    pos = fh.tell()
    from . import pytorch_files  # the PyTorch reader (zipfile, pickle) loads with the first such file
    is_zip = fh.read(4) == _ZIP_MAGIC
    fh.seek(pos)
    weights_only = weights_only is not False  # None means PyTorch's default, True
    if is_zip:
        return pytorch_files.load_zip(fh, name, map_location, weights_only, mmap_path=mmap_path)
    if mmap_path is not None:  # PyTorch's refusal: the legacy stream has no storage at a fixed offset
        raise RuntimeError(f"mmap can only be used with files saved with `torch.save({shown}"
                           "_use_new_zipfile_serialization=True), please torch.save your checkpoint with this option "
                           "in order to use mmap.")
    return pytorch_files.load_legacy(fh, name, map_location, weights_only)


# The public classes and functions defined in the modules above say they are this module's, as
# they did before the split (``torch.serialization`` in PyTorch): reprs, tracebacks and pickles
# that name them are unchanged.
for _obj in (CheckpointError, add_safe_globals, get_safe_globals, clear_safe_globals, safe_globals, skip_data,
             register_package):
    _obj.__module__ = __name__
del _obj

# Loaded on first use, so ``import tensorgraft`` pays for none of them (the PyTorch writer and the
# options pull in zipfile, pickle, tempfile...): name -> module of this package.
_LAZY = {"save_for_pytorch": "pytorch_writer", "ForeignObject": "foreign_objects",
         **{name: "torch_options" for name in (
             "SourceChangeWarning", "LoadEndianness", "get_default_load_endianness", "set_default_load_endianness",
             "get_default_mmap_options", "set_default_mmap_options", "get_unsafe_globals_in_checkpoint",
             "location_tag", "default_restore_location", "validate_cuda_device", "validate_hpu_device",
             "normalize_storage_type", "storage_to_tensor_type", "StorageType", "get_crc32_options", "set_crc32_options",
             "check_module_version_greater_or_equal", "mkdtemp")}}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if name == "save_for_pytorch":
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
