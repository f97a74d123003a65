"""The ``cuda`` device backend: CuPy arrays, imported lazily.

Nothing here imports CuPy at module import time. The first question that needs the GPU
(``is_available()``, a move to ``"cuda"``, ``tensorgraft.cuda.*``) probes once: is CuPy installed,
does it import, does the CUDA runtime report a device. Until then the backend's ``xp`` is a
placeholder so that kernel tables can be built at load time without CuPy; on the first successful
probe it becomes ``cupy`` and every op's ``cuda`` kernel is rebound to it.
"""
from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading

import numpy as np

from tensorgraft.device import DeviceBackend

# cuRAND's generator type (curand.h: CURAND_RNG_PSEUDO_PHILOX4_32_10), the counter-based generator
# PyTorch's CUDA generators use too; cheap to reseed, unlike the default XORWOW.
CURAND_PHILOX4_32_10 = 161

INSTALL_HINT = "pip install tensorgraft-cuda[cuda12] for CUDA 12 or tensorgraft-cuda[cuda13] for CUDA 13"


class _Deferred:
    """Stands for ``cupy.<name>`` before CuPy is imported (bound into kernel tables at load time)."""

    __slots__ = ("_name", "_target")

    def __init__(self, name):
        self._name = name
        self._target = None

    def _resolve(self):
        if self._target is None:
            self._target = getattr(BACKEND.cupy(), self._name)
        return self._target

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, item):
        return getattr(self._resolve(), item)

    def __repr__(self):
        return f"<deferred cupy.{self._name}>"


class _LazyCupy:
    """The backend's ``xp`` until CuPy is loaded: attribute access yields deferred callables."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Deferred(name)

    def __repr__(self):
        return "<cupy, not imported yet>"


class CUDABackend(DeviceBackend):
    type = "cuda"

    def __init__(self):
        self.xp = _LazyCupy()
        self._probe = None            # (available, reason, count)
        self._lock = threading.Lock()
        self.memory_stats: dict = {}  # device index -> memory.DeviceMemoryStats (kept by the allocator)
        self.memory_fraction: dict = {}  # device index -> set_per_process_memory_fraction's value
        self.raw_blocks: dict = {}    # pointer -> block, from caching_allocator_alloc until its delete
        self.sync_debug_mode = 0      # set_sync_debug_mode: 0 off, 1 warn, 2 error on device->host reads
        self._engines: dict = {}      # device index -> cupy.random.RandomState (see _random.py)
        # The current device as the user set it (tensorgraft.cuda.set_device / device(...)), per
        # thread as CUDA's. On a machine with several GPUs, kernels switch CuPy's current device
        # to their operands' GPU and leave it there (see on_the_operands_device), so CuPy's own
        # current device is not what ``current_device()`` reports.
        self._user = threading.local()

    # -- probing -------------------------------------------------------------------------------
    def probe(self):
        p = self._probe
        if p is None:
            with self._lock:
                if self._probe is None:
                    self._probe = _probe()
                    if self._probe[0]:
                        self._initialise()
                p = self._probe
        return p

    def _initialise(self) -> None:
        import cupy
        self.xp = cupy
        from tensorgraft.registry import registry
        several = self._probe[2] > 1
        for op in registry.ops.values():
            op.table.pop("cuda", None)
            op.bind_kernel("cuda", self)
            if several and "cuda" in op.table:
                op.table["cuda"] = on_the_operands_device(op.table["cuda"], cupy)
        self._track_peak(cupy)
        # the device CUDA has current before tensorgraft switches any (see keep_user_device)
        self.keep_user_device(int(cupy.cuda.runtime.getDevice()))

    def _track_peak(self, cupy) -> None:
        """Route allocations through the default pool with accounting (memory_stats) and PyTorch's
        OutOfMemoryError: one place that sees every allocation, whichever op or factory makes it."""
        from .memory import counting_allocator
        try:
            cupy.cuda.set_allocator(counting_allocator(cupy))
        except Exception:  # noqa: BLE001 - accounting is best effort; allocation keeps working
            pass

    def cupy(self):
        ok, reason, _ = self.probe()
        if not ok:
            raise RuntimeError(reason)
        return self.xp

    # -- DeviceBackend ---------------------------------------------------------------------------
    def is_available(self) -> bool:
        return self.probe()[0]

    def unavailable_reason(self) -> str:
        return self.probe()[1] or "the CUDA device is available"

    def device_count(self) -> int:
        return self.probe()[2]

    def current_index(self) -> int:
        index = getattr(self._user, "index", None)
        if index is None:
            index = self._user.index = int(self.cupy().cuda.runtime.getDevice())
        return index

    def work_on(self, index: int) -> None:
        """Make GPU ``index`` CuPy's current device, and leave it so: the arrays made next without
        naming a GPU land where the work is (see on_the_operands_device)."""
        current = self.xp.cuda.runtime.getDevice()
        if current != index:
            self.keep_user_device(current)
            self.xp.cuda.Device(index).use()

    def keep_user_device(self, current: int) -> None:
        """Before the first switch of CuPy's device in a thread, remember the device the user has
        (CUDA's default, 0, unless set_device said otherwise): ``current_device()`` keeps reporting it."""
        if getattr(self._user, "index", None) is None:
            self._user.index = current

    def set_current(self, index: int) -> None:
        """``tensorgraft.cuda.set_device``: the device index-less ``"cuda"`` means from now on."""
        self.cupy().cuda.Device(index).use()
        self._user.index = index

    def from_host(self, array, index):
        cp = self.cupy()  # (no CUDA device: that error first)
        name = array.dtype.name
        if name == "bfloat16" or name.startswith("float8"):
            # CuPy has no bfloat16 or 8-bit float arrays (an ml_dtypes array would be refused deep inside CuPy)
            raise TypeError(f"tensorgraft's CUDA device cannot hold {name} tensors: CuPy has no {name} arrays. "
                            "Move the tensor as float16 or float32 instead, e.g. t.to('cuda', torch.float16).")
        self.work_on(self.current_index() if index is None else index)
        return cp.asarray(array)

    def to_host(self, array) -> np.ndarray:
        if self.sync_debug_mode and self.owns(array):
            _report_sync(self.sync_debug_mode)
        return array.get() if self.owns(array) else array

    def owns(self, array) -> bool:
        cp = sys.modules.get("cupy")  # an array can only be CuPy's if CuPy is already imported
        return cp is not None and isinstance(array, cp.ndarray)

    def array_index(self, array):
        return int(array.device.id)

    def on(self, index):
        """Arrays made next land on GPU ``index``; the switch outlives the block (work_on)."""
        self.cupy()
        self.work_on(self.current_index() if index is None else index)
        return contextlib.nullcontext()

    def synchronize(self, index=None) -> None:
        self.cupy().cuda.Device(self.current_index() if index is None else index).synchronize()

    # -- random numbers ----------------------------------------------------------------------------
    def new_random_stream(self, seed: int, index):
        """Generators of the cuda device draw on the device (cuRAND's Philox through CuPy)."""
        from ._random import CUDARandomStream
        return CUDARandomStream(seed, self.current_index() if index is None else index)

    def random_engine(self, index: int):
        """Device ``index``'s cuRAND Philox4x32-10 generator (made under that device, as cuRAND's
        generators belong to the device current at creation); streams reseed it before each draw."""
        rs = self._engines.get(index)
        if rs is None:
            cp = self.cupy()
            with cp.cuda.Device(index):
                rs = self._engines.setdefault(index, cp.random.RandomState(np.uint64(0), method=CURAND_PHILOX4_32_10))
        return rs


def _report_sync(mode: int) -> None:
    """tensorgraft.cuda.set_sync_debug_mode: a read of device values waits for the GPU."""
    if mode == 2:
        raise RuntimeError("called a synchronizing CUDA operation")
    import warnings
    warnings.warn("called a synchronizing CUDA operation", UserWarning, stacklevel=4)


def operand_device(args, ndarray):
    """The GPU of a kernel's first CuPy array operand (looking into a list/tuple operand, as
    ``cat``'s), or None."""
    for a in args:
        if isinstance(a, ndarray):
            return a.device.id
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], ndarray):
            return a[0].device.id
    return None


def on_the_operands_device(kernel, cupy):
    """``kernel`` run on its operands' GPU: CuPy launches on its current GPU, and an array on
    another one is refused (no peer access) or read across the bus with the result left on the
    current GPU. PyTorch's ops run under a device guard; here the switch is left in place, so the
    arrays tensorgraft makes next without naming a GPU (a gradient's ones, a mask, an optimizer's
    scratch) land on the GPU being worked on. What ``tensorgraft.cuda.current_device()`` reports
    is tracked apart (CUDABackend.current_index). Only machines with several GPUs pay for the
    check (~1 us an op); with one GPU the kernels are bound bare."""
    ndarray, get_device, Device = cupy.ndarray, cupy.cuda.runtime.getDevice, cupy.cuda.Device

    def guarded(*args, **kwargs):
        index = operand_device(args, ndarray)
        if index is not None:
            current = get_device()
            if index != current:
                BACKEND.keep_user_device(current)
                Device(index).use()
        return kernel(*args, **kwargs)
    guarded.__wrapped__ = kernel
    return guarded


def _probe():
    """(available, reason, device count) — never raises."""
    if "cupy" not in sys.modules and importlib.util.find_spec("cupy") is None:
        return False, f"no CUDA device was found: CuPy is not installed, so no CUDA backend is available ({INSTALL_HINT})", 0
    try:
        import cupy
    except Exception as exc:  # noqa: BLE001 - a broken CuPy/CUDA install raises anything
        return False, f"no CUDA device was found: CuPy failed to import ({type(exc).__name__}: {exc})", 0
    try:
        n = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # noqa: BLE001 - e.g. CUDARuntimeError: cudaErrorNoDevice / InsufficientDriver
        return False, f"no CUDA device was found: {type(exc).__name__}: {exc}", 0
    if n <= 0:
        return False, "no CUDA device was found: the CUDA runtime reports 0 devices", 0
    return True, "", n


BACKEND = CUDABackend()
