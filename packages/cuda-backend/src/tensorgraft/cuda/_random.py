"""The random stream of a CUDA generator: draws are made on the device, by cuRAND through CuPy.

PyTorch's CUDA generators are counter-based (Philox keyed by the seed, plus an offset that each
kernel advances), so their state is 16 bytes and any device can draw from any generator. Ours work
the same way with CuPy's public API: draw ``n`` of a generator seeded ``s`` comes from cuRAND's
Philox4x32-10 (``cupy.random.RandomState(method=161)``, one per device, reseeded before every
draw: cheap for Philox) keyed by a hash of ``(s, n)``. The state is ``(s, n)``; the same seed gives
the same numbers on every CUDA device, different ones from the CPU's PCG64 (as in PyTorch).
"""
from __future__ import annotations

import hashlib
import threading

import numpy as np

from ._backend import BACKEND

_LOCK = threading.Lock()  # reseed-then-draw of a device's shared engine is one step


def _key(seed: int, n: int) -> np.uint64:
    digest = hashlib.blake2b(seed.to_bytes(8, "little") + n.to_bytes(8, "little"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _shape(size) -> tuple:
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


class CUDARandomStream:
    """What ``tensorgraft.Generator(device='cuda:i')`` draws from (``DeviceBackend.new_random_stream``):
    the ``numpy.random.Generator`` methods tensorgraft's samplers call, returning CuPy arrays on
    device ``index``; ``dtype=`` is the floating precision to draw in (float32 or float64)."""

    on_device = True
    __slots__ = ("index", "_state")

    def __init__(self, seed: int, index: int, state=None):
        self.index = index
        self._state = [int(seed), 0] if state is None else state  # [seed, draws made]

    def at(self, index: int) -> "CUDARandomStream":
        """The same stream drawing on device ``index`` (a generator of one GPU used for another's tensor)."""
        return CUDARandomStream(0, index, self._state)

    def get_state(self) -> bytes:
        seed, n = self._state
        return seed.to_bytes(8, "little") + n.to_bytes(8, "little")

    def set_state(self, data: bytes) -> None:
        if len(data) != 16:
            raise RuntimeError("RNG state is wrong size")
        self._state[0] = int.from_bytes(data[:8], "little")
        self._state[1] = int.from_bytes(data[8:], "little")

    def _next_engine(self):
        """The device's engine keyed for this stream's next draw (under ``_LOCK``, device current)."""
        seed, n = self._state
        self._state[1] = n + 1
        engine = BACKEND.random_engine(self.index)
        engine.seed(_key(seed, n))
        return engine

    def _draw(self, method: str, size, *args, **kw):
        cp = BACKEND.cupy()
        size = _shape(size)
        BACKEND.work_on(self.index)  # draws land on the stream's GPU, and what follows works there
        if 0 in size:  # nothing to draw: cuRAND is not called, the stream does not advance
            return cp.empty(size, kw.get("dtype", np.float64))
        with _LOCK:
            return getattr(self._next_engine(), method)(*args, size=size, **kw)

    # -- the samplers' calls (numpy.random.Generator's names) ------------------------------------
    def random(self, size=None, dtype=np.float64):
        return self._draw("random_sample", size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        return self._draw("standard_normal", size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):
        return self._draw("normal", size, loc, scale, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return self._draw("uniform", size, low, high, dtype=dtype)

    def exponential(self, scale=1.0, size=None, dtype=np.float64):
        # CuPy's exponential() checks ``scale < 0`` on the device (a sync); the caller checked it
        x = self._draw("standard_exponential", size, dtype=dtype)
        x *= scale
        return x

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=np.float64):
        return self._draw("lognormal", size, mean, sigma, dtype=dtype)

    def standard_cauchy(self, size=None, dtype=np.float64):
        return self._draw("standard_cauchy", size, dtype=dtype)

    def geometric(self, p, size=None, dtype=np.int64):
        return self._draw("geometric", size, p, dtype=dtype)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        return self._draw("randint", size, int(low), int(high) + bool(endpoint), dtype=dtype)

    def permutation(self, n):
        n = int(n)
        cp = BACKEND.cupy()
        BACKEND.work_on(self.index)
        if n == 0:
            return cp.empty((0,), np.int64)
        with _LOCK:
            return self._next_engine().permutation(n)
