"""The benchmark workloads that time each library in a child process of its own (turning
``__torch_function__`` dispatch on — a subclass, a mode, a forward-AD dual level — is for the whole
process, so the runner's process keeps tensorgraft's undispatched functions) run and report a time."""
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
GROUPS = {
    "torch_function": ["dispatch_on_add_tiny", "subclass_add_tiny", "mode_add_tiny", "dispatch_off_sum_dim"],
    "forward_ad": ["forward_ad_elementwise", "forward_ad_mlp784"],
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_workloads_run_and_report(group):
    pytest.importorskip("tensorgraft.nn")
    names = GROUPS[group]
    out = subprocess.run([sys.executable, str(RUNNER), *names, "--rounds", "1"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    for name in names:
        line = next(line for line in out.stdout.splitlines() if line.startswith(name))
        assert " us" in line or " ms" in line, line  # tensorgraft's time (and PyTorch's where it is installed)
