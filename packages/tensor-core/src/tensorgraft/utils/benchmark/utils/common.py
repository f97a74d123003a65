"""What a benchmark ran (:class:`TaskSpec`) and what it measured (:class:`Measurement`), with the
statistics and the printed summary PyTorch's ``torch.utils.benchmark`` gives."""
from __future__ import annotations

import contextlib
import math
import textwrap
from typing import Any

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads"]

# relative IQR above which a measurement is flagged; above the second, the variation is called
# environmental rather than ordinary fluctuation
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
# timer resolution: no confidence interval is taken as narrower than this (seconds), so a
# measurement with no spread does not claim more digits than the clock gives
_MIN_CONFIDENCE_INTERVAL = 25e-9
_MAX_SIGNIFICANT_FIGURES = 4

_TASK_FIELDS = ("stmt", "setup", "global_setup", "label", "sub_label", "description", "env", "num_threads")


def _section(lines: list, text: str) -> None:
    """A block of a printed summary: a block of several lines is followed by an empty line."""
    lines.extend(text.split("\n"))
    if "\n" in text:
        lines.append("")


class TaskSpec:
    """What was timed: the statement, its setup, and the labels a :class:`Compare` table sorts by."""

    def __init__(self, stmt: str, setup: str, global_setup: str = "", label: str | None = None,
                 sub_label: str | None = None, description: str | None = None, env: str | None = None,
                 num_threads: int = 1) -> None:
        self.stmt = stmt
        self.setup = setup
        self.global_setup = global_setup
        self.label = label
        self.sub_label = sub_label
        self.description = description
        self.env = env
        self.num_threads = num_threads

    def _fields(self) -> tuple:
        return tuple(getattr(self, f) for f in _TASK_FIELDS)

    def __eq__(self, other):
        if not isinstance(other, TaskSpec):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self):  # PyTorch's class prints by its module path there
        return f"<torch.utils.benchmark.utils.common.TaskSpec object at 0x{id(self):x}>"

    @property
    def title(self) -> str:
        """The label, else the statement (a statement of several lines as an indented block), with
        the sub-label."""
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" in self.stmt:
            head = "stmt:" + (f" ({self.sub_label})" if self.sub_label else "")
            return head + "\n" + textwrap.indent(self.stmt, "  ")
        return self.stmt + (f": {self.sub_label}" if self.sub_label else "")

    def setup_str(self) -> str:
        if self.setup in ("", "pass"):
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The title, description and setup as a :class:`Measurement` prints them."""
        lines: list = []
        _section(lines, self.title)
        if self.description:
            _section(lines, self.description)
        setup = self.setup_str()
        if setup:
            _section(lines, setup)
        return "\n".join(lines)


class Measurement:
    """The times of a benchmark: ``raw_times`` holds each measurement's total over
    ``number_per_run`` runs of the statement; ``times`` the time per run. ``median``, ``mean``,
    ``iqr`` and ``significant_figures`` summarize them; the task's fields (``stmt``, ``label``...)
    read through."""

    def __init__(self, number_per_run: int, raw_times: list, task_spec: TaskSpec, metadata: dict | None = None) -> None:
        self.number_per_run = number_per_run
        self.raw_times = raw_times
        self.task_spec = task_spec
        self.metadata = metadata
        self._stats = None

    def __getattr__(self, name: str) -> Any:
        # stmt, label, sub_label, description... are the task's (only the fields: anything else
        # is an ordinary missing attribute)
        if name in _TASK_FIELDS:
            return getattr(self.__dict__["task_spec"], name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_stats"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._stats = None

    # -- statistics -----------------------------------------------------------------------------

    def _lazy_init(self) -> tuple:
        if self._stats is None:
            times = np.asarray(self.times, dtype=np.float64)
            if times.size == 0:
                raise ValueError("Measurement has no times: it needs at least one measurement")
            q25, median, q75 = (float(v) for v in np.quantile(times, [0.25, 0.5, 0.75]))
            self._stats = (median, float(times.mean()), q25, q75)
        return self._stats

    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        return self._lazy_init()[0]

    @property
    def mean(self) -> float:
        return self._lazy_init()[1]

    @property
    def iqr(self) -> float:
        _, _, q25, q75 = self._lazy_init()
        return q75 - q25

    @property
    def significant_figures(self) -> int:
        """How many digits of the median the spread supports (1 to 4): the median over a 90%
        confidence interval of the central half of the times, never narrower than the clock."""
        times = sorted(self.times)
        n = len(times)
        middle = times[n // 4:int(math.ceil(3 * n / 4))]
        std = float(np.std(middle))
        interval = max(1.645 * std / math.sqrt(len(middle)), _MIN_CONFIDENCE_INTERVAL)
        digits = int(math.floor(math.log10(self.median / interval)))
        return min(max(digits, 1), _MAX_SIGNIFICANT_FIGURES)

    def _relative_iqr(self) -> float:
        return self.iqr / self.median if self.median else 0.0

    @property
    def has_warnings(self) -> bool:
        return self._relative_iqr() > _IQR_WARN_THRESHOLD

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self._relative_iqr() < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str | None:
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    # -- printing -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        median, _, q25, q75 = self._lazy_init()
        unit, scale = select_unit(median)
        n = len(self.times)
        threads = f"{self.num_threads} thread" + ("s" if self.num_threads != 1 else "")
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at 0x{id(self):x}>",
                 self.task_spec.summarize()]
        if n == 1:
            lines.append(f"  {median / scale:.2f} {unit}")
            lines.append(f"  1 measurement, {self.number_per_run} runs , {threads}")
        else:
            lines.append(f"  Median: {median / scale:.2f} {unit}")
            if n >= 4:  # quartiles of fewer than four times say nothing
                lines.append(f"  IQR:    {(q75 - q25) / scale:.2f} {unit} ({q25 / scale:.2f} to {q75 / scale:.2f})")
            lines.append(f"  {n} measurements, {self.number_per_run} runs per measurement, {threads}")
        if self.has_warnings:
            rel = self._relative_iqr()
            why = ("This suggests significant environmental influence." if rel >= _IQR_GROSS_WARN_THRESHOLD
                   else "This could indicate system fluctuation.")
            lines.append(f"  WARNING: Interquartile range is {rel * 100:.1f}% of the median measurement.")
            lines.append(f"           {why}")
        return "\n".join(lines)

    __str__ = __repr__

    @staticmethod
    def merge(measurements) -> list:
        """One measurement per task among ``measurements``: the times of the same task pooled, as
        times per run (``number_per_run`` 1)."""
        grouped: dict = {}
        for m in measurements:
            grouped.setdefault(m.task_spec, []).extend(m.times)
        return [Measurement(number_per_run=1, raw_times=times, task_spec=spec, metadata=None)
                for spec, times in grouped.items()]


_UNITS = {-3: "ns", -2: "us", -1: "ms", 0: "s"}
_ENGLISH = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}


def select_unit(t: float) -> tuple:
    """The unit to print the time ``t`` (seconds) in, and its size in seconds: ``("us", 1e-6)``.
    Beyond nanoseconds and seconds, seconds."""
    exponent = int(math.log10(t) // 3) if t > 0 else 0
    unit = _UNITS.get(exponent, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return _ENGLISH[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures, ties to even, computed in float32 as PyTorch's
    is: ``trim_sigfig(0.012345, 3)`` is 0.012299999594688416, and 149.99999999999997 (150 ns
    scaled from seconds) rounds as 150 does, to 200."""
    x = float(np.float32(x))
    if x == 0:
        return 0.0
    magnitude = int(math.floor(math.log10(abs(x))))
    return float(np.float32(round(x, n - 1 - magnitude)))


def ordered_unique(elements) -> list:
    """The distinct elements in their first order."""
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int):
    """Run the block with ``n`` intra-op threads, then restore the previous count."""
    import tensorgraft
    prior = tensorgraft.get_num_threads()
    try:
        tensorgraft.set_num_threads(n)
        yield
    finally:
        tensorgraft.set_num_threads(prior)
