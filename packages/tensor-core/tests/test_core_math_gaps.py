"""isin, unique_consecutive, histograms, cov/corrcoef, trapezoid, vander, frexp, i0, mvlgamma,
dist, renorm, block_diag & co. against independent NumPy references (no PyTorch), on every
device (``tg_device``), plus their errors."""
import itertools
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 5))


def _t(a, dev, **kw):
    return tg.tensor(a, device=dev, **kw)


# --------------------------------------------------------------------------- presence
NAMES = ("isin", "unique_consecutive", "histc", "histogram", "histogramdd", "cov", "corrcoef", "trapezoid", "trapz",
         "cumulative_trapezoid", "vander", "frexp", "dist", "renorm", "diagflat", "block_diag", "cartesian_prod",
         "combinations", "i0", "i0_", "mvlgamma")
METHODS = ("unique_consecutive", "histc", "histogram", "cov", "corrcoef", "frexp", "dist", "renorm", "renorm_",
           "diagflat", "i0", "i0_", "mvlgamma", "mvlgamma_", "float_power_", "polygamma_")


def test_names_exist():
    for n in NAMES:
        assert callable(getattr(tg, n)), n
    for n in METHODS:
        assert callable(getattr(tg.Tensor, n)), n
    for n in ("isin", "trapezoid", "vander", "block_diag", "cartesian_prod", "combinations", "histogramdd"):
        assert not hasattr(tg.Tensor, n), n


# --------------------------------------------------------------------------- isin / unique_consecutive
def test_isin(tg_device):
    a = np.array([[1, 2, 3], [4, 2, 7]])
    b = np.array([2, 7, 9])
    r = tg.isin(_t(a, tg_device), _t(b, tg_device))
    assert r.dtype == tg.bool and r.device.type == tg_device
    np.testing.assert_array_equal(to_numpy(r), np.isin(a, b))
    np.testing.assert_array_equal(to_numpy(tg.isin(_t(a, tg_device), _t(b, tg_device), invert=True)), ~np.isin(a, b))
    np.testing.assert_array_equal(to_numpy(tg.isin(_t(a, tg_device), 2)), a == 2)
    assert tg.isin(7, _t(b, tg_device)).item() is True
    # promoted comparison: 2 == 2.0, 1.5 matches nothing
    np.testing.assert_array_equal(to_numpy(tg.isin(_t(a, tg_device), _t([1.5, 2.0], tg_device))), a == 2)
    nan = _t([1.0, float("nan")], tg_device)
    assert to_numpy(tg.isin(nan, nan)).tolist() == [True, False]


def _runs_reference(flat):
    vals, inv, counts = [], [], []
    for k, v in enumerate(flat):
        if k == 0 or not (v == flat[k - 1]):
            vals.append(v)
            counts.append(0)
        counts[-1] += 1
        inv.append(len(vals) - 1)
    return np.array(vals), np.array(inv), np.array(counts)


def test_unique_consecutive(tg_device):
    a = np.array([[1, 1, 2], [2, 3, 3], [1, 1, 2]])
    out, inv, cnt = tg.unique_consecutive(_t(a, tg_device), return_inverse=True, return_counts=True)
    rv, ri, rc = _runs_reference(a.reshape(-1).tolist())
    np.testing.assert_array_equal(to_numpy(out), rv)
    np.testing.assert_array_equal(to_numpy(inv), ri.reshape(a.shape))
    np.testing.assert_array_equal(to_numpy(cnt), rc)
    assert inv.dtype == cnt.dtype == tg.int64
    only = _t(a, tg_device).unique_consecutive()
    assert isinstance(only, tg.Tensor) and to_numpy(only).tolist() == rv.tolist()
    o2, c2 = tg.unique_consecutive(_t(a, tg_device), return_counts=True)
    assert to_numpy(c2).tolist() == rc.tolist()
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2]])
    o, i, c = tg.unique_consecutive(_t(rows, tg_device), True, True, dim=0)
    np.testing.assert_array_equal(to_numpy(o), rows[[0, 2, 3]])
    assert to_numpy(i).tolist() == [0, 0, 1, 2] and to_numpy(c).tolist() == [2, 1, 1]
    o, i, c = tg.unique_consecutive(_t(rows.T, tg_device), True, True, dim=1)
    np.testing.assert_array_equal(to_numpy(o), rows[[0, 2, 3]].T)
    nan = to_numpy(tg.unique_consecutive(_t([float("nan"), float("nan"), 1.0], tg_device)))
    assert nan.shape == (3,)  # NaN never equals NaN: each one starts a run
    o, i, c = tg.unique_consecutive(_t(5, tg_device), return_inverse=True, return_counts=True)
    assert o.shape == (1,) and i.shape == () and to_numpy(c).tolist() == [1]
    o, i, c = tg.unique_consecutive(_t([], tg_device), return_inverse=True, return_counts=True)
    assert o.shape == (0,) and c.shape == (0,)


# --------------------------------------------------------------------------- histograms
def test_histc(tg_device):
    a = RNG.uniform(-3, 3, 200).astype(np.float32)
    r = tg.histc(_t(a, tg_device), 7)
    assert r.dtype == tg.float32 and r.shape == (7,)
    np.testing.assert_array_equal(to_numpy(r), np.histogram(a, 7, range=(a.min(), a.max()))[0])
    r = _t(a, tg_device).histc(5, -1, 2)
    np.testing.assert_array_equal(to_numpy(r), np.histogram(a, 5, range=(-1, 2))[0])
    assert to_numpy(tg.histc(_t([1.0, 1.0], tg_device), 4)).tolist() == [0, 0, 2, 0]  # range widened to [0, 2]
    assert to_numpy(tg.histc(_t([], tg_device), 3)).tolist() == [0, 0, 0]
    r = tg.histc(_t(a.astype(np.float64), tg_device), 4, 0, 3)
    assert r.dtype == tg.float64


def test_histogram(tg_device):
    a = RNG.standard_normal(50)
    w = RNG.uniform(0.5, 2, 50)
    r = tg.histogram(_t(a, tg_device), 6)
    assert type(r).__name__ == "histogram" and r._fields == ("hist", "bin_edges")
    h, e = np.histogram(a, 6)
    np.testing.assert_allclose(to_numpy(r.hist), h)
    np.testing.assert_allclose(to_numpy(r.bin_edges), e, rtol=1e-12)
    r = _t(a, tg_device).histogram(4, range=(-1.0, 1.0), weight=_t(w, tg_device), density=True)
    h, e = np.histogram(a, 4, range=(-1, 1), weights=w, density=True)
    np.testing.assert_allclose(to_numpy(r.hist), h, rtol=1e-12)
    edges = np.array([-2.0, -0.5, 0.0, 3.0])
    r = tg.histogram(_t(a, tg_device), _t(edges, tg_device))
    np.testing.assert_allclose(to_numpy(r.hist), np.histogram(a, edges)[0])
    np.testing.assert_array_equal(to_numpy(r.bin_edges), edges)
    r = tg.histogram(_t([1.0, 1.0], tg_device), 4)
    np.testing.assert_allclose(to_numpy(r.bin_edges), [0.5, 0.75, 1.0, 1.25, 1.5])
    r = tg.histogram(_t(np.zeros(0, np.float32), tg_device), 3)
    np.testing.assert_allclose(to_numpy(r.bin_edges), [0, 1 / 3, 2 / 3, 1], rtol=1e-6)


def test_histogramdd(tg_device):
    a = RNG.standard_normal((40, 2))
    w = RNG.uniform(0.5, 2, 40)
    r = tg.histogramdd(_t(a, tg_device), [3, 4])
    h, e = np.histogramdd(a, [3, 4])
    np.testing.assert_allclose(to_numpy(r.hist), h)
    assert isinstance(r.bin_edges, tuple) and len(r.bin_edges) == 2
    np.testing.assert_allclose(to_numpy(r.bin_edges[1]), e[1], rtol=1e-12)
    r = tg.histogramdd(_t(a, tg_device), 2, range=[-1.0, 1.0, -2.0, 2.0], weight=_t(w, tg_device), density=True)
    h, _ = np.histogramdd(a, 2, range=[(-1, 1), (-2, 2)], weights=w, density=True)
    np.testing.assert_allclose(to_numpy(r.hist), h, rtol=1e-12)
    e0, e1 = np.array([-3.0, 0.0, 3.0]), np.array([-1.0, 0.5, 1.0])
    r = tg.histogramdd(_t(a, tg_device), [_t(e0, tg_device), _t(e1, tg_device)])
    np.testing.assert_allclose(to_numpy(r.hist), np.histogramdd(a, [e0, e1])[0])


# --------------------------------------------------------------------------- cov / corrcoef
def test_cov_corrcoef(tg_device):
    fw = np.array([1, 2, 1, 3, 1])
    aw = RNG.uniform(0.5, 2, 5)
    x = _t(X, tg_device)
    np.testing.assert_allclose(to_numpy(tg.cov(x)), np.cov(X), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.cov(correction=0)), np.cov(X, ddof=0), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(tg.cov(x, fweights=_t(fw, tg_device), aweights=_t(aw, tg_device))),
                               np.cov(X, fweights=fw, aweights=aw), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(tg.cov(x, correction=2, aweights=_t(aw, tg_device))),
                               np.cov(X, ddof=2, aweights=aw), rtol=1e-12)
    assert tg.cov(x[0]).shape == ()
    np.testing.assert_allclose(to_numpy(tg.corrcoef(x)), np.corrcoef(X), rtol=1e-12)
    assert tg.cov(_t([[1, 2, 4], [0, 3, 1]], tg_device)).dtype == tg.float32
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(to_numpy(tg.cov(x[:, :1]))).all()


# --------------------------------------------------------------------------- trapezoid family
def test_trapezoid(tg_device):
    y = RNG.standard_normal((3, 4))
    xs = np.array([0.0, 0.5, 2.0, 2.5])
    t = _t(y, tg_device)
    np.testing.assert_allclose(to_numpy(tg.trapezoid(t)), np.trapezoid(y) if hasattr(np, "trapezoid") else np.trapz(y))
    trap = getattr(np, "trapezoid", None) or np.trapz
    np.testing.assert_allclose(to_numpy(tg.trapezoid(t, dx=0.5, dim=0)), trap(y, dx=0.5, axis=0))
    np.testing.assert_allclose(to_numpy(tg.trapezoid(t, _t(xs, tg_device))), trap(y, xs))
    np.testing.assert_allclose(to_numpy(tg.trapz(t, _t(xs, tg_device))), trap(y, xs))
    np.testing.assert_allclose(to_numpy(tg.trapz(t, dx=2)), trap(y, dx=2))
    cum = np.cumsum(np.diff(xs) * (y[:, 1:] + y[:, :-1]) / 2, axis=1)
    np.testing.assert_allclose(to_numpy(tg.cumulative_trapezoid(t, _t(xs, tg_device))), cum)
    np.testing.assert_allclose(to_numpy(tg.cumulative_trapezoid(t, dx=0.25)),
                               np.cumsum(0.25 * (y[:, 1:] + y[:, :-1]) / 2, axis=1))
    assert tg.trapezoid(_t(np.ones((2, 0)), tg_device)).shape == (2,)
    assert tg.trapezoid(_t([[1, 2, 4]], tg_device)).dtype == tg.float32


# --------------------------------------------------------------------------- vander / frexp / i0 / mvlgamma
def test_vander(tg_device):
    x = np.array([1.5, -2.0, 0.5])
    np.testing.assert_allclose(to_numpy(tg.vander(_t(x, tg_device))), np.vander(x))
    np.testing.assert_allclose(to_numpy(tg.vander(_t(x, tg_device), 4, True)), np.vander(x, 4, True))
    assert tg.vander(_t(x, tg_device), N=0).shape == (3, 0)
    r = tg.vander(_t(np.array([1, 2], np.int8), tg_device))
    assert r.dtype == tg.int64 and to_numpy(r).tolist() == [[1, 1], [2, 1]]


def test_frexp(tg_device):
    a = np.array([0.0, -3.5, 1e-3, 1024.0, np.inf, np.nan], np.float32)
    m, e = tg.frexp(_t(a, tg_device))
    rm, re = np.frexp(a)
    np.testing.assert_array_equal(to_numpy(m), rm)
    np.testing.assert_array_equal(to_numpy(e), re)
    assert m.dtype == tg.float32 and e.dtype == tg.int32
    r = _t(a, tg_device).frexp()
    assert type(r).__name__ == "frexp" and r._fields == ("mantissa", "exponent")


def test_i0_and_mvlgamma(tg_device):
    sp = pytest.importorskip("scipy.special")
    a = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(to_numpy(tg.i0(_t(a, tg_device))), np.i0(a), rtol=1e-12)
    assert tg.i0(_t([1, 2], tg_device)).dtype == tg.float32
    x = _t(a, tg_device)
    assert x.i0_() is x and x._version == 1
    np.testing.assert_allclose(to_numpy(x), np.i0(a), rtol=1e-12)
    y = _t(a, tg_device)
    assert tg.i0_(y) is y
    b = np.linspace(2.0, 5.0, 5)
    np.testing.assert_allclose(to_numpy(tg.mvlgamma(_t(b, tg_device), 3)), [sp.multigammaln(v, 3) for v in b],
                               rtol=1e-12)
    z = _t(b, tg_device)
    assert z.mvlgamma_(2) is z
    np.testing.assert_allclose(to_numpy(z), [sp.multigammaln(v, 2) for v in b], rtol=1e-12)


def test_method_only_inplace(tg_device):
    sp = pytest.importorskip("scipy.special")
    a = np.array([0.5, 1.5, 3.0])
    x = _t(a, tg_device)
    assert x.polygamma_(1) is x
    np.testing.assert_allclose(to_numpy(x), sp.polygamma(1, a), rtol=1e-12)
    x = _t(a, tg_device)
    assert x.float_power_(2) is x and x._version == 1
    np.testing.assert_allclose(to_numpy(x), a ** 2)


# --------------------------------------------------------------------------- dist / renorm
def test_dist(tg_device):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    for p, ref in ((2, lambda d: np.sqrt((d ** 2).sum())), (1, lambda d: np.abs(d).sum()),
                   (math.inf, lambda d: np.abs(d).max()), (0, lambda d: float(np.count_nonzero(d))),
                   (3.5, lambda d: (np.abs(d) ** 3.5).sum() ** (1 / 3.5))):
        r = tg.dist(_t(a, tg_device), _t(b, tg_device), p)
        assert r.shape == ()
        np.testing.assert_allclose(to_numpy(r), ref(a - b), rtol=1e-12)
    assert _t(a, tg_device).dist(_t(b, tg_device)).dtype == tg.float64


def test_renorm(tg_device):
    a = RNG.standard_normal((3, 4)) * 2
    for p, dim, maxnorm in ((2, 0, 1.5), (1, 1, 2.0), (math.inf, 0, 1.0)):
        r = tg.renorm(_t(a, tg_device), p, dim, maxnorm)
        moved = np.moveaxis(a, dim, 0).reshape(a.shape[dim], -1)
        norms = np.abs(moved).max(1) if p == math.inf else (np.abs(moved) ** p).sum(1) ** (1 / p)
        scale = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        shape = [1, 1]
        shape[dim] = -1
        np.testing.assert_allclose(to_numpy(r), a * scale.reshape(shape), rtol=1e-12)
    x = _t(a, tg_device)
    assert x.renorm_(2, 0, 1.0) is x
    np.testing.assert_allclose(np.sqrt((to_numpy(x) ** 2).sum(1)), np.minimum(np.sqrt((a ** 2).sum(1)), 1.0), rtol=1e-6)


# --------------------------------------------------------------------------- block_diag & co.
def test_block_diag_diagflat(tg_device):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(2)
    r = tg.block_diag(_t(a, tg_device), _t(b, tg_device), _t(5.0, tg_device))
    ref = np.zeros((4, 6))
    ref[:2, :3] = a
    ref[2, 3:5] = b
    ref[3, 5] = 5.0
    np.testing.assert_array_equal(to_numpy(r), ref)
    assert tg.block_diag().shape == (1, 0)
    r = tg.block_diag(_t([1, 2], tg_device, dtype=tg.int32), _t([True], tg_device))
    assert r.dtype == tg.int32
    np.testing.assert_array_equal(to_numpy(tg.diagflat(_t(a, tg_device), 1)), np.diagflat(a, 1))
    np.testing.assert_array_equal(to_numpy(_t(b, tg_device).diagflat(-2)), np.diagflat(b, -2))


def test_cartesian_prod_combinations(tg_device):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    np.testing.assert_array_equal(to_numpy(tg.cartesian_prod(_t(a, tg_device), _t(b, tg_device))),
                                  np.array(list(itertools.product(a, b))))
    ta = _t(a, tg_device)
    assert tg.cartesian_prod(ta) is ta
    x = np.array([1.0, 2.0, 3.0, 4.0])
    for r, rep in ((2, False), (3, False), (2, True), (3, True), (1, False)):
        pick = itertools.combinations_with_replacement if rep else itertools.combinations
        np.testing.assert_array_equal(to_numpy(tg.combinations(_t(x, tg_device), r, rep)), np.array(list(pick(x, r))))
    assert tg.combinations(_t(x, tg_device), 0).shape == (0,)
    assert tg.combinations(_t(x, tg_device), 5).shape == (0, 5)


# --------------------------------------------------------------------------- errors
ERRORS = [
    (RuntimeError, "Unsupported input type encountered for isin(): Bool",
     lambda: tg.isin(tg.tensor([True]), tg.tensor([True]))),
    (TypeError, "isin() received an invalid combination", lambda: tg.isin(2, 3)),
    (NotImplementedError, "not implemented for 'Long'", lambda: tg.histc(tg.tensor([1, 2]))),
    (RuntimeError, "bins must be > 0", lambda: tg.histc(tg.ones(3), 0)),
    (RuntimeError, "max must be larger than min", lambda: tg.histc(tg.ones(3), 3, 2, 1)),
    (RuntimeError, "is not finite", lambda: tg.histc(tg.tensor([1.0, math.inf]))),
    (RuntimeError, "min should not exceed max", lambda: tg.histogram(tg.ones(3), 2, range=(3.0, 1.0))),
    (RuntimeError, "same dtype", lambda: tg.histogram(tg.ones(3), tg.tensor([0.0, 1.0], dtype=tg.float64))),
    (RuntimeError, "at least 2 dimensions", lambda: tg.histogramdd(tg.ones(3), 2)),
    (RuntimeError, "two or fewer dimensions", lambda: tg.cov(tg.ones(2, 2, 2))),
    (RuntimeError, "fweights cannot be negative", lambda: tg.cov(tg.ones(2, 3), fweights=tg.tensor([1, -1, 1]))),
    (RuntimeError, "integral dtype", lambda: tg.cov(tg.ones(2, 3), fweights=tg.ones(3))),
    (RuntimeError, "weights sum to zero", lambda: tg.cov(tg.ones(2, 3), aweights=tg.zeros(3))),
    (RuntimeError, "There must be one `x` value", lambda: tg.trapezoid(tg.ones(2, 3), tg.ones(2))),
    (TypeError, "invalid combination", lambda: tg.trapezoid(tg.ones(3), tg.ones(3), dx=2)),
    (RuntimeError, "bool input", lambda: tg.cumulative_trapezoid(tg.tensor([True, False]))),
    (IndexError, "no dimensions", lambda: tg.trapezoid(tg.tensor(1.0))),
    (RuntimeError, "x must be a one-dimensional tensor.", lambda: tg.vander(tg.ones(2, 2))),
    (RuntimeError, "N must be non-negative.", lambda: tg.vander(tg.ones(2), -1)),
    (RuntimeError, "only supports floating-point dtypes", lambda: tg.frexp(tg.tensor([1, 2]))),
    (RuntimeError, "p has to be greater than or equal to 1", lambda: tg.mvlgamma(tg.ones(2), 0)),
    (RuntimeError, "float_power_ has dtype Float", lambda: tg.ones(2).float_power_(2)),
    (RuntimeError, "input dtype should be either floating point", lambda: tg.dist(tg.tensor([1]), tg.tensor([2]))),
    (TypeError, "must be Tensor, not float", lambda: tg.dist(tg.ones(2), 2.0)),
    (RuntimeError, "non-positive-norm not supported", lambda: tg.renorm(tg.ones(2, 2), 0, 0, 1.0)),
    (RuntimeError, "maxnorm to be >= 0", lambda: tg.renorm(tg.ones(2, 2), 2, 0, -1.0)),
    (RuntimeError, "at least 2 dimensions, got 1", lambda: tg.renorm(tg.ones(2), 2, 0, 1.0)),
    (RuntimeError, "Input 0 has 3 dimensions", lambda: tg.block_diag(tg.ones(2, 2, 2))),
    (RuntimeError, "Expect a 1D vector", lambda: tg.cartesian_prod(tg.ones(2, 2))),
    (RuntimeError, "same dtype", lambda: tg.cartesian_prod(tg.ones(2), tg.tensor([1, 2]))),
    (RuntimeError, "Expect a non-negative number, but got -1", lambda: tg.combinations(tg.ones(3), -1)),
    (RuntimeError, "can't be cast", lambda: tg.tensor([1, 2]).i0_()),
]


@pytest.mark.parametrize("case", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(case):
    exc, text, fn = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as ei:
            fn()
    assert text in str(ei.value)
