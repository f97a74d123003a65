"""Failures of linalg factorizations and inversions raise ``LinAlgError`` (PyTorch's
``_LinAlgError``, a RuntimeError) naming the op, the failing matrix of a batch and where the
factorization stopped; NaN inputs fail cholesky as LAPACK's potrf does."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.errors import LinAlgError, _LinAlgError

NAN = float("nan")
NOT_PD = ("The factorization could not be completed because the input is not positive-definite (the leading minor "
          "of order {} is not positive-definite).")


def _raises(fn, message):
    with pytest.raises(LinAlgError) as e:
        fn()
    assert str(e.value) == message
    return e.value


def test_class_is_the_torch_style_runtime_error():
    assert tg.linalg.LinAlgError is _LinAlgError and _LinAlgError.__name__ == "_LinAlgError"
    assert _LinAlgError.__mro__[1] is RuntimeError
    e = _raises(lambda: tg.linalg.cholesky(-tg.eye(2)), "linalg.cholesky: " + NOT_PD.format(1))
    assert isinstance(e, RuntimeError)


@pytest.mark.parametrize("rows,order", [([[1.0, 2.0], [2.0, 1.0]], 2), ([[-1.0, 0.0], [0.0, 1.0]], 1),
                                        ([[2.0, 0, 0], [0, 2, 0], [0, 0, -1]], 3), ([[NAN, 0.0], [0.0, 1.0]], 1),
                                        ([[1.0, 0.0], [0.0, NAN]], 2), ([[1.0, 0.0], [NAN, 1.0]], 2)])
def test_cholesky_names_the_leading_minor(tg_device, rows, order):
    a = tg.tensor(rows, device=tg_device)
    _raises(lambda: tg.linalg.cholesky(a), "linalg.cholesky: " + NOT_PD.format(order))
    # upper=True reads the upper triangle (as PyTorch): the transpose fails the same way
    _raises(lambda: tg.linalg.cholesky(a.mT, upper=True), "linalg.cholesky: " + NOT_PD.format(order))
    _raises(lambda: tg.cholesky(a.double()), "cholesky: " + NOT_PD.format(order))


def test_cholesky_names_the_flat_batch_element(tg_device):
    bad = tg.tensor([[1.0, 2.0], [2.0, 1.0]])
    eye = tg.eye(2)
    _raises(lambda: tg.linalg.cholesky(bad[None].to(tg_device)), "linalg.cholesky: (Batch element 0): " +
            NOT_PD.format(2))
    batch = tg.stack([tg.stack([eye, eye]), tg.stack([eye, bad])]).to(tg_device)  # (2, 2, 2, 2)
    _raises(lambda: tg.linalg.cholesky(batch), "linalg.cholesky: (Batch element 3): " + NOT_PD.format(2))


def test_cholesky_ex_reports_nan_and_not_pd_per_matrix():
    a = tg.stack([tg.eye(2), tg.tensor([[1.0, 2.0], [2.0, 1.0]]), tg.tensor([[1.0, 0.0], [0.0, NAN]])])
    L, info = tg.linalg.cholesky_ex(a)
    assert info.dtype == tg.int32 and info.tolist() == [0, 2, 2]
    np.testing.assert_array_equal(L[0].numpy(), np.eye(2))


def test_cholesky_info_leaves_potrf_partial_factors():
    from tensorgraft.ops.linalg import cholesky_info
    info, L = cholesky_info(np.array([[[4.0, 2.0], [2.0, 1.0]], [[4.0, 2.0], [2.0, 5.0]]]))
    assert info.tolist() == [2, 0]
    np.testing.assert_allclose(L, [[[2.0, 0.0], [1.0, 0.0]], [[2.0, 0.0], [1.0, 2.0]]])


def test_upper_reads_the_upper_triangle():
    a = tg.tensor([[4.0, 2.0], [NAN, 3.0]])  # the NaN is below the diagonal: not read for upper=True
    U = tg.linalg.cholesky(a, upper=True)
    np.testing.assert_allclose(U.numpy(), np.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 3.0]])).T, rtol=1e-6)
    _raises(lambda: tg.linalg.cholesky(a), "linalg.cholesky: " + NOT_PD.format(2))


def test_successful_cholesky_is_unchanged():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((3, 4, 4))
    spd = m @ m.transpose(0, 2, 1) + 4 * np.eye(4)
    np.testing.assert_allclose(tg.linalg.cholesky(tg.tensor(spd)).numpy(), np.linalg.cholesky(spd), rtol=1e-12)


SINGULAR = "The diagonal element {} is zero, the inversion could not be completed because the input matrix is singular."


@pytest.mark.parametrize("rows,order", [([[1.0, 2.0], [2.0, 4.0]], 2), ([[2.0, 4, 6], [1, 2, 3], [1, 0, 1]], 3),
                                        ([[0.0] * 3] * 3, 1)])
def test_inv_names_the_zero_pivot(tg_device, rows, order):
    a = tg.tensor(rows, device=tg_device)
    _raises(lambda: tg.linalg.inv(a), "linalg.inv: " + SINGULAR.format(order))
    _raises(lambda: tg.inverse(a), "linalg.inv: " + SINGULAR.format(order))
    _raises(lambda: tg.linalg.matrix_power(a, -1), "linalg.inv: " + SINGULAR.format(order))


def test_inv_and_solve_name_the_batch_element(tg_device):
    a = tg.stack([tg.eye(2), tg.tensor([[1.0, 2.0], [2.0, 4.0]])]).to(tg_device)
    _raises(lambda: tg.linalg.inv(a), "linalg.inv: (Batch element 1): " + SINGULAR.format(2))
    _raises(lambda: tg.linalg.solve(a, tg.ones(2, 2, device=tg_device)),
            "torch.linalg.solve: (Batch element 1): The solver failed because the input matrix is singular.")
    _raises(lambda: tg.linalg.solve(a[1], tg.ones(2, device=tg_device)),
            "torch.linalg.solve: The solver failed because the input matrix is singular.")


def test_nan_inputs_to_inv_and_solve_give_nan_not_an_error():
    a = tg.tensor([[NAN, 0.0], [0.0, 1.0]])
    assert np.isnan(tg.linalg.inv(a).numpy()[0]).all()  # the NaN row; LAPACK and NumPy differ on the rest
    assert np.isnan(tg.linalg.solve(a, tg.ones(2)).numpy()[0])
