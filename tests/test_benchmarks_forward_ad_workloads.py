"""The forward-AD benchmark workloads run (each library in a child process of its own, as a dual
level turns tensorgraft's dispatch on for the process) and print a time."""
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
NAMES = ["forward_ad_elementwise", "forward_ad_mlp784"]


def test_workloads_run_and_report():
    pytest.importorskip("tensorgraft.nn")
    out = subprocess.run([sys.executable, str(RUNNER), *NAMES, "--rounds", "1"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    for name in NAMES:
        line = next(line for line in out.stdout.splitlines() if line.startswith(name))
        assert " us" in line or " ms" in line, line
