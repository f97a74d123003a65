"""The fft / special / linalg fuzz regressions run by PyTorch and tensorgraft on the same seeded data:
values, dtypes, shapes, ``grad_fn`` names, gradients (random cotangents, complex included) and
errors (type and text) must agree."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name, to_numpy

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.autograd", reason="gradients need tensorgraft-autograd")


def _run(snippet, lib, arrays):
    inputs = [lib.tensor(a, requires_grad=a.dtype.kind in "fc") for a in arrays]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = snippet(lib, *inputs)
    except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
        return ("raised", type(exc).__name__, str(exc)), inputs
    return ("ok", out if isinstance(out, (tuple, list)) else (out,)), inputs


def same(snippet, arrays=(), seed=0, rtol=1e-6, atol=1e-8, grad=True):
    mine, my_inputs = _run(snippet, tg, arrays)
    theirs, their_inputs = _run(snippet, torch, arrays)
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] == "raised":
        assert mine == theirs
        return
    assert len(mine[1]) == len(theirs[1])
    for a, b in zip(mine[1], theirs[1]):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, equal_nan=True)
        assert grad_fn_name(a) == grad_fn_name(b)
    if not grad:
        return
    rng = np.random.default_rng(seed)
    outs = [(a, b) for a, b in zip(mine[1], theirs[1]) if b.requires_grad]
    if not outs:
        return
    cots = []
    for _, b in outs:
        c = rng.standard_normal(tuple(b.shape))
        cots.append(c + 1j * rng.standard_normal(tuple(b.shape)) if b.is_complex() else c)
    try:
        want = torch.autograd.grad([b for _, b in outs], their_inputs, [torch.tensor(c) for c in cots],
                                   allow_unused=True)
    except (RuntimeError, NotImplementedError) as exc:  # no derivative in PyTorch: none here either
        with pytest.raises(type(exc)):
            tg.autograd.grad([a for a, _ in outs], my_inputs, [tg.tensor(c) for c in cots], allow_unused=True)
        return
    got = tg.autograd.grad([a for a, _ in outs], my_inputs, [tg.tensor(c) for c in cots], allow_unused=True)
    for g, w in zip(got, want):
        if w is None:
            assert g is None or not to_numpy(g).any()
            continue
        np.testing.assert_allclose(to_numpy(g), to_numpy(w), rtol=rtol * 10, atol=atol * 10)


def _c(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# --------------------------------------------------------------------------- fft
_FFT_CASES = [
    lambda m, x: m.fft.fftn(x),
    lambda m, x: m.fft.fft2(x, s=(5, 3), norm="ortho"),
    lambda m, x: m.fft.ifftn(x, dim=(0,)),
    lambda m, x: m.fft.ihfft2(x, norm="forward"),
    lambda m, x: m.fft.ihfftn(x, s=(3, 7)),
    lambda m, x: m.fft.ihfftn(x, dim=(0,)),
    lambda m, x: m.fft.fft(x, n=2.5),
    lambda m, x: m.fft.rfft(x, dim=1.5),
    lambda m, x: m.fft.hfft(x, norm=3),
    lambda m, x: m.fft.fftn(x, s=(2.5, 3)),
    lambda m, x: m.fft.rfft(x[0, 0]),
    lambda m, x: m.fft.fft2(x[0, 0]),
    lambda m, x: m.fft.rfft2(x * 1j),
    lambda m, x: m.fft.rfft2(x, dim=()),
    lambda m, x: m.fft.hfftn(x, dim=()),
    lambda m, x: m.fft.ihfftn(x * 1j, s=(3,)),
    lambda m, x: m.fft.ihfft2(x * 1j, s=(3,)),
    lambda m, x: m.fft.fft2(x[0], s=(6,)),
]


@pytest.mark.parametrize("case", range(len(_FFT_CASES)))
def test_fft_against_torch(case):
    rng = np.random.default_rng(200 + case)
    same(_FFT_CASES[case], [rng.standard_normal((4, 6))], seed=case)


@pytest.mark.parametrize("n", [0, 1, 4, 5])
@pytest.mark.parametrize("d", [1.0, 0.5, 0])
def test_fftfreq_against_torch(n, d):
    same(lambda m: m.fft.fftfreq(n, d, dtype=m.float64))
    same(lambda m: m.fft.rfftfreq(n, d))


@pytest.mark.parametrize("call", [
    lambda m: m.fft.fftfreq(5, dtype=m.int64), lambda m: m.fft.rfftfreq(5, dtype=m.complex64),
    lambda m: m.fft.fftfreq(-1), lambda m: m.fft.fftfreq(4.0), lambda m: m.fft.fftfreq(3, dtype=m.float16),
])
def test_fftfreq_arguments_against_torch(call):
    same(call)


# --------------------------------------------------------------------------- special
@pytest.mark.parametrize("name", ["erfcx", "airy_ai", "entr", "log_ndtr", "spherical_bessel_j0", "bessel_y1", "i0",
                                  "i1", "i1e", "ndtri", "round"])
def test_special_complex_input_against_torch(name):
    same(lambda m: getattr(m.special, name)(m.tensor([1 + 1j, 0.5 - 2j])))


def test_special_edge_values_against_torch():
    pytest.importorskip("scipy")
    nan, inf = math.nan, math.inf
    same(lambda m: m.special.airy_ai(m.tensor([1e10, 500.0, -2.0, 3.0], dtype=m.float64)))
    grid = np.array([0.0, -0.0, 0.5, 2.0, -1.0, inf, -inf, nan])
    a, x = (g.ravel().copy() for g in np.meshgrid(grid, grid))
    for name in ("gammainc", "gammaincc", "zeta"):
        same(lambda m: getattr(m.special, name)(m.tensor(a), m.tensor(x)), grad=False)
    same(lambda m: m.special.round(m.arange(3)))


@pytest.mark.parametrize("call", [
    lambda m, x: m.special.xlog1py(x, 2.0), lambda m, x: m.special.xlog1py(2.5, x),
    lambda m, x: m.special.zeta(x + 1, 2.0), lambda m, x: m.special.zeta(3.0, x),
    lambda m, x: m.special.gammainc(x, 2.0), lambda m, x: m.special.ndtr(x),
])
def test_special_scalar_overloads_against_torch(call):
    pytest.importorskip("scipy")
    rng = np.random.default_rng(210)
    same(call, [np.abs(rng.standard_normal(5)) + 0.2])


# --------------------------------------------------------------------------- linalg
def _hpd(rng, n, batch=()):
    a = _c(rng, batch + (n, n))
    return a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)


_LINALG_COMPLEX = [
    (lambda m, a: m.linalg.inv(a), "square"),
    (lambda m, a: m.linalg.det(a), "square"),
    (lambda m, a: m.linalg.slogdet(a), "square"),
    (lambda m, a: m.logdet(a), "square"),
    (lambda m, a: m.linalg.solve(a, a[..., :1] * 2), "square"),
    (lambda m, a: m.linalg.solve(a, a[..., 0, :], left=False), "square"),
    (lambda m, a: m.linalg.solve_triangular(a.triu(), a[..., :2].conj(), upper=True), "square"),
    (lambda m, a: m.linalg.solve_triangular(a.tril(), a[..., :2, :] * 2, upper=False, left=False), "square"),
    (lambda m, a: m.linalg.solve_triangular(a, a[..., :2, :] + 1, upper=True, left=False, unitriangular=True),
     "square"),
    (lambda m, a: m.linalg.cholesky(a), "hpd"),
    (lambda m, a: m.linalg.cholesky(a, upper=True), "hpd"),
    (lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), "hpd"),
    (lambda m, a: (lambda w, v: (v @ m.diag_embed(w.to(v.dtype)) @ v.mH, v.abs()))(*m.linalg.eigh(a)), "hpd"),
    (lambda m, a: m.linalg.pinv(a), "rect"),
    (lambda m, a: m.linalg.pinv(a @ a.mH, hermitian=True), "rect"),
    (lambda m, a: m.linalg.lstsq(a, a[..., :1] + 1, driver="gelsd").solution, "tall"),
    (lambda m, a: m.linalg.lu_solve(*m.linalg.lu_factor(a), a[..., :2]), "square"),
    (lambda m, a: m.linalg.matrix_power(a, -3), "square"),
    (lambda m, a: m.linalg.tensorsolve(a, a[..., 0]), "square"),
]


@pytest.mark.parametrize("real", [False, True])
@pytest.mark.parametrize("case", range(len(_LINALG_COMPLEX)))
def test_linalg_values_and_gradients_against_torch(case, real):
    fn, kind = _LINALG_COMPLEX[case]
    rng = np.random.default_rng(300 + case)
    batch = (2,) if case % 2 else ()
    if kind == "hpd":
        a = _hpd(rng, 3, batch)
    elif kind == "rect":
        a = _c(rng, batch + (4, 3))
    elif kind == "tall":
        a = _c(rng, batch + (4, 2))
    else:
        a = _c(rng, batch + (3, 3)) + 3 * np.eye(3)
    if real:
        a = a.real.copy()
    same(fn, [a], seed=case, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("atol", [None, 0.0, 0.5])
@pytest.mark.parametrize("rtol", [None, 0.0, 0.2])
@pytest.mark.parametrize("hermitian", [False, True])
def test_pinv_tolerances_against_torch(atol, rtol, hermitian):
    rng = np.random.default_rng(310)
    a = rng.standard_normal((2, 3, 3))
    a = a @ np.swapaxes(a, -1, -2) * 0.3 if hermitian else a
    same(lambda m, x: m.linalg.pinv(x, atol=atol, rtol=rtol, hermitian=hermitian), [a], grad=False)


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.solve_triangular(a.float().triu(), a[:, :2], upper=True),
    lambda m, a: m.linalg.solve_triangular(a.triu(), a[:, :2].float(), upper=True),
    lambda m, a: m.linalg.qr(a, mode="r"),
    lambda m, a: m.linalg.lu_factor(a * (1 + 1j)),
    lambda m, a: m.linalg.lu(a[:2] * (1 - 2j)),
    lambda m, a: m.linalg.multi_dot([a[:, :2].T, a, a[0]]),
    lambda m, a: m.linalg.multi_dot([a[0], a, a[:, :1]]),
    lambda m, a: m.linalg.multi_dot([a.float(), a]),
    lambda m, a: m.linalg.matrix_power(a, 0),
    lambda m, a: m.linalg.matrix_power(a, -1),
    lambda m, a: m.linalg.matrix_norm(a, math.inf),
    lambda m, a: m.linalg.matrix_norm(a, -1, keepdim=True),
    lambda m, a: m.linalg.norm(a, "fro", dim=0),
    lambda m, a: m.linalg.norm(a[0], "nuc", dim=(0,)),
    lambda m, a: m.linalg.cross(a, a.float()),
    lambda m, a: m.linalg.vecdot(a.float(), a),
    lambda m, a: m.linalg.vecdot(a, a * 1j),
])
def test_linalg_dtypes_nodes_and_errors_against_torch(call):
    rng = np.random.default_rng(320)
    same(call, [rng.standard_normal((3, 3)) + 2 * np.eye(3)])


@pytest.mark.parametrize("call", [lambda m: m.rand(3, generator=5), lambda m: m.empty(3).uniform_(generator=5),
                                  lambda m: m.randperm(3, generator=1.0),
                                  lambda m: m.multinomial(m.ones(3), 1, generator=3),
                                  lambda m: m.empty(3).normal_(generator="g")])
def test_bad_generator_type_against_torch(call):
    messages = []
    for lib in (tg, torch):
        with pytest.raises(TypeError) as info:
            call(lib)
        messages.append(str(info.value))
    mine, theirs = messages
    if "received an invalid combination" not in theirs:  # a single overload: the argument's own message
        assert theirs.endswith(mine)
