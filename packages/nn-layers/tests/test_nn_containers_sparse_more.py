"""Containers and embeddings against PyTorch: reprs, renumbering, insert/pop/extend, update orders,
error messages, and ``from_pretrained``/padding handling of the embedding tables."""
from collections import OrderedDict

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _outcome(fn):
    try:
        return "ok", repr(fn())
    except Exception as e:  # noqa: BLE001 - the exception type and text are what is compared
        return type(e).__name__, str(e).replace("torch.nn.modules.module", "X").replace(
            "tensorgraft.nn.modules.module", "X").replace("torch.nn.modules.container", "Y").replace(
            "tensorgraft.nn.modules.container", "Y")


def _both(build):
    return _outcome(lambda: build(nn, tg)), _outcome(lambda: build(tnn, torch))


CASES = {
    "modulelist-repr": lambda n, t: n.ModuleList([n.Linear(2, 2), n.Linear(2, 2), n.Linear(2, 2), n.ReLU(),
                                                  n.ReLU(), n.Linear(2, 2)]),
    "modulelist-nested-repr": lambda n, t: n.ModuleList([n.Sequential(n.ReLU(), n.Tanh())] * 2),
    "modulelist-empty": lambda n, t: n.ModuleList(),
    "modulelist-index": lambda n, t: n.ModuleList([n.ReLU()])[-2],
    "modulelist-extend-module": lambda n, t: n.ModuleList().extend(n.ReLU()),
    "modulelist-del-slice": lambda n, t: _del(n.ModuleList([n.ReLU(), n.Tanh(), n.Sigmoid()]), slice(0, 2)),
    "modulelist-insert-past-end": lambda n, t: list(_ins(n.ModuleList([n.ReLU()]), 5, n.Tanh())._modules),
    "modulelist-insert": lambda n, t: _ins(n.ModuleList([n.ReLU(), n.Tanh()]), 1, n.ELU()),
    "modulelist-pop": lambda n, t: (lambda m: (m.pop(0), m))(n.ModuleList([n.ReLU(), n.Tanh()])),
    "modulelist-add": lambda n, t: n.ModuleList([n.ReLU()]) + [n.Tanh()],
    "sequential-slice-keys": lambda n, t: list(n.Sequential(n.ReLU(), n.Tanh(), n.ELU())[1:]._modules),
    "sequential-del-renumbers": lambda n, t: list(_del(n.Sequential(OrderedDict(a=n.ReLU(), b=n.Tanh())), 0)._modules),
    "sequential-insert-negative": lambda n, t: n.Sequential(n.ReLU(), n.Tanh()).insert(-2, n.ELU()),
    "sequential-insert-range": lambda n, t: n.Sequential(n.ReLU()).insert(2, n.ELU()),
    "sequential-insert-type": lambda n, t: n.Sequential(n.ReLU()).insert(0, 3),
    "sequential-add-list": lambda n, t: n.Sequential(n.ReLU()) + [n.ReLU()],
    "sequential-mul": lambda n, t: n.Sequential(n.ReLU(), n.Tanh()) * 2,
    "sequential-mul-zero": lambda n, t: n.Sequential(n.ReLU()) * 0,
    "sequential-index": lambda n, t: n.Sequential(n.ReLU())[1],
    "moduledict-order": lambda n, t: list(n.ModuleDict({"b": n.ReLU(), "a": n.Tanh()})),
    "moduledict-update-int": lambda n, t: n.ModuleDict().update(5),
    "moduledict-update-len": lambda n, t: n.ModuleDict().update([("a", n.ReLU(), 1)]),
    "moduledict-update-elem": lambda n, t: n.ModuleDict().update([5]),
    "parameterlist-repr": lambda n, t: n.ParameterList([n.Parameter(t.ones(2, 3)), t.zeros(4), 5,
                                                       t.ones((), dtype=t.float64)]),
    "parameterlist-slice": lambda n, t: n.ParameterList([t.ones(1), 3, t.ones(2)])[1:],
    "parameterlist-extend-tensor": lambda n, t: n.ParameterList().extend(t.ones(2)),
    "parameterlist-call": lambda n, t: n.ParameterList()(),
    "parameterlist-keys": lambda n, t: list(n.ParameterList([t.ones(1), 3, t.ones(2)]).state_dict()),
    "parameterdict-sorted": lambda n, t: n.ParameterDict({"b": t.ones(2), "a": t.zeros(4), "c": 5}),
    "parameterdict-ordered": lambda n, t: list(n.ParameterDict(OrderedDict(b=t.ones(1), a=t.ones(1)))),
    "parameterdict-key-type": lambda n, t: n.ParameterDict()[1],
    "parameterdict-update-int": lambda n, t: n.ParameterDict().update(5),
    "parameterdict-update-elem": lambda n, t: n.ParameterDict().update([5]),
    "parameterdict-update-len": lambda n, t: n.ParameterDict().update([("a", 1, 2)]),
    "parameterdict-get": lambda n, t: n.ParameterDict({"a": 3}).get("zz", 7),
    "parameterdict-missing": lambda n, t: n.ParameterDict()["zz"],
    "parameterdict-del": lambda n, t: (lambda d: (d.__delitem__("a"), list(d), hasattr(d, "a")))(
        n.ParameterDict({"a": t.ones(1), "b": t.ones(1)})),
    "embedding-repr": lambda n, t: n.Embedding(5, 3, padding_idx=-2, max_norm=1.0, norm_type=3.0,
                                               scale_grad_by_freq=True, sparse=True),
    "embedding-pad-range": lambda n, t: n.Embedding(5, 3, padding_idx=5),
    "embedding-weight-shape": lambda n, t: n.Embedding(5, 3, _weight=t.ones(4, 3)),
    "embedding-pad-row": lambda n, t: n.Embedding(5, 3, padding_idx=1).weight[1].tolist(),
    "embedding-given-pad-row": lambda n, t: n.Embedding(2, 3, _weight=t.ones(2, 3), padding_idx=1).weight[1].tolist(),
    "embedding-pretrained": lambda n, t: (lambda e: (e, e.weight.requires_grad, e.weight[1].tolist()))(
        n.Embedding.from_pretrained(t.ones(3, 2), padding_idx=1)),
    "embedding-pretrained-1d": lambda n, t: n.Embedding.from_pretrained(t.ones(3)),
    "bag-repr": lambda n, t: n.EmbeddingBag(5, 3, padding_idx=-1, max_norm=1.0, norm_type=3.0,
                                            scale_grad_by_freq=True, sparse=True, mode="sum"),
    "bag-default-repr": lambda n, t: n.EmbeddingBag(5, 3),
    "bag-pad-range": lambda n, t: n.EmbeddingBag(5, 3, padding_idx=-6),
    "bag-pretrained": lambda n, t: (lambda b: (b, b.weight.requires_grad, b.include_last_offset))(
        n.EmbeddingBag.from_pretrained(t.ones(3, 2), freeze=False, include_last_offset=True, mode="max")),
}


def _del(m, idx):
    del m[idx]
    return m


def _ins(m, idx, mod):
    m.insert(idx, mod)
    return m


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_pytorch(name):
    ours, theirs = _both(CASES[name])
    assert ours == theirs


def test_bag_forward_matches_pytorch():
    w = torch.randn(6, 3, dtype=torch.float64)
    ours = nn.EmbeddingBag.from_pretrained(tg.tensor(w.numpy()), mode="sum", padding_idx=2)
    theirs = tnn.EmbeddingBag.from_pretrained(w, mode="sum", padding_idx=2)
    idx = [[0, 2, 5], [1, 1, 3]]
    np.testing.assert_allclose(ours(tg.tensor(idx)).detach().numpy(), theirs(torch.tensor(idx)).detach().numpy())
