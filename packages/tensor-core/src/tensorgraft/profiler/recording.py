"""How ops are timed while a profiler records, at no cost otherwise.

Every op's frontend looks its kernel up in ``OpDef.table`` (device type -> kernel) on each call.
While at least one ``profile`` is active, each table entry is replaced by a wrapper that times the
kernel and records an ``aten::<op>`` event; when the last profile stops, the original kernels go
back. Nothing is checked per op when no profiler runs (no hook, no flag on the hot path).

Events nest: a kernel called inside a ``record_function`` range (or inside another timed kernel)
becomes that interval's child, so self times exclude children as in PyTorch's tables."""
from __future__ import annotations

import threading
import time

from .events import FunctionEvent

_lock = threading.Lock()
_sessions = []        # profiles that are started (installed wrappers stay while any is)
_recording = []       # the started profiles currently in a recording phase of their schedule
_stack = []           # open intervals: [name, start_ns, shapes, children, memory, user_annotation]
_next_id = [0]
_installed = {}       # (op name, device type) -> the original kernel


def _shapes(args):
    return [list(a.shape) if hasattr(a, "shape") and hasattr(a, "dtype") else [] for a in args]


def _allocated(result):
    """Bytes of the arrays an op returned that own their memory (views allocate nothing)."""
    if isinstance(result, (tuple, list)):
        return sum(_allocated(r) for r in result)
    if hasattr(result, "nbytes") and getattr(result, "base", 0) is None:
        return int(result.nbytes)
    return 0


def open_interval(name, args=(), user_annotation=False):
    frame = [name, time.perf_counter_ns(), _shapes(args) if args else [], [], 0, user_annotation]
    _stack.append(frame)
    return frame


def close_interval(frame, result=None):
    end = time.perf_counter_ns()
    while _stack and _stack[-1] is not frame:  # an interval left open by an exception inside it
        _stack.pop()
    if _stack:
        _stack.pop()
    name, start, shapes, children, _, user = frame
    memory = _allocated(result) + frame[4]  # (frame[4]: what the children allocated)
    if _stack:
        _stack[-1][4] += memory
    for session in list(_recording):
        _next_id[0] += 1
        event = FunctionEvent(_next_id[0], name, threading.get_ident(), session._us(start), session._us(end),
                              shapes if session.record_shapes else [], memory if session.profile_memory else 0,
                              is_user_annotation=user)
        for child in children:
            if child in session._ids:
                event.append_cpu_child(child)
        session._events.append(event)
        session._ids.add(event)
        if _stack:
            _stack[-1][3].append(event)


def _timed(kernel, name):
    def profiled(*args, **kwargs):
        if not _recording:
            return kernel(*args, **kwargs)
        frame = open_interval(name, args)
        result = None
        try:
            result = kernel(*args, **kwargs)
            return result
        finally:
            close_interval(frame, result)
    profiled.__wrapped__ = kernel
    return profiled


def event_name(op_name):
    """PyTorch's name of an op's event: built-in ops (core's and nn's, "nn.linear") are ``aten::``
    ops; a plugin's namespaced op ("mylib.op") is ``mylib::op``, as PyTorch shows custom ops."""
    namespace, _, name = op_name.rpartition(".")
    return f"aten::{name}" if namespace in ("", "nn") else f"{namespace.replace('.', '::')}::{name}"


def install():
    """Wrap every registered op's kernels (the first session to start does it)."""
    from ..registry import registry
    for op in list(registry.ops.values()):
        for device_type, kernel in list(op.table.items()):
            if (op.name, device_type) not in _installed:
                _installed[(op.name, device_type)] = kernel
                op.table[device_type] = _timed(kernel, event_name(op.name))


def uninstall():
    from ..registry import registry
    for (name, device_type), kernel in _installed.items():
        op = registry.ops.get(name)
        if op is not None and getattr(op.table.get(device_type), "__wrapped__", None) is kernel:
            op.table[device_type] = kernel
    _installed.clear()


def session_started(session):
    with _lock:
        if not _sessions:
            install()
        _sessions.append(session)


def session_stopped(session):
    with _lock:
        if session in _recording:
            _recording.remove(session)
        if session in _sessions:
            _sessions.remove(session)
        if not _sessions:
            uninstall()


def set_recording(session, on):
    if on and session not in _recording:
        _recording.append(session)
    elif not on and session in _recording:
        _recording.remove(session)
