"""``tensorgraft.accelerator``, as ``torch.accelerator``: device-generic calls for "the accelerator".

The accelerator is the installed device backend other than the CPU that has a device (``cuda``,
registered by tensorgraft-cuda, on a machine with a GPU), found in the device registry. Without
one (only tensorgraft-core, or tensorgraft-cuda on a machine without a GPU) the answers are
PyTorch's CPU build's: no accelerator, ``device_count() == 0``, and everything that needs a device
raises. (A CUDA build of PyTorch on a GPU-less machine names ``cuda`` in ``current_accelerator()``;
tensorgraft-cuda is a pip extra installed on any machine, so it counts only where it has a device.)

Not here yet: streams (``current_stream``/``set_stream``), CUDA graphs (``Graph``),
``get_device_capability``, ``memory_stats``, ``reset_accumulated_memory_stats`` and
``empty_host_cache``.

The work is delegated to the backend's own module (``tensorgraft.cuda``), imported on the first
call that needs it, never when tensorgraft itself is imported. A typical program starts with::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

import importlib
import warnings

from .device import backends, device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "device_index",
           "empty_cache", "get_memory_info", "is_available", "max_memory_allocated", "max_memory_reserved",
           "memory_allocated", "memory_reserved", "reset_peak_memory_stats", "set_device_idx",
           "set_device_index", "synchronize"]

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."
# Device types that hold tensors in host memory or no memory at all: never "the accelerator".
_NOT_ACCELERATORS = frozenset({"cpu", "meta"})


def _accelerator_type():
    """The accelerator's device type (CUDA first when several have devices), or None."""
    types = [t for t, b in backends().items() if t not in _NOT_ACCELERATORS and b.is_available()
             and b.device_count() > 0]
    if not types:
        return None
    return "cuda" if "cuda" in types else sorted(types)[0]


def _available_type() -> str:
    """The accelerator's type when it has a device; PyTorch's RuntimeError otherwise."""
    kind = _accelerator_type()
    if kind is None:
        raise RuntimeError(_NONE_AVAILABLE)
    return kind


def _device_module():
    """The module of the available accelerator (``tensorgraft.cuda``), PyTorch's "device module"."""
    return importlib.import_module(f"tensorgraft.{_available_type()}")


def _index_of(device, kind: str):
    """``device`` (an index, ``'cuda:1'``, ``device('cuda', 1)`` or None) as an index or None."""
    if device is None or isinstance(device, int) and not isinstance(device, bool):
        return device
    dev = _device(device)
    if dev.type != kind:
        raise ValueError(f"{dev} doesn't match the current accelerator {_device(kind)}.")
    return dev.index


def is_available() -> bool:
    """Whether an accelerator is installed and has at least one device."""
    return _accelerator_type() is not None


def current_accelerator(check_available: bool = False):
    """The accelerator as an index-less device (``device(type='cuda')``), or None without one.
    (``check_available`` changes nothing: an accelerator here always has a device.)"""
    kind = _accelerator_type()
    return None if kind is None else _device(kind)


def device_count() -> int:
    """The number of devices of the accelerator (0 without one)."""
    kind = _accelerator_type()
    return 0 if kind is None else backends()[kind].device_count()


def current_device_index() -> int:
    return _device_module().current_device()


def current_device_idx() -> int:
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_index(device, /) -> None:
    """Make ``device`` (an index, a device or its string) the current device of the accelerator."""
    module = _device_module()
    index = _index_of(device, _available_type())
    if index is not None:
        module.set_device(index)


def set_device_idx(device, /) -> None:
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


class device_index:  # noqa: N801 - PyTorch's name for this context manager
    """``with tensorgraft.accelerator.device_index(1): ...`` makes device 1 current in the block and
    restores the previous one after; ``device_index(None)`` changes nothing."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)
        return None

    def __exit__(self, *exc):
        if self.idx is not None:
            set_device_index(self.prev_idx)
        return False


def synchronize(device=None, /) -> None:
    """Wait for the work queued on ``device`` (the current one by default) to finish."""
    _device_module().synchronize(_index_of(device, _available_type()))


def empty_cache() -> None:
    """Give the memory cached by the accelerator's allocator back to the driver."""
    _device_module().empty_cache()


def memory_allocated(device_index=None, /) -> int:
    return _device_module().memory_allocated(_index_of(device_index, _available_type()))


def max_memory_allocated(device_index=None, /) -> int:
    return _device_module().max_memory_allocated(_index_of(device_index, _available_type()))


def memory_reserved(device_index=None, /) -> int:
    return _device_module().memory_reserved(_index_of(device_index, _available_type()))


def max_memory_reserved(device_index=None, /) -> int:
    return _device_module().max_memory_reserved(_index_of(device_index, _available_type()))


def reset_peak_memory_stats(device_index=None, /) -> None:
    _device_module().reset_peak_memory_stats(_index_of(device_index, _available_type()))


def get_memory_info(device_index=None, /) -> tuple:
    """(free, total) bytes of the device's memory."""
    return _device_module().mem_get_info(_index_of(device_index, _available_type()))
