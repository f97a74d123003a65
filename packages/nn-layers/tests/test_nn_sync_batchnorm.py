"""``nn.SyncBatchNorm``: over two ranks (subprocesses joined by ``tensorgraft.distributed``) the
outputs, input gradients, running statistics and the rank-summed weight gradients equal those of
one ``BatchNorm`` on the concatenated batch, even/uneven/empty batches alike; in eval mode, or without a
process group, it is plain batch norm; ``convert_sync_batchnorm`` as PyTorch's."""
from __future__ import annotations


import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
dist = pytest.importorskip("tensorgraft.distributed", reason="needs tensorgraft.distributed")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402


from _tg_distributed_ranks import run_ranks  # noqa: E402  (see conftest.py)

# Rank r normalises rows SIZES[:r].sum() .. of X with SyncBatchNorm; the loss weights every output
# by G, so the input gradient of each row depends on the whole batch.
SYNC_SCRIPT = '''
SIZES = {sizes}
rng = np.random.default_rng(0)
X = rng.standard_normal((sum(SIZES), 3, 4)) * 2 + 1
G = rng.standard_normal(X.shape)
start = sum(SIZES[:RANK])
rows = slice(start, start + SIZES[RANK])
bn = torch.nn.SyncBatchNorm(3, momentum={momentum}).double()
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
    bn.bias.copy_(torch.tensor([0.1, 0.2, 0.3]))
x = torch.tensor(X[rows]).requires_grad_(True)
for step in range(2):
    x.grad = None
    bn.weight.grad = bn.bias.grad = None
    y = bn(x)
    (y * torch.tensor(G[rows])).sum().backward()
# (an empty batch leaves them None, as in PyTorch)
grads = torch.cat([torch.zeros(3, dtype=torch.float64) if g is None else g for g in (bn.weight.grad, bn.bias.grad)])
dist.all_reduce(grads)
report({{"y": numbers(y), "gx": numbers(x.grad), "gwb": numbers(grads), "rm": numbers(bn.running_mean),
        "rv": numbers(bn.running_var), "n": int(bn.num_batches_tracked), "node": type(y.grad_fn).__name__}})
'''


def _reference(sizes, momentum):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((sum(sizes), 3, 4)) * 2 + 1
    G = rng.standard_normal(X.shape)
    bn = nn.BatchNorm1d(3, momentum=momentum).double()
    with tg.no_grad():
        bn.weight.copy_(tg.tensor([1.5, -0.5, 2.0]))
        bn.bias.copy_(tg.tensor([0.1, 0.2, 0.3]))
    x = tg.tensor(X).requires_grad_(True)
    for _ in range(2):
        x.grad = None
        bn.weight.grad = bn.bias.grad = None
        y = bn(x)
        (y * tg.tensor(G)).sum().backward()
    return y, x.grad, tg.cat([bn.weight.grad, bn.bias.grad]), bn


def _close(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want.detach().double().numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("sizes,momentum", [((4, 4), 0.1), ((3, 5), None), ((0, 6), 0.1)])
def test_two_ranks_equal_one_batch_norm_on_the_concatenated_batch(sizes, momentum):
    results = run_ranks(SYNC_SCRIPT.format(sizes=list(sizes), momentum=momentum))
    y, gx, gwb, bn = _reference(sizes, momentum)
    offsets = np.cumsum((0,) + sizes)
    for rank, r in enumerate(results):
        if sizes[rank]:
            _close(r["y"], y[offsets[rank]:offsets[rank + 1]])
            _close(r["gx"], gx[offsets[rank]:offsets[rank + 1]])
            assert r["node"] == "SyncBatchNormBackward"
        _close(r["gwb"], gwb)
        _close(r["rm"], bn.running_mean)
        _close(r["rv"], bn.running_var)
        assert r["n"] == 2


def test_inside_ddp_a_converted_model_trains_as_one_process_on_the_whole_batch():
    script = '''
def make():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.Tanh(),
                               torch.nn.Linear(6, 1)).double()
rng = np.random.default_rng(1)
X = torch.tensor(rng.standard_normal((8, 4)))
Y = torch.tensor(rng.standard_normal((8, 1)))
mine = slice(4 * RANK, 4 * RANK + 4)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.SyncBatchNorm.convert_sync_batchnorm(make()))
ref = make()
for m, x, y in ((model, X[mine], Y[mine]), (ref, X, Y)):
    for step in range(3):
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
                p.grad = None
state = model.module.state_dict()
diff = max(float((state[k].double() - v.double()).abs().max()) for k, v in ref.state_dict().items())
report({"diff": diff, "kind": type(model.module[1]).__name__})
'''
    for r in run_ranks(script):
        assert r["kind"] == "SyncBatchNorm"
        assert r["diff"] < 1e-12


def test_eval_mode_and_no_process_group_are_plain_batch_norm():
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.standard_normal((5, 3, 2)))
    sync, plain = nn.SyncBatchNorm(3).double(), nn.BatchNorm1d(3).double()
    if not dist.is_initialized():   # a process of its own: statistics of the local batch
        assert tg.equal(sync(x), plain(x))
        assert tg.equal(sync.running_var, plain.running_var)
    sync.eval()
    plain.eval()
    sync.running_mean.copy_(plain.running_mean)
    sync.running_var.copy_(plain.running_var)
    assert tg.equal(sync(x), plain(x))
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        sync(tg.ones(3))
    with pytest.raises(ValueError, match="SyncBatchNorm number of input channels should be non-zero"):
        nn.SyncBatchNorm(3)(tg.ones(2, 0))


def test_convert_sync_batchnorm_shares_the_tensors_and_keeps_the_mode():
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4, affine=False)),
                          nn.BatchNorm3d(2, bias=False))
    model[1].running_mean.add_(1)
    model[2][0].eval()
    old = model[1]
    group = object()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model, process_group=group)
    assert converted is model
    assert [type(m).__name__ for m in converted.modules()] == ["Sequential", "Conv2d", "SyncBatchNorm", "Sequential",
                                                               "SyncBatchNorm", "SyncBatchNorm"]
    assert converted[1].weight is old.weight and converted[1].running_mean is old.running_mean
    assert converted[1].process_group is group
    assert converted[2][0].training is False and converted[2][0].weight is None
    assert converted[3].bias is None and converted[3].weight is not None
    alone = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(2))
    assert type(alone) is nn.SyncBatchNorm
    assert list(alone.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
