"""Sparse COO tensors from factories against PyTorch: ``layout=torch.sparse_coo`` on zeros/empty,
``zeros_like``/``empty_like``/``new_zeros``/``new_empty`` of a sparse tensor, the factories that
refuse a sparse layout, and ``torch.sparse.spdiags``."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_same_refusal, run_in_both  # noqa: E402


# PyTorch warns once that it skips the sparse invariant checks
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _s(m):
    return m.sparse_coo_tensor(m.tensor([[0, 1], [1, 0]]), m.tensor([1.0, 2.0]), (2, 3))


def _h(m):
    return m.sparse_coo_tensor(m.tensor([[0, 1]]), m.ones(2, 3), (2, 3))


CASES = {
    "zeros_layout": lambda m: m.zeros(2, 3, layout=m.sparse_coo),
    "zeros_layout_dtype": lambda m: m.zeros(2, 3, layout=m.sparse_coo, dtype=m.float64),
    "empty_layout": lambda m: m.empty((4,), layout=m.sparse_coo),
    "zeros_layout_0d": lambda m: m.zeros((), layout=m.sparse_coo),
    "zeros_layout_requires_grad": lambda m: m.zeros(2, layout=m.sparse_coo, requires_grad=True),
    "zeros_strided_layout": lambda m: m.zeros(2, layout=m.strided),
    "zeros_like": lambda m: m.zeros_like(_s(m)),
    "zeros_like_hybrid": lambda m: m.zeros_like(_h(m)),
    "zeros_like_dtype": lambda m: m.zeros_like(_s(m), dtype=m.int64),
    "zeros_like_strided": lambda m: m.zeros_like(_s(m), layout=m.strided),
    "zeros_like_dense_to_sparse": lambda m: m.zeros_like(m.ones(2, 2), layout=m.sparse_coo),
    "empty_like": lambda m: m.empty_like(_s(m)),
    "new_zeros": lambda m: _s(m).new_zeros(2, 2),
    "new_empty": lambda m: _s(m).new_empty(3),
    "new_tensor": lambda m: _s(m).new_tensor([1.0, 2.0]),
    "spdiags": lambda m: m.sparse.spdiags(m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), m.tensor([0, -1]), (3, 3)),
    "spdiags_above": lambda m: m.sparse.spdiags(m.arange(1.0, 5.0).view(1, 4), m.tensor([2]), (2, 5)),
    "spdiags_tall": lambda m: m.sparse.spdiags(m.arange(1.0, 7.0).view(2, 3), m.tensor([1, -2]), (4, 3)),
    "spdiags_1d": lambda m: m.sparse.spdiags(m.ones(3), m.tensor([0]), (3, 3)),
    "spdiags_short": lambda m: m.sparse.spdiags(m.ones(1, 2, dtype=m.float64), m.tensor([0]), (3, 3)),
    "spdiags_grad_fn": lambda m: m.sparse.spdiags(m.ones(1, 3, requires_grad=True), m.tensor([0]), (3, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_text_as_pytorch(name):
    ours, theirs = run_in_both(CASES[name])
    assert repr(ours) == repr(theirs)


EXACT_ERRORS = {
    "ones_layout": lambda m: m.ones(2, layout=m.sparse_coo),
    "full_layout": lambda m: m.full((2,), 1.0, layout=m.sparse_coo),
    "zeros_bad_layout": lambda m: m.zeros(2, layout="sparse"),
    "zeros_out": lambda m: m.zeros(2, layout=m.sparse_coo, out=m.empty(2)),
    "spdiags_duplicates": lambda m: m.sparse.spdiags(m.ones(2, 3), m.tensor([0, 0]), (3, 3)),
    "spdiags_count": lambda m: m.sparse.spdiags(m.ones(2, 3), m.tensor([0]), (3, 3)),
    "spdiags_offsets_dtype": lambda m: m.sparse.spdiags(m.ones(1, 3), m.tensor([0.0]), (3, 3)),
    "spdiags_strided": lambda m: m.sparse.spdiags(m.ones(1, 3), m.tensor([0]), (3, 3), layout=m.strided),
    "spdiags_shape": lambda m: m.sparse.spdiags(m.ones(1, 3), m.tensor([0]), (3,)),
}


@pytest.mark.parametrize("name", sorted(EXACT_ERRORS))
def test_errors_as_pytorch(name):
    assert_same_error(EXACT_ERRORS[name])


REFUSED = {  # no sparse kernel in either: PyTorch's "Could not run 'aten::<kernel>'" in both
    "ones_like": lambda m: m.ones_like(_s(m)),
    "full_like": lambda m: m.full_like(_s(m), 2.0),
    "rand_like": lambda m: m.rand_like(_s(m)),
    "randn_like": lambda m: m.randn_like(_s(m)),
    "randint_like": lambda m: m.randint_like(_s(m), 3),
    "new_ones": lambda m: _s(m).new_ones(2),
    "new_full": lambda m: _s(m).new_full((2,), 1.0),
    "rand": lambda m: m.rand(2, layout=m.sparse_coo),
    "randn": lambda m: m.randn(2, layout=m.sparse_coo),
    "randint": lambda m: m.randint(3, (2,), layout=m.sparse_coo),
    "normal": lambda m: m.normal(0.0, 1.0, (2,), layout=m.sparse_coo),
    "eye": lambda m: m.eye(2, layout=m.sparse_coo),
    "arange": lambda m: m.arange(3, layout=m.sparse_coo),
    "linspace": lambda m: m.linspace(0, 1, 3, layout=m.sparse_coo),
    "logspace": lambda m: m.logspace(0, 1, 3, layout=m.sparse_coo),
    "empty_strided": lambda m: m.empty_strided((2,), (1,), layout=m.sparse_coo),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_pytorchs_kernel_name(name):
    assert_same_refusal(REFUSED[name])


def test_spdiags_has_no_derivative_in_either():
    for m in (tg, torch):
        out = m.sparse.spdiags(m.ones(1, 3, requires_grad=True), m.tensor([0]), (3, 3))
        with pytest.raises(RuntimeError, match="derivative for aten::_spdiags is not implemented"):
            out.to_dense().sum().backward()
