"""ZeroRedundancyOptimizer (tensorgraft.distributed.optim) on two ranks: each rank keeps the state
of its share of the parameters, and training gives the parameters the plain optimizer gives —
here, and under PyTorch's ZeroRedundancyOptimizer."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
from tensorgraft.testing.distributed import run_ranks  # noqa: E402

PROGRAM = """
import json
dist.init_process_group("gloo")
rank = dist.get_rank()
out = {}
for name in ("plain", "zero"):
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)))
    if name == "plain":
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    else:
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.Adam, lr=0.05)
        out["owned"] = sorted(tuple(p.shape) for g in opt.optim.param_groups for p in g["params"]) if opt.optim else []
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for step in range(4):
        torch.manual_seed(10 + step * 2 + rank)
        opt.zero_grad()
        model(torch.randn(5, 6)).pow(2).mean().backward()
        opt.step()
        sched.step()
    out[name] = [p.detach().reshape(-1).tolist() for p in model.parameters()]
    if name == "zero":
        try:
            opt.state_dict()
        except RuntimeError as e:
            out["unconsolidated"] = str(e)
        opt.consolidate_state_dict(to=0)
        if rank == 0:
            sd = opt.state_dict()
            out["state_keys"] = sorted(sd["state"])
            out["exp_avg_sum"] = [round(float(sd["state"][i]["exp_avg"].sum()), 6) for i in sorted(sd["state"])]
            out["lr"] = sd["param_groups"][0]["lr"]
        box = [opt.state_dict() if rank == 0 else None]  # the saved state, restored on every rank
        dist.broadcast_object_list(box, src=0)
        model2 = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)))
        model2.load_state_dict(model.state_dict())
        opt2 = ZeroRedundancyOptimizer(model2.parameters(), optimizer_class=torch.optim.Adam, lr=0.05)
        opt2.load_state_dict(box[0])
        for m, o in ((model, opt), (model2, opt2)):
            torch.manual_seed(99 + rank)
            o.zero_grad()
            m(torch.randn(5, 6)).pow(2).mean().backward()
            o.step()
        out["resumed_equal"] = all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters()))
print(json.dumps(out))
dist.destroy_process_group()
import os, sys
sys.stdout.flush()
os._exit(0)
"""
TG = ("import tensorgraft as torch, tensorgraft.nn as nn, tensorgraft.optim, tensorgraft.optim.lr_scheduler\n"
      "import tensorgraft.distributed as dist\n"
      "from tensorgraft.distributed.optim import ZeroRedundancyOptimizer\n")


@pytest.fixture(scope="module")
def ours():
    return [json.loads(r.stdout) for r in run_ranks(TG + PROGRAM, 2)]


def test_zero_trains_as_the_plain_optimizer_with_the_state_split(ours):
    for r in ours:
        for a, b in zip(r["zero"], r["plain"]):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert ours[0]["zero"] == ours[1]["zero"]  # the replicas stay equal
    # largest first, each to the rank with fewer elements: (16, 6) to rank 0, (3, 16) and the biases to rank 1
    owned = sorted(ours[0]["owned"] + ours[1]["owned"])
    assert owned == sorted([[16, 6], [16], [3, 16], [3]]) and ours[0]["owned"] == [[16, 6]]
    assert "consolidate_state_dict(to=0)" in ours[0]["unconsolidated"]
    assert ours[0]["state_keys"] == [0, 1, 2, 3] and ours[0]["lr"] == pytest.approx(0.0125)
    assert ours[0]["resumed_equal"] is True and ours[1]["resumed_equal"] is True  # load_state_dict resumes exactly


def test_pytorch_zero_gives_the_same_parameters(ours):
    pytest.importorskip("torch")
    program = PROGRAM.replace('out["owned"] = sorted(tuple(p.shape) for g in opt.optim.param_groups for p in '
                              'g["params"]) if opt.optim else []', 'pass')
    theirs = [json.loads(r.stdout) for r in run_ranks(
        "import torch, torch.nn as nn, torch.distributed as dist\n"
        "from torch.distributed.optim import ZeroRedundancyOptimizer\n" + program, 2)]
    for mine, want in zip(ours, theirs):
        for a, b in zip(mine["zero"], want["zero"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[0]["exp_avg_sum"], theirs[0]["exp_avg_sum"], rtol=1e-4, atol=1e-6)
    assert "consolidate_state_dict(to=0)" in theirs[0]["unconsolidated"]


def test_world_of_one_and_refusals():
    import tensorgraft as tg
    import tensorgraft.distributed as dist
    from tensorgraft.distributed.optim import ZeroRedundancyOptimizer
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        w = tg.ones(3, requires_grad=True)
        with pytest.raises(TypeError, match="optimizer_class must be a tensorgraft optimizer class"):
            ZeroRedundancyOptimizer([w], optimizer_class=dict, lr=0.1)
        with pytest.raises(ValueError, match="overlap_with_ddp=True"):
            ZeroRedundancyOptimizer([w], optimizer_class=tg.optim.SGD, overlap_with_ddp=True, lr=0.1)
        opt = ZeroRedundancyOptimizer([w], optimizer_class=tg.optim.SGD, lr=0.5, momentum=0.9)
        (w * w).sum().backward()
        opt.step()
        assert w.tolist() == [0.0, 0.0, 0.0]  # 1 - 0.5 * 2
        local = opt.optim
        extra = tg.ones(2, requires_grad=True)
        opt.add_param_group({"params": [extra], "lr": 1.0})  # shared out after the existing groups
        assert opt.optim is local and [len(g["params"]) for g in local.param_groups] == [1, 1]
        assert "momentum_buffer" in local.state[w]  # the existing state is kept
    finally:
        dist.destroy_process_group()
