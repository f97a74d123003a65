"""``torch.backends.cudnn``. tensorgraft does not use cuDNN (its CUDA convolutions are im2col +
cuBLAS matrix products, deterministic by construction), so ``is_available()`` is False and
``version()`` None, as on a PyTorch build without cuDNN. The switches are kept so that programs
setting them (``cudnn.benchmark = True``, ``cudnn.deterministic = True``) run unchanged; none of
them changes tensorgraft's results."""
from __future__ import annotations

import contextlib

enabled = True
benchmark = False
benchmark_limit = None  # as on PyTorch builds without cuDNN
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None


def is_acceptable(tensor) -> bool:
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the switches for the block, restore them after (PyTorch's signature and defaults)."""
    g = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    old = {n: g[n] for n in names}
    g.update(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        yield
    finally:
        g.update(old)
