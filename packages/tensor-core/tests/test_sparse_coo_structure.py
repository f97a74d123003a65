"""index_select, select / t[i], unsqueeze, cat and stack of sparse COO tensors, checked against the
same ops on the dense form (sparse and hybrid, coalesced or not), with the entry order and
coalesced flag PyTorch gives, and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

INDICES = [[2, 0, 1, 0, 2], [2, 2, 1, 0, 0]]
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0]


def _s(coalesced=False):
    s = tg.sparse_coo_tensor(tg.tensor(INDICES), tg.tensor(VALUES), (3, 3))
    return s.coalesce() if coalesced else s


def _h():
    return tg.sparse_coo_tensor(tg.tensor([[2, 0, 2]]), tg.arange(9.0).reshape(3, 3), (3, 3))


def _three():
    return tg.sparse_coo_tensor(tg.tensor([[0, 1, 1], [1, 0, 1], [2, 2, 0]]), tg.tensor([1.0, 2.0, 3.0]), (3, 3, 3))


OPS = {
    "index_select_0": lambda t: t.index_select(0, tg.tensor([2, 0, 2])),
    "index_select_1": lambda t: t.index_select(1, tg.tensor([0, 2])),
    "index_select_last": lambda t: t.index_select(-1, tg.tensor([1])),
    "select_0": lambda t: t.select(0, 2),
    "select_last": lambda t: t.select(-1, 0),
    "getitem": lambda t: t[1],
    "unsqueeze_0": lambda t: t.unsqueeze(0),
    "unsqueeze_1": lambda t: t.unsqueeze(1),
    "unsqueeze_end": lambda t: t.unsqueeze(-1),
    "cat_0": lambda t: tg.cat([t, t * 2], 0),
    "cat_last": lambda t: tg.cat([t, t * 2, t], -1),
    "stack_0": lambda t: tg.stack([t, t * 2]),
    "stack_1": lambda t: tg.stack([t, t * 2], 1),
    "stack_end": lambda t: tg.stack([t, t], -1),
}


@pytest.mark.parametrize("make", [lambda: _s(), lambda: _s(True), _h, _three], ids=["sparse", "coalesced", "hybrid",
                                                                                   "three_dims"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_same_values_as_the_dense_op(name, make):
    s = make()
    out = OPS[name](s)
    want = OPS[name](s.to_dense())
    got = out.to_dense() if out.is_sparse else out
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_entry_order_and_flags():
    out = _s().index_select(0, tg.tensor([2, 0, 2]))
    # output row after output row, each row's entries in their input order
    assert out._indices().tolist() == [[0, 0, 1, 1, 2, 2], [2, 0, 2, 0, 2, 0]]
    assert out._values().tolist() == [1.0, 5.0, 2.0, 4.0, 1.0, 5.0] and not out.is_coalesced()
    assert _s(True).unsqueeze(0).is_coalesced() is False  # as PyTorch: the flag is not kept
    cat = tg.cat([_s(True), _s(True)], 1)
    assert cat._indices().tolist() == [[0, 0, 1, 2, 2, 0, 0, 1, 2, 2], [0, 2, 1, 0, 2, 3, 5, 4, 3, 5]]
    assert _s().index_select(1, tg.tensor([], dtype=tg.long))._nnz() == 0


def test_selecting_the_only_sparse_dim_is_dense():
    out = _h().select(0, 2)  # entries at index 2 (twice) summed
    assert not out.is_sparse and out.tolist() == [6.0, 8.0, 10.0]
    one = tg.sparse_coo_tensor(tg.tensor([[1, 3, 1]]), tg.tensor([1.0, 2.0, 5.0]), (4,))
    assert one.select(0, 1).item() == 6.0 and one[0].item() == 0.0


def test_dense_dim_cat_pads_each_inputs_values():
    out = tg.cat([_h(), _h() * 2], 1)
    assert out.sparse_dim() == 1 and out._nnz() == 6
    assert out._values()[0].tolist() == [0.0, 1.0, 2.0, 0.0, 0.0, 0.0]
    assert out._values()[3].tolist() == [0.0, 0.0, 0.0, 0.0, 2.0, 4.0]


def test_errors():
    with pytest.raises(IndexError, match=r"index_select\(\): index contains 3 that is out of range for tensor of size "
                                         r"\[3, 3\] at dimension 0"):
        _s().index_select(0, tg.tensor([3]))
    assert _s().index_select(0, tg.tensor([-1])).to_dense().tolist() == [_s().to_dense()[2].tolist()]
    with pytest.raises(RuntimeError, match="All tensors must have the same sparse_dim and dense_dim: 2, 0, but tensor "
                                           "at position 1 has 1, 1."):
        tg.cat([_s(), _s().to_dense().to_sparse(1)])
    with pytest.raises(RuntimeError, match="Concatenating sparse tensors, but a dense tensor was found at position 1."):
        tg.cat([_s(), tg.ones(3, 3)])
    with pytest.raises(NotImplementedError, match="indexing other than selecting one index"):
        _s()[1:]
    with pytest.raises(IndexError, match="out of range"):
        _s().select(0, 3)
