"""tensorgraft.utils.benchmark against torch.utils.benchmark: Measurement's printed summary and
statistics, and Compare's tables (plain, trimmed, colored), for the same injected times."""
from __future__ import annotations

import importlib
import random
import re

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, run_in_both  # noqa: E402


def _bench(lib):
    return importlib.import_module(f"{lib.__name__}.utils.benchmark")


def _measure(lib, times, number=10, **task):
    b = _bench(lib)
    task.setdefault("stmt", "x + y")
    task.setdefault("setup", "pass")
    return b.Measurement(number_per_run=number, raw_times=[t * number for t in times],
                         task_spec=b.utils.common.TaskSpec(**task))


def _addressless(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "ADDR", text)


def _noisy(seed, n, base, spread):
    rng = random.Random(seed)
    return [base * (1 + spread * rng.random()) for _ in range(n)]


CASES = [
    ([3.7929e-4], dict()),
    ([3.7929e-4], dict(label="L", sub_label="S", description="D", num_threads=3)),
    ([2.5e-9] * 5, dict(stmt="a\nb = 1", sub_label="s")),
    ([1.5, 1.6, 1.7, 1.8], dict(description="d", setup="import math")),
    (_noisy(0, 20, 1e-3, 0.5), dict(label="L", sub_label="S", env="E", num_threads=2)),
    ([1e-3, 2e-3], dict(setup="a = 1\nb = 2")),
    ([1e-3] * 10 + [5e-3] * 3, dict(stmt="x\n")),
    (_noisy(1, 7, 4e-6, 0.05), dict(label="Tiny")),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_measurement_matches(index):
    times, task = CASES[index]

    def summary(lib):
        m = _measure(lib, times, **task)
        return (_addressless(repr(m)), m.median, m.mean, m.iqr, m.significant_figures, m.has_warnings,
                m.meets_confidence(), m.title, m.as_row_name, m.env)
    ours, theirs = run_in_both(summary)
    assert ours[0] == theirs[0]
    assert ours[1:4] == pytest.approx(theirs[1:4])
    assert ours[4:] == theirs[4:]


def _ops(lib):
    out = []
    for sub, base in [("size 10", 1e-6), ("size 1000", 3.3e-5), ("size 100000", 2.2e-3)]:
        for desc, f in [("add", 1.0), ("mul", 1.3)]:
            for nt in [1, 4]:
                out.append(_measure(lib, [base * f / nt * (1 + 0.01 * i) for i in range(5)], label="Ops",
                                    sub_label=sub, description=desc, num_threads=nt))
    return out


def _mixed(lib):
    return [_measure(lib, [1.23456e-6] * 5, label="A", sub_label="r1", description="c1"),
            _measure(lib, [123.456e-6] * 5, label="A", sub_label="r2", description="c1"),
            _measure(lib, [0.5e-6] * 5, label="A", sub_label="r1", description="a much longer column"),
            _measure(lib, [9.87654e-3] * 5, label="A", sub_label="r2", description="a much longer column"),
            _measure(lib, [2e-3] * 5, label="B", sub_label="only", description="c1", env="E1"),
            _measure(lib, [3e-3] * 5, label="B", sub_label="only", description="c1", env="E2"),
            _measure(lib, [1e-6], label=None, description="d"),
            _measure(lib, [1.2345e-6] * 4, label="T", sub_label="a", description="d"),
            _measure(lib, [250e-6] * 4, label="T", sub_label="b", description="d"),
            _measure(lib, [33.33e-6] * 4, label="T", sub_label="c", description="d", num_threads=2)]


def _ratios(lib):
    fs = [1.0, 1.001, 1.0999, 1.1001, 1.9999, 2.0, 4.9999, 5.0, 10]
    return [_measure(lib, [1e-3 * f] * 3, label="L", sub_label=str(f), description="d") for f in fs] + [
        _measure(lib, [2e-3 * f] * 3, label="L", sub_label=str(f), description="e") for f in fs] + [
        # nanosecond times: differences under the clock's resolution count as equal
        _measure(lib, [base + d] * 3, label="N", sub_label=str(base), description=str(d))
        for base in (100e-9, 400e-9, 3000e-9) for d in (0.0, 50e-9, 99e-9, 101e-9, 120e-9, 400e-9)]


@pytest.mark.parametrize("make", [_ops, _mixed, _ratios])
@pytest.mark.parametrize("style", ["plain", "trim", "color", "trim+color", "rowwise"])
def test_compare_matches(make, style):
    def table(lib):
        c = _bench(lib).Compare(make(lib))
        if "trim" in style:
            c.trim_significant_figures()
        if "color" in style:
            c.colorize()
        if style == "rowwise":
            c.colorize(rowwise=True)
        return str(c)
    ours, theirs = run_in_both(table)
    assert ours == theirs


def test_compare_errors_match():
    assert_same_error(lambda lib: str(_bench(lib).Compare([_measure(lib, [1e-6])])))
    assert_same_error(lambda lib: _bench(lib).Compare([1]))


def _noisy_table(lib):
    return [_measure(lib, [1e-3, 1.5e-3, 0.7e-3, 1.2e-3], label="N", sub_label="a", description="d"),
            _measure(lib, [1.1e-3] * 4, label="N", sub_label="b", description="d"),
            _measure(lib, [1e-3, 5e-3, 0.2e-3, 1.2e-3], label="N", sub_label="a", description="e"),
            _measure(lib, [2.1e-3] * 4, label="N", sub_label="b", description="e"),
            _measure(lib, [1e-6] * 4, label="Q", sub_label="b", description="e"),
            _measure(lib, [1e-6, 1.05e-6, 1.1e-6, 1.3e-6], label="Q", sub_label="c", description="e")]


@pytest.mark.parametrize("style", ["plain", "trim", "color"])
def test_highlighted_warnings_match(style):
    def table(lib):
        c = _bench(lib).Compare(_noisy_table(lib))
        c.highlight_warnings()
        if style == "trim":
            c.trim_significant_figures()
        if style == "color":
            c.colorize()
        return str(c)
    ours, theirs = run_in_both(table)
    assert ours == theirs
