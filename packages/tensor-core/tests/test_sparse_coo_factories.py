"""Sparse COO tensors from factories, without PyTorch: ``layout=`` on zeros/empty (and the
factories that refuse it instead of ignoring it), the ``*_like`` and ``new_*`` forms of a sparse
tensor, and ``torch.sparse.spdiags`` worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg


def _s():
    return tg.sparse_coo_tensor(tg.tensor([[0, 1], [1, 0]]), tg.tensor([1.0, 2.0]), (2, 3))


def _h():
    return tg.sparse_coo_tensor(tg.tensor([[0, 1]]), tg.ones(2, 3), (2, 3))


@pytest.mark.parametrize("make", [lambda: tg.zeros(2, 3, layout=tg.sparse_coo),
                                  lambda: tg.empty((2, 3), layout=tg.sparse_coo, dtype=tg.float64),
                                  lambda: tg.zeros_like(_s()), lambda: tg.empty_like(_s()),
                                  lambda: _s().new_zeros(2, 3), lambda: _s().new_empty((2, 3)),
                                  lambda: tg.zeros_like(tg.ones(2, 3), layout=tg.sparse_coo)])
def test_sparse_factories_make_empty_sparse_tensors(make):
    out = make()
    assert out.is_sparse and out.layout is tg.sparse_coo and tuple(out.shape) == (2, 3)
    assert out._nnz() == 0 and out.is_coalesced() and out.to_dense().abs().sum().item() == 0


def test_like_keeps_the_sparse_dims_and_takes_dtype_and_layout():
    h = tg.zeros_like(_h())
    assert h.sparse_dim() == 1 and h.dense_dim() == 1
    assert tg.zeros_like(_s(), dtype=tg.int64).dtype is tg.int64
    dense = tg.zeros_like(_s(), layout=tg.strided)
    assert not dense.is_sparse and dense.tolist() == [[0.0] * 3] * 2
    assert _s().new_tensor([1.0]).is_sparse is False
    assert tg.zeros(2, layout=tg.strided).is_sparse is False


def test_requires_grad_and_device():
    pytest.importorskip("tensorgraft.autograd")
    assert tg.zeros(2, layout=tg.sparse_coo, requires_grad=True).requires_grad


def test_sparse_factories_refuse_other_devices():
    with pytest.raises(RuntimeError, match="sparse COO tensors live on the CPU"):
        tg.zeros(2, layout=tg.sparse_coo, device="meta")


@pytest.mark.parametrize("call,message", [
    (lambda: tg.ones(2, layout=tg.sparse_coo), "full\\(...\\) is not implemented for sparse layout"),
    (lambda: tg.full((2,), 1.0, layout=tg.sparse_coo), "full\\(...\\) is not implemented for sparse layout"),
    (lambda: tg.zeros(2, layout=tg.sparse_coo, out=tg.empty(2)),
     "layout Sparse does not match layout of out parameter \\(Strided\\)"),
])
def test_sparse_layout_refusals(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


@pytest.mark.parametrize("call", [lambda: tg.ones_like(_s()), lambda: tg.full_like(_s(), 1.0),
                                  lambda: tg.rand_like(_s()), lambda: tg.randn_like(_s()),
                                  lambda: tg.randint_like(_s(), 3), lambda: _s().new_ones(2),
                                  lambda: _s().new_full((2,), 1.0), lambda: tg.rand(2, layout=tg.sparse_coo),
                                  lambda: tg.randn(2, layout=tg.sparse_coo), lambda: tg.eye(2, layout=tg.sparse_coo),
                                  lambda: tg.arange(3, layout=tg.sparse_coo),
                                  lambda: tg.linspace(0, 1, 3, layout=tg.sparse_coo)])
def test_factories_that_cannot_fill_a_sparse_tensor_say_so(call):
    with pytest.raises(NotImplementedError, match="'SparseCPU' backend: .*make a dense one and call .to_sparse"):
        call()


def test_layout_must_be_a_layout():
    with pytest.raises(TypeError, match="zeros\\(\\): argument 'layout' must be torch.layout, not str"):
        tg.zeros(2, layout="sparse")


def test_spdiags_by_hand():
    diagonals = tg.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    out = tg.sparse.spdiags(diagonals, tg.tensor([1, -1]), (3, 4))
    expected = np.zeros((3, 4))
    for row, k in zip(diagonals.numpy(), (1, -1)):  # SciPy's rule: row[j] goes to column j of diagonal k
        for i in range(3):
            if 0 <= i + k < 4:
                expected[i, i + k] = row[i + k]
    np.testing.assert_array_equal(out.to_dense().numpy(), expected)
    assert out.is_sparse and not out.is_coalesced() and out.dtype is tg.float32


def test_spdiags_errors():
    with pytest.raises(RuntimeError, match="Offset tensor contains duplicate values"):
        tg.sparse.spdiags(tg.ones(2, 3), tg.tensor([0, 0]), (3, 3))
    with pytest.raises(RuntimeError, match="offset 5 lies outside a 3x3 output"):
        tg.sparse.spdiags(tg.ones(1, 3), tg.tensor([5]), (3, 3))
    with pytest.raises(TypeError, match="argument 'offsets' must be Tensor, not list"):
        tg.sparse.spdiags(tg.ones(1, 3), [0], (3, 3))
