"""``tensorgraft.cuda.nvtx``: NVTX ranges and marks (shown on Nsight Systems' timeline), over
``cupy.cuda.nvtx``. Without CUDA, or a CuPy built without NVTX, each call raises PyTorch's error."""
from __future__ import annotations

import contextlib
import threading

from ._backend import BACKEND as _B

__all__ = ["range_push", "range_pop", "range_start", "range_end", "mark", "range"]

_open_ranges = threading.local()   # NVTX nests push/pop per thread; CuPy does not report the depth


def _library():
    """``cupy.cuda.nvtx`` when CUDA is up and CuPy was built with NVTX."""
    library = _B.cupy().cuda.nvtx if _B.is_available() else None
    if library is None or not library.available:
        raise RuntimeError("NVTX functions not installed. Are you sure you have a CUDA build?")
    return library


def range_push(msg) -> int:
    """Open a nested range; returns its zero-based depth."""
    _library().RangePush(msg)
    level = getattr(_open_ranges, "count", 0)
    _open_ranges.count = level + 1
    return level


def range_pop() -> int:
    """Close the innermost range; returns the zero-based depth of the one closed (-1: none was open)."""
    _library().RangePop()
    level = getattr(_open_ranges, "count", 0) - 1
    _open_ranges.count = level if level > 0 else 0
    return level


def range_start(msg) -> int:
    """Open a range that another thread may close; the handle returned goes to ``range_end``."""
    return int(_library().RangeStart(msg))


def range_end(range_id) -> None:
    _library().RangeEnd(range_id)


def mark(msg) -> None:
    """An instant event on the timeline."""
    _library().Mark(msg)


class range(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name; it shadows the builtin in this module only
    """``with nvtx.range("epoch {}", i):`` or ``@nvtx.range("forward")``: one NVTX range around
    the block or each call, labelled ``msg.format(*args, **kwargs)``."""

    def __init__(self, msg, *args, **kwargs):
        self.label = msg.format(*args, **kwargs)

    def __enter__(self):
        range_push(self.label)
        return None

    def __exit__(self, *exc_info):
        range_pop()
        return False
