"""``tensorgraft.cuda``: the CUDA device (tensorgraft-cuda), modelled on ``torch.cuda``.

Importing this module never imports CuPy; each function probes the GPU on first use. Without
CuPy or a GPU, ``is_available()`` is False, ``device_count()`` is 0, the memory statistics are 0,
``manual_seed``/``empty_cache`` do nothing (a seed is remembered for a later initialisation),
``default_generators`` is empty, and everything that needs a device raises
``RuntimeError("no CUDA device was found: <why>")``.
"""
from __future__ import annotations

from ._backend import BACKEND as _B

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "get_device_capability", "get_device_properties", "synchronize", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "initial_seed", "get_rng_state", "set_rng_state", "get_rng_state_all",
           "set_rng_state_all", "default_generators",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "empty_cache", "mem_get_info", "Stream", "Event", "stream", "current_stream",
           "default_stream", "device", "unavailable_reason", "is_initialized"]


_STREAMS = frozenset({"Event", "Stream", "current_stream", "default_stream", "stream"})


def __getattr__(name):
    """The stream API loads on first use: ``import tensorgraft`` imports this package (for its
    plugin entry point) on every machine, GPU or not."""
    if name == "default_generators":  # one per device, as torch.cuda.default_generators; () without CUDA
        return tuple(_generator(i) for i in range(device_count())) if is_available() else ()
    if name in _STREAMS:
        from . import streams
        value = getattr(streams, name)
        globals()[name] = value
        return value
    if name == "amp":  # torch.cuda.amp: deprecated aliases of tensorgraft.amp
        import importlib
        return importlib.import_module(f"{__name__}.amp")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def is_available() -> bool:
    """Whether CuPy is installed and the CUDA runtime reports at least one device."""
    return _B.is_available()


def unavailable_reason() -> str:
    """Why ``is_available()`` is False (e.g. "no CUDA device was found: CuPy is not installed ...")."""
    return _B.unavailable_reason() if not _B.is_available() else ""


def is_initialized() -> bool:
    return _B._probe is not None and _B._probe[0]


def device_count() -> int:
    return _B.device_count()


def _cupy():
    return _B.cupy()


def _index(dev=None, *, optional=True) -> int:
    """A device index from None/int/str/device (None: the current device)."""
    _cupy()
    if dev is None:
        return _B.current_index()
    if isinstance(dev, int):
        idx = dev
    else:
        from tensorgraft.device import device as _device
        d = _device(dev)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        idx = _B.current_index() if d.index is None else d.index
    n = _B.device_count()
    if not 0 <= idx < n:
        raise RuntimeError(f"Invalid device ordinal {idx}: only {n} cuda device(s) present")
    return idx


def current_device() -> int:
    return _index(None)


def set_device(device) -> None:
    """Make ``device`` the current CUDA device (a negative index is ignored, as in PyTorch)."""
    if isinstance(device, int) and device < 0:
        return
    _B.set_current(_index(device))


class device:
    """Context manager that changes the current device: ``with tensorgraft.cuda.device(1): ...``."""

    def __init__(self, device):
        self.device = device
        self.prev = None

    def __enter__(self):
        if self.device is None or (isinstance(self.device, int) and self.device < 0):
            return self
        self.prev = current_device()
        set_device(self.device)
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device(self.prev)
        return False


class _Properties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count")

    def __init__(self, props: dict):
        name = props.get("name", b"")
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major = int(props.get("major", 0))
        self.minor = int(props.get("minor", 0))
        self.total_memory = int(props.get("totalGlobalMem", 0))
        self.multi_processor_count = int(props.get("multiProcessorCount", 0))

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> _Properties:
    return _Properties(_cupy().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p.major, p.minor)


def synchronize(device=None) -> None:
    """Wait for every kernel on ``device`` (default: the current one) to finish."""
    _B.synchronize(_index(device))


# --------------------------------------------------------------------------- random
# Each CUDA device has its own default generator (core's ``tensorgraft.random`` keeps them; they
# draw on the device, see _random.py). Seeds given before CUDA is initialised, or without CUDA,
# are remembered by core and applied when a device's generator is made.
def _generator(index: int):
    from tensorgraft.device import device as _device
    from tensorgraft.random import default_generator_for
    return default_generator_for(_device("cuda", index))


def manual_seed(seed: int) -> None:
    """Seed the current device's default generator (device 0 before CUDA is initialised; a no-op
    without CUDA, as in PyTorch)."""
    from tensorgraft.random import seed_default_generators
    seed_default_generators(seed, "cuda", current_device() if is_initialized() else 0)


def manual_seed_all(seed: int) -> None:
    """Seed the default generator of every CUDA device (also those of a later initialisation)."""
    from tensorgraft.random import seed_default_generators
    seed_default_generators(seed, "cuda")


def seed() -> None:
    """Seed the current device's default generator with a non-deterministic seed."""
    if is_available():
        _generator(current_device()).seed()


def seed_all() -> None:
    """Seed every device's default generator with one non-deterministic seed."""
    import os
    manual_seed_all(int.from_bytes(os.urandom(8), "little"))


def initial_seed() -> int:
    """The current device's default generator's seed."""
    return _generator(current_device()).initial_seed()


def get_rng_state(device="cuda"):
    """A device's generator state: a uint8 CPU tensor (16 bytes: seed, draws made)."""
    return _generator(_index(device)).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    _generator(_index(device)).set_state(new_state)


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


# --------------------------------------------------------------------------- memory (CuPy's pool)
def _pool_stat(dev, what: str) -> int:
    if not is_available():
        return 0
    cp = _cupy()
    idx = _index(dev)
    with cp.cuda.Device(idx):
        pool = cp.get_default_memory_pool()
        value = int(getattr(pool, what)())
        if what == "used_bytes":
            _B.note_usage(idx, value)
    return value


def memory_allocated(device=None) -> int:
    """Bytes occupied by arrays on ``device`` (CuPy's default memory pool: ``used_bytes``)."""
    return _pool_stat(device, "used_bytes")


def max_memory_allocated(device=None) -> int:
    """The peak of ``memory_allocated`` since start or ``reset_peak_memory_stats``."""
    if not is_available():
        return 0
    used = memory_allocated(device)
    return max(_B.peak(_index(device)), used)


def memory_reserved(device=None) -> int:
    """Bytes held by the memory pool on ``device`` (in use or cached: ``total_bytes``)."""
    return _pool_stat(device, "total_bytes")


def max_memory_reserved(device=None) -> int:
    return memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    if is_available():
        _B.reset_peak(_index(device), memory_allocated(device))


def empty_cache() -> None:
    """Release the memory pool's cached (unused) blocks back to the driver."""
    if is_initialized():
        cp = _cupy()
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of device memory, from the driver."""
    cp = _cupy()
    with cp.cuda.Device(_index(device)):
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)
