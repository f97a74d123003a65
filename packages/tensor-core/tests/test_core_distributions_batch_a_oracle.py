"""The first batch of added distributions (HalfNormal ... LogisticNormal) and their KL pairs against
``torch.distributions``: the same constructor on both libraries, then repr, shapes, support,
log_prob/cdf/icdf/entropy/moments and their parameter gradients (float32 and float64, several
parameter shapes), KL values and gradients, validation errors (type and text), module paths."""
import math
import zlib

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, to_numpy

torch = pytest.importorskip("torch")

_SEED = {"rng": np.random.default_rng(0)}


@pytest.fixture(autouse=True)
def _own_seed(request):
    """Every test draws its data from a seed of its own (its node id), never from a shared stream."""
    _SEED["rng"] = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def _rng():
    return _SEED["rng"]


def _pos(shape, lo=0.5, hi=3.0):
    return _rng().uniform(lo, hi, shape)


def _real(shape):
    return _rng().standard_normal(shape)


def _unit(shape, lo=0.05, hi=0.95):
    return _rng().uniform(lo, hi, shape)


# name -> (constructor(D, *params), parameter draws(shape), value draw(params, shape) or None = sample)
CASES = {
    "HalfNormal": (lambda D, s: D.HalfNormal(s), lambda sh: [_pos(sh)], lambda p, sh: _pos(sh, 0.01, 4)),
    "HalfCauchy": (lambda D, s: D.HalfCauchy(s), lambda sh: [_pos(sh)], lambda p, sh: _pos(sh, 0.01, 6)),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), lambda sh: [_real(sh), _pos(sh)], lambda p, sh: 2 * _real(sh)),
    "Weibull": (lambda D, s, k: D.Weibull(s, k), lambda sh: [_pos(sh), _pos(sh, 0.6, 3)], lambda p, sh: _pos(sh, 0.05, 4)),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), lambda sh: [_pos(sh), _pos(sh, 0.5, 5)],
               lambda p, sh: p[0] * _pos(sh, 1.0, 4)),
    "GeneralizedPareto": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c),
                          lambda sh: [_real(sh), _pos(sh), _rng().uniform(-0.4, 0.6, sh)],
                          lambda p, sh: p[0] + _unit(sh) * np.where(p[2] < 0, -p[1] / np.where(p[2] < 0, p[2], -1), 3.0)),
    "GeneralizedPareto_zero_shape": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c),
                                     lambda sh: [_real(sh), _pos(sh), np.zeros(sh)],
                                     lambda p, sh: p[0] + _pos(sh, 0.0, 4)),
    "InverseGamma": (lambda D, a, b: D.InverseGamma(a, b), lambda sh: [_pos(sh, 0.5, 4), _pos(sh)],
                     lambda p, sh: _pos(sh, 0.05, 4)),
    "Kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a, b), lambda sh: [_pos(sh), _pos(sh)], lambda p, sh: _unit(sh)),
    "FisherSnedecor": (lambda D, a, b: D.FisherSnedecor(a, b), lambda sh: [_pos(sh, 0.5, 8), _pos(sh, 1, 9)],
                       lambda p, sh: _pos(sh, 0.05, 4)),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), lambda sh: [_unit(sh)], lambda p, sh: _unit(sh, 0, 1)),
    "ContinuousBernoulli_logits": (lambda D, x: D.ContinuousBernoulli(logits=x), lambda sh: [2 * _real(sh)],
                                   lambda p, sh: _unit(sh, 0, 1)),
    "ContinuousBernoulli_near_half": (lambda D, p: D.ContinuousBernoulli(p),
                                      lambda sh: [_rng().uniform(0.4992, 0.5008, sh)], lambda p, sh: _unit(sh, 0, 1)),
    "VonMises": (lambda D, m, k: D.VonMises(m, k), lambda sh: [_real(sh), _pos(sh, 0.1, 20)],
                 lambda p, sh: _rng().uniform(-7, 7, sh)),
    "LogisticNormal": (lambda D, m, s: D.LogisticNormal(m, s), lambda sh: [_real(sh), _pos(sh)], None),
}
SHAPES = [(), (3,), (2, 3)]
DTYPES = ["float64", "float32"]


# PyTorch's GeneralizedPareto.log_prob and cdf fail in float64 ("Double did not match Float"): there
# the float64 results are compared with PyTorch's float32 ones, at float32 tolerance
TORCH_BROKEN_FLOAT64 = {"GeneralizedPareto", "GeneralizedPareto_zero_shape"}


def _build(lib, case, params, dtype):
    D = tg.distributions if lib is tg else torch.distributions
    ts = [lib.tensor(p, dtype=getattr(lib, dtype), requires_grad=True) for p in params]
    return CASES[case][0](D, *ts), ts


def _try(fn):
    try:
        return fn(), None
    except (NotImplementedError, ValueError, RuntimeError) as e:
        return None, type(e)


def _tolerances(dtype):
    return (1e-9, 1e-11) if dtype == "float64" else (2e-4, 2e-6)


def _compare(got, want, dtype, what, case=""):
    rtol, atol = _tolerances(dtype)
    if case == "VonMises":
        atol = max(atol, 1e-8)  # PyTorch approximates log I0 by polynomials (relative error ~1e-7)
        rtol = max(rtol, 1e-8)
    if dtype == "float32" and "grad" in what and case.startswith("ContinuousBernoulli"):
        atol = 5e-3  # float32 variance cancels near p = 1/2; the two roundings differ by ~2e-3

    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, what
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], what
    np.testing.assert_allclose(g, w, rtol=rtol * (1e3 if "grad" in what else 1e2), atol=atol * 1e2, err_msg=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", sorted(CASES))
def test_against_torch(case, shape, dtype):
    if case == "LogisticNormal" and shape == ():
        shape = (1,)
    params = CASES[case][1](shape)
    dt, pt = _build(tg, case, params, dtype)
    dr, pr = _build(torch, case, params, dtype)
    assert tuple(dt.batch_shape) == tuple(dr.batch_shape) and tuple(dt.event_shape) == tuple(dr.event_shape)
    assert repr(dt).replace("tensorgraft", "torch") == repr(dr)
    assert type(dt.support).__name__ == type(dr.support).__name__
    if "tensor(" not in str(dr.support):
        assert str(dt.support) == str(dr.support)
    assert dt.has_rsample == dr.has_rsample
    assert list(dt.arg_constraints) == list(dr.arg_constraints)
    make_value = CASES[case][2]
    if make_value is None:
        arr = dr.sample((4,)).numpy().astype(np.float64)
    else:
        arr = make_value(params, (4,) + tuple(shape))
    vt, vr = tg.tensor(arr, dtype=getattr(tg, dtype)), torch.tensor(arr, dtype=getattr(torch, dtype))
    probs = _unit((4,) + tuple(shape), 0.02, 0.98)
    qt, qr = tg.tensor(probs, dtype=getattr(tg, dtype)), torch.tensor(probs, dtype=getattr(torch, dtype))
    checks = {
        "log_prob": lambda d, v, q: d.log_prob(v), "cdf": lambda d, v, q: d.cdf(v),
        "icdf": lambda d, v, q: d.icdf(q), "entropy": lambda d, v, q: d.entropy(),
        "mean": lambda d, v, q: d.mean, "mode": lambda d, v, q: d.mode, "variance": lambda d, v, q: d.variance,
        "stddev": lambda d, v, q: d.stddev,
        "expand": lambda d, v, q: d.expand((4,) + tuple(d.batch_shape)).log_prob(v),
    }
    for name, fn in checks.items():
        want, err = _try(lambda: fn(dr, vr, qr))
        got, tg_err = _try(lambda: fn(dt, vt, qt))
        if err is RuntimeError and case in TORCH_BROKEN_FLOAT64 and dtype == "float64":
            d32, _ = _build(torch, case, params, "float32")
            want = fn(d32, vr.float(), qr.float())
            assert tg_err is None, f"{name}: tensorgraft raised {tg_err}"
            np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=2e-5, atol=1e-6, err_msg=name)
            continue
        if err is not None:
            assert tg_err is err, f"{name}: torch raises {err.__name__}, tensorgraft gave {got}"
            continue
        assert tg_err is None, f"{name}: tensorgraft raised {tg_err}"
        if case == "Kumaraswamy" and name == "mode":
            continue  # PyTorch's mode is NaN for almost all parameters (see the plain test)
        _compare(got, want, dtype, name, case)
        finite = torch.isfinite(want).all() and want.requires_grad
        if not finite:
            continue
        grads_r, grad_err = _try(lambda: torch.autograd.grad(want.sum(), pr, allow_unused=True, retain_graph=True))
        if grad_err is not None:
            continue  # PyTorch has no such gradient (the incomplete gamma w.r.t. its shape)
        grads_t = tg.autograd.grad(got.sum(), pt, allow_unused=True, retain_graph=True)
        for a, b in zip(grads_t, grads_r):
            if b is None:
                assert a is None or np.allclose(to_numpy(a), 0), name
            else:
                assert a is not None, f"{name}: no gradient"
                _compare(a, b, dtype, f"grad {name}", case)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sample_shapes_dtype_and_rsample(case):
    params = CASES[case][1]((3,))
    for dtype in DTYPES:
        dt, _ = _build(tg, case, params, dtype)
        dr, _ = _build(torch, case, params, dtype)
        for shape in ((), (5,), (2, 4)):
            st, sr = dt.sample(shape), dr.sample(shape)
            assert tuple(st.shape) == tuple(sr.shape) and str(st.dtype).split(".")[-1] == str(sr.dtype).split(".")[-1]
            assert not st.requires_grad
            if dr.has_rsample:
                rt = dt.rsample(shape)
                assert tuple(rt.shape) == tuple(sr.shape) and rt.requires_grad
            else:
                with pytest.raises(NotImplementedError):
                    dt.rsample(shape)


# rsample gradients where both libraries reparameterize the same way (inverse CDF or the same
# transform chain of the same base draw): feed torch's base uniform/normal/exponential into both.
REPARAM = {
    "HalfNormal": (lambda D, s: D.HalfNormal(s), [np.array([0.7, 2.0])], lambda d, u: d.icdf(u)),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), [np.array([0.3, -1.0]), np.array([1.5, 0.4])], lambda d, u: d.icdf(u)),
    "Weibull": (lambda D, s, k: D.Weibull(s, k), [np.array([1.3, 0.4]), np.array([0.8, 2.5])], lambda d, u: d.icdf(u)),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), [np.array([1.3, 0.4]), np.array([0.8, 2.5])], lambda d, u: d.icdf(u)),
    "Kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a, b), [np.array([1.3, 0.4]), np.array([0.8, 2.5])],
                    lambda d, u: d.icdf(u)),
    "GeneralizedPareto": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c),
                          [np.array([0.1, 1.0]), np.array([1.3, 0.4]), np.array([0.3, -0.2])], lambda d, u: d.icdf(u)),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), [np.array([0.2, 0.8])], lambda d, u: d.icdf(u)),
}


@pytest.mark.parametrize("case", sorted(REPARAM))
def test_reparameterized_path_gradients_match(case):
    ctor, params, path = REPARAM[case]
    u = _unit((1000, len(params[0])), 0.001, 0.999)
    out = {}
    for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
        ps = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in params]
        x = path(ctor(D, *ps), lib.tensor(u, dtype=lib.float64))
        out[lib] = (x, lib.autograd.grad((x * x.detach().cos()).sum(), ps))
    np.testing.assert_allclose(to_numpy(out[tg][0]), to_numpy(out[torch][0]), rtol=1e-9)
    for a, b in zip(out[tg][1], out[torch][1]):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-8)


def _kl_dists(D, lib, name, leaves):
    def t(*v):
        leaf = lib.tensor(v, dtype=lib.float64, requires_grad=True)
        leaves.append(leaf)
        return leaf
    table = {
        "HalfNormal": lambda: D.HalfNormal(t(0.7, 2.0)),
        "HalfCauchy": lambda: D.HalfCauchy(t(0.7, 2.0)),
        "Gumbel": lambda: D.Gumbel(t(0.3, -1.0), t(1.5, 0.6)),
        "Weibull": lambda: D.Weibull(t(1.5, 2.0), t(0.7, 2.0)),
        "Pareto": lambda: D.Pareto(t(1.5, 0.5), t(0.7, 3.0)),
        "Pareto_heavy": lambda: D.Pareto(t(1.5, 0.5), t(2.5, 1.5)),
        "InverseGamma": lambda: D.InverseGamma(t(1.5, 2.5), t(0.7, 2.0)),
        "Kumaraswamy": lambda: D.Kumaraswamy(t(1.5, 2.0), t(0.7, 2.0)),
        "ContinuousBernoulli": lambda: D.ContinuousBernoulli(t(0.3, 0.5)),
        "ContinuousBernoulli_logits": lambda: D.ContinuousBernoulli(logits=t(-0.4, 1.5)),
        "LogisticNormal": lambda: D.LogisticNormal(t(0.3, 1.0), t(1.5, 2.0)),
        "Normal": lambda: D.Normal(t(0.3, 1.0), t(1.5, 0.5)),
        "Uniform": lambda: D.Uniform(t(0.1, 1.0), t(1.5, 2.0)),
        "Uniform_wide": lambda: D.Uniform(t(-0.5, -2.0), t(1.2, 1.1)),
        "Uniform_unit": lambda: D.Uniform(t(0.2, 0.05), t(0.7, 0.4)),
        "Uniform_right": lambda: D.Uniform(t(2.0, 3.0), t(3.0, 3.5)),
        "Exponential": lambda: D.Exponential(t(1.5, 2.0)),
        "Gamma": lambda: D.Gamma(t(1.5, 2.0), t(0.5, 2.0)),
        "Chi2": lambda: D.Chi2(t(1.5, 3.0)),
        "Beta": lambda: D.Beta(t(1.5, 2.0), t(0.5, 2.0)),
        "Laplace": lambda: D.Laplace(t(0.3, 1.0), t(1.5, 2.0)),
        "Cauchy": lambda: D.Cauchy(t(0.3, 1.0), t(1.5, 2.0)),
        "LogNormal": lambda: D.LogNormal(t(0.3, 1.0), t(1.5, 2.0)),
    }
    return table[name]()


_KL_NAMES = ["HalfNormal", "HalfCauchy", "Gumbel", "Weibull", "Pareto", "Pareto_heavy", "InverseGamma", "Kumaraswamy",
             "ContinuousBernoulli", "ContinuousBernoulli_logits", "LogisticNormal", "Normal", "Uniform", "Uniform_wide",
             "Uniform_unit", "Uniform_right", "Exponential", "Gamma", "Chi2", "Beta", "Laplace", "Cauchy", "LogNormal"]
_NEW = {"HalfNormal", "HalfCauchy", "Gumbel", "Weibull", "Pareto", "InverseGamma", "Kumaraswamy", "ContinuousBernoulli",
        "LogisticNormal", "Cauchy", "LogNormal"}
KL_PAIRS = [(a, b) for a in _KL_NAMES for b in _KL_NAMES
            if a.split("_")[0] in _NEW or b.split("_")[0] in _NEW]


@pytest.mark.parametrize("p_name,q_name", KL_PAIRS)
def test_kl_divergence_matches(p_name, q_name):
    """Every pair torch answers must give the same value and gradients here; every pair torch
    refuses must be refused here too (same exception type)."""
    results = {}
    for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
        leaves = []
        p, q = _kl_dists(D, lib, p_name, leaves), _kl_dists(D, lib, q_name, leaves)
        try:
            results[lib] = (D.kl_divergence(p, q), leaves)
        except NotImplementedError as e:
            results[lib] = e
    want, got = results[torch], results[tg]
    if isinstance(want, Exception):
        assert isinstance(got, NotImplementedError), f"torch has no KL here, tensorgraft gave {got}"
        return
    assert not isinstance(got, Exception), f"tensorgraft has no KL({p_name} || {q_name}): {got}"
    (kt, leaves_t), (kr, leaves_r) = got, want
    assert tuple(kt.shape) == tuple(kr.shape)
    np.testing.assert_allclose(to_numpy(kt), to_numpy(kr), rtol=1e-9, atol=1e-12)
    if not bool(torch.isfinite(kr).all()) or not kr.requires_grad:
        return
    gr = torch.autograd.grad(kr.sum(), leaves_r, allow_unused=True)
    gt = tg.autograd.grad(kt.sum(), leaves_t, allow_unused=True)
    for a, b in zip(gt, gr):
        if b is None:
            assert a is None or np.allclose(to_numpy(a), 0)
        else:
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-7, atol=1e-10)


def test_kl_not_implemented_text_matches():
    texts = []
    for lib, D in ((tg, tg.distributions), (torch, torch.distributions)):
        with pytest.raises(NotImplementedError) as e:
            D.kl_divergence(D.VonMises(0.0, 1.0), D.Gumbel(0.0, 1.0))
        texts.append(str(e.value))
        with pytest.raises(NotImplementedError):  # same transform class, different parameters
            D.kl_divergence(D.Weibull(lib.tensor(1.0), lib.tensor(2.0)), D.Weibull(lib.tensor(1.0), lib.tensor(3.0)))
    assert texts[0] == texts[1]


ERRORS = [
    lambda D, lib: D.HalfNormal(lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.HalfNormal(lib.tensor([1.0]), validate_args=True).log_prob(lib.tensor([-1.0])),
    lambda D, lib: D.HalfCauchy(lib.tensor([0.0]), validate_args=True),
    lambda D, lib: D.HalfCauchy(lib.tensor([1.0]), validate_args=True).cdf(lib.tensor([-1.0])),
    lambda D, lib: D.Gumbel(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.Gumbel(lib.tensor([math.nan]), lib.tensor([1.0]), validate_args=True),
    lambda D, lib: D.Weibull(lib.tensor([1.0]), lib.tensor([-2.0]), validate_args=True),
    lambda D, lib: D.Weibull(lib.tensor([1.0]), lib.tensor([2.0]), validate_args=True).log_prob(lib.tensor([0.0])),
    lambda D, lib: D.Pareto(lib.tensor([-1.0]), lib.tensor([2.0]), validate_args=True),
    lambda D, lib: D.Pareto(lib.tensor(1.0), lib.tensor(2.0), validate_args=True).log_prob(lib.tensor(0.5)),
    lambda D, lib: D.Pareto(1.0, 2.0, validate_args=True).log_prob(lib.tensor(0.5)),
    lambda D, lib: D.GeneralizedPareto(lib.tensor(0.0), lib.tensor(-1.0), lib.tensor(0.5), validate_args=True),
    lambda D, lib: D.GeneralizedPareto(lib.tensor(0.0), lib.tensor(1.0), lib.tensor(-0.5),
                                       validate_args=True).log_prob(lib.tensor(3.0)),
    lambda D, lib: D.InverseGamma(lib.tensor([0.0]), lib.tensor([1.0]), validate_args=True),
    lambda D, lib: D.InverseGamma(lib.tensor([1.0]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.InverseGamma(lib.tensor([1.0]), lib.tensor([1.0])).icdf(lib.tensor([0.5])),
    lambda D, lib: D.Kumaraswamy(lib.tensor([1.0]), lib.tensor([0.0]), validate_args=True),
    lambda D, lib: D.Kumaraswamy(lib.tensor([1.0]), lib.tensor([2.0]), validate_args=True).log_prob(lib.tensor([1.5])),
    lambda D, lib: D.FisherSnedecor(lib.tensor([1.0]), lib.tensor([-2.0]), validate_args=True),
    lambda D, lib: D.FisherSnedecor(lib.tensor([1.0]), lib.tensor([2.0]), validate_args=True).log_prob(lib.tensor([-1.0])),
    lambda D, lib: D.FisherSnedecor(lib.tensor([1.0]), lib.tensor([2.0])).cdf(lib.tensor([1.0])),
    lambda D, lib: D.ContinuousBernoulli(),
    lambda D, lib: D.ContinuousBernoulli(lib.tensor(0.3), lib.tensor(0.1)),
    lambda D, lib: D.ContinuousBernoulli(logits=lib.tensor([math.nan]), validate_args=True),
    lambda D, lib: D.ContinuousBernoulli(lib.tensor([0.3]), validate_args=True).log_prob(lib.tensor([1.5])),
    lambda D, lib: D.ContinuousBernoulli(lib.tensor([0.3])).mode,
    lambda D, lib: D.VonMises(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.VonMises(lib.tensor([0.0]), lib.tensor([1.0])).rsample(),
    lambda D, lib: D.VonMises(lib.tensor([0.0]), lib.tensor([1.0]), validate_args=True).log_prob(lib.tensor([math.nan])),
    lambda D, lib: D.LogisticNormal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=True),
    lambda D, lib: D.LogisticNormal(lib.tensor([0.0]), lib.tensor([1.0]),
                                    validate_args=True).log_prob(lib.tensor([0.7, 0.7])),
    lambda D, lib: D.LogisticNormal(lib.tensor([0.0]), lib.tensor([1.0])).mean,
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match(i):
    assert_same_error(lambda: ERRORS[i](tg.distributions, tg), lambda: ERRORS[i](torch.distributions, torch),
                      normalize=lambda message: message.replace("tensorgraft", "torch"))


MODULES = {
    "half_normal": "HalfNormal", "half_cauchy": "HalfCauchy", "gumbel": "Gumbel", "weibull": "Weibull",
    "pareto": "Pareto", "generalized_pareto": "GeneralizedPareto", "inverse_gamma": "InverseGamma",
    "kumaraswamy": "Kumaraswamy", "fishersnedecor": "FisherSnedecor", "continuous_bernoulli": "ContinuousBernoulli",
    "von_mises": "VonMises", "logistic_normal": "LogisticNormal", "normal": "Normal", "beta": "Beta",
    "studentT": "StudentT", "transformed_distribution": "TransformedDistribution", "log_normal": "LogNormal",
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_paths_match_torch(module):
    name = MODULES[module]
    assert getattr(torch.distributions, module).__dict__[name] is getattr(torch.distributions, name)
    assert getattr(getattr(tg.distributions, module), name) is getattr(tg.distributions, name)
    assert name in tg.distributions.__all__
