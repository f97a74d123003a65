"""A training batch norm whose input is batched but whose running stats are not would write
every sample's statistics into one tensor: PyTorch refuses it before the module changes
anything (``num_batches_tracked`` included), so the check is a global forward pre-hook while a
vectorized vmap runs (after the user's own global pre-hooks, as the loop's; only when
tensorgraft.nn is loaded)."""
from __future__ import annotations

import sys
import threading

from .._vmap import _BN_NOT_BATCHED_MSG
from ._batched import BatchedTensor, here

_lock = threading.Lock()
_users = 0
_handle = None


def _refuse_unbatched_running_stats(module, args):
    if not here.levels or not getattr(module, "training", False):
        return None
    batchnorm = sys.modules.get("tensorgraft.nn.modules.batchnorm")
    if batchnorm is None or not isinstance(module, batchnorm._BatchNorm) or module.running_mean is None:
        return None
    if args and isinstance(args[0], BatchedTensor) and not (
            isinstance(module.running_mean, BatchedTensor) and isinstance(module.running_var, BatchedTensor)):
        raise RuntimeError(_BN_NOT_BATCHED_MSG)
    return None


def batch_norm_check(on: bool) -> None:
    global _users, _handle
    with _lock:
        if on:
            _users += 1
            hooks = sys.modules.get("tensorgraft.nn.modules._global_hooks")
            if _handle is None and hooks is not None and sys.modules.get("tensorgraft.nn.modules.batchnorm"):
                _handle = hooks.register_module_forward_pre_hook(_refuse_unbatched_running_stats)
        else:
            _users -= 1
            if _users == 0 and _handle is not None:
                _handle.remove()
                _handle = None
