"""Regressions found by the differential fuzz of fft, special and linalg against PyTorch, checked
here without PyTorch: by the mathematics (finite differences, closed forms) and by the graph-node
names and messages PyTorch is known to give."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name


def _autograd():
    pytest.importorskip("tensorgraft.autograd", reason="gradients need tensorgraft-autograd")


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _wirtinger_fd(f, a, cot, eps=1e-6):
    """PyTorch's gradient of a complex function for the cotangent ``cot``: that of the real loss
    Re(sum(conj(cot) * f(a))) with respect to Re(a) plus i times that with respect to Im(a)."""
    def loss(x):
        return float(np.real(np.sum(np.conj(cot) * f(x))))
    grad = np.zeros(a.shape, dtype=complex)
    for idx in np.ndindex(a.shape):
        for unit in (1.0, 1j):
            step = np.zeros(a.shape, dtype=complex)
            step[idx] = eps * unit
            slope = (loss(a + step) - loss(a - step)) / (2 * eps)
            grad[idx] += slope * unit
    return grad


def _tg_grad(f, a, cot, device):
    x = tg.tensor(a, device=device, requires_grad=True)
    (g,) = tg.autograd.grad(f(x), x, tg.tensor(cot, device=device))
    return g.cpu().numpy()


# --------------------------------------------------------------------------- fft
def test_fftn_of_real_input_is_a_complex_transform_node(tg_device):
    _autograd()
    rng = np.random.default_rng(101)
    x = tg.tensor(rng.standard_normal((3, 4)), device=tg_device, requires_grad=True)
    assert grad_fn_name(tg.fft.fft(x)) == "FftR2CBackward0"
    assert grad_fn_name(tg.fft.fftn(x)) == "FftC2CBackward0"
    assert grad_fn_name(tg.fft.fft2(x, s=(5, 3))) == "FftC2CBackward0"
    assert grad_fn_name(tg.fft.ifftn(x, dim=(0,))) == "FftC2CBackward0"


def test_ihfftn_over_several_dims_values_and_node(tg_device):
    _autograd()
    rng = np.random.default_rng(102)
    a = rng.standard_normal((4, 6))
    x = tg.tensor(a, device=tg_device, requires_grad=True)
    out = tg.fft.ihfft2(x)
    assert grad_fn_name(out) == "FftC2CBackward0"
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.conj(np.fft.rfft2(a)) / a.size, rtol=1e-12, atol=1e-12)
    assert grad_fn_name(tg.fft.ihfftn(x, dim=(0,))) == "ConjBackward0"


@pytest.mark.parametrize("call, message", [
    (lambda x: tg.fft.fft(x, n=2.5), "fft_fft(): argument 'n' must be int, not float"),
    (lambda x: tg.fft.rfft(x, dim=1.5), "fft_rfft(): argument 'dim' must be int, not float"),
    (lambda x: tg.fft.ihfft(x, norm=3), "fft_ihfft(): argument 'norm' must be str, not int"),
    (lambda x: tg.fft.fftn(x, s=(2.5, 3)), "fft_fftn(): argument 's' must be tuple of ints, not tuple"),
    (lambda x: tg.fft.rfft2(x, dim=(1.5, 0)), "fft_rfft2(): argument 'dim' must be tuple of ints, not tuple"),
])
def test_fft_wrong_argument_types_are_type_errors(call, message):
    with pytest.raises(TypeError) as info:
        call(tg.zeros(4, 5))
    assert str(info.value) == message


def test_fft_errors_match_pytorch_wording():
    x = tg.zeros(4, 5)
    with pytest.raises(IndexError, match=r"^Dimension specified as -1 but tensor has no dimensions$"):
        tg.fft.rfft(x[0, 0])
    with pytest.raises(IndexError, match=r"^Dimension specified as -2 but tensor has no dimensions$"):
        tg.fft.fft2(x[0, 0])
    with pytest.raises(RuntimeError, match=r"^rfftn expects a real-valued input tensor, but got ComplexFloat$"):
        tg.fft.rfft2(x.to(tg.complex64))
    with pytest.raises(RuntimeError, match=r"^rfftn must transform at least one axis$"):
        tg.fft.rfft2(x, dim=())
    with pytest.raises(RuntimeError, match=r"^irfftn must transform at least one axis$"):
        tg.fft.irfft2(x, dim=())
    with pytest.raises(RuntimeError, match=r"^Only supports floating-point dtypes, but found: ComplexFloat$"):
        tg.fft.ihfftn(x.to(tg.complex64), s=(3,))
    # ihfft2's default dims are checked against s before the dtype
    with pytest.raises(RuntimeError, match=r"^When given, dim and shape arguments must have the same length$"):
        tg.fft.ihfft2(x.to(tg.complex64), s=(3,))
    # dims are wrapped before their count is compared with s
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got -2"):
        tg.fft.fft2(tg.zeros(3), s=(6,))


def test_fftfreq_edge_cases():
    assert tg.fft.fftfreq(0).shape == (0,)
    assert np.isnan(tg.fft.rfftfreq(0).numpy()).all() and tg.fft.rfftfreq(0).shape == (1,)
    np.testing.assert_array_equal(tg.fft.rfftfreq(3, d=0).numpy(), [np.nan, np.inf])
    np.testing.assert_allclose(tg.fft.fftfreq(5, 2, dtype=tg.float64).numpy(), np.fft.fftfreq(5, 2))
    assert tg.fft.fftfreq(3, dtype=tg.float16).dtype == tg.float16
    with pytest.raises(RuntimeError, match=r"^fftfreq requires a floating point or complex dtype$"):
        tg.fft.fftfreq(5, dtype=tg.int64)
    with pytest.raises(RuntimeError, match=r"^rfftfreq requires a floating point or complex dtype$"):
        tg.fft.rfftfreq(5, dtype=tg.bool)
    with pytest.raises(NotImplementedError, match="not implemented for 'ComplexFloat'"):
        tg.fft.fftfreq(5, dtype=tg.complex64)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[-1\]$"):
        tg.fft.fftfreq(-1)
    with pytest.raises(TypeError, match=r"argument 'n' \(position 1\) must be int, not float"):
        tg.fft.fftfreq(4.0)


# --------------------------------------------------------------------------- special
@pytest.mark.parametrize("name, kernel", [("erfcx", "erfcx"), ("airy_ai", "airy_ai"), ("entr", "entr"),
                                          ("log_ndtr", "log_ndtr"), ("spherical_bessel_j0", "spherical_bessel_j0"),
                                          ("bessel_j0", "bessel_j0"), ("i0", "i0_vml"), ("i1", "i1")])
def test_special_functions_reject_complex_input(name, kernel):
    z = tg.tensor([1 + 1j, 0.5 - 2j])
    with pytest.raises(NotImplementedError) as info:
        getattr(tg.special, name)(z)
    assert str(info.value) == f"\"{kernel}_cpu\" not implemented for 'ComplexFloat'"


def test_special_edge_values():
    pytest.importorskip("scipy")
    f64 = tg.float64
    assert tg.special.airy_ai(tg.tensor([1e10, 500.0], dtype=f64)).tolist() == [0.0, 0.0]
    z = tg.special.zeta(tg.tensor([2.0, 1.0, 0.5], dtype=f64), tg.tensor(math.inf, dtype=f64)).numpy()
    assert np.isnan(z[0]) and z[1] == math.inf and np.isnan(z[2])
    nan, inf = math.nan, math.inf
    a = tg.tensor([nan, nan, inf, 0.0, -1.0, 2.0], dtype=f64)
    x = tg.tensor([0.0, inf, nan, 0.0, 0.0, 0.0], dtype=f64)
    np.testing.assert_array_equal(tg.special.gammainc(a, x).numpy(), [0.0, 1.0, 0.0, nan, nan, 0.0])
    np.testing.assert_array_equal(tg.special.gammaincc(a, x).numpy(), [1.0, 0.0, 1.0, nan, nan, 1.0])


def test_special_scalar_overload_nodes_and_gradients(tg_device):
    _autograd()
    pytest.importorskip("scipy")
    x = tg.tensor([0.5, 2.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    y = tg.special.xlog1py(x, 2.0)
    assert grad_fn_name(y) == "SpecialXlog1PyBackward2"
    (g,) = tg.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.cpu().numpy(), [math.log(3.0)] * 2)
    assert grad_fn_name(tg.special.xlog1py(2.0, x)) == "SpecialXlog1PyBackward1"
    assert grad_fn_name(tg.special.zeta(3.0, x)) == "SpecialZetaBackward1"
    assert grad_fn_name(tg.special.zeta(x + 1, 2.0)) == "SpecialZetaBackward2"


def test_gammainc_takes_only_tensors():
    with pytest.raises(TypeError, match=r"^special_gammainc\(\): argument 'other' \(position 2\) must be Tensor, "
                                        r"not float$"):
        tg.special.gammainc(tg.ones(2), 2.0)
    with pytest.raises(TypeError, match=r"argument 'input' \(position 1\) must be Tensor, not float$"):
        tg.special.gammaincc(2.0, tg.ones(2))


def test_special_round_has_no_integer_or_complex_kernel():
    with pytest.raises(NotImplementedError, match=r"^\"round_vml_cpu\" not implemented for 'Long'$"):
        tg.special.round(tg.arange(3))
    with pytest.raises(NotImplementedError, match="not implemented for 'ComplexFloat'"):
        tg.special.round(tg.ones(2, dtype=tg.complex64))


def test_ndtr_graph_and_gradient(tg_device):
    _autograd()
    x = tg.tensor([-1.0, 0.0, 2.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    y = tg.special.ndtr(x)
    assert grad_fn_name(y) == "MulBackward1"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AddBackward1"
    (g,) = tg.autograd.grad(y.sum(), x)
    xs = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(g.cpu().numpy(), np.exp(-xs ** 2 / 2) / math.sqrt(2 * math.pi), rtol=1e-12)


# --------------------------------------------------------------------------- linalg: complex gradients
def _well_conditioned(rng, n):
    return _complex(rng, (n, n)) + 3 * np.eye(n)


def _hpd(rng, n):
    a = _complex(rng, (n, n))
    return a @ a.conj().T + n * np.eye(n)


_RHS = np.array([[1.0 + 2j, -1.0], [0.5j, 2.0], [3.0, 1.0 - 1j]])


def _herm_lower(x):
    """The Hermitian matrix whose lower triangle is that of ``x`` (what cholesky/eigh read)."""
    return np.tril(x) + np.tril(x, -1).conj().T - 1j * np.diag(np.diag(x).imag)


# name: (tensorgraft function, NumPy reference, input maker)
_COMPLEX_CASES = {
    "inv": (lambda x: tg.linalg.inv(x), np.linalg.inv, _well_conditioned),
    "det": (lambda x: tg.linalg.det(x), np.linalg.det, _well_conditioned),
    "solve": (lambda x: tg.linalg.solve(x, tg.tensor(_RHS, device=x.device)),
              lambda x: np.linalg.solve(x, _RHS), _well_conditioned),
    "solve_triangular": (lambda x: tg.linalg.solve_triangular(x, tg.tensor(_RHS, device=x.device), upper=True),
                         lambda x: np.linalg.solve(np.triu(x), _RHS), _well_conditioned),
    "pinv": (lambda x: tg.linalg.pinv(x), np.linalg.pinv, _well_conditioned),
    "cholesky": (lambda x: tg.linalg.cholesky(x), lambda x: np.linalg.cholesky(_herm_lower(x)), _hpd),
    "eigvalsh": (lambda x: tg.linalg.eigvalsh(x), lambda x: np.linalg.eigvalsh(_herm_lower(x)), _hpd),
}


@pytest.mark.parametrize("name", sorted(_COMPLEX_CASES))
def test_complex_linalg_gradients_follow_the_conjugate_convention(name, tg_device):
    _autograd()
    fn, reference, make = _COMPLEX_CASES[name]
    rng = np.random.default_rng(103)
    a = make(rng, 3)
    out = reference(a)
    cot = _complex(rng, np.shape(out))
    if np.isrealobj(out):
        cot = cot.real
    expected = _wirtinger_fd(reference, a, cot)
    got = _tg_grad(fn, a, cot, tg_device)
    if name in ("cholesky", "eigvalsh"):
        # only Hermitian perturbations are meaningful: compare the gradients' effect along them
        def along_hermitian(g):
            return np.tril(g, -1) + np.triu(g, 1).conj().T + np.diag(np.diag(g).real)
        expected, got = along_hermitian(expected), along_hermitian(got)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_complex_slogdet_sign_and_logdet_gradients(tg_device):
    _autograd()
    rng = np.random.default_rng(104)
    a = _complex(rng, (3, 3))
    cot = _complex(rng, ())
    expected = _wirtinger_fd(lambda x: np.linalg.slogdet(x)[0], a, cot)
    got = _tg_grad(lambda x: tg.linalg.slogdet(x)[0], a, cot, tg_device)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    expected = _wirtinger_fd(lambda x: np.log(np.linalg.det(x)), a, cot)
    got = _tg_grad(lambda x: tg.logdet(x), a, cot, tg_device)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_eigh_eigenvector_gradient_is_symmetric(tg_device):
    _autograd()
    rng = np.random.default_rng(105)
    b = rng.standard_normal((4, 4))
    a = tg.tensor(b @ b.T + np.eye(4), device=tg_device, requires_grad=True)
    _, v = tg.linalg.eigh(a)
    (g,) = tg.autograd.grad((v.abs() * tg.tensor(rng.standard_normal((4, 4)), device=tg_device)).sum(), a)
    g = g.cpu().numpy()
    np.testing.assert_allclose(g, g.T, atol=1e-12)


# --------------------------------------------------------------------------- linalg: values, dtypes, nodes
def test_solve_triangular_computes_in_the_dtype_of_a(tg_device):
    rng = np.random.default_rng(106)
    a = np.triu(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    x = tg.linalg.solve_triangular(tg.tensor(a, dtype=tg.float32, device=tg_device),
                                   tg.tensor(b, device=tg_device), upper=True)
    assert x.dtype == tg.float32
    np.testing.assert_allclose(x.cpu().numpy(), np.linalg.solve(a, b), rtol=1e-5)
    right = tg.linalg.solve_triangular(tg.tensor(a, device=tg_device), tg.tensor(b.T, dtype=tg.float32,
                                                                                  device=tg_device),
                                       upper=True, left=False)
    assert right.dtype == tg.float64
    np.testing.assert_allclose(right.cpu().numpy() @ a, b.T, rtol=1e-5)


def test_solve_triangular_right_side_is_one_node_with_its_gradient(tg_device):
    _autograd()
    rng = np.random.default_rng(107)
    a = np.tril(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3))
    A = tg.tensor(a, device=tg_device, requires_grad=True)
    B = tg.tensor(b, device=tg_device, requires_grad=True)
    x = tg.linalg.solve_triangular(A, B, upper=False, left=False)
    assert grad_fn_name(x) == "LinalgSolveTriangularBackward0"
    cot = rng.standard_normal((2, 3))
    ga, gb = tg.autograd.grad(x, (A, B), tg.tensor(cot, device=tg_device))
    ainv = np.linalg.inv(a)
    np.testing.assert_allclose(gb.cpu().numpy(), cot @ ainv.T, rtol=1e-10)
    np.testing.assert_allclose(ga.cpu().numpy(), np.tril(-(b @ ainv).T @ cot @ ainv.T), rtol=1e-10)


def test_pinv_honours_atol_and_rtol():
    a = tg.tensor(np.diag([4.0, 0.3, 0.01]))
    np.testing.assert_allclose(tg.linalg.pinv(a).numpy(), np.diag([0.25, 1 / 0.3, 100.0]))
    np.testing.assert_allclose(tg.linalg.pinv(a, atol=0.5).numpy(), np.diag([0.25, 0.0, 0.0]))
    np.testing.assert_allclose(tg.linalg.pinv(a, rtol=0.05).numpy(), np.diag([0.25, 1 / 0.3, 0.0]))
    np.testing.assert_allclose(tg.linalg.pinv(a, atol=0.1, rtol=0.2).numpy(), np.diag([0.25, 0.0, 0.0]))
    herm = tg.tensor(np.diag([-4.0, 0.3, 0.01]))
    np.testing.assert_allclose(tg.linalg.pinv(herm, atol=0.2, hermitian=True).numpy(), np.diag([-0.25, 1 / 0.3, 0.0]))
    batched = tg.linalg.pinv(tg.stack([a, 2 * a]), atol=tg.tensor([0.5, 0.5]))
    np.testing.assert_allclose(batched.numpy()[1], np.diag([0.125, 1 / 0.6, 0.0]))


def test_qr_mode_r_q_is_one_dimensional_and_empty():
    q, r = tg.linalg.qr(tg.ones(2, 3, 4), mode="r")
    assert q.shape == (0,) and r.shape == (2, 3, 4)


def test_lu_pivots_complex_rows_by_abs_real_plus_abs_imag():
    # |1+1j| = 1.41 < 1.5, but LAPACK ranks by |re| + |im| = 2 > 1.5: the first row stays the pivot
    a = tg.tensor([[1 + 1j, 2.0], [1.5 + 0j, 1.0]])
    lu, piv = tg.linalg.lu_factor(a)
    assert piv.tolist() == [1, 2]
    p, low, up = tg.linalg.lu(a)
    np.testing.assert_allclose((p @ low @ up).numpy(), a.numpy(), rtol=1e-6)


def test_multi_dot_order_node_and_dtype_check(tg_device):
    _autograd()
    rng = np.random.default_rng(108)
    mats = [rng.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    ts = [tg.tensor(m, device=tg_device, requires_grad=True) for m in mats]
    out = tg.linalg.multi_dot(ts)
    assert grad_fn_name(out) == "ViewBackward0"
    np.testing.assert_allclose(out.detach().cpu().numpy(), mats[0] @ mats[1] @ mats[2], rtol=1e-12)
    vec = tg.linalg.multi_dot([tg.tensor(rng.standard_normal(3), device=tg_device), ts[1], ts[2]])
    assert vec.shape == (2,) and grad_fn_name(vec) == "ViewBackward0"
    with pytest.raises(RuntimeError, match=r"^multi_dot\(\): all tensors must have be the same dtype but tensor 0 "
                                           r"is float and tensor 1 double$"):
        tg.linalg.multi_dot([tg.ones(2, 3), tg.ones(3, 2, dtype=tg.float64)])


def test_matrix_power_nodes(tg_device):
    _autograd()
    a = tg.tensor([[2.0, 1.0], [0.0, 3.0]], device=tg_device, requires_grad=True)
    assert grad_fn_name(tg.linalg.matrix_power(a, -1)) == "LinalgInvExBackward0"
    assert grad_fn_name(tg.linalg.matrix_power(a, 1)) == "CloneBackward0"
    ident = tg.linalg.matrix_power(a, 0)
    assert grad_fn_name(ident) == "CopyBackwards"
    np.testing.assert_array_equal(ident.detach().cpu().numpy(), np.eye(2))
    (g,) = tg.autograd.grad(ident.sum(), a)
    assert not g.cpu().numpy().any()


def test_matrix_norm_max_abs_sum_ends_in_amax(tg_device):
    _autograd()
    rng = np.random.default_rng(109)
    a = rng.standard_normal((2, 3, 4))
    x = tg.tensor(a, device=tg_device, requires_grad=True)
    for ord_, keepdim in ((math.inf, False), (1, True), (-1, False)):
        y = tg.linalg.matrix_norm(x, ord_, keepdim=keepdim)
        assert grad_fn_name(y) == ("AmaxBackward0" if ord_ > 0 else "AminBackward0")
        want = np.linalg.norm(a, ord_, axis=(-2, -1), keepdims=keepdim)
        np.testing.assert_allclose(y.detach().cpu().numpy(), want, rtol=1e-12)


def test_norm_string_ord_with_one_dim_is_a_matrix_norm_error():
    with pytest.raises(RuntimeError, match=r"^linalg.matrix_norm: dim must be a 2-tuple. Got 0$"):
        tg.linalg.norm(tg.ones(2, 3), "fro", dim=0)
    with pytest.raises(RuntimeError, match=r"^linalg.matrix_norm: The input tensor A must have at least 2"):
        tg.linalg.norm(tg.ones(3), "nuc", dim=(0,))
    with pytest.raises(RuntimeError, match=r"must be of length 1 or 2. Got \[0, 1, 2\]$"):
        tg.linalg.norm(tg.ones(2, 3, 4), "fro", dim=(0, 1, 2))


def test_cross_and_vecdot_do_not_promote():
    with pytest.raises(RuntimeError, match=r"^expected scalar type Float but found Double$"):
        tg.linalg.cross(tg.ones(3), tg.ones(3, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"^linalg.vecdot: Expected x and y to have the same dtype, but found x "
                                           r"of type Float and y of type ComplexDouble instead$"):
        tg.linalg.vecdot(tg.ones(3), tg.ones(3, dtype=tg.complex128))
    with pytest.raises(RuntimeError, match=r"^linalg.vecdot: Expected a floating point or complex tensor as input. "
                                           r"Got Long$"):
        tg.linalg.vecdot(tg.arange(3), tg.arange(3))


# --------------------------------------------------------------------------- random
@pytest.mark.parametrize("call", [lambda g: tg.rand(3, generator=g), lambda g: tg.randperm(3, generator=g),
                                  lambda g: tg.multinomial(tg.ones(3), 1, generator=g),
                                  lambda g: tg.normal(0.0, 1.0, (2,), generator=g)])
def test_a_generator_of_another_type_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"argument 'generator' must be torch.Generator, not int$"):
        call(5)


def test_bad_generator_leaves_the_tensor_untouched():
    t = tg.zeros(4)
    with pytest.raises(TypeError, match="not str"):
        t.uniform_(generator="seed")
    assert not t.numpy().any()
