"""``tensorgraft.accelerator``, as ``torch.accelerator``: device-generic calls for "the accelerator".

The accelerator is the installed device backend other than the CPU that has a device (``cuda``,
registered by tensorgraft-cuda, on a machine with a GPU), found in the device registry. Without
one (only tensorgraft-core, or tensorgraft-cuda on a machine without a GPU) the answers are
PyTorch's CPU build's: no accelerator, ``device_count() == 0``, and everything that needs a device
raises. (A CUDA build of PyTorch on a GPU-less machine names ``cuda`` in ``current_accelerator()``;
tensorgraft-cuda is a pip extra installed on any machine, so it counts only where it has a device.)

Streams are ``tensorgraft.Stream`` (``current_stream``/``set_stream``, see ``streams.py``). CUDA
graphs (``Graph``) are not captured by tensorgraft: ``Graph()`` raises PyTorch's error without an
accelerator and says that capture is unsupported with one.

The work is delegated to the backend's own module (``tensorgraft.cuda``), imported on the first
call that needs it, never when tensorgraft itself is imported. A typical program starts with::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

import importlib
import warnings
from tensorgraft.argument_errors import c_type_name

from .device import backends, device as _device

__all__ = ["Graph", "current_accelerator", "current_device_idx", "current_device_index", "current_stream",
           "device_count", "device_index", "empty_cache", "empty_host_cache", "get_device_capability",
           "get_memory_info", "is_available", "max_memory_allocated", "max_memory_reserved", "memory_allocated",
           "memory_reserved", "memory_stats", "reset_accumulated_memory_stats", "reset_peak_memory_stats",
           "set_device_idx", "set_device_index", "set_stream", "synchronize"]

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


def _get_device_index(device):
    """PyTorch's ``_get_device_index(device, optional=True)``: an int as given; a device (or its
    string) of the accelerator's type as its index (the current one where it has none); None: the
    current index. A device named without any accelerator: PyTorch's "Accelerator expected"."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    if device is None:
        return current_device_index()
    dev = _device(device)
    kind = _accelerator_type()
    if kind is None:
        raise RuntimeError("Accelerator expected")
    if dev.type != kind:
        raise ValueError(f"{dev.type} doesn't match the current accelerator {_device(kind)}.")
    return current_device_index() if dev.index is None else dev.index


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
    index = _get_device_index(device)
    _device_module().synchronize(index)


def current_stream(device=None, /):
    """The current ``tensorgraft.Stream`` of ``device`` (the current device by default)."""
    from .streams import Stream
    index = _get_device_index(device)
    return Stream._wrap(_device_module().current_stream(index))


def set_stream(stream) -> None:
    """Make ``stream`` (a ``tensorgraft.Stream`` of the accelerator) current, and its device too."""
    from .streams import Stream
    if not isinstance(stream, Stream):
        raise TypeError(f"set_stream(): argument 'stream' must be torch.Stream, not {c_type_name(stream)}")
    module = _device_module()
    if stream.device.type != _available_type():
        raise ValueError(f"{stream.device.type} doesn't match the current accelerator {_device(_available_type())}.")
    module.set_stream(stream._impl)


def get_device_capability(device=None, /) -> dict:
    """``{"supported_dtypes": {...}}``: the dtypes tensors on the device can have (all of tensorgraft's)."""
    index = _get_device_index(device)
    _device_module().get_device_capability(index)  # checks the index names a device
    from . import dtypes
    return {"supported_dtypes": {v for v in vars(dtypes).values() if isinstance(v, dtypes.dtype)}}


def memory_stats(device_index=None, /):
    """The allocator's statistics for the device, flattened as PyTorch's (``"allocated_bytes.all.current"``)."""
    import collections
    module = _device_module()
    return collections.OrderedDict(module.memory_stats(_index_of(device_index, _available_type())))


def reset_accumulated_memory_stats(device_index=None, /) -> None:
    _device_module().reset_accumulated_memory_stats(_index_of(device_index, _available_type()))


def empty_host_cache() -> None:
    """Give cached pinned host memory back; tensorgraft keeps no such cache, so once an accelerator is
    known to be there this does nothing."""
    _available_type()


class Graph:
    """``torch.accelerator.Graph``: capture and replay of a sequence of device work. tensorgraft runs
    each op as it is called and captures nothing: without an accelerator PyTorch's error, with one
    an error that says capture is unsupported (run the ops directly instead)."""

    def __init__(self, keep_graph: bool = False, *, pool=None, capture_error_mode: str = "default"):
        _available_type()
        raise RuntimeError("tensorgraft.accelerator.Graph: tensorgraft does not capture device graphs; run the "
                           "operations directly (each tensorgraft op launches its kernel when called).")


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
