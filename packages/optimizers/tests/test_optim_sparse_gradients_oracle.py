"""Embeddings with ``sparse=True`` trained by the optimizers that take sparse gradients, against
PyTorch: the same weights after three steps (every option that changes the sparse update), and the
same refusals from the optimizers that do not take them."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn", reason="the embeddings come from tensorgraft-nn")
pytest.importorskip("tensorgraft.autograd", reason="the sparse gradients come from the autograd engine")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import run_in_both  # noqa: E402

W = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
BATCHES = [np.array([[1, 2], [1, 4]]), np.array([[0, 1], [5, 5]]), np.array([[2, 2], [3, 1]])]


def _train(m, make, bag, steps=3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = m.nn.EmbeddingBag(6, 3, sparse=True, mode="mean") if bag else m.nn.Embedding(6, 3, sparse=True)
        with m.no_grad():
            e.weight.copy_(m.tensor(W))
        opt = make(m, e.parameters())
        for b in BATCHES[:steps]:
            opt.zero_grad()
            out = e(m.tensor(b))
            (out * out).sum().backward()
            opt.step()
    return e.weight.detach().numpy()


OPTIMIZERS = {
    "sgd": lambda m, p: m.optim.SGD(p, lr=0.1),
    "sgd_maximize": lambda m, p: m.optim.SGD(p, lr=0.1, maximize=True),
    "sgd_momentum": lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_nesterov": lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_dampening": lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3),
    "adagrad": lambda m, p: m.optim.Adagrad(p, lr=0.1),
    "adagrad_options": lambda m, p: m.optim.Adagrad(p, lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5,
                                                    maximize=True),
    "sparse_adam": lambda m, p: m.optim.SparseAdam(p, lr=0.1),
    "sparse_adam_options": lambda m, p: m.optim.SparseAdam(p, lr=0.1, betas=(0.5, 0.9), maximize=True),
}


@pytest.mark.parametrize("bag", [False, True], ids=["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_sparse_training_matches_pytorch(name, bag):
    ours, theirs = run_in_both(lambda m: _train(m, OPTIMIZERS[name], bag))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m, p: m.optim.Adam(p), lambda m, p: m.optim.AdamW(p), lambda m, p: m.optim.RMSprop(p),
    lambda m, p: m.optim.Adadelta(p), lambda m, p: m.optim.Adafactor(p), lambda m, p: m.optim.Muon(p),
    lambda m, p: m.optim.SGD(p, lr=0.1, weight_decay=0.1), lambda m, p: m.optim.Adagrad(p, weight_decay=0.1),
])
def test_refusals_match_pytorch(make):
    messages = []
    for m in (tg, torch):
        with pytest.raises(RuntimeError) as info:
            _train(m, make, bag=False, steps=1)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_momentum_buffer_is_sparse_in_the_state_dict():
    def run(m):
        e = m.nn.Embedding(6, 3, sparse=True)
        opt = m.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
        e(m.tensor([1, 2])).sum().backward()
        opt.step()
        return opt.state_dict()["state"][0]["momentum_buffer"].is_sparse
    assert run_in_both(run) == (True, True)
