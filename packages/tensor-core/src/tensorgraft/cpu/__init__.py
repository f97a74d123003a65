"""``torch.cpu``: the CPU device module, for device-agnostic code written against ``torch.cuda``
(``torch.get_device_module(device).synchronize()`` and the like). The CPU runs every op to
completion before returning, so streams and events have nothing to order and are done at once;
``get_capabilities`` reports the instruction sets the processor has. Its deprecated ``amp``
aliases live in ``cpu/amp.py``."""
from __future__ import annotations

import functools
import os
import platform
from types import MappingProxyType

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream", "stream",
           "set_device", "device_count", "Stream", "StreamContext", "Event", "get_capabilities"]


def __getattr__(name):
    if name == "amp":
        import importlib
        return importlib.import_module(f"{__name__}.amp")
    raise AttributeError(f"module 'tensorgraft.cpu' has no attribute '{name}'")


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    """The number of CPU *devices* (not cores): always 1."""
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device) -> None:
    """There is one CPU device: nothing to select."""


def synchronize(device=None) -> None:
    """CPU ops are finished when they return: nothing to wait for."""


class Stream:
    """A CPU stream: work on the CPU is already in order, so waiting and recording do nothing."""

    def __init__(self, priority: int = -1) -> None:
        self.priority = priority

    def wait_stream(self, stream) -> None:
        pass

    def record_event(self) -> None:
        pass

    def wait_event(self, event) -> None:
        pass


class Event:
    """A CPU event: always complete."""

    def query(self) -> bool:
        return True

    def record(self, stream=None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def wait(self, stream=None) -> None:
        pass


_default_stream = Stream()
_current_stream = _default_stream


def current_stream(device=None) -> Stream:
    return _current_stream


class StreamContext:
    """``with tensorgraft.cpu.stream(s):`` makes ``s`` the current stream inside the block."""

    def __init__(self, stream):
        self.stream = stream
        self.prev_stream = _default_stream

    def __enter__(self):
        global _current_stream
        if self.stream is not None:
            self.prev_stream, _current_stream = _current_stream, self.stream

    def __exit__(self, *exc):
        global _current_stream
        if self.stream is not None:
            _current_stream = self.prev_stream
        return False


def stream(stream) -> StreamContext:
    return StreamContext(stream)


# /proc/cpuinfo's flag names -> PyTorch's capability names
_X86_FLAGS = {
    "sse": "sse", "sse2": "sse2", "pni": "sse3", "ssse3": "ssse3", "sse4_1": "sse4_1", "sse4_2": "sse4_2",
    "sse4a": "sse4a", "avx": "avx", "avx2": "avx2", "avx_vnni": "avx_vnni", "avx_vnni_int8": "avx_vnni_int8",
    "avx_vnni_int16": "avx_vnni_int16", "avx_ne_convert": "avx_ne_convert", "avx512f": "avx512_f",
    "avx512cd": "avx512_cd", "avx512dq": "avx512_dq", "avx512bw": "avx512_bw", "avx512vl": "avx512_vl",
    "avx512ifma": "avx512_ifma", "avx512vbmi": "avx512_vbmi", "avx512_vbmi2": "avx512_vbmi2",
    "avx512_bitalg": "avx512_bitalg", "avx512_vpopcntdq": "avx512_vpopcntdq", "avx512_vnni": "avx512_vnni",
    "avx512_bf16": "avx512_bf16", "avx512_fp16": "avx512_fp16", "avx512_vp2intersect": "avx512_vp2intersect",
    "avx512_4vnniw": "avx512_4vnniw", "avx512_4fmaps": "avx512_4fmaps", "amx_bf16": "amx_bf16",
    "amx_tile": "amx_tile", "amx_int8": "amx_int8", "amx_fp16": "amx_fp16", "fma": "fma3", "fma4": "fma4",
    "f16c": "f16c", "bmi1": "bmi", "bmi2": "bmi2", "popcnt": "popcnt", "abm": "lzcnt", "aes": "aes",
    "sha_ni": "sha", "clflush": "clflush", "clflushopt": "clflushopt", "clwb": "clwb",
}
_ARM_FLAGS = {
    "asimd": "neon", "asimdhp": "fp16_arith", "bf16": "bf16", "i8mm": "i8mm", "asimddp": "dot", "sve": "sve",
    "sve2": "sve2", "svebf16": "sve_bf16", "sme": "sme", "sme2": "sme2", "atomics": "atomics", "asimdfhm": "fhm",
    "asimdrdm": "rdm", "crc32": "crc32", "aes": "aes", "sha1": "sha1", "sha2": "sha2", "pmull": "pmull",
}


@functools.lru_cache(None)
def get_capabilities():
    """A read-only mapping of what the processor supports: ``architecture``, ``num_logical_cores``
    and, where the OS lists them (Linux's ``/proc/cpuinfo``), the instruction-set flags under
    PyTorch's names (``avx2``, ``avx512_f``, ``fma3``... on x86; ``neon``, ``sve``... on ARM), each
    True or False. PyTorch's cache sizes, socket and physical-core counts are not reported."""
    arch = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
    caps = {"architecture": arch, "num_logical_cores": os.cpu_count() or 1}
    table = _X86_FLAGS if arch in ("x86_64", "i386", "i686") else _ARM_FLAGS if arch == "aarch64" else {}
    flags = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    flags.update(value.split())
                    break
    except OSError:
        table = {}
    for flag, name in table.items():
        caps[name] = flag in flags
    return MappingProxyType(caps)
