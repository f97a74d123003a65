"""Where a tensor lies in its storage and the methods that change which memory a tensor uses or
write it element by element: ``storage_base`` (the tensor storage offsets count from),
``place_in_storage`` / ``view_in_storage`` / ``rebuild_view`` (a tensor pickled as a view of its
whole storage, as ``torch.save`` and PyTorch's ``__reduce_ex__`` keep it), ``set_``, ``resize_``,
``apply_``, ``map_`` and ``map2_``.

Split from ``storage`` (the storage classes), which re-exports every name here: import them from
there, as the rest of tensorgraft does (this module is loaded by it).
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from .memory_layout import strided_view
from .storage import TypedStorage, UntypedStorage, _bytes_of, _ptr, owner_array
from tensorgraft.dtypes import np_kind as _np_kind


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
            raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not {c_type_name(source)}")
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
                            f"{c_type_name(s)}")
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
