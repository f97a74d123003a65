"""The GPU benchmark workloads (benchmarks/workloads/cuda.py) build and run: on this machine's CUDA
stand-in (the NumPy-backed fake CuPy) tensorgraft's side runs a full training step on ``cuda``
and the JSON names why PyTorch's side did not; without any CUDA both sides say why they skipped.
(Timings here mean nothing; the real figures come from a GPU machine: tools/gpu-check.sh.)"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")
pytest.importorskip("tensorgraft.optim", reason="the training workloads need tensorgraft-optim")

ROOT = pathlib.Path(__file__).resolve().parents[1]
FAKE = ROOT / "packages" / "cuda-backend" / "tests" / "fake_cupy"
NAMES = ["cuda_seed_manual_step", "cuda_mlp784_b1024_step", "cuda_small_cnn_b256_step"]


def _run(tmp_path, fake):
    env = dict(os.environ)
    # keep the path that finds tensorgraft (an install by PYTHONPATH), minus any fake CuPy on it
    path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and "fake_cupy" not in p]
    if fake:
        path.insert(0, str(FAKE))
        env["FAKE_CUPY_DEVICES"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(path)
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), *NAMES, "--rounds", "1",
                           "--min-time", "0", "--json", str(out)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), proc.stdout


def test_gpu_workloads_run_on_a_cuda_device(tmp_path):
    pytest.importorskip("scipy", reason="the fake CuPy's cupyx.scipy.special is SciPy")
    results, out = _run(tmp_path, fake=True)
    for name in NAMES:
        r = results[name]
        assert r["median_s"]["tensorgraft"] > 0 and r["median_s"]["tensorgraft_cpu"] > 0, out
        assert "tensorgraft" not in r["skipped"], out
        assert r["target"] == "tg/torch <= 1.3"
    assert "tensorgraft on CPU:" in out


def test_gpu_workloads_say_why_they_skip_without_cuda(tmp_path):
    import tensorgraft as tg
    if tg.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    results, out = _run(tmp_path, fake=False)
    for name in NAMES:
        r = results[name]
        assert r["median_s"] == {}, out
        assert "no CUDA device was found" in r["skipped"]["tensorgraft"], out
        assert "tensorgraft_cpu" not in r["median_s"]  # no device run, so no CPU baseline either
