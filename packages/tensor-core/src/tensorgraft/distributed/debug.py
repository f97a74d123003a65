"""Debugging aids of ``torch.distributed``: the debug level (``TORCH_DISTRIBUTED_DEBUG``, read by
DDP's error messages) and ``breakpoint(rank)``, a debugger on one rank while the others wait."""
from __future__ import annotations

import enum
import os
import pdb
import sys


class DebugLevel(enum.IntEnum):
    OFF = 0
    INFO = 1
    DETAIL = 2

    def __str__(self):
        return f"DebugLevel.{self.name}"


DebugLevel.__module__ = "tensorgraft.distributed"
_level = [DebugLevel.OFF]


def set_debug_level_from_env() -> None:
    """Take the level from TORCH_DISTRIBUTED_DEBUG (OFF, INFO or DETAIL; unset means OFF)."""
    value = os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper()
    if value not in DebugLevel.__members__:
        raise ValueError(f"The value of TORCH_DISTRIBUTED_DEBUG must be OFF, INFO, or DETAIL, not {value!r}")
    _level[0] = DebugLevel[value]


def set_debug_level(level) -> None:
    _level[0] = DebugLevel(level)


def get_debug_level() -> DebugLevel:
    return _level[0]


class _RankPdb(pdb.Pdb):
    """pdb reading the terminal: a launched worker's stdin is not the user's."""

    def interaction(self, *args, **kwargs):
        saved = sys.stdin
        try:
            with open("/dev/stdin") as tty:
                sys.stdin = tty
                super().interaction(*args, **kwargs)
        finally:
            sys.stdin = saved


_skipped: dict = {}


def breakpoint(rank: int = 0, skip: int = 0, timeout_s=3600) -> None:  # noqa: A001  (PyTorch's name)
    """Stop in the debugger on ``rank`` only; every other rank waits at a barrier until it
    continues. ``skip``: let the first ``skip`` calls from the same place pass."""
    from .collectives import barrier
    from .process_group import get_rank
    if skip > 0:
        caller = sys._getframe(1)
        key = (caller.f_code.co_filename, caller.f_lineno)
        _skipped[key] = _skipped.get(key, 0) + 1
        if _skipped[key] <= skip:
            return
    if get_rank() == rank:
        debugger = _RankPdb()
        debugger.message(f"\n!!! ATTENTION !!!\n\nType 'up' to get to the frame that called "
                         f"dist.breakpoint(rank={rank})\n")
        debugger.set_trace(sys._getframe(1))
    barrier()


def supports_complex(reduceOp) -> bool:  # noqa: N803  (PyTorch's argument name)
    """Whether ``reduceOp`` applies to complex tensors (SUM and AVG; not MAX, MIN, PRODUCT or the bitwise ones)."""
    from .process_group import ReduceOp
    return reduceOp not in (ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT, ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


if os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper() in DebugLevel.__members__:
    set_debug_level_from_env()  # (as PyTorch reads it at import; a bad value is reported when asked)
