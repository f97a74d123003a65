"""``tensorgraft.distributions`` against ``torch.distributions``: the same constructor on both
libraries, then shapes, repr, log_prob, entropy, moments, cdf/icdf, expand, KL divergences and the
gradients of all of them w.r.t. the parameters, plus the validation errors (type and text)."""
import math
import os
import zlib

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)   # parameters of the module-level CASES table are drawn from this at import


@pytest.fixture(autouse=True)
def _data_of_this_test(request):
    """Each test draws its own data from its own seed (a shared stream made a test's numbers depend
    on which tests ran before it in the same worker, and a borderline value could flip a check)."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()) + int(os.environ.get("TG_TEST_SEED_OFFSET", "0")))


def _pos(*shape, lo=0.5, hi=3.0):
    return RNG.uniform(lo, hi, shape)


def _unit(*shape):
    return RNG.uniform(0.1, 0.9, shape)


def _simplex(*shape):
    p = RNG.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tril(n, batch=()):
    return np.linalg.cholesky(_spd(n, batch))


N = RNG.standard_normal
# id -> (constructor(D, *params), params (numpy float64), value(params) numpy or None)
CASES = {
    "Normal": (lambda D, a, b: D.Normal(a, b), [N((2, 3)), _pos(2, 3)], lambda: N((4, 2, 3))),
    "Normal_scalar_broadcast": (lambda D, a, b: D.Normal(a, b), [N(3), _pos(1)], lambda: N(3)),
    "LogNormal": (lambda D, a, b: D.LogNormal(a, b), [N(3), _pos(3)], lambda: _pos(2, 3)),
    "Uniform": (lambda D, a, b: D.Uniform(a, a + b), [N(3), _pos(3)], None),
    "Exponential": (lambda D, r: D.Exponential(r), [_pos(4)], lambda: _pos(4)),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), [N(4), _pos(4)], lambda: N(4)),
    "Cauchy": (lambda D, a, b: D.Cauchy(a, b), [N(4), _pos(4)], lambda: N(4)),
    "Gamma": (lambda D, a, b: D.Gamma(a, b), [_pos(4), _pos(4)], lambda: _pos(4)),
    "Chi2": (lambda D, a: D.Chi2(a), [_pos(4, lo=1, hi=5)], lambda: _pos(4)),
    "Beta": (lambda D, a, b: D.Beta(a, b), [_pos(4), _pos(4)], lambda: _unit(4)),
    "Dirichlet": (lambda D, a: D.Dirichlet(a), [_pos(2, 4)], lambda: _simplex(2, 4)),
    "StudentT": (lambda D, df, a, b: D.StudentT(df, a, b), [_pos(4, lo=2.5, hi=6), N(4), _pos(4)], lambda: N(4)),
    "Bernoulli_probs": (lambda D, p: D.Bernoulli(probs=p), [_unit(2, 3)], lambda: RNG.integers(0, 2, (2, 3)).astype(float)),
    "Bernoulli_logits": (lambda D, p: D.Bernoulli(logits=p), [N((2, 3))], lambda: RNG.integers(0, 2, (2, 3)).astype(float)),
    "Geometric": (lambda D, p: D.Geometric(p), [_unit(4)], lambda: RNG.integers(0, 5, 4).astype(float)),
    "Geometric_logits": (lambda D, p: D.Geometric(logits=p), [N(4)], lambda: RNG.integers(0, 5, 4).astype(float)),
    "Poisson": (lambda D, r: D.Poisson(r), [_pos(4)], lambda: RNG.integers(0, 5, 4).astype(float)),
    "Binomial": (lambda D, p: D.Binomial(7, p), [_unit(4)], lambda: RNG.integers(0, 8, 4).astype(float)),
    "Binomial_logits": (lambda D, p: D.Binomial(tg.tensor([3., 5., 9., 2.], dtype=tg.float64) if D is tg.distributions
                                                 else torch.tensor([3., 5., 9., 2.], dtype=torch.float64), logits=p),
                        [N(4)], lambda: np.array([1., 5., 0., 2.])),
    "Categorical": (lambda D, p: D.Categorical(probs=p), [_simplex(2, 5)], lambda: RNG.integers(0, 5, (3, 2))),
    "Categorical_logits": (lambda D, p: D.Categorical(logits=p), [N((2, 5))], lambda: RNG.integers(0, 5, (3, 2))),
    "OneHotCategorical": (lambda D, p: D.OneHotCategorical(p), [_simplex(2, 4)], lambda: np.eye(4)[RNG.integers(0, 4, 2)]),
    "MVN_cov": (lambda D, m, c: D.MultivariateNormal(m, covariance_matrix=c), [N((2, 3)), _spd(3)], lambda: N((4, 2, 3))),
    "MVN_prec": (lambda D, m, c: D.MultivariateNormal(m, precision_matrix=c), [N(3), _spd(3, (2,))], lambda: N((2, 3))),
    "MVN_tril": (lambda D, m, c: D.MultivariateNormal(m, scale_tril=c), [N(3), _tril(3)], lambda: N((2, 3))),
    "Independent": (lambda D, a, b: D.Independent(D.Normal(a, b), 1), [N((2, 3)), _pos(2, 3)], lambda: N((2, 3))),
    "TransformedAffineExp": (lambda D, a, b: D.TransformedDistribution(
        D.Normal(a, b), [D.transforms.AffineTransform(1.0, 2.0), D.transforms.ExpTransform()]),
        [N(3), _pos(3)], lambda: _pos(3, lo=1.5, hi=4)),
    "TransformedSigmoid": (lambda D, a, b: D.TransformedDistribution(D.Normal(a, b), D.transforms.SigmoidTransform()),
                           [N(3), _pos(3)], lambda: _unit(3)),
    "TransformedTanh": (lambda D, a, b: D.TransformedDistribution(D.Normal(a, b), [D.transforms.TanhTransform()]),
                        [N(3), _pos(3)], lambda: _unit(3) * 2 - 1),
    "TransformedStickBreaking": (lambda D, a, b: D.TransformedDistribution(
        D.Independent(D.Normal(a, b), 1), D.transforms.StickBreakingTransform()), [N(3), _pos(3)], lambda: _simplex(4)),
}


def _build(lib, case):
    ctor, params, _ = CASES[case]
    D = tg.distributions if lib is tg else torch.distributions
    ts = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in params]
    return ctor(D, *ts), ts


def _value(lib, case):
    v = CASES[case][2]
    if v is None:
        return None
    arr = v()
    return lib.tensor(arr) if arr.dtype.kind in "iu" else lib.tensor(arr, dtype=lib.float64)


def _try(fn):
    try:
        return fn(), None
    except (NotImplementedError, ValueError, RuntimeError, TypeError, AttributeError) as e:
        return None, type(e)


def _close(a, b, name):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-8, err_msg=name)


def _grads(out, params):
    s = out.sum()
    if not s.requires_grad:
        return [None] * len(params)
    lib = tg if isinstance(s, tg.Tensor) else torch
    return lib.autograd.grad(s, params, allow_unused=True, retain_graph=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_against_torch(case):
    dt, pt = _build(tg, case)
    dr, pr = _build(torch, case)
    assert tuple(dt.batch_shape) == tuple(dr.batch_shape)
    assert tuple(dt.event_shape) == tuple(dr.event_shape)
    assert repr(dt).replace("tensorgraft", "torch") == repr(dr)
    if "tensor(" not in str(dr.support):  # dependent supports print their parameter tensors
        assert str(dt.support) == str(dr.support)
    assert type(dt.support).__name__ == type(dr.support).__name__
    assert dt.has_rsample == dr.has_rsample
    seed = np.random.default_rng(3)
    vt = vr = None
    if CASES[case][2] is not None and CASES[case][2]() is not None:
        arr = CASES[case][2]()
        vt = tg.tensor(arr) if arr.dtype.kind in "iu" else tg.tensor(arr, dtype=tg.float64)
        vr = torch.tensor(arr) if arr.dtype.kind in "iu" else torch.tensor(arr, dtype=torch.float64)
    if vt is None:
        vr = dr.sample((2,))
        vt = tg.tensor(vr.numpy())
    del seed
    if case == "Uniform":
        lo, hi = CASES[case][1][0], CASES[case][1][0] + CASES[case][1][1]
        arr = lo + (hi - lo) * _unit(2, 3)
        vt, vr = tg.tensor(arr, dtype=tg.float64), torch.tensor(arr, dtype=torch.float64)
    checks = [("log_prob", lambda d, v: d.log_prob(v)), ("entropy", lambda d, v: d.entropy()),
              ("mean", lambda d, v: d.mean), ("variance", lambda d, v: d.variance), ("mode", lambda d, v: d.mode),
              ("stddev", lambda d, v: d.stddev), ("cdf", lambda d, v: d.cdf(v)),
              ("icdf", lambda d, v: d.icdf(d.cdf(v))),
              ("expand_log_prob", lambda d, v: d.expand((5,) + tuple(d.batch_shape)).log_prob(v))]
    for name, fn in checks:
        rr, er = _try(lambda: fn(dr, vr))
        rt, et = _try(lambda: fn(dt, vt))
        if er is not None:
            assert et is not None, f"{name}: torch raises {er.__name__}, tensorgraft returned {rt}"
            continue
        assert et is None, f"{name}: tensorgraft raised {et}"
        _close(rt, rr, name)
        assert tuple(rt.shape) == tuple(rr.shape), name
        gr, egr = _try(lambda: _grads(rr, pr))
        if egr is not None:
            continue  # PyTorch has no such gradient (gammainc w.r.t. the shape)
        gt = _grads(rt, pt)
        for a, b in zip(gt, gr):
            if b is None:
                assert a is None or np.allclose(to_numpy(a), 0), name
            else:
                assert a is not None, f"{name}: no gradient"
                np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-5, atol=1e-8, err_msg=f"grad {name}")


@pytest.mark.parametrize("case", ["Normal", "Gamma", "Beta", "Dirichlet", "MVN_cov", "Categorical", "Bernoulli_probs",
                                  "StudentT", "Independent", "OneHotCategorical", "Binomial", "Poisson"])
def test_sample_shapes_and_dtype(case):
    dt, _ = _build(tg, case)
    dr, _ = _build(torch, case)
    for shape in ((), (5,), (2, 3)):
        st, sr = dt.sample(shape), dr.sample(shape)
        assert tuple(st.shape) == tuple(sr.shape)
        assert str(st.dtype).split(".")[-1] == str(sr.dtype).split(".")[-1]
        if dr.has_rsample:
            assert tuple(dt.rsample(shape).shape) == tuple(sr.shape)


KL_PAIRS = ["Normal", "Bernoulli_probs", "Categorical", "MVN_cov", "MVN_tril", "Uniform", "Beta", "Gamma", "Dirichlet",
            "Exponential", "Laplace", "Independent", "Poisson", "Geometric", "Binomial", "OneHotCategorical"]


@pytest.mark.parametrize("case", KL_PAIRS)
def test_kl_divergence(case):
    ctor, params, _ = CASES[case]
    other = [p * 1.3 if case not in ("Bernoulli_probs", "Geometric", "Binomial") else p * 0.9 for p in params]
    if case in ("Categorical", "OneHotCategorical", "Dirichlet"):
        other = [_simplex(*p.shape) if case != "Dirichlet" else p * 1.3 for p in params]
    if case in ("MVN_cov", "MVN_tril"):
        other = [params[0] + 0.3, params[1] * 1.5]
    if case == "Uniform":  # q must cover p
        other = [params[0] - 0.5, params[1] + 1.0]
    out = {}
    for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
        ps = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in params]
        qs = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in other]
        kl = D.kl_divergence(ctor(D, *ps), ctor(D, *qs))
        grads = lib.autograd.grad(kl.sum(), ps + qs, allow_unused=True)
        out[lib] = (kl, grads)
    (kt, gt), (kr, gr) = out[tg], out[torch]
    assert tuple(kt.shape) == tuple(kr.shape)
    _close(kt, kr, "kl")
    for a, b in zip(gt, gr):
        if b is None:
            assert a is None or np.allclose(to_numpy(a), 0)
        else:
            np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-5, atol=1e-8)


def test_kl_not_implemented_same_text():
    msgs = []
    for D in (tg.distributions, torch.distributions):
        with pytest.raises(NotImplementedError) as e:
            D.kl_divergence(D.Cauchy(0.0, 1.0), D.Laplace(0.0, 1.0))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


ERRORS = [
    lambda D, lib: D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.Normal(0.0, 1.0, validate_args=True).log_prob(lib.tensor(float("nan"))),
    lambda D, lib: D.Bernoulli(probs=lib.tensor([1.5]), validate_args=True),
    lambda D, lib: D.Bernoulli(probs=lib.tensor([0.5]), logits=lib.tensor([0.0])),
    lambda D, lib: D.Bernoulli(),
    lambda D, lib: D.Categorical(probs=lib.tensor([-0.2, 0.5]), validate_args=True),
    lambda D, lib: D.Categorical(probs=lib.tensor([0.5, 0.5]), validate_args=True).log_prob(lib.tensor(3)),
    lambda D, lib: D.Uniform(lib.tensor(1.0), lib.tensor(0.0), validate_args=True),
    lambda D, lib: D.Exponential(lib.tensor([1.0]), validate_args=True).log_prob(lib.tensor([-1.0])),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.eye(2), scale_tril=lib.eye(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(()), lib.eye(2)),
    lambda D, lib: D.Normal(0.0, 1.0).log_prob([0.0]),
    lambda D, lib: D.Normal(lib.zeros(3), lib.ones(3), validate_args=True).log_prob(lib.zeros(2)),
    lambda D, lib: D.Independent(D.Normal(lib.zeros(3), lib.ones(3)), 2),
    lambda D, lib: D.Dirichlet(lib.tensor(1.0)),
    lambda D, lib: D.Normal(lib.zeros(3), lib.ones(3)).expand((2, 4)),
    lambda D, lib: D.Distribution().mean,
    lambda D, lib: D.Normal(lib.zeros(2), lib.ones(2)).enumerate_support(),
    lambda D, lib: D.Normal(lib.zeros(3), lib.ones(3), validate_args=True).log_prob(lib.zeros(2, 5)),
    lambda D, lib: D.Dirichlet(lib.ones(3), validate_args=True).log_prob(lib.zeros(2)),
    lambda D, lib: D.Categorical(lib.tensor(1.0)),
    lambda D, lib: D.Categorical(logits=lib.tensor(1.0)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), lib.ones(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), scale_tril=lib.ones(2)),
    lambda D, lib: D.MultivariateNormal(lib.zeros(2), precision_matrix=lib.ones(2)),
    lambda D, lib: D.Uniform(0.0, 1.0, validate_args=True).log_prob(lib.tensor(2.0)),
    lambda D, lib: D.Binomial(lib.tensor(3.0), lib.tensor(0.5), validate_args=True).log_prob(lib.tensor(5.0)),
    lambda D, lib: D.Gamma(lib.tensor([-1.0]), lib.tensor([1.0]), validate_args=True),
    lambda D, lib: D.Dirichlet(lib.tensor([[0.5, -1.0]]), validate_args=True),
    lambda D, lib: D.Beta(lib.tensor([0.5]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.Geometric(lib.tensor([0.5]), validate_args=True).log_prob(lib.tensor([0.5])),
    lambda D, lib: D.Poisson(lib.tensor([-0.5]), validate_args=True),
    lambda D, lib: D.StudentT(lib.tensor([0.0]), validate_args=True),
    lambda D, lib: D.OneHotCategorical(lib.tensor([0.5, 0.5]), validate_args=True).log_prob(lib.tensor([1.0, 1.0])),
    lambda D, lib: D.kl_divergence(D.Binomial(3, lib.tensor(0.5)), D.Binomial(5, lib.tensor(0.5))),
    lambda D, lib: D.kl_divergence(D.Independent(D.Normal(lib.zeros(2, 2), 1.0), 1),
                                   D.Independent(D.Normal(lib.zeros(2, 2), 1.0), 2)),
    lambda D, lib: D.Independent(D.Bernoulli(lib.ones(2, 2) / 2), 1).enumerate_support(),
    lambda D, lib: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
    lambda D, lib: D.transforms.ExpTransform(cache_size=2),
    lambda D, lib: D.biject_to(D.constraints.lower_cholesky),
    lambda D, lib: D.Cauchy(0.0, 1.0).enumerate_support(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match(i):
    assert_same_error(lambda: ERRORS[i](tg.distributions, tg), lambda: ERRORS[i](torch.distributions, torch),
                      normalize=lambda message: message.replace("tensorgraft", "torch"))


def test_enumerate_support_and_transforms_match():
    for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
        c = D.Categorical(probs=lib.tensor([[0.2, 0.8], [0.5, 0.5]]))
        assert to_numpy(c.enumerate_support()).tolist() == [[0, 0], [1, 1]]
        assert tuple(c.enumerate_support(expand=False).shape) == (2, 1)
        b = D.Bernoulli(probs=lib.tensor([0.3, 0.4]))
        assert to_numpy(b.enumerate_support()).tolist() == [[0.0, 0.0], [1.0, 1.0]]
        o = D.OneHotCategorical(probs=lib.tensor([0.2, 0.3, 0.5]))
        assert to_numpy(o.enumerate_support()).tolist() == np.eye(3).tolist()
    x = RNG.standard_normal((2, 4))
    for name, args in [("ExpTransform", ()), ("SigmoidTransform", ()), ("TanhTransform", ()), ("SoftmaxTransform", ()),
                       ("AffineTransform", (0.5, 2.0)), ("PowerTransform", (3.0,)), ("AbsTransform", ()),
                       ("StickBreakingTransform", ()), ("SoftplusTransform", ()), ("LowerCholeskyTransform", ())]:
        res = []
        for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
            t = getattr(D.transforms, name)(*args)
            xs = lib.tensor(np.abs(x) if name == "PowerTransform" else x, dtype=lib.float64, requires_grad=True)
            xs = xs[:, :2].reshape(1, 2, 2) if name == "LowerCholeskyTransform" else xs
            y = t(xs)
            row = [to_numpy(y), repr(t).replace("tensorgraft", "torch")]
            if name not in ("SoftmaxTransform", "AbsTransform", "LowerCholeskyTransform"):
                row.append(to_numpy(t.inv(y)))
                row.append(to_numpy(t.log_abs_det_jacobian(xs, y)))
            row.append(to_numpy(lib.autograd.grad(y.sum(), xs)[0]))
            res.append(row)
        for a, b in zip(*res):
            if isinstance(a, str):
                assert a == b, name
            else:
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, err_msg=name)
    ct = tg.distributions.transforms.ComposeTransform([tg.distributions.transforms.ExpTransform(),
                                                       tg.distributions.transforms.AffineTransform(1.0, 2.0)])
    cr = torch.distributions.transforms.ComposeTransform([torch.distributions.transforms.ExpTransform(),
                                                          torch.distributions.transforms.AffineTransform(1.0, 2.0)])
    xt, xr = tg.tensor(x), torch.tensor(x)
    _close(ct(xt), cr(xr), "compose")
    _close(ct.log_abs_det_jacobian(xt, ct(xt)), cr.log_abs_det_jacobian(xr, cr(xr)), "compose ladj")
    _close(ct.inv(ct(xt)), xt, "compose inv")


def test_constraints_and_biject_to():
    for name in ("real", "positive", "unit_interval", "simplex", "lower_cholesky", "positive_definite", "boolean"):
        assert repr(getattr(tg.distributions.constraints, name)) == repr(getattr(torch.distributions.constraints, name))
    x = RNG.standard_normal(4)
    for c in ("positive", "unit_interval", "simplex", "real"):
        yt = tg.distributions.biject_to(getattr(tg.distributions.constraints, c))(tg.tensor(x))
        yr = torch.distributions.biject_to(getattr(torch.distributions.constraints, c))(torch.tensor(x))
        _close(yt, yr, c)
    assert math.isclose(float(tg.distributions.constraints.interval(0, 1).check(tg.tensor(0.5))), 1.0)


def test_constraint_reprs_and_checks_match():
    vals = RNG.standard_normal((3, 3))
    spd = _spd(3)
    for name, args in [("real", None), ("positive", None), ("nonnegative", None), ("unit_interval", None),
                       ("interval", (0.0, 1.0)), ("half_open_interval", (0, 1)), ("simplex", None), ("boolean", None),
                       ("nonnegative_integer", None), ("positive_integer", None), ("integer_interval", (0, 3)),
                       ("lower_cholesky", None), ("lower_triangular", None), ("positive_definite", None),
                       ("real_vector", None), ("greater_than", (2.0,)), ("greater_than_eq", (1,)),
                       ("less_than", (3.0,)), ("one_hot", None), ("square", None), ("symmetric", None),
                       ("positive_semidefinite", None), ("dependent", None)]:
        res = []
        for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
            c = getattr(D.constraints, name)
            c = c(*args) if args else c
            row = [repr(c)]
            if name != "dependent":
                row += [c.event_dim, c.is_discrete]
                for v in (vals, np.abs(vals), np.round(np.abs(vals)), spd, np.linalg.cholesky(spd), np.eye(3)):
                    row.append(to_numpy(c.check(lib.tensor(v, dtype=lib.float64))).tolist())
            res.append(row)
        assert res[0] == res[1], name
    assert tg.distributions.constraints.independent(tg.distributions.constraints.positive, 1).check(
        tg.tensor([[1.0, 2.0], [1.0, -1.0]])).tolist() == [True, False]


def test_biject_to_transform_to_match():
    x = RNG.standard_normal((2, 3))
    for name, args in [("positive", None), ("nonnegative", None), ("greater_than", (2.0,)), ("less_than", (1.0,)),
                       ("interval", (1.0, 3.0)), ("unit_interval", None), ("simplex", None), ("real", None)]:
        for fn in ("biject_to", "transform_to"):
            res = []
            for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
                c = getattr(D.constraints, name)
                t = getattr(D, fn)(c(*args) if args else c)
                xs = lib.tensor(x, dtype=lib.float64)
                y = t(xs)
                row = [repr(t), to_numpy(y), to_numpy(t.inv(y))]
                if t.bijective:
                    row.append(to_numpy(t.log_abs_det_jacobian(xs, y)))
                res.append(row)
            assert res[0][0] == res[1][0], (name, fn)
            for a, b in zip(res[0][1:], res[1][1:]):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, err_msg=f"{fn}({name})")


@pytest.mark.parametrize("case", ["Normal", "Gamma", "Beta", "Dirichlet", "MVN_prec", "Categorical", "Bernoulli_logits",
                                  "StudentT", "Independent", "OneHotCategorical", "Binomial", "LogNormal",
                                  "TransformedStickBreaking", "Chi2", "Geometric"])
def test_expand_matches(case):
    dt, _ = _build(tg, case)
    dr, _ = _build(torch, case)
    shape = (3,) + tuple(dr.batch_shape)
    et, er = dt.expand(shape), dr.expand(shape)
    assert type(et) is type(dt)
    assert tuple(et.batch_shape) == tuple(er.batch_shape) and tuple(et.event_shape) == tuple(er.event_shape)
    assert repr(et).replace("tensorgraft", "torch") == repr(er)
    assert tuple(et.sample((2,)).shape) == tuple(er.sample((2,)).shape)
    for name, fn in [("mode", lambda d: d.mode), ("variance", lambda d: d.variance), ("entropy", lambda d: d.entropy())]:
        rr, er_ = _try(lambda: fn(er))
        rt, et_ = _try(lambda: fn(et))
        assert et_ == er_, name
        if er_ is None:
            _close(rt, rr, f"expanded {name}")
            assert tuple(rt.shape) == tuple(rr.shape), name


def test_transform_cache_and_inverse_identity():
    for D in (tg.distributions, torch.distributions):
        t = D.transforms.TanhTransform(cache_size=1)
        x = (tg if D is tg.distributions else torch).tensor([30.0], dtype=tg.float64 if D is tg.distributions else torch.float64)
        y = t(x)
        assert t.inv(y) is x  # the cache returns the very input, though atanh(1.0) would be inf
        e = D.transforms.ExpTransform()
        assert e.inv.inv is e and e == D.transforms.ExpTransform() and e.inv == D.transforms.ExpTransform().inv
        assert D.transforms.AffineTransform(1.0, -2.0).sign == -1


def test_validation_default_switch_matches():
    for D, lib in ((tg.distributions, tg), (torch.distributions, torch)):
        D.Distribution.set_default_validate_args(False)
        try:
            d = D.Normal(lib.tensor([0.0]), lib.tensor([-1.0]))
            assert math.isnan(d.log_prob(lib.tensor([0.0])).item())
            assert D.Exponential(lib.tensor([1.0])).log_prob(lib.tensor([-1.0])).item() == 2.0 - 1.0
        finally:
            D.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            D.Distribution.set_default_validate_args(1.5)
