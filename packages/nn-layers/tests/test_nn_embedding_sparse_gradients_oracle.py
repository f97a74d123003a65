"""``sparse=True`` embeddings against PyTorch: the sparse weight gradient prints the same (its
entries, their order, padding left out, accumulation over two backward passes)."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import run_in_both  # noqa: E402


def _embedding(m, **options):
    m.manual_seed(0)
    e = m.nn.Embedding(5, 3, sparse=True, **options)
    ids = m.tensor([[1, 2], [1, 4]])
    (e(ids) * m.arange(12.0).reshape(2, 2, 3)).sum().backward()
    first = e.weight.grad.clone()
    e(m.tensor([0])).sum().backward()
    if "padding_idx" in options:
        # with a padding_idx PyTorch's accumulated gradient holds its entries in another order
        # (the same values): compared made dense
        return first, e.weight.grad.to_dense()
    return first, e.weight.grad


def _bag(m, mode, **options):
    b = m.nn.EmbeddingBag(5, 3, sparse=True, mode=mode, **options)
    b(m.tensor([1, 2, 1, 4, 2]), m.tensor([0, 2, 3])).pow(2).sum().backward()
    return b.weight.grad._indices(), b.weight.grad._values().shape


CASES = {
    "plain": lambda m: _embedding(m),
    "padding": lambda m: _embedding(m, padding_idx=2),
    "bag_sum": lambda m: _bag(m, "sum"),
    "bag_mean": lambda m: _bag(m, "mean"),
    "bag_padding": lambda m: _bag(m, "sum", padding_idx=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sparse_embedding_gradient_matches_pytorch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = run_in_both(CASES[name])
    assert repr(ours) == repr(theirs)
