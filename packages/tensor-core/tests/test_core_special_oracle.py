"""tensorgraft.special against PyTorch's torch.special: values, gradients, grad_fn names, dtypes, errors."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("scipy")
import tensorgraft as tg  # noqa: E402

X = np.array([[-2.5, -1.0, -0.3, 0.0], [0.2, 0.7, 1.0, 3.5]])
POS = np.array([0.1, 0.4, 0.9, 1.7, 2.5, 4.0])
UNIT = np.array([0.02, 0.2, 0.5, 0.8, 0.97])

UNARY = {"erf": X, "erfc": X, "erfinv": UNIT, "erfcx": X, "expit": X, "exp2": X, "expm1": X, "log1p": POS,
         "gammaln": POS, "digamma": POS, "psi": POS, "i0": X, "i0e": X, "i1": X, "i1e": X, "ndtr": X, "ndtri": UNIT,
         "log_ndtr": X, "sinc": X, "entr": np.array([-1.0, 0.0, 0.3, 2.0]), "round": X * 3.3, "logit": UNIT,
         "airy_ai": X, "bessel_j0": X, "bessel_j1": X, "bessel_y0": POS, "bessel_y1": POS, "modified_bessel_i0": X,
         "modified_bessel_i1": X, "modified_bessel_k0": POS, "modified_bessel_k1": POS,
         "scaled_modified_bessel_k0": POS, "scaled_modified_bessel_k1": POS,
         "spherical_bessel_j0": np.array([-np.inf, -3.0, -0.4, 0.0, 0.3, 0.6, 7.0])}
GRAD = ["erf", "erfc", "erfcx", "expit", "exp2", "expm1", "log1p", "gammaln", "digamma", "psi", "i0", "i0e", "i1",
        "i1e", "ndtri", "log_ndtr", "sinc", "logit", "round"]
POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
         "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
         "legendre_polynomial_p"]


def _pair(a, dtype=np.float64, grad=False):
    return (tg.tensor(a.astype(dtype), requires_grad=grad), torch.tensor(a.astype(dtype), requires_grad=grad))


def _close(t, r, rtol=1e-6, atol=1e-9):
    assert str(t.dtype) == str(r.dtype)
    np.testing.assert_allclose(t.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unary_values(name, dtype):
    a, b = _pair(UNARY[name], dtype)
    rtol = 1e-6 if dtype == np.float64 else 2e-5
    _close(getattr(tg.special, name)(a), getattr(torch.special, name)(b), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name", GRAD)
def test_unary_grads_and_node(name):
    data = UNARY[name] if name != "round" else X
    a, b = _pair(data + (1e-3 if name in ("i1e", "i1") else 0.0), grad=True)
    ya, yb = getattr(tg.special, name)(a), getattr(torch.special, name)(b)
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__
    ya.sum().backward()
    yb.sum().backward()
    _close(a.grad, b.grad, rtol=1e-6, atol=1e-8)


def test_entr_grad_and_node():
    a, b = _pair(np.array([0.3, 1.0, 2.0]), grad=True)
    ya, yb = tg.special.entr(a), torch.special.entr(b)
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__ == "SpecialEntrBackward0"
    ya.sum().backward()
    yb.sum().backward()
    _close(a.grad, b.grad)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "zeta", "gammainc", "gammaincc"])
def test_binary_values_grads(name):
    x = np.array([0.0, 0.5, 1.5, 2.0, 3.0])
    q = np.array([0.5, 1.0, 2.0, 0.3, 4.0])
    if name == "zeta":
        x = x + 1.5
    if name.startswith("gamma"):
        x = x + 0.5
    (a, b), (c, d) = _pair(x), _pair(q, grad=True)
    ya, yb = getattr(tg.special, name)(a, c), getattr(torch.special, name)(b, d)
    _close(ya, yb)
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__
    ya.sum().backward()
    yb.sum().backward()
    _close(c.grad, d.grad)


@pytest.mark.parametrize("name,msg", [("zeta", "the derivative for 'zeta' is not implemented."),
                                      ("gammainc", "the derivative for 'igamma: input' is not implemented."),
                                      ("gammaincc", "the derivative for 'igammac: input' is not implemented.")])
def test_not_implemented_derivatives(name, msg):
    a = tg.tensor([2.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    with pytest.raises(NotImplementedError) as ref:
        getattr(torch.special, name)(b, b + 1).sum().backward()
    assert str(ref.value) == msg
    with pytest.raises(NotImplementedError, match=msg):
        getattr(tg.special, name)(a, a + 1).sum().backward()


@pytest.mark.parametrize("name", POLYS)
@pytest.mark.parametrize("n", [-1, 0, 1, 2, 3, 5, 9, 12, 3.7])
def test_polynomials(name, n):
    x = np.array([-1.0, -0.7, -0.2, 0.0, 0.3, 0.5, 0.9, 1.0, 1.6, 2.5])
    a, b = _pair(x)
    _close(getattr(tg.special, name)(a, n), getattr(torch.special, name)(b, n), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", POLYS[:1] + POLYS[8:])
def test_polynomial_tensor_degrees_and_scalar_input(name):
    ns = np.array([0, 1, 2, 3, 5, 8])
    ta, tb = tg.tensor(ns), torch.tensor(ns)
    xa, xb = _pair(np.array([[0.3], [-1.2]]))
    _close(getattr(tg.special, name)(xa, ta), getattr(torch.special, name)(xb, tb), rtol=1e-9)
    _close(getattr(tg.special, name)(0.5, ta), getattr(torch.special, name)(0.5, tb), rtol=1e-6)
    r = getattr(tg.special, name)(xa, 3)
    assert not r.requires_grad


@pytest.mark.parametrize("name", POLYS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_polynomials_moderate_degrees(name, dtype):
    # degrees up to 30 on [-1.5, 1.5] (plus the exact points 0 and ±1): agreement to float tolerance,
    # measured against the size of the values (near a polynomial's zeros only absolute error means much)
    x = np.concatenate([np.linspace(-1.5, 1.5, 61), [-1.0, 0.0, 1.0]]).astype(dtype)
    tol = 1e-11 if dtype == np.float64 else 5e-4
    for n in range(13, 31):
        a, b = getattr(tg.special, name)(tg.tensor(x), n), getattr(torch.special, name)(torch.tensor(x), n)
        scale = max(1.0, float(np.abs(b.numpy()).max()))
        _close(a, b, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_degree_edge_cases(name):
    # the degree is truncated toward zero; NaN, infinite and out-of-int64 degrees give 0
    x = np.array([-1.2, -1.0, -0.4, 0.0, 0.6, 1.0, 1.3])
    a, b = _pair(x)
    for n in (float("nan"), float("inf"), -float("inf"), -0.5, 0.99, 1e30, -3):
        _close(getattr(tg.special, name)(a, n), getattr(torch.special, name)(b, n), rtol=1e-12, atol=0)
    nt = np.array([float("nan"), -2.0, 2.5, float("inf"), 4.0, 1.0, -0.0])
    _close(getattr(tg.special, name)(tg.tensor(x), tg.tensor(nt)),
           getattr(torch.special, name)(torch.tensor(x), torch.tensor(nt)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["hermite_polynomial_h", "hermite_polynomial_he"])
def test_hermite_large_degrees_overflow_to_nan(name):
    # PyTorch's Hermite values overflow and turn NaN (inf - inf) a little past degree 250 in float64 and
    # 50 in float32; well below that they are finite, well past it NaN (right at the overflow boundary the
    # exact degree where inf becomes NaN depends on the arithmetic's rounding, so it is not compared)
    x = np.array([-2.0, 0.0, 0.5, 1.5, 3.0])
    for dtype, finite_n, nan_ns in ((np.float64, 200, (400, 10**6)), (np.float32, 30, (80, 10**6))):
        for n, expect_nan in [(finite_n, False)] + [(m, True) for m in nan_ns]:
            a = getattr(tg.special, name)(tg.tensor(x.astype(dtype)), n).numpy()
            b = getattr(torch.special, name)(torch.tensor(x.astype(dtype)), n).numpy()
            assert np.isnan(a).all() == np.isnan(b).all() == expect_nan
            if not expect_nan:
                np.testing.assert_allclose(a, b, rtol=1e-9 if dtype == np.float64 else 1e-4)


def test_integer_inputs_promote():
    ia, ib = tg.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    for name in ("erfcx", "i0e", "bessel_j0", "expit", "ndtr", "entr", "log_ndtr", "spherical_bessel_j0"):
        _close(getattr(tg.special, name)(ia), getattr(torch.special, name)(ib), rtol=2e-6, atol=1e-7)
    _close(tg.special.xlog1py(ia, 2), torch.special.xlog1py(ib, 2), rtol=2e-6)
    _close(tg.special.chebyshev_polynomial_t(ia, 3), torch.special.chebyshev_polynomial_t(ib, 3))
    _close(tg.special.zeta(2, tg.tensor([1.0, 2.0])), torch.special.zeta(2, torch.tensor([1.0, 2.0])), rtol=2e-6)


def test_non_differentiable_outputs():
    a = tg.tensor([0.5, 1.5], requires_grad=True)
    b = torch.tensor([0.5, 1.5], requires_grad=True)
    for name in ("bessel_j0", "modified_bessel_k1", "airy_ai", "spherical_bessel_j0"):
        assert getattr(tg.special, name)(a).requires_grad == getattr(torch.special, name)(b).requires_grad


def test_softmax_family_and_multigammaln():
    a, b = _pair(X, grad=True)
    _close(tg.special.softmax(a, 1), torch.special.softmax(b, 1))
    _close(tg.special.log_softmax(a, 0, dtype=tg.float32), torch.special.log_softmax(b, 0, dtype=torch.float32),
           rtol=1e-6)
    _close(tg.special.logsumexp(a, 1, keepdim=True), torch.special.logsumexp(b, 1, keepdim=True))
    c, d = _pair(POS + 2, grad=True)
    ya, yb = tg.special.multigammaln(c, 3), torch.special.multigammaln(d, 3)
    _close(ya, yb)
    assert type(ya.grad_fn).__name__ == type(yb.grad_fn).__name__
    _close(tg.special.polygamma(2, c), torch.special.polygamma(2, d))
    _close(tg.special.round(a, decimals=1), torch.special.round(b, decimals=1))
    _close(tg.special.logit(c * 0.1, eps=0.2), torch.special.logit(d * 0.1, eps=0.2))


def test_out_argument():
    a, b = _pair(X)
    oa, ob = tg.empty(0, dtype=tg.float64), torch.empty(0, dtype=torch.float64)
    assert tg.special.erfcx(a, out=oa) is oa
    torch.special.erfcx(b, out=ob)
    _close(oa, ob)


def test_same_names_as_torch():
    public = {n for n in dir(torch.special) if not n.startswith("_") and callable(getattr(torch.special, n))
              and n not in ("Tensor",)}
    assert public <= set(tg.special.__all__)
