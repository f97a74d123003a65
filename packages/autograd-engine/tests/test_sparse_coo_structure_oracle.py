"""index_select, select / t[i], unsqueeze, cat and stack of sparse COO tensors against PyTorch:
the printed results (entry order, coalesced flag, hybrid values), the errors, and which gradients
exist (PyTorch has a sparse backward for stack only; the others fail with a sparse gradient in both,
and give the same dense gradient from a dense one)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, run_in_both  # noqa: E402

INDICES = [[2, 0, 1, 0, 2], [2, 2, 1, 0, 0]]  # unsorted: the entry order shows in every result
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0]


# PyTorch warns once that it skips the sparse invariant checks
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _s(m):
    return m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES), (3, 3))


def _h(m):  # hybrid: one sparse dim, one dense
    return m.sparse_coo_tensor(m.tensor([[2, 0, 2]]), m.arange(9.0).reshape(3, 3), (3, 3))


def _three(m):
    return m.sparse_coo_tensor(m.tensor([[0, 1, 1], [1, 0, 1], [2, 2, 0]]), m.tensor([1.0, 2.0, 3.0]), (2, 2, 3))


CASES = {
    "index_select_0": lambda m: _s(m).index_select(0, m.tensor([2, 0, 2])),
    "index_select_coalesced": lambda m: _s(m).coalesce().index_select(0, m.tensor([2, 0])),
    "index_select_1": lambda m: m.index_select(_s(m), 1, m.tensor([0, 2])),
    "index_select_empty": lambda m: _s(m).index_select(1, m.tensor([], dtype=m.long)),
    "index_select_negative": lambda m: _s(m).index_select(0, m.tensor([-1, 0])),
    "index_select_hybrid_dense": lambda m: _h(m).index_select(1, m.tensor([2, 0])),
    "index_select_repeat": lambda m: m.sparse_coo_tensor(m.tensor([[1, 3, 1]]), m.tensor([1.0, 2.0, 5.0]),
                                                         (4,)).index_select(0, m.tensor([1, 1])),
    "select_0": lambda m: _s(m).select(0, 2),
    "select_1": lambda m: _s(m).select(1, 0),
    "select_coalesced": lambda m: _s(m).coalesce().select(0, 0),
    "select_negative": lambda m: _s(m).select(1, -1),
    "getitem": lambda m: _s(m)[2],
    "select_middle": lambda m: _three(m).select(1, 0),
    "select_only_sparse_dim": lambda m: _h(m).select(0, 2),
    "select_dense_dim": lambda m: _h(m).select(1, 1),
    "select_1d": lambda m: m.sparse_coo_tensor(m.tensor([[1, 3, 1]]), m.tensor([1.0, 2.0, 5.0]), (4,)).select(0, 1),
    "unsqueeze_0": lambda m: _s(m).unsqueeze(0),
    "unsqueeze_end": lambda m: _s(m).coalesce().unsqueeze(2),
    "unsqueeze_negative": lambda m: _s(m).unsqueeze(-2),
    "unsqueeze_hybrid_dense": lambda m: _h(m).unsqueeze(2),
    "unsqueeze_hybrid_sparse": lambda m: _h(m).unsqueeze(1),
    "cat_0": lambda m: m.cat([_s(m), _s(m).coalesce()], 0),
    "cat_1": lambda m: m.cat([_s(m).coalesce(), _s(m)], 1),
    "cat_three": lambda m: m.cat([_s(m), _s(m) * 2, _s(m) * 3], -1),
    "cat_promotes": lambda m: m.cat([_s(m), _s(m).double()], 0),
    "cat_hybrid_dense": lambda m: m.cat([_h(m), _h(m) * 2], 1),
    "hstack": lambda m: m.hstack([_s(m), _s(m)]),
    "vstack": lambda m: m.vstack([_s(m), _s(m)]),
    "stack_0": lambda m: m.stack([_s(m), _s(m).coalesce()]),
    "stack_1": lambda m: m.stack([_s(m).coalesce(), _s(m)], 1),
    "stack_hybrid_dense": lambda m: m.stack([_h(m), _h(m)], 2),
    "stack_hybrid_sparse": lambda m: m.stack([_h(m), _h(m)], 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_text_as_pytorch(name):
    ours, theirs = run_in_both(CASES[name])
    assert repr(ours) == repr(theirs)


ERRORS = {
    "index_select_out_of_range": lambda m: _s(m).index_select(0, m.tensor([3])),
    "index_select_negative_out_of_range": lambda m: _s(m).index_select(1, m.tensor([-4])),
    "select_out_of_range": lambda m: _s(m).select(0, 5),
    "cat_sparse_dims": lambda m: m.cat([_s(m), _s(m).to_dense().to_sparse(1)], 0),
    "cat_dense_in_sparse": lambda m: m.cat([_s(m), m.ones(3, 3)], 0),
    "cat_shapes": lambda m: m.cat([_s(m), m.sparse_coo_tensor(m.tensor(INDICES), m.ones(5), (3, 4))], 0),
    "stack_dense_in_sparse": lambda m: m.stack([_s(m), m.ones(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_pytorch(name):
    assert_same_error(ERRORS[name])


def test_slicing_stays_refused_as_in_pytorch():
    for m in (tg, torch):
        with pytest.raises(NotImplementedError):
            _s(m)[1:]
        with pytest.raises(NotImplementedError):
            _s(m).narrow(0, 1, 2)


def _leaf(m):
    return m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES), (3, 3)).requires_grad_()


OPS = {
    "index_select": lambda m, s: m.index_select(s, 0, m.tensor([2, 0, 2])),
    "select": lambda m, s: s.select(1, 0),
    "cat": lambda m, s: m.cat([s, s], 0),
    "stack": lambda m, s: m.stack([s, s]),
    "unsqueeze": lambda m, s: s.unsqueeze(1),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradients_as_pytorch(name):
    op = OPS[name]

    def case(m):
        out = {}
        s = _leaf(m)
        result = op(m, s)
        out["node"] = type(result.grad_fn).__name__
        try:  # a sparse gradient (from to_dense): only stack has a backward for it in PyTorch
            result.to_dense().pow(2).sum().backward()
            out["sparse"] = repr(s.grad)
        except NotImplementedError:
            out["sparse"] = "NotImplementedError"
        s = _leaf(m)
        m.autograd.backward(op(m, s), grad_tensors=m.ones(op(m, s).shape))  # a dense gradient
        out["dense"] = repr(s.grad)
        return out
    ours, theirs = run_in_both(case)
    assert ours == theirs
