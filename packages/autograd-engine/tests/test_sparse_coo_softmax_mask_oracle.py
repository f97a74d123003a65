"""torch.sparse.softmax / log_softmax, Tensor.sparse_mask and the predicates false at zero (isnan,
isinf, isposinf, isneginf, signbit; any; nan_to_num) against PyTorch: printed results
(values, pattern, grad_fn), errors, and gradients on random patterns (sparse and hybrid, coalesced
or not, every dim)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_same_refusal, assert_values_close, run_in_both  # noqa: E402,E501

INDICES = [[0, 0, 1, 2, 2, 0], [0, 2, 1, 0, 2, 2]]  # (0, 2) twice: uncoalesced
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, -1.5]


# PyTorch warns once that it skips the sparse invariant checks
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _s(m, **kw):
    return m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES), (3, 3), **kw)


def _hybrid(m):
    return m.sparse_coo_tensor(m.tensor([[0, 2, 2], [1, 0, 1]]), m.arange(6.0).reshape(3, 2) / 3, (3, 2, 2))


def _special(m):
    return m.sparse_coo_tensor(m.tensor([[0, 1, 1, 3]]), m.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
                               (5,))


CASES = {
    "isnan": lambda m: _special(m).isnan(),
    "isinf": lambda m: m.isinf(_special(m)),
    "isposinf": lambda m: _special(m).isposinf(),
    "isneginf": lambda m: _special(m).isneginf(),
    "signbit": lambda m: (-_s(m)).signbit(),
    "nan_to_num": lambda m: _special(m).nan_to_num(),
    "nan_to_num_args": lambda m: m.nan_to_num(_special(m), nan=2.0, posinf=9.0, neginf=-9.0),
    "any": lambda m: _special(m).any(),
    "any_empty": lambda m: m.sparse_coo_tensor(m.zeros(1, 0, dtype=m.long), m.zeros(0), (3,)).any(),
    "softmax_1": lambda m: m.sparse.softmax(_s(m), 1),
    "softmax_0": lambda m: m.sparse.softmax(_s(m), 0),
    "softmax_neg": lambda m: m.sparse.softmax(_s(m), -1),
    "log_softmax_1": lambda m: m.sparse.log_softmax(_s(m), 1),
    "log_softmax_0": lambda m: m.sparse.log_softmax(_s(m), 0),
    "softmax_float64": lambda m: m.sparse.softmax(_s(m), 1, dtype=m.float64),
    "softmax_grad_fn": lambda m: m.sparse.softmax(_s(m, requires_grad=True), 1),
    "log_softmax_grad_fn": lambda m: m.sparse.log_softmax(_s(m, requires_grad=True), 0),
    "softmax_hybrid_sparse_dim": lambda m: m.sparse.softmax(_hybrid(m), 1),
    "softmax_hybrid_dense_dim": lambda m: m.sparse.softmax(_hybrid(m), 2),
    "log_softmax_hybrid_first": lambda m: m.sparse.log_softmax(_hybrid(m), 0),
    "softmax_empty": lambda m: m.sparse.softmax(m.sparse_coo_tensor(m.zeros(2, 0, dtype=m.long), m.zeros(0),
                                                                    (2, 2)), 0),
    "softmax_1d": lambda m: m.sparse.softmax(m.sparse_coo_tensor(m.tensor([[3, 0]]), m.tensor([1.0, 2.0]), (5,)),
                                             0),
    "sparse_mask": lambda m: m.arange(9.0).view(3, 3).sparse_mask(_s(m)),
    "sparse_mask_coalesced": lambda m: m.arange(9.0).view(3, 3).sparse_mask(_s(m).coalesce()),
    "sparse_mask_dtype_of_self": lambda m: m.arange(9, dtype=m.float64).view(3, 3).sparse_mask(_s(m)),
    "sparse_mask_int_self": lambda m: m.arange(9).view(3, 3).sparse_mask(_s(m).coalesce()),
    "sparse_mask_hybrid": lambda m: m.arange(12.0).view(3, 2, 2).sparse_mask(_hybrid(m)),
    "sparse_mask_grad_fn": lambda m: m.arange(9.0).view(3, 3).requires_grad_().sparse_mask(_s(m).coalesce()),
    "sparse_mask_sparse_self": lambda m: (_s(m) * 2).coalesce().sparse_mask(
        m.sparse_coo_tensor(m.tensor([[0, 1, 1], [2, 1, 2]]), m.ones(3), (3, 3)).coalesce()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_text_as_pytorch(name):
    ours, theirs = run_in_both(CASES[name])
    assert repr(ours) == repr(theirs)


ERRORS = {
    "softmax_dim_range": (lambda m: m.sparse.softmax(_s(m), 2), False),
    "softmax_dense_input": (lambda m: m.sparse.softmax(m.ones(3), 0), True),
    "softmax_long": (lambda m: m.sparse.softmax(_s(m).long(), 0), False),
    "softmax_half": (lambda m: m.sparse.softmax(_s(m).half(), 0), False),
    "mask_sizes": (lambda m: m.ones(4, 3).sparse_mask(_s(m)), False),
    "mask_dense": (lambda m: m.ones(3, 3).sparse_mask(m.ones(3, 3)), True),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_pytorch(name):
    call, refusal = ERRORS[name]
    if refusal:  # the dispatcher's sentence, then tensorgraft's advice
        assert_same_refusal(call)
    else:
        assert_same_error(call)


@pytest.mark.parametrize("call", [lambda m: _special(m).isfinite(), lambda m: _special(m).logical_not(),
                                  lambda m: _special(m).all()], ids=["isfinite", "logical_not", "all"])
def test_predicates_true_at_zero_have_no_sparse_kernel_in_both(call):
    for m in (tg, torch):
        with pytest.raises(NotImplementedError, match="Could not run '.*' with arguments from the 'SparseCPU' backend"):
            call(m)


@pytest.mark.parametrize("call", [lambda m: m.softmax(_s(m), 1), lambda m: _s(m).log_softmax(0),
                                  lambda m: m.nn.functional.softmax(_s(m), 1),
                                  lambda m: m.nn.functional.log_softmax(_s(m), 1)],
                         ids=["torch.softmax", "Tensor.log_softmax", "F.softmax", "F.log_softmax"])
def test_dense_softmax_of_a_sparse_tensor_is_refused_as_pytorch(call):
    assert_same_refusal(call)
    with pytest.raises(NotImplementedError, match="torch.sparse.(log_)?softmax"):  # where the sparse one is
        call(tg)


def _random_sparse(m, rng, shape, nnz, dense=(), coalesced=False):
    sparse_shape = shape[:len(shape) - len(dense)]
    idx = np.stack([rng.integers(0, n, nnz) for n in sparse_shape])
    vals = rng.standard_normal((nnz,) + tuple(dense))
    t = m.sparse_coo_tensor(m.tensor(idx), m.tensor(vals, dtype=m.float64), shape)
    return t.coalesce() if coalesced else t


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dense,dim", [((), 0), ((), 1), ((), 2), ((3,), 1), ((3,), 3), ((3,), -1)])
@pytest.mark.parametrize("coalesced", [False, True])
def test_softmax_gradients_match_pytorch(log, dense, dim, coalesced):
    shape = (4, 5, 3) + dense

    def case(m):
        rng = np.random.default_rng(7)
        s = _random_sparse(m, rng, shape, 25, dense, coalesced).requires_grad_()
        fn = m.sparse.log_softmax if log else m.sparse.softmax
        # PyTorch's backward of a negative dense dim is wrong (its gradient along the softmax
        # axis does not sum to zero), so PyTorch is asked with the dim counted from the front
        out = fn(s, dim if m is tg else dim % len(shape))
        weight = m.tensor(rng.standard_normal(shape))
        (out.to_dense() * weight).sum().backward()
        return out, s.grad
    (out, grad), (want_out, want_grad) = run_in_both(case)
    assert_values_close(out.to_dense(), want_out.to_dense())
    assert out._nnz() == want_out._nnz() and out.is_coalesced() == want_out.is_coalesced()
    assert_values_close(grad.to_dense(), want_grad.to_dense(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("log", [False, True])
def test_negative_dense_dim_gradient_is_the_positive_dims(log):
    """The case PyTorch gets wrong: tensorgraft's gradient for dim=-1 is that of dim=3, whose sum
    along the softmax axis is zero (softmax) as it must be."""
    grads = []
    for dim in (3, -1):
        rng = np.random.default_rng(7)
        s = _random_sparse(tg, rng, (4, 5, 3, 3), 25, (3,), True).requires_grad_()
        fn = tg.sparse.log_softmax if log else tg.sparse.softmax
        (fn(s, dim).to_dense() * tg.tensor(rng.standard_normal((4, 5, 3, 3)))).sum().backward()
        grads.append(s.grad.to_dense())
    assert_values_close(grads[1], grads[0], rtol=0, atol=0)
    if not log:
        assert_values_close(grads[0].sum(-1), tg.zeros(4, 5, 3, dtype=tg.float64), atol=1e-12, rtol=0)


def test_softmax_gradient_through_values_of_a_graph_layer():
    """GAT-style: attention logits as the values of a sparse adjacency, normalised per row by
    sparse.softmax, then used to aggregate features; gradients reach the logits' parameters."""
    def case(m):
        rng = np.random.default_rng(3)
        n, f = 12, 4
        edges = np.unique(rng.integers(0, n, (2, 40)), axis=1)
        x = m.tensor(rng.standard_normal((n, f)))
        a = m.tensor(rng.standard_normal(2 * f), requires_grad=True)
        logits = m.nn.functional.leaky_relu(m.cat([x[edges[0]], x[edges[1]]], 1) @ a, 0.2)
        att = m.sparse.softmax(m.sparse_coo_tensor(m.tensor(edges), logits, (n, n)), 1)
        out = m.sparse.mm(att, x)
        out.pow(2).sum().backward()
        return out, a.grad
    (out, grad), (want_out, want_grad) = run_in_both(case)
    assert_values_close(out, want_out)
    assert_values_close(grad, want_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("self_sparse", [False, True])
@pytest.mark.parametrize("coalesced_mask", [False, True])
@pytest.mark.parametrize("dense", [(), (2,)])
def test_sparse_mask_gradients_match_pytorch(self_sparse, coalesced_mask, dense):
    shape = (4, 5) + dense

    def case(m):
        rng = np.random.default_rng(11)
        mask = _random_sparse(m, rng, shape, 12, dense, coalesced_mask)
        if self_sparse:
            base = _random_sparse(m, rng, shape, 10, dense, True).requires_grad_()
        else:
            base = m.tensor(rng.standard_normal(shape), requires_grad=True)
        out = base.sparse_mask(mask)
        weight = m.tensor(rng.standard_normal(shape))
        (out.to_dense() * weight).sum().backward()
        return out, base.grad
    (out, grad), (want_out, want_grad) = run_in_both(case)
    assert repr(out.detach()) == repr(want_out.detach())
    assert grad.is_sparse == want_grad.is_sparse
    assert_values_close(grad.to_dense() if grad.is_sparse else grad,
                        want_grad.to_dense() if want_grad.is_sparse else want_grad)
