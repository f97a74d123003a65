"""The second batch of ``tensorgraft.distributions`` against ``torch.distributions``: the same
constructor on both libraries, then log_prob, entropy, moments, shapes, repr, gradients w.r.t. the
parameters, KL divergences, transforms (forward, inverse, log-Jacobian, shapes, reprs, the
``biject_to``/``transform_to`` choices) and the validation errors (type and text)."""
import importlib
import zlib

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy
from tensorgraft.testing.oracle import assert_same_error

torch = pytest.importorskip("torch")

LIBS = {"tg": tg, "torch": torch}


def _rng(request):
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def _lib_of(name):
    return tg if name == "tg" else torch


def _dist(name, path):
    """``path`` like ``"Wishart"`` or ``"relaxed_bernoulli.LogitRelaxedBernoulli"`` in either library."""
    mod = importlib.import_module(("tensorgraft" if name == "tg" else "torch") + ".distributions")
    if "." in path:
        module, attr = path.split(".")
        mod = importlib.import_module(f"{mod.__name__}.{module}")
        path = attr
    return getattr(mod, path)


def _spd(rng, n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _corr_tril(rng, n, batch=()):
    s = _spd(rng, n, batch)
    d = np.sqrt(np.diagonal(s, axis1=-2, axis2=-1))
    c = s / d[..., :, None] / d[..., None, :]
    return np.linalg.cholesky(c)


def _simplex(rng, *shape):
    p = rng.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


# id -> (build(lib_name, *params), params(rng), value(rng) or None, what to compare)
def _cases():
    return {
        "NegativeBinomial_probs": (lambda L, n, p: _dist(L, "NegativeBinomial")(n, probs=p),
                                   lambda r: [r.uniform(0.5, 4, (2, 3)), r.uniform(0.1, 0.9, (2, 3))],
                                   lambda r: r.integers(0, 6, (4, 2, 3)).astype(float), ("mean", "variance", "mode")),
        "NegativeBinomial_logits": (lambda L, n, lg: _dist(L, "NegativeBinomial")(n, logits=lg),
                                    lambda r: [r.uniform(0.5, 4, (3,)), r.standard_normal(3)],
                                    lambda r: r.integers(0, 6, (3,)).astype(float), ("mean", "variance", "mode")),
        "Multinomial": (lambda L, p: _dist(L, "Multinomial")(5, probs=p), lambda r: [_simplex(r, 2, 3)],
                        lambda r: np.array([[1.0, 2, 2], [0, 0, 5]]), ("mean", "variance", "entropy")),
        "Multinomial_logits": (lambda L, lg: _dist(L, "Multinomial")(3, logits=lg), lambda r: [r.standard_normal(4)],
                               lambda r: np.array([1.0, 0, 2, 0]), ("mean", "variance", "entropy")),
        "LowRankMVN": (lambda L, loc, w, d: _dist(L, "LowRankMultivariateNormal")(loc, w, d),
                       lambda r: [r.standard_normal((2, 4)), r.standard_normal((4, 2)), r.uniform(0.5, 2, 4)],
                       lambda r: r.standard_normal((3, 2, 4)),
                       ("mean", "variance", "entropy", "covariance_matrix", "precision_matrix", "scale_tril")),
        "LogitRelaxedBernoulli": (lambda L, t, lg: _dist(L, "relaxed_bernoulli.LogitRelaxedBernoulli")(t, logits=lg),
                                  lambda r: [np.array(0.7), r.standard_normal((2, 3))],
                                  lambda r: r.standard_normal((2, 3)), ()),
        "RelaxedBernoulli": (lambda L, t, p: _dist(L, "RelaxedBernoulli")(t, probs=p),
                             lambda r: [np.array(0.5), r.uniform(0.1, 0.9, 3)], lambda r: r.uniform(0.05, 0.95, (2, 3)), ()),
        "ExpRelaxedCategorical": (lambda L, t, p: _dist(L, "relaxed_categorical.ExpRelaxedCategorical")(t, probs=p),
                                  lambda r: [np.array(0.6), _simplex(r, 2, 4)],
                                  lambda r: np.log(_simplex(r, 2, 4)), ()),
        "RelaxedOneHotCategorical": (lambda L, t, lg: _dist(L, "RelaxedOneHotCategorical")(t, logits=lg),
                                     lambda r: [np.array(1.3), r.standard_normal(3)], lambda r: _simplex(r, 5, 3), ()),
        "OneHotCategoricalStraightThrough": (lambda L, p: _dist(L, "OneHotCategoricalStraightThrough")(p),
                                             lambda r: [_simplex(r, 2, 3)], lambda r: np.eye(3)[[0, 2]],
                                             ("mean", "variance", "entropy")),
        "MixtureSameFamily": (lambda L, p, m, s: _dist(L, "MixtureSameFamily")(_dist(L, "Categorical")(p),
                                                                              _dist(L, "Normal")(m, s)),
                              lambda r: [_simplex(r, 2, 3), r.standard_normal((2, 3)), r.uniform(0.5, 2, (2, 3))],
                              lambda r: r.standard_normal((4, 2)), ("mean", "variance", "cdf")),
        "MixtureSameFamily_mvn": (lambda L, p, m: _dist(L, "MixtureSameFamily")(
                                      _dist(L, "Categorical")(p),
                                      _dist(L, "Independent")(_dist(L, "Normal")(m, m * 0 + 1.5), 1)),
                                  lambda r: [_simplex(r, 3), r.standard_normal((3, 2))],
                                  lambda r: r.standard_normal((5, 2)), ("mean", "variance")),
        "Wishart": (lambda L, df, s: _dist(L, "Wishart")(df, covariance_matrix=s),
                    lambda r: [r.uniform(3.5, 6, 2), _spd(r, 3)], lambda r: _spd(r, 3, (2,)),
                    ("mean", "variance", "entropy", "mode")),
        "Wishart_precision": (lambda L, df, s: _dist(L, "Wishart")(df, precision_matrix=s),
                              lambda r: [np.array(2.5), _spd(r, 2)], lambda r: _spd(r, 2), ("mean", "variance", "entropy")),
        "Wishart_scale_tril": (lambda L, df, s: _dist(L, "Wishart")(df, scale_tril=s),
                               lambda r: [np.array(4.0), np.linalg.cholesky(_spd(r, 3))], lambda r: _spd(r, 3),
                               ("mean", "variance", "entropy", "mode")),
        "LKJCholesky": (lambda L, c: _dist(L, "LKJCholesky")(3, c), lambda r: [r.uniform(0.3, 3, 2)],
                        lambda r: _corr_tril(r, 3, (2,)), ()),
        "LKJCholesky_4": (lambda L, c: _dist(L, "LKJCholesky")(4, c), lambda r: [np.array(1.7)],
                          lambda r: _corr_tril(r, 4, (3,)), ()),
    }


CASES = _cases()
DTYPES = ["float64", "float32"]


def _both(case, rng, dtype):
    build, params, value, _ = CASES[case]
    ps = params(rng)
    tgp = [tg.tensor(p, dtype=getattr(tg, dtype)) for p in ps]
    tp = [torch.tensor(p, dtype=getattr(torch, dtype)) for p in ps]
    v = value(rng)
    return build("tg", *tgp), build("torch", *tp), tgp, tp, v


def _close(a, b, dtype, rtol=None):
    tol = 1e-9 if dtype == "float64" else 2e-4
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol or tol, atol=tol)


@pytest.mark.filterwarnings("ignore:Low df", "ignore:Singular sample")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_against_torch(case, dtype, request):
    rng = _rng(request)
    a, b, _, _, v = _both(case, rng, dtype)
    assert a.batch_shape == b.batch_shape and a.event_shape == b.event_shape
    assert a.has_rsample == b.has_rsample and a.has_enumerate_support == b.has_enumerate_support
    assert repr(a.support) == repr(b.support)
    if isinstance(b.arg_constraints, dict):
        assert {k: repr(c) for k, c in a.arg_constraints.items()} == {k: repr(c) for k, c in b.arg_constraints.items()}
    lp_a = a.log_prob(tg.tensor(v, dtype=getattr(tg, dtype)))
    lp_b = b.log_prob(torch.tensor(v, dtype=getattr(torch, dtype)))
    assert lp_a.dtype == getattr(tg, dtype) and lp_a.shape == lp_b.shape
    _close(lp_a, lp_b, dtype)
    for what in CASES[case][3]:
        if what == "entropy":
            # PyTorch's Multinomial entropy is ~2e-8 off in float64 (ours matches a brute-force sum,
            # see the plain tests)
            _close(a.entropy(), b.entropy(), dtype, rtol=1e-7 if case.startswith("Multinomial") else None)
        elif what == "cdf":
            _close(a.cdf(tg.tensor(v, dtype=getattr(tg, dtype))), b.cdf(torch.tensor(v, dtype=getattr(torch, dtype))), dtype)
        else:
            ra, rb = getattr(a, what), getattr(b, what)
            assert ra.shape == rb.shape, what
            _close(ra, rb, dtype)
    assert repr(a) == repr(b)
    n = (2,)
    assert tuple(a.sample(n).shape) == tuple(b.sample(n).shape)
    if a.has_rsample:
        assert tuple(a.rsample(n).shape) == tuple(b.rsample(n).shape)


@pytest.mark.filterwarnings("ignore:Low df", "ignore:Singular sample")
@pytest.mark.parametrize("case", sorted(CASES))
def test_log_prob_gradients(case, request):
    rng = _rng(request)
    build, params, value, _ = CASES[case]
    ps = params(rng)
    v = value(rng)
    tgp = [tg.tensor(p, dtype=tg.float64, requires_grad=True) for p in ps]
    tp = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in ps]
    build("tg", *tgp).log_prob(tg.tensor(v)).sum().backward()
    build("torch", *tp).log_prob(torch.tensor(v)).sum().backward()
    for a, b in zip(tgp, tp):
        if b.grad is None:
            assert a.grad is None or np.allclose(to_numpy(a.grad), 0)
            continue
        ga, gb = to_numpy(a.grad), b.grad.numpy()
        if case == "Wishart_scale_tril" and a.dim() == 2:
            # only the lower triangle of scale_tril is a parameter (PyTorch also differentiates
            # the unused upper triangle; tensorgraft leaves it zero)
            ga, gb = np.tril(ga), np.tril(gb)
        np.testing.assert_allclose(ga, gb, rtol=1e-7, atol=1e-9)


@pytest.mark.filterwarnings("ignore:Low df", "ignore:Singular sample")
@pytest.mark.parametrize("case", ["Wishart", "LowRankMVN", "Multinomial", "MixtureSameFamily"])
def test_expand(case, request):
    rng = _rng(request)
    a, b, _, _, v = _both(case, rng, "float64")
    shape = (5,) + tuple(b.batch_shape)
    ea, eb = a.expand(shape), b.expand(shape)
    assert ea.batch_shape == eb.batch_shape and repr(ea) == repr(eb)
    v = v[0] if v.ndim > len(b.batch_shape) + len(b.event_shape) else v
    _close(ea.log_prob(tg.tensor(v)), eb.log_prob(torch.tensor(v)), "float64")
    assert tuple(ea.sample((2,)).shape) == tuple(eb.sample((2,)).shape)


def _kl_pairs(rng):
    loc, w, d = rng.standard_normal(3), rng.standard_normal((2, 3, 1)), rng.uniform(0.5, 2, 3)
    loc2, w2, d2 = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.uniform(0.5, 2, 3)
    s = _spd(rng, 3)
    p1, p2 = _simplex(rng, 2, 4), _simplex(rng, 4)
    return {
        "lowrank_lowrank": (lambda L, *a: _dist(L, "LowRankMultivariateNormal")(*a[:3]),
                            lambda L, *a: _dist(L, "LowRankMultivariateNormal")(*a[3:6]), [loc, w, d, loc2, w2, d2]),
        "lowrank_mvn": (lambda L, *a: _dist(L, "LowRankMultivariateNormal")(*a[:3]),
                        lambda L, *a: _dist(L, "MultivariateNormal")(a[3], a[4]), [loc, w, d, loc2, s]),
        "mvn_lowrank": (lambda L, *a: _dist(L, "MultivariateNormal")(a[3], a[4]),
                        lambda L, *a: _dist(L, "LowRankMultivariateNormal")(*a[:3]), [loc, w, d, loc2, s]),
        # unbatched: PyTorch's formula is wrong when only p is batched (see the plain tests)
        "wishart_wishart": (lambda L, *a: _dist(L, "Wishart")(a[0], a[1]), lambda L, *a: _dist(L, "Wishart")(a[2], a[3]),
                            [np.array(3.7), s, np.array(4.5), _spd(rng, 3)]),
        "st_st": (lambda L, *a: _dist(L, "OneHotCategoricalStraightThrough")(a[0]),
                  lambda L, *a: _dist(L, "OneHotCategoricalStraightThrough")(a[1]), [p1, p2]),
        "st_onehot": (lambda L, *a: _dist(L, "OneHotCategoricalStraightThrough")(a[0]),
                      lambda L, *a: _dist(L, "OneHotCategorical")(a[1]), [p1, p2]),
        "onehot_st": (lambda L, *a: _dist(L, "OneHotCategorical")(a[0]),
                      lambda L, *a: _dist(L, "OneHotCategoricalStraightThrough")(a[1]), [p1, p2]),
    }


@pytest.mark.parametrize("pair", sorted(_kl_pairs(np.random.default_rng(0))))
def test_kl_divergence(pair, request):
    P, Q, params = _kl_pairs(_rng(request))[pair]
    tgp = [tg.tensor(p, requires_grad=True) for p in params]
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    ka = tg.distributions.kl_divergence(P("tg", *tgp), Q("tg", *tgp))
    kb = torch.distributions.kl_divergence(P("torch", *tp), Q("torch", *tp))
    _close(ka, kb, "float64", rtol=1e-8)
    ka.sum().backward()
    kb.sum().backward()
    for a, b in zip(tgp, tp):
        if b.grad is not None:
            np.testing.assert_allclose(to_numpy(a.grad), b.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_batched_wishart_kl_is_torch_per_element(request):
    """PyTorch's Wishart KL mixes batch elements up (its batched results differ from its own
    unbatched ones, even going negative); ours equals PyTorch's unbatched value per element."""
    rng = _rng(request)
    df_p, df_q = rng.uniform(3, 6, 3), rng.uniform(3, 6, 3)
    s_p, s_q = _spd(rng, 3, (3,)), _spd(rng, 3, (3,))
    got = tg.distributions.kl_divergence(tg.distributions.Wishart(tg.tensor(df_p), tg.tensor(s_p)),
                                         tg.distributions.Wishart(tg.tensor(df_q), tg.tensor(s_q)))
    W = torch.distributions.Wishart
    expected = [torch.distributions.kl_divergence(W(torch.tensor(df_p[i]), torch.tensor(s_p[i])),
                                                  W(torch.tensor(df_q[i]), torch.tensor(s_q[i]))).item() for i in range(3)]
    np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-9)


def test_kl_bregman_for_exponential_families(request):
    """Same-type members without a closed form registered use the Bregman divergence of the log
    normalizer (a Bernoulli subclass and a Poisson subclass dodge the closed forms)."""
    rng = _rng(request)
    for name, params in (("Bernoulli", rng.uniform(0.1, 0.9, (2, 3))), ("Poisson", rng.uniform(0.5, 4, 3))):
        results = []
        for L in ("tg", "torch"):
            sub = type("Sub", (_dist(L, name),), {})
            mk = (lambda x: _dist(L, "Bernoulli")(x)) if name == "Bernoulli" else (lambda x: _dist(L, "Poisson")(x))
            p, q = sub(LIBS[L].tensor(params)), sub(LIBS[L].tensor(params[::-1].copy()))
            results.append(LIBS[L].distributions.kl_divergence(p, q))
            results.append(LIBS[L].distributions.kl_divergence(mk(LIBS[L].tensor(params)),
                                                               mk(LIBS[L].tensor(params[::-1].copy()))))
        for r in results[1:]:
            np.testing.assert_allclose(to_numpy(results[0]), to_numpy(r), rtol=1e-10)


def test_exponential_family_entropy_through_log_normalizer(request):
    rng = _rng(request)
    df, s = rng.uniform(3, 6, 2), _spd(rng, 3)
    a = tg.distributions.Wishart(tg.tensor(df), tg.tensor(s))
    b = torch.distributions.Wishart(torch.tensor(df), torch.tensor(s))
    ef_tg = tg.distributions.ExponentialFamily.entropy(a)
    ef_torch = torch.distributions.ExponentialFamily.entropy(b)
    np.testing.assert_allclose(to_numpy(ef_tg), to_numpy(ef_torch), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(ef_tg), to_numpy(a.entropy()), rtol=1e-10)
    p = rng.uniform(0.1, 0.9, 4)
    entropy = tg.distributions.ExponentialFamily.entropy(tg.distributions.Bernoulli(tg.tensor(p)))
    np.testing.assert_allclose(to_numpy(entropy), torch.distributions.Bernoulli(torch.tensor(p)).entropy().numpy(),
                               rtol=1e-10)
    assert isinstance(tg.distributions.Bernoulli(tg.tensor(p)), tg.distributions.ExponentialFamily)
    for L in (tg, torch):
        with pytest.raises(NotImplementedError):
            L.distributions.Poisson(L.tensor(2.0)).entropy()


# ---------------------------------------------------------------- transforms
def _transforms(L):
    T = L.distributions.transforms
    return {
        "corr_cholesky": (T.CorrCholeskyTransform(), lambda r: r.standard_normal((2, 6))),
        "corr_cholesky_2": (T.CorrCholeskyTransform(), lambda r: r.standard_normal((3, 1))),
        "independent_exp": (T.IndependentTransform(T.ExpTransform(), 1), lambda r: r.standard_normal((2, 3))),
        "independent_stick": (T.IndependentTransform(T.StickBreakingTransform(), 1), lambda r: r.standard_normal((2, 3))),
        "reshape": (T.ReshapeTransform((2, 3), (3, 2)), lambda r: r.standard_normal((4, 2, 3))),
        "reshape_flat": (T.ReshapeTransform((2, 3), (6,)), lambda r: r.standard_normal((2, 3))),
        "cat": (T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0), T.SigmoidTransform()], 1, [2, 1, 2]),
                lambda r: r.standard_normal((3, 5))),
        "cat_vector_parts": (T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1), T.TanhTransform()], -1,
                                            [3, 2]), lambda r: r.standard_normal((4, 5))),
        "cat_dim0": (T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1), T.SigmoidTransform()], 0, [1, 2]),
                     lambda r: r.standard_normal((3, 4))),
        "stack": (T.StackTransform([T.ExpTransform(), T.TanhTransform()], 1), lambda r: r.standard_normal((3, 2, 4))),
        "stack_neg": (T.StackTransform([T.ExpTransform(), T.AffineTransform(0.5, -2.0), T.SigmoidTransform()], -1),
                      lambda r: r.standard_normal((4, 3))),
        "cdf_normal": (T.CumulativeDistributionTransform(L.distributions.Normal(L.tensor(0.3, dtype=L.float64),
                                                                               L.tensor(1.7, dtype=L.float64))),
                       lambda r: r.standard_normal((5,))),
        "positive_definite": (T.PositiveDefiniteTransform(), lambda r: r.standard_normal((2, 3, 3))),
    }


@pytest.mark.parametrize("name", sorted(_transforms(tg)))
def test_transform_against_torch(name, request):
    rng = _rng(request)
    ta, make_x = _transforms(tg)[name]
    tb, _ = _transforms(torch)[name]
    x = make_x(rng)
    xa, xb = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ta(xa), tb(xb)
    assert tuple(ya.shape) == tuple(yb.shape)
    _close(ya, yb, "float64")
    assert tuple(ta.forward_shape(tuple(xa.shape))) == tuple(tb.forward_shape(tuple(xb.shape)))
    assert tuple(ta.inverse_shape(tuple(ya.shape))) == tuple(tb.inverse_shape(tuple(yb.shape)))
    _close(ta.inv(ya.detach()), tb.inv(yb.detach()), "float64")
    assert repr(ta) == repr(tb) and repr(ta.inv) == repr(tb.inv)
    assert repr(ta.domain) == repr(tb.domain) and repr(ta.codomain) == repr(tb.codomain)
    assert ta.bijective == tb.bijective
    assert ta.domain.event_dim == tb.domain.event_dim and ta.codomain.event_dim == tb.codomain.event_dim
    if name != "positive_definite":
        ja, jb = ta.log_abs_det_jacobian(xa, ya), tb.log_abs_det_jacobian(xb, yb)
        assert tuple(ja.shape) == tuple(jb.shape)
        _close(ja, jb, "float64")
        (ya.sum() + ja.sum()).backward()
        (yb.sum() + jb.sum()).backward()
        np.testing.assert_allclose(to_numpy(xa.grad), xb.grad.numpy(), rtol=1e-8, atol=1e-10)
        try:
            expected = tb.codomain.check(yb.detach())
        except RuntimeError:  # a cat of parts with different event dims cannot be checked in either
            with pytest.raises(RuntimeError):
                ta.codomain.check(ya.detach())
        else:
            assert to_numpy(ta.codomain.check(ya.detach())).tolist() == expected.numpy().tolist()
    else:
        for t in (ta, tb):
            with pytest.raises(NotImplementedError):
                t.log_abs_det_jacobian(xb, yb) if t is tb else t.log_abs_det_jacobian(xa, ya)


def _registry_cases(L):
    C = L.distributions.constraints
    return {
        "corr_cholesky": C.corr_cholesky,
        "independent_positive": C.independent(C.positive, 1),
        "real_vector": C.real_vector,
        "cat": C.cat([C.real, C.positive, C.unit_interval], 0, [2, 1, 2]),
        "stack": C.stack([C.positive, C.interval(-1.0, 2.0)], -1),
        "positive_definite": C.positive_definite,
        "positive_semidefinite": C.positive_semidefinite,
        "simplex": C.simplex,
        "lower_cholesky": C.lower_cholesky,
    }


@pytest.mark.parametrize("name", sorted(_registry_cases(tg)))
def test_biject_to_and_transform_to_choose_as_torch(name):
    ca, cb = _registry_cases(tg)[name], _registry_cases(torch)[name]
    for fn in ("biject_to", "transform_to"):
        try:
            expected = repr(getattr(torch.distributions, fn)(cb))
        except NotImplementedError as e:
            with pytest.raises(NotImplementedError) as info:
                getattr(tg.distributions, fn)(ca)
            assert str(info.value) == str(e)
            continue
        assert repr(getattr(tg.distributions, fn)(ca)) == expected


def test_new_constraints_against_torch(request):
    rng = _rng(request)
    counts = rng.integers(0, 4, (6, 3)).astype(float)
    counts[0, 0] = -1
    a = tg.distributions.constraints.multinomial(5).check(tg.tensor(counts))
    b = torch.distributions.constraints.multinomial(5).check(torch.tensor(counts))
    assert to_numpy(a).tolist() == b.numpy().tolist()
    assert repr(tg.distributions.constraints.multinomial(5)) == repr(torch.distributions.constraints.multinomial(5))
    x = rng.standard_normal((4, 3))
    for base in ("positive", "real"):
        ma = tg.distributions.constraints.MixtureSameFamilyConstraint(getattr(tg.distributions.constraints, base))
        mb = torch.distributions.constraints.MixtureSameFamilyConstraint(getattr(torch.distributions.constraints, base))
        assert repr(ma) == repr(mb) and ma.event_dim == mb.event_dim and ma.is_discrete == mb.is_discrete
        assert to_numpy(ma.check(tg.tensor(x))).tolist() == mb.check(torch.tensor(x)).numpy().tolist()


# ---------------------------------------------------------------- errors
def _error_cases(L):
    D = L.distributions
    t = L.tensor
    eye = L.eye(2)
    return {
        "nb_probs_one": lambda: D.NegativeBinomial(2.0, t(1.0)),
        "nb_both": lambda: D.NegativeBinomial(2.0, t(0.5), t(0.1)),
        "nb_negative_count": lambda: D.NegativeBinomial(t([-1.0, 2.0]), t([0.2, 0.3])),
        "multinomial_scalar": lambda: D.Multinomial(2, t(1.0)),
        "multinomial_none": lambda: D.Multinomial(2),
        "multinomial_value": lambda: D.Multinomial(2, t([0.3, 0.7])).log_prob(t([-1.0, 3.0])),
        "lowrank_loc": lambda: D.LowRankMultivariateNormal(t(0.0), L.ones(3, 2), L.ones(3)),
        "lowrank_factor_dim": lambda: D.LowRankMultivariateNormal(L.zeros(3), L.ones(3), L.ones(3)),
        "lowrank_factor_rows": lambda: D.LowRankMultivariateNormal(L.zeros(4), L.ones(3, 2), L.ones(3)),
        "lowrank_diag": lambda: D.LowRankMultivariateNormal(L.zeros(3), L.ones(3, 2), L.ones(4)),
        "relaxed_probs": lambda: D.RelaxedBernoulli(t(0.5), probs=t([1.5])),
        "relaxed_cat_probs": lambda: D.RelaxedOneHotCategorical(t(0.5), probs=t([-0.5, 1.5])),
        "mixture_not_categorical": lambda: D.MixtureSameFamily(D.Normal(t(0.0), t(1.0)), D.Normal(L.zeros(2), L.ones(2))),
        "mixture_component": lambda: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), "x"),
        "mixture_k": lambda: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), D.Normal(L.zeros(3), L.ones(3))),
        "mixture_batch": lambda: D.MixtureSameFamily(D.Categorical(L.ones(3, 2) / 2), D.Normal(L.zeros(2, 2), L.ones(2, 2))),
        "wishart_df": lambda: D.Wishart(t(0.5), eye),
        "wishart_df_vector": lambda: D.Wishart(t([0.5, 3.0]), eye),
        "wishart_two": lambda: D.Wishart(t(3.0), eye, precision_matrix=eye),
        "wishart_vector": lambda: D.Wishart(t(3.0), L.ones(2)),
        "wishart_not_pd": lambda: D.Wishart(t(3.0), -eye),
        "wishart_value": lambda: D.Wishart(t(3.0), eye).log_prob(-eye),
        "lkj_dim": lambda: D.LKJCholesky(1, 1.0),
        "lkj_value": lambda: D.LKJCholesky(2, 1.0).log_prob(eye * 2),
        "reshape_numel": lambda: D.transforms.ReshapeTransform((2, 3), (5,)),
        "reshape_shape": lambda: D.transforms.ReshapeTransform((2, 3), (6,)).forward_shape((4, 3, 2)),
        "reshape_few": lambda: D.transforms.ReshapeTransform((2, 3), (6,)).forward_shape((3,)),
        "corr_shape": lambda: D.transforms.CorrCholeskyTransform().forward_shape((5,)),
        "corr_square": lambda: D.transforms.CorrCholeskyTransform().inverse_shape((3, 4)),
        "cat_length": lambda: D.transforms.CatTransform([D.transforms.ExpTransform()], 0, [2])(L.ones(3)),
        "stack_length": lambda: D.transforms.StackTransform([D.transforms.ExpTransform()], 0)(L.ones(3)),
        "bregman_different_families": lambda: D.kl_divergence(D.Dirichlet(L.ones(2)), D.Wishart(t(3.0), eye)),
        "lowrank_kl_shapes": lambda: D.kl_divergence(D.LowRankMultivariateNormal(L.zeros(3), L.ones(3, 1), L.ones(3)),
                                                     D.LowRankMultivariateNormal(L.zeros(2), L.ones(2, 1), L.ones(2))),
        "lowrank_mvn_kl_shapes": lambda: D.kl_divergence(D.LowRankMultivariateNormal(L.zeros(3), L.ones(3, 1), L.ones(3)),
                                                         D.MultivariateNormal(L.zeros(2), eye)),
    }


@pytest.mark.filterwarnings("ignore:Low df", "ignore:Singular sample")
@pytest.mark.parametrize("name", sorted(_error_cases(tg)))
def test_errors_match_torch(name):
    assert_same_error(_error_cases(tg)[name], _error_cases(torch)[name])


def test_low_df_warning_matches_torch():
    with pytest.warns(UserWarning) as expected:
        torch.distributions.Wishart(torch.tensor(1.5), torch.eye(2))
    with pytest.warns(UserWarning) as got:
        tg.distributions.Wishart(tg.tensor(1.5), tg.eye(2))
    assert [str(w.message) for w in got] == [str(w.message) for w in expected]


def test_module_paths_match_torch():
    for path in ("negative_binomial.NegativeBinomial", "multinomial.Multinomial",
                 "lowrank_multivariate_normal.LowRankMultivariateNormal", "relaxed_bernoulli.RelaxedBernoulli",
                 "relaxed_bernoulli.LogitRelaxedBernoulli", "relaxed_categorical.RelaxedOneHotCategorical",
                 "relaxed_categorical.ExpRelaxedCategorical", "mixture_same_family.MixtureSameFamily",
                 "wishart.Wishart", "lkj_cholesky.LKJCholesky", "exp_family.ExponentialFamily"):
        assert _dist("tg", path).__name__ == _dist("torch", path).__name__
    names = [n for n in torch.distributions.__all__ if hasattr(torch.distributions, n)]
    wanted = ["NegativeBinomial", "Multinomial", "LowRankMultivariateNormal", "RelaxedBernoulli",
              "RelaxedOneHotCategorical", "OneHotCategoricalStraightThrough", "MixtureSameFamily", "Wishart",
              "LKJCholesky", "ExponentialFamily", "CatTransform", "StackTransform", "ReshapeTransform",
              "IndependentTransform", "CumulativeDistributionTransform", "CorrCholeskyTransform",
              "PositiveDefiniteTransform"]
    for n in wanted:
        assert n in names and hasattr(tg.distributions, n), n
        if n.endswith("Transform"):
            assert hasattr(tg.distributions.transforms, n)
    for n in ("LogitRelaxedBernoulli", "ExpRelaxedCategorical"):
        assert hasattr(tg.distributions, n) == hasattr(torch.distributions, n)
