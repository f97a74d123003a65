"""Regressions from a differential fuzz of torch.linalg / torch.fft against PyTorch 2.13 (expected
values and messages hard-coded from PyTorch)."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as torch


def _raises(fn, exc, msg):
    with pytest.raises(exc) as e:
        fn()
    assert str(e.value).split("\n")[0] == msg


# ----------------------------------------------------------------------------------------- lstsq
def test_lstsq_rhs_with_one_dim_less_is_a_matrix_unless_shaped_like_A_without_last():
    A = torch.arange(8.0, dtype=torch.float64).reshape(1, 4, 2).sin()
    B = torch.arange(20.0, dtype=torch.float64).reshape(4, 5).cos()
    r = torch.linalg.lstsq(A, B, driver="gelsd")
    # PyTorch 2.13: B is not a vector (its shape is not A.shape[:-1]); the batch is A's broadcast
    # with B.shape[:-1], the solution repeated along it; rank/singular values keep A's batch
    assert tuple(r.solution.shape) == (4, 2, 5)
    assert tuple(r.residuals.shape) == (4, 5)
    assert tuple(r.rank.shape) == (1,)
    assert tuple(r.singular_values.shape) == (1, 2)
    ref = torch.linalg.lstsq(A[0], B).solution
    for i in range(4):
        assert np.allclose(r.solution[i].numpy(), ref.numpy())
    assert tuple(torch.linalg.lstsq(A.expand(4, 4, 2), B[:, 0].expand(4, 4)).solution.shape) == (4, 2)


def test_lstsq_matrix_rhs_batch_broadcast_shapes_and_errors():
    A = torch.ones(3, 1, 2, 1, dtype=torch.float64)
    B = torch.ones(1, 2, 1, dtype=torch.float64)
    assert tuple(torch.linalg.lstsq(A, B).solution.shape) == (3, 2, 1, 1)
    _raises(lambda: torch.linalg.lstsq(torch.ones(1, 2, 3, 2), torch.ones(2, 3, 2)), RuntimeError,
            "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1")
    _raises(lambda: torch.linalg.lstsq(torch.ones(1, 1, 2, 3), torch.ones(4, 2, 5)), RuntimeError,
            "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1")


# ----------------------------------------------------------------------------------------- ldl_solve
@pytest.mark.parametrize("ashape,bshape", [((0, 0), (0, 2)), ((2, 0, 0), (0, 1)), ((3, 3), (3, 0)),
                                           ((0, 2, 2), (1, 2, 3))])
def test_ldl_solve_empty(ashape, bshape):
    A = torch.eye(ashape[-1], dtype=torch.float64).expand(ashape).contiguous() * 3
    LD, piv = torch.linalg.ldl_factor(A)
    X = torch.linalg.ldl_solve(LD, piv, torch.ones(bshape, dtype=torch.float64))
    batch = np.broadcast_shapes(ashape[:-2], bshape[:-2])
    assert tuple(X.shape) == tuple(batch) + (ashape[-1], bshape[-1])


# ----------------------------------------------------------------------------------------- cond
@pytest.mark.parametrize("p", [1, -1, math.inf, -math.inf])
def test_cond_numeric_order_of_empty_nonsquare_is_zero(p):
    assert torch.linalg.cond(torch.zeros(0, 2), p=p).item() == 0.0
    r = torch.linalg.cond(torch.zeros(3, 0, 2), p=p)
    assert tuple(r.shape) == (3,) and r.dtype == torch.float32 and r.abs().sum().item() == 0
    assert tuple(torch.linalg.cond(torch.zeros(0, 3, 2), p=p).shape) == (0,)
    _raises(lambda: torch.linalg.cond(torch.zeros(0, 2), p="fro"), RuntimeError,
            "linalg.cond(ord=fro): A must be batches of square matrices, but they are 0 by 2 matrices")


# ----------------------------------------------------------------------------------------- ormqr
def test_ormqr_shape_checks():
    r = lambda *s, **k: torch.ormqr(*[torch.ones(x) for x in s], **k)  # noqa: E731
    _raises(lambda: r((3, 2), (2,), (2, 2)), RuntimeError, "torch.ormqr: other.shape[-2] must be equal to input.shape[-2]")
    _raises(lambda: r((3, 2), (2,), (4, 2), left=False), RuntimeError,
            "torch.ormqr: other.shape[-1] must be equal to input.shape[-2]")
    _raises(lambda: r((5, 4), (4,), (3, 5)), RuntimeError, "torch.ormqr: other.shape[-2] must be equal to input.shape[-2]")
    assert tuple(r((3, 3), (3,), (4, 3), left=False, transpose=True).shape) == (4, 3)
    # one reflector per column of input (PyTorch 2.13): a shorter or longer tau is refused
    for tau, kw, side in (((2,), {}, "other.shape[-2]"), ((4,), {}, "other.shape[-2]"),
                          ((2,), {"left": False}, "other.shape[-1]")):
        other = (4, 2) if not kw else (2, 4)
        _raises(lambda: r((4, 3), tau, other, **kw), RuntimeError,
                f"torch.ormqr: tau.shape[-1] must be equal to min({side}, input.shape[-1])")


# ----------------------------------------------------------------------------------------- pinv
def test_pinv_rcond_overload():
    A = torch.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    assert np.allclose(torch.linalg.pinv(A, rcond=0.3).numpy(), [[0.5, 0.0], [0.0, 0.0]])
    assert np.allclose(torch.linalg.pinv(A, 0.1).numpy(), [[0.5, 0.0], [0.0, 2.0]])


# ----------------------------------------------------------------------------------------- matrix_norm
def test_matrix_norm_dim_out_of_range_and_arity():
    x = torch.ones(2, 3, dtype=torch.float64)
    _raises(lambda: torch.linalg.matrix_norm(x, dim=(0, 3)), IndexError,
            "Dimension out of range (expected to be in range of [-2, 1], but got 3)")
    _raises(lambda: torch.linalg.matrix_norm(x, 1, dim=(0,)), RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. Got 0")
    _raises(lambda: torch.linalg.matrix_norm(x, dim=(1, -1)), RuntimeError, "linalg.matrix_norm: dims must be different. Got (1, 1)")
    _raises(lambda: torch.linalg.matrix_norm(x, 3, dim=(1, 1)), RuntimeError, "linalg.matrix_norm: Order 3 not supported.")
    _raises(lambda: torch.linalg.matrix_norm(torch.zeros(2, 0), 0), RuntimeError, "linalg.matrix_norm: Order 0 not supported.")


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -2, math.inf])
def test_matrix_norm_dtype_checks(ord):
    x = torch.ones(2, 3, dtype=torch.float64)
    z = torch.ones(2, 3, dtype=torch.complex64)
    _raises(lambda: torch.linalg.matrix_norm(x, ord, dtype=torch.float32), RuntimeError,
            "linalg.matrix_norm: the dtype of the input (Double) should be convertible without narrowing to the "
            "specified dtype (Float)")
    _raises(lambda: torch.linalg.matrix_norm(z, ord, dtype=torch.float64), RuntimeError,
            "linalg.matrix_norm: dtype should be complex for complex inputs, but got Double")
    _raises(lambda: torch.linalg.matrix_norm(x, ord, dtype=torch.complex128), RuntimeError,
            "linalg.matrix_norm: dtype should be real for real inputs, but got ComplexDouble")
    _raises(lambda: torch.linalg.matrix_norm(x, ord, dtype=torch.int64), RuntimeError,
            "linalg.matrix_norm: dtype should be floating point or complex, but got Long")
    _raises(lambda: torch.linalg.vector_norm(x, dtype=torch.int64), RuntimeError,
            "linalg.vector_norm: dtype should be floating point or complex, but got Long")
    assert torch.linalg.matrix_norm(z, ord, dtype=torch.complex128).dtype == torch.float64


# ----------------------------------------------------------------------------------------- fft out=
def test_fft_out_is_resized_and_kind_checked():
    xf = torch.ones(3, 4)
    o = torch.empty((0,), dtype=torch.complex64)
    r = torch.fft.rfft(xf, out=o)
    assert r is o and tuple(o.shape) == (3, 3) and o[0, 0].item() == 4
    o = torch.empty((0,), dtype=torch.complex128)
    torch.fft.fft(torch.ones(1, 1, dtype=torch.complex64), out=o)
    assert tuple(o.shape) == (1, 1) and o.dtype == torch.complex128
    o = torch.empty((3, 1), dtype=torch.float32)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torch.fft.irfft(torch.ones(3, 2, dtype=torch.bool), out=o)
    assert tuple(o.shape) == (3, 2) and any("was resized" in str(x.message) for x in w)
    assert np.allclose(o.numpy(), [[1.0, 0.0]] * 3)
    _raises(lambda: torch.fft.fft(xf, out=torch.empty(0)), RuntimeError, "fft expects a complex output tensor, but got Float")
    _raises(lambda: torch.fft.fft2(xf, out=torch.empty(0, dtype=torch.float64)), RuntimeError,
            "fftn expects a complex output tensor, but got Double")
    _raises(lambda: torch.fft.rfft2(xf, out=torch.empty(0)), RuntimeError, "rfftn expects a complex output tensor, but got Float")
    _raises(lambda: torch.fft.hfft(torch.ones(1, 1, dtype=torch.complex64), out=torch.empty(0, dtype=torch.complex64)),
            RuntimeError, "hfft expects a floating point output tensor, but got ComplexFloat")
    _raises(lambda: torch.fft.irfft(xf, out=torch.empty(0, dtype=torch.complex128)), RuntimeError,
            "irfft expects a floating point output tensor, but got ComplexDouble")
    _raises(lambda: torch.fft.ihfft(xf, out=torch.empty(0, dtype=torch.complex128)), RuntimeError,
            "Found dtype ComplexDouble but expected ComplexFloat")


def test_vector_norm_names_the_empty_dimension_as_given():
    # PyTorch 2.13's text (its missing space kept); a full reduction says "on an empty tensor"
    _raises(lambda: torch.linalg.vector_norm(torch.zeros(3, 0), float("-inf"), dim=-1), RuntimeError,
            "linalg.vector_norm cannot compute the -inf norm on the dimension -1because this dimension is empty and "
            "the operation does not have an identity")
    _raises(lambda: torch.linalg.vector_norm(torch.zeros(0, 3), float("inf")), RuntimeError,
            "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have "
            "an identity")
