"""On a GPU, every read of a device value by the host (``bool(t)``, ``.item()``, ``.get()``) waits
for all queued kernels, so a training step that reads one per layer runs the GPU in lock-step with
Python. Counted here on the NumPy-backed fake CuPy, which tallies tensorgraft's reads of device
values (cupy.cuda.HOST_READS): the benchmark training steps and gradient clipping make none,
except the one check
that cross-entropy's targets are in range (PyTorch's CUDA kernel asserts on the device instead;
tensorgraft keeps the clear IndexError)."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")
pytest.importorskip("tensorgraft.optim", reason="the training steps need tensorgraft-optim")
pytest.importorskip("scipy", reason="the fake CuPy's cupyx.scipy.special is SciPy")

ROOT = pathlib.Path(__file__).resolve().parents[1]
FAKE = ROOT / "packages" / "cuda-backend" / "tests" / "fake_cupy"

CODE = """
import sys
sys.path.insert(0, {bench!r})
import cupy
import tensorgraft as tg
from workloads.training import mlp784, seed_manual, seed_nn_adam, small_cnn
steps = {{"seed_manual": seed_manual("tensorgraft", device="cuda"),
          "mlp784": mlp784("tensorgraft", 64, "cuda"), "small_cnn": small_cnn("tensorgraft", 8, "cuda")}}
for name, make in steps.items():
    step = make()
    step()
    before = cupy.cuda.HOST_READS
    step()
    step()
    print(name, (cupy.cuda.HOST_READS - before) // 2)
import tensorgraft.nn as nn
ps = [tg.randn(4, 3, device="cuda", requires_grad=True), tg.randn(3, device="cuda", requires_grad=True)]
for p in ps:
    p.grad = tg.randn(*p.shape, device="cuda")
before = cupy.cuda.HOST_READS
nn.utils.clip_grad_norm_(ps, 0.5)
nn.utils.clip_grad_norm_(ps, 0.5, norm_type=float("inf"))
print("clip_grad_norm_", cupy.cuda.HOST_READS - before)
x = tg.ones(3, device="cuda")
before = cupy.cuda.HOST_READS
x.sum().item()
print("item", cupy.cuda.HOST_READS - before)
"""


def test_training_steps_on_cuda_do_not_wait_for_the_device():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FAKE)] + [p for p in os.environ.get(
        "PYTHONPATH", "").split(os.pathsep) if p]), FAKE_CUPY_DEVICES="1")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(CODE.format(bench=str(ROOT / "benchmarks")))],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reads = dict(line.split() for line in proc.stdout.splitlines())
    assert reads == {"seed_manual": "0", "mlp784": "1", "small_cnn": "1", "clip_grad_norm_": "0", "item": "1"}, reads
