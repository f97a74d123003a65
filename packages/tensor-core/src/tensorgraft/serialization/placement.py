"""Loading, the tensors: ``map_location`` (None, a device or string, a dict, a callable) deciding
where each loaded tensor goes, moving it there, and turning the loaded arrays into tensors and
Parameters with their sharing and ``requires_grad`` restored.

Separate because device placement is its own set of rules and PyTorch error messages, apart from
reading bytes and from rebuilding the structure.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls
from ..memory_layout import strided_view
from ..tensor import Tensor, wrap
from .decoder import _Decoder
from .header import _COMPLEX_PARTS, _prod
from .location_registry import _PACKAGE_ERROR, PYTORCH_DEVICE_TYPES, default_restore_location, has_packages


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
    raise TypeError(f"map_location should be either None, a string, a device, a dict or a callable, "
                     f"got {type(map_location).__name__}")


def _move(t: Tensor, target):
    if isinstance(target, Tensor):
        return target
    if isinstance(target, (str, _device_cls)) and has_packages():
        # a package registered with register_package may place (or refuse) this tag: the registry
        # in priority order, the built-in entries (placing as below) among them
        placed = default_restore_location(t, str(target))
        if not isinstance(placed, Tensor):
            raise TypeError(f"a deserializer registered with register_package returned {type(placed).__name__} for "
                            f"location {str(target)!r}; tensorgraft's deserializers return the tensor placed there "
                            "(or None to leave it to the next one)")
        return placed
    if isinstance(target, _device_cls):
        dev = target
    else:
        try:
            dev = _device_cls(target)
        except RuntimeError:
            if not isinstance(target, str):
                raise
            # a location no device type is named by: PyTorch's message for a storage it cannot place
            raise RuntimeError(_PACKAGE_ERROR.format(target)) from None
    return _move_to_device(t, dev)


def _move_to_device(t: Tensor, dev: _device_cls) -> Tensor:
    """``t`` (on the CPU) on ``dev``, with PyTorch's errors for a device that is not available."""
    if dev.type == "cpu":
        return t
    from ..device import backends
    b = backends().get(dev.type)
    if b is None and dev.type not in PYTORCH_DEVICE_TYPES:
        raise RuntimeError(_PACKAGE_ERROR.format(dev))  # (PyTorch's words for a type it has no deserializer for)
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
    by_storage = {}  # (storage, view, target) -> tensor that owns the array (aliases share it)
    typed = {}  # storage -> its entry's elements, of the dtype its tensors have (complex from its real view)
    roots = {}  # (storage, dtype) -> the whole storage as a flat tensor: what a view's storage_offset() counts from
    for storage, dname, shape, dev, rg, kind, offset, stride in dec.records:
        arr = arrays[storage]
        if not arr.flags.writeable:
            arr = arr.copy()
            arrays[storage] = arr
        if kind == "ndb":
            tensors.append(arr.view(np.dtype(dname)).reshape(shape))
            continue
        whole = typed.get((storage, dname))
        if whole is None:
            whole = arr.view(_dt._BY_NAME[dname].np).reshape(arr.shape[:-1]) if dname in _COMPLEX_PARTS else arr
            typed[(storage, dname)] = whole
        view = whole if stride is None else _view(whole, offset, shape, stride)
        if kind == "nd":
            tensors.append(view)
            continue
        cpu = wrap(view)
        if view is not whole:
            # a view into a storage: its storage_offset() and as_strided count from the storage's
            # start, and its untyped_storage() is the whole storage, as after torch.load
            root = roots.get((storage, dname))
            if root is None:
                root = roots[(storage, dname)] = wrap(whole.reshape(-1))
            cpu._hooks().storage_root = root
        target = _target_device(map_location, dev, cpu)
        key = (storage, dname, offset, tuple(shape), None if stride is None else tuple(stride),
               target if not isinstance(target, Tensor) else id(target))
        first = by_storage.get(key)
        if first is not None and not isinstance(target, Tensor):
            t = wrap(first._data, first._device)
            t._vc = first._vc
            if first._extra is not None and first._extra.storage_root is not None:
                t._hooks().storage_root = first._extra.storage_root
        else:
            t = _move(cpu, target)
            by_storage[key] = t
        if rg and t.dtype.category >= 2 and Tensor._autograd is not None:
            t.requires_grad_(True)
        if kind == "param":
            try:
                from ..nn import Parameter
            except ImportError:
                pass
            else:
                root = t._extra.storage_root if t._extra is not None else None
                t = Parameter(t, requires_grad=rg)
                if root is not None and (t._extra is None or t._extra.storage_root is None):
                    t._hooks().storage_root = root  # (Parameter(view) forgets where the view starts)
        tensors.append(t)
    dec.tensors = tensors


def _view(whole, offset: int, shape, stride):
    """The elements ``(offset, shape, stride)`` of a storage (its entry ``whole``, C-contiguous), a
    view of its memory (the decoder has checked they lie inside it)."""
    flat = whole.reshape(-1)
    item = flat.itemsize
    if not _prod(shape):  # an empty tensor reads no element: only where it starts matters
        return strided_view(np, flat[min(offset, flat.size):], tuple(shape), tuple(s * item for s in stride))
    return strided_view(np, flat[offset:], tuple(shape), tuple(s * item for s in stride))
