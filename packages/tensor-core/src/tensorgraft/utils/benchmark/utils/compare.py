"""``Compare``: many measurements as tables, one per label, rows per sub-label (grouped by thread
count and environment), a column per description, laid out as PyTorch's ``Compare`` prints them::

    [------------------- Ops -------------------]
                       |     add     |     mul
    1 threads: ----------------------------------
          size 10      |     1020.0  |     1326.0
"""
from __future__ import annotations

import enum
import math

from tensorgraft.utils.benchmark.utils.common import (
    Measurement,
    ordered_unique,
    select_unit,
    trim_sigfig,
    unit_to_english,
)

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"

_COLUMN_SEPARATOR = "  |  "
_WARNING_FOOTER = "(! XX%) Measurement has high variance, where XX is the IQR / median * 100."


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


# times closer than this to the best count as the best: below the clock's resolution (four times
# the narrowest confidence interval a measurement claims), a ratio says nothing
_RESOLUTION = 100e-9


def _color(value: float, best: float) -> str | None:
    """The escape codes of a cell of median ``value`` whose group's fastest is ``best`` (seconds):
    the best (within 1% or the clock's resolution), close to it (within 10%), twice as slow, five
    times as slow."""
    ratio = value / best if best > 0 else 1.0
    if ratio <= 1.01 or value - best <= _RESOLUTION * (1 + 1e-9):
        return BEST + BOLD
    if ratio <= 1.1:
        return GOOD + BOLD
    if ratio >= 5:
        return VERY_BAD + BOLD
    if ratio >= 2:
        return BAD
    return None


class _Table:
    def __init__(self, label, results, colorize: Colorize, trim: bool, highlight: bool):
        self.label = label
        self.results = Measurement.merge(results)  # the same task measured twice: its times pooled
        self.colorize, self.trim, self.highlight = colorize, trim, highlight
        self.unit, self.scale = select_unit(min(r.median for r in self.results))
        self.columns = ordered_unique(r.description for r in self.results)
        # rows by thread count, then environment (a sort, as PyTorch's: None and str environments
        # in one table do not compare), in the order their sub-labels came
        keys = ordered_unique((r.num_threads, r.env, r.as_row_name) for r in self.results)
        self.rows = sorted(keys, key=lambda k: (k[0], k[1]))
        self.cells = {(r.num_threads, r.env, r.as_row_name, r.description): r for r in self.results}

    def _column_format(self, column) -> tuple:
        """(width, decimals) of the numbers of ``column``: one decimal, or with trimming the fewest
        any entry's significant figures allow; wide enough for the integer digits of the largest."""
        entries = [m for (t, e, n, d), m in self.cells.items() if d == column]
        values = [m.median / self.scale for m in entries]
        if self.trim:
            # integer digits counted as ceil(log10(v)): 1.0 counts none, so it keeps a decimal
            decimals = min(max(0, m.significant_figures - int(math.ceil(math.log10(v))))
                           for m, v in zip(entries, values))
        else:
            decimals = 1
        digits = int(math.ceil(math.log10(max(values))))
        return digits + (decimals + 1 if decimals else 0), decimals

    def render(self) -> str:
        formats = {c: self._column_format(c) for c in self.columns}
        show_env = any(env is not None for _, env, _ in self.rows)
        env_width = max((len(f"({env})") for _, env, _ in self.rows if env is not None), default=0)

        # the text of each cell, and the measurement behind it (for its color)
        names, body = [], []
        previous = None
        for threads, env, name in self.rows:
            if show_env:
                env_str = f"({env})" if (threads, env) != previous else ""
                names.append(f"  {env_str.ljust(env_width)}  {name}")
            else:
                names.append(f"      {name}")
            previous = (threads, env)
            row = []
            for column in self.columns:
                m = self.cells.get((threads, env, name, column))
                if m is None:
                    row.append(("", None))
                    continue
                width, decimals = formats[column]
                value = m.median / self.scale
                if self.trim:
                    value = trim_sigfig(value, m.significant_figures)
                text = f"{value:>{width}.{decimals}f}"
                if self.highlight:
                    text += f" (! {m.iqr / m.median * 100:.0f}%)" if m.has_warnings else " " * 7
                row.append((text, m))
            body.append(row)

        name_width = max([len(n) for n in names] + [0])
        col_widths = [max([len(c)] + [len(row[i][0]) for row in body]) for i, c in enumerate(self.columns)]
        colors = self._colors(body)

        header = "".ljust(name_width) + _COLUMN_SEPARATOR + _COLUMN_SEPARATOR.join(
            c.center(w) for c, w in zip(self.columns, col_widths))
        total = len(header)
        lines = ["[" + f" {'' if self.label is None else self.label} ".center(total - 2, "-") + "]", header]
        previous_threads = None
        for (threads, _, _), name, row, row_colors in zip(self.rows, names, body, colors):
            if threads != previous_threads:
                lines.append(f"{threads} threads: ".ljust(total, "-"))
                previous_threads = threads
            cells = []
            for (text, _), width, color in zip(row, col_widths, row_colors):
                cell = text.center(width)
                cells.append(cell if color is None else f"{color}{cell}{TERMINATE}{TERMINATE}")
            lines.append(name.ljust(name_width) + _COLUMN_SEPARATOR + _COLUMN_SEPARATOR.join(cells))
        lines += ["", f"Times are in {unit_to_english(self.unit)}s ({self.unit})."]
        if self.highlight:
            lines.append(_WARNING_FOOTER)
        lines.append("")
        return "\n".join(lines)

    def _colors(self, body) -> list:
        colors = [[None] * len(self.columns) for _ in body]
        if self.colorize is Colorize.NONE:
            return colors
        if self.colorize is Colorize.ROWWISE:
            groups = [[(i, j) for j in range(len(self.columns))] for i in range(len(body))]
        else:  # per column, within each thread count
            groups = []
            for j in range(len(self.columns)):
                by_threads: dict = {}
                for i, (threads, _, _) in enumerate(self.rows):
                    by_threads.setdefault(threads, []).append((i, j))
                groups.extend(by_threads.values())
        for group in groups:
            present = [(i, j) for i, j in group if body[i][j][1] is not None]
            if not present:
                continue
            best = min(body[i][j][1].median for i, j in present)
            for i, j in present:
                colors[i][j] = _color(body[i][j][1].median, best)
        return colors


class Compare:
    """Tables of many :class:`Measurement` s: ``Compare(results).print()``."""

    def __init__(self, results: list) -> None:
        self._results: list = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def extend_results(self, results) -> None:
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        """Print each time with only the digits its spread supports."""
        self._trim_significant_figures = True

    def colorize(self, rowwise: bool = False) -> None:
        """Color each time by how it compares with the fastest of its column (within a thread
        count), or of its row with ``rowwise=True``."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Mark the times whose IQR is large with ``(! XX%)``."""
        self._highlight_warnings = True

    def _render(self) -> list:
        groups: dict = {}
        for r in self._results:
            groups.setdefault(r.label, []).append(r)
        return [_Table(label, results, self._colorize, self._trim_significant_figures,
                       self._highlight_warnings).render() for label, results in groups.items()]

    def __str__(self) -> str:
        return "\n".join(self._render())

    def print(self) -> None:
        print(str(self))
