"""A NumPy array where a tensor goes, in ``torch.linalg``, ``torch.fft``, ``torch.special`` and the
torch-level linear algebra: refused with PyTorch's TypeError word for word. PyTorch's argument
parser names these functions by their ATen names (``linalg_det``, ``fft_rfft``, ``special_airy_ai``)
and their arguments by ATen's names (``input`` for ``linalg_cholesky``, ``b`` for ``linalg_lstsq``);
a function that hands its arguments on to another (``inv_ex`` to ``inv``) names itself."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tensorgraft as tg


def _arr(*shape):
    return np.eye(*shape[-2:], dtype=np.float32) if len(shape) >= 2 else np.ones(shape, dtype=np.float32)


def _refused(fn, message):
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        fn()


A = _arr(3, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: tg.linalg.det(A), "linalg_det(): argument 'A' (position 1)"),
    (lambda: tg.linalg.slogdet(A), "linalg_slogdet(): argument 'A' (position 1)"),
    (lambda: tg.linalg.inv(A), "linalg_inv(): argument 'A' (position 1)"),
    (lambda: tg.linalg.inv_ex(A), "linalg_inv_ex(): argument 'A' (position 1)"),
    (lambda: tg.linalg.cholesky(A), "linalg_cholesky(): argument 'input' (position 1)"),
    (lambda: tg.linalg.cholesky_ex(A), "linalg_cholesky_ex(): argument 'input' (position 1)"),
    (lambda: tg.linalg.eig(A), "linalg_eig(): argument 'input' (position 1)"),
    (lambda: tg.linalg.eigvals(A), "linalg_eigvals(): argument 'input' (position 1)"),
    (lambda: tg.linalg.eigh(A), "linalg_eigh(): argument 'input' (position 1)"),
    (lambda: tg.linalg.eigvalsh(A), "linalg_eigvalsh(): argument 'input' (position 1)"),
    (lambda: tg.linalg.svd(A), "linalg_svd(): argument 'A' (position 1)"),
    (lambda: tg.linalg.svdvals(A), "linalg_svdvals(): argument 'A' (position 1)"),
    (lambda: tg.linalg.cond(A), "linalg_cond(): argument 'input' (position 1)"),
    (lambda: tg.linalg.qr(A), "linalg_qr(): argument 'A' (position 1)"),
    (lambda: tg.linalg.matrix_power(A, 2), "linalg_matrix_power(): argument 'input' (position 1)"),
    (lambda: tg.linalg.matrix_exp(A), "linalg_matrix_exp(): argument 'input' (position 1)"),
    (lambda: tg.linalg.matrix_norm(A), "linalg_matrix_norm(): argument 'input' (position 1)"),
    (lambda: tg.linalg.norm(A), "linalg_norm(): argument 'input' (position 1)"),
    (lambda: tg.linalg.vector_norm(A), "linalg_vector_norm(): argument 'input' (position 1)"),
    (lambda: tg.linalg.lu(A), "linalg_lu(): argument 'A' (position 1)"),
    (lambda: tg.linalg.lu_factor(A), "linalg_lu_factor(): argument 'A' (position 1)"),
    (lambda: tg.linalg.lu_factor_ex(A), "linalg_lu_factor_ex(): argument 'A' (position 1)"),
    (lambda: tg.linalg.ldl_factor(A), "linalg_ldl_factor(): argument 'input' (position 1)"),
    (lambda: tg.linalg.ldl_factor_ex(A), "linalg_ldl_factor_ex(): argument 'input' (position 1)"),
    (lambda: tg.linalg.tensorinv(A, 1), "linalg_tensorinv(): argument 'input' (position 1)"),
    (lambda: tg.linalg.tensorsolve(A, tg.ones(3)), "linalg_tensorsolve(): argument 'input' (position 1)"),
    (lambda: tg.linalg.tensorsolve(tg.eye(3), _arr(3)), "linalg_tensorsolve(): argument 'other' (position 2)"),
    (lambda: tg.linalg.solve(A, tg.ones(3)), "linalg_solve(): argument 'A' (position 1)"),
    (lambda: tg.linalg.solve_ex(A, tg.ones(3)), "linalg_solve_ex(): argument 'A' (position 1)"),
    (lambda: tg.linalg.solve_ex(tg.eye(3), _arr(3)), "linalg_solve_ex(): argument 'B' (position 2)"),
    (lambda: tg.linalg.solve_triangular(A, tg.ones(3, 1), upper=True),
     "linalg_solve_triangular(): argument 'input' (position 1)"),
    (lambda: tg.linalg.lstsq(A, tg.ones(3, 1)), "linalg_lstsq(): argument 'input' (position 1)"),
    (lambda: tg.linalg.lstsq(tg.eye(3), _arr(3, 1)), "linalg_lstsq(): argument 'b' (position 2)"),
    (lambda: tg.linalg.householder_product(A, tg.ones(2)), "linalg_householder_product(): argument 'input' (position 1)"),
    (lambda: tg.linalg.cross(_arr(3), tg.ones(3)), "linalg_cross(): argument 'input' (position 1)"),
    (lambda: tg.linalg.matmul(tg.eye(3), A), "linalg_matmul(): argument 'other' (position 2)"),
    (lambda: tg.linalg.vander(_arr(3)), "linalg_vander(): argument 'x' (position 1)"),
    (lambda: tg.linalg.lu_solve(A, tg.ones(3, dtype=tg.int32), tg.ones(3, 1)), "linalg_lu_solve(): argument 'LU' (position 1)"),
    (lambda: tg.linalg.ldl_solve(A, tg.ones(3, dtype=tg.int32), tg.ones(3, 1)),
     "linalg_ldl_solve(): argument 'LD' (position 1)"),
])
def test_linalg_names_its_aten_function_and_argument(call, message):
    _refused(call, message + " must be Tensor, not numpy.ndarray")


@pytest.mark.parametrize("name", ["matrix_rank", "pinv"])
def test_overloaded_linalg_functions_name_the_argument_all_their_overloads_share(name):
    # PyTorch lists these functions' overloads ("received an invalid combination of arguments"), the
    # first argument of each named ``input``: tensorgraft names that argument
    _refused(lambda: getattr(tg.linalg, name)(A),
             f"linalg_{name}(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")


@pytest.mark.parametrize("call, message", [
    (lambda: tg.linalg.vecdot(_arr(3), tg.ones(3)), "linalg_vecdot(): argument 'x' (position 1)"),
    (lambda: tg.linalg.vecdot(tg.ones(3), _arr(3)), "linalg_vecdot(): argument 'y' (position 2)"),
    (lambda: tg.linalg.diagonal(A), "linalg_diagonal(): argument 'A' (position 1)"),
])
def test_formerly_crashing_or_accepting_linalg_functions_refuse_the_array(call, message):
    # vecdot failed with an AttributeError on ``_data``; diagonal returned the array's diagonal
    _refused(call, message + " must be Tensor, not numpy.ndarray")


def test_multi_dot_names_the_element_or_the_argument():
    _refused(lambda: tg.linalg.multi_dot([tg.eye(3), A]), "expected Tensor as element 1 in argument 0, but got numpy.ndarray")
    _refused(lambda: tg.linalg.multi_dot(A),
             "linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of Tensors, not numpy.ndarray")


@pytest.mark.parametrize("call, message", [
    (lambda: tg.det(A), "det(): argument 'input' (position 1)"),
    (lambda: tg.logdet(A), "logdet(): argument 'input' (position 1)"),
    (lambda: tg.slogdet(A), "slogdet(): argument 'input' (position 1)"),
    (lambda: tg.inverse(A), "inverse(): argument 'input' (position 1)"),
    (lambda: tg.cholesky(A), "cholesky(): argument 'input' (position 1)"),
    (lambda: tg.matrix_exp(A), "matrix_exp(): argument 'input' (position 1)"),
    (lambda: tg.matrix_power(A, 2), "matrix_power(): argument 'input' (position 1)"),
    (lambda: tg.pinverse(A), "pinverse(): argument 'input' (position 1)"),
])
def test_torch_level_linear_algebra_names_itself(call, message):
    _refused(call, message + " must be Tensor, not numpy.ndarray")


def test_linalg_out_must_be_a_tensor_or_a_tuple_of_them():
    t = tg.eye(3)
    _refused(lambda: tg.linalg.det(t, out=A), "linalg_det(): argument 'out' must be Tensor, not numpy.ndarray")
    _refused(lambda: tg.linalg.eigh(t, out=A), "linalg_eigh(): argument 'out' must be tuple of Tensors, not numpy.ndarray")
    _refused(lambda: tg.linalg.eigh(t, out=(tg.empty(0), A)),
             "expected Tensor as element 1 in argument 2, but got numpy.ndarray")


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
                                  "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
                                  "fftshift", "ifftshift"])
def test_fft_names_its_aten_function(name):
    _refused(lambda: getattr(tg.fft, name)(_arr(4, 4)),
             f"fft_{name}(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")


def test_fft_checks_the_input_first_and_out():
    # PyTorch's parser reads the arguments in order: the array is named before a wrong-typed n
    _refused(lambda: tg.fft.fft(_arr(4), n="4"), "fft_fft(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")
    _refused(lambda: tg.fft.rfft(tg.ones(4), out=_arr(3)), "fft_rfft(): argument 'out' must be Tensor, not numpy.ndarray")
    _refused(lambda: tg.fft.fftfreq(4, out=_arr(4)), "fft_fftfreq(): argument 'out' must be Tensor, not numpy.ndarray")


@pytest.mark.parametrize("name, argname", [
    ("airy_ai", "x"), ("scaled_modified_bessel_k0", "x"), ("scaled_modified_bessel_k1", "x"),
    ("spherical_bessel_j0", "x"), ("bessel_j0", "input"), ("erfcx", "input"), ("erf", "input"),
])
def test_special_unary_names_atens_argument(name, argname):
    _refused(lambda: getattr(tg.special, name)(_arr(3)),
             f"special_{name}(): argument '{argname}' (position 1) must be Tensor, not numpy.ndarray")


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_special_reductions_name_themselves(name):
    _refused(lambda: getattr(tg.special, name)(_arr(3), 0),
             f"special_{name}(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")


def test_special_out_must_be_a_tensor():
    _refused(lambda: tg.special.entr(tg.ones(3), out=_arr(3)), "special_entr(): argument 'out' must be Tensor, not numpy.ndarray")


_POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
                "laguerre_polynomial_l", "legendre_polynomial_p"]
_PAIR_OVERLOADS = (" * (Tensor {a}, Tensor {b}, *, Tensor out = None)\n * (Number {s}, Tensor {b}, *, Tensor out = None)\n"
                   " * (Tensor {a}, Number {b}, *, Tensor out = None)\n")


@pytest.mark.parametrize("name", _POLYNOMIALS + ["xlog1py", "zeta", "xlogy"])
def test_special_two_operand_functions_refuse_an_array_in_either_place(name):
    # formerly computed: the array was taken for a number
    fn = getattr(tg.special, name)
    a, b, s = ("x", "n", "x") if name in _POLYNOMIALS else ("input", "other", "self")
    overloads = _PAIR_OVERLOADS.format(a=a, b=b, s=s)
    head = f"special_{name}() received an invalid combination of arguments - got "
    with pytest.raises(TypeError) as info:
        fn(_arr(3), tg.ones(3))
    assert str(info.value) == head + f"(numpy.ndarray, Tensor), but expected one of:\n{overloads}"
    with pytest.raises(TypeError) as info:
        fn(tg.ones(3), _arr(3))
    assert str(info.value) == head + f"(Tensor, numpy.ndarray), but expected one of:\n{overloads}"
    with pytest.raises(TypeError, match=re.escape(head + "(Tensor, list)")):
        fn(tg.ones(3), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "xlog1py", "zeta"])
def test_special_two_operand_functions_still_take_a_number(name):
    fn = getattr(tg.special, name)
    x = tg.tensor([0.5, 2.0])
    for number in (2, 2.0, np.float64(2.0), np.int32(2)):
        assert fn(x, number).shape == (2,)
        assert fn(number, x).shape == (2,)
