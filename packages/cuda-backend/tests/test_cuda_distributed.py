"""tensorgraft.distributed with CUDA tensors: collectives and DDP on GPU modules, each rank on its
own GPU where there are several (the fake CuPy of tox ``cuda-fake`` offers two), staging through
host memory. Skipped, with the reason, where no CUDA device is found."""
from __future__ import annotations

import json

import pytest

from tensorgraft.testing.distributed import run_ranks


@pytest.fixture(autouse=True)
def cuda_device():
    from tensorgraft.device import backends
    cuda = backends().get("cuda")
    if cuda is None or not cuda.is_available():
        pytest.skip(cuda.unavailable_reason() if cuda is not None else "tensorgraft-cuda is not installed")


def test_collectives_and_p2p_on_cuda_tensors():
    results = run_ranks("""
import json
import tensorgraft as torch, tensorgraft.distributed as dist
dist.init_process_group("nccl")  # accepted when CUDA is present: the same TCP backend
rank = dist.get_rank()
dev = torch.device("cuda", rank % torch.cuda.device_count())
torch.cuda.set_device(dev)
x = torch.arange(5., device=dev) * (rank + 1)
dist.all_reduce(x)
b = torch.full((3,), float(rank), device=dev)
dist.broadcast(b, src=1)
outs = [torch.zeros(2, device=dev) for _ in range(2)]
dist.all_gather(outs, torch.ones(2, device=dev) * rank)
t = torch.zeros(2, device=dev)
if rank == 0:
    dist.send(torch.tensor([7., 8.], device=dev), dst=1)
else:
    dist.recv(t, src=0)
print(json.dumps({"backend": dist.get_backend(), "x": x.tolist(), "b": b.tolist(), "ag": [o.tolist() for o in outs],
                  "t": t.tolist(), "devices": sorted({str(v.device) for v in (x, b, t, *outs)}),
                  "expected": str(dev)}))
dist.destroy_process_group()
""", 2)
    for rank, r in enumerate(results):
        d = json.loads(r.stdout)
        assert d["backend"] == "nccl" and d["devices"] == [d["expected"]]
        assert d["x"] == [0.0, 3.0, 6.0, 9.0, 12.0] and d["b"] == [1.0] * 3 and d["ag"] == [[0.0, 0.0], [1.0, 1.0]]
        assert d["t"] == ([0.0, 0.0] if rank == 0 else [7.0, 8.0])


def test_ddp_on_gpu_modules_keeps_replicas_equal():
    pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
    results = run_ranks("""
import json
import tensorgraft as torch, tensorgraft.nn as nn, tensorgraft.distributed as dist
dist.init_process_group("gloo")
rank = dist.get_rank()
dev = torch.device("cuda", rank % torch.cuda.device_count())
torch.cuda.set_device(dev)
torch.manual_seed(rank)  # different starting weights: DDP copies rank 0's
model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(dev),
                                            device_ids=[dev.index])
for step in range(3):
    torch.manual_seed(100 + rank)
    loss = model(torch.randn(6, 4, device=dev)).pow(2).mean()
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
print(json.dumps({"params": [p.cpu().tolist() for p in model.parameters()],
                  "devices": sorted({str(p.device) for p in model.parameters()})}))
dist.destroy_process_group()
""", 2)
    a, b = (json.loads(r.stdout) for r in results)
    assert a["params"] == b["params"]
    assert all(d.startswith("cuda") for d in a["devices"] + b["devices"])
