"""Sparse COO tensors against PyTorch: each case is written once against a library module and run
with both; what they print must be the same text (indices, values, size, nnz, dtype, layout and
the autograd suffix), and gradients and training losses the same values."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import run_in_both  # noqa: E402

INDICES = [[0, 1, 1, 0], [2, 0, 2, 2]]
VALUES = [3.0, 4.0, 5.0, 1.0]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():  # PyTorch warns once that it skips the invariant checks
        warnings.simplefilter("ignore")
        yield


def _s(m, **kw):
    return m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES), (2, 3), **kw)


def _hybrid(m):
    return m.sparse_coo_tensor(m.tensor(INDICES), m.arange(8.0).reshape(4, 2), (2, 3, 2))


CASES = {
    "repr": lambda m: _s(m),
    "repr_float64": lambda m: _s(m, dtype=m.float64),
    "repr_int": lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor([1, 2, 3, 4]), (2, 3)),
    "repr_bool": lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor([True, False, True, True]), (2, 3)),
    "repr_empty": lambda m: m.sparse_coo_tensor(m.zeros(2, 0, dtype=m.long), m.zeros(0), (2, 3)),
    "repr_requires_grad": lambda m: _s(m).requires_grad_(),
    "repr_grad_fn_wraps": lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES, requires_grad=True),
                                                        (2, 3)),
    "inferred_size": lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES)).shape,
    "coalesce": lambda m: _s(m).coalesce(),
    "coalesce_hybrid": lambda m: _hybrid(m).coalesce(),
    "to_dense": lambda m: _s(m).to_dense(),
    "to_dense_hybrid": lambda m: _hybrid(m).to_dense(),
    "to_sparse": lambda m: m.tensor([[0.0, 1.5], [-2.0, 0.0]]).to_sparse(),
    "to_sparse_1": lambda m: m.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse(1),
    "to_sparse_0d": lambda m: m.tensor(3.0).to_sparse(),
    "to_sparse_0d_zero": lambda m: m.tensor(0.0).to_sparse(),
    "to_sparse_zeros": lambda m: m.zeros(2, 2).to_sparse(),
    "scale": lambda m: _s(m) * 2.5,
    "divide": lambda m: _s(m).coalesce() / 2,
    "negate": lambda m: -_s(m),
    "abs": lambda m: _s(m).abs(),
    "sqrt": lambda m: m.sqrt(_s(m)),
    "sin": lambda m: _s(m).sin(),
    "square": lambda m: _s(m) ** 2,
    "times_dense": lambda m: _s(m) * m.tensor([1.0, 2.0, 3.0]),
    "times_tensor_scalar": lambda m: _s(m) * m.tensor(3.0),
    "int_times_float": lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor([1, 2, 3, 4]), (2, 3)) * 2.5,
    "add": lambda m: _s(m) + _s(m),
    "add_unsorted": lambda m: _s(m) + m.sparse_coo_tensor(m.tensor([[1], [1]]), m.tensor([7.0]), (2, 3)),
    "add_coalesced": lambda m: _s(m).coalesce() + m.sparse_coo_tensor(m.tensor([[1], [1]]), m.tensor([7.0]),
                                                                       (2, 3)).coalesce(),
    "subtract": lambda m: _s(m) - m.sparse_coo_tensor(m.tensor([[1], [1]]), m.tensor([7.0]), (2, 3)),
    "dense_plus_sparse": lambda m: m.ones(2, 3) + _s(m),
    "dense_minus_sparse": lambda m: m.ones(2, 3) - _s(m),
    "transpose": lambda m: _s(m).t(),
    "transpose_hybrid": lambda m: _hybrid(m).transpose(0, 1),
    "sum": lambda m: _s(m).sum(),
    "sparse_sum": lambda m: m.sparse.sum(_s(m)),
    "sparse_sum_0": lambda m: m.sparse.sum(_s(m), 0),
    "sparse_sum_1": lambda m: m.sparse.sum(_s(m), 1),
    "sum_dim": lambda m: _s(m).sum(0),
    "sparse_sum_hybrid_dense_dim": lambda m: m.sparse.sum(_hybrid(m), 2),
    "sparse_sum_hybrid_sparse_dims": lambda m: m.sparse.sum(_hybrid(m), (0, 1)),
    "mm": lambda m: m.mm(_s(m), m.arange(6.0).reshape(3, 2)),
    "matmul_operator": lambda m: _s(m) @ m.arange(6.0).reshape(3, 2),
    "sparse_mm": lambda m: m.sparse.mm(_s(m), m.arange(6.0).reshape(3, 2)),
    "mv": lambda m: m.mv(_s(m), m.ones(3)),
    "dense_at_sparse": lambda m: m.ones(4, 2) @ _s(m),
    "sparse_mm_dense_first": lambda m: m.sparse.mm(m.ones(2, 3), _s(m).t()),
    "sparse_mm_two_sparse": lambda m: m.sparse.mm(_s(m), _s(m).t()),
    "addmm": lambda m: m.sparse.addmm(m.ones(2, 2), _s(m), m.ones(3, 2), beta=0.5, alpha=2),
    "double": lambda m: _s(m).double(),
    "int": lambda m: _s(m).int(),
    "half_to_dense": lambda m: _s(m).half().to_dense(),
    "type": lambda m: _s(m).type(),
    "layout": lambda m: (str(_s(m).layout), str(m.ones(1).layout), _s(m).is_sparse, m.ones(1).is_sparse),
    "dims": lambda m: (_s(m).sparse_dim(), _s(m).dense_dim(), _hybrid(m).dense_dim(), m.ones(2, 3).dense_dim()),
    "nnz": lambda m: (_s(m)._nnz(), _s(m).coalesce()._nnz(), _s(m).is_coalesced(), _s(m).coalesce().is_coalesced()),
    "indices_values": lambda m: (_s(m).coalesce().indices(), _s(m).coalesce().values(), _s(m)._indices(),
                                 _s(m)._values()),
    "clone": lambda m: _s(m).clone(),
    "mul_": lambda m: _s(m).mul_(2),
    "div_": lambda m: _s(m).div_(2),
    "add_": lambda m: _s(m).add_(_s(m)),
    "zero_": lambda m: _s(m).zero_(),
    "neg_": lambda m: _s(m).neg_(),
    "relu": lambda m: m.relu(_s(m)),
    "tanh": lambda m: m.tanh(_s(m)),
    "rmul": lambda m: 2 * _s(m),
    "norm": lambda m: _s(m).norm(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_text_as_pytorch(name):
    ours, theirs = run_in_both(CASES[name])
    assert repr(ours) == repr(theirs)


ERRORS = {
    "uncoalesced_indices": (lambda m: _s(m).indices(), RuntimeError),
    "uncoalesced_values": (lambda m: _s(m).values(), RuntimeError),
    "sparse_plus_dense": (lambda m: _s(m) + m.ones(2, 3), RuntimeError),
    "numpy": (lambda m: _s(m).numpy(), TypeError),
    "nnz_mismatch": (lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES[:3]), (2, 3)), RuntimeError),
    "strided_values": (lambda m: m.ones(2).values(), RuntimeError),
    "strided_indices": (lambda m: m.ones(2).indices(), RuntimeError),
    "strided_coalesce": (lambda m: m.ones(2).coalesce(), RuntimeError),
    "size_rank": (lambda m: m.sparse_coo_tensor(m.tensor(INDICES), m.tensor(VALUES), (2, 3, 4)), RuntimeError),
    "pow_zero": (lambda m: _s(m) ** 0, RuntimeError),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_same_error_as_pytorch(name):
    call, kind = ERRORS[name]
    messages = []
    for m in (tg, torch):
        with pytest.raises(kind) as info:
            call(m)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("call", [lambda m: m.exp(_s(m)), lambda m: _s(m).view(-1), lambda m: _s(m).mean()])
def test_ops_without_a_sparse_kernel_raise_not_implemented_in_both(call):
    for m in (tg, torch):
        with pytest.raises(NotImplementedError, match="Could not run '.*' with arguments from the 'SparseCPU' backend"):
            call(m)


def _gradient_case(m):
    s = _s(m, dtype=m.float64).requires_grad_()
    x = m.arange(6.0, dtype=m.float64).reshape(3, 2).requires_grad_()
    out = {}
    y = m.sparse.mm(s, x)
    (y * y).sum().backward()
    out["sparse_mm"] = (y.grad_fn.name(), s.grad, x.grad)
    s.grad = x.grad = None
    y = m.mm(s, x)
    (y * y).sum().backward()
    out["mm"] = (y.grad_fn.name(), s.grad, x.grad)
    s.grad = None
    y = s.to_dense()
    (y * m.arange(6.0, dtype=m.float64).reshape(2, 3)).sum().backward()
    out["to_dense"] = (y.grad_fn.name(), s.grad)
    s.grad = None
    y = m.sparse.sum(s, 1)
    (y.to_dense() * m.tensor([1.0, 2.0], dtype=m.float64)).sum().backward()
    out["sparse_sum"] = (y.grad_fn.name(), s.grad)
    v = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64, requires_grad=True)
    t = m.sparse_coo_tensor(m.tensor(INDICES), v, (2, 3))
    m.sparse.mm(t, m.ones(3, 1, dtype=m.float64)).pow(2).sum().backward()
    out["values"] = (t.grad_fn.name(), v.grad)
    dense = m.tensor([[0.0, 2.0], [3.0, 0.0]], dtype=m.float64, requires_grad=True)
    sp = dense.to_sparse()
    (sp.to_dense() ** 2).sum().backward()
    out["to_sparse"] = (sp.grad_fn.name(), dense.grad)
    return out


def test_gradients_match_pytorch():
    ours, theirs = run_in_both(_gradient_case)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert repr(ours[key]) == repr(theirs[key]), key


def _gcn_losses(m):
    rng = np.random.default_rng(0)
    n, f, h, c = 50, 8, 16, 3
    edges = rng.integers(0, n, size=(2, 200))
    edges = np.concatenate([edges, edges[::-1], np.arange(n)[None].repeat(2, 0)], axis=1)
    degree = np.bincount(edges[0], minlength=n).astype(np.float32)
    weight = (1 / np.sqrt(degree[edges[0]] * degree[edges[1]])).astype(np.float32)
    adj = m.sparse_coo_tensor(m.tensor(edges), m.tensor(weight), (n, n)).coalesce()
    x = m.tensor(rng.standard_normal((n, f)).astype(np.float32))
    y = m.tensor(rng.integers(0, c, n))
    w1 = m.nn.Parameter(m.tensor(rng.standard_normal((f, h)).astype(np.float32) * 0.3))
    w2 = m.nn.Parameter(m.tensor(rng.standard_normal((h, c)).astype(np.float32) * 0.3))
    opt = m.optim.Adam([w1, w2], lr=0.01)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        hidden = m.relu(m.sparse.mm(adj, x @ w1))
        loss = m.nn.functional.cross_entropy(adj @ (hidden @ w2), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_a_gcn_trains_as_in_pytorch():
    pytest.importorskip("tensorgraft.nn", reason="the GCN uses tensorgraft-nn's cross-entropy")
    pytest.importorskip("tensorgraft.optim", reason="the GCN trains with tensorgraft-optim's Adam")
    ours, theirs = run_in_both(_gcn_losses)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def _accumulation_case(m):
    """Sparse and dense gradients meeting: at a leaf's .grad, and in the engine's buffers."""
    s = _s(m).requires_grad_()
    x = m.ones(3, 2)
    out = []
    m.sparse.mm(s, x).sum().backward()
    m.sparse.mm(s, x).sum().backward()
    out.append(s.grad)
    (s.to_dense() * 2).sum().backward()
    out.append(s.grad)
    s.grad = None
    m.mm(s, x).sum().backward()
    m.sparse.mm(s, x).sum().backward()
    out.append(s.grad)
    s.grad = None
    m.sparse.mm(s, x).sum().backward()
    m.mm(s, x).sum().backward()
    out.append(s.grad)
    for first_sparse in (True, False):
        s.grad = None
        y = s * 2
        parts = [m.sparse.mm(y, x).sum(), m.mm(y, x).sum()]
        (parts[0] + parts[1] if first_sparse else parts[1] + parts[0]).backward()
        out.append(s.grad)
    return out


def test_gradient_accumulation_matches_pytorch():
    ours, theirs = run_in_both(_accumulation_case)
    for a, b in zip(ours, theirs):
        assert repr(a) == repr(b)
