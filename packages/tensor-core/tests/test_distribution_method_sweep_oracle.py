"""A sweep of every public distribution's methods against ``torch.distributions``: the same
batched parameters on both libraries, then shapes, ``has_rsample``/``has_enumerate_support``,
support and ``arg_constraints`` (printed), repr, mean, mode, variance, stddev, entropy, perplexity,
log_prob, cdf, icdf, enumerate_support, expand, sample shapes and dtypes, float32 parameters, and
the validation errors (invalid and NaN parameters, values outside the support). Each result is a
value or an exception; both libraries must give the same one (type and text for exceptions)."""
import warnings
import zlib

import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")

B = 2


def _simplex(r, *shape):
    p = r.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _tril(r, n, batch=()):
    a = r.standard_normal(batch + (n, n))
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))


def _corr_tril(r, n):
    s = _tril(r, n, (B,))
    s = s @ np.swapaxes(s, -1, -2)
    d = np.sqrt(np.diagonal(s, axis1=-2, axis2=-1))
    return np.linalg.cholesky(s / d[..., :, None] / d[..., None, :])


# name -> (parameters(rng), build(D, lib, *tensors), a value in the support(rng) or None)
CASES = {
 "Bernoulli": (lambda r: [r.uniform(.1, .9, B)], lambda D, L, p: D.Bernoulli(p), lambda r: np.array([0., 1.])),
 "Bernoulli_logits": (lambda r: [r.standard_normal(B)], lambda D, L, p: D.Bernoulli(logits=p), lambda r: np.array([1., 0.])),
 "Beta": (lambda r: [r.uniform(.5, 3, B), r.uniform(.5, 3, B)], lambda D, L, a, b: D.Beta(a, b), lambda r: r.uniform(.1, .9, B)),
 "Binomial": (lambda r: [r.uniform(.1, .9, B)], lambda D, L, p: D.Binomial(5, p), lambda r: np.array([2., 5.])),
 "Categorical": (lambda r: [_simplex(r, B, 3)], lambda D, L, p: D.Categorical(p), lambda r: np.array([0., 2.])),
 "Cauchy": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.Cauchy(m, s), lambda r: r.standard_normal(B)),
 "Chi2": (lambda r: [r.uniform(1, 4, B)], lambda D, L, d: D.Chi2(d), lambda r: r.uniform(.1, 3, B)),
 "ContinuousBernoulli": (lambda r: [r.uniform(.1, .9, B)], lambda D, L, p: D.ContinuousBernoulli(p), lambda r: r.uniform(.1, .9, B)),
 "Dirichlet": (lambda r: [r.uniform(.5, 3, (B, 3))], lambda D, L, c: D.Dirichlet(c), lambda r: _simplex(r, B, 3)),
 "Exponential": (lambda r: [r.uniform(.5, 3, B)], lambda D, L, x: D.Exponential(x), lambda r: r.uniform(.1, 3, B)),
 "FisherSnedecor": (lambda r: [r.uniform(5, 9, B), r.uniform(5, 9, B)], lambda D, L, a, b: D.FisherSnedecor(a, b), lambda r: r.uniform(.1, 3, B)),
 "Gamma": (lambda r: [r.uniform(.5, 3, B), r.uniform(.5, 3, B)], lambda D, L, a, b: D.Gamma(a, b), lambda r: r.uniform(.1, 3, B)),
 "GeneralizedPareto": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B), r.uniform(-.3, .3, B)], lambda D, L, m, s, c: D.GeneralizedPareto(m, s, c), None),
 "Geometric": (lambda r: [r.uniform(.1, .9, B)], lambda D, L, p: D.Geometric(p), lambda r: np.array([0., 3.])),
 "Gumbel": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.Gumbel(m, s), lambda r: r.standard_normal(B)),
 "HalfCauchy": (lambda r: [r.uniform(.5, 2, B)], lambda D, L, s: D.HalfCauchy(s), lambda r: r.uniform(.1, 3, B)),
 "HalfNormal": (lambda r: [r.uniform(.5, 2, B)], lambda D, L, s: D.HalfNormal(s), lambda r: r.uniform(.1, 3, B)),
 "Independent": (lambda r: [r.standard_normal((B, 3)), r.uniform(.5, 2, (B, 3))], lambda D, L, m, s: D.Independent(D.Normal(m, s), 1), lambda r: r.standard_normal((B, 3))),
 "InverseGamma": (lambda r: [r.uniform(2.5, 4, B), r.uniform(.5, 3, B)], lambda D, L, a, b: D.InverseGamma(a, b), lambda r: r.uniform(.1, 3, B)),
 "Kumaraswamy": (lambda r: [r.uniform(1, 3, B), r.uniform(1, 3, B)], lambda D, L, a, b: D.Kumaraswamy(a, b), lambda r: r.uniform(.1, .9, B)),
 "LKJCholesky": (lambda r: [np.array([0.5, 2.0])], lambda D, L, c: D.LKJCholesky(3, c), lambda r: _corr_tril(r, 3)),
 "Laplace": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.Laplace(m, s), lambda r: r.standard_normal(B)),
 "LogNormal": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.LogNormal(m, s), lambda r: r.uniform(.1, 3, B)),
 "LogisticNormal": (lambda r: [r.standard_normal((B, 2)), r.uniform(.5, 2, (B, 2))], lambda D, L, m, s: D.LogisticNormal(m, s), lambda r: _simplex(r, B, 3)),
 "LowRankMultivariateNormal": (lambda r: [r.standard_normal((B, 3)), r.standard_normal((B, 3, 2)), r.uniform(.5, 2, (B, 3))], lambda D, L, m, w, d: D.LowRankMultivariateNormal(m, w, d), lambda r: r.standard_normal((B, 3))),
 "MixtureSameFamily": (lambda r: [_simplex(r, B, 3), r.standard_normal((B, 3)), r.uniform(.5, 2, (B, 3))], lambda D, L, p, m, s: D.MixtureSameFamily(D.Categorical(p), D.Normal(m, s)), lambda r: r.standard_normal(B)),
 "Multinomial": (lambda r: [_simplex(r, B, 3)], lambda D, L, p: D.Multinomial(4, p), lambda r: np.array([[1., 2., 1.], [0., 0., 4.]])),
 "MultivariateNormal": (lambda r: [r.standard_normal((B, 3)), _tril(r, 3, (B,))], lambda D, L, m, t: D.MultivariateNormal(m, scale_tril=t), lambda r: r.standard_normal((B, 3))),
 "NegativeBinomial": (lambda r: [r.uniform(1, 4, B), r.uniform(.1, .9, B)], lambda D, L, n, p: D.NegativeBinomial(n, p), lambda r: np.array([0., 3.])),
 "Normal": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.Normal(m, s), lambda r: r.standard_normal(B)),
 "OneHotCategorical": (lambda r: [_simplex(r, B, 3)], lambda D, L, p: D.OneHotCategorical(p), lambda r: np.array([[0., 1., 0.], [1., 0., 0.]])),
 "OneHotCategoricalStraightThrough": (lambda r: [_simplex(r, B, 3)], lambda D, L, p: D.OneHotCategoricalStraightThrough(p), lambda r: np.array([[0., 1., 0.], [1., 0., 0.]])),
 "Pareto": (lambda r: [r.uniform(.5, 2, B), r.uniform(2.5, 4, B)], lambda D, L, s, a: D.Pareto(s, a), lambda r: r.uniform(2, 3, B)),
 "Poisson": (lambda r: [r.uniform(.5, 3, B)], lambda D, L, x: D.Poisson(x), lambda r: np.array([0., 3.])),
 "RelaxedBernoulli": (lambda r: [r.uniform(.1, .9, B)], lambda D, L, p: D.RelaxedBernoulli(L.tensor(0.7, dtype=L.float64), p), lambda r: r.uniform(.1, .9, B)),
 "RelaxedOneHotCategorical": (lambda r: [_simplex(r, B, 3)], lambda D, L, p: D.RelaxedOneHotCategorical(L.tensor(0.7, dtype=L.float64), p), lambda r: _simplex(r, B, 3)),
 "StudentT": (lambda r: [r.uniform(3, 5, B), r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, d, m, s: D.StudentT(d, m, s), lambda r: r.standard_normal(B)),
 "TransformedDistribution": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, s: D.TransformedDistribution(D.Normal(m, s), [D.ExpTransform(), D.AffineTransform(1.0, 2.0)]), lambda r: r.uniform(1.5, 4, B)),
 "Uniform": (lambda r: [r.uniform(-1, 0, B), r.uniform(1, 2, B)], lambda D, L, a, b: D.Uniform(a, b), lambda r: r.uniform(0, 1, B)),
 "VonMises": (lambda r: [r.standard_normal(B), r.uniform(.5, 2, B)], lambda D, L, m, k: D.VonMises(m, k), lambda r: r.uniform(-3, 3, B)),
 "Weibull": (lambda r: [r.uniform(.5, 2, B), r.uniform(.5, 2, B)], lambda D, L, s, c: D.Weibull(s, c), lambda r: r.uniform(.1, 3, B)),
 "Wishart": (lambda r: [np.array([4.0, 5.0]), _tril(r, 2, (B,))], lambda D, L, df, t: D.Wishart(df, scale_tril=t), None),
}
CASES.update({
    "Binomial_counts": (lambda r: [np.array([3.0, 5.0]), r.uniform(.1, .9, B)],
                        lambda D, L, n, p: D.Binomial(n, p), lambda r: np.array([3., 1.])),
    "Categorical_logits": (lambda r: [r.standard_normal((B, 4))], lambda D, L, x: D.Categorical(logits=x),
                           lambda r: np.array([3., 0.])),
    "Geometric_logits": (lambda r: [r.standard_normal(B)], lambda D, L, x: D.Geometric(logits=x), lambda r: np.array([2., 0.])),
    "NegativeBinomial_logits": (lambda r: [r.uniform(1, 4, B), r.standard_normal(B)],
                                lambda D, L, n, x: D.NegativeBinomial(n, logits=x), lambda r: np.array([1., 4.])),
    "Beta_edges": (lambda r: [np.array([0.5, 1.0]), np.array([1.0, 0.3])], lambda D, L, a, b: D.Beta(a, b),
                   lambda r: r.uniform(.1, .9, B)),
    "Dirichlet_edges": (lambda r: [np.array([[0.5, 0.5, 3.0], [1.0, 1.0, 1.0]])], lambda D, L, c: D.Dirichlet(c),
                        lambda r: _simplex(r, B, 3)),
    "StudentT_heavy": (lambda r: [np.array([0.7, 1.5]), r.standard_normal(B), r.uniform(.5, 2, B)],
                       lambda D, L, d, m, s: D.StudentT(d, m, s), lambda r: r.standard_normal(B)),
    "Pareto_heavy": (lambda r: [r.uniform(.5, 2, B), np.array([0.7, 1.5])], lambda D, L, s, a: D.Pareto(s, a),
                     lambda r: r.uniform(2, 3, B)),
    "FisherSnedecor_heavy": (lambda r: [np.array([1.0, 3.0]), np.array([1.5, 3.0])],
                             lambda D, L, a, b: D.FisherSnedecor(a, b), lambda r: r.uniform(.1, 3, B)),
    "InverseGamma_heavy": (lambda r: [np.array([0.5, 1.5]), r.uniform(.5, 3, B)],
                           lambda D, L, a, b: D.InverseGamma(a, b), lambda r: r.uniform(.1, 3, B)),
})

# (case, method) pairs where PyTorch's answer is wrong and tensorgraft follows the mathematics,
# each checked on its own below
TORCH_WRONG = {
    ("Kumaraswamy", "mode"),             # NaN for every parameter in PyTorch
    ("Beta_edges", "mode"),              # Beta(1, 0.3) peaks at 1; PyTorch: NaN
    ("GeneralizedPareto", "log_prob"),   # PyTorch's own samples fail its log_prob (float/double mix)
    ("GeneralizedPareto", "cdf_mid"),
}


def _value(lib, v):
    return v if not isinstance(v, np.ndarray) else lib.tensor(v, dtype=lib.float64)


def _method(lib, name, what):
    r = np.random.default_rng(zlib.crc32(name.encode()))  # the same parameters for both libraries
    make, build, draw = CASES[name]
    arrays = make(r)
    params = [lib.tensor(p, dtype=lib.float64) for p in arrays]
    D = lib.distributions
    d = build(D, lib, *params)
    v = _value(lib, draw(r)) if draw else None
    wider = (4,) + tuple(d.batch_shape)

    def with_params(*ps):
        return build(D, lib, *ps)

    def outside():
        dv = with_params(*params)
        dv._validate_args = True
        return dv.log_prob(-5 * lib.ones_like(v) if v is not None else lib.tensor(-5.0, dtype=lib.float64))

    def float32(attr):
        x = getattr(with_params(*[p.float() for p in params]), attr)
        return x() if callable(x) else x

    table = {
        "batch_shape": lambda: tuple(d.batch_shape), "event_shape": lambda: tuple(d.event_shape),
        "has_rsample": lambda: d.has_rsample, "has_enumerate_support": lambda: d.has_enumerate_support,
        "support": lambda: str(d.support), "repr": lambda: repr(d),
        "arg_constraints": lambda: {k: str(c) for k, c in d.arg_constraints.items()},
        "mean": lambda: d.mean, "mode": lambda: d.mode, "variance": lambda: d.variance, "stddev": lambda: d.stddev,
        "entropy": lambda: d.entropy(), "perplexity": lambda: d.perplexity(),
        "log_prob": lambda: d.log_prob(v) if v is not None else tuple(d.log_prob(d.sample()).shape),
        "cdf": lambda: d.cdf(v), "cdf_mid": lambda: d.cdf(d.mean) if d.event_shape == () else None,
        "icdf": lambda: d.icdf(lib.tensor([0.3, 0.8], dtype=lib.float64)),
        "enumerate_support": lambda: d.enumerate_support(),
        "enumerate_support_unexpanded": lambda: d.enumerate_support(expand=False),
        "expand": lambda: (tuple(d.expand(wider).batch_shape), type(d.expand(wider)).__name__),
        "expand_mean": lambda: d.expand(wider).mean,
        "expand_log_prob": lambda: d.expand(wider).log_prob(v) if v is not None else None,
        "sample": lambda: (tuple(d.sample((3,)).shape), str(d.sample((3,)).dtype)),
        "sample_scalar": lambda: tuple(d.sample().shape), "sample_2d": lambda: tuple(d.sample((2, 1)).shape),
        "rsample": lambda: tuple(d.rsample((3,)).shape),
        "invalid_params": lambda: repr(with_params(*[-(lib.abs(p) + 1) for p in params])),
        "nan_params": lambda: repr(with_params(*[p * float("nan") for p in params])),
        "outside_support": outside,
        "mean_float32": lambda: float32("mean"), "variance_float32": lambda: float32("variance"),
        "entropy_float32": lambda: float32("entropy"),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return table[what]()
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return e


METHODS = ["batch_shape", "event_shape", "has_rsample", "has_enumerate_support", "support", "repr",
           "arg_constraints", "mean", "mode", "variance", "stddev", "entropy", "perplexity", "log_prob", "cdf",
           "cdf_mid", "icdf", "enumerate_support", "enumerate_support_unexpanded", "expand", "expand_mean",
           "expand_log_prob", "sample", "sample_scalar", "sample_2d", "rsample", "invalid_params", "nan_params",
           "outside_support", "mean_float32", "variance_float32", "entropy_float32"]

# tensorgraft's linalg.cholesky does not reject NaN input (PyTorch raises from inside the
# constructor before validating), and words its error without PyTorch's batch element / minor
LINALG_GAPS = {("LowRankMultivariateNormal", "invalid_params"), ("LowRankMultivariateNormal", "nan_params")}


# PyTorch approximates the modified Bessel functions (VonMises) and sums over an enumerated support
# in float32-accurate steps (Multinomial's entropy): ~1e-8 relative; tensorgraft is exact to
# float64 (see test_torch_approximations_are_not_followed)
TORCH_APPROXIMATE = {("VonMises", w) for w in ("variance", "stddev", "log_prob", "expand_log_prob", "outside_support")}
TORCH_APPROXIMATE |= {("Multinomial", "entropy"), ("Multinomial", "perplexity")}
# PyTorch reports a bad LKJ concentration as the parameter of an internal Dirichlet of another
# shape; tensorgraft names LKJCholesky's own parameter (same exception type)
OWN_ERROR_TEXT = {("LKJCholesky", "invalid_params"), ("LKJCholesky", "nan_params")}


def _same_text(a, b):
    # class paths differ only in the package name
    return str(a).replace("tensorgraft", "torch") == str(b)


@pytest.mark.parametrize("what", METHODS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_method_matches_torch(name, what):
    if (name, what) in TORCH_WRONG:
        pytest.skip("PyTorch's value is wrong here; checked against the mathematics below")
    got, want = _method(tg, name, what), _method(torch, name, what)
    if isinstance(want, Exception) or isinstance(got, Exception):
        assert isinstance(want, Exception) and isinstance(got, Exception), (got, want)
        if (name, what) in LINALG_GAPS or (name, what) in OWN_ERROR_TEXT:
            assert isinstance(got, (RuntimeError, ValueError))
            return
        assert type(got).__name__ == type(want).__name__, (got, want)
        assert _same_text(got, want), (str(got), str(want))
        return
    if isinstance(want, torch.Tensor):
        assert isinstance(got, tg.Tensor), got
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
        tol = dict(rtol=1e-9, atol=1e-12) if want.dtype == torch.float64 else dict(rtol=2e-5, atol=1e-6)
        if (name, what) in TORCH_APPROXIMATE:
            tol = dict(rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(np.asarray(got.detach().cpu(), dtype=np.float64),
                                   want.detach().double().numpy(), equal_nan=True, **tol)
    else:
        assert got == want


def test_torch_wrong_cases_follow_the_mathematics():
    D = tg.distributions
    # Kumaraswamy(a, b) peaks at ((a - 1) / (a b - 1)) ** (1 / a) for a, b >= 1 (not both 1)
    a, b = tg.tensor([2.0, 3.0], dtype=tg.float64), tg.tensor([3.0, 2.0], dtype=tg.float64)
    x = np.linspace(1e-4, 1 - 1e-4, 200001)
    mode = D.Kumaraswamy(a, b).mode.numpy()
    for i in range(2):
        ai, bi = float(a[i]), float(b[i])
        density = ai * bi * x ** (ai - 1) * (1 - x ** ai) ** (bi - 1)
        assert abs(mode[i] - x[np.argmax(density)]) < 1e-4
    # Beta(1, 0.3): density 0.3 (1 - x) ** -0.7 grows without bound toward 1
    assert D.Beta(tg.tensor(1.0), tg.tensor(0.3)).mode.item() == 1.0
    assert D.Beta(tg.tensor(0.3), tg.tensor(1.0)).mode.item() == 0.0
    gp = D.GeneralizedPareto(tg.tensor([0.0, 1.0], dtype=tg.float64), tg.tensor([1.0, 2.0], dtype=tg.float64),
                             tg.tensor([0.2, -0.2], dtype=tg.float64))
    s = gp.sample((5,))
    lp, c = gp.log_prob(s), gp.cdf(gp.mean)
    assert lp.dtype == tg.float64 and bool(tg.isfinite(lp).all()) and bool(((c > 0) & (c < 1)).all())


def test_torch_approximations_are_not_followed():
    special = pytest.importorskip("scipy.special", reason="SciPy gives the Bessel functions")
    D = tg.distributions
    k = np.array([0.7, 1.9, 25.0])
    vm = D.VonMises(tg.zeros(3, dtype=tg.float64), tg.tensor(k))
    np.testing.assert_allclose(vm.log_prob(tg.zeros(3, dtype=tg.float64)).numpy(),
                               k - np.log(2 * np.pi * special.i0(k)), rtol=1e-13)
    np.testing.assert_allclose(vm.variance.numpy(), 1 - special.i1(k) / special.i0(k), rtol=1e-13)
    # Multinomial(4, p): the entropy summed over all 15 outcomes
    p, n = np.array([0.2, 0.3, 0.5]), 4
    total = 0.0
    for a in range(n + 1):
        for b in range(n + 1 - a):
            counts = np.array([a, b, n - a - b])
            pr = special.factorial(n) / np.prod(special.factorial(counts)) * np.prod(p ** counts)
            total -= pr * np.log(pr)
    assert abs(D.Multinomial(n, tg.tensor(p)).entropy().item() - total) < 1e-13
