"""``tensorgraft.profiler`` (``torch.profiler``): time the ops a piece of code runs.

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(inputs)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

- Ops are timed at their kernels (``recording.py``): an event per op call named ``aten::<op>``, nested
  in ``record_function`` ranges. Only what runs is recorded: tensorgraft's op names and its own
  kernels (``F.linear`` is one ``aten::linear`` here, where PyTorch shows ``aten::t`` and
  ``aten::addmm`` under it), and views and shape ops that need no kernel leave no event.
- ``profile_memory`` counts the bytes of the arrays each op returns that own their memory.
- ``schedule``/``step()``/``on_trace_ready`` follow PyTorch's cycle of wait, warmup, active steps;
  ``tensorboard_trace_handler`` and ``export_chrome_trace`` write Chrome traces (JSON).
- Only CPU activity is recorded (``ProfilerActivity.CUDA`` is accepted; CUDA kernels are timed as the
  host calls that launch them).
"""
from __future__ import annotations

import enum
import gzip
import os
import socket
import time
import warnings

from ..caller_warnings import warn_once_at_caller
from . import recording as _recording
from .events import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule", "supported_activities",
           "tensorboard_trace_handler", "kineto_available", "EventList", "FunctionEvent", "FunctionEventAvg"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4  # (PyTorch's, for device activity that stopped early; never returned here)


def supported_activities():
    return {ProfilerActivity.CPU}


def kineto_available():
    """False: tensorgraft times ops itself (PyTorch's profiler backend, Kineto, is not used)."""
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0):
    """The action for each step number: after ``skip_first`` steps, cycles of ``wait`` idle steps,
    ``warmup`` steps and ``active`` recorded steps (the last one saves the trace), ``repeat`` times
    (0: until the profile ends). ``skip_first_wait`` drops the first cycle's wait."""
    if warmup < 0 or active <= 0 or wait < 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError("Invalid step number")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step // num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _default_schedule(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` that writes each trace to ``dir_name/<worker>.<time>.pt.trace.json[.gz]``
    (TensorBoard's profiler plugin reads that layout)."""
    def handler_fn(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json"
        path = os.path.join(dir_name, name)
        prof.export_chrome_trace(path)
        if use_gzip:
            with open(path, "rb") as f_in, gzip.open(path + ".gz", "wb") as f_out:
                f_out.write(f_in.read())
            os.remove(path)
    return handler_fn


class profile:
    """Record the ops run between ``start()`` and ``stop()`` (or inside ``with``)."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 custom_trace_id_callback=None, use_cuda=None):
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule if schedule is not None else _default_schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self._events = []
        self._ids = set()
        self._t0 = time.perf_counter_ns()
        self._started = False
        self._uses_schedule = schedule is not None
        self._step_frame = None  # the open "ProfilerStep#N" range (with a schedule)

    def _us(self, ns):
        return (ns - self._t0) / 1000.0

    # -- the cycle -----------------------------------------------------------------------------
    def start(self):
        self._started = True
        self._t0 = time.perf_counter_ns()
        _recording.session_started(self)
        self._enter_action(self.current_action)
        self._open_step()

    def stop(self):
        if not self._started:
            return
        self._started = False
        recorded = self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        self._close_step()
        _recording.session_stopped(self)
        if recorded and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self):
        """Tell the profiler a step (an iteration) ended: the schedule decides what the next one does."""
        previous = self.current_action
        self._close_step()
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous == ProfilerAction.RECORD_AND_SAVE or (
                previous == ProfilerAction.RECORD and self.current_action in (ProfilerAction.NONE,
                                                                              ProfilerAction.WARMUP)):
            _recording.set_recording(self, False)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        self._enter_action(self.current_action)
        self._open_step()

    def _open_step(self):
        # with a schedule, each step is a range holding that step's ops
        if self._uses_schedule and _is_recording(self):
            # (PyTorch's events and tables show every step as "ProfilerStep*")
            self._step_frame = _recording.open_interval("ProfilerStep*", user_annotation=True)

    def _close_step(self):
        frame, self._step_frame = self._step_frame, None
        if frame is not None:
            _recording.close_interval(frame)

    def _enter_action(self, action):
        recording = action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if action == ProfilerAction.WARMUP or (recording and not _is_recording(self)):
            if not self.acc_events and self._events and action != ProfilerAction.RECORD_AND_SAVE:
                # once per process, as PyTorch's (the project's shared once-per-message warning)
                warn_once_at_caller("Warning: Profiler clears events at the end of each cycle. Only events from "
                                    "the current cycle will be reported. To keep events across cycles, set "
                                    "acc_events=True.")
                self._events, self._ids = [], set()  # a new cycle starts from nothing
        _recording.set_recording(self, recording)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.stop()

    # -- what was recorded --------------------------------------------------------------------------
    def events(self):
        return EventList(self._events, profile_memory=self.profile_memory)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self.events().key_averages(group_by_input_shape=group_by_input_shape)

    def export_chrome_trace(self, path):
        return self.events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Stacks are not recorded (``with_stack`` is accepted and ignored): the file lists each
        event's name and ``metric`` (integer microseconds) as ``name value`` lines."""
        with open(path, "w") as f:
            for e in self._events:
                f.write(f"{e.name} {int(getattr(e, metric))}\n")


def _is_recording(session):
    return session in _recording._recording


class record_function:
    """A named range in the profile (context manager or decorator); the ops inside it are its
    children in the table."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._frame = None

    def __enter__(self):
        if _recording._recording:
            self._frame = _recording.open_interval(self.name, user_annotation=True)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self._frame is not None:
            frame, self._frame = self._frame, None
            _recording.close_interval(frame)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapped
