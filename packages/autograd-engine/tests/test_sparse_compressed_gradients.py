"""Gradients through compressed sparse tensors (CSR, CSC, BSR, BSC), checked against the same
computation on dense tensors: which gradients are dense (through ``mm``, ``sum``: PyTorch's) and
which keep the sparse tensor's pattern (through ``to_dense``, ``values``, ``mul``, ``t``, ``sparse.mm``
with a reduction), and the nodes' names."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

DENSE = np.array([[1.0, 0.0, 2.0, 0.0],
                  [0.0, 0.0, 3.0, 0.0],
                  [4.0, 5.0, 0.0, 6.0]])
MASK = DENSE != 0
RNG = np.random.default_rng(0)
W = RNG.standard_normal((4, 3))
G = RNG.standard_normal((3, 4))


def _csr():
    return tg.tensor(DENSE).to_sparse_csr().requires_grad_()


def test_product_gives_the_sparse_leaf_a_dense_gradient():
    c = _csr()
    w = tg.tensor(W, requires_grad=True)
    y = c @ w
    assert type(y.grad_fn).__name__ == "MmBackward0"
    y.backward(tg.ones(3, 3, dtype=tg.float64))
    assert c.grad.layout is tg.strided  # (PyTorch's mm gives a CSR leaf a dense gradient)
    np.testing.assert_allclose(c.grad.numpy(), np.ones((3, 3)) @ W.T)
    np.testing.assert_allclose(w.grad.numpy(), DENSE.T @ np.ones((3, 3)))


def test_addmm_and_mv_gradients():
    c = _csr()
    y = tg.addmm(tg.zeros(3, 3, dtype=tg.float64), c, tg.tensor(W))
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    y.sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), np.ones((3, 3)) @ W.T)
    c = _csr()
    v = tg.tensor(W[:, 0], requires_grad=True)
    y = c @ v
    assert type(y.grad_fn).__name__ == "MvBackward0"
    y.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), DENSE.sum(axis=0))


def test_to_dense_gives_a_gradient_with_the_pattern():
    c = _csr()
    y = c.to_dense()
    assert type(y.grad_fn).__name__ == "ToDenseBackward0"
    (y * tg.tensor(G)).sum().backward()
    assert c.grad.layout is tg.sparse_csr
    assert c.grad.crow_indices().tolist() == c.crow_indices().tolist()
    np.testing.assert_allclose(c.grad.to_dense().numpy(), G * MASK)


@pytest.mark.parametrize("name,blocksize", [("csc", None), ("bsr", (1, 2)), ("bsc", (3, 1))])
def test_to_dense_of_the_other_layouts(name, blocksize):
    x = tg.tensor(DENSE)
    s = (getattr(x, "to_sparse_" + name)(*(() if blocksize is None else (blocksize,)))).requires_grad_()
    (s.to_dense() * tg.tensor(G)).sum().backward()
    assert s.grad.layout is s.layout
    stored = np.zeros_like(MASK)  # the stored entries (a block's zeros are stored entries too)
    stored[tuple(s.detach().to_sparse()._indices().numpy())] = True
    if blocksize is not None:
        assert stored.sum() > MASK.sum()
    np.testing.assert_allclose(s.grad.to_dense().numpy(), G * stored)


def test_values_mul_transpose_and_coo_keep_the_pattern():
    for build, name in ((lambda c: c.values().sum(), "ValuesBackward0"),
                        (lambda c: (c * 2).to_dense().sum(), "MulBackward0"),
                        (lambda c: c.t().to_dense().sum(), "TBackward0"),
                        (lambda c: c.to_sparse().to_dense().sum(), "ToSparseBackward1")):
        c = _csr()
        out = build(c)
        out.backward()
        assert c.grad.layout is tg.sparse_csr, name
        scale = 2.0 if name == "MulBackward0" else 1.0
        np.testing.assert_allclose(c.grad.to_dense().numpy(), scale * MASK, err_msg=name)
    c = _csr()
    assert type(c.values().grad_fn).__name__ == "ValuesBackward0"
    assert type(c.t().grad_fn).__name__ == "TBackward0"
    assert type(c.to_sparse().grad_fn).__name__ == "ToSparseBackward1"


def test_sum_gives_a_dense_gradient():
    c = _csr()
    y = c.sum()
    assert type(y.grad_fn).__name__ == "SumBackward0"
    y.backward()
    np.testing.assert_allclose(c.grad.numpy(), np.ones((3, 4)))


def test_gradients_accumulate_over_backward_passes():
    c = _csr()
    (c * 2).to_dense().sum().backward()
    first = c.grad
    (c * 3).to_dense().sum().backward()
    assert c.grad is first and c.grad.layout is tg.sparse_csr
    np.testing.assert_allclose(c.grad.to_dense().numpy(), 5.0 * MASK)
    (c @ tg.tensor(W)).sum().backward()  # a dense gradient onto a sparse one: dense
    np.testing.assert_allclose(c.grad.to_dense().numpy(), 5.0 * MASK + np.ones((3, 3)) @ W.T)


def test_dense_input_through_a_compressed_tensor():
    for name, node in (("csr", "ToSparseCsrBackward0"), ("csc", "ToSparseCscBackward0")):
        x = tg.tensor(DENSE, requires_grad=True)
        s = getattr(x, "to_sparse_" + name)()
        assert type(s.grad_fn).__name__ == node
        (s.to_dense() * tg.tensor(G)).sum().backward()
        assert x.grad.layout is tg.strided
        np.testing.assert_allclose(x.grad.numpy(), G * MASK)
    x = tg.tensor(DENSE, requires_grad=True)
    s = x.to_sparse_bsr((1, 2))
    assert type(s.grad_fn).__name__ == "ToSparseBsrBackward0"
    (s.to_dense() * tg.tensor(G)).sum().backward()
    block_mask = np.repeat(DENSE.reshape(3, 2, 2).any(axis=2), 2, axis=1)  # the stored 1x2 blocks
    np.testing.assert_allclose(x.grad.numpy(), G * block_mask)


def test_layout_conversion_gradient_comes_back_in_the_input_layout():
    c = _csr()
    (c.to_sparse_csc().to_dense() * tg.tensor(G)).sum().backward()
    assert c.grad.layout is tg.sparse_csr
    np.testing.assert_allclose(c.grad.to_dense().numpy(), G * MASK)
    coo = tg.tensor(DENSE).to_sparse().requires_grad_()
    (coo.to_sparse_csr().to_dense() * tg.tensor(G)).sum().backward()
    assert coo.grad.is_sparse
    np.testing.assert_allclose(coo.grad.to_dense().numpy(), G * MASK)


def test_values_get_their_gradient_through_the_factory():
    v = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tg.sparse_csr_tensor([0, 2, 3], [0, 2, 1], v, (2, 3))
    assert type(c.grad_fn).__name__ == "SparseCompressedTensorBackward0"
    (c.to_dense() * tg.arange(6.0).reshape(2, 3)).sum().backward()
    assert v.grad.tolist() == [0.0, 2.0, 4.0]
    b = tg.ones(1, 1, 2, requires_grad=True)
    s = tg.sparse_bsr_tensor([0, 1], [1], b, (1, 4))
    (s.to_dense() * tg.arange(4.0)).sum().backward()
    assert b.grad.tolist() == [[[2.0, 3.0]]]


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
def test_sparse_mm_reduce_gradients(reduce):
    a = tg.tensor(DENSE).to_sparse_csr().requires_grad_()
    b = tg.tensor(W, requires_grad=True)
    y = tg.sparse.mm(a, b, reduce)
    assert type(y.grad_fn).__name__ == "SparseMmReduceImplBackward0"
    gy = RNG.standard_normal(y.shape)
    y.backward(tg.tensor(gy))
    assert a.grad.layout is tg.sparse_csr
    # the same reduction written with dense ops over the stored entries, differentiated by autograd
    values = tg.tensor(DENSE[MASK], requires_grad=True)
    bd = tg.tensor(W, requires_grad=True)
    rows, cols = np.nonzero(MASK)
    contrib = values[:, None] * bd[tg.tensor(cols)]
    outs = []
    for i in range(3):
        part = contrib[tg.tensor(np.flatnonzero(rows == i))]
        outs.append({"sum": part.sum(0), "mean": part.mean(0), "amax": part.amax(0), "amin": part.amin(0)}[reduce])
    (tg.stack(outs) * tg.tensor(gy)).sum().backward()
    np.testing.assert_allclose(a.grad.values().numpy(), values.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), bd.grad.numpy(), rtol=1e-10)


def test_create_graph_through_a_sparse_op_is_refused():
    c = _csr()
    y = (c.to_dense() ** 2).sum()
    with pytest.raises(NotImplementedError, match="first-order"):
        tg.autograd.grad(y, c, create_graph=True)


def test_requires_grad_factory_argument():
    c = tg.sparse_csr_tensor([0, 1], [0], [1.0], (1, 1), requires_grad=True)
    assert c.requires_grad and c.grad_fn is None
    assert "requires_grad=True" in repr(c)
    assert "grad_fn=<MulBackward0>" in repr(c * 2)
