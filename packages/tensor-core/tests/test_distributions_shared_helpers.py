"""The pieces that several distributions share (``tensorgraft.distributions`` without PyTorch):
``expand`` through ``_expand_params``/``_expand_dists`` and the carried-over matrix views, the
probs-or-logits constructor helper, the one-of-three matrix argument, the bounded constraints'
reprs and the folded distributions' constructor."""
import numpy as np
import pytest

import tensorgraft as tg

D = tg.distributions
C = tg.distributions.constraints


def _t(a, dev):
    return tg.tensor(np.asarray(a, dtype=np.float64), device=dev)


def _np(t):
    return np.asarray(t.detach().cpu())


def _spd(rng, p, dev):
    a = rng.standard_normal((p, p))
    return _t(a @ a.T + p * np.eye(p), dev)


# ------------------------------------------------------------------ expand
def test_expand_keeps_inner_distributions_trailing_batch_dims(tg_device):
    rng = np.random.default_rng(0)
    probs = _t(rng.dirichlet(np.ones(4), size=2), tg_device)
    m = D.Multinomial(5, probs).expand([3, 2])  # a list works as well as a tuple or Size
    assert m.batch_shape == (3, 2) and m.event_shape == (4,)
    assert m._categorical.batch_shape == (3, 2)
    assert m._binomial.batch_shape == (3, 2, 4)  # one Binomial per category
    assert m.sample().shape == (3, 2, 4) and m.entropy().shape == (3, 2)

    lkj = D.LKJCholesky(4, _t([0.5, 2.0], tg_device)).expand((5, 2))
    assert lkj.concentration.shape == (5, 2) and lkj._beta.batch_shape == (5, 2, 3)
    assert lkj.sample().shape == (5, 2, 4, 4)

    normal = D.Normal(_t(rng.standard_normal((2, 3)), tg_device), _t(np.ones((2, 3)), tg_device))
    ind = D.Independent(normal, 1).expand((4, 2))
    assert ind.batch_shape == (4, 2) and ind.event_shape == (3,)
    assert ind.base_dist.batch_shape == (4, 2, 3)
    assert ind.log_prob(_t(np.zeros(3), tg_device)).shape == (4, 2)


def test_expand_of_inner_distributions_gives_the_same_values(tg_device):
    rng = np.random.default_rng(1)
    a, b = _t(rng.uniform(1, 3, 2), tg_device), _t(rng.uniform(1, 3, 2), tg_device)
    x = _t(rng.uniform(0.1, 0.9, (3, 2)), tg_device)
    for dist, value in [(D.Beta(a, b), x), (D.StudentT(a + 2, 0.5, b), x), (D.FisherSnedecor(a, b), x)]:
        wide = dist.expand((3, 2))
        np.testing.assert_allclose(_np(wide.log_prob(value)), _np(dist.log_prob(value)), rtol=1e-12)
        np.testing.assert_allclose(_np(wide.variance), np.broadcast_to(_np(dist.variance), (3, 2)), rtol=1e-12)
        assert wide.rsample((7,)).shape == (7, 3, 2)


def test_wishart_with_scalar_df_expands_its_bartlett_draws(tg_device):
    # the Chi2 of a scalar df has batch shape (p,) only, not batch_shape + (p,)
    rng = np.random.default_rng(2)
    cov = tg.stack([_spd(rng, 3, tg_device), _spd(rng, 3, tg_device)])
    w = D.Wishart(4.0, covariance_matrix=cov)
    assert w._dist_chi2.batch_shape == (3,)
    wide = w.expand((5, 2))
    assert wide._dist_chi2.batch_shape == (5, 2, 3) and wide.df.shape == (5, 2)
    assert wide._batch_dims == [-1, -2]
    assert wide.rsample((6,)).shape == (6, 5, 2, 3, 3)
    np.testing.assert_allclose(_np(wide.mean), np.broadcast_to(_np(w.mean), (5, 2, 3, 3)), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda loc, cov, dev: D.MultivariateNormal(loc, covariance_matrix=cov),
    lambda loc, cov, dev: D.LowRankMultivariateNormal(loc, _t([[1.0], [0.5], [0.2]], dev), _t([1.0, 2.0, 0.5], dev)),
    lambda loc, cov, dev: D.Wishart(5.0, covariance_matrix=cov),
], ids=["MultivariateNormal", "LowRankMultivariateNormal", "Wishart"])
def test_expand_carries_the_matrix_views_already_derived(tg_device, make):
    rng = np.random.default_rng(3)
    dist = make(_t(rng.standard_normal(3), tg_device), _spd(rng, 3, tg_device), tg_device)
    dist.__dict__.pop("precision_matrix", None)
    precision = dist.precision_matrix  # derived (and cached) before expanding
    wide = dist.expand((4,))
    assert "precision_matrix" in wide.__dict__ and wide.__dict__["precision_matrix"].shape == (4, 3, 3)
    np.testing.assert_allclose(_np(wide.precision_matrix), np.broadcast_to(_np(precision), (4, 3, 3)))
    # a view not derived yet is derived on the expanded distribution, with its shape
    assert wide.covariance_matrix.shape == (4, 3, 3) and wide.scale_tril.shape == (4, 3, 3)
    np.testing.assert_allclose(_np(wide.covariance_matrix @ wide.precision_matrix),
                               np.broadcast_to(np.eye(3), (4, 3, 3)), atol=1e-10)


# ------------------------------------------------------------------ probs or logits
@pytest.mark.parametrize("make", [
    lambda **kw: D.Bernoulli(**kw), lambda **kw: D.Geometric(**kw), lambda **kw: D.Binomial(4, **kw),
    lambda **kw: D.NegativeBinomial(3.0, **kw), lambda **kw: D.ContinuousBernoulli(**kw),
    lambda **kw: D.RelaxedBernoulli(0.5, **kw),
], ids=["Bernoulli", "Geometric", "Binomial", "NegativeBinomial", "ContinuousBernoulli", "RelaxedBernoulli"])
def test_exactly_one_of_probs_and_logits(tg_device, make):
    p = _t([0.25, 0.5], tg_device)
    message = "Either `probs` or `logits` must be specified, but not both."
    with pytest.raises(ValueError, match=message.replace("`", ".")):
        make()
    with pytest.raises(ValueError, match=message.replace("`", ".")):
        make(probs=p, logits=p)
    from_logits = make(logits=tg.log(p) - tg.log1p(-p))
    from_probs = make(probs=p)
    np.testing.assert_allclose(_np(from_logits.probs), _np(from_probs.probs), rtol=1e-6)


def test_the_given_parameter_is_stored_and_the_other_derived_lazily(tg_device):
    p = _t([0.2, 0.7], tg_device)
    b = D.Binomial(tg.tensor([3, 5], device=tg_device), probs=p)
    assert "probs" in b.__dict__ and "logits" not in b.__dict__
    assert b.total_count.dtype == p.dtype  # an integer count is stored in the parameter's dtype
    assert b.param_shape == (2,) and b._param is b.__dict__["probs"]
    np.testing.assert_allclose(_np(b.logits), np.log([0.2 / 0.8, 0.7 / 0.3]), rtol=1e-12)
    g = D.Geometric(logits=0.0)
    assert "logits" in g.__dict__ and float(g.probs) == 0.5
    cb = D.ContinuousBernoulli(probs=_t([0.0, 1.0], tg_device))  # nudged inside (0, 1)
    assert 0 < float(cb.probs[0]) < 1e-6 and 0 < 1 - float(cb.probs[1]) < 1e-6


def test_categorical_based_distributions_read_the_categorical(tg_device):
    rng = np.random.default_rng(4)
    logits = _t(rng.standard_normal((2, 3)), tg_device)
    expected = np.exp(_np(logits)) / np.exp(_np(logits)).sum(-1, keepdims=True)
    for dist in [D.OneHotCategorical(logits=logits), D.Multinomial(2, logits=logits),
                 D.RelaxedOneHotCategorical(0.5, logits=logits).base_dist]:
        assert dist.param_shape == (2, 3)
        np.testing.assert_allclose(_np(dist.probs), expected, rtol=1e-12)
        wide = dist.expand((4, 2))
        assert wide._categorical.batch_shape == (4, 2) and wide.probs.shape == (4, 2, 3)


# ------------------------------------------------------------------ matrices, constraints, folding
def test_exactly_one_matrix_argument(tg_device):
    rng = np.random.default_rng(5)
    cov = _spd(rng, 2, tg_device)
    message = "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
    loc = _t([0.0, 0.0], tg_device)
    with pytest.raises(ValueError, match=message):
        D.MultivariateNormal(loc)
    with pytest.raises(ValueError, match=message):
        D.MultivariateNormal(loc, cov, precision_matrix=cov)
    with pytest.raises(AssertionError, match=message):  # PyTorch's Wishart asserts
        D.Wishart(3.0)
    with pytest.raises(AssertionError, match=message):
        D.Wishart(3.0, cov, scale_tril=tg.linalg.cholesky(cov))
    by_cov = D.MultivariateNormal(loc, covariance_matrix=cov)
    by_prec = D.MultivariateNormal(loc, precision_matrix=tg.linalg.inv(cov))
    by_tril = D.MultivariateNormal(loc, scale_tril=tg.linalg.cholesky(cov))
    for other in (by_prec, by_tril):
        np.testing.assert_allclose(_np(other.scale_tril), _np(by_cov.scale_tril), rtol=1e-10, atol=1e-12)


def test_bounded_constraint_reprs():
    assert repr(C.interval(0.0, 1.0)) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    assert repr(C.half_open_interval(lower_bound=0, upper_bound=2)) == "HalfOpenInterval(lower_bound=0, upper_bound=2)"
    assert repr(C.integer_interval(0, 3)) == "IntegerInterval(lower_bound=0, upper_bound=3)"
    assert repr(C.greater_than(1)) == "GreaterThan(lower_bound=1)"
    assert repr(C.greater_than_eq(lower_bound=2)) == "GreaterThanEq(lower_bound=2)"
    assert repr(C.less_than(upper_bound=3)) == "LessThan(upper_bound=3)"
    assert repr(C.positive_integer) == "IntegerGreaterThan(lower_bound=1)"
    assert repr(C.multinomial(3)) == "Multinomial()"
    # integer constraints are no kind of real interval (biject_to dispatches on the class)
    with pytest.raises(NotImplementedError):
        D.biject_to(C.integer_interval(0, 3))


def test_constraints_defined_through_others():
    assert C.independent(C.boolean, 2).is_discrete and C.independent(C.simplex, 2).event_dim == 3
    mixture = C.MixtureSameFamilyConstraint(C.real_vector)
    assert not mixture.is_discrete and mixture.event_dim == 1
    assert C.cat([C.real, C.boolean], 0, [1, 2]).is_discrete and C.cat([C.real, C.simplex]).event_dim == 1
    assert C.stack([C.real, C.positive], -1).event_dim == 1 and C.stack([C.real, C.positive], 0).event_dim == 0
    assert C.stack([C.real_vector, C.simplex], 0).event_dim == 1
    assert C.stack([C.real_vector, C.simplex], -2).event_dim == 2


@pytest.mark.parametrize("folded, base", [(D.HalfNormal, D.Normal), (D.HalfCauchy, D.Cauchy)])
def test_folded_distributions_build_their_symmetric_base(tg_device, folded, base):
    scale = _t([0.5, 2.0], tg_device)
    d = folded(scale)
    assert type(d.base_dist) is base and float(d.base_dist.loc.abs().max()) == 0
    assert d.scale is d.base_dist.scale and d.batch_shape == (2,)
    with pytest.raises(ValueError, match=f"of distribution {folded.__name__}"):
        folded(_t([-1.0], tg_device))
