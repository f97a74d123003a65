"""The ``__torch_function__`` benchmark workloads run (each library in a child process of its own,
so the runner's process keeps tensorgraft's undispatched functions) and print a ratio."""
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
NAMES = ["dispatch_on_add_tiny", "subclass_add_tiny", "mode_add_tiny", "dispatch_off_sum_dim"]


def test_workloads_run_and_report():
    pytest.importorskip("tensorgraft.nn")
    out = subprocess.run([sys.executable, str(RUNNER), *NAMES, "--rounds", "1"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    for name in NAMES:
        line = next(line for line in out.stdout.splitlines() if line.startswith(name))
        assert " us" in line, line  # tensorgraft's time (and PyTorch's where it is installed)
