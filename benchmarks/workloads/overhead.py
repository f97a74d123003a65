"""Per-op overhead (issues 2 and 3): tiny tensors measure dispatch cost, 1000x1000 the kernel path,
plus ``import tensorgraft`` time."""
from __future__ import annotations

import subprocess
import sys
import time

from . import Workload


def _tg():
    import tensorgraft
    tensorgraft.set_num_threads(1)  # like torch.set_num_threads(1) above: one thread each
    return tensorgraft


def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def _binary(n, op):
    def tg():
        t = _tg()
        a, b = t.ones(n, n) if n > 1 else t.ones(1), t.ones(n, n) if n > 1 else t.ones(1)
        return lambda: op(a, b)

    def np_():
        import numpy as np
        a, b = (np.ones((n, n), np.float32), np.ones((n, n), np.float32)) if n > 1 else \
            (np.ones(1, np.float32), np.ones(1, np.float32))
        return lambda: op(a, b)

    def th():
        t = _torch()
        a, b = (t.ones(n, n), t.ones(n, n)) if n > 1 else (t.ones(1), t.ones(1))
        return lambda: op(a, b)
    return tg, np_, th


def _unary_tiny(op, shape=(1,)):
    def tg():
        t = _tg()
        a = t.ones(*shape)
        return lambda: op(a)

    def np_():
        import numpy as np
        a = np.ones(shape, np.float32)
        return lambda: op(a)

    def th():
        t = _torch()
        a = t.ones(*shape)
        return lambda: op(a)
    return tg, np_, th


def _mm_tiny():
    def tg():
        t = _tg()
        a, b = t.ones(2, 2), t.ones(2, 2)
        return lambda: a @ b

    def np_():
        import numpy as np
        a, b = np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)
        return lambda: a @ b

    def th():
        t = _torch()
        a, b = t.ones(2, 2), t.ones(2, 2)
        return lambda: a @ b
    return tg, np_, th


def _import_time(module):
    def make():
        def run():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
            return time.perf_counter() - t0
        return run
    return make


def _baseline():
    def run():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        return time.perf_counter() - t0
    return run


def _precompile(module):
    """pip compiles bytecode when it installs a wheel; do the same for editable/source checkouts
    (and environments with PYTHONDONTWRITEBYTECODE) so compile time is not counted as import time.

    The package is imported first so its ``__path__`` is the extended one: tensorgraft's parts are
    separate distributions whose folders only join ``tensorgraft.__path__`` at import time, and
    ``find_spec`` alone would see (and compile) only tensorgraft-core's folder."""
    code = (f"import compileall, importlib; mod = importlib.import_module('{module}'); "
            "[compileall.compile_dir(p, quiet=1) for p in list(getattr(mod, '__path__', []))]")
    subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)


def _import_minus_startup(module):
    def make():
        _precompile(module)
        base = _baseline()
        imp = _import_time(module)()

        def run():
            return max(imp() - base(), 1e-6)
        return run
    return make


add = lambda a, b: a + b  # noqa: E731
WORKLOADS = [
    Workload("add_tiny", "a + b on 1-element float32 tensors (dispatch overhead)", *_binary(1, add),
             target="tg/torch <= 1.0"),
    Workload("add_1000", "a + b on 1000x1000 float32", *_binary(1000, add), target="tg/numpy <= 1.05"),
    Workload("mul_scalar_tiny", "a * 2 on a 1-element tensor", *_unary_tiny(lambda a: a * 2), target="tg/torch <= 1.0"),
    Workload("sum_tiny", "a.sum() on a 1-element tensor", *_unary_tiny(lambda a: a.sum()), target="tg/torch <= 1.0"),
    Workload("matmul_tiny", "a @ b for 2x2", *_mm_tiny(), target="tg/torch <= 1.0"),
    Workload("mul_scalar_1000", "a * 2 on 1000x1000", *_unary_tiny(lambda a: a * 2, (1000, 1000)),
             target="tg/numpy <= 1.05"),
    Workload("sum_1000", "a.sum() on 1000x1000", *_unary_tiny(lambda a: a.sum(), (1000, 1000)),
             target="tg/numpy <= 1.05"),
    Workload("import_time", "import time (subprocess, minus interpreter start-up)",
             tensorgraft=_import_minus_startup("tensorgraft"), numpy=_import_minus_startup("numpy"),
             torch=_import_minus_startup("torch"), target="tg/numpy <= 2.0", custom_timer=True),
]
