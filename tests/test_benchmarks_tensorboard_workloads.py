"""benchmarks/workloads/tensorboard_logging.py: the logging step runs on tensorgraft, and the NumPy
baseline's buckets are the ones SummaryWriter's histograms use (else its ratio would time other
work)."""
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="the workload logs through tensorgraft.utils.tensorboard")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

from workloads import tensorboard_logging as tbw  # noqa: E402


def test_log_step_runs_on_tensorgraft_and_numpy():
    for make in (tbw.log_step("tensorgraft", rows=8, cols=8), tbw.numpy_histogram(rows=8, cols=8)):
        step = make()
        step()
        step()
    assert tbw.WORKLOADS[0].torch is not None and tbw.WORKLOADS[0].target


def test_numpy_baseline_uses_the_writers_buckets(tmp_path, monkeypatch):
    from tensorgraft.utils.tensorboard import SummaryWriter
    captured = {}
    real = np.histogram

    def spy(values, bins):
        captured["bins"] = list(bins)
        return real(values, bins=bins)
    monkeypatch.setattr(np, "histogram", spy)
    tbw.numpy_histogram(rows=4, cols=4)()()
    with SummaryWriter(tmp_path) as writer:
        assert captured["bins"] == writer.default_bins
