"""CUDA streams and events (thin wrappers over ``cupy.cuda.Stream``/``cupy.cuda.Event``).

CuPy launches every kernel on its *current* stream; ``with tensorgraft.cuda.stream(s):`` (or
``with s:``) makes ``s`` current, so tensorgraft ops issued inside run on it.
"""
from __future__ import annotations

from ._backend import BACKEND as _B


class Stream:
    """``Stream(device=None, priority=0)``: a new (non-default) CUDA stream on ``device``."""

    def __init__(self, device=None, priority: int = 0, *, _wrap=None, _index=None):
        cp = _B.cupy()
        if _wrap is not None:
            self._s = _wrap
            self.device_index = _index
            return
        from . import _index
        idx = _index(device)
        with cp.cuda.Device(idx):
            self._s = cp.cuda.Stream(non_blocking=False, priority=priority) if priority else cp.cuda.Stream()
        self.device_index = idx

    @property
    def cuda_stream(self) -> int:
        """The raw ``cudaStream_t`` handle."""
        return int(self._s.ptr)

    def synchronize(self) -> None:
        self._s.synchronize()

    def query(self) -> bool:
        """True when all work submitted to the stream has completed."""
        return bool(self._s.done)

    def record_event(self, event: "Event | None" = None) -> "Event":
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event: "Event") -> None:
        self._s.wait_event(event._e)

    def wait_stream(self, other: "Stream") -> None:
        self.wait_event(other.record_event())

    def __enter__(self):
        self._s.__enter__()
        return self

    def __exit__(self, *exc):
        return self._s.__exit__(*exc)

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream

    def __hash__(self):
        return hash(self.cuda_stream)

    def __repr__(self):
        return f"<tensorgraft.cuda.Stream device=cuda:{self.device_index} cuda_stream={hex(self.cuda_stream)}>"


class Event:
    """``Event(enable_timing=False, blocking=False)``; ``start.elapsed_time(end)`` in milliseconds."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False):
        cp = _B.cupy()
        self._e = cp.cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)
        self.enable_timing = enable_timing

    def record(self, stream: Stream | None = None) -> None:
        self._e.record(None if stream is None else stream._s)

    def wait(self, stream: Stream | None = None) -> None:
        (stream or current_stream()).wait_event(self)

    def query(self) -> bool:
        return bool(self._e.done)

    def synchronize(self) -> None:
        self._e.synchronize()

    def elapsed_time(self, end_event: "Event") -> float:
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        return float(_B.cupy().cuda.get_elapsed_time(self._e, end_event._e))

    def __repr__(self):
        return f"<tensorgraft.cuda.Event enable_timing={self.enable_timing}>"


def current_stream(device=None) -> Stream:
    from . import _index
    cp, idx = _B.cupy(), _index(device)
    with cp.cuda.Device(idx):
        return Stream(_wrap=cp.cuda.get_current_stream(), _index=idx)


def default_stream(device=None) -> Stream:
    from . import _index
    cp, idx = _B.cupy(), _index(device)
    with cp.cuda.Device(idx):
        return Stream(_wrap=cp.cuda.Stream.null, _index=idx)


class StreamContext:
    """``with StreamContext(s):`` runs the enclosed ops on ``s``, with ``s``'s GPU current (both
    restored on exit); ``None`` changes nothing."""

    def __init__(self, stream: Stream | None):
        self.stream = stream
        self._previous_device = None

    def __enter__(self):
        s = self.stream
        if s is not None:
            from . import current_device, set_device
            here = current_device()
            if s.device_index is not None and s.device_index != here:
                self._previous_device = here
                set_device(s.device_index)
            s.__enter__()
        return s

    def __exit__(self, *exc):
        s = self.stream
        if s is not None:
            s.__exit__(*exc)
            if self._previous_device is not None:
                from . import set_device
                set_device(self._previous_device)
                self._previous_device = None
        return False


def stream(stream: Stream | None) -> StreamContext:
    """``with tensorgraft.cuda.stream(s):`` runs the enclosed ops on ``s`` (None: no change)."""
    return StreamContext(stream)


def set_stream(stream: Stream | None) -> None:
    """Make ``stream`` its device's current stream from now on (prefer ``with stream(s):``)."""
    if stream is None:
        return
    from . import set_device
    set_device(stream.device_index)
    stream._s.use()


class _StreamHandle:
    """A raw ``cudaStream_t`` presented through the CUDA stream protocol (what CuPy adopts)."""

    def __init__(self, pointer: int):
        self.pointer = pointer

    def __cuda_stream__(self):
        return (0, self.pointer)


class ExternalStream(Stream):
    """A stream made outside tensorgraft (another library's ``cudaStream_t``), used as a Stream.
    The caller keeps it alive and destroys it."""

    def __init__(self, stream_ptr, device=None, **kwargs):
        from . import _index
        cp = _B.cupy()
        index = _index(device)
        with cp.cuda.Device(index):
            wrapped = cp.cuda.Stream.from_external(_StreamHandle(int(stream_ptr)))
        super().__init__(_wrap=wrapped, _index=index)
