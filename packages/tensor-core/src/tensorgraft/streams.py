"""``tensorgraft.Stream`` and ``tensorgraft.Event``, as ``torch.Stream``/``torch.Event``: device-generic
streams and events, for code written once for every device.

The device is a parameter: ``Stream(device='cuda')`` makes a CUDA stream, and without one the
accelerator's type is used (the CPU where there is none, as PyTorch's CPU build). The CUDA work is
delegated to tensorgraft-cuda's own ``Stream``/``Event`` (``tensorgraft/cuda/streams.py``), imported
when a CUDA stream or event is made, never with tensorgraft; on a machine without a GPU that raises
the backend's "no CUDA device was found" error.

The CPU runs each op to completion before returning, so a CPU stream is always done: ``query()`` is
True and ``synchronize``/``wait_event``/``wait_stream`` do nothing. PyTorch's CPU backend has no
events, and neither has tensorgraft's: recording one raises PyTorch's "cpu backend doesn't support
events." (so does ``record_event``), while an event never recorded reports itself complete. The
same holds for ``meta`` and any other host device.
"""
from __future__ import annotations

import importlib
from tensorgraft.argument_errors import c_type_name

from .device import backends, device as _device, get_backend

__all__ = ["Stream", "Event"]

# c10::DeviceType's numbers, which PyTorch shows as ``Stream.device_type``
_DEVICE_TYPE_NUMBERS = {"cpu": 0, "cuda": 1, "mkldnn": 2, "opengl": 3, "opencl": 4, "ideep": 5, "hip": 6,
                        "fpga": 7, "maia": 8, "xla": 9, "vulkan": 10, "metal": 11, "xpu": 12, "mps": 13,
                        "meta": 14, "hpu": 15, "ve": 16, "lazy": 17, "ipu": 18, "mtia": 19, "privateuseone": 20}
_NO_IPC = "torch.Event ipc is not supported yet, please open an issue if you need this!"
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def _default_type() -> str:
    """The current accelerator's device type, the CPU without one (PyTorch's default device)."""
    from .accelerator import _accelerator_type
    return _accelerator_type() or "cpu"


def _device_of(device):
    """``device`` (None, an accelerator index, a string or a device) as a tensorgraft device."""
    if device is None:
        return _device(_default_type())
    if isinstance(device, int) and not isinstance(device, bool):  # an index of the accelerator
        from .accelerator import _accelerator_type
        kind = _accelerator_type()
        if kind is None:
            raise RuntimeError(_NO_ACCELERATOR)
        return _device(kind, device)
    return _device(device)


def _cuda_module(dev):
    """``tensorgraft.cuda`` (without tensorgraft-cuda: core's "no CUDA backend is available" error)."""
    if dev.type not in backends():
        get_backend(dev)  # raises, naming the distribution to install
    return importlib.import_module("tensorgraft.cuda")


def _check_bool(value, name: str, owner: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}(): argument '{name}' must be bool, not {c_type_name(value)}")
    return value


def _no_events(kind: str):
    return RuntimeError(f"{kind} backend doesn't support events.")


class Stream:
    """``Stream(device=None, *, priority=0)``: an in-order queue of work on ``device`` (the current
    accelerator by default, else the CPU). ``with stream:`` runs the enclosed ops on it."""

    __slots__ = ("_type", "_impl", "_context")

    def __init__(self, device=None, *, priority: int = 0):
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise TypeError(f"Stream(): argument 'priority' must be int, not {c_type_name(priority)}")
        dev = _device_of(device)
        self._type = dev.type
        self._context = None
        # a host device keeps no queue (priority changes nothing there, as in PyTorch's CPU build)
        self._impl = _cuda_module(dev).Stream(dev, priority=priority) if dev.type == "cuda" else None

    @classmethod
    def _wrap(cls, impl) -> "Stream":
        """A generic stream around one of ``tensorgraft.cuda``'s (``accelerator.current_stream``)."""
        self = cls.__new__(cls)
        self._type, self._impl, self._context = "cuda", impl, None
        return self

    @property
    def device_type(self) -> int:
        """The device type as PyTorch's ``c10::DeviceType`` number (0 for the CPU, 1 for CUDA)."""
        return _DEVICE_TYPE_NUMBERS.get(self._type, -1)

    @property
    def device_index(self) -> int:
        return -1 if self._impl is None else self._impl.device_index

    @property
    def device(self):
        index = self.device_index
        return _device(self._type) if index < 0 else _device(self._type, index)

    @property
    def stream_id(self) -> int:
        """0 for a host stream (the only one); a CUDA stream's ``cudaStream_t`` (0: the default stream)."""
        return 0 if self._impl is None else self._impl.cuda_stream

    @property
    def native_handle(self) -> int:
        if self._impl is None:
            raise RuntimeError("Backend doesn't support getting stream native handle.")
        return self._impl.cuda_stream

    def query(self) -> bool:
        """Whether all work submitted to the stream has completed (always, on the CPU)."""
        return True if self._impl is None else self._impl.query()

    def synchronize(self) -> None:
        """Wait for the work queued on the stream to finish."""
        if self._impl is not None:
            self._impl.synchronize()

    def is_capturing(self) -> bool:
        """False: tensorgraft never captures work into a graph."""
        return False

    def record_event(self, event: "Event | None" = None) -> "Event":
        """Record ``event`` (a new one when None) at this point of the stream, and return it."""
        if event is not None and not isinstance(event, Event):
            raise RuntimeError("expected event to be a torch.Event object")
        if self._impl is None:
            raise _no_events(self._type)
        event = Event(self.device) if event is None else event
        event.record(self)
        return event

    def wait_event(self, event: "Event") -> None:
        """Make the work submitted to this stream from now on wait for ``event``."""
        if not isinstance(event, Event):
            raise RuntimeError("expected event to be a torch.Event object")
        event.wait(self)

    def wait_stream(self, stream: "Stream") -> None:
        """Make the work submitted to this stream from now on wait for the work already on ``stream``."""
        if not isinstance(stream, Stream):
            raise RuntimeError("expected stream to be a torch.Stream object")
        # records an event on ``stream``, even this one (which a CPU stream cannot: PyTorch's error)
        self.wait_event(stream.record_event())

    def __enter__(self):
        if self._impl is not None:  # the CUDA stream (and its GPU) current until __exit__
            self._context = _cuda_module(_device("cuda")).StreamContext(self._impl)
            self._context.__enter__()
        return self

    def __exit__(self, *exc):
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(*exc)
        return None

    def __eq__(self, other):
        if not isinstance(other, Stream):
            return False
        return (self._type, self.device_index, self.stream_id) == (other._type, other.device_index, other.stream_id)

    def __ne__(self, other):
        return not self == other

    # PyTorch's streams compare unordered (each ordering answers False) rather than raise
    def __lt__(self, other):
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __hash__(self):
        return hash((self._type, self.device_index, self.stream_id))

    def __reduce__(self):
        raise TypeError("cannot pickle 'torch.Stream' object")

    def __repr__(self):
        return f"torch.Stream device_type={self._type}, device_index={self.device_index}, stream_id={self.stream_id}"


class Event:
    """``Event(device=None, *, enable_timing=False, blocking=False, interprocess=False)``: a point in
    a stream to wait for or time (``start.elapsed_time(end)``, in milliseconds). ``blocking`` and
    ``interprocess`` change nothing, as in PyTorch."""

    __slots__ = ("_type", "_index", "_impl", "enable_timing", "_recorded")

    def __init__(self, device=None, *, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):
        self.enable_timing = _check_bool(enable_timing, "enable_timing", "Event")
        _check_bool(blocking, "blocking", "Event")
        _check_bool(interprocess, "interprocess", "Event")
        dev = _device_of(device)
        self._type, self._index, self._recorded = dev.type, -1 if dev.index is None else dev.index, False
        self._impl = None
        if dev.type == "cuda":
            cuda = _cuda_module(dev)
            with cuda.device(dev.index):  # the event belongs to the GPU current when it is made
                self._impl = cuda.Event(enable_timing=enable_timing)

    @property
    def device(self):
        return _device(self._type) if self._index < 0 else _device(self._type, self._index)

    @property
    def event_id(self) -> int:
        """0 for an event without a device event; else the address of CuPy's ``cudaEvent_t``."""
        return 0 if self._impl is None else int(getattr(self._impl._e, "ptr", 0))

    def _check_stream(self, stream, verb: str) -> "Stream":
        if stream is None:
            if self._type != "cuda":
                raise _no_events(self._type)
            from .accelerator import current_stream
            return current_stream(self._index if self._index >= 0 else None)
        if not isinstance(stream, Stream):
            raise RuntimeError("expected stream to be a torch.Stream object")
        if stream._type != self._type:
            raise RuntimeError(f"Event device type {self._type.upper()} does not match {verb} stream's device type "
                               f"{stream._type.upper()}.")
        return stream

    def record(self, stream: "Stream | None" = None) -> None:
        """Record the event at this point of ``stream`` (the current stream by default)."""
        stream = self._check_stream(stream, "recording")
        if self._impl is None:
            raise _no_events(self._type)
        if self._index >= 0 and stream.device_index != self._index:
            raise RuntimeError(f"Event device {self.device} does not match recording stream's device {stream.device}.")
        self._impl.record(stream._impl)
        self._index, self._recorded = stream.device_index, True

    def wait(self, stream: "Stream | None" = None) -> None:
        """Make the work submitted to ``stream`` (the current one) from now on wait for this event."""
        if not self._recorded:  # nothing recorded: nothing to wait for
            return
        stream = self._check_stream(stream, "waiting")
        stream._impl.wait_event(self._impl)

    def query(self) -> bool:
        """Whether the work before the recorded point has completed (True when never recorded)."""
        return True if not self._recorded else self._impl.query()

    def synchronize(self) -> None:
        """Block the calling thread until the recorded point is reached."""
        if self._recorded:
            self._impl.synchronize()

    def elapsed_time(self, end_event: "Event") -> float:
        """Milliseconds between this event and ``end_event``, both recorded with ``enable_timing=True``."""
        if not isinstance(end_event, Event):
            raise RuntimeError("expected other to be a torch.Event object")
        if self._type != end_event._type:
            raise RuntimeError(f"Event device type {self._type.upper()} does not match other's device type "
                               f"{end_event._type.upper()}.")
        if not (self.enable_timing and end_event.enable_timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        return self._impl.elapsed_time(end_event._impl)

    # PyTorch's own answer (its type and message): no event is shared between processes
    def ipc_handle(self):
        raise NotImplementedError(_NO_IPC)

    @classmethod
    def from_ipc_handle(cls, device, ipc_handle):
        raise NotImplementedError(_NO_IPC)

    def __reduce__(self):
        raise TypeError("cannot pickle 'torch.Event' object")

    def __repr__(self):
        # PyTorch's event flags: 1 (BACKEND_DEFAULT) times the event, 0 (PYTORCH_DEFAULT) does not
        return (f"torch.Event device_type={self._type}, device_index={self._index}, "
                f"event_flag={int(self.enable_timing)}, event_id={self.event_id}")
