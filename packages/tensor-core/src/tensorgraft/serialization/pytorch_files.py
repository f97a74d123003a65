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
import collections
import io
import os
import pickle
import sys
import warnings
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..caller_warnings import warn_at_caller
from ..memory_layout import strided_view
from .foreign_objects import foreign_class
from .header import _LEGACY_MAGIC, _ZIP_MAGIC, CheckpointError
from .values import _argparse_namespace, _path_classes, _time_classes
from .weights_only import _BLOCKED_MODULES, _blocked_global, _safe_globals, _unsupported_global

_LEGACY_PROTOCOL = 1001  # the legacy format's second pickle (after the magic number)

# PyTorch's legacy storage classes (the type recorded with each storage) -> tensorgraft dtype names
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}
# PyTorch dtype names (``torch.float32`` pickles as the global ``torch float32``) and their aliases
_DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                  "short": "int16", "cfloat": "complex64", "cdouble": "complex128"}


# PyTorch dtypes tensorgraft does not have (the allow-list of PyTorch's loader has them all)
_FOREIGN_DTYPES = {"complex32", "chalf", "float4_e2m1fn_x2", "qint8", "quint8",
                   "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
                   *(f"int{i}" for i in range(1, 8)), *(f"uint{i}" for i in range(1, 8))}


class _StorageType:
    """What a pickled ``torch.FloatStorage`` (or ``torch.UntypedStorage``) turns into: its dtype."""

    def __init__(self, name: str, dtype_name: str):
        self.name, self.dtype_name = name, dtype_name


class _Storage:
    """A storage read from the file: a flat, writable NumPy array of its dtype, where PyTorch had it
    (``'cpu'``, ``'cuda:0'``...), which ``map_location`` may change."""

    __slots__ = ("array", "location", "_roots")

    def __init__(self, array, location):
        self.array, self.location = array, location
        self._roots = None

    def root(self, arr):
        """The whole storage as one flat tensor (``arr``: the storage's elements, of the dtype the
        tensor views it as), shared by every tensor made from it: what their ``storage_offset()``
        counts from and what ``as_strided`` indexes, as in PyTorch, where a loaded view keeps its
        offset into the storage it was saved with."""
        from ..tensor import wrap
        if self._roots is None:
            self._roots = {}
        root = self._roots.get(arr.dtype)
        if root is None:
            root = self._roots[arr.dtype] = wrap(arr)
        return root

    def public(self, map_location):
        """The ``tensorgraft.TypedStorage`` a storage saved on its own (not through a tensor:
        ``torch.save(t.untyped_storage())``) loads as, on its target device: typed, as PyTorch loads
        every storage (an untyped one as uint8 elements)."""
        from ..storage import TypedStorage, UntypedStorage
        from ..tensor import Tensor, wrap
        from .placement import _move, _target_device
        t = wrap(self.array)
        target = _target_device(map_location, self.location, t)
        t = target if isinstance(target, Tensor) else (_move(t, target) if str(target) != "cpu" else t)
        return TypedStorage(UntypedStorage(t._data, t.device), t.dtype)


def _public_storages(obj, map_location, memo=None):
    """``obj`` with every storage that was saved on its own turned into a tensorgraft storage
    (containers are updated in place; tuples rebuilt)."""
    memo = {} if memo is None else memo
    if isinstance(obj, _Storage):
        if id(obj) not in memo:
            memo[id(obj)] = obj.public(map_location)
        return memo[id(obj)]
    if id(obj) in memo:
        return obj
    if isinstance(obj, dict):
        memo[id(obj)] = obj
        for k, v in list(obj.items()):
            new = _public_storages(v, map_location, memo)
            if new is not v:
                obj[k] = new
        return obj
    if isinstance(obj, list):
        memo[id(obj)] = obj
        for i, v in enumerate(obj):
            new = _public_storages(v, map_location, memo)
            if new is not v:
                obj[i] = new
        return obj
    if type(obj) is tuple:
        items = [_public_storages(v, map_location, memo) for v in obj]
        return obj if all(a is b for a, b in zip(items, obj)) else tuple(items)
    return obj


class _UnsupportedRebuild:
    """A PyTorch rebuild function for a kind of tensor tensorgraft does not have (quantized, nested,
    meta...): resolving it is fine, calling it says what the file holds."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, *args, **kwargs):
        raise CheckpointError(f"this PyTorch checkpoint holds {self.what}, which tensorgraft does not support; "
                              "load it in PyTorch and save plain (dense, non-quantized) tensors instead")


class _Builder:
    """The functions a PyTorch pickle calls, bound to one load (its storages and ``map_location``)."""

    def __init__(self, name: str, map_location, placeholders: bool = False):
        from ..device import device
        from .placement import _foreign_device
        if not (map_location is None or isinstance(map_location, (str, device, dict)) or callable(map_location)
                or _foreign_device(map_location)):
            # checked before the file is read, in the words of tensorgraft's own checkpoints; a TypeError, as
            # PyTorch's ("'int' object is not callable", where it calls it)
            raise TypeError(f"map_location should be either None, a string, a device, a dict or a callable, "
                             f"got {type(map_location).__name__}")
        self.name = name
        self.map_location = map_location
        # the legacy loader's first pass builds the objects over zero-filled storages (to find where
        # the pickle ends): nothing read from them can be checked there
        self.placeholders = placeholders

    # --------------------------------------------------------------- tensors from storages
    def tensor(self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
               metadata=None, dtype=None):
        from ..tensor import wrap
        from .placement import _move, _target_device
        if not isinstance(storage, _Storage):
            raise CheckpointError(f"checkpoint '{self.name}' is corrupt: a tensor is rebuilt from "
                                  f"{type(storage).__name__}, not from a storage")
        arr = storage.array
        if dtype is not None:  # _rebuild_tensor_v3: the storage is untyped bytes, the dtype is given
            dname = _dtype_name(dtype, self.name)
            np_dtype = _dt._BY_NAME[dname].np
            if arr.nbytes % np.dtype(np_dtype).itemsize:
                raise CheckpointError(f"checkpoint '{self.name}' is corrupt: a storage of {arr.nbytes} bytes is "
                                      f"not a whole number of {dname} elements")
            arr = arr.view(np_dtype)
        view = _strided_view(arr, storage_offset, size, stride, self.name)
        t = wrap(view)
        target = _target_device(self.map_location, storage.location, t)
        from ..tensor import Tensor
        if not isinstance(target, Tensor) and str(target) != "cpu":
            t = _move(t, target)
        elif isinstance(target, Tensor):
            t = target
        elif not self.placeholders and view is not arr:
            # a view of part of the storage: its storage_offset() and as_strided count from the
            # storage's start, as after torch.load (x[1:] saved alone still reports offset 1)
            t._hooks().storage_root = storage.root(arr)
        if requires_grad:
            _set_requires_grad(t)
        return t

    def tensor_v1(self, storage, storage_offset, size, stride):
        return self.tensor(storage, storage_offset, size, stride)

    def tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                  metadata=None):
        return self.tensor(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata, dtype)

    def parameter(self, data, requires_grad, backward_hooks=None):
        return _as_parameter(data, requires_grad)

    def parameter_with_state(self, data, requires_grad, backward_hooks, state):
        p = _as_parameter(data, requires_grad)
        _set_state(p, state, self.name)
        return p

    def from_type_v2(self, func, new_type, args, state):
        """``Tensor.__reduce_ex__`` of a tensor subclass or of a tensor with Python attributes."""
        from ..tensor import Tensor
        ret = func(*args)
        if isinstance(new_type, type) and issubclass(new_type, Tensor) and type(ret) is not new_type:
            if getattr(new_type, "_is_parameter_class", False) or new_type.__name__ == "Parameter":
                ret = _as_parameter(ret, ret.requires_grad)
            elif new_type is not Tensor:
                ret = ret.as_subclass(new_type)
        _set_state(ret, state, self.name)
        return ret

    def sparse(self, layout, data):
        from .. import memory_layout
        if self.placeholders and isinstance(data, tuple) and len(data) >= 3:
            # (the first legacy pass: zero-filled indices break the invariants; its objects are dropped)
            return data[1] if layout is memory_layout.sparse_coo else data[2]  # the values
        if layout in (memory_layout.sparse_csr, memory_layout.sparse_csc, memory_layout.sparse_bsr,
                      memory_layout.sparse_bsc):  # (PyTorch: compressed indices, plain indices, values, size)
            from ..ops.sparse_compressed import sparse_compressed_tensor
            compressed, plain, values, size = data
            return sparse_compressed_tensor(compressed, plain, values, size, layout=layout)
        if layout is not memory_layout.sparse_coo:
            raise CheckpointError(f"this PyTorch checkpoint holds a tensor of layout {layout}, which tensorgraft does "
                                  "not support; convert it with .to_dense() in PyTorch before saving")
        from ..ops.sparse_coo import sparse_coo_tensor
        if len(data) == 3:
            indices, values, size = data
            coalesced = None
        else:
            indices, values, size, coalesced = data
        return sparse_coo_tensor(indices, values, size, is_coalesced=coalesced, check_invariants=True)


def _set_requires_grad(t):
    """As tensorgraft's own checkpoints: without the autograd engine (tensorgraft-core alone) a
    tensor saved with requires_grad=True loads as a plain tensor; the values are what matter there."""
    from ..tensor import Tensor
    if Tensor._autograd is not None and t.dtype.category >= 2:
        t.requires_grad_(True)


def _as_parameter(data, requires_grad):
    from ..tensor import Tensor
    try:
        from ..nn import Parameter
    except ImportError:  # nn-layers is not installed: a tensor that requires grad is what is left
        if requires_grad:
            _set_requires_grad(data)
        return data
    if requires_grad and Tensor._autograd is None:
        requires_grad = False
    p = Parameter(data, requires_grad=requires_grad)
    root = data._extra.storage_root if data._extra is not None else None
    if root is not None and (p._extra is None or p._extra.storage_root is None):
        # Parameter(view) drops where the view starts in its storage (nn/parameter.py; PyTorch's
        # keeps it): a parameter tied to another tensor's storage keeps its storage_offset()
        p._hooks().storage_root = root
    return p


def _set_state(obj, state, name):
    """Python attributes PyTorch saved with a tensor (``(dict_state, slots_state)`` or a dict)."""
    if not state:
        return
    parts = state if isinstance(state, tuple) else (state,)
    for part in parts:
        for key, value in (part or {}).items():
            try:
                setattr(obj, key, value)
            except AttributeError:
                warn_at_caller(f"tensorgraft.load: '{name}' saved the attribute {key!r} on a tensor; tensorgraft "
                               "tensors cannot hold Python attributes, so it was dropped", UserWarning)


def _strided_view(arr, offset, size, stride, name):
    """The tensor ``(offset, size, stride)`` over a flat storage array, checked to stay inside it."""
    try:
        offset = int(offset)
        size = tuple(int(s) for s in size)
        stride = tuple(int(s) for s in stride)
    except (TypeError, ValueError):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: a tensor's offset, size or stride is not made of "
                              "integers") from None
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: a tensor has offset {offset}, size {list(size)} and "
                              f"stride {list(stride)}")
    if all(s > 0 for s in size):
        last = offset + sum((n - 1) * st for n, st in zip(size, stride))
        if last >= arr.size:
            raise CheckpointError(f"checkpoint '{name}' is corrupt: a tensor of size {list(size)}, stride "
                                  f"{list(stride)} at offset {offset} reaches element {last} of a storage of "
                                  f"{arr.size} elements")
    else:
        # an empty tensor reads no element: PyTorch keeps whatever offset it had (an empty slice of
        # an empty tensor, x[:, 3:] of a (0, 4) one, starts past its storage's end)
        item = arr.itemsize
        return strided_view(np, arr[min(offset, arr.size):], size, tuple(s * item for s in stride))
    base = arr[offset:]
    if stride == (1,) and size == (base.size,):
        return base  # the whole storage from the offset on: no strided view needed
    item = arr.itemsize
    return strided_view(np, base, size, tuple(s * item for s in stride))


def _dtype_name(dtype, name) -> str:
    if isinstance(dtype, _dt.dtype):
        return dtype.name
    raise CheckpointError(f"checkpoint '{name}' is corrupt: {dtype!r} is not a dtype")


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


def _no_storage(pid):
    raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
