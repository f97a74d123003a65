"""Devices: the ``device`` value type and the registry of device backends.

A backend (CPU here, CUDA in tensorgraft-cuda, anything a plugin adds) says which array
module holds its arrays and how arrays move to and from host memory. Backends are
registered through the ``tensorgraft_register_devices`` hook at load time; ops look
their kernels up in a per-device-type table (see ``registry.py``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["device", "DeviceBackend", "CPUBackend", "get_backend", "backends"]


class device:
    """``tensorgraft.device('cpu')``, ``device('cuda:1')``, ``device('cuda', 0)``.

    Instances are interned, so the per-op device check is an identity comparison.
    """

    __slots__ = ("type", "index", "__weakref__")
    _interned: dict = {}

    def __new__(cls, type_or_device=None, index=None):
        if isinstance(type_or_device, device):
            if index is None:
                return type_or_device
            type_or_device = type_or_device.type
        if isinstance(type_or_device, int) and index is None:
            # PyTorch treats a bare ordinal as a CUDA device.
            type_or_device, index = "cuda", type_or_device
        if not isinstance(type_or_device, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(type_or_device).__name__}), "
                            "expected a string like 'cpu' or 'cuda:0', or a device")
        key = (type_or_device, index)
        d = cls._interned.get(key)
        if d is not None:
            return d
        typ, idx = _parse(type_or_device, index)
        d = cls._interned.get((typ, idx))
        if d is None:
            d = object.__new__(cls)
            object.__setattr__(d, "type", typ)
            object.__setattr__(d, "index", idx)
            cls._interned[(typ, idx)] = d
        cls._interned[key] = d
        return d

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _parse(spec: str, index):
    typ, sep, idx = spec.partition(":")
    if sep:
        if index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {spec}")
        if not idx.isdigit():
            raise RuntimeError(f"Invalid device string: '{spec}'")
        index = int(idx)
    if index is not None and (not isinstance(index, int) or index < 0):
        raise RuntimeError(f"Device index must not be negative, got {index}")
    if not typ or not typ.replace("_", "").isalnum():
        raise RuntimeError(f"Invalid device string: '{spec}'")
    if typ == "cpu":
        index = None  # PyTorch keeps cpu index-less for printing purposes
    return typ, index


class DeviceBackend:
    """What a device plugin implements. Subclass it and register an instance through
    ``tensorgraft_register_devices``.

    ``xp`` is the array namespace the generic kernels run on (numpy, cupy, ...).
    Override ``from_host``/``to_host`` for devices whose arrays are not NumPy arrays.
    """

    type: str = ""
    xp = np

    def is_available(self) -> bool:
        return True

    def unavailable_reason(self) -> str:
        return f"device '{self.type}' is not available"

    def device_count(self) -> int:
        return 1

    def from_host(self, array: np.ndarray, index):
        """Copy a NumPy array onto device ``index``."""
        return np.array(array, copy=True)

    def to_host(self, array) -> np.ndarray:
        """A NumPy array with the data of a device array (a copy where memory differs)."""
        return np.asarray(array)

    def owns(self, array) -> bool:
        """Whether ``array`` is one of this device's arrays (used by ``as_tensor``)."""
        return isinstance(array, np.ndarray)

    def array_index(self, array):
        """The device index holding ``array``."""
        return None

    def synchronize(self, index=None) -> None:
        return None


class CPUBackend(DeviceBackend):
    type = "cpu"
    xp = np

    def from_host(self, array, index):
        return array

    def to_host(self, array):
        return array


_backends: dict = {}


def backends() -> dict:
    return _backends


def get_backend(dev: device) -> DeviceBackend:
    b = _backends.get(dev.type)
    if b is None:
        known = ", ".join(sorted(_backends)) or "none"
        hint = " Install tensorgraft-cuda (pip install tensorgraft-cuda[cuda13])." if dev.type == "cuda" else ""
        raise RuntimeError(f"no device backend is registered for '{dev.type}' (registered: {known}).{hint}")
    return b
