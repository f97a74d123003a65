"""``nn.Embedding``/``nn.EmbeddingBag`` with ``sparse=True``: the weight's gradient is a sparse COO
tensor with one entry per looked-up index (PyTorch's layout), holding the same gradient as the
dense mode once made dense; padding entries are left out; accumulation keeps it sparse."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import nn

IDS = [[1, 2], [1, 4]]


def _grads(make, ids, weights=None, **forward):
    """(sparse-mode gradient, dense-mode gradient) of ``sum(out * weights)``."""
    out = []
    for sparse in (True, False):
        tg.manual_seed(0)
        module = make(sparse)
        y = module(tg.tensor(ids), **forward)
        w = tg.arange(float(y.numel())).reshape(y.shape) if weights is None else weights
        (y * w).sum().backward()
        out.append(module.weight.grad)
    return out


@pytest.mark.parametrize("options", [{}, {"padding_idx": 2}, {"padding_idx": 1}])
def test_embedding_sparse_gradient_equals_the_dense_one(options):
    sparse, dense = _grads(lambda s: nn.Embedding(5, 3, sparse=s, **options), IDS)
    assert sparse.is_sparse and not dense.is_sparse and not sparse.is_coalesced()
    assert sparse.sparse_dim() == 1 and sparse.dense_dim() == 1 and sparse.shape == (5, 3)
    looked_up = np.array(IDS).reshape(-1)
    kept = looked_up[looked_up != options["padding_idx"]] if "padding_idx" in options else looked_up
    np.testing.assert_array_equal(sparse._indices().numpy(), kept[None])
    np.testing.assert_allclose(sparse.to_dense().numpy(), dense.numpy(), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: nn.Embedding(5, 3, sparse=True, scale_grad_by_freq=True),
                                  lambda: nn.EmbeddingBag(5, 3, mode="sum", sparse=True, scale_grad_by_freq=True)])
def test_scale_grad_by_freq_is_refused_with_sparse_gradients(make):
    module = make()
    out = module(tg.tensor(IDS))
    with pytest.raises(RuntimeError, match="embedding_backward: scale_grad_by_freq not supported with sparse gradients"):
        out.sum().backward()


def test_embedding_sparse_gradient_values_are_the_rows_in_lookup_order():
    sparse, _ = _grads(lambda s: nn.Embedding(5, 3, sparse=s), IDS)
    np.testing.assert_array_equal(sparse._values().numpy(), np.arange(12.0).reshape(4, 3))


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_sparse_gradient_equals_the_dense_one(mode, padding_idx):
    ids, offsets = tg.tensor([1, 2, 1, 4, 2]), tg.tensor([0, 2, 3])
    grads = []
    for sparse in (True, False):
        tg.manual_seed(0)
        bag = nn.EmbeddingBag(5, 3, mode=mode, sparse=sparse, padding_idx=padding_idx)
        (bag(ids, offsets) * tg.arange(9.0).reshape(3, 3)).sum().backward()
        grads.append(bag.weight.grad)
    assert grads[0].is_sparse
    np.testing.assert_allclose(grads[0].to_dense().numpy(), grads[1].numpy(), rtol=1e-6)
    assert grads[0]._nnz() == (5 if padding_idx is None else 3)


def test_embedding_bag_sparse_gradient_with_per_sample_weights():
    ids, offsets = tg.tensor([1, 2, 1, 4]), tg.tensor([0, 2])
    psw = tg.tensor([0.5, 2.0, 1.0, -1.0])
    grads = []
    for sparse in (True, False):
        tg.manual_seed(0)
        bag = nn.EmbeddingBag(5, 3, mode="sum", sparse=sparse)
        bag(ids, offsets, per_sample_weights=psw).pow(2).sum().backward()
        grads.append(bag.weight.grad)
    np.testing.assert_allclose(grads[0].to_dense().numpy(), grads[1].numpy(), rtol=1e-6)


def test_sparse_gradients_accumulate_entry_after_entry():
    emb = nn.Embedding(5, 3, sparse=True)
    emb(tg.tensor(IDS)).sum().backward()
    emb(tg.tensor([0])).sum().backward()
    g = emb.weight.grad
    assert g.is_sparse and g._nnz() == 5
    np.testing.assert_array_equal(g._indices().numpy(), [[1, 2, 1, 4, 0]])
    np.testing.assert_array_equal(g.to_dense().numpy(), [[1] * 3, [2] * 3, [1] * 3, [0] * 3, [1] * 3])


def test_create_graph_keeps_the_gradient_dense_and_differentiable():
    emb = nn.Embedding(5, 3, sparse=True)
    y = (emb(tg.tensor(IDS)) ** 2).sum()
    (g,) = tg.autograd.grad(y, emb.weight, create_graph=True)
    assert not g.is_sparse and g.requires_grad
    dense = nn.Embedding(5, 3)
    with tg.no_grad():
        dense.weight.copy_(emb.weight)
    (gd,) = tg.autograd.grad((dense(tg.tensor(IDS)) ** 2).sum(), dense.weight)
    np.testing.assert_allclose(g.detach().numpy(), gd.numpy(), rtol=1e-6)


def test_functional_embedding_takes_sparse():
    w = tg.randn(5, 3, requires_grad=True)
    tg.nn.functional.embedding(tg.tensor(IDS), w, sparse=True).sum().backward()
    assert w.grad.is_sparse and w.grad._nnz() == 4
