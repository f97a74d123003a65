"""Gradients through sparse COO tensors, each checked against the same computation on dense
tensors: a sparse input's gradient is sparse with that input's (coalesced) pattern, holding the
dense gradient at the stored entries (PyTorch's masked gradients), except through ``torch.mm``/``@``,
where PyTorch gives the sparse operand a dense gradient."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

INDICES = [[0, 1, 1, 0], [2, 0, 2, 2]]
VALUES = [3.0, 4.0, 5.0, 1.0]


def sparse(requires_grad=True, dtype=tg.float64):
    s = tg.sparse_coo_tensor(INDICES, tg.tensor(VALUES, dtype=dtype), (2, 3))
    return s.requires_grad_() if requires_grad else s


def dense_twin(s):
    """A dense leaf holding ``s``'s values, to take the reference gradient on."""
    return s.detach().to_dense().requires_grad_()


def weights(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape))


def masked(dense_grad, s):
    """The dense gradient read at ``s``'s coalesced entries."""
    index = s.detach().coalesce().indices().numpy()
    return dense_grad.numpy()[tuple(index)]


def test_sparse_mm_gives_a_masked_sparse_gradient_and_a_dense_one():
    s, x = sparse(), weights(3, 2).requires_grad_()
    y = tg.sparse.mm(s, x)
    assert y.grad_fn.name() == "SparseAddmmBackward0" and not y.is_sparse
    w = weights(2, 2, seed=1)
    (y * w).sum().backward()
    d, xd = dense_twin(s), x.detach().clone().requires_grad_()
    ((d @ xd) * w).sum().backward()
    assert s.grad.is_sparse and s.grad.is_coalesced() and s.grad._nnz() == 3
    np.testing.assert_allclose(s.grad.values().numpy(), masked(d.grad, s))
    np.testing.assert_allclose(x.grad.numpy(), xd.grad.numpy())


def test_mm_and_matmul_give_the_sparse_operand_a_dense_gradient():
    for product in (tg.mm, tg.matmul, lambda a, b: a @ b):
        s, x = sparse(), weights(3, 2).requires_grad_()
        y = product(s, x)
        assert y.grad_fn.name() == "MmBackward0"
        (y ** 2).sum().backward()
        d, xd = dense_twin(s), x.detach().clone().requires_grad_()
        ((d @ xd) ** 2).sum().backward()
        assert not s.grad.is_sparse
        np.testing.assert_allclose(s.grad.numpy(), d.grad.numpy())
        np.testing.assert_allclose(x.grad.numpy(), xd.grad.numpy())


def test_dense_times_sparse_gradient():
    s, x = sparse(requires_grad=False), weights(4, 2).requires_grad_()
    (x @ s).pow(2).sum().backward()
    xd = x.detach().clone().requires_grad_()
    (xd @ s.to_dense()).pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xd.grad.numpy())


def test_to_dense_gradient_is_masked_and_sparse():
    s = sparse()
    y = s.to_dense()
    assert y.grad_fn.name() == "ToDenseBackward0"
    w = weights(2, 3)
    (y * w).sum().backward()
    assert s.grad.is_sparse
    np.testing.assert_allclose(s.grad.to_dense().numpy(), w.numpy() * (s.detach().to_dense().numpy() != 0))


def test_values_reach_their_gradient_through_sparse_coo_tensor():
    v = tg.tensor(VALUES, dtype=tg.float64, requires_grad=True)
    s = tg.sparse_coo_tensor(INDICES, v, (2, 3))
    assert s.grad_fn.name() == "SparseCooTensorWithDimsAndTensorsBackward0" and not s.is_leaf
    x = weights(3, 2)
    (tg.sparse.mm(s, x) ** 2).sum().backward()
    # reference: the same sum of products written densely (repeated entries each get the gradient)
    vd = tg.tensor(VALUES, dtype=tg.float64, requires_grad=True)
    rows, cols = np.array(INDICES)
    dense = tg.zeros(2, 3, dtype=tg.float64).index_put((tg.tensor(rows), tg.tensor(cols)), vd, accumulate=True)
    ((dense @ x) ** 2).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), vd.grad.numpy())


def test_values_method_and_coalesce_pass_gradients_through():
    s = sparse()
    (s._values() * tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64)).sum().backward()
    assert s.grad.is_sparse
    np.testing.assert_allclose(s.grad._values().numpy(), [1.0, 2.0, 3.0, 4.0])
    s = sparse()
    c = s.coalesce()
    assert c.grad_fn.name() == "CoalesceBackward0"
    (c.values() * tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64)).sum().backward()
    np.testing.assert_allclose(s.grad.to_dense().numpy(), [[0, 0, 1], [2, 0, 3]])


def test_to_sparse_gradient_is_dense():
    x = tg.tensor([[0.0, 2.0], [3.0, 0.0]], dtype=tg.float64, requires_grad=True)
    s = x.to_sparse()
    assert s.grad_fn.name() == "ToSparseBackward1" and x.to_sparse(1).grad_fn.name() == "ToSparseBackward0"
    (s.to_dense() ** 2).sum().backward()
    assert not x.grad.is_sparse
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 4.0], [6.0, 0.0]])


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_sparse_sum_gradient(dim):
    s = sparse()
    y = tg.sparse.sum(s) if dim is None else tg.sparse.sum(s, dim)
    assert y.grad_fn.name() == ("SumBackward0" if dim is None else "SparseSumBackward0")  # (as PyTorch 2.13)
    out = y.to_dense() if y.is_sparse else y
    w = weights(*out.shape, seed=2)
    (out * w).sum().backward()
    d = dense_twin(s)
    ref = d.sum() if dim is None else d.sum(dim)
    (ref * w).sum().backward()
    assert s.grad.is_sparse
    np.testing.assert_allclose(s.grad.values().numpy(), masked(d.grad, s))


def test_gradients_accumulate_over_two_uses():
    s, x = sparse(), weights(3, 2)
    (tg.sparse.mm(s, x).sum() + s.to_dense().sum()).backward()
    d = dense_twin(s)
    ((d @ x).sum() + d.sum()).backward()
    assert s.grad.is_sparse
    np.testing.assert_allclose(s.grad.to_dense().numpy(), d.grad.numpy() * (d.detach().numpy() != 0))


def test_autograd_grad_and_no_grad():
    s, x = sparse(), weights(3, 2).requires_grad_()
    gs, gx = tg.autograd.grad((tg.sparse.mm(s, x) ** 2).sum(), [s, x])
    assert gs.is_sparse and not gx.is_sparse
    with tg.no_grad():
        y = tg.sparse.mm(s, x)
    assert y.grad_fn is None and not y.requires_grad


def test_second_order_through_a_sparse_op_is_refused():
    s, x = sparse(), weights(3, 2).requires_grad_()
    y = (tg.sparse.mm(s, x) ** 2).sum()
    with pytest.raises(NotImplementedError, match="first-order only"):
        tg.autograd.grad(y, x, create_graph=True)


def test_a_gcn_layer_trains():
    rng = np.random.default_rng(0)
    n = 30
    index = rng.integers(0, n, (2, 90))
    adj = tg.sparse_coo_tensor(index, np.full(90, 0.2, np.float32), (n, n)).coalesce()
    x = tg.tensor(rng.standard_normal((n, 5)).astype(np.float32))
    target = tg.tensor(rng.standard_normal((n, 2)).astype(np.float32))
    w = tg.tensor(rng.standard_normal((5, 2)).astype(np.float32) * 0.1, requires_grad=True)
    losses = []
    for _ in range(30):
        logits = tg.sparse.mm(adj, x @ w) + x @ w
        loss = ((logits - target) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            w -= 0.5 * w.grad
            w.grad = None
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]
