"""PyTorch checkpoints, part 1: what a PyTorch pickle's rebuild functions make. Its storages (flat
NumPy arrays read from the file, with where PyTorch had them) and the tensors, parameters and
sparse tensors built over them (``_Builder``, bound to one load and its ``map_location``), each
view checked to stay inside its storage.

Split from ``pytorch_files`` (which reads the zip archive and the legacy stream and imports what it
needs from here); the allow-lists that map PyTorch's names onto these are in ``pytorch_unpickler``.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..caller_warnings import warn_at_caller
from ..memory_layout import strided_view
from .header import CheckpointError

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
