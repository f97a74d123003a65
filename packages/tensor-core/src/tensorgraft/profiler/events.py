"""What a profile recorded: ``FunctionEvent`` (one op call or ``record_function`` range),
``FunctionEventAvg`` (the events of one name, summed) and ``EventList`` with PyTorch's ``table()``
layout and Chrome trace export. Times are microseconds, as PyTorch's."""
from __future__ import annotations

import json
import os


class FunctionEvent:
    """One timed interval: an op's kernel (``aten::<op>``) or a user range (``record_function``).
    ``cpu_children`` are the intervals directly inside it; the self time excludes them."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, cpu_memory_usage=0,
                 is_user_annotation=False):
        self.id = id
        self.name = name
        self.thread = thread
        self.start_us = start_us
        self.end_us = end_us
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.cpu_memory_usage = cpu_memory_usage
        self.cpu_children = []
        self.cpu_parent = None
        self.is_user_annotation = is_user_annotation
        self.count = 1

    key = property(lambda self: self.name)
    cpu_time_total = property(lambda self: self.end_us - self.start_us)
    cpu_time = cpu_time_total
    device_time_total = cuda_time_total = self_device_time_total = self_cuda_time_total = property(lambda self: 0.0)

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def append_cpu_child(self, child):
        self.cpu_children.append(child)
        child.cpu_parent = self

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={_time(self.cpu_time_total)} "
                f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg:
    """The events of one key (name, and input shapes when grouped by them), added up."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.is_user_annotation = False
        self.cpu_parent = None  # (the first event's, as PyTorch's: ``top_level_events_only`` reads it)

    device_time_total = cuda_time_total = self_device_time_total = self_cuda_time_total = property(lambda self: 0.0)

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.is_user_annotation = other.is_user_annotation
            self.cpu_parent = getattr(other, "cpu_parent", None)
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    def __repr__(self):
        shapes = "" if self.input_shapes is None else str(self.input_shapes)
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_time(self.self_cpu_time_total)} "
                f"cpu_time={_time(self.cpu_time_total)} input_shapes={shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events (``profile.events()``) or of averages (``key_averages()``)."""

    def __init__(self, *args, profile_memory=False, with_shapes=False):
        super().__init__(*args)
        self._profile_memory = profile_memory
        self._with_shapes = with_shapes

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One ``FunctionEventAvg`` per name (per name and input shapes with ``group_by_input_shape``),
        in order of first appearance."""
        averages = {}
        for event in self:
            key = (event.key, str(event.input_shapes)) if group_by_input_shape else event.key
            avg = averages.get(key)
            if avg is None:
                avg = averages[key] = FunctionEventAvg()
                if group_by_input_shape:
                    avg.input_shapes = event.input_shapes
            avg.add(event)
        return EventList(averages.values(), profile_memory=self._profile_memory, with_shapes=group_by_input_shape)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """PyTorch's text table of these events, sorted (descending) by the attribute ``sort_by``."""
        return _build_table(self, sort_by=sort_by, row_limit=row_limit, max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width, header=header,
                            top_level_events_only=top_level_events_only, profile_memory=self._profile_memory,
                            with_shapes=self._with_shapes, time_unit=time_unit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (chrome://tracing, Perfetto): complete ("X") events in
        microseconds."""
        pid = os.getpid()
        trace = {"schemaVersion": 1, "displayTimeUnit": "ms", "traceName": os.fspath(path), "traceEvents": [
            {"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op", "name": e.name, "pid": pid,
             "tid": e.thread, "ts": e.start_us, "dur": e.cpu_time_total,
             "args": ({"Input Dims": e.input_shapes} if e.input_shapes else {}) | {"External id": e.id}}
            for e in self]}
        with open(path, "w") as f:
            json.dump(trace, f)


# --------------------------------------------------------------------------- the table
# PyTorch's layout (``torch/autograd/profiler_util.py``, ``_build_table``), rule for rule: people
# diff these tables and parse them, so widths, truncation and the footer follow it exactly.
_SPACING = 2
_COLUMN = 12  # every column but Name and Input Shapes


def _time(us, unit=None):
    """PyTorch's time format: three decimals in s, ms or us, whichever fits, or in ``unit`` when it
    is one of those three (another unit is ignored, as there)."""
    if unit == "s" or (unit not in ("ms", "us") and us >= 1e6):
        return f"{us / 1e6:.3f}s"
    if unit == "ms" or (unit != "us" and us >= 1e3):
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _memory(nbytes):
    for limit, suffix in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "KB")):
        if abs(nbytes) >= limit:
            return f"{nbytes * 1.0 / limit:.2f} {suffix}"
    return f"{nbytes} B"


def _percent(part, whole):
    if whole == 0:
        return "NaN"  # (PyTorch's: nothing was timed)
    return f"{part * 100.0 / whole:.2f}%"


def _build_table(events, *, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                 top_level_events_only, profile_memory, with_shapes, time_unit):
    if len(events) == 0:
        return ""
    rows = list(events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")
        rows.sort(key=lambda e: getattr(e, attr), reverse=True)
    shapes_of = [e.input_shapes if e.input_shapes is not None else "" for e in events]
    has_shapes = any(len(s) > 0 for s in shapes_of)  # (``with_shapes`` is implied by the data, as there)

    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [_COLUMN] * (len(headers) - 1)
    if has_shapes:
        shapes_width = max(len(str(s)) for s in shapes_of) + 4
        if max_shapes_column_width is not None:
            shapes_width = min(shapes_width, max_shapes_column_width)
        headers.append("Input Shapes")
        widths.append(shapes_width)

    def row(cells):
        return "".join(f"{c!s:>{w}}" + " " * _SPACING for c, w in zip(cells, widths))

    sep = "".join("-" * w + " " * _SPACING for w in widths)
    line_length = sum(w + _SPACING for w in widths) - _SPACING  # (the "=" lines: no trailing spacing)
    total_self = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [sep, row(headers), sep]
    shown = 0
    for e in rows:
        if shown == row_limit:
            break
        if top_level_events_only and getattr(e, "cpu_parent", None) is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        cells = [name, _percent(e.self_cpu_time_total, total_self), _time(e.self_cpu_time_total, time_unit),
                 _percent(e.cpu_time_total, total_self), _time(e.cpu_time_total, time_unit),
                 _time(e.cpu_time, time_unit)]
        if profile_memory:
            cells += [_memory(e.cpu_memory_usage), _memory(e.self_cpu_memory_usage)]
        cells.append(e.count)
        if has_shapes:
            cells.append(str(e.input_shapes if e.input_shapes is not None else "")[:widths[-1]])
        out.append(row(cells))
    out += [sep, f"Self CPU time total: {_time(total_self, time_unit)}", ""]
    return "\n".join(out)
