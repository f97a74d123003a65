"""Matrix products and torch.linalg against PyTorch (oracle): values, dtypes, shapes, node names,
gradients, error messages."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2)


def R(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


SPD = (lambda a: a @ a.T + 4 * np.eye(4))(R(4, 4))
A4, B4, A23, B34, V3, V4 = R(4, 4), R(4, 3), R(2, 3), R(3, 4), R(3), R(4)
BA, BB = R(2, 3, 4), R(2, 4, 5)

CASES = [
    ("mm", lambda m, a, b: m.mm(a, b), (A23, B34)),
    ("matmul_2d", lambda m, a, b: a @ b, (A23, B34)),
    ("matmul_1d1d", lambda m, a, b: m.matmul(a, b), (V3, V3 * 2)),
    ("matmul_2d1d", lambda m, a, b: a @ b, (A23, V3)),
    ("matmul_1d2d", lambda m, a, b: a @ b, (V3, B34)),
    ("matmul_batched", lambda m, a, b: a @ b, (BA, BB)),
    ("matmul_bcast", lambda m, a, b: a @ b, (BA, B34.T.copy())),
    ("matmul_1d_batched", lambda m, a, b: a @ b, (V4[:3], BA)),
    ("rmatmul", lambda m, a, b: b.__rmatmul__(a), (A23, V3)),
    ("bmm", lambda m, a, b: m.bmm(a, b), (BA, BB)),
    ("mv", lambda m, a, b: m.mv(a, b), (A23, V3)),
    ("dot", lambda m, a, b: m.dot(a, b), (V3, V3 + 1)),
    ("vdot", lambda m, a, b: m.vdot(a, b), (V3, V3 - 1)),
    ("outer", lambda m, a, b: m.outer(a, b), (V3, V4)),
    ("ger", lambda m, a, b: m.ger(a, b), (V3, V4)),
    ("inner_1d", lambda m, a, b: m.inner(a, b), (V3, V3 * 3)),
    ("inner_nd", lambda m, a, b: m.inner(a, b), (BA, A4)),
    ("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (A23, B34)),
    ("einsum_bmm", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), (BA, BB)),
    ("einsum_implicit", lambda m, a, b: m.einsum("ij,jk", a, b), (A23, B34)),
    ("einsum_list", lambda m, a, b: m.einsum("ij,kj->ik", [a, b]), (A23, A23 * 2)),
    ("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,jk->...ik", a, b), (BA, B4)),
    ("einsum_outer_sum", lambda m, a, b: m.einsum("i,j->", a, b), (V3, V4)),
    ("tensordot_int", lambda m, a, b: m.tensordot(a, b, dims=1), (BA, BB[0])),
    ("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([1, 2], [1, 0])), (BA, R(4, 3, 2))),
    ("kron", lambda m, a, b: m.kron(a, b), (A23, B34)),
    ("addmm", lambda m, a, b: m.addmm(b[0], a, b, beta=0.5, alpha=2.0), (A23, B34)),
    ("addmv", lambda m, a, b: m.addmv(a[:, 0], a, b, alpha=3), (A23, V3)),
    ("baddbmm", lambda m, a, b: m.baddbmm(a[:, :, :1], a, b), (BA, BB)),
    ("addbmm", lambda m, a, b: m.addbmm(a[0, :, :1], a, b, beta=2), (BA, BB)),
    ("cross", lambda m, a, b: m.cross(a, b, dim=1), (A23.reshape(3, 2).T.copy().T.copy().reshape(2, 3), A23 * 2)),
    ("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), (A23, A23[::-1].copy())),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), (A4, B4)),
    ("solve_vec", lambda m, a, b: m.linalg.solve(a, b), (A4, V4)),
    ("solve_batched", lambda m, a, b: m.linalg.solve(a, b), (np.stack([A4, SPD]), B4)),
    ("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False), (A4, B4.T.copy())),
    ("solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False), (SPD, B4)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_binary_against_torch(case):
    _, fn, (x, y) = case
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    ra, rb = fn(tg, a, b), fn(torch, ta, tb)
    assert tuple(ra.shape) == tuple(rb.shape)
    assert str(ra.dtype) == str(rb.dtype)
    np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-9, atol=1e-10)
    assert grad_fn_name(ra) == grad_fn_name(rb)
    w = R(*tuple(rb.shape))
    (ra * tg.tensor(w)).sum().backward()
    (rb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(ta.grad), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(to_numpy(b.grad), to_numpy(tb.grad), rtol=1e-7, atol=1e-9)


UNARY = [
    ("inv", lambda m, a: m.linalg.inv(a), A4),
    ("inverse", lambda m, a: m.inverse(a), A4),
    ("inv_batched", lambda m, a: m.linalg.inv(a), np.stack([A4, SPD])),
    ("det", lambda m, a: m.linalg.det(a), A4),
    ("det_torch", lambda m, a: m.det(a), np.stack([A4, SPD])),
    ("slogdet", lambda m, a: m.linalg.slogdet(a)[1], A4),
    ("slogdet_sign", lambda m, a: m.linalg.slogdet(a).sign * m.linalg.slogdet(a).logabsdet, A4),
    ("logdet", lambda m, a: m.logdet(a), SPD),
    ("cholesky", lambda m, a: m.linalg.cholesky(a), SPD),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), SPD),
    ("pinv", lambda m, a: m.linalg.pinv(a), A23),
    ("pinv_tall", lambda m, a: m.linalg.pinv(a), B4),
    ("matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), A4),
    ("matrix_power_neg", lambda m, a: m.linalg.matrix_power(a, -2), A4),
    ("trace", lambda m, a: m.trace(a), A23),
    ("norm_fro", lambda m, a: m.linalg.norm(a), A4),
    ("norm_vec", lambda m, a: m.linalg.norm(a[0], 3), A4),
    ("norm_dim", lambda m, a: m.linalg.norm(a, dim=1, keepdim=True), A4),
    ("norm_ord1", lambda m, a: m.linalg.norm(a, 1), A4),
    ("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, float("inf")), A4),
    ("matrix_norm_m1", lambda m, a: m.linalg.matrix_norm(a, -1, keepdim=True), A4),
    ("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2), A4),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), A23),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), A23),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), SPD),
    ("multi_dot", lambda m, a: m.linalg.multi_dot([a, a.mT, a[:, 0]]), B4),
]


@pytest.mark.parametrize("case", UNARY, ids=[c[0] for c in UNARY])
def test_unary_against_torch(case):
    _, fn, x = case
    a = tg.tensor(x, requires_grad=True)
    ta = torch.tensor(x, requires_grad=True)
    ra, rb = fn(tg, a), fn(torch, ta)
    assert tuple(ra.shape) == tuple(rb.shape)
    assert str(ra.dtype) == str(rb.dtype)
    np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-8, atol=1e-10)
    w = R(*tuple(rb.shape))
    (ra * tg.tensor(w)).sum().backward()
    (rb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(ta.grad), rtol=1e-6, atol=1e-8)


NAMES = [("inv", lambda m, a: m.linalg.inv(a), "LinalgInvExBackward0"),
         ("det", lambda m, a: m.linalg.det(a), "LinalgDetBackward0"),
         ("slogdet", lambda m, a: m.linalg.slogdet(a)[1], "LinalgSlogdetBackward0"),
         ("solve", lambda m, a: m.linalg.solve(a, a[0]), "LinalgSolveExBackward0"),
         ("chol", lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(4, dtype=m.float64)), "LinalgCholeskyExBackward0"),
         ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), "LinalgEighBackward0"),
         ("pinv", lambda m, a: m.linalg.pinv(a), "LinalgPinvBackward0"),
         ("cross", lambda m, a: m.linalg.cross(a[:, :3], a[:, 1:]), "LinalgCrossBackward0"),
         ("trace", lambda m, a: m.trace(a), "TraceBackward0"),
         ("einsum", lambda m, a: m.einsum("ij,jk->ik", a, a), "ViewBackward0"),
         ("matrix_power", lambda m, a: m.linalg.matrix_power(a, 2), "MmBackward0"),
         ("baddbmm", lambda m, a: m.baddbmm(a[None], a[None], a[None]), "BaddbmmBackward0")]


@pytest.mark.parametrize("case", NAMES, ids=[c[0] for c in NAMES])
def test_node_names(case):
    _, fn, name = case
    assert grad_fn_name(fn(torch, torch.tensor(SPD, requires_grad=True))) == name
    assert grad_fn_name(fn(tg, tg.tensor(SPD, requires_grad=True))) == name


def test_decompositions_forward():
    a, ta = tg.tensor(A23), torch.tensor(A23)
    q, r = tg.linalg.qr(a)
    np.testing.assert_allclose(np.asarray(q @ r), A23, atol=1e-12)
    np.testing.assert_allclose(np.abs(np.asarray(r)), np.abs(torch.linalg.qr(ta).R.numpy()), atol=1e-12)
    qc, rc = tg.linalg.qr(tg.tensor(B4), mode="complete")
    assert tuple(qc.shape) == (4, 4) and tuple(rc.shape) == (4, 3)
    u, s, vh = tg.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(np.asarray((u * s) @ vh), A23, atol=1e-12)
    np.testing.assert_allclose(np.asarray(s), torch.linalg.svdvals(ta).numpy())
    assert tuple(tg.linalg.svd(a).U.shape) == (2, 2) and tuple(tg.linalg.svd(a).Vh.shape) == (3, 3)
    L, V = tg.linalg.eigh(tg.tensor(SPD))
    tl, _ = torch.linalg.eigh(torch.tensor(SPD))
    np.testing.assert_allclose(np.asarray(L), tl.numpy())
    np.testing.assert_allclose(np.asarray(V @ L.diag() @ V.mT), SPD, atol=1e-10)
    assert int(tg.linalg.matrix_rank(tg.tensor(A23))) == 2
    np.testing.assert_allclose(float(tg.linalg.cond(tg.tensor(SPD))), float(torch.linalg.cond(torch.tensor(SPD))))


def test_int_matmul_keeps_dtype_and_mm_is_one_call():
    a = tg.ones(2, 2, dtype=tg.int32)
    assert (a @ a).dtype == tg.int32
    assert tg.mm(tg.ones(2, 2, dtype=tg.int64), tg.ones(2, 2, dtype=tg.int64)).dtype == tg.int64
    assert tg.trace(tg.ones(2, 2, dtype=tg.int32)).dtype == tg.int64


ERRORS = [
    (lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda m: m.mm(m.ones(3), m.ones(3, 5)), RuntimeError, "self must be a matrix"),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3, 5, dtype=m.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3, 5, dtype=m.long)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != long int"),
    (lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda m: m.bmm(m.ones(2, 3), m.ones(3, 5)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda m: m.mv(m.ones(2, 3), m.ones(4)), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 "
     "elements respectively"),
    (lambda m: m.dot(m.ones(3, 1), m.ones(3)), RuntimeError, "1D tensors expected, but got 2D and 1D tensors"),
    (lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda m: m.ones(3) @ m.ones(4, 5), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    (lambda m: m.ones(2, 3) @ m.ones(4), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda m: m.ones(3) @ m.ones(4), RuntimeError, "inconsistent tensor size, expected tensor [3] and src [4]"),
    (lambda m: m.ones(2, 2, 3) @ m.ones(2, 4, 5), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda m: m.ones(2, 2, 3) @ m.ones(4, 5), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)"),
    (lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 5), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda m: m.ones(()) @ m.ones(3), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda m: m.outer(m.ones(3, 1), m.ones(3)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda m: m.inner(m.ones(3), m.ones(4)), RuntimeError,
     "inner() the last dimension must match on both input tensors but got shapes [3] and [4]"),
    (lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 5)), RuntimeError,
     "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda m: m.einsum("ij,jk", m.ones(2, 3)), RuntimeError,
     "einsum(): fewer operands were provided than specified in the equation"),
    (lambda m: m.einsum("ijk", m.ones(2, 3)), RuntimeError,
     "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions (2) for "
     "operand 0 and no ellipsis was given"),
    (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=1), RuntimeError,
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0"),
    (lambda m: m.addmm(m.ones(2, 6), m.ones(2, 3), m.ones(3, 5)), RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (6) at non-singleton dimension 1.  "
     "Target sizes: [2, 5].  Tensor sizes: [2, 6]"),
    (lambda m: m.addmv(m.ones(3), m.ones(3, 2), m.ones(3)), RuntimeError,
     "size mismatch, got input (3), mat (3x2), vec (3)"),
    (lambda m: m.linalg.inv(m.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.inv(m.zeros(2, 2)), RuntimeError, "the input matrix is singular"),
    (lambda m: m.linalg.inv(m.ones(3)), RuntimeError, "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.long)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(4)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)"),
    (lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2)), RuntimeError,
     "torch.linalg.solve: The solver failed because the input matrix is singular."),
    (lambda m: m.linalg.det(m.ones(2, 3)), RuntimeError,
     "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.cholesky(-m.eye(3)), RuntimeError,
     "linalg.cholesky: The factorization could not be completed because the input is not positive-definite"),
    (lambda m: m.linalg.cross(m.ones(2), m.ones(2)), RuntimeError,
     "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda m: m.trace(m.ones(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda m: m.linalg.matrix_power(m.ones(2, 3), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.matrix_norm(m.ones(3)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.norm(m.ones(2, 2, 2), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda m: m.linalg.eigh(m.ones(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_messages(k):
    fn, exc, msg = ERRORS[k]
    for m in (tg, torch):
        with pytest.raises(exc) as e:
            fn(m)
        assert msg in str(e.value), (m.__name__, str(e.value))


def test_linalg_error_class():
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv(tg.zeros(2, 2))
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)


def test_out_resize_warning_names_the_callers_line():
    import warnings
    a = tg.eye(3) * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.linalg.inv(a, out=tg.empty(2))
        tg.linalg.det(a, out=tg.empty(2))
    assert len(caught) == 2 and all(w.filename == __file__ for w in caught)
    assert str(caught[0].message).startswith("An output with one or more elements was resized since it had shape [2]")
