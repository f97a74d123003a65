"""tensorgraft.utils.benchmark (torch.utils.benchmark): Measurement statistics and printing, the
Compare table layout (with injected times: nothing here depends on how fast the machine is), and
Timer's namespace, thread count and errors."""
from __future__ import annotations

import random
import re

import pytest

import tensorgraft
import tensorgraft.utils.benchmark as benchmark
from tensorgraft.utils.benchmark import Compare, Measurement, TaskSpec, Timer


def M(times, number=10, **task):
    task.setdefault("stmt", "x + y")
    task.setdefault("setup", "pass")
    return Measurement(number_per_run=number, raw_times=[t * number for t in times], task_spec=TaskSpec(**task))


def _body(m) -> list:
    return repr(m).splitlines()[1:]


def test_public_paths():
    assert benchmark.Timer is Timer and benchmark.utils.common.Measurement is Measurement
    assert repr(M([1e-6])).startswith("<torch.utils.benchmark.utils.common.Measurement object at 0x")


def test_statistics():
    m = M([1.0, 2.0, 3.0, 4.0])
    assert m.times == [1.0, 2.0, 3.0, 4.0] and m.raw_times == [10.0, 20.0, 30.0, 40.0]
    assert m.median == 2.5 and m.mean == 2.5 and m.iqr == 1.5
    assert m.has_warnings and not m.meets_confidence() and m.meets_confidence(2)
    assert M([1e-3] * 13).significant_figures == 4
    assert M([1.2345e-6] * 4).significant_figures == 1  # no spread: the clock's 25 ns bounds it
    assert M([1e-3, 1.01e-3, 1.02e-3, 1.03e-3]).significant_figures == 2


def test_single_measurement_layout():
    assert _body(M([3.7929e-4], number=100)) == [
        "x + y", "  379.29 us", "  1 measurement, 100 runs , 1 thread"]


def test_many_measurements_layout_with_labels_and_warning():
    rng = random.Random(0)
    m = M([1e-3 * (1 + rng.random() * 0.5) for _ in range(20)], number=100, label="L", sub_label="S",
          description="D", num_threads=2)
    body = _body(m)
    assert body[:2] == ["L: S", "D"]
    assert re.fullmatch(r"  Median: \d+\.\d\d ms", body[2])
    assert re.fullmatch(r"  IQR:    \d+\.\d\d ms \(\d+\.\d\d to \d+\.\d\d\)", body[3])
    assert body[4] == "  20 measurements, 100 runs per measurement, 2 threads"
    assert re.fullmatch(r"  WARNING: Interquartile range is \d+\.\d% of the median measurement\.", body[5])
    assert body[6] == "           This could indicate system fluctuation."
    assert _body(M([1e-3, 2e-3]))[-1] == "           This suggests significant environmental influence."
    assert _body(M([1e-3, 1e-3, 1e-3])) == [  # no IQR line under four measurements
        "x + y", "  Median: 1.00 ms", "  3 measurements, 10 runs per measurement, 1 thread"]


def test_multiline_statement_and_setup_blocks():
    assert _body(M([2.5e-9] * 5, stmt="a\nb = 1", sub_label="s", setup="import math")) == [
        "stmt: (s)", "  a", "  b = 1", "", "setup: import math", "  Median: 2.50 ns",
        "  IQR:    0.00 ns (2.50 to 2.50)", "  5 measurements, 10 runs per measurement, 1 thread"]
    assert _body(M([1e-6], setup="a=1\nb=2", label="L"))[:5] == ["L", "setup:", "  a=1", "  b=2", ""]
    m = M([1e-6], stmt="a\nb", sub_label="S")
    assert m.title == "stmt: (S)\n  a\n  b" and m.as_row_name == "S" and m.stmt == "a\nb"


def test_units():
    assert [benchmark.select_unit(t)[0] for t in (1e-10, 1e-9, 9.99e-7, 1e-6, 1e-3, 0.5, 2.0, 5000.0)] == \
        ["s", "ns", "ns", "us", "ms", "ms", "s", "s"]
    assert benchmark.unit_to_english("us") == "microsecond"
    assert benchmark.trim_sigfig(1234.5, 2) == 1200.0


def _table(results, trim=False, colorize=None):
    c = Compare(results)
    if trim:
        c.trim_significant_figures()
    if colorize is not None:
        c.colorize(rowwise=colorize == "row")
    return str(c)


def _ops():
    out = []
    for sub, base in [("size 10", 1e-6), ("size 1000", 3.3e-5), ("size 100000", 2.2e-3)]:
        for desc, f in [("add", 1.0), ("mul", 1.3)]:
            for nt in [1, 4]:
                out.append(M([base * f / nt * (1 + 0.01 * i) for i in range(5)], label="Ops", sub_label=sub,
                             description=desc, num_threads=nt))
    return out


def test_compare_layout():
    assert _table(_ops()).split("\n") == [
        "[------------------- Ops -------------------]",
        "                   |     add     |     mul   ",
        "1 threads: ----------------------------------",
        "      size 10      |     1020.0  |     1326.0",
        "      size 1000    |    33660.0  |    43758.0",
        "      size 100000  |  2244000.0  |  2917200.0",
        "4 threads: ----------------------------------",
        "      size 10      |      255.0  |      331.5",
        "      size 1000    |     8415.0  |    10939.5",
        "      size 100000  |   561000.0  |   729300.0",
        "",
        "Times are in nanoseconds (ns).",
        ""]
    assert _table(_ops(), trim=True).split("\n")[3:6] == [
        "      size 10      |     1000  |     1000",
        "      size 1000    |    34000  |    44000",
        "      size 100000  |  2200000  |  2900000"]


def test_compare_envs_missing_cells_and_several_tables():
    res = [M([1e-6], label="L", description="d", env="LONGENV", sub_label="a"),
           M([2e-6], label="L", description="d", env="E", sub_label="bbbbbb"),
           M([2e-6], label="L", description="d", env="E", sub_label="c"),
           M([1e-6] * 4, label="W", description="d"), M([1e-6] * 4, label="W", description="e", stmt="x*y")]
    assert _table(res).split("\n") == [
        "[----------- L -----------]",
        "                     |   d ",
        "1 threads: ----------------",
        "  (E)        bbbbbb  |  2.0",
        "             c       |  2.0",
        "  (LONGENV)  a       |  1.0",
        "",
        "Times are in microseconds (us).",
        "",
        "[----------- W -----------]",
        "             |   d   |   e ",
        "1 threads: ----------------",
        "      x + y  |  1.0  |     ",
        "      x*y    |       |  1.0",
        "",
        "Times are in microseconds (us).",
        ""]


def test_compare_colors_by_ratio_to_the_best():
    fs = [1.0, 1.0999, 1.5, 2.0, 5.0]
    table = _table([M([1e-3 * f] * 3, label="L", sub_label=str(f), description="d") for f in fs], colorize="col")
    rows = table.split("\n")[3:8]
    codes = [re.match(r"(?:\x1b\[\d+m)*", r.split("|  ")[1]).group() for r in rows]
    assert codes == ["\x1b[92m\x1b[1m", "\x1b[34m\x1b[1m", "", "\x1b[2m\x1b[91m", "\x1b[31m\x1b[1m"]
    assert rows[0].endswith("1.0\x1b[0m\x1b[0m")


def test_compare_refuses_other_objects():
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`, got <class 'int'> instead."):
        Compare([1])
    with pytest.raises(TypeError, match="object of type 'NoneType' has no len()"):
        str(Compare([M([1e-6])]))  # a column needs a description, as in PyTorch


def test_timer_namespace_threads_and_restore():
    before = tensorgraft.get_num_threads()
    seen = []
    t = Timer("seen.append(torch.get_num_threads())", globals={"seen": seen}, num_threads=2, label="L")
    m = t.timeit(5)
    assert set(seen) == {2} and tensorgraft.get_num_threads() == before
    assert m.number_per_run == 5 and len(m.raw_times) == 1 and m.label == "L" and m.num_threads == 2
    g = {"x": tensorgraft.ones(3)}
    Timer("y = x.sum()", globals=g).timeit(3)
    assert list(g) == ["x"]  # the caller's dict gets no names
    assert Timer("\n    a = 1\n    b = a + 1\n").timeit(2).stmt == "a = 1\nb = a + 1"
    calls = []
    m = Timer("pass").blocked_autorange(callback=lambda n, t: calls.append(n), min_run_time=0.01)
    assert len(calls) == len(m.times) and calls[0] == m.number_per_run
    assert len(Timer("pass").adaptive_autorange(min_run_time=0.001, max_run_time=0.2).times) >= 1
    assert tensorgraft.get_num_threads() == before


def test_timer_errors():
    with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
        Timer(lambda: 1)
    with pytest.raises(ValueError, match="Invalid language `java`."):
        Timer("x", language="java")
    with pytest.raises(SyntaxError):
        Timer("y = ").timeit(1)
    with pytest.raises(NameError, match="name 'zz' is not defined"):
        Timer("zz + 1").timeit(1)


def test_trim_sigfig_rounds_in_float32_ties_to_even():
    # 150 ns scaled from seconds is 149.99999999999997: float32 makes it 150, which rounds to 200
    assert benchmark.trim_sigfig(149.99999999999997, 1) == 200.0
    assert benchmark.trim_sigfig(250.0, 1) == 200.0 and benchmark.trim_sigfig(350.0, 1) == 400.0
    assert benchmark.trim_sigfig(0.012345, 3) == 0.012299999594688416


def test_differences_under_the_clock_resolution_color_as_the_best():
    res = [M([100e-9] * 3, label="N", sub_label="s", description="a"),
           M([199e-9] * 3, label="N", sub_label="s", description="b"),
           M([100e-9] * 3, label="N", sub_label="t", description="a"),
           M([220e-9] * 3, label="N", sub_label="t", description="b")]
    rows = _table(res, colorize="row").split("\n")[3:5]
    codes = [[re.match(r"(?:\x1b\[\d+m)*", cell).group() for cell in r.split("|  ")[1:]] for r in rows]
    assert codes == [["\x1b[92m\x1b[1m", "\x1b[92m\x1b[1m"],    # 99 ns slower: within resolution
                     ["\x1b[92m\x1b[1m", "\x1b[2m\x1b[91m"]]    # 120 ns, 2.2 times: slow
