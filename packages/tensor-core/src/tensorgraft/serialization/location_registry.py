"""Location tags: what a checkpoint records as a tensor's place (``'cpu'``, ``'cuda:0'``) when it is
saved, and how a load puts a tensor back at a recorded (or ``map_location``-given) place —
``torch.serialization.register_package``, ``location_tag`` and ``default_restore_location``.

As in PyTorch, the registry is a list of ``(priority, tagger, deserializer)`` kept sorted by
priority (lower first): saving asks each tagger in turn for the first non-None tag, loading asks
each deserializer in turn for the first non-None result. The built-in entries keep PyTorch's
priorities for the places tensorgraft has: the CPU at 10, then every device of tensorgraft's
backends (CUDA, meta, a plugin's device) at 20, where PyTorch registers CUDA. So a package
registered at 11 is asked before any device, one at 21 only for tags tensorgraft's devices do not
know.

The difference from PyTorch, which passes storages: taggers and deserializers are given the
tensor (a loaded one on the CPU), as tensorgraft's ``map_location`` callables are, and a
deserializer returns the tensor placed where the tag says, or None to pass.

Separate because it is the one extension point of the checkpoint formats; keeping it apart leaves
the placement rules (``placement``) and the writers unaware of who registered what.
"""
from __future__ import annotations

_PACKAGE_ERROR = "don't know how to restore data location of torch.storage.UntypedStorage (tagged with {})"
# the device types PyTorch registers a deserializer for: a tag of another type (``'ipu'``) that no
# backend of tensorgraft has is left to the registered packages, and refused as PyTorch refuses it
PYTORCH_DEVICE_TYPES = frozenset({"cpu", "cuda", "mps", "meta", "privateuseone", "hpu", "xpu", "mtia"})


def _cpu_tag(obj):
    dev = getattr(obj, "device", None)  # (not a tensor or storage: no tagger claims it)
    if dev is not None and dev.type == "cpu":
        return "cpu"
    return None


def _cpu_deserialize(obj, location):
    if location == "cpu":
        return obj
    return None


def _device_tag(obj):
    """Any device of tensorgraft's backends: its name with its index (``'cuda:0'``, ``'meta'``)."""
    dev = getattr(obj, "device", None)
    return None if dev is None else str(dev)


def _device_deserialize(obj, location):
    """A tag naming a device of tensorgraft (``'cuda:1'``, ``'meta'``): the tensor moved there
    (PyTorch's errors when it is not available); None for a tag no device type is named by."""
    from ..device import device as _device_cls
    try:
        dev = _device_cls(location)
    except (RuntimeError, ValueError, TypeError):
        return None
    from ..device import backends
    if dev.type not in PYTORCH_DEVICE_TYPES and dev.type not in backends():
        return None
    from .placement import _move_to_device
    return _move_to_device(obj, dev)


_BUILTINS = ((10, _cpu_tag, _cpu_deserialize), (20, _device_tag, _device_deserialize))
_package_registry: list = list(_BUILTINS)


def register_package(priority: int, tagger, deserializer) -> None:
    """Register a ``tagger(tensor) -> str | None`` used when saving and a
    ``deserializer(tensor, location) -> tensor | None`` used when loading, asked in the order of
    ``priority`` (lower first) before or after the built-in ones (the CPU at 10, tensorgraft's
    devices at 20), until one returns something other than None. As
    ``torch.serialization.register_package``, except that both receive tensors, not storages."""
    _package_registry.append((priority, tagger, deserializer))
    # (as PyTorch: a plain sort, so equal priorities compare the callables and raise TypeError)
    _package_registry.sort()


def has_packages() -> bool:
    """Whether anything beyond the built-in entries is registered (the common case skips the walk)."""
    return len(_package_registry) != len(_BUILTINS)


def location_tag(storage) -> str:
    """The tag a checkpoint records for ``storage`` (a tensor or storage): the first non-None
    answer of the registered taggers, as ``torch.serialization.location_tag``."""
    for _, tagger, _ in _package_registry:
        location = tagger(storage)
        if location:
            return location
    cls = type(storage)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    raise RuntimeError(f"don't know how to determine data location of {name}")


def tag_of(tensor) -> str:
    """The tag of a tensor being saved: its device's name unless a registered package says otherwise."""
    if not has_packages():
        return str(tensor.device)
    return location_tag(tensor)


def default_restore_location(storage, location):
    """``storage`` (a tensor) placed at ``location`` by the first registered deserializer that
    returns something; PyTorch's RuntimeError when none does."""
    location = str(location)
    for _, _, deserializer in _package_registry:
        result = deserializer(storage, location)
        if result is not None:
            return result
    raise RuntimeError(_PACKAGE_ERROR.format(location))
