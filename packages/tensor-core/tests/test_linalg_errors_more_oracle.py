"""PyTorch as the oracle for linalg edge cases: every torch.linalg function (and the torch.* spellings)
on singular, NaN, inf, non-square, integer, float16, empty and 1-D input raises the same exception
class with the same message, or returns the same dtypes, shapes and (where unique) values."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

NAN, INF = float("nan"), float("inf")

INPUTS = {
    "singular": [[1.0, 2.0], [2.0, 4.0]],
    "zeros": [[0.0, 0.0], [0.0, 0.0]],
    "batch_singular": [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]],
    "nan": [[1.0, NAN], [0.0, 1.0]],
    "inf": [[1.0, INF], [0.0, 1.0]],
    "batch_nan": [[[1.0, 0.0], [0.0, 1.0]], [[NAN, 0.0], [0.0, 1.0]]],
    "non_square": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
    "int": [[1, 2], [3, 4]],
    "half": [[1.0, 2.0], [3.0, 4.0]],
    "empty": None,
    "empty_batch": None,
    "vector": [1.0, 2.0],
    "spd_batch": [[[4.0, 2.0], [2.0, 3.0]], [[2.0, -1.0], [-1.0, 2.0]]],
}


def _input(m, kind):
    if kind == "empty":
        return m.zeros(0, 0)
    if kind == "empty_batch":
        return m.zeros(2, 0, 0)
    if kind == "half":
        return m.tensor(INPUTS[kind], dtype=m.float16)
    return m.tensor(INPUTS[kind])


def _rhs(m, A):
    return m.ones(*A.shape[:-1], 1, dtype=A.dtype) if A.ndim >= 2 else m.ones(2, 1)


# name -> (function of (module, A), whether its values are unique enough to compare)
FUNCS = {
    "linalg.inv": (lambda m, A: m.linalg.inv(A), True),
    "linalg.inv_ex": (lambda m, A: m.linalg.inv_ex(A), True),
    "linalg.inv_ex_check": (lambda m, A: m.linalg.inv_ex(A, check_errors=True), True),
    "inverse": (lambda m, A: m.inverse(A), True),
    "linalg.det": (lambda m, A: m.linalg.det(A), True),
    "logdet": (lambda m, A: m.logdet(A), True),
    "linalg.slogdet": (lambda m, A: m.linalg.slogdet(A), True),
    "linalg.cholesky": (lambda m, A: m.linalg.cholesky(A), True),
    "cholesky": (lambda m, A: m.cholesky(A), True),
    "linalg.cholesky_ex": (lambda m, A: m.linalg.cholesky_ex(A), True),
    "linalg.cholesky_ex_upper": (lambda m, A: m.linalg.cholesky_ex(A, upper=True), True),
    "linalg.cholesky_ex_check": (lambda m, A: m.linalg.cholesky_ex(A, check_errors=True), True),
    "cholesky_inverse": (lambda m, A: m.cholesky_inverse(A), True),
    "cholesky_solve": (lambda m, A: m.cholesky_solve(_rhs(m, A), A), True),
    "linalg.solve": (lambda m, A: m.linalg.solve(A, _rhs(m, A)), True),
    "linalg.solve_ex": (lambda m, A: m.linalg.solve_ex(A, _rhs(m, A)), True),
    "linalg.solve_ex_check": (lambda m, A: m.linalg.solve_ex(A, _rhs(m, A), check_errors=True), True),
    "linalg.solve_triangular": (lambda m, A: m.linalg.solve_triangular(A, _rhs(m, A), upper=True), True),
    "triangular_solve": (lambda m, A: m.triangular_solve(_rhs(m, A), A), True),
    "linalg.lu_factor": (lambda m, A: m.linalg.lu_factor(A), True),
    "linalg.lu_factor_ex": (lambda m, A: m.linalg.lu_factor_ex(A), True),
    "linalg.lu": (lambda m, A: m.linalg.lu(A), True),
    "linalg.lu_solve": (lambda m, A: m.linalg.lu_solve(*m.linalg.lu_factor(A), _rhs(m, A)), True),
    "linalg.svd": (lambda m, A: m.linalg.svd(A), False),
    "svd": (lambda m, A: m.svd(A), False),
    "linalg.svdvals": (lambda m, A: m.linalg.svdvals(A), True),
    "linalg.pinv": (lambda m, A: m.linalg.pinv(A), False),
    "linalg.matrix_rank": (lambda m, A: m.linalg.matrix_rank(A), True),
    "linalg.cond": (lambda m, A: m.linalg.cond(A), False),
    "linalg.cond_fro": (lambda m, A: m.linalg.cond(A, "fro"), True),
    "linalg.cond_1": (lambda m, A: m.linalg.cond(A, 1), True),
    "linalg.cond_nuc": (lambda m, A: m.linalg.cond(A, "nuc"), True),
    "linalg.eig": (lambda m, A: m.linalg.eig(A), False),
    "linalg.eigvals": (lambda m, A: m.linalg.eigvals(A), False),
    "linalg.eigh": (lambda m, A: m.linalg.eigh(A), False),
    "linalg.qr": (lambda m, A: m.linalg.qr(A), False),
    "linalg.lstsq": (lambda m, A: m.linalg.lstsq(A, _rhs(m, A)), False),
    "linalg.matrix_exp": (lambda m, A: m.linalg.matrix_exp(A), True),
    "linalg.matrix_power_neg": (lambda m, A: m.linalg.matrix_power(A, -1), True),
    "linalg.tensorinv": (lambda m, A: m.linalg.tensorinv(A, ind=1), True),
    "linalg.matrix_norm_nuc": (lambda m, A: m.linalg.matrix_norm(A, "nuc"), True),
    "linalg.matrix_norm_2": (lambda m, A: m.linalg.matrix_norm(A, 2), True),
    "linalg.norm_2": (lambda m, A: m.linalg.norm(A, 2), True),
    "svd_lowrank": (lambda m, A: m.svd_lowrank(A, q=2), False),
    "pca_lowrank": (lambda m, A: m.pca_lowrank(A, q=2), False),
    "geqrf": (lambda m, A: m.geqrf(A), False),
}

# Where tensorgraft deliberately or unavoidably differs (docs/user-guide/differences.md): LAPACK's
# arbitrary output for NaN input, PyTorch's internal asserts, and rounding noise of singular inputs.
KNOWN = {
    ("linalg.inv", "batch_nan"), ("linalg.inv_ex", "batch_nan"), ("linalg.inv_ex_check", "batch_nan"),
    ("inverse", "batch_nan"), ("linalg.matrix_power_neg", "batch_nan"), ("linalg.solve", "batch_nan"),
    ("linalg.solve_ex", "batch_nan"), ("linalg.solve_ex_check", "batch_nan"), ("cholesky_inverse", "batch_nan"),
    ("linalg.lu_factor", "singular"), ("linalg.lu_factor", "zeros"), ("linalg.lu_factor", "batch_singular"),
    ("linalg.lu_solve", "singular"), ("linalg.lu_solve", "zeros"), ("linalg.lu_solve", "batch_singular"),
    ("linalg.eigvals", "nan"), ("linalg.eigvals", "inf"), ("linalg.eigvals", "batch_nan"),
    ("linalg.lstsq", "nan"), ("linalg.lstsq", "batch_nan"), ("linalg.lstsq", "inf"),
    ("linalg.matrix_exp", "half"), ("linalg.cond", "singular"), ("linalg.cond", "batch_singular"),
    ("linalg.pinv", "singular"), ("linalg.pinv", "batch_singular"), ("linalg.qr", "nan"), ("linalg.qr", "inf"),
    ("linalg.eigh", "batch_nan"), ("linalg.cond_nuc", "singular"), ("linalg.cond_nuc", "batch_singular"),
}


def _run(m, name, kind):
    fn = FUNCS[name][0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(m, _input(m, kind))
    except Exception as e:  # noqa: BLE001 - compared with torch
        return ("raise", type(e).__name__, [c.__name__ for c in type(e).__mro__[1:3]], str(e))
    outs = out if isinstance(out, tuple) else (out,)
    return ("ok", [(str(o.dtype).split(".")[-1], tuple(o.shape), o.detach().cpu().numpy()) for o in outs])


def _values(x):
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_matches_torch(name, kind):
    if (name, kind) in KNOWN:
        pytest.skip("a documented difference from PyTorch")
    got, want = _run(tg, name, kind), _run(torch, name, kind)
    if want[0] == "raise":
        # lu_factor raises a plain RuntimeError in PyTorch and LinAlgError (its subclass) here
        assert got[0] == "raise", (name, kind, got)
        assert got[1:] == want[1:] or (got[1] == "_LinAlgError" and want[1] == "RuntimeError"
                                       and got[3] == want[3]), (got, want)
        return
    assert got[0] == "ok", (name, kind, got)
    assert [(d, s) for d, s, _ in got[1]] == [(d, s) for d, s, _ in want[1]]
    if FUNCS[name][1]:
        for (_, _, g), (_, _, w) in zip(got[1], want[1]):
            np.testing.assert_allclose(_values(g), _values(w), rtol=1e-4, atol=1e-5, equal_nan=True)


def test_cholesky_ex_partial_factor_matches_torch():
    rng = np.random.default_rng(12)
    M = rng.standard_normal((4, 3, 3))
    A = M @ np.swapaxes(M, -1, -2)
    A[1, 2, 2] = -5.0  # not positive-definite at order 3
    A[3, 0, 0] = -1.0  # ... at order 1
    for upper in (False, True):
        L, info = tg.linalg.cholesky_ex(tg.tensor(A), upper=upper)
        tL, tinfo = torch.linalg.cholesky_ex(torch.tensor(A), upper=upper)
        np.testing.assert_allclose(L.numpy(), tL.numpy(), rtol=1e-10, atol=1e-12)
        assert info.tolist() == tinfo.tolist() and info.dtype == tg.int32


def test_inv_ex_and_solve_ex_match_torch_on_random_singular_batch():
    rng = np.random.default_rng(13)
    A = rng.standard_normal((3, 3, 3))
    A[1, 2] = A[1, 0] + A[1, 1]  # exactly singular in exact arithmetic: rounding decides the pivot
    A[2] = 0.0
    A[2, 0, 0] = 2.0
    B = rng.standard_normal((3, 3, 2))
    inv, info = tg.linalg.inv_ex(tg.tensor(A))
    tinv, tinfo = torch.linalg.inv_ex(torch.tensor(A))
    assert info.tolist()[0] == tinfo.tolist()[0] == 0 and info.tolist()[2] == tinfo.tolist()[2] == 2
    np.testing.assert_allclose(inv.numpy()[2], tinv.numpy()[2])
    np.testing.assert_allclose(inv.numpy()[0], tinv.numpy()[0], rtol=1e-10)
    X, info = tg.linalg.solve_ex(tg.tensor(A), tg.tensor(B))
    tX, tinfo = torch.linalg.solve_ex(torch.tensor(A), torch.tensor(B))
    np.testing.assert_allclose(X.numpy()[[0, 2]], tX.numpy()[[0, 2]], rtol=1e-10)


def _error(m, fn):
    try:
        fn(m)
    except Exception as e:  # noqa: BLE001 - compared with torch
        return type(e).__name__, str(e)
    raise AssertionError("no error")


@pytest.mark.parametrize("case", [
    lambda m: m.linalg.solve(m.eye(2).expand(3, 2, 2), m.ones(2, 2, 1)),
    lambda m: m.linalg.solve_triangular(m.eye(2).expand(3, 2, 2), m.ones(2, 2, 1), upper=True),
    lambda m: m.linalg.lstsq(m.eye(2).expand(3, 2, 2), m.ones(2, 2, 1)),
    lambda m: m.triangular_solve(m.ones(3, 2, 1), m.eye(2).expand(2, 2, 2)),
    lambda m: m.cholesky_solve(m.ones(3, 2, 1), m.eye(2).expand(2, 2, 2)),
    lambda m: m.linalg.lu_solve(m.eye(2).expand(3, 2, 2), m.ones(3, 2, dtype=m.int32), m.ones(2, 2, 1)),
    lambda m: m.cholesky_solve(m.ones(2), m.eye(2)),
    lambda m: m.cholesky_solve(m.ones(2, 1), m.ones(2)),
    lambda m: m.triangular_solve(m.ones(2), m.eye(2)),
    lambda m: m.triangular_solve(m.ones(2, 1), m.ones(2)),
    lambda m: m.cholesky_solve(m.ones(2, 1, dtype=m.float64), m.eye(2)),
    lambda m: m.linalg.lu_solve(m.ones(2), m.ones(2, dtype=m.int32), m.ones(2, 1)),
    lambda m: m.cholesky_inverse(m.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]])),
    lambda m: m.cholesky_inverse(m.tensor([[0.0, 0.0], [0.0, 1.0]]), upper=True),
    lambda m: m.linalg.tensorinv(m.zeros(2, 2), ind=1),
    lambda m: m.linalg.cond(m.ones(2, 3), "fro"),
    lambda m: m.linalg.matrix_rank(m.ones(2, 3), hermitian=True),
    lambda m: m.svd_lowrank(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.svdvals(m.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, NAN], [0.0, 1.0]]])),
    lambda m: m.linalg.cond(m.ones(2), 1),
    lambda m: m.linalg.pinv(m.tensor([[1.0, 2.0]]).to(m.int32)),
    lambda m: m.linalg.eigvals(m.ones(2, 2, dtype=m.bool)),
])
def test_error_matches_torch(case):
    assert _error(tg, case) == _error(torch, case)


def test_triangular_and_cholesky_solves_match_torch_on_zero_pivots():
    rng = np.random.default_rng(14)
    U = np.triu(rng.standard_normal((2, 4, 4)))
    U[0, 1, 1] = 0.0
    U[1, 3, 3] = 0.0
    B = rng.standard_normal((2, 4, 3))
    for upper in (True, False):
        T = U if upper else np.swapaxes(U, -1, -2).copy()
        got = tg.linalg.solve_triangular(tg.tensor(T), tg.tensor(B), upper=upper).numpy()
        want = torch.linalg.solve_triangular(torch.tensor(T), torch.tensor(B), upper=upper).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, equal_nan=True)
    L = np.swapaxes(U, -1, -2).copy()
    got = tg.cholesky_solve(tg.tensor(B), tg.tensor(L)).numpy()
    want = torch.cholesky_solve(torch.tensor(B), torch.tensor(L)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, equal_nan=True)


def test_logdet_complex_matches_torch():
    rng = np.random.default_rng(15)
    A = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))
    got, want = tg.logdet(tg.tensor(A)), torch.logdet(torch.tensor(A))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10)
    x, tx = tg.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    assert type(tg.logdet(x).grad_fn).__name__ == type(torch.logdet(tx).grad_fn).__name__
