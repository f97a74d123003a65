"""DDP's default communication hooks against PyTorch's (2.13, gloo): the same model, data and hook
give the same averaged gradients, float16 rounding included. (``bf16_compress_hook`` runs on the
CPU here; PyTorch refuses it without CUDA and NCCL, so it has no CPU oracle.)"""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
from tensorgraft.testing.distributed import run_ranks  # noqa: E402

PROGRAM = """
import json
import torch.nn as nn, torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
dist.init_process_group("gloo")
rank = dist.get_rank()
grads = {}
for name in ("allreduce_hook", "fp16_compress_hook"):  # (PyTorch refuses bf16 without CUDA and NCCL)
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)))
    model.register_comm_hook(None, getattr(default_hooks, name))
    torch.manual_seed(1 + rank)
    model(torch.randn(4, 5)).pow(2).mean().backward()
    grads[name] = [p.grad.reshape(-1).tolist() for p in model.parameters()]
print(json.dumps(grads))
dist.destroy_process_group()
import os, sys
sys.stdout.flush()
os._exit(0)  # (PyTorch's gloo sometimes aborts at interpreter exit after a clean job)
"""
IMPORTS = {"torch": "import torch\n",
           "tensorgraft": "import tensorgraft as torch, sys, tensorgraft.nn, tensorgraft.distributed\n"
                          "import tensorgraft.distributed.algorithms.ddp_comm_hooks.default_hooks\n"
                          "sys.modules.update({k.replace('tensorgraft', 'torch', 1): v for k, v in list(sys.modules.items())"
                          " if k.startswith('tensorgraft')})\n"}


@pytest.fixture(scope="module")
def runs():
    return {lib: json.loads(run_ranks(imports + PROGRAM, 2)[0].stdout) for lib, imports in IMPORTS.items()}


@pytest.mark.parametrize("hook, tol", [("allreduce_hook", 1e-6), ("fp16_compress_hook", 1e-3)])
def test_hooks_give_pytorchs_gradients(runs, hook, tol):
    for want, got in zip(runs["torch"][hook], runs["tensorgraft"][hook]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 1e-2)
