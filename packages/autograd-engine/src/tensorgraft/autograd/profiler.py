"""``torch.autograd.profiler``: the older profiler API (``profile(enabled=True, ...)`` as a context
manager, ``record_function``), on the same recording as ``tensorgraft.profiler``."""
from __future__ import annotations

from tensorgraft.profiler import EventList, FunctionEvent, FunctionEventAvg, ProfilerActivity, kineto_available
from tensorgraft.profiler import profile as _profile
from tensorgraft.profiler import record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg", "ProfilerActivity",
           "kineto_available"]


class profile:
    """Record the ops run inside ``with profile() as prof:``; ``enabled=False`` records nothing.
    ``prof.key_averages()``, ``prof.table()``, ``prof.function_events`` and ``str(prof)`` give
    what PyTorch's do."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None, **kwargs):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self._session = None
        self.function_events = None

    def __enter__(self):
        if not self.enabled:
            return None  # (as PyTorch's: ``with profile(enabled=False) as p`` binds None)
        self._session = _profile(record_shapes=self.record_shapes, profile_memory=self.profile_memory)
        self._session.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self._session is not None:
            self._session.stop()
            self.function_events = self._session.events()
        return False

    def _events(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def events(self):
        return self._events()

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self._events().key_averages(group_by_input_shape=group_by_input_shape)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        return self._events().table(sort_by=sort_by, row_limit=row_limit, max_name_column_width=max_name_column_width,
                                    max_shapes_column_width=max_shapes_column_width, header=header,
                                    top_level_events_only=top_level_events_only, time_unit=time_unit)

    def export_chrome_trace(self, path):
        return self._events().export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total

    def __str__(self):
        return self.table()

    __repr__ = object.__repr__
