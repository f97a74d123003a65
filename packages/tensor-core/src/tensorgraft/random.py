"""Random number generation: ``Generator``, ``manual_seed`` and the default CPU generator.

Streams come from NumPy's PCG64, so sequences differ from PyTorch's (the framework's numerics
are PyTorch's; its random bits are its own). Seeding is deterministic: the same seed gives the
same tensors on every run and platform.
"""
from __future__ import annotations

import numpy as np

from .device import device as _device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default_generator initial seed


class Generator:
    """``tensorgraft.Generator(device='cpu')`` with ``manual_seed``, ``seed``, ``initial_seed``,
    ``get_state``/``set_state``."""

    def __init__(self, device="cpu"):
        self.device = _device(device)
        self._seed = _DEFAULT_SEED
        self._stream = None

    @property
    def _np(self):
        """The NumPy stream, built on first use: ``numpy.random`` takes ~8 ms to import, which
        ``import tensorgraft`` (creating the default generator) should not pay."""
        if self._stream is None:
            self._stream = np.random.Generator(np.random.PCG64(self._seed))
        return self._stream

    def manual_seed(self, seed) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._stream = None  # restarts from ``seed`` on next use
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from .ops.creation import tensor
        import json
        raw = json.dumps(self._np.bit_generator.state).encode()
        return tensor(list(raw), dtype=_uint8())

    def set_state(self, new_state) -> "Generator":
        import json
        raw = bytes(int(v) for v in new_state.tolist())
        self._np.bit_generator.state = json.loads(raw.decode())
        return self

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"


def _uint8():
    from .dtypes import uint8
    return uint8


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator of every device (CPU here; device plugins hook in)."""
    default_generator.manual_seed(seed)
    from .device import backends
    for b in backends().values():
        hook = getattr(b, "manual_seed_all", None)
        if hook is not None:
            hook(int(seed))
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def numpy_generator(generator) -> np.random.Generator:
    return (generator or default_generator)._np
