"""Module.share_memory() moves parameters, gradients and buffers into shared memory (it returned the
module untouched), and Parameters keep their class and requires_grad through multiprocessing."""
from multiprocessing.reduction import ForkingPickler

import tensorgraft as tg
import tensorgraft.multiprocessing  # noqa: F401  (registers the tensor reducers)
import tensorgraft.nn as nn


def test_share_memory_moves_everything_and_keeps_the_objects():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(tg.randn(4, 3)).sum().backward()
    params = list(model.parameters())
    values = [p.detach().clone() for p in params]
    assert model.share_memory() is model
    assert list(model.parameters()) == params  # the same Parameter objects
    assert all(p.is_shared() and p.grad.is_shared() for p in params)
    assert all(b.is_shared() for b in model.buffers())
    assert all(tg.equal(p.detach(), v) for p, v in zip(params, values))


def test_parameters_travel_as_parameters():
    p = nn.Parameter(tg.ones(2))
    back = ForkingPickler.loads(ForkingPickler.dumps(p))
    assert type(back) is nn.Parameter and back.requires_grad and p.is_shared()
    with tg.no_grad():
        back.add_(1)
    assert p.tolist() == [2.0, 2.0]
