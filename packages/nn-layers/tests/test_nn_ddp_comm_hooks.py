"""PyTorch's default DDP communication hooks (tensorgraft.distributed.algorithms.ddp_comm_hooks)
on two ranks: the plain hook gives DDP's own gradients, the compressing ones agree to their
precision, and every rank ends with the same gradients."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
from tensorgraft.testing.distributed import run_ranks  # noqa: E402

PROGRAM = """
import json
import tensorgraft as torch, tensorgraft.nn as nn, tensorgraft.distributed as dist
from tensorgraft.distributed.algorithms.ddp_comm_hooks import default_hooks
dist.init_process_group("gloo")
rank = dist.get_rank()
grads = {}
for name in ("none", "allreduce_hook", "fp16_compress_hook", "bf16_compress_hook", "fp16_wrapper", "bf16_wrapper"):
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)))
    hook = {"none": None, "fp16_wrapper": default_hooks.fp16_compress_wrapper(default_hooks.allreduce_hook),
            "bf16_wrapper": default_hooks.bf16_compress_wrapper(default_hooks.allreduce_hook)}.get(
                name, getattr(default_hooks, name, None))
    if hook is not None:
        model.register_comm_hook(None, hook)
    torch.manual_seed(1 + rank)
    model(torch.randn(4, 5)).pow(2).mean().backward()
    grads[name] = [p.grad.reshape(-1).tolist() for p in model.parameters()]
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())
print(json.dumps(grads))
dist.destroy_process_group()
import os, sys
sys.stdout.flush()
os._exit(0)  # (PyTorch's gloo sometimes aborts at interpreter exit after a clean job)
"""


def test_default_hooks_average_the_gradients():
    ranks = [json.loads(r.stdout) for r in run_ranks(PROGRAM, 2)]
    assert ranks[0] == ranks[1]  # every rank applies the same averaged gradients
    g = ranks[0]
    exact = np.concatenate([np.array(x) for x in g["none"]])
    flat = {k: np.concatenate([np.array(x) for x in v]) for k, v in g.items()}
    np.testing.assert_allclose(flat["allreduce_hook"], exact, rtol=1e-6, atol=1e-7)
    for name, tol in (("fp16_compress_hook", 2e-3), ("fp16_wrapper", 2e-3), ("bf16_compress_hook", 1.6e-2),
                      ("bf16_wrapper", 1.6e-2)):
        np.testing.assert_allclose(flat[name], exact, rtol=tol, atol=tol * np.abs(exact).max())
        assert not np.array_equal(flat[name], exact)  # the bucket did travel in half precision


def test_hook_needs_a_callable():
    import tensorgraft.distributed as dist
    from tensorgraft.distributed.algorithms.ddp_comm_hooks import default_hooks
    assert dist.GradBucket.__module__ == "tensorgraft.distributed"
    assert callable(default_hooks.allreduce_hook)
