"""linalg.ldl_factor/ldl_solve, svd_lowrank, pca_lowrank and lobpcg without PyTorch: the factors
rebuild A, solutions solve, low-rank factors reproduce exactly low-rank matrices, eigenpairs match
NumPy, gradients match finite differences."""
import numpy as np
import pytest

import tensorgraft as tg


def _rebuild(ld, piv, hermitian=False):
    """A from LAPACK's lower Bunch-Kaufman layout: A = (P1 L1 P2 L2 ...) D (...)^T, applied block by
    block from the last pivot back to the first."""
    n = ld.shape[0]
    blocks, k = [], 0
    while k < n:
        step = 2 if piv[k] < 0 else 1
        blocks.append((k, step))
        k += step
    D = np.zeros_like(ld)
    for k, step in blocks:
        D[k:k + step, k:k + step] = ld[k:k + step, k:k + step]
        if step == 2:
            D[k, k + 1] = np.conj(ld[k + 1, k]) if hermitian else ld[k + 1, k]
    A = D
    for k, step in reversed(blocks):
        Lk = np.eye(n, dtype=ld.dtype)
        Lk[k + step:, k:k + step] = ld[k + step:, k:k + step]
        P = np.eye(n)
        swap_with = abs(piv[k]) - 1
        row = k + step - 1
        P[[row, swap_with]] = P[[swap_with, row]]
        T = P @ Lk
        A = T @ A @ (T.conj().T if hermitian else T.T)
    return A


def _symmetric(rng, n, kind):
    if kind == "real":
        a = rng.standard_normal((n, n))
        return a + a.T
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return z + z.conj().T if kind == "hermitian" else z + z.T


@pytest.mark.parametrize("kind", ["real", "complex_symmetric", "hermitian"])
@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_ldl_factors_rebuild_a_and_solve(kind, n, tg_device):
    rng = np.random.default_rng(31 + n)
    hermitian = kind == "hermitian"
    for _ in range(4):
        a = _symmetric(rng, n, kind)
        a[np.diag_indices(n)] *= 1e-3  # small diagonals force 2x2 pivots
        if hermitian:
            a[np.diag_indices(n)] = a[np.diag_indices(n)].real
        LD, piv, info = tg.linalg.ldl_factor_ex(tg.tensor(a, device=tg_device), hermitian=hermitian)
        assert piv.dtype == tg.int32 and int(info) == 0 and LD.dtype == tg.tensor(a).dtype
        ld, p = LD.cpu().numpy(), piv.cpu().numpy()
        np.testing.assert_allclose(np.triu(ld, 1), 0)
        np.testing.assert_allclose(_rebuild(ld, p, hermitian), a, atol=1e-9)
        b = rng.standard_normal((n, 3)).astype(a.dtype)
        x = tg.linalg.ldl_solve(LD, piv, tg.tensor(b, device=tg_device), hermitian=hermitian)
        np.testing.assert_allclose(a @ x.cpu().numpy(), b, atol=1e-8)


def test_ldl_known_factorization_with_a_2x2_pivot():
    LD, piv = tg.linalg.ldl_factor(tg.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 4.0]]))
    np.testing.assert_allclose(LD.numpy(), [[4, 0, 0], [0.75, -2.25, 0], [0.5, 2 / 9, -8 / 9]], atol=1e-6)
    assert piv.tolist() == [3, 2, 3]
    _, piv = tg.linalg.ldl_factor(tg.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert piv.tolist() == [-2, -2]  # no usable 1x1 pivot: one 2x2 block


def test_ldl_batched_singular_and_broadcast_solve():
    rng = np.random.default_rng(32)
    a = rng.standard_normal((3, 5, 5))
    a = a + np.swapaxes(a, -1, -2)
    a[1] = 0.0
    a[1, 0, 0] = 2.0
    LD, piv, info = tg.linalg.ldl_factor_ex(tg.tensor(a))
    assert info.tolist() == [0, 2, 0]
    for i in (0, 2):
        np.testing.assert_allclose(_rebuild(LD[i].numpy(), piv[i].numpy()), a[i], atol=1e-10)
    with pytest.raises(tg.linalg.LinAlgError, match=r"\(Batch element 1\)"):
        tg.linalg.ldl_factor(tg.tensor(a))
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.ldl_factor_ex(tg.tensor(a), check_errors=True)
    good = tg.tensor(a[[0, 2]])
    LD, piv = tg.linalg.ldl_factor(good)
    b = rng.standard_normal((4, 1, 5, 2))
    x = tg.linalg.ldl_solve(LD, piv, tg.tensor(b))
    assert tuple(x.shape) == (4, 2, 5, 2)
    np.testing.assert_allclose((good.numpy()[None] @ x.numpy()), np.broadcast_to(b, (4, 2, 5, 2)), atol=1e-9)


def test_ldl_empty_and_errors():
    LD, piv = tg.linalg.ldl_factor(tg.zeros(0, 0))
    assert tuple(LD.shape) == (0, 0) and tuple(piv.shape) == (0,)
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 3 by 4 matrices"):
        tg.linalg.ldl_factor(tg.zeros(3, 4))
    with pytest.raises(RuntimeError, match="The input tensor A must have at least 2 dimensions."):
        tg.linalg.ldl_factor(tg.zeros(3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        tg.linalg.ldl_factor(tg.zeros(3, 3, dtype=tg.int64))
    LD, piv = tg.linalg.ldl_factor(tg.eye(3, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="found b of type Float and A of type Double"):
        tg.linalg.ldl_solve(LD, piv, tg.ones(3, 2))
    with pytest.raises(RuntimeError, match="each A matrix is 3 by 3 but each b matrix is 4 by 2"):
        tg.linalg.ldl_solve(LD, piv, tg.ones(4, 2, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"but got pivots with shape \[2\] instead"):
        tg.linalg.ldl_solve(LD, piv[:2], tg.ones(3, 2, dtype=tg.float64))


# --------------------------------------------------------------------------- low rank
def _low_rank(rng, m, n, r):
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


@pytest.mark.parametrize("shape", [(12, 7), (7, 12), (2, 9, 6)])
def test_svd_lowrank_recovers_an_exactly_low_rank_matrix(shape, tg_device):
    rng = np.random.default_rng(33)
    a = np.stack([_low_rank(rng, *shape[-2:], 3) for _ in range(int(np.prod(shape[:-2])))]).reshape(shape)
    U, S, V = tg.svd_lowrank(tg.tensor(a, device=tg_device), q=4, niter=1)
    m, n = shape[-2:]
    assert tuple(U.shape) == shape[:-2] + (m, 4) and tuple(V.shape) == shape[:-2] + (n, 4)
    u, s, v = U.cpu().numpy(), S.cpu().numpy(), V.cpu().numpy()
    np.testing.assert_allclose((u * s[..., None, :]) @ np.swapaxes(v, -1, -2), a, atol=1e-9)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(4), u.shape[:-2] + (4, 4)),
                               atol=1e-9)
    np.testing.assert_allclose(s[..., :3], np.linalg.svd(a, compute_uv=False)[..., :3], rtol=1e-9)


def test_svd_lowrank_with_mean_and_pca():
    rng = np.random.default_rng(34)
    a = _low_rank(rng, 10, 6, 2) + rng.standard_normal((1, 6))  # rank 2 plus a common row
    mean = a.mean(0, keepdims=True)
    U, S, V = tg.svd_lowrank(tg.tensor(a), q=3, M=tg.tensor(mean))
    np.testing.assert_allclose(((U * S) @ V.mT).numpy(), a - mean, atol=1e-9)
    U2, S2, V2 = tg.pca_lowrank(tg.tensor(a), q=3)
    np.testing.assert_allclose(S2.numpy(), S.numpy(), atol=1e-9)
    assert tuple(tg.pca_lowrank(tg.tensor(a))[0].shape) == (10, 6)  # q defaults to min(6, m, n)
    _, S3, _ = tg.pca_lowrank(tg.tensor(a), q=3, center=False)
    np.testing.assert_allclose(S3.numpy(), np.linalg.svd(a, compute_uv=False)[:3], rtol=1e-6)
    with pytest.raises(ValueError, match=r"q\(=7\) must be non-negative integer and not greater than min\(m, n\)=6"):
        tg.pca_lowrank(tg.tensor(a), q=7)


def test_svd_lowrank_gradient_matches_finite_differences():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(35)
    a = tg.tensor(_low_rank(rng, 6, 4, 2) + 0.01 * rng.standard_normal((6, 4)), requires_grad=True)

    def f(a):  # with q = n the basis spans the whole range: the result is the exact SVD, whatever the draw
        U, S, V = tg.svd_lowrank(a, q=4, niter=2)
        return S, (U * S) @ V.mT
    assert tg.autograd.gradcheck(f, (a,), atol=1e-6)
    U, S, V = tg.svd_lowrank(a, q=3)
    assert (type(U.grad_fn).__name__, type(S.grad_fn).__name__, type(V.grad_fn).__name__) == \
        ("MmBackward0", "LinalgSvdBackward0", "TransposeBackward0")


# --------------------------------------------------------------------------- lobpcg
def _spd_with_spectrum(rng, values):
    q, _ = np.linalg.qr(rng.standard_normal((len(values), len(values))))
    return q @ np.diag(values) @ q.T


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("kw", [{"k": 1}, {"k": 3}, {"k": 2, "n": 4}, {"k": 2, "method": "basic"}])
def test_lobpcg_finds_extreme_eigenpairs(largest, kw, tg_device):
    rng = np.random.default_rng(36)
    values = np.linspace(1.0, 20.0, 15)
    a = _spd_with_spectrum(rng, values)
    E, X = tg.lobpcg(tg.tensor(a, device=tg_device), largest=largest, **kw)
    k = kw["k"]
    want = values[::-1][:k] if largest else values[:k]
    np.testing.assert_allclose(E.cpu().numpy(), want, rtol=1e-7)
    x = X.cpu().numpy()
    np.testing.assert_allclose(a @ x, x * E.cpu().numpy(), atol=1e-5)
    np.testing.assert_allclose(x.T @ x, np.eye(k), atol=1e-8)


def test_lobpcg_generalized_batched_and_preconditioned():
    rng = np.random.default_rng(37)
    a = _spd_with_spectrum(rng, np.linspace(1, 10, 12))
    b = _spd_with_spectrum(rng, np.linspace(1, 3, 12))
    E, X = tg.lobpcg(tg.tensor(a), k=2, B=tg.tensor(b))
    want = np.sort(np.linalg.eigvals(np.linalg.solve(b, a)).real)[::-1][:2]
    np.testing.assert_allclose(E.numpy(), want, rtol=1e-7)
    np.testing.assert_allclose(X.numpy().T @ b @ X.numpy(), np.eye(2), atol=1e-8)
    batch = np.stack([a, _spd_with_spectrum(rng, np.arange(1.0, 13.0))])
    E, X = tg.lobpcg(tg.tensor(batch), k=2, iK=tg.tensor(np.linalg.inv(batch + np.eye(12))))
    np.testing.assert_allclose(E.numpy(), [[10, 10 - 9 / 11], [12, 11]], rtol=1e-7)
    E, X = tg.lobpcg(tg.tensor(a), X=tg.tensor(rng.standard_normal((12, 3))))
    assert tuple(E.shape) == (3,) and tuple(X.shape) == (12, 3)


def test_lobpcg_gradient_matches_finite_differences():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(38)
    a = tg.tensor(_spd_with_spectrum(rng, np.linspace(1.0, 9.0, 9)), requires_grad=True)
    x0 = tg.tensor(rng.standard_normal((9, 2)))
    w = tg.tensor(rng.standard_normal((9, 9)))

    def f(a):  # sign-free functions of the eigenvectors; a fixed start keeps the iteration repeatable
        E, X = tg.lobpcg((a + a.mT) / 2, X=x0, tol=1e-13, niter=-1)
        return E, ((X @ X.mT) * w).sum()
    assert tg.autograd.gradcheck(f, (a,), atol=1e-5)
    E, X = tg.lobpcg(a, k=2)
    assert type(E.grad_fn).__name__ == type(X.grad_fn).__name__ == "LOBPCGAutogradFunctionBackward"


def test_lobpcg_errors():
    with pytest.raises(ValueError, match=r"number of A rows \(=12\) is smaller than 3 x the number of requested "
                                         r"eigenpairs \(=5\)"):
        tg.lobpcg(tg.eye(12), k=5)
    with pytest.raises(AssertionError, match="A must be square"):
        tg.lobpcg(tg.ones(12, 11), k=2)
