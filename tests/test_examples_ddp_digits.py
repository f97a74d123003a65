"""examples/ddp_digits.py: two ranks with half the batch each print, epoch by epoch, what one
process with the whole batch prints (DDP averages the gradients; DistributedSampler's shares of
a batch together are the single process's batch)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
pytest.importorskip("sklearn", reason="the example's data comes from scikit-learn")

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "ddp_digits.py"


def test_two_ranks_train_as_one_process_with_the_whole_batch():
    single = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "3", "--batch-size", "64"],
                            capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr
    ranks = subprocess.run([sys.executable, "-m", "tensorgraft.distributed.run", "--standalone", "--nproc-per-node=2",
                            str(EXAMPLE), "--epochs", "3", "--batch-size", "32"], capture_output=True, text=True,
                           timeout=180)
    assert ranks.returncode == 0, ranks.stderr
    lines = single.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 0: loss ")
    assert ranks.stdout.splitlines() == lines
    final_accuracy = float(lines[-1].rsplit(" ", 1)[1])
    assert final_accuracy > 0.85
