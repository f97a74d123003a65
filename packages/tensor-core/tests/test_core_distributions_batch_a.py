"""The first batch of added distributions without PyTorch: densities integrated numerically (total
mass, mean, variance, entropy, CDF), quantiles inverting the CDF, sample moments and
Kolmogorov-Smirnov distances on many seeded draws, reparameterized gradients against finite
differences, KL divergences against Monte Carlo estimates, validation, expand and module paths;
all on every device (``tg_device``)."""
import math
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

D = tg.distributions


def _t(a, dev, dtype=None, **kw):
    return tg.tensor(a, dtype=dtype or tg.float64, device=dev, **kw)


def _trapezoid(y, x, axis=0):
    """The trapezoid rule along axis 0 (``numpy.trapz`` was renamed across NumPy versions)."""
    assert axis == 0
    return ((y[1:] + y[:-1]) * 0.5 * np.diff(x, axis=0)).sum(axis=0)


def _needs_autograd():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


# name -> (constructor on a device, integration interval holding all but a negligible mass)
FAMILIES = {
    "HalfNormal": (lambda dev: D.HalfNormal(_t([0.7, 2.0], dev)), (0.0, 20.0)),
    "Gumbel": (lambda dev: D.Gumbel(_t([0.3, -1.0], dev), _t([1.5, 0.6], dev)), (-12.0, 60.0)),
    "Weibull": (lambda dev: D.Weibull(_t([1.3, 0.6], dev), _t([1.5, 3.0], dev)), (0.0, 30.0)),
    "Pareto": (lambda dev: D.Pareto(_t([1.0, 1.0], dev), _t([6.0, 9.0], dev)), (1.0, 400.0)),
    "GeneralizedPareto": (lambda dev: D.GeneralizedPareto(_t([0.1, -1.0], dev), _t([1.3, 0.5], dev),
                                                          _t([0.1, -0.4], dev)), (-1.0, 300.0)),
    "GeneralizedPareto_zero": (lambda dev: D.GeneralizedPareto(_t([0.1, 1.0], dev), _t([1.3, 0.5], dev),
                                                               _t([0.0, 0.0], dev)), (0.1, 80.0)),
    "InverseGamma": (lambda dev: D.InverseGamma(_t([6.0, 8.0], dev), _t([2.0, 5.0], dev)), (0.0, 40.0)),
    "Kumaraswamy": (lambda dev: D.Kumaraswamy(_t([1.5, 3.0], dev), _t([2.0, 4.5], dev)), (0.0, 1.0)),
    "FisherSnedecor": (lambda dev: D.FisherSnedecor(_t([6.0, 12.0], dev), _t([14.0, 20.0], dev)), (0.0, 200.0)),
    "ContinuousBernoulli": (lambda dev: D.ContinuousBernoulli(_t([0.2, 0.9], dev)), (0.0, 1.0)),
    "ContinuousBernoulli_half": (lambda dev: D.ContinuousBernoulli(_t([0.5, 0.4995], dev)), (0.0, 1.0)),
    "ContinuousBernoulli_logits": (lambda dev: D.ContinuousBernoulli(logits=_t([-2.0, 0.7], dev)), (0.0, 1.0)),
}


def _grid_integrals(dist, lo, hi, device, n=400001):
    """Mass, mean, variance and entropy of each batch member by the trapezoid rule on [lo, hi]."""
    # cubic spacing: fine near ``lo``, where most densities here have their steepest part
    x = (lo + (hi - lo) * np.linspace(0.0, 1.0, n) ** 3)[:, None]
    inner = x[1:-1]  # densities can be infinite or undefined at an end point
    xt = tg.tensor(np.broadcast_to(inner, (inner.shape[0],) + tuple(dist.batch_shape)).copy(),
                   dtype=tg.float64, device=device)
    grid_dist = dist.expand((inner.shape[0],) + tuple(dist.batch_shape))
    grid_dist._validate_args = False  # the grid may leave a member's support (density 0 there)
    with tg.no_grad():
        logp = to_numpy(grid_dist.log_prob(xt))
    p = np.exp(logp)
    xs = np.broadcast_to(inner, p.shape)
    mass = _trapezoid(p, xs, axis=0)
    mean = _trapezoid(p * xs, xs, axis=0)
    var = _trapezoid(p * (xs - mean) ** 2, xs, axis=0)
    ent = -_trapezoid(np.where(p > 0, p * logp, 0.0), xs, axis=0)
    return mass, mean, var, ent, xs, p


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_density_integrates_to_the_closed_forms(tg_device, name):
    make, (lo, hi) = FAMILIES[name]
    dist = make(tg_device)
    mass, mean, var, ent, xs, p = _grid_integrals(dist, lo, hi, tg_device)
    np.testing.assert_allclose(mass, 1.0, atol=2e-4)
    np.testing.assert_allclose(mean, to_numpy(dist.mean), rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(var, to_numpy(dist.variance), rtol=5e-3, atol=1e-5)
    np.testing.assert_allclose(to_numpy(dist.stddev), np.sqrt(to_numpy(dist.variance)), rtol=1e-12)
    if name == "FisherSnedecor":
        return  # no entropy, cdf or icdf, as in PyTorch
    np.testing.assert_allclose(ent, to_numpy(dist.entropy()), rtol=2e-3, atol=2e-4)
    # the CDF at interior points equals the integrated density (0 or 1 outside a member's support);
    # icdf inverts it
    dist = dist.expand(dist.batch_shape)
    dist._validate_args = False
    cut = xs.shape[0] // 2
    partial = _trapezoid(p[:cut], xs[:cut], axis=0)
    at = _t(xs[cut - 1], tg_device)
    np.testing.assert_allclose(to_numpy(dist.cdf(at)), partial, atol=3e-4)
    if name == "InverseGamma":
        return  # no icdf, as in PyTorch (the Gamma it inverts has none)
    probs = _t(np.array([[0.05] * 2, [0.5] * 2, [0.93] * 2]), tg_device)
    np.testing.assert_allclose(to_numpy(dist.cdf(dist.icdf(probs))), to_numpy(probs), rtol=1e-7, atol=1e-9)


def test_von_mises_density_and_circular_variance(tg_device):
    dist = D.VonMises(_t([0.4, -2.0], tg_device), _t([0.5, 8.0], tg_device))
    x = np.linspace(-math.pi, math.pi, 200001)[:, None] * np.ones(2)
    p = np.exp(to_numpy(dist.expand((x.shape[0], 2)).log_prob(_t(x, tg_device))))
    np.testing.assert_allclose(_trapezoid(p, x, axis=0), 1.0, rtol=1e-9)
    resultant = _trapezoid(p * np.cos(x - np.array([0.4, -2.0])), x, axis=0)
    np.testing.assert_allclose(to_numpy(dist.variance), 1 - resultant, rtol=1e-8)
    # log_prob is 2 pi periodic: angles outside [-pi, pi) are allowed
    np.testing.assert_allclose(to_numpy(dist.log_prob(_t([0.1, 0.2], tg_device))),
                               to_numpy(dist.log_prob(_t([0.1 + 2 * math.pi, 0.2 - 4 * math.pi], tg_device))),
                               rtol=1e-12)
    assert to_numpy(dist.mean).tolist() == [0.4, -2.0] and to_numpy(dist.mode).tolist() == [0.4, -2.0]


def test_half_distributions_fold_their_base(tg_device):
    x = _t([0.3, 1.1, 2.5], tg_device)
    s = _t(1.7, tg_device)
    for half, full in ((D.HalfNormal(s), D.Normal(0.0, s)), (D.HalfCauchy(s), D.Cauchy(0.0, s))):
        np.testing.assert_allclose(to_numpy(half.log_prob(x)), to_numpy(full.log_prob(x)) + math.log(2), rtol=1e-12)
        np.testing.assert_allclose(to_numpy(half.cdf(x)), 2 * to_numpy(full.cdf(x)) - 1, rtol=1e-12)
        assert to_numpy(half.mode) == 0
    assert math.isinf(D.HalfCauchy(s).mean.item()) and math.isinf(D.HalfCauchy(s).variance.item())
    # without validation a negative value has density zero, not the Normal's
    off = D.HalfNormal(s, validate_args=False).log_prob(_t([-0.5], tg_device))
    assert to_numpy(off).tolist() == [-math.inf]


def test_moments_with_infinite_or_undefined_values(tg_device):
    p = D.Pareto(_t([1.0, 1.0, 1.0], tg_device), _t([0.8, 1.5, 3.0], tg_device))
    assert np.isinf(to_numpy(p.mean)).tolist() == [True, False, False]
    assert np.isinf(to_numpy(p.variance)).tolist() == [True, True, False]
    ig = D.InverseGamma(_t([0.5, 1.5, 3.0], tg_device), _t(1.0, tg_device))
    assert np.isinf(to_numpy(ig.mean)).tolist() == [True, False, False]
    assert np.isinf(to_numpy(ig.variance)).tolist() == [True, True, False]
    f = D.FisherSnedecor(_t([1.0, 3.0, 6.0], tg_device), _t([1.5, 3.0, 5.0], tg_device))
    assert np.isnan(to_numpy(f.mean)).tolist() == [True, False, False]
    assert np.isnan(to_numpy(f.mode)).tolist() == [True, False, False]
    assert np.isnan(to_numpy(f.variance)).tolist() == [True, True, False]
    g = D.GeneralizedPareto(_t(0.0, tg_device), _t(1.0, tg_device), _t([1.2, 0.7, 0.2], tg_device))
    assert np.isinf(to_numpy(g.mean)).tolist() == [True, False, False]
    assert np.isinf(to_numpy(g.variance)).tolist() == [True, True, False]
    w = D.Weibull(_t(1.0, tg_device), _t([0.7, 2.0], tg_device))
    assert np.isnan(to_numpy(w.mode)).tolist() == [True, False]
    np.testing.assert_allclose(to_numpy(w.mode)[1], math.sqrt(0.5), rtol=1e-12)


def test_kumaraswamy_mode_is_the_density_maximum(tg_device):
    # PyTorch's Kumaraswamy.mode is NaN for most parameters; here it is ((a - 1) / (a b - 1)) ** (1 / a)
    a, b = np.array([1.5, 3.0, 2.0, 0.5]), np.array([2.0, 4.5, 0.7, 2.0])
    k = D.Kumaraswamy(_t(a, tg_device), _t(b, tg_device))
    x = np.linspace(1e-6, 1 - 1e-6, 200001)[:, None] * np.ones(4)
    logp = to_numpy(k.expand((x.shape[0], 4)).log_prob(_t(x, tg_device)))
    mode = to_numpy(k.mode)
    np.testing.assert_allclose(mode[:2], x[np.argmax(logp[:, :2], axis=0), 0], atol=1e-4)
    assert np.isnan(mode[2:]).all()


def test_generalized_pareto_support_edges(tg_device):
    g = D.GeneralizedPareto(_t([0.0, 0.0], tg_device), _t([1.0, 1.0], tg_device), _t([-0.5, 0.5], tg_device),
                            validate_args=False)
    # outside the support: zero density and a CDF of 0 or 1 (PyTorch returns NaNs or finite garbage)
    np.testing.assert_array_equal(to_numpy(g.log_prob(_t([3.0, -1.0], tg_device))), [-math.inf, -math.inf])
    np.testing.assert_allclose(to_numpy(g.cdf(_t([3.0, -1.0], tg_device))), [1.0, 0.0])
    assert to_numpy(g.support.upper_bound).tolist() == [2.0, math.inf]
    assert g.support.check(_t([1.9, 1e6], tg_device)).all()
    assert not g.support.check(_t([2.1, -0.1], tg_device)).any()


def test_continuous_bernoulli_is_continuous_across_its_taylor_region(tg_device):
    # inside lims (0.499, 0.501) the closed forms are replaced by series: both must agree at the edges
    p = _t([0.49899999, 0.4990001, 0.5, 0.5009999, 0.50100001], tg_device)
    cb = D.ContinuousBernoulli(p)
    for values in (to_numpy(cb.mean), to_numpy(cb.variance), to_numpy(cb.entropy()),
                   to_numpy(cb.log_prob(_t(0.8, tg_device)))):
        steps = np.abs(np.diff(values))
        assert steps[0] < 1e-6 and steps[3] < 1e-6, steps  # 2e-7 apart in p, across each edge
    np.testing.assert_allclose(to_numpy(cb.mean)[2], 0.5, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(cb.variance)[2], 1 / 12, rtol=1e-12)
    assert abs(to_numpy(cb.entropy())[2]) < 1e-12
    # probs in {0, 1} are nudged inside so every log stays finite
    edge = D.ContinuousBernoulli(_t([0.0, 1.0], tg_device))
    assert np.isfinite(to_numpy(edge.log_prob(_t([0.3, 0.3], tg_device)))).all()
    # A(eta) = log((e^eta - 1) / eta) and the logits parameterization agree with probs
    x = _t([-3.0, -1e-4, 0.0, 2e-4, 1.5], tg_device)
    ref = [math.log(math.expm1(v) / v) if v else 0.0 for v in (-3.0, -1e-4, 0.0, 2e-4, 1.5)]
    np.testing.assert_allclose(to_numpy(cb._log_normalizer(x)), ref, rtol=1e-9, atol=1e-15)
    by_logits = D.ContinuousBernoulli(logits=_t([-1.2, 0.4], tg_device))
    by_probs = D.ContinuousBernoulli(_t(1 / (1 + np.exp([1.2, -0.4])), tg_device))
    np.testing.assert_allclose(to_numpy(by_logits.log_prob(_t(0.3, tg_device))),
                               to_numpy(by_probs.log_prob(_t(0.3, tg_device))), rtol=1e-12)
    assert cb.param_shape == (5,) and by_logits._natural_params[0] is by_logits.logits


def test_logistic_normal_is_normal_through_stick_breaking(tg_device):
    ln = D.LogisticNormal(_t([0.3, -0.4], tg_device), _t([1.2, 0.5], tg_device))
    assert ln.event_shape == (3,) and ln.batch_shape == ()
    assert D.LogisticNormal(0.0, 1.0).event_shape == (2,)
    tg.manual_seed(0)
    s = ln.sample((2000,))
    np.testing.assert_allclose(to_numpy(s).sum(-1), 1.0, rtol=1e-12)
    assert (to_numpy(s) > 0).all() and ln.support.check(s).all()
    # density of the simplex point via the change of variables, written out for K = 2
    y = np.array([0.2, 0.5, 0.3])
    z = np.array([y[0] / (1 - 0), y[1] / (1 - y[0])])
    x = np.log(z / (1 - z)) + np.log([2.0, 1.0])  # the stick-breaking offset log(K - i)
    normal = -0.5 * ((x - [0.3, -0.4]) / [1.2, 0.5]) ** 2 - np.log([1.2, 0.5]) - 0.5 * math.log(2 * math.pi)
    log_jac = np.sum(np.log(z * (1 - z))) + math.log(1 - y[0])
    np.testing.assert_allclose(ln.log_prob(_t(y, tg_device)).item(), normal.sum() - log_jac, rtol=1e-10)
    assert ln.loc is ln.base_dist.base_dist.loc


# --------------------------------------------------------------------------- sampling
SAMPLED = {
    "HalfNormal": (lambda dev, dt: D.HalfNormal(_t(1.5, dev, dt)), True),
    "HalfCauchy": (lambda dev, dt: D.HalfCauchy(_t(1.5, dev, dt)), False),
    "Gumbel": (lambda dev, dt: D.Gumbel(_t(0.5, dev, dt), _t(2.0, dev, dt)), True),
    "Weibull": (lambda dev, dt: D.Weibull(_t(2.0, dev, dt), _t(1.7, dev, dt)), True),
    "Pareto": (lambda dev, dt: D.Pareto(_t(1.5, dev, dt), _t(9.0, dev, dt)), True),
    "GeneralizedPareto": (lambda dev, dt: D.GeneralizedPareto(_t(0.3, dev, dt), _t(1.3, dev, dt), _t(0.15, dev, dt)), True),
    "GeneralizedPareto_bounded": (lambda dev, dt: D.GeneralizedPareto(_t(0.3, dev, dt), _t(1.3, dev, dt),
                                                                      _t(-0.3, dev, dt)), True),
    "InverseGamma": (lambda dev, dt: D.InverseGamma(_t(6.0, dev, dt), _t(3.0, dev, dt)), True),
    "Kumaraswamy": (lambda dev, dt: D.Kumaraswamy(_t(1.5, dev, dt), _t(2.5, dev, dt)), True),
    "FisherSnedecor": (lambda dev, dt: D.FisherSnedecor(_t(7.0, dev, dt), _t(15.0, dev, dt)), True),
    "ContinuousBernoulli": (lambda dev, dt: D.ContinuousBernoulli(_t(0.25, dev, dt)), True),
    "ContinuousBernoulli_half": (lambda dev, dt: D.ContinuousBernoulli(_t(0.5, dev, dt)), True),
}
N_DRAWS = 40000


def _ks(samples, cdf_values_sorted):
    n = len(samples)
    return max(np.max(np.arange(1, n + 1) / n - cdf_values_sorted), np.max(cdf_values_sorted - np.arange(n) / n))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(SAMPLED))
def test_samples_follow_the_distribution(tg_device, name, dtype):
    make, finite_variance = SAMPLED[name]
    dist = make(tg_device, getattr(tg, dtype))
    tg.manual_seed(0)
    s = dist.sample((N_DRAWS,))
    assert tuple(s.shape) == (N_DRAWS,) and s.dtype == getattr(tg, dtype) and s.device.type == tg_device
    x = np.sort(to_numpy(s).astype(np.float64))
    assert bool(dist.support.check(s).all())
    if name != "FisherSnedecor":  # the only one without a cdf
        with tg.no_grad():
            at = tg.tensor(x, dtype=tg.float64, device=tg_device).to(getattr(tg, dtype))
            f = to_numpy(dist.cdf(at)).astype(np.float64)
        limit = 1.95 / math.sqrt(len(x))  # 0.1% level
        assert _ks(x, f) < limit + (2e-5 if dtype == "float32" else 0)
    if finite_variance:
        var = float(to_numpy(dist.variance))
        assert abs(x.mean() - float(to_numpy(dist.mean))) < 5 * math.sqrt(var / N_DRAWS)
        assert abs(x.var() - var) < 0.12 * var  # all fourth moments here are finite
    tg.manual_seed(3)
    again = to_numpy(dist.sample((5,)))
    tg.manual_seed(3)
    np.testing.assert_array_equal(again, to_numpy(dist.sample((5,))))


def test_von_mises_samples(tg_device):
    loc, kappas = 2.9, [0.01, 0.8, 4.0, 60.0]
    for dtype in (tg.float64, tg.float32):
        dist = D.VonMises(_t(loc, tg_device, dtype), _t(kappas, tg_device, dtype))
        tg.manual_seed(1)
        s = dist.sample((N_DRAWS,))
        assert tuple(s.shape) == (N_DRAWS, 4) and s.dtype == dtype and not s.requires_grad
        x = to_numpy(s).astype(np.float64)
        assert (x >= -math.pi).all() and (x < math.pi + 1e-6).all()  # wrapped around loc = 2.9
        # E[cos(X - loc)] = I1/I0 = 1 - variance, E[sin(X - loc)] = 0; per-draw spread is at most 1
        se = 1 / math.sqrt(N_DRAWS)
        np.testing.assert_allclose(np.cos(x - loc).mean(0), 1 - to_numpy(dist.variance).astype(np.float64), atol=5 * se)
        np.testing.assert_allclose(np.sin(x - loc).mean(0), 0.0, atol=5 * se)
    with pytest.raises(NotImplementedError):
        dist.rsample()


def test_logistic_normal_sample_shapes(tg_device):
    ln = D.LogisticNormal(_t([[0.1, 0.2, 0.3]] * 2, tg_device), _t(1.0, tg_device))
    assert ln.batch_shape == (2,) and ln.event_shape == (4,)
    assert tuple(ln.sample((5,)).shape) == (5, 2, 4) and tuple(ln.rsample().shape) == (2, 4)
    e = ln.expand((3, 2))
    assert e.batch_shape == (3, 2) and tuple(e.sample().shape) == (3, 2, 4)
    assert tuple(e.log_prob(ln.sample()).shape) == (3, 2)


# --------------------------------------------------------------------------- gradients
# samplers that are a deterministic function of the parameters and of a base draw that does not
# depend on them: the same seed gives the same draw, so a central difference of the samples is
# the pathwise derivative autograd should produce
PATHWISE = {
    "HalfNormal": (lambda s: D.HalfNormal(s), [1.3]),
    "HalfCauchy": (lambda s: D.HalfCauchy(s), [1.3]),
    "Gumbel": (lambda m, s: D.Gumbel(m, s), [0.4, 1.3]),
    "Weibull": (lambda s, k: D.Weibull(s, k), [1.1, 1.8]),
    "Pareto": (lambda s, a: D.Pareto(s, a), [1.1, 2.8]),
    "GeneralizedPareto": (lambda m, s, c: D.GeneralizedPareto(m, s, c), [0.2, 1.1, 0.3]),
    "Kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), [1.4, 2.2]),
    "ContinuousBernoulli": (lambda p: D.ContinuousBernoulli(p), [0.3]),
    "LogisticNormal": (lambda m, s: D.LogisticNormal(m, s), [0.4, 1.3]),
}


@pytest.mark.parametrize("name", sorted(PATHWISE))
def test_rsample_gradient_matches_finite_differences(tg_device, name):
    _needs_autograd()
    make, values = PATHWISE[name]
    params = [_t([v, v * 0.8], tg_device, requires_grad=True) for v in values]

    def draws(ps):
        tg.manual_seed(11)
        x = make(*ps).rsample((200,))
        weights = tg.cos(tg.arange(x.numel(), dtype=tg.float64, device=tg_device)).reshape(x.shape)
        return (x * weights).sum()  # fixed weights, so an error in any one draw's derivative shows

    grads = tg.autograd.grad(draws(params), params)
    h = 1e-6
    for i in range(len(params)):
        for j in range(2):
            bump = np.zeros(2)
            bump[j] = h
            with tg.no_grad():
                up = [q if k != i else q + _t(bump, tg_device) for k, q in enumerate(params)]
                down = [q if k != i else q - _t(bump, tg_device) for k, q in enumerate(params)]
                fd = (draws(up).item() - draws(down).item()) / (2 * h)
            np.testing.assert_allclose(to_numpy(grads[i])[j], fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["InverseGamma", "FisherSnedecor"])
def test_gamma_based_rsample_gradient_is_unbiased(tg_device, name):
    # rejection sampling rules out finite differences; E[d X / d theta] must equal d E[X] / d theta.
    # One parameter copy per draw gives the per-draw derivatives, hence their standard error.
    _needs_autograd()
    n = 300  # the implicit Gamma gradient costs an incomplete-gamma evaluation per draw
    if name == "InverseGamma":
        a, b = (_t(np.full(n, v), tg_device, requires_grad=True) for v in (7.0, 3.0))
        dist, exact = D.InverseGamma(a, b), [-3.0 / 36.0, 1.0 / 6.0]
    else:
        a, b = (_t(np.full(n, v), tg_device, requires_grad=True) for v in (9.0, 30.0))
        dist, exact = D.FisherSnedecor(a, b), [0.0, -2.0 / 28.0 ** 2]
    tg.manual_seed(2)
    per_draw = [to_numpy(g) for g in tg.autograd.grad(dist.rsample().sum(), [a, b])]
    for g, want in zip(per_draw, exact):
        assert abs(g.mean() - want) < 5 * g.std() / math.sqrt(n) + 1e-12, (g.mean(), want)


def test_log_prob_gradients_match_finite_differences(tg_device):
    _needs_autograd()
    makers = [
        (lambda d1, d2: D.FisherSnedecor(d1, d2), [3.0, 7.0], 1.3),
        (lambda m, k: D.VonMises(m, k), [0.3, 2.5], 1.0),
        (lambda a, b: D.InverseGamma(a, b), [2.5, 1.5], 0.8),
        (lambda p: D.ContinuousBernoulli(p), [0.7], 0.4),
    ]
    for make, values, x in makers:
        params = [_t(v, tg_device, requires_grad=True) for v in values]
        value = _t(x, tg_device)
        grads = tg.autograd.grad(make(*params).log_prob(value), params)
        for i in range(len(values)):
            h = 1e-6
            shifted = [_t(w + (h if k == i else 0), tg_device) for k, w in enumerate(values)]
            back = [_t(w - (h if k == i else 0), tg_device) for k, w in enumerate(values)]
            fd = (make(*shifted).log_prob(value).item() - make(*back).log_prob(value).item()) / (2 * h)
            np.testing.assert_allclose(grads[i].item(), fd, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- KL divergences
KL_MONTE_CARLO = [
    ("Gumbel||Gumbel", lambda dev: (D.Gumbel(_t(0.3, dev), _t(1.5, dev)), D.Gumbel(_t(-0.2, dev), _t(0.9, dev)))),
    ("Gumbel||Normal", lambda dev: (D.Gumbel(_t(0.3, dev), _t(1.5, dev)), D.Normal(_t(1.0, dev), _t(2.0, dev)))),
    ("Normal||Gumbel", lambda dev: (D.Normal(_t(0.3, dev), _t(1.5, dev)), D.Gumbel(_t(1.0, dev), _t(2.0, dev)))),
    ("Uniform||Gumbel", lambda dev: (D.Uniform(_t(-1.0, dev), _t(2.0, dev)), D.Gumbel(_t(0.0, dev), _t(2.0, dev)))),
    ("Exponential||Gumbel", lambda dev: (D.Exponential(_t(1.5, dev)), D.Gumbel(_t(0.0, dev), _t(1.0, dev)))),
    ("Gamma||Gumbel", lambda dev: (D.Gamma(_t(2.5, dev), _t(1.5, dev)), D.Gumbel(_t(1.0, dev), _t(1.0, dev)))),
    ("Pareto||Pareto", lambda dev: (D.Pareto(_t(2.0, dev), _t(4.0, dev)), D.Pareto(_t(1.5, dev), _t(3.0, dev)))),
    ("Pareto||Normal", lambda dev: (D.Pareto(_t(1.0, dev), _t(6.0, dev)), D.Normal(_t(1.0, dev), _t(1.0, dev)))),
    ("Pareto||Exponential", lambda dev: (D.Pareto(_t(1.0, dev), _t(5.0, dev)), D.Exponential(_t(0.7, dev)))),
    ("Pareto||Gamma", lambda dev: (D.Pareto(_t(1.0, dev), _t(5.0, dev)), D.Gamma(_t(2.0, dev), _t(1.5, dev)))),
    ("Uniform||Pareto", lambda dev: (D.Uniform(_t(2.0, dev), _t(3.0, dev)), D.Pareto(_t(1.0, dev), _t(2.0, dev)))),
    ("CB||CB", lambda dev: (D.ContinuousBernoulli(_t(0.2, dev)), D.ContinuousBernoulli(_t(0.7, dev)))),
    ("CB||Normal", lambda dev: (D.ContinuousBernoulli(_t(0.2, dev)), D.Normal(_t(0.5, dev), _t(0.3, dev)))),
    ("CB||Exponential", lambda dev: (D.ContinuousBernoulli(_t(0.8, dev)), D.Exponential(_t(2.0, dev)))),
    ("CB||Uniform", lambda dev: (D.ContinuousBernoulli(_t(0.8, dev)), D.Uniform(_t(0.0, dev), _t(1.0, dev)))),
    ("Uniform||CB", lambda dev: (D.Uniform(_t(0.0, dev), _t(0.4, dev)), D.ContinuousBernoulli(_t(0.3, dev)))),
    ("Beta||CB", lambda dev: (D.Beta(_t(2.0, dev), _t(3.0, dev)), D.ContinuousBernoulli(_t(0.3, dev)))),
    ("HalfNormal||HalfNormal", lambda dev: (D.HalfNormal(_t(1.0, dev)), D.HalfNormal(_t(1.7, dev)))),
    ("HalfCauchy||HalfCauchy", lambda dev: (D.HalfCauchy(_t(1.0, dev)), D.HalfCauchy(_t(1.7, dev)))),
    ("Cauchy||Cauchy", lambda dev: (D.Cauchy(_t(0.5, dev), _t(1.0, dev)), D.Cauchy(_t(-1.0, dev), _t(2.0, dev)))),
    ("InverseGamma||InverseGamma", lambda dev: (D.InverseGamma(_t(3.0, dev), _t(2.0, dev)),
                                                D.InverseGamma(_t(4.0, dev), _t(1.5, dev)))),
    ("LogisticNormal||LogisticNormal", lambda dev: (D.LogisticNormal(_t([0.3, 0.1], dev), _t([1.0, 0.5], dev)),
                                                    D.LogisticNormal(_t([0.0, 0.4], dev), _t([1.5, 0.7], dev)))),
]


@pytest.mark.parametrize("name,make", KL_MONTE_CARLO, ids=[k[0] for k in KL_MONTE_CARLO])
def test_kl_matches_monte_carlo(tg_device, name, make):
    p, q = make(tg_device)
    exact = D.kl_divergence(p, q).item()
    tg.manual_seed(4)
    x = p.sample((200000,))
    with tg.no_grad():
        ratio = to_numpy(p.log_prob(x) - q.log_prob(x))
    se = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - exact) < 5 * se + 1e-9, (ratio.mean(), exact, se)
    assert D.kl_divergence(p, p).abs().max().item() < 1e-12


def test_kl_infinite_and_missing_pairs(tg_device):
    one = _t([1.0, 2.0], tg_device)
    infinite = [(D.Gumbel(one, one), D.Exponential(one)), (D.Normal(one, one), D.Pareto(one, one)),
                (D.Pareto(one, one), D.Uniform(one - 5, one + 5)), (D.Pareto(one, 0.5 * one), D.Normal(one, one)),
                (D.Beta(one, one), D.Pareto(one, one)), (D.ContinuousBernoulli(0.3 * one), D.Pareto(one, one)),
                (D.Uniform(one - 2, one), D.ContinuousBernoulli(0.3 * one)),
                (D.ContinuousBernoulli(0.3 * one), D.Uniform(0.2 * one, 2 * one)),
                (D.Uniform(0.5 * one, 3 * one), D.Pareto(one, one)), (D.Laplace(one, one), D.ContinuousBernoulli(0.3 * one))]
    for p, q in infinite:
        kl = D.kl_divergence(p, q)
        assert tuple(kl.shape) == (2,) and np.isinf(to_numpy(kl)).all(), (type(p).__name__, type(q).__name__)
    for p, q in [(D.Weibull(one, one), D.Weibull(one, 2 * one)), (D.VonMises(one, one), D.VonMises(one, one)),
                 (D.FisherSnedecor(one, one), D.FisherSnedecor(one, one))]:
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)
    same = D.Kumaraswamy(one, 2 * one)
    assert D.kl_divergence(same, D.Kumaraswamy(one, 2 * one)).abs().max().item() == 0


# --------------------------------------------------------------------------- validation, expand, repr
def test_validation_messages(tg_device):
    bad = _t([-1.0], tg_device)
    cases = [
        (lambda: D.HalfNormal(bad, validate_args=True), "Expected parameter scale (Tensor of shape (1,)) of "
         "distribution HalfNormal() to satisfy the constraint GreaterThan(lower_bound=0.0)"),
        # as in PyTorch, the base Exponential checks alpha first, as its rate
        (lambda: D.Pareto(_t([1.0], tg_device), bad, validate_args=True),
         "Expected parameter rate (Tensor of shape (1,)) of distribution Exponential("),
        (lambda: D.InverseGamma(bad, _t([1.0], tg_device), validate_args=True), "of distribution Gamma("),
        (lambda: D.FisherSnedecor(_t([1.0], tg_device), bad, validate_args=True), "of distribution Gamma("),
        (lambda: D.VonMises(_t([0.0], tg_device), bad, validate_args=True), "Expected parameter concentration"),
        (lambda: D.Kumaraswamy(_t([1.0], tg_device), _t([2.0], tg_device),
                               validate_args=True).log_prob(_t([1.5], tg_device)),
         "to be within the support (Interval(lower_bound=0.0, upper_bound=1.0))"),
        (lambda: D.ContinuousBernoulli(), "Either `probs` or `logits` must be specified, but not both."),
        (lambda: D.Gumbel(_t([0.0], tg_device), _t([0.0], tg_device), validate_args=True), "Expected parameter scale"),
    ]
    for build, text in cases:
        with pytest.raises(ValueError) as e:
            build()
        assert text in str(e.value)
    with pytest.raises(NotImplementedError):
        D.InverseGamma(_t(2.0, tg_device), _t(1.0, tg_device)).icdf(_t(0.5, tg_device))
    with pytest.raises(NotImplementedError):
        D.ContinuousBernoulli(_t(0.3, tg_device)).mode  # noqa: B018
    with pytest.raises(NotImplementedError):
        D.LogisticNormal(_t([0.0], tg_device), _t([1.0], tg_device)).mean  # noqa: B018


def test_expand_and_reprs(tg_device):
    x = _t([0.3, 0.6], tg_device)
    dists = [D.HalfNormal(x), D.HalfCauchy(x), D.Gumbel(x, x), D.Weibull(x, x), D.Pareto(x, x),
             D.GeneralizedPareto(x, x, x), D.InverseGamma(x, x), D.Kumaraswamy(x, x), D.FisherSnedecor(x, x),
             D.ContinuousBernoulli(x), D.VonMises(x, x)]
    for d in dists:
        e = d.expand((3, 2))
        assert e.batch_shape == (3, 2) and d.batch_shape == (2,)
        assert tuple(e.sample().shape) == (3, 2) and tuple(e.sample((4,)).shape) == (4, 3, 2)
        value = d.sample()
        np.testing.assert_allclose(to_numpy(e.log_prob(value)), np.broadcast_to(to_numpy(d.log_prob(value)), (3, 2)))
        np.testing.assert_allclose(to_numpy(e.mean), np.broadcast_to(to_numpy(d.mean), (3, 2)))
    assert repr(D.HalfNormal(x)) == "HalfNormal()" and repr(D.InverseGamma(x, x)) == "InverseGamma()"
    assert repr(D.Pareto(x, x)) == "Pareto(alpha: torch.Size([2]), scale: torch.Size([2]))"
    assert repr(D.Gumbel(0.0, 1.0)).startswith("Gumbel(loc: ")
    assert repr(D.ContinuousBernoulli(logits=x)) == "ContinuousBernoulli(logits: torch.Size([2]))"


def test_module_paths():
    for module, name in [("half_normal", "HalfNormal"), ("von_mises", "VonMises"), ("fishersnedecor", "FisherSnedecor"),
                         ("continuous_bernoulli", "ContinuousBernoulli"), ("normal", "Normal"), ("gamma", "Gamma")]:
        assert getattr(getattr(D, module), name) is getattr(D, name)
    with pytest.raises(AttributeError):
        D.not_a_module  # noqa: B018
    with pytest.raises(AttributeError):
        D._private_name  # noqa: B018


def test_module_attributes_load_lazily():
    code = ("import sys, tensorgraft as tg; d = tg.distributions; "
            "assert 'tensorgraft.distributions.normal' not in sys.modules; "
            "assert d.normal.Normal is d.Normal; assert 'tensorgraft.distributions.normal' in sys.modules; "
            "from tensorgraft.distributions.weibull import Weibull; assert Weibull is d.Weibull; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
