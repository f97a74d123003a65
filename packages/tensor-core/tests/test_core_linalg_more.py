"""LU, eig, matrix_exp, lstsq, Householder products and the older torch.* solvers: identities and NumPy."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 3), (0, 3, 3)])
def test_lu_reconstructs(shape, tg_device):
    a = tg.tensor(RNG.standard_normal(shape), device=tg_device)
    P, L, U = tg.linalg.lu(a)
    np.testing.assert_allclose((P @ L @ U).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    LU, piv = tg.linalg.lu_factor(a)
    P2, L2, U2 = tg.lu_unpack(LU, piv)
    np.testing.assert_allclose((P2 @ L2 @ U2).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    assert piv.dtype == tg.int32 and LU.device == a.device


@pytest.mark.parametrize("kw", [{}, {"adjoint": True}, {"left": False}, {"left": False, "adjoint": True}])
def test_lu_solve_solves(kw, tg_device):
    a = tg.tensor(RNG.standard_normal((2, 4, 4)) + 4 * np.eye(4), device=tg_device)
    b = tg.tensor(RNG.standard_normal((2, 4, 3) if kw.get("left", True) else (2, 3, 4)), device=tg_device)
    x = tg.linalg.lu_solve(*tg.linalg.lu_factor(a), b, **kw)
    m = a.mT if kw.get("adjoint") else a
    lhs = m @ x if kw.get("left", True) else x @ m
    np.testing.assert_allclose(lhs.cpu().numpy(), b.cpu().numpy(), atol=1e-10)


def test_lu_errors():
    with pytest.raises(tg.linalg.LinAlgError, match=r"U\[2,2\] is zero"):
        tg.linalg.lu_factor(tg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert int(tg.linalg.lu_factor_ex(tg.zeros(3, 3)).info) == 1
    with pytest.raises(RuntimeError, match="Expected tensor with 2 or more dimensions"):
        tg.linalg.lu_factor(tg.ones(3))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        tg.linalg.lu_solve(*tg.linalg.lu_factor(tg.eye(3)), tg.ones(4, 2))


def test_matrix_exp_and_eig(tg_device):
    a = RNG.standard_normal((2, 4, 4))
    w, v = np.linalg.eig(a)
    ref = np.real(v @ (np.exp(w)[..., None] * np.linalg.inv(v)))
    np.testing.assert_allclose(tg.linalg.matrix_exp(tg.tensor(a, device=tg_device)).cpu().numpy(), ref, atol=1e-10)
    np.testing.assert_allclose(tg.matrix_exp(tg.zeros(3, 3)).numpy(), np.eye(3))
    L, V = tg.linalg.eig(tg.tensor(a, device=tg_device))
    assert L.dtype == tg.complex128
    Vn, Ln = V.cpu().numpy(), L.cpu().numpy()
    np.testing.assert_allclose(a @ Vn, Vn * Ln[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.sort_complex(tg.linalg.eigvals(tg.tensor(a[0])).numpy()),
                               np.sort_complex(np.linalg.eigvals(a[0])), atol=1e-10)


def test_lstsq(tg_device):
    a, b = RNG.standard_normal((2, 6, 3)), RNG.standard_normal((2, 6, 2))
    r = tg.linalg.lstsq(tg.tensor(a, device=tg_device), tg.tensor(b, device=tg_device), driver="gelsd")
    ref = np.linalg.pinv(a) @ b
    np.testing.assert_allclose(r.solution.cpu().numpy(), ref, atol=1e-10)
    np.testing.assert_allclose(r.residuals.cpu().numpy(), ((a @ ref - b) ** 2).sum(-2), atol=1e-10)
    assert r.rank.tolist() == [3, 3] and tuple(r.singular_values.shape) == (2, 3)
    g = tg.linalg.lstsq(tg.tensor(a[0]), tg.tensor(b[0]))  # gelsy on CPU: no residuals/singular values
    assert g.residuals.numel() == 0 and g.singular_values.numel() == 0 and int(g.rank) == 3
    v = tg.linalg.lstsq(tg.tensor(a[0]), tg.tensor(b[0, :, 0]))
    assert tuple(v.solution.shape) == (3,)


def test_householder_geqrf_ormqr(tg_device):
    a = RNG.standard_normal((5, 3))
    h, tau = tg.geqrf(tg.tensor(a, device=tg_device))
    Q = tg.linalg.householder_product(h, tau)
    R = h.triu()[:3]
    np.testing.assert_allclose((Q @ R).cpu().numpy(), a, atol=1e-12)
    np.testing.assert_allclose((Q.mT @ Q).cpu().numpy(), np.eye(3), atol=1e-12)
    c = tg.tensor(RNG.standard_normal((5, 2)), device=tg_device)
    qc = tg.ormqr(h, tau, c)
    qtqc = tg.ormqr(h, tau, qc, transpose=True)
    np.testing.assert_allclose(qtqc.cpu().numpy(), c.cpu().numpy(), atol=1e-12)


def test_legacy_solvers(tg_device):
    warnings.simplefilter("ignore")
    a = tg.tensor(RNG.standard_normal((3, 3)) + 4 * np.eye(3), device=tg_device)
    b = tg.tensor(RNG.standard_normal((3, 2)), device=tg_device)
    x, coef = tg.triangular_solve(b, a.triu())
    np.testing.assert_allclose((a.triu() @ x).cpu().numpy(), b.cpu().numpy(), atol=1e-12)
    L = tg.linalg.cholesky(a @ a.mT)
    np.testing.assert_allclose(tg.cholesky_solve(b, L).cpu().numpy(),
                               tg.linalg.solve(a @ a.mT, b).cpu().numpy(), atol=1e-10)
    np.testing.assert_allclose(L.cholesky_inverse().cpu().numpy(), tg.linalg.inv(a @ a.mT).cpu().numpy(),
                               atol=1e-10)
    U, S, V = tg.svd(a)
    np.testing.assert_allclose((U @ tg.diag(S) @ V.mT).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    Q, R = a.qr()
    np.testing.assert_allclose((Q @ R).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    assert tuple(b.addr(b[:, 0], b[:2, 1]).shape) == (3, 2)
    np.testing.assert_allclose(tg.chain_matmul(a, a).cpu().numpy(), (a @ a).cpu().numpy())


def test_tensor_helpers():
    a = tg.tensor(RNG.standard_normal((6, 6)) + 4 * np.eye(6)).reshape(2, 3, 6)
    np.testing.assert_allclose(tg.linalg.tensorinv(a).numpy(), np.linalg.tensorinv(a.numpy()), atol=1e-12)
    b = tg.tensor(RNG.standard_normal((2, 3)))
    np.testing.assert_allclose(tg.linalg.tensorsolve(a, b).numpy(), np.linalg.tensorsolve(a.numpy(), b.numpy()),
                               atol=1e-12)
    np.testing.assert_allclose(tg.linalg.vander(tg.tensor([1.0, 2.0, 3.0])).numpy(),
                               np.vander([1.0, 2.0, 3.0], increasing=True))
    r = tg.linalg.solve_ex(tg.eye(3), tg.ones(3))
    assert r.info.dtype == tg.int32 and int(r.info) == 0
    s = tg.linalg.solve_ex(tg.zeros(3, 3), tg.ones(3))
    # LAPACK's getrs divides by the zero pivot, as PyTorch returns it: [nan, nan, inf]
    assert int(s.info) == 1 and s.result.tolist()[2] == float("inf") and bool(s.result[:2].isnan().all())


def test_cholesky_ex_reports_info_instead_of_raising(tg_device):
    A = tg.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=tg.float64, device=tg_device)
    batch = tg.stack([tg.eye(2, dtype=tg.float64, device=tg_device), A, -tg.eye(2, dtype=tg.float64, device=tg_device)])
    L, info = tg.linalg.cholesky_ex(batch)
    assert info.dtype == tg.int32 and info.cpu().tolist() == [0, 2, 1]
    assert L.device.type == tg_device and L[0].cpu().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert L[1].cpu().tolist()[0] == [1.0, 0.0] and L[1].cpu().tolist()[1][0] == 2.0   # the part before the failure
    good = tg.linalg.cholesky_ex(tg.eye(3, dtype=tg.float64, device=tg_device) * 4, upper=True)
    assert good.info.item() == 0 and good.L.cpu().tolist() == (tg.eye(3, dtype=tg.float64) * 2).tolist()
    with pytest.raises(tg.linalg.LinAlgError, match="not positive-definite"):
        tg.linalg.cholesky_ex(A, check_errors=True)
