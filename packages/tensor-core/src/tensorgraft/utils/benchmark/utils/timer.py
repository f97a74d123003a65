"""``Timer``: run a Python statement many times and return a :class:`Measurement`."""
from __future__ import annotations

import enum
import textwrap
import timeit
from typing import Any, Callable

from tensorgraft.utils.benchmark.utils.common import Measurement, TaskSpec, set_torch_threads

__all__ = ["Timer", "timer", "Language"]


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def timer() -> float:
    """The clock a :class:`Timer` reads by default (``timeit.default_timer``)."""
    return timeit.default_timer()


# the first block of autorange loops runs this long at least, so one block is not just clock noise
_MIN_BLOCK_TIME = 1e-4


class Timer:
    """Time ``stmt`` after running ``setup``, with ``num_threads`` intra-op threads.

    ``globals`` is the namespace ``stmt`` and ``setup`` run in (a copy: the statements do not add
    names to the caller's dict); ``torch`` is in it unless ``globals`` names it, as in PyTorch,
    where ``Timer("torch.ones(8)")`` needs no globals. ``label``, ``sub_label``, ``description`` and
    ``env`` only label the results (a :class:`Compare` table groups and sorts by them).
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "", timer: Callable = timer,
                 globals: dict | None = None, label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None, num_threads: int = 1,
                 language: Language | str = Language.PYTHON) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if isinstance(language, str):
            names = {"py": Language.PYTHON, "python": Language.PYTHON, "c++": Language.CPP, "cpp": Language.CPP}
            if language not in names:
                raise ValueError(f"Invalid language `{language}`.")
            language = names[language]
        if language is not Language.PYTHON:
            # C++ statements need a compiler toolchain and PyTorch's C++ headers to build against
            raise ValueError("tensorgraft.utils.benchmark.Timer times Python statements only (language='python').")
        self._globals = dict(globals or {})
        if "torch" not in self._globals:
            import tensorgraft
            self._globals["torch"] = tensorgraft
        # statements written as indented triple-quoted blocks run as written at the left margin
        stmt = textwrap.dedent(stmt).strip()
        setup = textwrap.dedent(setup).strip()
        self._language = language
        self._timer = timer
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)
        # compiles now, so a syntax error shows at construction time as timeit's does
        self._timeit_timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)

    def _timeit(self, number: int) -> float:
        # at least one run: a block of zero runs would measure nothing and divide by zero
        return self._timeit_timer.timeit(max(int(number), 1))

    def timeit(self, number: int = 1000000) -> Measurement:
        """One measurement of ``number`` runs (after a short warm-up)."""
        with set_torch_threads(self._task_spec.num_threads):
            self._timeit(max(int(number // 100), 2))
            return Measurement(number_per_run=number, raw_times=[self._timeit(number)], task_spec=self._task_spec)

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Runs per block: grown tenfold until a block takes a measurable time."""
        block_time = min(min_run_time / 10, _MIN_BLOCK_TIME) if min_run_time > 0 else _MIN_BLOCK_TIME
        number = 1
        while self._timeit(number) < block_time and number < 10 ** 9:
            number *= 10
        return number

    def _threaded_measurement_loop(self, number: int, stop: Callable[[list], bool], min_run_time: float,
                                   max_run_time: float | None = None, callback=None) -> list:
        times: list = []
        total = 0.0
        while True:
            t = self._timeit(number)
            total += t
            times.append(t)
            if callback is not None:
                callback(number, t)
            if total >= min_run_time and stop(times):
                break
            if max_run_time is not None and total >= max_run_time:
                break
        return times

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Blocks of many runs each (enough that a block is well above the clock's resolution)
        until ``min_run_time`` seconds have passed; ``callback(number, time)`` after each block."""
        with set_torch_threads(self._task_spec.num_threads):
            number = self._estimate_block_size(min_run_time)
            times = self._threaded_measurement_loop(number, lambda times: True, min_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0,
                           callback: Callable[[int, float], Any] | None = None) -> Measurement:
        """Blocks until the measurements' IQR is below ``threshold`` of their median (and at least
        ``min_run_time`` seconds have passed), or until ``max_run_time`` seconds."""
        def confident(times):
            if len(times) < 3:
                return False
            m = Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)
            return m.meets_confidence(threshold)

        with set_torch_threads(self._task_spec.num_threads):
            number = self._estimate_block_size(min_run_time)
            times = self._threaded_measurement_loop(number, confident, min_run_time, max_run_time, callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)
