"""``tensorgraft.distributions`` without PyTorch: closed forms (math/NumPy), sample moments and
Kolmogorov-Smirnov distances on many seeded draws, reparameterized gradients, validation, the lazy
import, and all of it on every device (``tg_device``)."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

D = tg.distributions


def _t(a, dev, **kw):
    return tg.tensor(a, dtype=kw.pop("dtype", tg.float64), device=dev, **kw)


def _ks(samples, cdf):
    """Kolmogorov-Smirnov statistic of ``samples`` against the vectorized ``cdf``."""
    x = np.sort(samples)
    n = len(x)
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


KS_LIMIT = 1.63 / math.sqrt(20000)  # 1% level for n = 20000


def test_import_is_lazy():
    code = ("import json, sys; import tensorgraft as tg; before = 'tensorgraft.distributions' in sys.modules; "
            "n = tg.distributions.Normal; print(json.dumps([before, 'tensorgraft.distributions' in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [False, True]


def test_module_paths_mirror_pytorch():
    from tensorgraft.distributions.normal import Normal
    from tensorgraft.distributions.transforms import ExpTransform
    from tensorgraft.distributions import constraints, kl_divergence, register_kl  # noqa: F401
    assert Normal is D.Normal and ExpTransform is D.ExpTransform


def test_sample_n_is_sample_of_n_with_a_future_warning():
    tg.manual_seed(5)
    expected = D.Normal(tg.zeros(2), 1.0).sample((3,))
    tg.manual_seed(5)
    with pytest.warns(FutureWarning, match=r"^`sample_n\(n\)` will be deprecated\. Use `sample\(\(n,\)\)` instead\.$"):
        drawn = D.Normal(tg.zeros(2), 1.0).sample_n(3)
    assert tuple(drawn.shape) == (3, 2) and drawn.tolist() == expected.tolist()


# --------------------------------------------------------------------------- closed forms
def test_closed_forms(tg_device):
    x = np.array([0.3, 1.7, 4.0])
    n = D.Normal(_t(0.5, tg_device), _t(2.0, tg_device))
    ref = [-0.5 * ((v - 0.5) / 2) ** 2 - math.log(2 * math.sqrt(2 * math.pi)) for v in x]
    np.testing.assert_allclose(to_numpy(n.log_prob(_t(x, tg_device))), ref, rtol=1e-12)
    assert math.isclose(n.entropy().item(), 0.5 * math.log(2 * math.pi * math.e * 4), rel_tol=1e-12)
    np.testing.assert_allclose(to_numpy(n.cdf(_t(x, tg_device))), [0.5 * (1 + math.erf((v - 0.5) / (2 * math.sqrt(2)))) for v in x])
    np.testing.assert_allclose(to_numpy(n.icdf(n.cdf(_t(x, tg_device)))), x, rtol=1e-9)
    g = D.Gamma(_t(2.5, tg_device), _t(1.5, tg_device))
    ref = [2.5 * math.log(1.5) + 1.5 * math.log(v) - 1.5 * v - math.lgamma(2.5) for v in x]
    np.testing.assert_allclose(to_numpy(g.log_prob(_t(x, tg_device))), ref, rtol=1e-12)
    assert math.isclose(g.mean.item(), 2.5 / 1.5) and math.isclose(g.variance.item(), 2.5 / 1.5 ** 2)
    e = D.Exponential(_t([2.0], tg_device))
    np.testing.assert_allclose(to_numpy(e.cdf(_t([0.5], tg_device))), [1 - math.exp(-1.0)])
    b = D.Bernoulli(logits=_t([0.0, 2.0], tg_device))
    np.testing.assert_allclose(to_numpy(b.probs), [0.5, 1 / (1 + math.exp(-2))])
    np.testing.assert_allclose(to_numpy(b.log_prob(_t([1.0, 0.0], tg_device))), [math.log(0.5), math.log(1 - 1 / (1 + math.exp(-2)))])
    c = D.Categorical(probs=_t([[1.0, 3.0], [1.0, 1.0]], tg_device))
    np.testing.assert_allclose(to_numpy(c.probs), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(to_numpy(c.entropy()), [-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), math.log(2)])
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    m = D.MultivariateNormal(_t([0.0, 1.0], tg_device), covariance_matrix=_t(cov, tg_device))
    v = np.array([0.4, -0.2])
    d = v - np.array([0.0, 1.0])
    ref = -0.5 * (d @ np.linalg.solve(cov, d) + math.log(np.linalg.det(cov)) + 2 * math.log(2 * math.pi))
    assert math.isclose(m.log_prob(_t(v, tg_device)).item(), ref, rel_tol=1e-12)
    kl = D.kl_divergence(D.Normal(_t(0.0, tg_device), _t(1.0, tg_device)), D.Normal(_t(1.0, tg_device), _t(2.0, tg_device)))
    assert math.isclose(kl.item(), math.log(2) + (1 + 1) / 8 - 0.5, rel_tol=1e-12)


def test_gammainc_and_gamma_cdf(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    from tensorgraft.distributions._sampling import gammainc
    xs = np.array([0.01, 0.5, 1.0, 3.0, 7.5, 20.0, 60.0])
    for a in (1, 2, 5, 30):
        ref = [1 - math.exp(-x) * sum(x ** k / math.factorial(k) for k in range(a)) for x in xs]
        np.testing.assert_allclose(to_numpy(gammainc(_t(float(a), tg_device), _t(xs, tg_device))), ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(to_numpy(gammainc(_t(0.5, tg_device), _t(xs, tg_device))),
                               [math.erf(math.sqrt(x)) for x in xs], rtol=1e-10)
    g = D.Gamma(_t(2.0, tg_device), _t(3.0, tg_device))
    x = _t([0.2, 1.0], tg_device, requires_grad=True)
    cdf = g.cdf(x)
    np.testing.assert_allclose(to_numpy(cdf), [1 - math.exp(-3 * v) * (1 + 3 * v) for v in (0.2, 1.0)], rtol=1e-10)
    (grad,) = tg.autograd.grad(cdf.sum(), x)
    np.testing.assert_allclose(to_numpy(grad), to_numpy(g.log_prob(x).exp()), rtol=1e-10)


# --------------------------------------------------------------------------- sampling
MOMENTS = [
    ("Normal", lambda dev: D.Normal(_t(1.0, dev), _t(2.0, dev)), 1.0, 4.0),
    ("Uniform", lambda dev: D.Uniform(_t(-1.0, dev), _t(3.0, dev)), 1.0, 16 / 12),
    ("Exponential", lambda dev: D.Exponential(_t(2.0, dev)), 0.5, 0.25),
    ("Laplace", lambda dev: D.Laplace(_t(0.5, dev), _t(1.5, dev)), 0.5, 2 * 1.5 ** 2),
    ("Gamma_large", lambda dev: D.Gamma(_t(7.5, dev), _t(2.0, dev)), 3.75, 7.5 / 4),
    ("Gamma_small", lambda dev: D.Gamma(_t(0.3, dev), _t(1.0, dev)), 0.3, 0.3),
    ("Beta", lambda dev: D.Beta(_t(2.0, dev), _t(5.0, dev)), 2 / 7, 10 / (49 * 8)),
    ("Chi2", lambda dev: D.Chi2(_t(3.0, dev)), 3.0, 6.0),
    ("StudentT", lambda dev: D.StudentT(_t(6.0, dev)), 0.0, 1.5),
    ("LogNormal", lambda dev: D.LogNormal(_t(0.0, dev), _t(0.5, dev)), math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25)),
    ("Bernoulli", lambda dev: D.Bernoulli(_t(0.3, dev)), 0.3, 0.21),
    ("Geometric", lambda dev: D.Geometric(_t(0.25, dev)), 3.0, 0.75 / 0.0625),
    ("Poisson_small", lambda dev: D.Poisson(_t(3.5, dev)), 3.5, 3.5),
    ("Poisson_large", lambda dev: D.Poisson(_t(140.0, dev)), 140.0, 140.0),
    ("Binomial", lambda dev: D.Binomial(_t(30.0, dev), _t(0.2, dev)), 6.0, 4.8),
    ("Categorical", lambda dev: D.Categorical(_t([0.1, 0.2, 0.7], dev)), 1.6, 0.2 + 4 * 0.7 - 1.6 ** 2),
]


@pytest.mark.parametrize("name,make,mean,var", [m for m in MOMENTS if m[1] is not None], ids=[m[0] for m in MOMENTS if m[1]])
def test_sample_moments(tg_device, name, make, mean, var):
    tg.manual_seed(0)
    d = make(tg_device)
    s = d.sample((40000,))
    assert s.device.type == tg_device and tuple(s.shape) == (40000,)
    x = to_numpy(s).astype(np.float64)
    se = math.sqrt(var / len(x))
    assert abs(x.mean() - mean) < 5 * se, (x.mean(), mean)
    assert abs(x.var() - var) < 0.06 * var, (x.var(), var)
    if d.has_rsample:
        tg.manual_seed(0)
        assert abs(to_numpy(d.rsample((40000,))).mean() - mean) < 5 * se
    tg.manual_seed(5)
    a = to_numpy(make(tg_device).sample((7,)))
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, to_numpy(make(tg_device).sample((7,))))


@pytest.mark.parametrize("name,dist,cdf", [
    ("Normal", lambda dev: D.Normal(_t(0.0, dev), _t(1.0, dev)), lambda x: np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])),
    ("Gamma2", lambda dev: D.Gamma(_t(2.0, dev), _t(1.0, dev)), lambda x: 1 - np.exp(-x) * (1 + x)),
    ("Gamma_half", lambda dev: D.Gamma(_t(0.5, dev), _t(1.0, dev)), lambda x: np.array([math.erf(math.sqrt(v)) for v in x])),
    ("Cauchy", lambda dev: D.Cauchy(_t(0.0, dev), _t(1.0, dev)), lambda x: 0.5 + np.arctan(x) / math.pi),
    ("Beta11", lambda dev: D.Beta(_t(1.0, dev), _t(1.0, dev)), lambda x: x),
    ("Beta21", lambda dev: D.Beta(_t(2.0, dev), _t(1.0, dev)), lambda x: x ** 2),
    ("Exponential", lambda dev: D.Exponential(_t(1.5, dev)), lambda x: 1 - np.exp(-1.5 * x)),
])
def test_ks(tg_device, name, dist, cdf):
    tg.manual_seed(1)
    s = to_numpy(dist(tg_device).sample((20000,))).astype(np.float64)
    assert _ks(s, cdf) < KS_LIMIT


def test_multivariate_samples(tg_device):
    tg.manual_seed(2)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    m = D.MultivariateNormal(_t([1.0, -1.0, 0.0], tg_device), covariance_matrix=_t(cov, tg_device))
    s = to_numpy(m.sample((40000,)))
    np.testing.assert_allclose(s.mean(0), [1.0, -1.0, 0.0], atol=0.04)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.05)
    alpha = np.array([1.0, 2.0, 4.0])
    dch = D.Dirichlet(_t(alpha, tg_device))
    s = to_numpy(dch.sample((40000,)))
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s.mean(0), alpha / 7, atol=0.01)
    oh = to_numpy(D.OneHotCategorical(_t([0.2, 0.3, 0.5], tg_device)).sample((40000,)))
    assert set(oh.sum(-1).tolist()) == {1.0}
    np.testing.assert_allclose(oh.mean(0), [0.2, 0.3, 0.5], atol=0.01)


# --------------------------------------------------------------------------- reparameterized gradients
def test_rsample_gradients(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    tg.manual_seed(3)
    loc = _t(1.0, tg_device, requires_grad=True)
    scale = _t(2.0, tg_device, requires_grad=True)
    s = D.Normal(loc, scale).rsample((1000,))
    gl, gs = tg.autograd.grad(s.mean(), (loc, scale))
    assert math.isclose(gl.item(), 1.0)
    np.testing.assert_allclose(gs.item(), to_numpy((s - 1.0) / 2.0).mean(), rtol=1e-10)
    # implicit reparameterization: d E[X] / d alpha = 1 / rate, d E[X] / d rate = -alpha / rate**2
    for a0 in (0.4, 3.0):
        alpha = _t(a0, tg_device, requires_grad=True)
        rate = _t(2.0, tg_device, requires_grad=True)
        tg.manual_seed(4)
        ga, gr = tg.autograd.grad(D.Gamma(alpha, rate).rsample((40000,)).mean(), (alpha, rate))
        assert abs(ga.item() - 0.5) < 0.03, (a0, ga.item())
        assert abs(gr.item() + a0 / 4) < 0.03 * a0 + 0.01, (a0, gr.item())
    # Beta through Dirichlet: d E[X] / d a = b / (a + b)**2
    a = _t(2.0, tg_device, requires_grad=True)
    b = _t(3.0, tg_device, requires_grad=True)
    tg.manual_seed(6)
    ga, gb = tg.autograd.grad(D.Beta(a, b).rsample((40000,)).mean(), (a, b))
    assert abs(ga.item() - 3 / 25) < 0.01 and abs(gb.item() + 2 / 25) < 0.01


def test_gamma_implicit_gradient_matches_finite_difference():
    # the exact per-sample derivative of the quantile map: x(alpha) = P^-1(alpha, u) with u fixed
    from tensorgraft.distributions._sampling import _standard_gamma_grad, gammainc
    x = tg.tensor([0.3, 1.2, 4.0], dtype=tg.float64)
    a = tg.tensor([0.7, 2.0, 5.0], dtype=tg.float64)
    u = gammainc(a, x)
    h = 1e-6

    def quantile(alpha):
        lo, hi = tg.zeros_like(x), tg.full_like(x, 100.0)
        for _ in range(200):
            mid = (lo + hi) / 2
            below = gammainc(alpha, mid) < u
            lo, hi = tg.where(below, mid, lo), tg.where(below, hi, mid)
        return (lo + hi) / 2
    fd = (quantile(a + h) - quantile(a - h)) / (2 * h)
    np.testing.assert_allclose(to_numpy(_standard_gamma_grad(x, a)), to_numpy(fd), rtol=1e-5)


# --------------------------------------------------------------------------- validation and API
def test_validation(tg_device):
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(1,\)\) of distribution "
                                          r"Normal\(loc: tensor\(\[0.\], .*dtype=torch.float64\), scale: tensor\(\[-1.\], "
                                          r".*dtype=torch.float64\)\) to satisfy the constraint GreaterThan\(lower_bound=0.0\), "
                                          r"but found invalid values"):
        D.Normal(_t([0.0], tg_device), _t([-1.0], tg_device), validate_args=True)
    with pytest.raises(ValueError, match="Expected value argument"):
        D.Exponential(_t([1.0], tg_device), validate_args=True).log_prob(_t([-1.0], tg_device))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli(probs=_t(0.5, tg_device), logits=_t(0.0, tg_device))
    assert not hasattr(D, "set_default_validate_args")  # a static method of Distribution, as in PyTorch
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(_t([0.0], tg_device), _t([-1.0], tg_device))  # not validated
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(_t([0.0], tg_device), _t([-1.0], tg_device))


def test_shapes_expand_enumerate(tg_device):
    n = D.Normal(_t(np.zeros((2, 3)), tg_device), _t(np.ones((2, 3)), tg_device))
    assert n.batch_shape == tg.Size([2, 3]) and n.event_shape == tg.Size([])
    e = n.expand((4, 2, 3))
    assert e.batch_shape == tg.Size([4, 2, 3]) and e.sample().shape == (4, 2, 3)
    ind = D.Independent(n, 1)
    assert ind.batch_shape == (2,) and ind.event_shape == (3,)
    assert ind.log_prob(_t(np.zeros((2, 3)), tg_device)).shape == (2,)
    assert repr(ind) == "Independent(Normal(loc: torch.Size([2, 3]), scale: torch.Size([2, 3])), 1)"
    c = D.Categorical(logits=_t(np.zeros((2, 4)), tg_device))
    es = c.enumerate_support()
    assert es.shape == (4, 2) and es.device.type == tg_device
    assert c.log_prob(es).shape == (4, 2)
    ln = D.LogNormal(_t(0.0, tg_device), _t(1.0, tg_device))
    assert math.isclose(ln.log_prob(_t(1.0, tg_device)).item(), -0.5 * math.log(2 * math.pi))
    t = D.TransformedDistribution(D.Normal(_t(0.0, tg_device), _t(1.0, tg_device)), [D.transforms.TanhTransform(cache_size=1)])
    y = t.rsample((5,))
    assert to_numpy(y.abs()).max() < 1
    kl = D.kl_divergence(D.Independent(n, 1), D.Independent(D.Normal(_t(np.ones((2, 3)), tg_device), _t(np.ones((2, 3)), tg_device)), 1))
    np.testing.assert_allclose(to_numpy(kl), [1.5, 1.5])


def test_register_kl():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return tg.zeros(p.batch_shape)

    assert D.kl_divergence(MyNormal(0.0, 1.0), MyNormal(1.0, 1.0)).item() == 0.0
    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 0.5


def test_transforms_jacobians_and_round_trips(tg_device):
    T = D.transforms
    x = _t(np.linspace(-2.0, 2.0, 9), tg_device)
    h = 1e-6
    for t in (T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(), T.SoftplusTransform(),
              T.AffineTransform(0.5, -3.0), T.ComposeTransform([T.TanhTransform(), T.AffineTransform(1.0, 2.0)])):
        y = t(x)
        np.testing.assert_allclose(to_numpy(t.inv(y)), to_numpy(x), rtol=1e-7, atol=1e-9, err_msg=repr(t))
        slope = (to_numpy(t(x + h)) - to_numpy(t(x - h))) / (2 * h)
        np.testing.assert_allclose(to_numpy(t.log_abs_det_jacobian(x, y)), np.log(np.abs(slope)), rtol=1e-6, atol=1e-7)
    p = T.PowerTransform(2.5)
    xp = x.abs() + 0.5
    np.testing.assert_allclose(to_numpy(p.log_abs_det_jacobian(xp, p(xp))), np.log(2.5 * to_numpy(xp) ** 1.5),
                               rtol=1e-6)
    sb = T.StickBreakingTransform()
    v = _t([[0.3, -1.0, 2.0]], tg_device)
    s = sb(v)
    assert s.shape == (1, 4) and math.isclose(s.sum().item(), 1.0, rel_tol=1e-12)
    np.testing.assert_allclose(to_numpy(sb.inv(s)), to_numpy(v), rtol=1e-9)
    np.testing.assert_allclose(to_numpy(sb(_t(np.zeros(3), tg_device))), [0.25] * 4, rtol=1e-12)
    # log|det| of the map onto the first three coordinates (the fourth is determined by them)
    jac = np.stack([(to_numpy(sb(v + _t(np.eye(3)[i] * h, tg_device)))
                     - to_numpy(sb(v - _t(np.eye(3)[i] * h, tg_device))))[0, :3] / (2 * h) for i in range(3)], 1)
    assert math.isclose(sb.log_abs_det_jacobian(v, s).item(), math.log(abs(np.linalg.det(jac))), rel_tol=1e-6)


def test_discrete_masses_sum_to_one(tg_device):
    k = _t(np.arange(0, 200), tg_device)
    for d in (D.Poisson(_t(4.5, tg_device)), D.Geometric(_t(0.2, tg_device)), D.Geometric(logits=_t(-1.0, tg_device)),
              D.Binomial(12, _t(0.35, tg_device)), D.Binomial(_t(12.0, tg_device), logits=_t(0.4, tg_device))):
        vals = k if not isinstance(d, D.Binomial) else k[:13]
        pmf = to_numpy(d.log_prob(vals).exp())
        assert math.isclose(pmf.sum(), 1.0, rel_tol=1e-9), d
        mean = (pmf * to_numpy(vals)).sum()
        assert math.isclose(mean, d.mean.item(), rel_tol=1e-9), d
        assert math.isclose((pmf * (to_numpy(vals) - mean) ** 2).sum(), d.variance.item(), rel_tol=1e-8), d
    b = D.Binomial(5, _t([0.3, 0.6], tg_device))
    pmf = to_numpy(b.log_prob(b.enumerate_support()).exp())
    np.testing.assert_allclose(to_numpy(b.entropy()), -(pmf * np.log(pmf)).sum(0), rtol=1e-12)


def test_precision_and_tril_give_the_same_mvn(tg_device):
    cov = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    loc = _t([0.5, -1.0, 2.0], tg_device)
    a = D.MultivariateNormal(loc, covariance_matrix=_t(cov, tg_device))
    b = D.MultivariateNormal(loc, precision_matrix=_t(np.linalg.inv(cov), tg_device))
    c = D.MultivariateNormal(loc, scale_tril=_t(np.linalg.cholesky(cov), tg_device))
    v = _t([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]], tg_device)
    for d in (b, c):
        np.testing.assert_allclose(to_numpy(d.log_prob(v)), to_numpy(a.log_prob(v)), rtol=1e-10)
        np.testing.assert_allclose(to_numpy(d.covariance_matrix), cov, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(to_numpy(d.precision_matrix), np.linalg.inv(cov), rtol=1e-9)
        assert math.isclose(d.entropy().item(), 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov)), rel_tol=1e-12)
    np.testing.assert_allclose(to_numpy(b.scale_tril @ b.scale_tril.mT), cov, rtol=1e-10, atol=1e-12)
