"""Benchmark workloads. Each module lists ``WORKLOADS``: ``Workload`` objects whose
``tensorgraft``/``numpy``/``torch`` attributes build a zero-argument callable to time (or None)."""
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
