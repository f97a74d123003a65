"""Finite-difference checks (float64) of the LU/eig/matrix_exp/lstsq/Householder gradients."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def _t(*shape, shift=0.0):
    a = RNG.standard_normal(shape)
    if shift:
        a = a + shift * np.eye(shape[-1])
    return tg.tensor(a, requires_grad=True)


CASES = {
    "lu_factor": (lambda a: tg.linalg.lu_factor(a).LU, (_t(3, 3),)),
    "lu_wide": (lambda a: tg.linalg.lu(a)[1:], (_t(2, 4),)),
    "lu_tall": (lambda a: tg.linalg.lu(a)[1:], (_t(4, 2),)),
    "lu_solve": (lambda lu, b: tg.linalg.lu_solve(lu, tg.linalg.lu_factor(lu.detach()).pivots * 0 + tg.tensor(
        [1, 2, 3], dtype=tg.int32), b), (_t(3, 3, shift=4), _t(3, 2))),
    "matrix_exp": (tg.linalg.matrix_exp, (_t(2, 3, 3),)),
    "lstsq": (lambda a, b: tg.linalg.lstsq(a, b).solution, (_t(5, 3), _t(5, 2))),
    "householder": (tg.linalg.householder_product, (_t(4, 3), tg.tensor(RNG.random(3), requires_grad=True))),
    "ormqr": (lambda a, t, c: tg.ormqr(a, t, c, transpose=True), (_t(4, 3), tg.tensor(RNG.random(3),
                                                                                        requires_grad=True), _t(4, 2))),
    "addr": (lambda c, a, b: tg.addr(c, a, b, beta=0.5, alpha=2), (_t(3, 2), _t(3), _t(2))),
    "eigvals_abs": (lambda a: tg.linalg.eigvals(a).abs(), (_t(3, 3),)),
    "eig_vectors_abs": (lambda a: tg.linalg.eig(a).eigenvectors.abs(), (_t(3, 3),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    f, inputs = CASES[name]
    assert gradcheck(f, inputs)


@pytest.mark.parametrize("name", ["lu_factor", "matrix_exp", "lstsq", "householder", "addr"])
def test_gradgradcheck(name):
    f, inputs = CASES[name]
    assert gradgradcheck(f, inputs)


def test_grad_fn_names():
    a = _t(3, 3)
    assert type(tg.linalg.lu_factor(a).LU.grad_fn).__name__ == "LinalgLuFactorExBackward0"
    assert tg.linalg.lu(a).P.grad_fn is None
    assert type(tg.linalg.eig(a).eigenvalues.grad_fn).__name__ == "LinalgEigBackward0"
    assert type(tg.matrix_exp(a).grad_fn).__name__ == "LinalgMatrixExpBackward0"
    r = tg.linalg.lstsq(a, _t(3, 2))
    assert type(r.solution.grad_fn).__name__ == "LinalgLstsqBackward0" and r.residuals.requires_grad
    assert not r.rank.requires_grad
