import itertools
import os
import sys
import types


class _Runtime:
    current = 0

    def getDeviceCount(self):
        n = int(os.environ.get("FAKE_CUPY_DEVICES", "2"))
        if n < 0:
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
        return n

    def getDevice(self):
        return self.current

    def getDeviceProperties(self, i):
        return {"name": f"Fake GPU {i}".encode(), "major": 9, "minor": 0, "totalGlobalMem": 80 * 2**30,
                "multiProcessorCount": 132}

    def memGetInfo(self):
        return (70 * 2**30, 80 * 2**30)

    def deviceCanAccessPeer(self, device, peer):
        return 0   # like GPUs without NVLink/P2P: cuda:1's arrays cannot be read from cuda:0's kernels


runtime = _Runtime()


class Device:
    def __init__(self, device=None):
        self.id = runtime.current if device is None else int(device)
        self._prev = []

    def use(self):
        runtime.current = self.id

    @property
    def pci_bus_id(self):
        return f"0000:{self.id + 1:02X}:00.0"

    def synchronize(self):
        SYNCED.append(self.id)

    def __enter__(self):
        self._prev.append(runtime.current)
        runtime.current = self.id
        return self

    def __exit__(self, *exc):
        runtime.current = self._prev.pop()


SYNCED = []
HOST_READS = 0   # device values read by tensorgraft's code (see cupy.ndarray.get)


class _Pointer:
    """What an allocator hands back (``cupy.cuda.MemoryPointer``): the block stays in use until freed."""

    def __init__(self, pool, device_id, size):
        self.pool, self.device_id, self.size = pool, device_id, size
        self.ptr = id(self)

    def free(self):
        self.pool.release(self.size, self.device_id)


def _round(size):
    return (size + 511) // 512 * 512   # CuPy's pool hands out blocks in multiples of 512 bytes


class MemoryPool:
    """CuPy's default pool, per device as CuPy's (used/total report the current device): freed
    blocks stay cached until ``free_all_blocks``; ``set_limit`` caps it, and an allocation past the
    cap (or past the GPU's memory) first drops the cache, then raises CuPy's OutOfMemoryError."""

    def __init__(self):
        self._used, self._cached, self._limit = {}, {}, {}
        self.freed = 0

    def used_bytes(self):
        return self._used.get(runtime.current, 0)

    def total_bytes(self):
        return self.used_bytes() + self._cached.get(runtime.current, 0)

    def free_all_blocks(self, stream=None):
        self.freed += 1
        self._cached[runtime.current] = 0

    def set_limit(self, size=None, fraction=None):
        if fraction is not None:
            size = int(runtime.getDeviceProperties(runtime.current)["totalGlobalMem"] * fraction)
        self._limit[runtime.current] = int(size or 0)

    def get_limit(self):
        return self._limit.get(runtime.current, 0)

    def malloc(self, size):
        dev, size = runtime.current, _round(size)
        used, cached = self._used.get(dev, 0), self._cached.get(dev, 0)
        cap = self._limit.get(dev) or runtime.getDeviceProperties(dev)["totalGlobalMem"]
        if size <= cached:                          # served from the cache
            self._cached[dev] = cached - size
        elif used + cached + size > cap:            # new memory would pass the cap:
            self._cached[dev] = 0                   # CuPy frees the cache and tries again
            if used + size > cap:
                raise memory.OutOfMemoryError(size, used, self._limit.get(dev, 0))
        self._used[dev] = used + size
        return _Pointer(self, dev, size)

    def release(self, size, device_id=None):
        dev = runtime.current if device_id is None else device_id
        self._used[dev] = self._used.get(dev, 0) - size
        self._cached[dev] = self._cached.get(dev, 0) + size


class _OutOfMemoryError(MemoryError):
    def __init__(self, size, total, limit=0):
        msg = f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes"
        msg += f", limit set to: {limit:,} bytes)." if limit else ")."
        super().__init__(msg)


memory = types.ModuleType(__name__ + ".memory")
memory.OutOfMemoryError = _OutOfMemoryError
memory.MemoryPool = MemoryPool
sys.modules[memory.__name__] = memory
OutOfMemoryError = _OutOfMemoryError

_POOL = MemoryPool()
_PINNED = MemoryPool()
ALLOCATOR = []


def alloc(size):
    """A raw block from the current allocator, back to the pool when the last reference goes."""
    import weakref
    allocate = ALLOCATOR[-1] if ALLOCATOR and ALLOCATOR[-1] else _POOL.malloc
    block = allocate(size)
    weakref.finalize(block, _POOL.release, block.size, block.device_id)
    return block


def set_allocator(fn):
    ALLOCATOR.append(fn)


class Stream:
    null = None

    def __init__(self, null=False, non_blocking=False, priority=None):
        self.ptr = id(self)
        self.done = True

    def synchronize(self):
        pass

    def use(self):
        _STACK[-1] = self      # the stream current now (a ``with`` block restores the one before)
        return self

    @classmethod
    def from_external(cls, obj):
        s = cls()
        s.ptr = obj.__cuda_stream__()[1]
        return s

    def wait_event(self, e):
        pass

    def __enter__(self):
        _STACK.append(self)
        return self

    def __exit__(self, *exc):
        _STACK.pop()


Stream.null = Stream(null=True)
_STACK = [Stream.null]


def get_current_stream():
    return _STACK[-1]


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.done = True
        self.t = None

    def record(self, stream=None):
        import time
        self.t = time.perf_counter()

    def synchronize(self):
        pass


def get_elapsed_time(a, b):
    return (b.t - a.t) * 1000.0


_HANDLES = itertools.count(0x5000)
_CUBLAS = {}


def get_cublas_handle():
    return _CUBLAS.setdefault(runtime.current, next(_HANDLES))


nvtx = types.ModuleType(__name__ + ".nvtx")
nvtx.available = True
nvtx.MARKS = []          # what was sent to NVTX, for the tests: ("push", msg), ("pop",), ("mark", msg)
nvtx.RangePush = lambda message, id_color=-1, argb_color=None: nvtx.MARKS.append(("push", message))
nvtx.RangePop = lambda: nvtx.MARKS.append(("pop",))
nvtx.Mark = lambda message, id_color=-1, argb_color=None: nvtx.MARKS.append(("mark", message))
nvtx.RangeStart = lambda message, id_color=-1, argb_color=None: nvtx.MARKS.append(("start", message)) or len(nvtx.MARKS)
nvtx.RangeEnd = lambda range_id: nvtx.MARKS.append(("end", range_id))
sys.modules[nvtx.__name__] = nvtx

nvrtc = types.ModuleType(__name__ + ".nvrtc")
nvrtc.getSupportedArchs = lambda: (75, 80, 86, 89, 90)
sys.modules[nvrtc.__name__] = nvrtc
