"""Gradients of torch.sparse.softmax / log_softmax and Tensor.sparse_mask, checked against the
dense computation they stand for (softmax with minus infinity off the pattern; indexing), without
PyTorch: node names, the gradient's layout and pattern, and its values."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd")


def _random_pattern(seed, shape=(5, 6), nnz=14):
    rng = np.random.default_rng(seed)
    idx = np.stack([rng.integers(0, n, nnz) for n in shape])
    return idx, rng.standard_normal(nnz), rng.standard_normal(shape)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_gradient_equals_the_dense_masked_softmax(dim, log):
    idx, vals, weight = _random_pattern(dim + 2 * log)
    values = tg.tensor(vals, requires_grad=True)
    s = tg.sparse_coo_tensor(tg.tensor(idx), values, (5, 6))
    out = (tg.sparse.log_softmax if log else tg.sparse.softmax)(s, dim)
    assert type(out.grad_fn).__name__ == ("SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0")
    (out.to_dense() * tg.tensor(weight)).sum().backward()

    # the same function written densely: the stored entries summed into a matrix, minus infinity
    # elsewhere, an ordinary softmax, kept where something is stored
    ref_values = tg.tensor(vals, requires_grad=True)
    stored = np.zeros((5, 6), bool)
    stored[tuple(idx)] = True
    dense = tg.zeros(5, 6, dtype=tg.float64).index_put((tg.tensor(idx[0]), tg.tensor(idx[1])), ref_values,
                                                       accumulate=True)
    dense = dense.masked_fill(tg.tensor(~stored), float("-inf"))
    ref = (tg.log_softmax if log else tg.softmax)(dense, dim)
    ref = ref.masked_fill(tg.tensor(~stored), 0.0)
    (ref * tg.tensor(weight)).sum().backward()
    np.testing.assert_allclose(values.grad.numpy(), ref_values.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_gradient_is_sparse_with_the_coalesced_pattern():
    idx, vals, _ = _random_pattern(5)
    s = tg.sparse_coo_tensor(tg.tensor(idx), tg.tensor(vals), (5, 6)).requires_grad_()
    tg.sparse.softmax(s, 1).to_dense().pow(2).sum().backward()
    assert s.grad.is_sparse and s.grad.is_coalesced()
    np.testing.assert_array_equal(s.grad._indices().numpy(), s.detach().coalesce()._indices().numpy())


def test_softmax_create_graph_is_refused_clearly():
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.tensor([1.0, 2.0], requires_grad=True), (3,))
    out = tg.sparse.softmax(s, 0)
    # a dense gradient straight into the softmax node (no to_dense node before it)
    with pytest.raises(NotImplementedError, match="SparseSoftmaxBackward0: tensorgraft's sparse COO gradients are "
                                                  "first-order only"):
        tg.autograd.grad(out, s, grad_outputs=tg.ones(3), create_graph=True)


def test_sparse_mask_gradient_of_a_dense_self():
    idx, _, weight = _random_pattern(9)
    base = tg.tensor(np.arange(30.0).reshape(5, 6), requires_grad=True)
    mask = tg.sparse_coo_tensor(tg.tensor(idx), tg.ones(idx.shape[1]), (5, 6))  # repeats left in
    out = base.sparse_mask(mask)
    assert type(out.grad_fn).__name__ == "SparseMaskBackward0"
    (out.to_dense() * tg.tensor(weight)).sum().backward()
    expected = np.zeros((5, 6))
    np.add.at(expected, tuple(idx), weight[tuple(idx)])  # an entry listed twice counts twice
    assert not base.grad.is_sparse
    np.testing.assert_allclose(base.grad.numpy(), expected)


def test_sparse_mask_gradient_of_a_sparse_self_has_the_masks_pattern():
    base = tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.tensor([1.0, 2.0]), (4,)).coalesce().requires_grad_()
    mask = tg.sparse_coo_tensor(tg.tensor([[1, 2]]), tg.ones(2), (4,)).coalesce()
    (base.sparse_mask(mask).to_dense() * tg.tensor([10.0, 20.0, 30.0, 40.0])).sum().backward()
    assert base.grad.is_sparse
    np.testing.assert_array_equal(base.grad._indices().numpy(), [[1, 2]])
    np.testing.assert_array_equal(base.grad._values().numpy(), [20.0, 30.0])
