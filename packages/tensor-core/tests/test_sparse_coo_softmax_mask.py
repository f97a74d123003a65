"""torch.sparse.softmax / log_softmax and Tensor.sparse_mask without autograd: values worked out by
hand and against a dense softmax that gives the missing entries minus infinity, hybrid tensors,
uncoalesced input, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

INDICES = [[0, 0, 1, 2, 2, 0], [0, 2, 1, 0, 2, 2]]  # (0, 2) twice: uncoalesced
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, -1.5]


def _s(dtype=tg.float32):
    return tg.sparse_coo_tensor(tg.tensor(INDICES), tg.tensor(VALUES, dtype=dtype), (3, 3))


def _dense_reference(s, dim, log):
    """softmax of the dense form with minus infinity where nothing is stored, read at the stored
    entries (the definition torch.sparse.softmax follows)."""
    c = s.coalesce()
    dense = np.full(c.shape, -np.inf)
    idx = tuple(c._indices().numpy())
    dense[idx] = c._values().numpy()
    shifted = dense - dense.max(axis=dim, keepdims=True)
    e = np.exp(shifted)
    out = shifted - np.log(e.sum(axis=dim, keepdims=True)) if log else e / e.sum(axis=dim, keepdims=True)
    return out[idx]


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_softmax_over_stored_entries(dim, log):
    s = _s(tg.float64)
    fn = tg.sparse.log_softmax if log else tg.sparse.softmax
    out = fn(s, dim)
    assert out.is_sparse and out.is_coalesced() and out._nnz() == 5  # the input coalesced: (0, 2) summed
    np.testing.assert_allclose(out._values().numpy(), _dense_reference(s, dim % 2, log), rtol=1e-12)
    np.testing.assert_array_equal(out._indices().numpy(), s.coalesce()._indices().numpy())


def test_softmax_values_by_hand():
    out = tg.sparse.softmax(_s(), 1)  # row 0 holds 1 and 2 - 1.5 = 0.5; row 1 holds 3 alone
    e1, e2 = np.exp(1.0), np.exp(0.5)
    np.testing.assert_allclose(out._values().numpy()[:3], [e1 / (e1 + e2), e2 / (e1 + e2), 1.0], rtol=1e-6)


def test_softmax_hybrid_dims():
    h = tg.sparse_coo_tensor(tg.tensor([[0, 2]]), tg.tensor([[1.0, 2.0], [3.0, 4.0]]), (3, 2))
    along_dense = tg.sparse.softmax(h, 1)._values().numpy()
    np.testing.assert_allclose(along_dense, np.exp([[1, 2], [3, 4]]) / np.exp([[1, 2], [3, 4]]).sum(1, keepdims=True),
                               rtol=1e-6)
    along_sparse = tg.sparse.log_softmax(h, 0)._values().numpy()
    col = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(along_sparse, col - np.log(np.exp(col).sum(0, keepdims=True)), rtol=1e-6)


def test_softmax_dtype_and_empty():
    assert tg.sparse.softmax(_s(), 0, dtype=tg.float64).dtype is tg.float64
    empty = tg.sparse_coo_tensor(tg.zeros(2, 0, dtype=tg.long), tg.zeros(0), (2, 2))
    assert tg.sparse.softmax(empty, 1)._nnz() == 0


def test_softmax_errors():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tg.sparse.softmax(_s(), 2)
    with pytest.raises(NotImplementedError, match="'aten::_sparse_softmax' with arguments from the 'CPU' backend.*"
                                                  "use torch.softmax for a dense"):
        tg.sparse.softmax(tg.ones(3), 0)
    with pytest.raises(NotImplementedError, match="\"log_softmax\" not implemented for 'Long'"):
        tg.sparse.log_softmax(_s().long(), 0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        tg.sparse.softmax([1.0], 0)


def test_sparse_mask_reads_self_at_the_mask():
    dense = tg.arange(9.0, dtype=tg.float64).view(3, 3)
    out = dense.sparse_mask(_s())
    assert out.dtype is tg.float64 and not out.is_coalesced()  # the mask's pattern, as given
    np.testing.assert_array_equal(out._indices().numpy(), INDICES)
    np.testing.assert_array_equal(out._values().numpy(), [0.0, 2.0, 4.0, 6.0, 8.0, 2.0])
    coalesced = dense.sparse_mask(_s().coalesce())
    assert coalesced.is_coalesced() and coalesced._nnz() == 5


def test_sparse_mask_hybrid_and_sparse_self():
    mask = tg.sparse_coo_tensor(tg.tensor([[0, 2]]), tg.ones(2, 2), (3, 2))
    base = tg.arange(6.0).view(3, 2)
    np.testing.assert_array_equal(base.sparse_mask(mask)._values().numpy(), [[0, 1], [4, 5]])
    sparse_base = tg.sparse_coo_tensor(tg.tensor([[1, 2]]), tg.tensor([[7.0, 8.0], [9.0, 10.0]]), (3, 2))
    np.testing.assert_array_equal(sparse_base.sparse_mask(mask)._values().numpy(), [[0, 0], [9, 10]])


def test_sparse_mask_errors():
    with pytest.raises(RuntimeError, match=r"operands have incompatible sizes; self has size \[4, 3\] but mask has "
                                           r"size \[3, 3\]"):
        tg.ones(4, 3).sparse_mask(_s())
    with pytest.raises(NotImplementedError, match="the mask must be a sparse COO tensor"):
        tg.ones(3, 3).sparse_mask(tg.ones(3, 3))
    with pytest.raises(TypeError, match="argument 'mask' \\(position 1\\) must be Tensor"):
        tg.ones(3, 3).sparse_mask(None)


def test_predicates_false_at_zero_keep_the_coalesced_pattern():
    # index 1 twice: nan + inf sums to nan once coalesced, as the dense form holds it
    s = tg.sparse_coo_tensor(tg.tensor([[0, 1, 1, 3]]), tg.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
                             (5,))
    dense = s.to_dense()
    for name in ("isnan", "isinf", "isposinf", "isneginf", "signbit"):
        out = getattr(s, name)()
        assert out.is_sparse and out.is_coalesced() and out.dtype is tg.bool, name
        np.testing.assert_array_equal(out._indices().numpy(), [[0, 1, 3]])
        np.testing.assert_array_equal(out.to_dense().numpy(), getattr(dense, name)().numpy(), err_msg=name)
    fixed = s.nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0)
    np.testing.assert_array_equal(fixed.to_dense().numpy(), [1.0, 2.0, 0.0, -9.0, 0.0])
    assert s.any().item() is True and s.any().is_sparse is False
    empty = tg.sparse_coo_tensor(tg.zeros(1, 0, dtype=tg.long), tg.zeros(0), (3,))
    assert empty.any().item() is False


def test_predicates_true_at_zero_are_refused():
    s = tg.sparse_coo_tensor(tg.tensor([[0]]), tg.tensor([1.0]), (3,))
    for call in (s.isfinite, s.logical_not, s.all):
        with pytest.raises(NotImplementedError, match="'SparseCPU' backend"):
            call()
