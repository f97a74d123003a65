"""Autocast's per-thread switches. Op frontends on autocast's lists read ``state.on`` (a single
attribute read while autocast is off everywhere) and only then call ``state.lower`` /
``state.fp32`` / ``state.fp32_cuda`` / ``state.fp32_cpu``, which cast their operands (see ``autocast_mode``)."""
from __future__ import annotations

import threading


class _Switches(threading.local):
    """One per thread: ``modes[device_type] = [enabled, dtype]`` (dtype None = the device's
    default), whether casts of leaf weights are remembered, the autocast nesting depth and
    the remembered casts."""

    on = False  # some device has autocast enabled in this thread

    def __init__(self):
        self.modes = {"cpu": [False, None], "cuda": [False, None]}
        self.keep_casts = True
        self.depth = 0
        self.casts = {}

    def refresh(self):
        self.on = any(m[0] for m in self.modes.values())

    @staticmethod
    def lower(*tensors):
        """Operands of an op on the lower-precision list, cast to the autocast dtype."""
        from .autocast_mode import lower
        return lower(*tensors)

    @staticmethod
    def fp32(*tensors):
        """Operands of an op on the float32 list, cast to float32."""
        from .autocast_mode import fp32
        return fp32(*tensors)

    @staticmethod
    def fp32_cuda(*tensors):
        """Operands of an op that runs in float32 under CUDA autocast only."""
        from .autocast_mode import fp32_cuda
        return fp32_cuda(*tensors)

    @staticmethod
    def fp32_cpu(*tensors):
        """Operands of an op that runs in float32 under CPU autocast only."""
        from .autocast_mode import fp32_cpu
        return fp32_cpu(*tensors)


state = _Switches()
