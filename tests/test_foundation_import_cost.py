"""``import tensorgraft`` stays light (benchmarks/run.py import_time: at most 2x ``import numpy``).

Guards against the expensive imports that crept in before: ``importlib.metadata`` (plugins' entry
points are read by ``tensorgraft.plugins._entrypoints``), ``importlib.abc`` (pulls in
``importlib.resources``), ``numpy.random`` (the default generator is built on first use) and the
parts' modules that only their users need (optimizers, schedulers, autograd's graph drawing)."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["importlib.metadata", "importlib.abc", "numpy.random", "email", "tensorgraft.optim.lr_scheduler",
         "tensorgraft.optim.sgd", "tensorgraft.autograd.graph"]


def test_import_tensorgraft_does_not_import_heavy_modules():
    code = ("import json, sys, numpy; before = set(sys.modules); import tensorgraft as tg; "
            "tg.ones(2) + 1; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules and m not in before)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
