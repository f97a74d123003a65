"""benchmarks/workloads/distributed.py: the 2-rank workloads start their pairs of processes, check
the result (the sum every rank gets, DDP replicas that stay equal), time a few iterations and end
their processes — at tiny sizes here (the benchmark uses 4 MB/64 MB tensors and batch 512); the
runner alternates a tensorgraft pair with a PyTorch pair and closes both. The PyTorch side skips
when torch is not installed."""
import importlib.util
import math
import pathlib
import sys

import pytest

pytest.importorskip("tensorgraft.distributed", reason="the workloads need tensorgraft.distributed")

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from workloads import Workload  # noqa: E402
from workloads import distributed as dw  # noqa: E402

NAMES = {"all_reduce_2ranks_4B", "all_reduce_2ranks_4MB", "all_reduce_2ranks_64MB", "ddp_mlp_step_2ranks", "mlp784_sgd_b1024_step"}
SMOKE = {"all_reduce": dict(nbytes=64 * 1024), "ddp": dict(batch=8)}


def _need(lib, task):
    if lib == "torch":
        pytest.importorskip("torch", reason="the PyTorch side of the workload runs torch.distributed's gloo")
    elif task == "ddp":
        pytest.importorskip("tensorgraft.nn", reason="the DDP workload needs tensorgraft-nn")
        pytest.importorskip("tensorgraft.optim", reason="the DDP workload needs tensorgraft-optim")


def test_every_workload_is_listed_with_both_sides():
    listed = {w.name: w for w in dw.WORKLOADS}
    assert set(listed) == NAMES
    for w in listed.values():
        assert w.tensorgraft is not None and w.torch is not None and w.description
    for name in NAMES - {"mlp784_sgd_b1024_step"}:
        assert listed[name].custom_timer and listed[name].target == ("tg/torch <= 2.0" if name.endswith("_4B")
                                                                     else "tg/torch <= 1.5")


@pytest.mark.parametrize("lib", ["tensorgraft", "torch"])
@pytest.mark.parametrize("task", ["all_reduce", "ddp"])
def test_pair_checks_times_and_ends(lib, task):
    _need(lib, task)
    pair = dw.rank_pair(lib, task, iters=2, warmup=1, timeout=60, **SMOKE[task])()
    try:
        seconds = [pair(), pair()]
        assert all(s > 0 for s in seconds), seconds
        if task == "all_reduce":
            assert pair.check == 0.0  # checked to be the sum, then zeroed for the timed loop
        else:
            assert math.isfinite(pair.check)  # (and equal on both ranks, or the pair would have raised)
    finally:
        pair.close()
    assert [p.returncode for p in pair.procs] == [0] * dw.WORLD_SIZE
    assert pair not in dw._LIVE


def test_a_rank_that_fails_is_reported_with_its_error():
    with pytest.raises(RuntimeError, match="KeyError"):
        dw.rank_pair("tensorgraft", "no_such_task", iters=1, warmup=0, timeout=30)()
    assert not dw._LIVE


def _runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", BENCH / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run


def test_runner_alternates_both_pairs_and_closes_them():
    made = []

    def keep(builder):
        def make():
            made.append(builder())
            return made[-1]
        return make
    w = Workload("all_reduce_smoke", "tiny all_reduce", custom_timer=True,
                 tensorgraft=keep(dw.all_reduce("tensorgraft", 4096, iters=2, warmup=1)),
                 torch=keep(dw.all_reduce("torch", 4096, iters=2, warmup=1)))
    try:
        med, skipped = _runner().run_workload(w, rounds=2, min_time=0)
    finally:
        for pair in made:
            pair.close()
    assert med["tensorgraft"] > 0
    assert med.get("torch", 0) > 0 or "not installed" in skipped["torch"], skipped
    for pair in made:
        assert [p.returncode for p in pair.procs] == [0] * dw.WORLD_SIZE  # closed by the runner


@pytest.mark.parametrize("lib", ["tensorgraft", "torch"])
def test_single_process_step_runs(lib):
    _need(lib, "ddp")
    step = dw.mlp_sgd_step(lib, batch=16)()
    losses = [step().item() for _ in range(3)]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0], losses
