"""``torch.jit``'s fusion switches: accepted and remembered, with PyTorch's argument checks, and
without effect (tensorgraft compiles nothing that could be fused)."""
from __future__ import annotations

import contextlib
import warnings

_onednn_fusion = False
_DEFAULT_FUSION_STRATEGY = [("STATIC", 2), ("DYNAMIC", 10)]
_fusion_strategy = list(_DEFAULT_FUSION_STRATEGY)
_FUSERS = ("fuser0", "fuser1", "fuser2", "fuser3", "none")


def enable_onednn_fusion(enabled: bool) -> None:
    """Remembered for ``onednn_fusion_enabled``; tensorgraft has no oneDNN to fuse with."""
    global _onednn_fusion
    _onednn_fusion = bool(enabled)


def onednn_fusion_enabled() -> bool:
    return _onednn_fusion


def set_fusion_strategy(strategy):
    """Checks and remembers the strategy; returns the previous one, as PyTorch does."""
    global _fusion_strategy
    for kind, _depth in strategy:
        if kind not in ("STATIC", "DYNAMIC"):
            raise ValueError(f"FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: {kind}")
    previous, _fusion_strategy = _fusion_strategy, list(strategy)
    return previous


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def fuser(name):
    if name not in _FUSERS:
        raise Exception(f"unrecognized fuser option (name: {name})")  # noqa: TRY002 - PyTorch raises Exception
    yield


class strict_fusion:  # noqa: N801 - PyTorch's name
    """Asserts fusion inside TorchScript; in eager code PyTorch warns that it has no effect, as here."""

    def __init__(self):
        warnings.warn("Only works in script mode", UserWarning, stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
