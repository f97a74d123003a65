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
           "default_stream", "device", "unavailable_reason", "is_initialized",
           "memory_stats", "memory_stats_as_nested_dict", "memory_summary", "reset_accumulated_memory_stats",
           "reset_max_memory_allocated", "reset_max_memory_cached", "memory_cached", "max_memory_cached",
           "set_per_process_memory_fraction", "get_per_process_memory_fraction", "caching_allocator_alloc",
           "caching_allocator_delete", "list_gpu_processes", "utilization", "temperature", "power_draw",
           "clock_rate", "device_memory_used", "OutOfMemoryError", "StreamContext", "set_stream",
           "ExternalStream", "device_of", "can_device_access_peer", "init", "ipc_collect", "get_arch_list",
           "get_gencode_flags", "is_bf16_supported", "is_tf32_supported", "get_sync_debug_mode",
           "set_sync_debug_mode", "current_blas_handle", "nvtx", "FloatTensor", "DoubleTensor", "HalfTensor",
           "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "FloatStorage",
           "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage",
           "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"]


_STREAMS = frozenset({"Event", "Stream", "current_stream", "default_stream", "stream", "StreamContext",
                      "set_stream", "ExternalStream"})
_LEGACY = frozenset({"FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                     "CharTensor", "ByteTensor", "BoolTensor"})
# torch.cuda.FloatStorage & co. (torch.cuda has no ``Storage`` alias, unlike torch)
_LEGACY_STORAGES = frozenset({"FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage",
                              "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage",
                              "ComplexDoubleStorage"})


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
    if name in _LEGACY:  # torch.cuda.FloatTensor & co.: made here on first use (they need core's ops)
        from .typed_tensors import TYPED_TENSORS
        globals().update(TYPED_TENSORS)
        return TYPED_TENSORS[name]
    if name in _LEGACY_STORAGES:
        # core makes and keeps them (``Tensor.storage_type()`` of a CUDA tensor returns the same class),
        # named ``tensorgraft.cuda.<name>``: found here, they print and pickle by that name. Building one
        # without a GPU raises the backend's "no CUDA device was found" error, from the allocation.
        from tensorgraft import storage
        value = globals()[name] = storage.legacy_storage_class(storage.LEGACY_STORAGE_DTYPES[name], "cuda")
        return value
    if name in _FROM_MEMORY or name in _FROM_NVML:
        import importlib
        module = importlib.import_module(f"{__name__}.{'memory' if name in _FROM_MEMORY else 'nvml'}")
        value = globals()[name] = getattr(module, name)
        return value
    if name in ("amp", "nvtx"):  # submodules: torch.cuda.amp (deprecated aliases of tensorgraft.amp), nvtx
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def __dir__():
    """``dir(tensorgraft.cuda)`` lists the names ``__getattr__`` resolves on first use too (as
    ``dir(torch.cuda)`` lists ``FloatStorage``), without resolving them."""
    return sorted(set(globals()) | set(__all__))


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


# --------------------------------------------------------------------------- memory (memory.py), NVML (nvml.py)
# loaded on first use, like the stream API: importing tensorgraft imports this package on every machine
_FROM_MEMORY = frozenset({"caching_allocator_alloc", "caching_allocator_delete", "empty_cache",
                          "get_per_process_memory_fraction", "max_memory_allocated", "max_memory_cached",
                          "max_memory_reserved", "mem_get_info", "memory_allocated", "memory_cached",
                          "memory_reserved", "memory_stats", "memory_stats_as_nested_dict", "memory_summary",
                          "reset_accumulated_memory_stats", "reset_max_memory_allocated", "reset_max_memory_cached",
                          "reset_peak_memory_stats", "set_per_process_memory_fraction"})
_FROM_NVML = frozenset({"clock_rate", "device_memory_used", "list_gpu_processes", "power_draw", "temperature",
                        "utilization"})
from tensorgraft.errors import OutOfMemoryError  # noqa: E402


# --------------------------------------------------------------------------- devices and capabilities
def init() -> None:
    """Initialise CUDA now rather than on first use (raises without a device)."""
    _cupy()


def ipc_collect() -> None:
    """Free device memory held for other processes' CUDA IPC handles. tensorgraft never shares
    device memory between processes, so once CUDA is up there is never any to free."""
    _cupy()


def can_device_access_peer(device, peer_device) -> bool:
    """Whether kernels on ``device`` can read ``peer_device``'s memory (P2P/NVLink)."""
    a, b = _index(device), _index(peer_device)
    return bool(_cupy().cuda.runtime.deviceCanAccessPeer(a, b))


class device_of(device):
    """``with device_of(t):`` makes ``t``'s GPU current (no change for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


def get_arch_list() -> list:
    """The GPU architectures kernels can be built for ("sm_80", ...). CuPy compiles its kernels at
    run time with NVRTC, so these are the ones NVRTC supports; [] without CUDA."""
    if not is_available():
        return []
    return [f"sm_{arch}" for arch in _cupy().cuda.nvrtc.getSupportedArchs()]


def get_gencode_flags() -> str:
    """``get_arch_list`` as nvcc ``-gencode`` flags ("" without CUDA)."""
    pairs = (arch.split("_") for arch in get_arch_list())
    return " ".join(f"-gencode compute=compute_{arch},code={kind}_{arch}" for kind, arch in pairs)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always False: tensorgraft has bfloat16 on the CPU only (CuPy has no bfloat16 arrays), whatever the GPU."""
    return False


def is_tf32_supported() -> bool:
    """Whether the current GPU has TF32 tensor cores (compute capability 8.0, Ampere, or newer)."""
    return is_available() and get_device_capability()[0] >= 8


_SYNC_MODES = {"default": 0, "warn": 1, "error": 2}


def set_sync_debug_mode(debug_mode) -> None:
    """Warn (1, "warn") or raise (2, "error") when a device value is read by the host (``.item()``,
    ``.tolist()``, ``.cpu()``, ``bool(t)``...): each such read waits for the GPU. 0/"default": off."""
    if isinstance(debug_mode, str):
        if debug_mode not in _SYNC_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`")
        debug_mode = _SYNC_MODES[debug_mode]
    _cupy()
    _B.sync_debug_mode = debug_mode if debug_mode in (1, 2) else 0


def get_sync_debug_mode() -> int:
    _cupy()
    return _B.sync_debug_mode


def current_blas_handle() -> int:
    """The cuBLAS handle of the current device (the ``cublasHandle_t`` CuPy's matmuls use)."""
    cp = _cupy()
    with cp.cuda.Device(current_device()):
        return int(cp.cuda.get_cublas_handle())
