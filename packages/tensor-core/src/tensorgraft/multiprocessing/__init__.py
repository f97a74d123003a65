"""``tensorgraft.multiprocessing`` (``import torch.multiprocessing as mp``): Python's ``multiprocessing``
with tensors that travel between processes through shared memory, as in PyTorch.

- Everything of ``multiprocessing`` is here (``Process``, ``Queue``, ``Pool``, ``get_context``,
  ``set_start_method`` ...).
- Importing this module registers the tensor reducers (``reductions.py``): a tensor put on a queue or
  passed to a spawned process is moved into shared memory and the receiver gets the same memory.
  With ``fork`` (Linux's default), a child inherits tensors already in shared memory
  (``tensor.share_memory_()``, ``module.share_memory()``): Hogwild training works as in PyTorch.
- ``spawn``/``start_processes`` (``spawn.py``) and the sharing-strategy functions. Both of PyTorch's
  strategy names are accepted; memory is always shared through file descriptors (``shared_memory.py``).
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403  (PyTorch's module re-exports all of it)

from .reductions import init_reductions
from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, SpawnContext,
                    spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn",
           "start_processes", "ProcessContext", "SpawnContext", "ProcessException", "ProcessRaisedException",
           "ProcessExitedException"]
__all__ += multiprocessing.__all__

_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Choose how tensors are shared: 'file_descriptor' or 'file_system' (both share through file
    descriptors here; the name is remembered)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:  # (PyTorch's AssertionError, raised: asserts vanish under -O)
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    return _sharing_strategy


def get_all_sharing_strategies():
    return set(_all_sharing_strategies)


init_reductions()
