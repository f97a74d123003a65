"""The second batch of ``tensorgraft.distributions`` without PyTorch: closed forms checked by brute
force or numerically, sample moments on many seeded draws (loose tolerances), reparameterized
gradients, transforms against finite-difference Jacobians, constraints, on every device."""
import itertools
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

D = tg.distributions
# numpy.trapz became numpy.trapezoid in NumPy 2.0 (the numpy-oldest env runs 1.26)
_trapezoid = getattr(np, "trapezoid", None) or np.trapz
T = tg.distributions.transforms
C = tg.distributions.constraints


def _t(a, dev, **kw):
    return tg.tensor(a, dtype=kw.pop("dtype", tg.float64), device=dev, **kw)


def _spd(rng, n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_negative_binomial_log_prob_sums_to_one_and_moments(tg_device):
    n, p = _t([2.0, 0.7], tg_device), _t([0.3, 0.55], tg_device)
    d = D.NegativeBinomial(n, p)
    k = _t(np.arange(400.0)[:, None], tg_device)
    pmf = to_numpy(d.log_prob(k).exp())
    np.testing.assert_allclose(pmf.sum(0), 1.0, rtol=1e-10)
    mean = (pmf * np.arange(400.0)[:, None]).sum(0)
    np.testing.assert_allclose(to_numpy(d.mean), mean, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(d.variance), (pmf * (np.arange(400.0)[:, None] - mean) ** 2).sum(0), rtol=1e-9)
    np.testing.assert_allclose(to_numpy(d.mode), np.argmax(pmf, 0))
    # n = 0 is a point mass at 0 (0 * log 0 handled)
    np.testing.assert_allclose(to_numpy(D.NegativeBinomial(_t(0.0, tg_device), _t(0.4, tg_device)).log_prob(_t(0.0, tg_device))), 0.0)
    tg.manual_seed(3)
    s = to_numpy(d.sample((40000,)))
    assert s.shape == (40000, 2) and np.all(s == np.round(s)) and s.min() >= 0
    np.testing.assert_allclose(s.mean(0), to_numpy(d.mean), rtol=0.05)
    np.testing.assert_allclose(s.var(0), to_numpy(d.variance), rtol=0.1)


def test_multinomial_entropy_and_log_prob_by_enumeration(tg_device):
    p = np.array([0.2, 0.3, 0.5])
    n = 5
    d = D.Multinomial(n, _t(p, tg_device))
    outcomes = [x for x in itertools.product(range(n + 1), repeat=3) if sum(x) == n]
    lp = to_numpy(d.log_prob(_t(np.array(outcomes, dtype=float), tg_device)))
    exact = [math.lgamma(n + 1) - sum(math.lgamma(k + 1) for k in x) + sum(k * math.log(q) for k, q in zip(x, p))
             for x in outcomes]
    np.testing.assert_allclose(lp, exact, rtol=1e-12)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(d.entropy()), -(np.exp(lp) * lp).sum(), rtol=1e-12)
    tg.manual_seed(4)
    s = to_numpy(d.sample((20000,)))
    assert s.shape == (20000, 3) and np.all(s.sum(-1) == n)
    np.testing.assert_allclose(s.mean(0), n * p, rtol=0.03)
    np.testing.assert_allclose(s.var(0), n * p * (1 - p), rtol=0.08)
    assert bool(C.multinomial(5).check(_t([1.0, 2.0, 2.0], tg_device))) is True
    assert bool(C.multinomial(5).check(_t([1.0, 2.0, 3.0], tg_device))) is False
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        D.Multinomial(_t(3.0, tg_device), _t(p, tg_device))


def test_lowrank_mvn_matches_dense_mvn_and_samples(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(11)
    loc, w, diag = rng.standard_normal(4), rng.standard_normal((4, 2)), rng.uniform(0.5, 2.0, 4)
    lr = D.LowRankMultivariateNormal(_t(loc, tg_device), _t(w, tg_device), _t(diag, tg_device))
    dense = D.MultivariateNormal(_t(loc, tg_device), _t(w @ w.T + np.diag(diag), tg_device))
    x = _t(rng.standard_normal((5, 4)), tg_device)
    np.testing.assert_allclose(to_numpy(lr.log_prob(x)), to_numpy(dense.log_prob(x)), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(lr.entropy()), to_numpy(dense.entropy()), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(lr.precision_matrix), np.linalg.inv(w @ w.T + np.diag(diag)),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(D.kl_divergence(lr, dense)), 0.0, atol=1e-10)
    tg.manual_seed(5)
    s = to_numpy(lr.sample((40000,)))
    np.testing.assert_allclose(np.cov(s.T), w @ w.T + np.diag(diag), atol=0.15)
    wt = _t(w, tg_device, requires_grad=True)
    D.LowRankMultivariateNormal(_t(loc, tg_device), wt, _t(diag, tg_device)).rsample((3,)).sum().backward()
    assert wt.grad is not None and wt.grad.shape == (4, 2)


def test_relaxed_distributions_support_limits_and_gradients(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    tg.manual_seed(6)
    logits = _t([0.3, -1.2], tg_device, requires_grad=True)
    rb = D.RelaxedBernoulli(_t(0.05, tg_device), logits=logits)
    s = rb.rsample((20000,))
    assert bool(((s > 0) & (s < 1)).all())
    # cold temperature: nearly Bernoulli(sigmoid(logits)) draws
    frac = to_numpy((s > 0.5).to(tg.float64).mean(0))
    np.testing.assert_allclose(frac, 1 / (1 + np.exp(-np.array([0.3, -1.2]))), atol=0.02)
    s.sum().backward()
    assert logits.grad is not None and bool((logits.grad > 0).all())
    # the density integrates to 1
    grid = np.linspace(1e-6, 1 - 1e-6, 200001)
    warm = D.RelaxedBernoulli(_t(0.8, tg_device), logits=_t(0.4, tg_device))
    dens = np.exp(to_numpy(warm.log_prob(_t(grid, tg_device))))
    assert abs(_trapezoid(dens, grid) - 1) < 1e-3
    probs = _t([0.2, 0.3, 0.5], tg_device, requires_grad=True)
    rc = D.RelaxedOneHotCategorical(_t(0.1, tg_device), probs=probs)
    x = rc.rsample((20000,))
    np.testing.assert_allclose(to_numpy(x.sum(-1)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(to_numpy((x.argmax(-1).unsqueeze(-1) == tg.arange(3, device=tg_device)).to(tg.float64).mean(0)),
                               [0.2, 0.3, 0.5], atol=0.02)
    (x[..., 0]).sum().backward()
    assert probs.grad is not None


def test_straight_through_gradient_is_the_probs_gradient(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    tg.manual_seed(7)
    probs = _t([[0.1, 0.6, 0.3]], tg_device, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(probs)
    s = d.rsample((4,))
    assert bool(C.one_hot.check(s.detach()).all())
    weights = _t([1.0, 2.0, 3.0], tg_device)
    (s * weights).sum().backward()
    # the gradient of 4 * E[weights] = 4 * sum_k w_k p_k / sum(p) (probs are normalized)
    w, p = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.6, 0.3])
    np.testing.assert_allclose(to_numpy(probs.grad), [4 * (w - (w * p).sum())], rtol=1e-12)
    assert isinstance(d, D.OneHotCategorical) and d.has_rsample


def test_mixture_same_family_moments_and_samples(tg_device):
    mix = D.Categorical(_t([0.3, 0.7], tg_device))
    comp = D.Normal(_t([-2.0, 1.0], tg_device), _t([0.5, 1.5], tg_device))
    m = D.MixtureSameFamily(mix, comp)
    grid = np.linspace(-12, 12, 100001)
    dens = np.exp(to_numpy(m.log_prob(_t(grid, tg_device))))
    np.testing.assert_allclose(_trapezoid(dens, grid), 1.0, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(m.mean), 0.3 * -2 + 0.7 * 1.0, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(m.variance), _trapezoid(dens * (grid - to_numpy(m.mean)) ** 2, grid), rtol=1e-5)
    tg.manual_seed(8)
    s = to_numpy(m.sample((40000,)))
    assert abs(s.mean() - to_numpy(m.mean)) < 0.05 and abs(s.var() / to_numpy(m.variance) - 1) < 0.05
    # a broadcast mixture draws one component index per batch element
    far = D.MixtureSameFamily(D.Categorical(_t([0.5, 0.5], tg_device)),
                              D.Normal(_t([[-10.0, 10.0]] * 3, tg_device), _t(np.ones((3, 2)), tg_device)))
    s = to_numpy(far.sample((4000,))) > 0
    assert abs(s.mean() - 0.5) < 0.05 and abs((s[:, 0] == s[:, 1]).mean() - 0.5) < 0.05
    assert repr(m.support) == "MixtureSameFamilyConstraint(Real())"


def test_wishart_entropy_log_prob_and_samples(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rng = np.random.default_rng(12)
    s = _spd(rng, 3)
    w = D.Wishart(_t(5.5, tg_device), _t(s, tg_device))
    # the closed-form entropy equals the exponential-family one (gradient of the log normalizer)
    np.testing.assert_allclose(to_numpy(w.entropy()), to_numpy(D.ExponentialFamily.entropy(w)), rtol=1e-12)
    tg.manual_seed(9)
    x = w.sample((30000,))
    np.testing.assert_allclose(to_numpy(x.mean(0)), 5.5 * s, rtol=0.05, atol=0.15)
    np.testing.assert_allclose(to_numpy(x.var(0)), to_numpy(w.variance), rtol=0.1)
    assert bool(C.positive_definite.check(x).all())
    # Monte Carlo entropy and KL agree with the closed forms
    lp = w.log_prob(x)
    np.testing.assert_allclose(-to_numpy(lp).mean(), to_numpy(w.entropy()), rtol=0.01)
    q = D.Wishart(_t(4.0, tg_device), _t(_spd(rng, 3), tg_device))
    np.testing.assert_allclose(to_numpy(lp - q.log_prob(x)).mean(), to_numpy(D.kl_divergence(w, q)), rtol=0.05)
    df = _t(4.5, tg_device, requires_grad=True)
    D.Wishart(df, _t(s, tg_device)).rsample((5,)).sum().backward()
    assert df.grad is not None and float(df.grad) != 0


def test_lkj_cholesky_samples_have_lkj_marginals(tg_device):
    """Every off-diagonal correlation of LKJ(eta) in d dimensions is 2 Beta(b, b) - 1 with
    b = eta - 1 + d/2, whose variance is 1 / (2b + 1)."""
    tg.manual_seed(10)
    for dim, eta in ((3, 0.5), (4, 2.0)):
        L = D.LKJCholesky(dim, _t(eta, tg_device)).sample((40000,))
        assert bool(C.corr_cholesky.check(L).all())
        corr = to_numpy(L @ L.mT)
        b = eta - 1 + dim / 2
        for i, j in itertools.combinations(range(dim), 2):
            assert abs(corr[:, j, i].var() - 1 / (2 * b + 1)) < 0.02, (dim, eta, i, j)


def test_lkj_cholesky_density_integrates_to_one_in_2d(tg_device):
    # in 2-D the factor is [[1, 0], [r, sqrt(1 - r^2)]]: the density of r must integrate to 1
    r = np.linspace(-1 + 1e-9, 1 - 1e-9, 200001)
    L = np.zeros((len(r), 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1, r, np.sqrt(1 - r ** 2)
    for eta in (0.7, 1.0, 3.0):
        dens = np.exp(to_numpy(D.LKJCholesky(2, _t(eta, tg_device)).log_prob(_t(L, tg_device))))
        assert abs(_trapezoid(dens, r) - 1) < 2e-3


def test_exponential_family_entropy_and_bregman_kl(tg_device):
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    p = _t([0.2, 0.7], tg_device)
    bern = D.Bernoulli(p)
    np.testing.assert_allclose(to_numpy(D.ExponentialFamily.entropy(bern)), to_numpy(bern.entropy()), rtol=1e-12)
    a = _t([[0.5, 2.0, 1.5]], tg_device)
    dirichlet = D.Dirichlet(a)
    np.testing.assert_allclose(to_numpy(dirichlet._log_normalizer(a)),
                               to_numpy(tg.lgamma(a).sum(-1) - tg.lgamma(a.sum(-1))), rtol=1e-12)

    class B(D.Bernoulli):
        pass

    np.testing.assert_allclose(to_numpy(D.kl_divergence(B(p), B(p.flip(0)))),
                               to_numpy(D.kl_divergence(D.Bernoulli(p), D.Bernoulli(p.flip(0)))), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        tg.distributions.exp_family.kl_bregman(D.Bernoulli(p), D.Poisson(p))
    with pytest.raises(NotImplementedError):
        D.ExponentialFamily(validate_args=False).entropy()


def _numeric_log_det(f, x, eps=1e-6):
    """log |det J| of ``f`` at the vector ``x`` by central differences."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.linalg.slogdet(np.stack(cols, -1))[1]


def test_corr_cholesky_transform_jacobian_and_round_trip(tg_device):
    rng = np.random.default_rng(13)
    t = T.CorrCholeskyTransform()
    x = rng.standard_normal(6)

    def f(v):
        L = to_numpy(t(_t(v, tg_device)))
        return L[np.tril_indices(4, -1)]  # the free entries of the factor

    y = t(_t(x, tg_device))
    np.testing.assert_allclose(to_numpy(t.log_abs_det_jacobian(_t(x, tg_device), y)), _numeric_log_det(f, x), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(t.inv(y)), x, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(y @ y.mT).diagonal(), 1.0, rtol=1e-12)
    assert bool(C.corr_cholesky.check(y))
    assert t.forward_shape((2, 6)) == (2, 4, 4) and t.inverse_shape((2, 4, 4)) == (2, 6)
    assert D.biject_to(C.corr_cholesky) == t


def test_structured_transforms(tg_device):
    rng = np.random.default_rng(14)
    x = _t(rng.standard_normal((3, 5)), tg_device)
    cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)], 1, [2, 3])
    y = cat(x)
    np.testing.assert_allclose(to_numpy(y[:, :2]), np.exp(to_numpy(x[:, :2])))
    np.testing.assert_allclose(to_numpy(y[:, 2:]), 1 + 3 * to_numpy(x[:, 2:]))
    np.testing.assert_allclose(to_numpy(cat.log_abs_det_jacobian(x, y)),
                               np.concatenate([to_numpy(x[:, :2]), np.full((3, 3), math.log(3))], 1))
    np.testing.assert_allclose(to_numpy(cat.inv(y)), to_numpy(x), rtol=1e-12)
    stack = T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.SigmoidTransform()], 0)
    z = _t(rng.standard_normal((3, 4)), tg_device)
    np.testing.assert_allclose(to_numpy(stack.inv(stack(z))), to_numpy(z), rtol=1e-10)
    assert repr(D.biject_to(C.stack([C.positive, C.real], 0))) == "StackTransform()"
    reshape = T.ReshapeTransform((2, 3), (6,))
    r_in = _t(rng.standard_normal((4, 2, 3)), tg_device)
    r = reshape(r_in)
    assert tuple(r.shape) == (4, 6) and tuple(reshape.log_abs_det_jacobian(r_in, r).shape) == (4,)
    ind = T.IndependentTransform(T.ExpTransform(), 1)
    np.testing.assert_allclose(to_numpy(ind.log_abs_det_jacobian(x, ind(x))), to_numpy(x).sum(-1), rtol=1e-12)
    normal = D.Normal(_t(0.0, tg_device), _t(1.0, tg_device))
    cdf = T.CumulativeDistributionTransform(normal)
    u = cdf(x)
    assert bool(((u > 0) & (u < 1)).all())
    np.testing.assert_allclose(to_numpy(cdf.log_abs_det_jacobian(x, u)), to_numpy(normal.log_prob(x)))
    np.testing.assert_allclose(to_numpy(cdf.inv(u)), to_numpy(x), rtol=1e-8)
    pd = T.PositiveDefiniteTransform()
    m = pd(_t(rng.standard_normal((2, 3, 3)), tg_device))
    assert bool(C.positive_definite.check(m).all())
    np.testing.assert_allclose(to_numpy(pd(pd.inv(m))), to_numpy(m), rtol=1e-10)
    assert repr(D.transform_to(C.positive_definite)) == "PositiveDefiniteTransform()"
    with pytest.raises(NotImplementedError):
        D.biject_to(C.positive_definite)


def test_new_constraints(tg_device):
    mc = C.MixtureSameFamilyConstraint(C.positive)
    np.testing.assert_array_equal(to_numpy(mc.check(_t([[1.0, -1.0], [2.0, 3.0]], tg_device))), [[True, False], [True, True]])
    assert mc.event_dim == 0 and not mc.is_discrete
    assert C.multinomial(3).event_dim == 1 and C.multinomial(3).is_discrete
    assert C.stack([C.real, C.real], -1).event_dim == 1 and C.stack([C.real, C.real], 0).event_dim == 0


@pytest.mark.parametrize("make", [
    lambda: (D.Normal(tg.tensor([0.3, -1.0]), tg.tensor([1.2, 0.5])), D.Normal(tg.tensor([1.0, 0.0]), tg.tensor([0.7, 2.0]))),
    lambda: (D.Exponential(tg.tensor([0.5, 2.0])), D.Exponential(tg.tensor([1.5, 0.3]))),
    lambda: (D.Gamma(tg.tensor([2.0, 0.5]), tg.tensor([1.0, 3.0])), D.Gamma(tg.tensor([1.0, 4.0]), tg.tensor([0.5, 2.0]))),
    lambda: (D.Chi2(tg.tensor([2.0, 5.0])), D.Chi2(tg.tensor([3.0, 1.0]))),
    lambda: (D.Beta(tg.tensor([2.0, 0.5]), tg.tensor([1.0, 3.0])), D.Beta(tg.tensor([1.0, 4.0]), tg.tensor([0.5, 2.0]))),
], ids=["Normal", "Exponential", "Gamma", "Chi2", "Beta"])
def test_classic_distributions_are_exponential_families(make):
    # as in PyTorch: the log-normalizer form gives the closed-form entropy and KL back
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    from tensorgraft.distributions.exp_family import kl_bregman
    p, q = make()
    assert isinstance(p, D.ExponentialFamily)
    np.testing.assert_allclose(D.ExponentialFamily.entropy(p).detach().numpy(), p.entropy().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kl_bregman(p, q).detach().numpy(), D.kl_divergence(p, q).numpy(), rtol=1e-5, atol=1e-6)
