"""PyTorch checkpoints, part 2: the restricted unpickler. Every global a PyTorch pickle names is
looked up in allow-lists mapping PyTorch's names to tensorgraft's objects (PyTorch's default
weights_only list, the program's ``add_safe_globals``, and with ``weights_only=False`` plain data
and then any importable global); anything else is refused before it is called. See
``pytorch_files``' docstring for the whole picture.

Split from ``pytorch_files`` (the archive and stream readers, which import from here).
"""
from __future__ import annotations

import _compat_pickle
import collections
import pickle

import numpy as np

from ..caller_warnings import warn_at_caller
from .foreign_objects import foreign_class
from .header import CheckpointError
from .pytorch_rebuild import (_DTYPE_ALIASES, _FOREIGN_DTYPES, _STORAGE_DTYPES, _Builder, _StorageType,
                              _UnsupportedRebuild)
from .values import _argparse_namespace, _path_classes, _time_classes
from .weights_only import _BLOCKED_MODULES, _blocked_global, _safe_globals, _unsupported_global


# ============================================================================ the allow-lists
def _tg_dtype(torch_name: str):
    from .. import dtypes
    short = _DTYPE_ALIASES.get(torch_name, torch_name)
    return dtypes._BY_NAME.get(short)


def _torch_globals(builder: _Builder) -> dict:
    """PyTorch's default weights_only allow-list, as tensorgraft objects (``module.name`` keys)."""
    from .. import memory_layout
    from ..device import device
    from ..tensor import Size, Tensor
    g = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": device,
        "_codecs.encode": _codecs_encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch.serialization._get_layout": _get_layout,
        "torch._utils._rebuild_tensor": builder.tensor_v1,
        "torch._utils._rebuild_tensor_v2": builder.tensor,
        "torch._utils._rebuild_tensor_v3": builder.tensor_v3,
        "torch._utils._rebuild_parameter": builder.parameter,
        "torch._utils._rebuild_parameter_with_state": builder.parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": builder.from_type_v2,
        "torch._utils._rebuild_sparse_tensor": builder.sparse,
        "torch._utils._rebuild_qtensor": _UnsupportedRebuild("a quantized tensor"),
        "torch._utils._rebuild_nested_tensor": _UnsupportedRebuild("a nested tensor"),
        "torch._utils._rebuild_meta_tensor_no_storage": _UnsupportedRebuild("a tensor on the 'meta' device"),
        "torch._utils._rebuild_wrapper_subclass": _UnsupportedRebuild("a tensor subclass without storage"),
        "torch._utils._rebuild_device_tensor_from_numpy": _UnsupportedRebuild("a tensor of a device without "
                                                                              "storage (XLA, MTIA...)"),
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": _UnsupportedRebuild("a tensor of a device without "
                                                                                   "storage (XLA, MTIA...)"),
    }
    try:
        from ..nn import Parameter
        g["torch.nn.parameter.Parameter"] = Parameter
    except ImportError:
        pass
    for storage, dname in _STORAGE_DTYPES.items():
        g[f"torch.{storage}"] = _StorageType(storage, dname)
    g["torch.UntypedStorage"] = g["torch.storage.UntypedStorage"] = _StorageType("UntypedStorage", "uint8")
    for name in ("sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"):
        g["torch." + name] = getattr(memory_layout, name)
    g["torch.strided"] = memory_layout.strided
    return g


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode``: how a protocol-2 pickle spells a bytes object (a str and 'latin1')."""
    if not isinstance(obj, str):
        raise pickle.UnpicklingError("_codecs.encode in a checkpoint must encode a str")
    return obj.encode(encoding, errors)


def _get_layout(name: str):
    from .. import memory_layout
    short = name.replace("torch.", "", 1)
    lay = getattr(memory_layout, short, None)
    if not isinstance(lay, memory_layout.layout):
        raise CheckpointError(f"this PyTorch checkpoint holds a tensor of layout {name}, which tensorgraft does not "
                              "support (only torch.strided, torch.sparse_coo and the compressed sparse layouts)")
    return lay


def _plain_data_globals() -> dict:
    """What ``weights_only=False`` adds: data PyTorch's default allow-list refuses but that rebuilds
    without running any code of the file (NumPy arrays and scalars, Namespace, paths, datetimes...)."""
    try:
        from numpy._core import multiarray  # NumPy 2
    except ImportError:
        from numpy.core import multiarray
    g = {}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        g[f"{mod}._reconstruct"] = multiarray._reconstruct
        g[f"{mod}.scalar"] = multiarray.scalar
    g["numpy.ndarray"] = np.ndarray
    g["numpy.dtype"] = np.dtype
    dtypes_mod = getattr(np, "dtypes", None)
    if dtypes_mod is not None:
        for attr in dir(dtypes_mod):
            if attr.endswith("DType"):
                g[f"numpy.dtypes.{attr}"] = getattr(dtypes_mod, attr)
    ns = _argparse_namespace()
    g["argparse.Namespace"] = ns
    for cls in (*_path_classes(), *_time_classes()):
        g[f"{cls.__module__}.{cls.__qualname__}"] = cls
    for cls in _path_classes():  # Python 3.13 moved them to pathlib._local: a file names either
        g[f"pathlib.{cls.__qualname__}"] = g[f"pathlib._local.{cls.__qualname__}"] = cls
    g["collections.defaultdict"] = collections.defaultdict
    for builtin in (frozenset, slice, range, list, dict, tuple, int, float, str, bytes, bool, object):
        g[f"builtins.{builtin.__name__}"] = builtin
    # constants a pickle names as globals (``x[..., 0]`` indices kept in a config): nothing runs
    g["builtins.Ellipsis"], g["builtins.NotImplemented"] = Ellipsis, NotImplemented
    return g


def _allowed_name(obj) -> str | None:
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[1], str):
        return obj[1]
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"{mod}.{qual}" if mod and qual else None


def _shown_name(full: str) -> str:
    return full[len("builtins."):] if full.startswith("builtins.") else full


class _RestrictedUnpickler(pickle.Unpickler):
    """A pickle reader whose every global goes through the allow-lists above (never an import), and
    whose persistent ids are the file's storages."""

    def __init__(self, file, *, resolve, load_storage):
        super().__init__(file, encoding="utf-8")
        self._resolve = resolve
        self._load_storage = load_storage

    def find_class(self, module, name):
        # a protocol-2 pickle (torch.save's default) names Python 2's modules ('__builtin__'); the
        # mapping's keys are names Python 3 has no module for, so applying it always is safe
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        return self._resolve(module, name)

    def persistent_load(self, pid):
        return self._load_storage(pid)


def _resolver(builder: _Builder, weights_only: bool, name: str):
    torch_globals = _torch_globals(builder)
    plain = None if weights_only else _plain_data_globals()
    user = {}
    for entry in _safe_globals:
        key = _allowed_name(entry)
        if key is not None:
            obj = entry[0] if isinstance(entry, tuple) else entry
            user[key] = obj
            # NumPy 2 renamed numpy.core to numpy._core: a file pickled under either NumPy names
            # the same function, whichever NumPy the program allow-listed it from
            for old_mod, new_mod in (("numpy.core.", "numpy._core."), ("numpy._core.", "numpy.core.")):
                if key.startswith(old_mod):
                    user.setdefault(new_mod + key[len(old_mod):], obj)

    def resolve(module, attr):
        full = f"{module}.{attr}"
        if weights_only and module in _BLOCKED_MODULES:  # refused before any allow-list, as in PyTorch
            raise _blocked_global(module, attr)
        obj = torch_globals.get(full)
        if obj is not None:
            return obj
        if module == "torch":
            tg_dtype = _tg_dtype(attr)
            if tg_dtype is not None:
                return tg_dtype
        if full in user:
            return user[full]
        if plain is not None and full in plain:
            return plain[full]
        if module == "torch" and (attr.endswith("Storage") or attr in _FOREIGN_DTYPES):
            raise CheckpointError(f"this PyTorch checkpoint holds torch.{attr}, a dtype tensorgraft does not have; "
                                  "convert the tensor in PyTorch (e.g. .float() or .long()) before saving")
        if weights_only:
            raise _unsupported_global(_shown_name(full))
        # weights_only=False: the caller opted into unpickling, as in PyTorch
        from .pickled_objects import _MISSING, find_global
        obj = find_global(module, attr)
        if obj is not _MISSING:
            return obj
        # a class of a library the saving program had and this one lacks: an inert placeholder
        resolve.foreign.append(full)
        return foreign_class(full)

    resolve.foreign = []
    resolve.unrestricted = not weights_only
    return resolve


def _warn_foreign(resolve, name: str) -> None:
    if resolve.foreign:
        classes = ", ".join(sorted(set(resolve.foreign)))
        warn_at_caller(f"tensorgraft.load: '{name}' holds objects of classes tensorgraft does not rebuild "
                       f"({classes}); they were loaded as tensorgraft.serialization.ForeignObject placeholders "
                       "holding their saved fields", UserWarning)


def default_allowed_names() -> list:
    """Every ``module.name`` PyTorch's default weights_only allow-list holds (as this reader maps
    them, plus the dtypes and storages tensorgraft lacks, which that list also holds)."""
    from .. import dtypes
    names = list(_torch_globals(_Builder("", None)))
    names += [f"torch.{n}" for n in (*dtypes._BY_NAME, *_DTYPE_ALIASES, *_FOREIGN_DTYPES)]
    names += [f"torch.{n}" for n in ("QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                                     "QUInt2x4Storage", "ComplexHalfStorage")]
    return names


def _unpickle(fh, resolve, load_storage, name):
    try:
        return _RestrictedUnpickler(fh, resolve=resolve, load_storage=load_storage).load()
    except (CheckpointError, pickle.UnpicklingError):
        raise
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError, MemoryError) as exc:
        if resolve.unrestricted:
            raise  # weights_only=False ran the file's code: its errors are the program's, as in PyTorch
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its pickle could not be read "
                              f"({type(exc).__name__}: {exc})") from None


def _no_storage(pid):
    raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
