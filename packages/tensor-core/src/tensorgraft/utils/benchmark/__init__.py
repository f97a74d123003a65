"""``torch.utils.benchmark``: time a statement (:class:`Timer`), get its statistics
(:class:`Measurement`) and compare many of them in one table (:class:`Compare`), as the PyTorch
Benchmark tutorial does::

    import tensorgraft.utils.benchmark as benchmark
    t = benchmark.Timer(stmt="x @ x", globals={"x": x}, label="matmul", description="float32")
    print(t.blocked_autorange(min_run_time=0.2))

Only Python statements are timed (``language="python"``); C++ statements and Callgrind need a
compiler toolchain tensorgraft does not drive.
"""
from tensorgraft.utils.benchmark.utils.common import (  # noqa: F401
    Measurement,
    TaskSpec,
    ordered_unique,
    select_unit,
    set_torch_threads,
    trim_sigfig,
    unit_to_english,
)
from tensorgraft.utils.benchmark.utils.compare import Colorize, Compare  # noqa: F401
from tensorgraft.utils.benchmark.utils.timer import Language, Timer, timer  # noqa: F401

__all__ = ["Timer", "Measurement", "Compare", "TaskSpec", "Language", "Colorize", "select_unit", "unit_to_english",
           "trim_sigfig", "ordered_unique", "set_torch_threads", "timer"]
