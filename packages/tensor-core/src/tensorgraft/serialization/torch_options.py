"""The rest of ``torch.serialization``'s public functions: the options ``torch.load`` reads
(``set_default_mmap_options``, ``set_default_load_endianness``), ``get_unsafe_globals_in_checkpoint``
(what to allow-list before a ``weights_only`` load), and the helpers custom ``map_location``
functions and checkpoint tools call (``location_tag``, ``default_restore_location``,
``validate_cuda_device``, ``check_module_version_greater_or_equal``, ``mkdtemp``)."""
from __future__ import annotations

import contextlib
import enum
import mmap as _mmap
import os
import shutil
import tempfile
import warnings

__all__ = ["SourceChangeWarning", "LoadEndianness", "get_default_load_endianness", "set_default_load_endianness",
           "get_default_mmap_options", "set_default_mmap_options", "get_unsafe_globals_in_checkpoint",
           "location_tag", "default_restore_location", "validate_cuda_device", "check_module_version_greater_or_equal",
           "mkdtemp"]


class SourceChangeWarning(Warning):
    """PyTorch warns with it when a pickled module's source changed; tensorgraft never loads pickled
    modules, so it never raises it: it exists for code that filters it."""


# ---------------------------------------------------------------------------- endianness
class LoadEndianness(enum.Enum):
    NATIVE = 1
    LITTLE = 2
    BIG = 3


_load_endianness = None


def get_default_load_endianness():
    """The byte order assumed for a PyTorch file that does not record one (None: the machine's)."""
    return _load_endianness


def set_default_load_endianness(endianness) -> None:
    global _load_endianness
    if endianness is not None and not isinstance(endianness, LoadEndianness):
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _load_endianness = endianness


def assumed_byteorder() -> str:
    """'little' or 'big': the byte order of a file without a ``byteorder`` record."""
    import sys
    if _load_endianness is LoadEndianness.LITTLE:
        return "little"
    if _load_endianness is LoadEndianness.BIG:
        return "big"
    return sys.byteorder


# ---------------------------------------------------------------------------- mmap
_mmap_flags = _mmap.MAP_PRIVATE


def get_default_mmap_options():
    """The flags ``load(mmap=True)`` maps with: ``mmap.MAP_PRIVATE`` (copy-on-write, the default)
    or ``mmap.MAP_SHARED``."""
    return _mmap_flags


class set_default_mmap_options:  # noqa: N801 - PyTorch's name; a function that is also a context manager
    """``mmap.MAP_PRIVATE`` (writes to loaded tensors stay in memory) or ``mmap.MAP_SHARED`` (they go
    to the file) for ``load(mmap=True)``; as a context manager, restored on exit."""

    def __init__(self, flags: int):
        global _mmap_flags
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError("Invalid argument in function set_default_mmap_options, expected mmap.MAP_PRIVATE or "
                             f"mmap.MAP_SHARED, but got {flags}")
        self.prev = _mmap_flags
        _mmap_flags = flags

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _mmap_flags
        _mmap_flags = self.prev
        return False


def memmap_mode() -> str:
    """NumPy's memmap mode for the current option: 'c' (copy-on-write) or 'r+' (shared)."""
    return "r+" if _mmap_flags == _mmap.MAP_SHARED else "c"


# ---------------------------------------------------------------------------- unsafe globals
def get_unsafe_globals_in_checkpoint(f) -> list:
    """The ``module.name`` of every class or function a checkpoint refers to that a
    ``weights_only`` load refuses (not in the default allow-list nor in ``add_safe_globals``'s),
    found without loading anything: what to allow-list, after checking you trust them."""
    from . import pytorch_files
    from .header import PREFIX_BYTES, is_pytorch_file
    from .weights_only import _safe_globals
    is_path = isinstance(f, (str, bytes, os.PathLike))
    fh = open(os.fsdecode(f), "rb") if is_path else f
    try:
        pos = fh.tell() if not is_path else 0
        prefix = fh.read(PREFIX_BYTES)
        fh.seek(pos)
        if is_pytorch_file(prefix):
            names = pytorch_files.globals_of_file(fh)
        else:
            names = _globals_of_tensorgraft_checkpoint(f if is_path else fh)
    finally:
        if is_path:
            fh.close()
    allowed = set(pytorch_files.default_allowed_names())
    for entry in _safe_globals:
        key = pytorch_files._allowed_name(entry)
        if key is not None:
            allowed.add(key)
    out = []
    for name in names:
        if name not in allowed and name not in out:
            out.append(name)
    return out


def _globals_of_tensorgraft_checkpoint(f) -> list:
    """The classes a tensorgraft checkpoint's weights_only rules look at (its Namespace, path,
    datetime and defaultdict values), named as PyTorch's pickles would name them."""
    from .values import _global_name
    from .weights_only import restricted_globals
    doc = _tensorgraft_document(f)
    return [] if doc is None else [_global_name(cls) for cls, _ in restricted_globals(doc.get("root"))]


def _tensorgraft_document(f):
    import json

    from .header import _META_KEY
    from .reading import _load_from_path, _load_from_stream
    if isinstance(f, (str, bytes, os.PathLike)):
        _, meta, _ = _load_from_path(os.fsdecode(f))
    else:
        _, meta, _ = _load_from_stream(f)
    raw = meta.get(_META_KEY)
    return None if raw is None else json.loads(raw)


# ---------------------------------------------------------------------------- map_location helpers
def location_tag(storage) -> str:
    """Where a tensor (or storage) lives, as checkpoints record it: 'cpu', 'cuda:0'... (the
    taggers of ``register_package``, see ``location_registry``)."""
    from .location_registry import location_tag as tag
    return tag(storage)


def default_restore_location(storage, location):
    """``storage`` (a tensor) moved to ``location`` ('cpu', 'cuda:1'...), as a load without
    ``map_location`` places it (the deserializers of ``register_package``, see ``location_registry``)."""
    from .location_registry import default_restore_location as restore
    return restore(storage, location)


def validate_cuda_device(location) -> int:
    """The CUDA device index of ``location``, checked to exist (PyTorch's errors otherwise)."""
    from ..device import backends
    from ..device import device as _device
    dev = _device(location) if not isinstance(location, _device) else location
    backend = backends().get("cuda")
    if backend is None or not backend.is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                           "False. If you are running on a CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    index = dev.index or 0
    count = backend.device_count()
    if index >= count:
        raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but torch.cuda.device_count() "
                           f"is {count}. Please use torch.load with map_location to map your storages to an existing "
                           "device.")
    return index


def validate_hpu_device(location):
    """The HPU device of ``location``, checked as PyTorch checks it: tensorgraft has no HPU backend
    unless a plugin registers one, so without it PyTorch's error for an unregistered module."""
    from ..device import backends
    from ..device import device as _device
    backend = backends().get("hpu")
    if backend is None:
        raise RuntimeError("The HPU device module is not registered. If you are running on a CPU-only machine, please "
                           "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.")
    dev = _device(location) if not isinstance(location, _device) else location
    if not backend.is_available():
        raise RuntimeError("Attempting to deserialize object on a HPU device but torch.hpu.is_available() is False. "
                           "If you are running on a CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    index = dev.index or 0
    count = backend.device_count()
    if index >= count:
        raise RuntimeError(f"Attempting to deserialize object on HPU device {index} but torch.hpu.device_count() is "
                           f"{count}. Please use torch.load with map_location to map your storages to an existing "
                           "device.")
    return index


def normalize_storage_type(storage_type):
    """The ``tensorgraft`` attribute named as ``storage_type`` (``torch.serialization``'s helper)."""
    import tensorgraft
    return getattr(tensorgraft, storage_type.__name__)


def storage_to_tensor_type(storage):
    """The tensor type of a legacy storage class (``FloatStorage`` -> ``FloatTensor``), looked up
    in the storage class's module, as PyTorch looks it up."""
    import importlib
    storage_type = type(storage)
    module = importlib.import_module(storage_type.__module__)
    return getattr(module, storage_type.__name__.replace("Storage", "Tensor"))


class StorageType:
    """A legacy storage class named in a pickle (``"FloatStorage"``): its dtype."""

    def __init__(self, name):
        from .. import dtypes
        from .pytorch_rebuild import _STORAGE_DTYPES
        try:
            self._dtype = getattr(dtypes, _STORAGE_DTYPES[name])
        except KeyError as e:
            # (PyTorch's quantized storages have no dtype here: tensorgraft has no quantized tensors)
            raise KeyError(f'pickle storage type "{name}" is not recognized') from e

    @property
    def dtype(self):
        return self._dtype

    def __str__(self):
        return f"StorageType(dtype={self.dtype})"


_compute_crc32 = True


def get_crc32_options() -> bool:
    """Whether :func:`save` computes and writes crc32 for each record. Defaults to ``True``."""
    return _compute_crc32


def set_crc32_options(compute_crc32: bool) -> None:
    """Set whether :func:`save` computes and writes crc32 for each record of the zip files it
    writes. The flag is kept for programs that set and read it; the standard library's zip writer
    tensorgraft uses always writes the true CRC32, which every reader accepts (PyTorch's own writer
    writes a zero one when the flag is False, which unzip tools warn about)."""
    global _compute_crc32
    _compute_crc32 = bool(compute_crc32)


def check_module_version_greater_or_equal(module, req_version_tuple, error_if_malformed=True) -> bool:
    """Whether ``module.__version__`` is at least ``req_version_tuple`` (compared part by part as
    integers); a version that does not parse raises (or, with ``error_if_malformed=False``, warns
    and counts as new enough)."""
    version = module.__version__
    parts = version.split(".")
    try:
        numbers = tuple(type(req)(part) for req, part in zip(req_version_tuple, parts))
        return numbers >= tuple(req_version_tuple)
    except Exception as exc:
        message = (f"'{module.__name__}' module version string is malformed '{version}' and cannot be compared "
                   f"with tuple {req_version_tuple}")
        if error_if_malformed:
            raise RuntimeError(message) from exc
        warnings.warn(message + ", but continuing assuming that requirement is met", stacklevel=2)
        return True


@contextlib.contextmanager
def mkdtemp():
    """A temporary directory's path, removed with its contents when the block ends."""
    path = tempfile.mkdtemp()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
