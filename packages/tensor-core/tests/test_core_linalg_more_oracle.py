"""LU, eig, matrix_exp, lstsq, Householder and the older top-level solvers against PyTorch (the oracle)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
A33 = RNG.standard_normal((3, 3))
B32 = RNG.standard_normal((3, 2))


def _close(x, t, tol=1e-10):
    np.testing.assert_allclose(x.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 3)])
def test_lu_family_values(shape):
    a = RNG.standard_normal(shape)
    LU, piv = tg.linalg.lu_factor(tg.tensor(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    _close(LU, tLU)
    assert piv.dtype == tg.int32 and (piv.numpy() == tpiv.numpy()).all()
    for x, t in zip(tg.linalg.lu(tg.tensor(a)), torch.linalg.lu(torch.tensor(a))):
        _close(x, t)
    for x, t in zip(tg.lu_unpack(LU, piv), torch.lu_unpack(tLU, tpiv)):
        _close(x, t)
    ex = tg.linalg.lu_factor_ex(tg.tensor(a))
    assert type(ex).__name__ == "linalg_lu_factor_ex" and ex._fields == ("LU", "pivots", "info")


@pytest.mark.parametrize("kw", [{}, {"adjoint": True}, {"left": False}])
def test_lu_solve_values(kw):
    LU, piv = torch.linalg.lu_factor(torch.tensor(A33))
    b = B32 if kw.get("left", True) else B32.T.copy()
    r = tg.linalg.lu_solve(tg.tensor(LU.numpy()), tg.tensor(piv.numpy()), tg.tensor(b), **kw)
    _close(r, torch.linalg.lu_solve(LU, piv, torch.tensor(b), **kw))
    _close(tg.lu_solve(tg.tensor(B32), tg.tensor(LU.numpy()), tg.tensor(piv.numpy())),
           torch.lu_solve(torch.tensor(B32), LU, piv))


def test_singular_lu_info_and_error():
    s = [[1.0, 2.0], [2.0, 4.0]]
    r, t = tg.linalg.lu_factor_ex(tg.tensor(s)), torch.linalg.lu_factor_ex(torch.tensor(s))
    assert int(r.info) == int(t.info) == 2
    with pytest.raises(RuntimeError) as e1:
        torch.linalg.lu_factor(torch.tensor(s))
    with pytest.raises(RuntimeError) as e2:
        tg.linalg.lu_factor(tg.tensor(s))
    assert str(e1.value) == str(e2.value)
    for f, tf in [(lambda m: tg.linalg.lu_factor(m, pivot=False), lambda m: torch.linalg.lu_factor(m, pivot=False)),
                  (tg.linalg.matrix_exp, torch.linalg.matrix_exp), (tg.linalg.eig, torch.linalg.eig)]:
        arg = tg.randn(2, 3) if f is not tg.linalg.lu_factor else None
        m = np.ones((2, 3), np.float32) if arg is not None else np.ones((3, 3), np.float32)
        with pytest.raises(RuntimeError) as e1:
            tf(torch.tensor(m))
        with pytest.raises(RuntimeError) as e2:
            f(tg.tensor(m))
        assert str(e1.value) == str(e2.value)


def test_lstsq_fields_per_driver():
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    for d in [None, "gels", "gelsy", "gelsd", "gelss"]:
        r, t = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b), driver=d), torch.linalg.lstsq(torch.tensor(a),
                                                                                        torch.tensor(b), driver=d)
        assert type(r).__name__ == type(t).__name__ == "linalg_lstsq" and r._fields == ("solution", "residuals", "rank", "singular_values")
        for x, y in zip(r, t):
            assert tuple(x.shape) == tuple(y.shape), d
            assert str(x.dtype) == str(y.dtype)
            if x.numel():
                _close(x, y, 1e-9)
    r = tg.linalg.lstsq(tg.tensor(a.T.copy()), tg.tensor(b[:3]), driver="gelsd")
    t = torch.linalg.lstsq(torch.tensor(a.T.copy()), torch.tensor(b[:3]), driver="gelsd")
    _close(r.solution, t.solution)
    assert r.residuals.shape == t.residuals.shape
    for bad, tbad in [((tg.tensor(a), tg.tensor(b[:4])), (torch.tensor(a), torch.tensor(b[:4]))),
                      ((tg.tensor(a), tg.tensor(b).float()), (torch.tensor(a), torch.tensor(b).float()))]:
        with pytest.raises(RuntimeError) as e1:
            torch.linalg.lstsq(*tbad)
        with pytest.raises(RuntimeError) as e2:
            tg.linalg.lstsq(*bad)
        assert str(e1.value) == str(e2.value)
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        tg.linalg.lstsq(tg.tensor(a), tg.tensor(b), driver="foo")


def test_eig_invariants_and_dtypes():
    for dt, tdt in [(tg.float32, torch.float32), (tg.float64, torch.float64)]:
        L, V = tg.linalg.eig(tg.tensor(A33, dtype=dt))
        tL, _ = torch.linalg.eig(torch.tensor(A33, dtype=tdt))
        assert str(L.dtype) == str(tL.dtype) and str(V.dtype) == str(tL.dtype)
    L, V = tg.linalg.eig(tg.tensor(A33))
    tL = torch.linalg.eigvals(torch.tensor(A33)).numpy()
    np.testing.assert_allclose(np.sort_complex(L.numpy()), np.sort_complex(tL), atol=1e-10)
    np.testing.assert_allclose(A33 @ V.numpy(), V.numpy() * L.numpy(), atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(V.numpy(), axis=0), 1, atol=1e-12)


def test_matrix_exp_geqrf_householder_values():
    a = RNG.standard_normal((2, 4, 4)) * 2
    _close(tg.linalg.matrix_exp(tg.tensor(a)), torch.linalg.matrix_exp(torch.tensor(a)), 1e-9)
    _close(tg.matrix_exp(tg.tensor(a)), torch.matrix_exp(torch.tensor(a)), 1e-9)
    _close(tg.tensor(a).matrix_exp(), torch.tensor(a).matrix_exp(), 1e-9)
    q = RNG.standard_normal((5, 3))
    for x, t in zip(tg.geqrf(tg.tensor(q)), torch.geqrf(torch.tensor(q))):
        _close(x, t)
    h, tau = torch.geqrf(torch.tensor(q))
    _close(tg.linalg.householder_product(tg.tensor(h.numpy()), tg.tensor(tau.numpy())),
           torch.linalg.householder_product(h, tau))
    _close(tg.orgqr(tg.tensor(h.numpy()), tg.tensor(tau.numpy())), torch.orgqr(h, tau))
    c = RNG.standard_normal((5, 2))
    for kw in [{}, {"transpose": True}]:
        _close(tg.ormqr(tg.tensor(h.numpy()), tg.tensor(tau.numpy()), tg.tensor(c), **kw),
               torch.ormqr(h, tau, torch.tensor(c), **kw))
    _close(tg.ormqr(tg.tensor(h.numpy()), tg.tensor(tau.numpy()), tg.tensor(c.T.copy()), left=False),
           torch.ormqr(h, tau, torch.tensor(c.T.copy()), left=False))


def test_legacy_top_level_functions():
    warnings.simplefilter("ignore")
    x, t = tg.tensor(A33), torch.tensor(A33)
    r, tr = tg.svd(x), torch.svd(t)
    assert type(r).__name__ == "svd" and r._fields == ("U", "S", "V")
    _close(r.S, tr.S)
    np.testing.assert_allclose(r.U.numpy() @ np.diag(r.S.numpy()) @ r.V.numpy().T, A33, atol=1e-10)
    assert tuple(tg.svd(tg.tensor(B32), some=False).U.shape) == tuple(torch.svd(torch.tensor(B32), some=False).U.shape)
    ns, tns = tg.svd(tg.tensor(B32), compute_uv=False), torch.svd(torch.tensor(B32), compute_uv=False)
    assert [tuple(v.shape) for v in ns] == [tuple(v.shape) for v in tns]
    q, tq = x.qr(), t.qr()
    np.testing.assert_allclose(np.abs(q.R.numpy()), np.abs(tq.R.numpy()), atol=1e-10)
    LU, piv = tg.lu(x)
    tLU, tpiv = torch.lu(t)
    _close(LU, tLU)
    assert len(tg.lu(x, get_infos=True)) == 3
    tri = np.triu(A33) + 4 * np.eye(3)
    for kw in [{}, {"upper": False}, {"transpose": True}, {"unitriangular": True}]:
        m = tri if kw.get("upper", True) else tri.T.copy()
        r, tr = tg.triangular_solve(tg.tensor(B32), tg.tensor(m), **kw), torch.triangular_solve(torch.tensor(B32),
                                                                                                 torch.tensor(m), **kw)
        assert r._fields == ("solution", "cloned_coefficient")
        _close(r.solution, tr.solution)
        _close(r.cloned_coefficient, tr.cloned_coefficient)
    L = np.tril(A33) + 4 * np.eye(3)
    for up in (False, True):
        m = L.T.copy() if up else L
        _close(tg.cholesky_solve(tg.tensor(B32), tg.tensor(m), up), torch.cholesky_solve(torch.tensor(B32),
                                                                                          torch.tensor(m), up))
        _close(tg.cholesky_inverse(tg.tensor(m), up), torch.cholesky_inverse(torch.tensor(m), up))
    v1, v2 = RNG.standard_normal(3), RNG.standard_normal(2)
    _close(tg.addr(tg.tensor(B32), tg.tensor(v1), tg.tensor(v2), beta=2, alpha=3),
           torch.addr(torch.tensor(B32), torch.tensor(v1), torch.tensor(v2), beta=2, alpha=3))
    y = tg.tensor(B32).clone()
    y.addr_(tg.tensor(v1), tg.tensor(v2))
    _close(y, torch.tensor(B32).addr(torch.tensor(v1), torch.tensor(v2)))
    _close(tg.chain_matmul(x, x, x), torch.chain_matmul(t, t, t))
    _close(tg.nuclear_norm(x), torch.nuclear_norm(t))
    _close(tg.frobenius_norm(x, (0, 1)), torch.frobenius_norm(t, (0, 1)))


def test_tensorinv_tensorsolve_vander_solve_ex():
    a = RNG.standard_normal((6, 2, 3)) + 0
    a = (np.eye(6) * 4 + RNG.standard_normal((6, 6))).reshape(6, 2, 3)
    _close(tg.linalg.tensorinv(tg.tensor(a), ind=1), torch.linalg.tensorinv(torch.tensor(a), ind=1))
    b = RNG.standard_normal(6)
    a2 = a.reshape(2, 3, 6)
    _close(tg.linalg.tensorsolve(tg.tensor(a2), tg.tensor(b.reshape(2, 3))),
           torch.linalg.tensorsolve(torch.tensor(a2), torch.tensor(b.reshape(2, 3))))
    v = np.array([1.0, 2.0, 3.0])
    _close(tg.linalg.vander(tg.tensor(v)), torch.linalg.vander(torch.tensor(v)))
    _close(tg.linalg.vander(tg.tensor(v), N=4), torch.linalg.vander(torch.tensor(v), N=4))
    r, t = tg.linalg.solve_ex(tg.tensor(A33), tg.tensor(B32)), torch.linalg.solve_ex(torch.tensor(A33),
                                                                                    torch.tensor(B32))
    assert r._fields == ("result", "info") and type(r).__name__ == type(t).__name__
    _close(r.result, t.result)
    assert r.info.dtype == tg.int32 and int(r.info) == 0
    s = tg.linalg.solve_ex(tg.tensor([[1.0, 2.0], [2.0, 4.0]]), tg.ones(2))
    assert int(s.info) == int(torch.linalg.solve_ex(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.ones(2)).info)


def _grad_pair(f, tf, *arrs):
    xs = [tg.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    o, to = f(*xs), tf(*ts)
    assert type(o.grad_fn).__name__ == type(to.grad_fn).__name__
    w = np.linspace(0.5, 1.5, o.numel()).reshape(tuple(o.shape))
    (o.abs() if o.is_complex() else o).mul(tg.tensor(w)).sum().backward()
    (to.abs() if to.is_complex() else to).mul(torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-9, rtol=1e-9)


LU_T, PIV_T = torch.linalg.lu_factor(torch.tensor(A33))
_CASES = {
    "matrix_exp": (tg.linalg.matrix_exp, torch.linalg.matrix_exp, (A33,)),
    "lu_factor": (lambda x: tg.linalg.lu_factor(x).LU, lambda x: torch.linalg.lu_factor(x).LU, (A33,)),
    "lu_L_tall": (lambda x: tg.linalg.lu(x).L, lambda x: torch.linalg.lu(x).L, (A33[:, :2].copy(),)),
    "lu_U_wide": (lambda x: tg.linalg.lu(x).U, lambda x: torch.linalg.lu(x).U, (A33[:2].copy(),)),
    "lu_both": (lambda x: tg.linalg.lu(x).L * 2 + tg.linalg.lu(x).U, lambda x: torch.linalg.lu(x).L * 2 +
                torch.linalg.lu(x).U, (A33,)),
    "lstsq": (lambda x, y: tg.linalg.lstsq(x, y).solution, lambda x, y: torch.linalg.lstsq(x, y).solution,
              (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2)))),
    "lstsq_residuals": (lambda x, y: tg.linalg.lstsq(x, y, driver="gelsd").residuals,
                        lambda x, y: torch.linalg.lstsq(x, y, driver="gelsd").residuals,
                        (RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2)))),
    "householder": (tg.linalg.householder_product, torch.linalg.householder_product,
                    (RNG.standard_normal((4, 3)), RNG.random(2))),
    "ormqr": (tg.ormqr, torch.ormqr, (RNG.standard_normal((4, 3)), RNG.random(3), RNG.standard_normal((4, 2)))),
    "triangular_solve": (lambda a, b: tg.triangular_solve(b, a).solution,
                         lambda a, b: torch.triangular_solve(b, a).solution, (A33 + 4 * np.eye(3), B32)),
    "cholesky_solve": (lambda a, b: tg.cholesky_solve(b, a), lambda a, b: torch.cholesky_solve(b, a),
                       (np.tril(A33) + 4 * np.eye(3), B32)),
    "cholesky_inverse": (tg.cholesky_inverse, torch.cholesky_inverse, (np.tril(A33) + 4 * np.eye(3),)),
    "addr": (lambda c, a, b: tg.addr(c, a, b, beta=2, alpha=0.5), lambda c, a, b: torch.addr(c, a, b, beta=2, alpha=0.5),
             (B32, RNG.standard_normal(3), RNG.standard_normal(2))),
    "lu_solve": (lambda lu, b: tg.linalg.lu_solve(lu, tg.tensor(PIV_T.numpy()), b, adjoint=True),
                 lambda lu, b: torch.linalg.lu_solve(lu, PIV_T, b, adjoint=True), (LU_T.numpy(), B32)),
    "lu_unpack": (lambda lu: tg.lu_unpack(lu, tg.tensor(PIV_T.numpy())).L + tg.lu_unpack(lu, tg.tensor(PIV_T.numpy())).U,
                  lambda lu: torch.lu_unpack(lu, PIV_T).L + torch.lu_unpack(lu, PIV_T).U, (LU_T.numpy(),)),
    "eigvals": (tg.linalg.eigvals, torch.linalg.eigvals, (A33,)),
    "eigenvectors": (lambda x: tg.linalg.eig(x).eigenvectors, lambda x: torch.linalg.eig(x).eigenvectors, (A33,)),
}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_gradients_and_grad_fn_match(name):
    warnings.simplefilter("ignore")
    f, tf, arrs = _CASES[name]
    _grad_pair(f, tf, *arrs)
