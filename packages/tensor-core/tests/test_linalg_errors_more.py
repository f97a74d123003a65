"""The rest of PyTorch's linalg failure behaviour: the ``_ex`` functions (their own names in messages,
LAPACK's partial results and ``info``), SVD-based functions on NaN/inf input, dtypes LAPACK lacks,
batches that do not broadcast, singular triangular solves (±inf as trsm gives them) and empty
inputs. Whatever goes wrong, the user sees PyTorch's exception, never NumPy's."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.errors import LinAlgError

NAN, INF = float("nan"), float("inf")
NOT_PD = ("The factorization could not be completed because the input is not positive-definite (the leading minor "
          "of order {} is not positive-definite).")
SINGULAR_INV = "The diagonal element {} is zero, the inversion could not be completed because the input matrix is singular."
NON_FINITE = "The algorithm failed to converge because the input matrix contained non-finite values."


def _message(fn, cls=LinAlgError):
    with pytest.raises(cls) as e:
        fn()
    return str(e.value)


def _same(got, expected):
    """Equal values, NaN equal to NaN, inf signs checked."""
    np.testing.assert_array_equal(np.asarray(got.cpu().numpy()), np.asarray(expected))


# --------------------------------------------------------------------------- cholesky_ex / inv_ex
def test_cholesky_ex_returns_lapacks_partial_factor(tg_device):
    A = tg.tensor([[1.0, 2.0], [2.0, -5.0]], device=tg_device)
    L, info = tg.linalg.cholesky_ex(A)
    _same(L, [[1.0, 0.0], [2.0, -9.0]])
    assert info.dtype == tg.int32 and int(info) == 2
    U, info = tg.linalg.cholesky_ex(A, upper=True)
    _same(U, [[1.0, 2.0], [0.0, -9.0]])
    assert int(info) == 2


def test_cholesky_ex_batch_keeps_the_good_factors():
    B = tg.tensor([[[4.0, 2, 1], [2, 1, 3], [1, 3, 5]], [[4.0, 0, 0], [0, 9, 0], [0, 0, 1]]], dtype=tg.float64)
    L, info = tg.linalg.cholesky_ex(B)
    assert info.tolist() == [2, 0]
    _same(L[0], [[2.0, 0, 0], [1, 0, 0], [0.5, 3, 5]])
    _same(L[1], np.diag([2.0, 3.0, 1.0]))


def test_cholesky_ex_check_errors_names_the_ex_function(tg_device):
    A = tg.tensor([[1.0, 2.0], [2.0, 1.0]], device=tg_device)
    assert _message(lambda: tg.linalg.cholesky_ex(A, check_errors=True)) == "linalg.cholesky_ex: " + NOT_PD.format(2)
    batch = tg.stack([tg.eye(2, device=tg_device), A])
    assert (_message(lambda: tg.linalg.cholesky_ex(batch, check_errors=True))
            == "linalg.cholesky_ex: (Batch element 1): " + NOT_PD.format(2))
    # linalg.cholesky itself keeps its own name
    assert _message(lambda: tg.linalg.cholesky(A)) == "linalg.cholesky: " + NOT_PD.format(2)


def test_inv_ex_returns_infinities_and_info(tg_device):
    A = tg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]], device=tg_device)
    res = tg.linalg.inv_ex(A)
    assert type(res).__name__ == "linalg_inv_ex" and res._fields == ("inverse", "info")
    _same(res.inverse, [[[1.0, 0.0], [0.0, 1.0]], [[-INF, INF], [INF, -INF]]])
    assert res.info.dtype == tg.int32 and res.info.tolist() == [0, 2]
    Z = tg.linalg.inv_ex(tg.zeros(2, 2, device=tg_device))
    _same(Z.inverse, [[NAN, NAN], [NAN, INF]])
    assert int(Z.info) == 1


def test_inv_ex_check_errors_names_the_ex_function():
    A = tg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])
    assert (_message(lambda: tg.linalg.inv_ex(A, check_errors=True))
            == "linalg.inv_ex: (Batch element 1): " + SINGULAR_INV.format(2))
    assert _message(lambda: tg.linalg.inv(A)) == "linalg.inv: (Batch element 1): " + SINGULAR_INV.format(2)
    ok = tg.linalg.inv_ex(tg.eye(2) * 2, check_errors=True)
    _same(ok.inverse, np.eye(2) / 2)
    assert int(ok.info) == 0


def test_solve_ex_singular_gives_infinities(tg_device):
    A = tg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]], device=tg_device)
    res = tg.linalg.solve_ex(A, tg.ones(2, 2, 1, device=tg_device))
    _same(res.result, [[[1.0], [1.0]], [[-INF], [INF]]])
    assert res.info.tolist() == [0, 2]
    sing = A[1]
    _same(tg.linalg.solve_ex(sing, tg.ones(2, device=tg_device)).result, [-INF, INF])
    _same(tg.linalg.solve_ex(sing, tg.ones(1, 2, device=tg_device), left=False).result, [[-INF, INF]])
    assert (_message(lambda: tg.linalg.solve_ex(A, tg.ones(2, 2, 1, device=tg_device), check_errors=True))
            == "torch.linalg.solve_ex: (Batch element 1): The solver failed because the input matrix is singular.")


# --------------------------------------------------------------------------- cholesky_inverse / tensorinv
def test_cholesky_inverse_of_a_singular_factor():
    assert (_message(lambda: tg.cholesky_inverse(tg.tensor([[1.0, 0.0], [0.0, 0.0]])))
            == "cholesky_inverse: " + SINGULAR_INV.format(2))
    batch = tg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]])
    assert _message(lambda: tg.cholesky_inverse(batch)) == "cholesky_inverse: (Batch element 1): " + SINGULAR_INV.format(2)
    upper = tg.tensor([[0.0, 0.0], [0.0, 1.0]])
    assert _message(lambda: tg.cholesky_inverse(upper, upper=True)) == "cholesky_inverse: " + SINGULAR_INV.format(1)
    assert tuple(tg.cholesky_inverse(tg.zeros(2, 0, 0)).shape) == (2, 0, 0)
    np.testing.assert_allclose(tg.cholesky_inverse(tg.tensor([[2.0, 0.0], [1.0, 1.0]])).numpy(),
                               np.linalg.inv(np.array([[4.0, 2.0], [2.0, 2.0]])), rtol=1e-6)


def test_tensorinv_names_inv():
    assert _message(lambda: tg.linalg.tensorinv(tg.zeros(2, 2), ind=1)) == "inv: " + SINGULAR_INV.format(1)


# --------------------------------------------------------------------------- non-finite input to SVD-based functions
SVD_BASED = {
    "linalg.svd": lambda A: tg.linalg.svd(A),
    "svd": lambda A: tg.svd(A),
    "linalg.svdvals": lambda A: tg.linalg.svdvals(A),
    "linalg.pinv": lambda A: tg.linalg.pinv(A),
    "pinverse": lambda A: tg.pinverse(A),
    "linalg.matrix_rank": lambda A: tg.linalg.matrix_rank(A),
    "linalg.cond": lambda A: tg.linalg.cond(A),
    "matrix_norm_nuc": lambda A: tg.linalg.matrix_norm(A, "nuc"),
    "matrix_norm_2": lambda A: tg.linalg.matrix_norm(A, 2),
    "norm_2": lambda A: tg.linalg.norm(A, 2),
    "nuclear_norm": lambda A: tg.nuclear_norm(A),
    "svd_lowrank": lambda A: tg.svd_lowrank(A, q=2),
    "pca_lowrank": lambda A: tg.pca_lowrank(A, q=2),
}


@pytest.mark.parametrize("name", sorted(SVD_BASED))
def test_svd_based_functions_reject_nan_input(name):
    fn = SVD_BASED[name]
    single = tg.tensor([[1.0, NAN], [0.0, 1.0]])
    assert _message(lambda: fn(single)) == "linalg.svd: " + NON_FINITE
    if name.startswith("norm"):  # linalg.norm with an ord takes a 1-D or 2-D input only
        return
    batch = tg.stack([tg.eye(2), single, single])
    assert _message(lambda: fn(batch)) == "linalg.svd: (Batch element 1): " + NON_FINITE


@pytest.mark.parametrize("bad", [INF, -INF])
def test_svd_of_infinite_input_gives_nan_without_error(bad):
    # LAPACK's SVD runs on inf (PyTorch raises for NaN only); its singular values are NaN
    A = tg.tensor([[1.0, bad], [0.0, 1.0]])
    assert bool(tg.linalg.svdvals(A).isnan().all())
    assert bool(tg.linalg.svd(A).S.isnan().all())


def test_lstsq_rejects_nan_with_its_own_name():
    A = tg.stack([tg.eye(2), tg.tensor([[NAN, 0.0], [0.0, 1.0]])])
    assert (_message(lambda: tg.linalg.lstsq(A, tg.ones(2, 2, 1)))
            == "torch.linalg.lstsq: (Batch element 1): " + NON_FINITE)


# --------------------------------------------------------------------------- dtypes LAPACK lacks
HALF_ERRORS = {
    "linalg.inv": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got Half"),
    "linalg.inv_ex": (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got Half"),
    "linalg.slogdet": (RuntimeError, "linalg.slogdet: Low precision dtypes not supported. Got Half"),
    "logdet": (RuntimeError, "logdet: Low precision dtypes not supported. Got Half"),
    "linalg.matrix_norm_nuc": (RuntimeError, "linalg.matrix_norm: Low precision dtypes not supported. Got Half"),
    "linalg.det": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.solve": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.lu_factor": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.lu": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.cholesky": (NotImplementedError, "\"cholesky_cpu\" not implemented for 'Half'"),
    "linalg.cholesky_ex": (NotImplementedError, "\"cholesky_cpu\" not implemented for 'Half'"),
    "cholesky_inverse": (NotImplementedError, "\"cholesky_inverse_out_cpu\" not implemented for 'Half'"),
    "cholesky_solve": (NotImplementedError, "\"cholesky_solve_cpu\" not implemented for 'Half'"),
    "linalg.solve_triangular": (NotImplementedError, "\"triangular_solve_cpu\" not implemented for 'Half'"),
    "linalg.svd": (NotImplementedError, "\"linalg_svd_cpu\" not implemented for 'Half'"),
    "linalg.svdvals": (NotImplementedError, "\"linalg_svd_cpu\" not implemented for 'Half'"),
    "linalg.eig": (NotImplementedError, "\"linalg_eig_out_cpu\" not implemented for 'Half'"),
    "linalg.eigvalsh": (NotImplementedError, "\"linalg_eigh_cpu\" not implemented for 'Half'"),
    "linalg.qr": (NotImplementedError, "\"geqrf_cpu\" not implemented for 'Half'"),
    "geqrf": (NotImplementedError, "\"geqrf_cpu\" not implemented for 'Half'"),
    "linalg.ldl_factor": (NotImplementedError, "\"ldl_factor_kernel_cpu\" not implemented for 'Half'"),
    "linalg.matrix_rank": (RuntimeError, "This function doesn't handle types other than float and double"),
    "linalg.lstsq": (RuntimeError, "This function doesn't handle types other than float and double"),
    "linalg.pinv": (RuntimeError, "linalg.pinv(Half{[2, 2]}): expected a tensor with 2 or more dimensions of float, "
                                  "double, cfloat or cdouble types"),
}

FUNCS = {
    "linalg.inv": lambda A: tg.linalg.inv(A),
    "linalg.inv_ex": lambda A: tg.linalg.inv_ex(A),
    "linalg.slogdet": lambda A: tg.linalg.slogdet(A),
    "logdet": lambda A: tg.logdet(A),
    "linalg.matrix_norm_nuc": lambda A: tg.linalg.matrix_norm(A, "nuc"),
    "linalg.det": lambda A: tg.linalg.det(A),
    "linalg.solve": lambda A: tg.linalg.solve(A, tg.ones(2, 1, dtype=A.dtype)),
    "linalg.lu_factor": lambda A: tg.linalg.lu_factor(A),
    "linalg.lu": lambda A: tg.linalg.lu(A),
    "linalg.cholesky": lambda A: tg.linalg.cholesky(A),
    "cholesky": lambda A: tg.cholesky(A),
    "linalg.cholesky_ex": lambda A: tg.linalg.cholesky_ex(A),
    "cholesky_inverse": lambda A: tg.cholesky_inverse(A),
    "cholesky_solve": lambda A: tg.cholesky_solve(tg.ones(2, 1, dtype=A.dtype), A),
    "linalg.solve_triangular": lambda A: tg.linalg.solve_triangular(A, tg.ones(2, 1, dtype=A.dtype), upper=True),
    "triangular_solve": lambda A: tg.triangular_solve(tg.ones(2, 1, dtype=A.dtype), A),
    "linalg.svd": lambda A: tg.linalg.svd(A),
    "linalg.svdvals": lambda A: tg.linalg.svdvals(A),
    "linalg.cond": lambda A: tg.linalg.cond(A),
    "linalg.eig": lambda A: tg.linalg.eig(A),
    "linalg.eigvals": lambda A: tg.linalg.eigvals(A),
    "linalg.eigh": lambda A: tg.linalg.eigh(A),
    "linalg.eigvalsh": lambda A: tg.linalg.eigvalsh(A),
    "linalg.qr": lambda A: tg.linalg.qr(A),
    "geqrf": lambda A: tg.geqrf(A),
    "linalg.ldl_factor": lambda A: tg.linalg.ldl_factor(A),
    "linalg.matrix_rank": lambda A: tg.linalg.matrix_rank(A),
    "linalg.lstsq": lambda A: tg.linalg.lstsq(A, tg.ones(2, 1, dtype=A.dtype)),
    "linalg.pinv": lambda A: tg.linalg.pinv(A),
}


@pytest.mark.parametrize("name", sorted(HALF_ERRORS))
def test_float16_is_refused_as_pytorch_does(name):
    cls, message = HALF_ERRORS[name]
    A = tg.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=tg.float16)
    with pytest.raises(cls) as e:
        FUNCS[name](A)
    assert type(e.value) is cls and str(e.value) == message


INT_ERRORS = {
    "cholesky": (NotImplementedError, "\"cholesky_cpu\" not implemented for 'Long'"),
    "linalg.cholesky": (RuntimeError, "linalg.cholesky: Expected a floating point or complex tensor as input. Got Long"),
    "cholesky_inverse": (NotImplementedError, "\"cholesky_inverse_out_cpu\" not implemented for 'Long'"),
    "cholesky_solve": (NotImplementedError, "\"cholesky_solve_cpu\" not implemented for 'Long'"),
    "linalg.solve_triangular": (NotImplementedError, "\"triangular_solve_cpu\" not implemented for 'Long'"),
    "triangular_solve": (NotImplementedError, "\"triangular_solve_cpu\" not implemented for 'Long'"),
    "linalg.lu": (NotImplementedError, "\"lu_cpu\" not implemented for 'Long'"),
    "linalg.lu_factor": (NotImplementedError, "\"lu_cpu\" not implemented for 'Long'"),
    "linalg.eigh": (NotImplementedError, "\"linalg_eigh_cpu\" not implemented for 'Long'"),
    "geqrf": (NotImplementedError, "\"geqrf_cpu\" not implemented for 'Long'"),
    "linalg.eig": (RuntimeError, "Unknown Complex ScalarType for Long"),
    "linalg.eigvals": (RuntimeError, "Unknown Complex ScalarType for Long"),
    "linalg.svdvals": (RuntimeError, "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    "linalg.cond": (RuntimeError, "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    "logdet": (RuntimeError, "logdet: Expected a floating point or complex tensor as input. Got Long"),
    "linalg.inv": (RuntimeError, "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    "linalg.matrix_rank": (RuntimeError, "This function doesn't handle types other than float and double"),
    "linalg.lstsq": (RuntimeError, "This function doesn't handle types other than float and double"),
    "linalg.pinv": (RuntimeError, "linalg.pinv(Long{[2, 2]}): expected a tensor with 2 or more dimensions of float, "
                                  "double, cfloat or cdouble types"),
}


@pytest.mark.parametrize("name", sorted(INT_ERRORS))
def test_integers_are_refused_as_pytorch_does(name):
    cls, message = INT_ERRORS[name]
    with pytest.raises(cls) as e:
        FUNCS[name](tg.tensor([[4, 1], [1, 3]]))
    assert type(e.value) is cls and str(e.value) == message


def test_matrix_exp_of_float16_is_computed_in_float32():
    A = np.array([[0.5, 0.25], [-0.25, 0.1]])
    got = tg.linalg.matrix_exp(tg.tensor(A, dtype=tg.float16))
    assert got.dtype == tg.float16
    expected = tg.linalg.matrix_exp(tg.tensor(A, dtype=tg.float64)).numpy()
    np.testing.assert_allclose(got.numpy().astype(np.float64), expected, rtol=2e-3)


# --------------------------------------------------------------------------- batches that do not broadcast
def _mismatch(a, b):
    return f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension 0"


def test_batch_mismatch_is_pytorchs_broadcast_error():
    A3, B2 = tg.eye(2).expand(3, 2, 2), tg.ones(2, 2, 1)
    assert _message(lambda: tg.linalg.solve(A3, B2), RuntimeError) == _mismatch(2, 3)
    assert _message(lambda: tg.linalg.solve_triangular(A3, B2, upper=True), RuntimeError) == _mismatch(2, 3)
    LU, piv = tg.linalg.lu_factor(A3)
    assert _message(lambda: tg.linalg.lu_solve(LU, piv, B2), RuntimeError) == _mismatch(2, 3)
    assert _message(lambda: tg.linalg.lstsq(A3, B2), RuntimeError) == _mismatch(3, 2)
    B3, A2 = tg.ones(3, 2, 1), tg.eye(2).expand(2, 2, 2)
    assert _message(lambda: tg.triangular_solve(B3, A2), RuntimeError) == _mismatch(3, 2)
    assert _message(lambda: tg.cholesky_solve(B3, A2), RuntimeError) == _mismatch(3, 2)


def test_legacy_solvers_word_their_shape_checks():
    v, A = tg.ones(2), tg.eye(2)
    assert (_message(lambda: tg.cholesky_solve(v, A), RuntimeError)
            == "b should have at least 2 dimensions, but has 1 dimensions instead")
    assert (_message(lambda: tg.cholesky_solve(tg.ones(2, 1), v), RuntimeError)
            == "u should have at least 2 dimensions, but has 1 dimensions instead")
    assert (_message(lambda: tg.triangular_solve(v, A), RuntimeError)
            == "torch.triangular_solve: Expected b to have at least 2 dimensions, but it has 1 dimensions instead")
    assert (_message(lambda: tg.cholesky_solve(tg.ones(2, 1), tg.ones(2, 3)), RuntimeError)
            == "A must be batches of square matrices, but they are 2 by 3 matrices")
    assert (_message(lambda: tg.cholesky_solve(tg.ones(2, 1, dtype=tg.float64), A), RuntimeError)
            == "Expected b and A to have the same dtype, but found b of type Double and A of type Float instead.")
    assert (_message(lambda: tg.cholesky(tg.ones(2, 3)), RuntimeError)
            == "cholesky: A must be batches of square matrices, but they are 2 by 3 matrices")
    assert (_message(lambda: tg.svd(v), RuntimeError)
            == "linalg.svd: input should have at least 2 dimensions, but has 1 dimensions instead")
    assert _message(lambda: tg.geqrf(v), RuntimeError) == "torch.geqrf: input must have at least 2 dimensions."
    assert (_message(lambda: tg.linalg.lu(v), RuntimeError)
            == "linalg.lu: Expected tensor with 2 or more dimensions. Got size: [2] instead")
    assert (_message(lambda: tg.linalg.matrix_rank(v), RuntimeError)
            == "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    assert _message(lambda: tg.linalg.cond(v), RuntimeError) == "linalg.cond: The input tensor must have at least 2 dimensions."
    assert (_message(lambda: tg.linalg.cond(tg.ones(2, 3), "fro"), RuntimeError)
            == "linalg.cond(ord=fro): A must be batches of square matrices, but they are 2 by 3 matrices")
    assert (_message(lambda: tg.logdet(tg.ones(2, 3)), RuntimeError)
            == "logdet: A must be batches of square matrices, but they are 2 by 3 matrices")


# --------------------------------------------------------------------------- singular and non-finite triangular solves
def test_triangular_solves_divide_by_a_zero_diagonal(tg_device):
    Z = tg.zeros(2, 2, device=tg_device)
    b = tg.ones(2, 1, device=tg_device)
    _same(tg.linalg.solve_triangular(Z, b, upper=True), [[NAN], [INF]])
    _same(tg.triangular_solve(b, Z).solution, [[NAN], [INF]])
    _same(tg.cholesky_solve(b, Z), [[NAN], [NAN]])


def test_triangular_solves_carry_nan_only_where_substitution_does():
    b = tg.ones(2, 1)
    _same(tg.linalg.solve_triangular(tg.tensor([[1.0, NAN], [0.0, 1.0]]), b, upper=True), [[NAN], [1.0]])
    _same(tg.linalg.solve_triangular(tg.tensor([[1.0, INF], [0.0, 1.0]]), b, upper=True), [[-INF], [1.0]])
    _same(tg.triangular_solve(b, tg.tensor([[1.0, INF], [0.0, 1.0]])).solution, [[-INF], [1.0]])
    # a solved entry that is exactly 0 does not multiply the inf below it into NaN
    _same(tg.linalg.solve_triangular(tg.tensor([[1.0, 0.0], [INF, 1.0]]), tg.tensor([[0.0], [1.0]]), upper=False),
          [[0.0], [1.0]])


def test_regular_triangular_solve_unchanged(tg_device):
    rng = np.random.default_rng(7)
    U = np.triu(rng.standard_normal((3, 4, 4))) + 4 * np.eye(4)
    B = rng.standard_normal((3, 4, 2))
    got = tg.linalg.solve_triangular(tg.tensor(U, device=tg_device), tg.tensor(B, device=tg_device), upper=True)
    np.testing.assert_allclose(got.cpu().numpy(), np.linalg.solve(U, B), rtol=1e-10)


# --------------------------------------------------------------------------- other non-finite and empty inputs
def test_matrix_exp_of_non_finite_matrix_is_nan_and_spares_the_batch():
    A = tg.stack([tg.zeros(2, 2), tg.tensor([[1.0, INF], [0.0, 1.0]])])
    got = tg.linalg.matrix_exp(A)
    _same(got[0], np.eye(2))
    assert bool(got[1].isnan().all())
    assert bool(tg.matrix_exp(tg.tensor([[NAN, 0.0], [0.0, 1.0]])).isnan().all())


def test_eigvals_of_non_finite_matrix_is_nan():
    A = tg.stack([tg.diag(tg.tensor([1.0, 2.0])), tg.tensor([[NAN, 0.0], [0.0, 1.0]])])
    w = tg.linalg.eigvals(A)
    assert w.dtype == tg.complex64
    np.testing.assert_allclose(np.sort(w[0].numpy().real), [1.0, 2.0])
    assert bool(w[1].isnan().all())


def test_slogdet_of_nan_has_sign_zero():
    sign, logabs = tg.linalg.slogdet(tg.stack([tg.eye(2), tg.tensor([[NAN, 0.0], [0.0, 1.0]])]))
    assert sign.tolist() == [1.0, 0.0]
    assert logabs.tolist()[0] == 0.0 and math.isnan(logabs.tolist()[1])


def test_logdet_of_complex_is_complex():
    A = np.array([[0, 1], [1, 0]], dtype=np.complex128)
    got = tg.logdet(tg.tensor(A))
    assert got.dtype == tg.complex128
    np.testing.assert_allclose(got.numpy(), np.log(np.linalg.det(A)))


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0)])
def test_empty_matrices(shape):
    E = tg.zeros(*shape)
    assert tg.linalg.matrix_rank(E).tolist() == np.zeros(shape[:-2], dtype=np.int64).tolist()
    assert tg.linalg.matrix_rank(E).dtype == tg.int64
    assert tg.linalg.cond(E).tolist() == np.zeros(shape[:-2]).tolist()
    assert tg.linalg.matrix_norm(E, 2).tolist() == np.zeros(shape[:-2]).tolist()
    assert tg.linalg.matrix_norm(E, "nuc").tolist() == np.zeros(shape[:-2]).tolist()
    assert tuple(tg.cholesky_inverse(E).shape) == shape
    LU, piv = tg.linalg.lu_factor(E)
    assert tuple(tg.linalg.lu_solve(LU, piv, tg.zeros(*shape[:-1], 1)).shape) == shape[:-1] + (1,)
    assert tuple(tg.lu_solve(tg.zeros(*shape[:-1], 1), LU, piv).shape) == shape[:-1] + (1,)


def test_matrix_rank_hermitian_uses_eigenvalues():
    A = tg.tensor([[1.0, 2.0], [2.0, 4.0]])
    assert int(tg.linalg.matrix_rank(A, hermitian=True)) == 1
    assert int(tg.linalg.matrix_rank(tg.eye(3), hermitian=True)) == 3
    assert (_message(lambda: tg.linalg.matrix_rank(tg.ones(2, 3), hermitian=True), RuntimeError)
            == "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices")


def test_cond_of_singular_matrix_is_inf_for_inverse_based_orders():
    A = tg.stack([tg.eye(2), tg.tensor([[1.0, 2.0], [2.0, 4.0]])])
    for p in ("fro", 1, INF, -INF, -1):
        c = tg.linalg.cond(A, p)
        assert c.tolist()[1] == INF and math.isfinite(c.tolist()[0])


def test_svd_lowrank_of_integers_fails_in_matmul():
    assert (_message(lambda: tg.svd_lowrank(tg.ones(3, 3, dtype=tg.int64)), RuntimeError)
            == "expected m1 and m2 to have the same dtype, but got: long int != float")


# --------------------------------------------------------------------------- no NumPy exception reaches the user
BAD_INPUTS = {
    "singular": lambda: tg.tensor([[1.0, 2.0], [2.0, 4.0]]),
    "zeros": lambda: tg.zeros(2, 2),
    "nan": lambda: tg.tensor([[1.0, NAN], [0.0, 1.0]]),
    "inf": lambda: tg.tensor([[1.0, INF], [0.0, 1.0]]),
    "batch_nan": lambda: tg.stack([tg.eye(2), tg.tensor([[NAN, 0.0], [0.0, 1.0]])]),
    "non_square": lambda: tg.ones(2, 3),
    "int": lambda: tg.tensor([[1, 2], [3, 4]]),
    "half": lambda: tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float16),
    "empty": lambda: tg.zeros(0, 0),
    "empty_batch": lambda: tg.zeros(2, 0, 0),
    "vector": lambda: tg.ones(2),
}
SWEEP = dict(FUNCS)
SWEEP.update({name: fn for name, fn in SVD_BASED.items() if name not in SWEEP})
SWEEP.update({
    "inverse": lambda A: tg.inverse(A),
    "det": lambda A: tg.det(A),
    "slogdet": lambda A: tg.slogdet(A),
    "linalg.solve_ex": lambda A: tg.linalg.solve_ex(A, tg.ones(*A.shape[:-1], 1, dtype=A.dtype)),
    "linalg.lu_factor_ex": lambda A: tg.linalg.lu_factor_ex(A),
    "linalg.lu_solve": lambda A: tg.linalg.lu_solve(*tg.linalg.lu_factor_ex(A)[:2],
                                                    tg.ones(*A.shape[:-1], 1, dtype=A.dtype)),
    "linalg.matrix_exp": lambda A: tg.linalg.matrix_exp(A),
    "linalg.matrix_power": lambda A: tg.linalg.matrix_power(A, -1),
    "linalg.tensorinv": lambda A: tg.linalg.tensorinv(A, ind=1),
    "linalg.tensorsolve": lambda A: tg.linalg.tensorsolve(A, tg.ones(A.shape[0], dtype=A.dtype)),
    "linalg.ldl_factor_ex": lambda A: tg.linalg.ldl_factor_ex(A),
    "linalg.cholesky_ex_check": lambda A: tg.linalg.cholesky_ex(A, check_errors=True),
    "linalg.inv_ex_check": lambda A: tg.linalg.inv_ex(A, check_errors=True),
    "lu_unpack": lambda A: tg.lu_unpack(*tg.linalg.lu_factor_ex(A)[:2]),
})


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", sorted(SWEEP))
def test_no_numpy_exception_leaks(name, kind):
    try:
        SWEEP[name](BAD_INPUTS[kind]())
    except (RuntimeError, NotImplementedError) as e:
        assert not type(e).__module__.startswith("numpy"), (name, kind, e)
    except ValueError as e:  # PyTorch's Python-level lowrank functions raise ValueError themselves
        assert name in ("svd_lowrank", "pca_lowrank") and kind in ("vector", "empty", "empty_batch"), (name, kind, e)
    except Exception as e:  # noqa: BLE001 - the test is that nothing else escapes
        pytest.fail(f"{name}({kind}) raised {type(e).__module__}.{type(e).__name__}: {e}")


def test_cond_nuc_and_nan_products():
    A = tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64)
    s = np.linalg.svd(A.numpy(), compute_uv=False)
    np.testing.assert_allclose(float(tg.linalg.cond(A, "nuc")), s.sum() * (1 / s).sum(), rtol=1e-12)
    # a NaN product of norms (NaN or inf in A) is reported as inf, as PyTorch
    for p in ("fro", 1, INF):
        assert float(tg.linalg.cond(tg.tensor([[1.0, NAN], [0.0, 1.0]]), p)) == INF
    assert (_message(lambda: tg.linalg.cond(tg.ones(2), "fro"), RuntimeError)
            == "linalg.cond(ord=fro): The input tensor A must have at least 2 dimensions.")


def test_svd_of_infinite_input_where_numpy_gives_up():
    """Some NumPy builds raise "SVD did not converge" on an inf (others return NaN, as LAPACK and
    PyTorch do): the matrices holding an inf then get NaN results and the others are still solved."""
    from tensorgraft.ops import linalg as L

    def picky_svd(a):
        if not np.isfinite(a).all():
            raise np.linalg.LinAlgError("SVD did not converge")
        return np.linalg.svd(a)
    A = np.array([[[1.0, np.inf], [0.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]]])
    U, S, Vh = L.converged(picky_svd, A)
    assert np.isnan(S[0]).all() and np.isnan(U[0]).all() and np.isnan(Vh[0]).all()
    np.testing.assert_allclose(S[1], [2.0, 1.0])
    with pytest.raises(np.linalg.LinAlgError, match="Singular"):   # other LAPACK errors still surface
        L.converged(lambda a: (_ for _ in ()).throw(np.linalg.LinAlgError("Singular matrix")), A)
