"""``tensorgraft.nn.attention``: choosing the scaled-dot-product-attention backend, as ``torch.nn.attention``.

PyTorch has several kernels behind ``F.scaled_dot_product_attention`` and lets a block of code restrict
which may run. tensorgraft has one implementation (the plain "math" formulation, written against the
array namespace so it serves NumPy and CuPy alike). It stands in for every backend PyTorch would run
for the same tensor, so code written for PyTorch behaves the same:

* on CPU, PyTorch runs attention when MATH or FLASH_ATTENTION (its CPU flash kernel) is enabled;
* on CUDA, also when EFFICIENT_ATTENTION or CUDNN_ATTENTION is;
* with none of those enabled (an empty list, ERROR, OVERRIDEABLE alone), the call fails as in PyTorch.
"""
from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.Enum):
    """The attention kernels PyTorch knows; ``ERROR`` is the "none chosen" value."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    __index__ = __int__


# PyTorch lists the enabled backends in this order unless a priority was set
_DEFAULT_ORDER = (SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                  SDPBackend.MATH, SDPBackend.OVERRIDEABLE)

# the backends that may run PyTorch's attention, per device type (see the module docstring)
_RUNS_ON = {
    "cpu": frozenset({SDPBackend.MATH, SDPBackend.FLASH_ATTENTION}),
    "cuda": frozenset({SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                       SDPBackend.CUDNN_ATTENTION}),
}


class _State:
    """What ``F.scaled_dot_product_attention`` consults: a tuple swapped whole, so reading it is one lookup
    (and the unrestricted default is recognised by identity)."""

    enabled = _DEFAULT_ORDER


state = _State()


def _cur_sdpa_kernel_backends():
    """The enabled backends, in PyTorch's fixed order (a copy)."""
    return list(state.enabled)


def check_backend_available(device_type):
    """Raise PyTorch's error when no enabled backend can run attention on ``device_type``."""
    usable = _RUNS_ON.get(device_type, _RUNS_ON["cuda"])
    if not any(b in usable for b in state.enabled):
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Within the block, only ``backends`` (one ``SDPBackend`` or a list) may run scaled dot product attention.

    ``set_priority=True`` asks PyTorch to try the listed kernels in that order; with one implementation
    there is nothing to order, so it is accepted and has no effect (PyTorch, too, reports the enabled
    backends in its fixed order either way). Entries that are not backends are ignored, as in PyTorch;
    the previous selection comes back on exit.
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(backends).__name__}")
    chosen = [backends] if isinstance(backends, SDPBackend) else backends
    wanted = []
    for b in chosen:
        if isinstance(b, SDPBackend) and b is not SDPBackend.ERROR and b not in wanted:
            wanted.append(b)
    wanted = [b for b in _DEFAULT_ORDER if b in wanted]
    saved = state.enabled
    state.enabled = tuple(wanted)
    try:
        yield {}
    finally:
        state.enabled = saved
