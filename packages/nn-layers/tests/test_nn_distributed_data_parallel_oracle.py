"""``nn.parallel.DistributedDataParallel`` against PyTorch's: the same two-rank script, run once
with ``import torch`` and once with ``import tensorgraft as torch``, reports the same losses,
gradients (averaged, accumulated under ``no_sync``, left untouched for parameters no rank used)
and parameters, and the same error messages."""
from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.distributed", reason="needs tensorgraft.distributed")


from _tg_distributed_ranks import run_ranks  # noqa: E402  (see conftest.py)

SCRIPT = '''
import warnings
warnings.simplefilter("ignore")
DDP = torch.nn.parallel.DistributedDataParallel
rng = np.random.default_rng(0)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 8)
        self.fc2 = torch.nn.Linear(8, 2)
        self.aux = torch.nn.Linear(4, 2)    # used by rank 0 in the first step, by no rank in the second
        self.idle = torch.nn.Linear(4, 2)   # an output the loss leaves out
        with torch.no_grad():
            for p in self.parameters():     # different on each rank: DDP broadcasts rank 0's
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) + RANK))

    def forward(self, x, use_aux):
        y = self.fc2(torch.tanh(self.fc1(x)))
        if use_aux:
            y = y + self.aux(x)
        return y, self.idle(x)


model = Net().double()
ddp = DDP(model, find_unused_parameters=True)
data = np.random.default_rng(1)
X = torch.tensor(data.standard_normal((8, 4)))
Y = torch.tensor(data.standard_normal((8, 2)))
x, y = X[RANK::WORLD], Y[RANK::WORLD]
result = {"losses": [], "grads": []}
for step in range(2):
    with ddp.no_sync():
        out, _ = ddp(x[:2], True)
        ((out - y[:2]) ** 2).mean().backward()
    out, _ = ddp(x, step == 0 and RANK == 0)
    loss = ((out - y) ** 2).mean()
    loss.backward()
    result["losses"].append(float(loss))
    result["grads"].append({n: numbers(p.grad) for n, p in model.named_parameters()})
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad
                p.grad = None
result["params"] = {n: numbers(p) for n, p in model.named_parameters()}
result["keys"] = list(ddp.state_dict())


def error(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]


class Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(2, 2)
        self.b = torch.nn.Linear(2, 2)

    def forward(self, x, use_b=False):
        return self.a(x) + self.b(x) if use_b else self.a(x)


one = torch.ones(1, 2)
unused = DDP(Two())
unused(one).sum().backward()
result["unfinished"] = error(lambda: unused(one))
static = DDP(Two(), static_graph=True)
static(one, True).sum().backward()
static(one).sum().backward()
result["static"] = error(lambda: static(one))
twice = DDP(torch.nn.Linear(2, 2))
out = twice(one)
twice.module.weight.sum().backward()
result["twice"] = error(lambda: out.sum().backward())
result["needless"] = error(lambda: DDP(torch.nn.ReLU()))
report(result)
'''


@pytest.fixture(scope="module")
def both():
    return run_ranks(SCRIPT, lib="tensorgraft"), run_ranks(SCRIPT, lib="torch")


def _same_numbers(a, b):
    if a is None or b is None:
        assert a is None and b is None
        return
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-14)


def test_losses_gradients_and_parameters_match_pytorch(both):
    for ours, theirs in zip(*both):
        assert ours["keys"] == theirs["keys"]
        _same_numbers(ours["losses"], theirs["losses"])
        for step_ours, step_theirs in zip(ours["grads"], theirs["grads"]):
            assert step_ours.keys() == step_theirs.keys()
            for name in step_ours:
                _same_numbers(step_ours[name], step_theirs[name])
        for name in ours["params"]:
            _same_numbers(ours["params"][name], theirs["params"][name])


@pytest.mark.parametrize("case", ["unfinished", "static", "twice", "needless"])
def test_errors_match_pytorch(both, case):
    for ours, theirs in zip(*both):
        assert ours[case] == theirs[case]
