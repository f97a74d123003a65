"""``nn.SyncBatchNorm`` against PyTorch: over two ranks it gives what PyTorch's ``BatchNorm2d``
gives on the concatenated batch (outputs, input gradients, rank-summed weight and bias gradients,
running statistics) in float32 and float64. (PyTorch's own SyncBatchNorm refuses CPU tensors, so
single-process batch norm on the whole batch is the reference, as it is for PyTorch's tests.)"""
from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.distributed", reason="needs tensorgraft.distributed")


from _tg_distributed_ranks import run_ranks  # noqa: E402  (see conftest.py)

SCRIPT = '''
out = {}
for dtype in ("float32", "float64"):
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((6, 2, 3, 3)) * 3 - 1).astype(dtype)
    G = rng.standard_normal(X.shape).astype(dtype)
    rows = slice(2, 6) if RANK else slice(0, 2)      # uneven: 2 and 4 samples
    bn = torch.nn.SyncBatchNorm(2).to(getattr(torch, dtype))
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.7, -1.3]))
        bn.bias.copy_(torch.tensor([0.5, 0.25]))
    x = torch.tensor(X[rows]).requires_grad_(True)
    for step in range(2):
        x.grad = bn.weight.grad = bn.bias.grad = None
        y = bn(x)
        (y * torch.tensor(G[rows])).sum().backward()
    grads = torch.cat([bn.weight.grad, bn.bias.grad])
    dist.all_reduce(grads)
    out[dtype] = {"y": numbers(y), "gx": numbers(x.grad), "gwb": numbers(grads), "rm": numbers(bn.running_mean),
                  "rv": numbers(bn.running_var)}
report(out)
'''


@pytest.fixture(scope="module")
def ranks():
    return run_ranks(SCRIPT)


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_two_ranks_give_pytorchs_batch_norm_on_the_whole_batch(ranks, dtype, tol):
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((6, 2, 3, 3)) * 3 - 1).astype(dtype)
    G = rng.standard_normal(X.shape).astype(dtype)
    bn = torch.nn.BatchNorm2d(2).to(getattr(torch, dtype))
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.7, -1.3]))
        bn.bias.copy_(torch.tensor([0.5, 0.25]))
    x = torch.tensor(X).requires_grad_(True)
    for _ in range(2):
        x.grad = bn.weight.grad = bn.bias.grad = None
        y = bn(x)
        (y * torch.tensor(G)).sum().backward()
    want = {"gwb": torch.cat([bn.weight.grad, bn.bias.grad]), "rm": bn.running_mean, "rv": bn.running_var}
    for rank, rows in enumerate((slice(0, 2), slice(2, 6))):
        got = ranks[rank][dtype]
        for key, ref in (("y", y[rows]), ("gx", x.grad[rows]), *want.items()):
            np.testing.assert_allclose(np.asarray(got[key]), ref.detach().double().numpy(), rtol=tol, atol=tol,
                                       err_msg=f"rank {rank}: {key}")
