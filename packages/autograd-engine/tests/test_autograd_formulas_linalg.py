"""gradcheck / gradgradcheck (float64) of the linear-algebra formulas."""
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _x(*shape, seed=2):
    tg.manual_seed(seed)
    return tg.randn(*shape, dtype=tg.float64, requires_grad=True)


def _spd(a):
    return a @ a.mT + 3 * tg.eye(a.shape[-1], dtype=a.dtype)


A, B, C = _x(3, 3), _x(3, 2, seed=3), _x(2, 3, 4, seed=4)
V, W = _x(3, seed=5), _x(3, seed=6)

CASES = [
    ("mm", lambda a, b: a.mm(b), (A, B)),
    ("matmul_batched", lambda c, a: c.mT @ a, (C, A)),
    ("matmul_1d2d", lambda v, a: v @ a, (V, A)),
    ("matmul_2d1d", lambda a, v: a @ v, (A, V)),
    ("bmm", lambda c, d: c.bmm(d), (C, C.mT.detach().clone().requires_grad_())),
    ("mv", lambda a, v: a.mv(v), (A, V)),
    ("dot", lambda v, w: v.dot(w), (V, W)),
    ("vdot", lambda v, w: tg.vdot(v, w), (V, W)),
    ("outer", lambda v, w: tg.outer(v, w), (V, W)),
    ("inner", lambda a, b: tg.inner(a, b), (A, B.mT.detach().clone().requires_grad_())),
    ("einsum", lambda a, b: tg.einsum("ij,jk->ik", a, b), (A, B)),
    ("einsum_diag", lambda a, v: tg.einsum("ii,i->i", a, v), (A, V)),
    ("einsum_sum_only", lambda a, b: tg.einsum("ij,jk->j", a, b), (A, B)),
    ("einsum_ellipsis", lambda c, a: tg.einsum("...ij,ik->...jk", c, a), (C, A)),
    ("tensordot", lambda c, a: tg.tensordot(c, a[:, :1].expand(3, 4).contiguous(), dims=([1], [0])), (C, A)),
    ("kron", lambda a, b: tg.kron(a, b), (A, B)),
    ("addmm", lambda a, b: tg.addmm(b[0], a, b, beta=0.5, alpha=2.0), (A, B)),
    ("addmv", lambda a, v: tg.addmv(v, a, v, beta=2.0), (A, V)),
    ("baddbmm", lambda c, d: tg.baddbmm(c[:, :, :1], c, d, alpha=0.5), (C, C.mT.detach().clone().requires_grad_())),
    ("addbmm", lambda c, d: tg.addbmm(c[0, :, :1], c, d), (C, C.mT.detach().clone().requires_grad_())),
    ("cross", lambda v, w: tg.linalg.cross(v, w), (V, W)),
    ("trace", lambda a, b: tg.trace(a) * b.sum(), (A, B)),
    ("inv", lambda a, b: tg.linalg.inv(a) @ b, (A, B)),
    ("det", lambda a, b: tg.linalg.det(a) * b, (A, B)),
    ("slogdet", lambda a, b: tg.linalg.slogdet(a).logabsdet * b, (A, B)),
    ("logdet", lambda a, b: tg.logdet(_spd(a)) * b, (A, B)),
    ("solve", lambda a, b: tg.linalg.solve(a, b), (A, B)),
    ("solve_vec", lambda a, v: tg.linalg.solve(a, v), (A, V)),
    ("solve_left_false", lambda a, b: tg.linalg.solve(a, b.mT, left=False), (A, B)),
    ("solve_triangular", lambda a, b: tg.linalg.solve_triangular(a + 4 * tg.eye(3, dtype=a.dtype), b, upper=True),
     (A, B)),
    ("cholesky", lambda a, b: tg.linalg.cholesky(_spd(a)) * b.sum(), (A, B)),
    ("cholesky_upper", lambda a, b: tg.linalg.cholesky(_spd(a), upper=True) * b.sum(), (A, B)),
    ("pinv", lambda a, b: tg.linalg.pinv(b) * a.sum(), (A, B)),
    ("matrix_power", lambda a, b: tg.linalg.matrix_power(a, 3) @ b, (A, B)),
    ("matrix_power_neg", lambda a, b: tg.linalg.matrix_power(a, -1) @ b, (A, B)),
    ("matrix_norm_1", lambda a, b: tg.linalg.matrix_norm(a, 1) * b, (A, B)),
    ("norm_fro", lambda a, b: tg.linalg.norm(a) * b, (A, B)),
]

def test_eigh_gradgradcheck():
    a = _x(3, 3, seed=11)
    assert gradgradcheck(lambda t: tg.linalg.eigvalsh(t + t.mT), (a,))
    assert gradgradcheck(lambda t: tg.linalg.eigh(t + t.mT).eigenvectors.abs(), (a,))


FIRST_ORDER_ONLY = [
    ("eigvalsh", lambda a: tg.linalg.eigvalsh(a + a.mT)),
    ("eigh_vectors", lambda a: tg.linalg.eigh(a + a.mT).eigenvectors.abs()),
    ("svdvals", lambda a: tg.linalg.svdvals(a)),
    ("nuclear_norm", lambda a: tg.linalg.matrix_norm(a, "nuc")),
    ("spectral_norm", lambda a: tg.linalg.matrix_norm(a, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    _, fn, args = case
    assert gradcheck(fn, args)


DOUBLE = {"mm", "matmul_batched", "mv", "dot", "einsum", "einsum_diag", "addmm", "cross", "inv", "det", "slogdet",
          "solve", "solve_vec", "cholesky", "pinv", "kron", "baddbmm", "solve_left_false"}


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in DOUBLE], ids=[c[0] for c in CASES if c[0] in DOUBLE])
def test_gradgradcheck(case):
    _, fn, args = case
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("case", FIRST_ORDER_ONLY, ids=[c[0] for c in FIRST_ORDER_ONLY])
def test_gradcheck_first_order_only(case):
    _, fn = case
    assert gradcheck(fn, (_x(3, 3, seed=11),))


def test_qr_and_svd_record_their_nodes():
    a = _x(3, 3)
    q, r = tg.linalg.qr(a)
    assert q.requires_grad and q.grad_fn.name() == "LinalgQrBackward0" == r.grad_fn.name()
    u, s, vh = tg.linalg.svd(a)
    assert s.grad_fn.name() == "LinalgSvdBackward0" == u.grad_fn.name() == vh.grad_fn.name()


def test_matmul_grads_against_torch():
    torch = pytest.importorskip("torch")
    import numpy as np
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    y = np.random.default_rng(1).standard_normal((4, 5))
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    (a @ b).pow(2).sum().backward()
    (ta @ tb).pow(2).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(b.grad), tb.grad.numpy(), rtol=1e-10)
