"""tensorgraft.profiler: op events, record_function nesting, key averages, PyTorch's table layout,
schedules and trace export; the kernels are back in place when no profile runs."""
import json
import warnings

import pytest

import tensorgraft as tg
from tensorgraft.profiler import (EventList, FunctionEvent, ProfilerAction, ProfilerActivity, profile,
                                  record_function, schedule, tensorboard_trace_handler)
from tensorgraft.registry import registry


def _kernels():
    return {(name, dev): k for name, op in registry.ops.items() for dev, k in op.table.items()}


def test_ops_and_ranges_are_recorded_and_nested():
    x = tg.ones(4, 4)
    before = _kernels()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("block"):
            y = (x @ x).sum()
        (x + 1).exp()
    assert y.item() == 64.0
    after = _kernels()
    assert all(after[key] is kernel for key, kernel in before.items())  # every kernel restored
    names = [e.name for e in prof.events()]
    assert names == ["aten::matmul", "aten::sum", "block", "aten::add", "aten::exp"]
    block = prof.events()[2]
    assert [c.name for c in block.cpu_children] == ["aten::matmul", "aten::sum"]
    assert block.cpu_children[0].cpu_parent is block
    assert block.self_cpu_time_total == pytest.approx(
        block.cpu_time_total - sum(c.cpu_time_total for c in block.cpu_children))
    assert prof.events()[0].input_shapes == [[4, 4], [4, 4]]
    assert all(e.start_us <= e.end_us for e in prof.events())


def test_key_averages_and_group_by_input_shape():
    with profile(record_shapes=True) as prof:
        for n in (2, 2, 3):
            tg.ones(n).exp()
    averages = prof.key_averages()
    exp = [a for a in averages if a.key == "aten::exp"][0]
    assert exp.count == 3 and exp.input_shapes is None
    assert exp.cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in prof.events() if e.name == "aten::exp"))
    by_shape = {(a.key, str(a.input_shapes)): a.count for a in prof.key_averages(group_by_input_shape=True)}
    assert by_shape[("aten::exp", "[[2]]")] == 2 and by_shape[("aten::exp", "[[3]]")] == 1


def _events():
    """Hand-made events with known times: a range of 2 ms holding two ops."""
    outer = FunctionEvent(1, "model_inference", 1, 0.0, 2000.0, [], 2048)
    a = FunctionEvent(2, "aten::addmm", 1, 100.0, 700.0, [[8, 4], [4, 2]], 1024)
    b = FunctionEvent(3, "aten::relu", 1, 800.0, 850.0, [[8, 2]], 1024)
    outer.append_cpu_child(a)
    outer.append_cpu_child(b)
    return EventList([outer, a, b], profile_memory=False)


def test_table_layout_is_pytorchs():
    table = _events().key_averages().table(sort_by="cpu_time_total", row_limit=10)
    line = "-" * 19 + "  " + ("-" * 12 + "  ") * 6
    assert table.splitlines() == [
        line,
        "               Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls  ",
        line,
        "    model_inference        67.50%       1.350ms       100.00%       2.000ms       2.000ms             1  ",
        "        aten::addmm        30.00%     600.000us        30.00%     600.000us     600.000us             1  ",
        "         aten::relu         2.50%      50.000us         2.50%      50.000us      50.000us             1  ",
        line,
        "Self CPU time total: 2.000ms",
    ]


def test_table_options():
    events = _events()
    short = events.key_averages().table(sort_by="self_cpu_time_total", row_limit=1, max_name_column_width=10,
                                        header="HEADER")
    lines = short.splitlines()
    assert lines[0] == "=" * (len(lines[2]) - 2) and lines[1] == "HEADER"  # PyTorch's "=" line is 2 shorter
    assert lines[5].startswith("model_i...")
    shaped = events.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in shaped.splitlines()[1] and "[[8, 4], [4, 2]]" in shaped
    memory = EventList(events, profile_memory=True).key_averages().table()
    assert "CPU Mem  Self CPU Mem" in memory and "2.00 KB" in memory and "0 B" in memory
    with pytest.raises(AttributeError):
        events.key_averages().table(sort_by="bogus")


def test_profile_memory_counts_returned_arrays():
    with profile(profile_memory=True) as prof:
        tg.ones(256, dtype=tg.float32).exp()
    exp = [e for e in prof.events() if e.name == "aten::exp"][0]
    assert exp.cpu_memory_usage == 1024


def test_schedule_actions():
    s = schedule(wait=1, warmup=1, active=2, repeat=1)
    assert [s(i) for i in range(6)] == [ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
                                        ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE, ProfilerAction.NONE]
    s = schedule(wait=0, warmup=1, active=1, skip_first=2)
    assert [s(i).name for i in range(6)] == ["NONE", "NONE", "WARMUP", "RECORD_AND_SAVE", "WARMUP",
                                             "RECORD_AND_SAVE"]


def test_schedule_cycles_call_on_trace_ready():
    seen = []
    x = tg.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "Profiler clears events" warning of the second cycle
        with profile(schedule=schedule(wait=1, warmup=1, active=2),
                     on_trace_ready=lambda p: seen.append((p.step_num, sorted({e.name for e in p.events()})))) as p:
            for _ in range(6):
                x.exp()
                p.step()
    assert seen == [(4, ["ProfilerStep*", "aten::exp"]), (6, ["ProfilerStep*"])]


def test_exception_inside_restores_kernels_and_nested_profiles():
    before = _kernels()
    with pytest.raises(ZeroDivisionError):
        with profile():
            with profile() as inner:
                tg.ones(2).exp()
                raise ZeroDivisionError
    assert [e.name for e in inner.events()] == ["aten::exp"]
    assert all(_kernels()[key] is kernel for key, kernel in before.items())


def test_record_function_outside_a_profile_and_as_decorator():
    with record_function("nothing recorded"):
        tg.ones(2).exp()

    @record_function("decorated")
    def work(t):
        return t.exp()
    with profile() as prof:
        work(tg.ones(2))
    assert [e.name for e in prof.events()] == ["aten::exp", "decorated"]


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    with profile() as prof:
        tg.ones(2).exp()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    (event,) = trace["traceEvents"]
    assert event["ph"] == "X" and event["name"] == "aten::exp" and event["dur"] >= 0
    handler = tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w0", use_gzip=True)
    handler(prof)
    (written,) = (tmp_path / "tb").iterdir()
    assert written.name.startswith("w0.") and written.name.endswith(".pt.trace.json.gz")


def test_legacy_autograd_profiler():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.ones(3, requires_grad=True)
    with tg.autograd.profiler.profile() as prof:
        x.exp().sum().backward()
    assert "aten::exp" in {e.key for e in prof.key_averages()}
    assert str(prof).splitlines()[1].strip().startswith("Name")
    with tg.autograd.profiler.profile(enabled=False) as off:  # PyTorch's disabled profiler binds None
        x.exp()
    assert off is None
