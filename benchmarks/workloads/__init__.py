"""Benchmark workloads. Each module lists ``WORKLOADS``: ``Workload`` objects whose
``tensorgraft``/``numpy``/``torch`` attributes build a zero-argument callable to time (or None);
``tensorgraft_cpu`` optionally builds tensorgraft's CPU run of a device workload, for the
"how much faster than tensorgraft on CPU" line. A builder raises ``Unavailable`` (or ImportError)
when its library or device is missing: the runner prints the reason and carries on. A callable
with a ``close()`` method (helper processes, distributed.py) is closed once its workload is timed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass
class Workload:
    name: str
    description: str
    tensorgraft: Optional[Callable] = None
    numpy: Optional[Callable] = None
    torch: Optional[Callable] = None
    target: str = ""
    custom_timer: bool = False  # the callables return their own measured seconds
    tensorgraft_cpu: Optional[Callable] = None


class Unavailable(Exception):
    """The workload cannot run here (no CUDA device, say); the message says why."""
