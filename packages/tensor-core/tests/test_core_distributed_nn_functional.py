"""Differentiable collectives (tensorgraft.distributed.nn.functional) on two ranks: gradients flow
back to every rank's input through the collective's adjoint, and (where PyTorch is installed) they
are PyTorch's, node names included."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd", reason="needs tensorgraft-autograd")
from tensorgraft.testing.distributed import run_ranks  # noqa: E402

PROGRAM = """
import json
import importlib
DF = importlib.import_module(dist.__name__ + ".nn.functional")
dist.init_process_group("gloo")
r, n = dist.get_rank(), dist.get_world_size()
torch.manual_seed(r)
res = {}
def grad_of(name, fn):
    x = torch.randn(3, 2, requires_grad=True)
    out = fn(x)
    outs = out if isinstance(out, tuple) else (out,)
    loss = sum((o * (i + 1 + r)).pow(2).sum() for i, o in enumerate(outs))
    loss.backward()
    res[name] = [float(loss.detach()), x.grad.reshape(-1).tolist(),
                 type(outs[0].grad_fn).__name__ if outs[0].grad_fn is not None else None]
    res[name + ".x"] = x.detach().reshape(-1).tolist()
grad_of("all_gather", lambda x: DF.all_gather(x))
grad_of("all_reduce", lambda x: DF.all_reduce(x))
grad_of("all_reduce_max", lambda x: DF.all_reduce(x, op=dist.ReduceOp.MAX))
grad_of("broadcast", lambda x: DF.broadcast(x, src=1))
grad_of("reduce", lambda x: DF.reduce(x, dst=0))
grad_of("gather", lambda x: DF.gather(x, dst=1))
grad_of("scatter", lambda x: DF.scatter([x * (j + 1) for j in range(n)], src=0))
grad_of("reduce_scatter", lambda x: DF.reduce_scatter(torch.zeros(3, 2), [x * (j + 1) for j in range(n)]))
grad_of("all_to_all", lambda x: DF.all_to_all([torch.zeros(3, 2) for _ in range(n)], [x * (j + 1) for j in range(n)]))
grad_of("all_to_all_single", lambda x: DF.all_to_all_single(torch.zeros(4, 2), torch.cat([x, x[:1]]), [2, 2], [2, 2]))
print(json.dumps(res))
dist.destroy_process_group()
import os, sys
sys.stdout.flush()
os._exit(0)  # (PyTorch's gloo sometimes aborts at interpreter exit after a clean job)
"""
TG = "import warnings; warnings.simplefilter('ignore')\nimport tensorgraft as torch, tensorgraft.distributed as dist\n"


def run(prelude):
    return [json.loads(r.stdout) for r in run_ranks(prelude + PROGRAM, 2)]


def test_all_gather_and_all_reduce_gradients_by_hand():
    ranks = run(TG)
    # all_gather: loss_r = sum_i ((i+1+r) x_i)^2, so the total's gradient for x_j is sum_r 2 (j+1+r)^2 x_j
    for j, coefficient in ((0, 2 * (1 + 4)), (1, 2 * (4 + 9))):
        grad, node = ranks[j]["all_gather"][1:]
        assert node == "_AllGatherBackward"
        np.testing.assert_allclose(grad, coefficient * np.array(ranks[j]["all_gather.x"]), rtol=1e-6)
    grads = {name: [np.array(d[name][1]) for d in ranks] for name in ranks[0] if not name.endswith(".x")}
    # all_reduce: every rank's input gets the sum over ranks of the output gradients
    assert np.allclose(grads["all_reduce"][0], grads["all_reduce"][1])
    # broadcast from rank 1: rank 0's input gets zeros, rank 1's the sum of both output gradients
    assert np.all(grads["broadcast"][0] == 0) and np.any(grads["broadcast"][1] != 0)
    # scatter from rank 0: rank 1's inputs got nothing to differentiate
    assert np.all(grads["scatter"][1] == 0)
    assert [d["reduce_scatter"][2] for d in ranks] == ["_Reduce_ScatterBackward"] * 2


def test_gradients_are_pytorchs():
    pytest.importorskip("torch")
    ours = run(TG)
    theirs = run("import warnings; warnings.simplefilter('ignore')\nimport torch, torch.distributed as dist\n"
                 "import torch.distributed.nn.functional\n")
    for rank in range(2):
        for name, (loss, grad, node) in ((k, v) for k, v in theirs[rank].items() if not k.endswith(".x")):
            got_loss, got_grad, got_node = ours[rank][name]
            assert got_node == node, name
            np.testing.assert_allclose(got_grad, grad, rtol=1e-5, atol=1e-5, err_msg=name)
            if not (name == "reduce" and rank != 0):  # PyTorch's non-destination outputs are unspecified
                assert np.isclose(got_loss, loss, rtol=1e-5), name
