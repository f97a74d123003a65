"""KL divergences across the older families (Normal, Laplace, Uniform, Exponential, Gamma, Beta,
Bernoulli, Poisson...) without PyTorch: each closed form against a Monte Carlo estimate of
E_p[log p(X) - log q(X)], the infinite pairs (supports that do not nest) with their shapes and
dtypes, and the unit-interval boundary of ContinuousBernoulli against Uniform; on every device."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

D = tg.distributions


def _t(a, dev, dtype=None):
    return tg.tensor(a, dtype=dtype or tg.float64, device=dev)


FINITE = [
    ("Beta||Exponential", lambda d: (D.Beta(_t(1.5, d), _t(2.5, d)), D.Exponential(_t(1.7, d)))),
    ("Beta||Gamma", lambda d: (D.Beta(_t(1.5, d), _t(2.5, d)), D.Gamma(_t(2.2, d), _t(1.3, d)))),
    ("Beta||Normal", lambda d: (D.Beta(_t(0.7, d), _t(2.5, d)), D.Normal(_t(0.2, d), _t(0.6, d)))),
    ("Beta||Uniform", lambda d: (D.Beta(_t(1.5, d), _t(2.5, d)), D.Uniform(_t(-0.5, d), _t(1.5, d)))),
    ("Exponential||Gamma", lambda d: (D.Exponential(_t(1.5, d)), D.Gamma(_t(0.8, d), _t(2.0, d)))),
    ("Exponential||Normal", lambda d: (D.Exponential(_t(1.5, d)), D.Normal(_t(0.4, d), _t(1.2, d)))),
    ("Gamma||Exponential", lambda d: (D.Gamma(_t(2.5, d), _t(1.5, d)), D.Exponential(_t(0.8, d)))),
    ("Gamma||Normal", lambda d: (D.Gamma(_t(2.5, d), _t(1.5, d)), D.Normal(_t(1.0, d), _t(1.3, d)))),
    ("Chi2||Normal", lambda d: (D.Chi2(_t(3.0, d)), D.Normal(_t(2.0, d), _t(2.5, d)))),
    ("Laplace||Normal", lambda d: (D.Laplace(_t(0.3, d), _t(0.8, d)), D.Normal(_t(-0.2, d), _t(1.4, d)))),
    ("Normal||Laplace", lambda d: (D.Normal(_t(0.3, d), _t(0.8, d)), D.Laplace(_t(-0.4, d), _t(1.1, d)))),
    ("Uniform||Beta", lambda d: (D.Uniform(_t(0.1, d), _t(0.6, d)), D.Beta(_t(1.5, d), _t(0.7, d)))),
    ("Uniform||Beta_unit", lambda d: (D.Uniform(_t(0.0, d), _t(1.0, d)), D.Beta(_t(1.5, d), _t(2.7, d)))),
    ("Uniform||Exponential", lambda d: (D.Uniform(_t(0.0, d), _t(2.0, d)), D.Exponential(_t(0.9, d)))),
    ("Uniform||Gamma", lambda d: (D.Uniform(_t(0.5, d), _t(2.0, d)), D.Gamma(_t(2.0, d), _t(1.4, d)))),
    ("Uniform||Gamma_at_zero", lambda d: (D.Uniform(_t(0.0, d), _t(2.0, d)), D.Gamma(_t(0.6, d), _t(1.4, d)))),
    ("Uniform||Normal", lambda d: (D.Uniform(_t(-1.0, d), _t(2.0, d)), D.Normal(_t(0.3, d), _t(0.9, d)))),
    # the boundary case: a Uniform on exactly [0, 1] against ContinuousBernoulli, both ways
    ("CB||Uniform_unit", lambda d: (D.ContinuousBernoulli(_t(0.3, d)), D.Uniform(_t(0.0, d), _t(1.0, d)))),
    ("Uniform_unit||CB", lambda d: (D.Uniform(_t(0.0, d), _t(1.0, d)), D.ContinuousBernoulli(_t(0.3, d)))),
]


@pytest.mark.parametrize("name,make", FINITE, ids=[c[0] for c in FINITE])
def test_kl_matches_monte_carlo(tg_device, name, make):
    p, q = make(tg_device)
    exact = D.kl_divergence(p, q)
    assert exact.dtype == tg.float64 and tuple(exact.shape) == ()
    tg.manual_seed(11)
    x = p.sample((200000,))
    with tg.no_grad():
        ratio = to_numpy(p.log_prob(x) - q.log_prob(x))
    se = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - exact.item()) < 5 * se + 1e-9, (ratio.mean(), exact.item(), se)


def test_bernoulli_poisson_is_the_two_term_sum(tg_device):
    probs, rate = _t([0.0, 0.2, 0.9, 1.0], tg_device), _t([0.5, 1.5, 3.0, 0.7], tg_device)
    got = to_numpy(D.kl_divergence(D.Bernoulli(probs), D.Poisson(rate)))
    p, lam = to_numpy(probs), to_numpy(rate)
    # log q(0) = -lam, log q(1) = log(lam) - lam; 0 log 0 = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (np.where(p < 1, (1 - p) * (np.log1p(-p) + lam), 0)
                    + np.where(p > 0, p * (np.log(p) - np.log(lam) + lam), 0))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_kl_is_differentiable_in_both_sides(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="gradients need tensorgraft-autograd")
    loc = _t([0.3, -0.5], tg_device).requires_grad_()
    scale = _t([0.8, 1.4], tg_device).requires_grad_()
    b = _t([1.1, 0.6], tg_device).requires_grad_()
    kl = D.kl_divergence(D.Normal(loc, scale), D.Laplace(_t([0.0, 0.1], tg_device), b))
    g_loc, g_b = tg.autograd.grad(kl.sum(), [loc, b])
    h = 1e-6
    for i in range(2):
        def value(dl=0.0, db=0.0):
            shift_l = _t([dl if j == i else 0.0 for j in range(2)], tg_device)
            shift_b = _t([db if j == i else 0.0 for j in range(2)], tg_device)
            with tg.no_grad():
                return D.kl_divergence(D.Normal(loc + shift_l, scale),
                                       D.Laplace(_t([0.0, 0.1], tg_device), b + shift_b)).sum().item()
        assert math.isclose(to_numpy(g_loc)[i], (value(dl=h) - value(dl=-h)) / (2 * h), rel_tol=1e-6, abs_tol=1e-8)
        assert math.isclose(to_numpy(g_b)[i], (value(db=h) - value(db=-h)) / (2 * h), rel_tol=1e-6, abs_tol=1e-8)


def test_support_mismatch_is_infinite_elementwise(tg_device):
    low, high = _t([-0.5, 0.0, 0.2], tg_device), _t([0.5, 2.0, 0.9], tg_device)
    for q in (D.Exponential(_t([1.0, 2.0, 3.0], tg_device)), D.Gamma(_t(2.0, tg_device), _t([1.0, 2.0, 3.0], tg_device))):
        kl = to_numpy(D.kl_divergence(D.Uniform(low, high), q))
        assert np.isinf(kl[0]) and np.isfinite(kl[1:]).all(), type(q).__name__
    kl = to_numpy(D.kl_divergence(D.Uniform(low, high), D.Beta(_t(2.0, tg_device), _t(3.0, tg_device))))
    assert np.isinf(kl[:2]).all() and np.isfinite(kl[2])
    kl = to_numpy(D.kl_divergence(D.Beta(_t([2.0, 2.0, 2.0], tg_device), _t(3.0, tg_device)), D.Uniform(low, high)))
    assert np.isinf(kl).tolist() == [True, False, True]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_always_infinite_pairs_take_the_shape_and_dtype_of_p(tg_device, dtype):
    dt = getattr(tg, dtype)
    v = _t([0.5, 1.5, 2.5], tg_device, dt)
    w = _t([[0.7], [1.3]], tg_device, dt)  # q's batch shape does not enter, as in PyTorch
    ps = [D.Normal(v, v), D.Laplace(v, v), D.Exponential(v), D.Gamma(v, v), D.Poisson(v)]
    qs = {"Normal": ["Beta", "Exponential", "Gamma", "Uniform"], "Laplace": ["Beta", "Exponential", "Gamma", "Uniform"],
          "Exponential": ["Beta", "Uniform"], "Gamma": ["Beta", "Uniform"], "Poisson": ["Bernoulli", "Binomial"]}
    build_q = {"Beta": lambda: D.Beta(w, w), "Exponential": lambda: D.Exponential(w), "Gamma": lambda: D.Gamma(w, w),
               "Uniform": lambda: D.Uniform(-w, w), "Bernoulli": lambda: D.Bernoulli(w / 2),
               "Binomial": lambda: D.Binomial(10, w / 2)}
    for p in ps:
        for q_name in qs[type(p).__name__]:
            kl = D.kl_divergence(p, build_q[q_name]())
            assert tuple(kl.shape) == (3,) and kl.dtype == dt, (type(p).__name__, q_name)
            assert np.isposinf(to_numpy(kl)).all()


def test_gamma_exponential_no_longer_falls_back_to_bregman(tg_device):
    # both are exponential families; the cross pair has a closed form of its own
    kl = D.kl_divergence(D.Gamma(_t(1.0, tg_device), _t(2.0, tg_device)), D.Exponential(_t(3.0, tg_device)))
    # Gamma(1, 2) is Exponential(2): KL = log(2/3) + 3/2 - 1
    assert math.isclose(kl.item(), math.log(2 / 3) + 0.5, rel_tol=1e-12)


# --------------------------------------------------------------------------- the incomplete gamma
def test_gammainc_matches_scipy_to_1e12(tg_device):
    special = pytest.importorskip("scipy.special", reason="SciPy is the reference here (not a runtime dependency)")
    from tensorgraft.distributions._sampling import gammainc
    rng = np.random.default_rng(20)
    # shapes from 1e-3 to 1e4, x from far below to far above the shape (both expansions, the switch at a + 1)
    a = np.exp(rng.uniform(np.log(1e-3), np.log(1e4), 20000))
    x = a * np.exp(rng.uniform(np.log(1e-2), np.log(5.0), 20000))
    got = to_numpy(gammainc(_t(a, tg_device), _t(x, tg_device)))
    want = special.gammainc(a, x)
    # SciPy itself loses digits in the far lower tail of large shapes (~1e-12 below 1e-30, ~1e-11
    # below 1e-200; mpmath confirms the values here there, see the next test)
    keep = want > 1e-30
    assert keep.mean() > 0.75
    np.testing.assert_allclose(got[keep], want[keep], rtol=1e-12, atol=0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-300)  # SciPy flushes subnormals to 0


def test_gammainc_far_lower_tail_against_mpmath(tg_device):
    mpmath = pytest.importorskip("mpmath", reason="mpmath is the high-precision reference")
    from tensorgraft.distributions._sampling import gammainc
    mpmath.mp.dps = 40
    rng = np.random.default_rng(22)
    a = np.exp(rng.uniform(np.log(50.0), np.log(1e4), 60))
    x = a * rng.uniform(0.05, 0.7, 60)
    got = to_numpy(gammainc(_t(a, tg_device), _t(x, tg_device)))
    want = np.array([float(mpmath.gammainc(ai, 0, xi, regularized=True)) for ai, xi in zip(a, x)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_gammainc_far_lower_tail_of_a_large_shape(tg_device):
    from tensorgraft.distributions._sampling import gammainc
    # P(a, x) for integer a is the Poisson tail 1 - sum_{k < a} e^-x x^k / k! = sum_{k >= a} e^-x x^k / k!
    a, x = 400, 150.0
    terms = [math.exp(k * math.log(x) - x - math.lgamma(k + 1)) for k in range(a, a + 400)]
    assert math.isclose(gammainc(_t(float(a), tg_device), _t(x, tg_device)).item(), math.fsum(terms), rel_tol=1e-12)


def test_gammainc_limits_and_dtype(tg_device):
    from tensorgraft.distributions._sampling import gammainc
    inf, nan = math.inf, math.nan
    a = [1.0, 1.0, 0.0, -1.0, inf, inf, 0.0, 0.0, 0.0, 2.0, nan, 3.0]
    x = [-1.0, 0.0, -1.0, 0.0, 1.0, inf, 0.0, 1e-300, inf, nan, 1.0, inf]
    want = [nan, 0.0, nan, nan, 0.0, nan, nan, 1.0, 1.0, nan, nan, 1.0]
    np.testing.assert_array_equal(to_numpy(gammainc(_t(a, tg_device), _t(x, tg_device))), want)
    out = gammainc(_t([2.0], tg_device, tg.float32), _t([1.0], tg_device, tg.float32))
    assert out.dtype == tg.float32 and math.isclose(out.item(), 1 - 2 * math.exp(-1), rel_tol=1e-6)


def test_gammainc_is_fast_on_a_large_batch():
    import time
    from tensorgraft.distributions._sampling import gammainc
    rng = np.random.default_rng(21)
    a = rng.uniform(0.1, 50.0, 40000)
    x = a * rng.uniform(0.05, 3.0, 40000)
    start = time.perf_counter()
    gammainc(tg.tensor(a), tg.tensor(x))
    # a few hundred vectorised steps at most; the per-element loop it replaces took minutes here
    assert time.perf_counter() - start < 5.0
