"""The ops added to fill math gaps (isin, unique_consecutive, histograms, cov/corrcoef, the
trapezoid family, vander, frexp, i0, mvlgamma, dist, renorm, block_diag & co.) against PyTorch:
values, dtypes, shapes, node names, gradients and the error messages of common mistakes."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
X = RNG.standard_normal((3, 5)).astype(np.float32)
V = RNG.uniform(0.5, 3.0, 4).astype(np.float32)
M = (RNG.standard_normal((3, 4)) * 2).astype(np.float32)
POS = RNG.uniform(2.0, 5.0, (2, 3)).astype(np.float32)
XS = np.array([0.0, 0.5, 2.0, 2.25, 3.0], np.float32)
P2 = RNG.standard_normal(5).astype(np.float32)


# tensorgraft records every binary op with a Python scalar under the tensor-tensor node name
# (``x * 2``: MulBackward0 where PyTorch says MulBackward1), library-wide; not these ops' doing
_SCALAR_OVERLOADS = {"MulBackward1": "MulBackward0", "DivBackward1": "DivBackward0"}


def _name(t):
    if t.grad_fn is None:
        return None
    n = type(t.grad_fn).__name__
    return _SCALAR_OVERLOADS.get(n, n)


# (id, fn(lib, x), input) -- the same code runs on both; the first tensor output is compared
# (values, dtype, shape, grad_fn name) and differentiated
CASES = [
    ("cov", lambda m, x: m.cov(x), X),
    ("cov_1d", lambda m, x: m.cov(x[0]), X),
    ("cov_correction0", lambda m, x: x.cov(correction=0), X),
    ("cov_weights", lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 1, 3, 1]),
                                       aweights=m.tensor([0.5, 1.0, 2.0, 0.25, 1.5])), X),
    ("cov_aweights_c2", lambda m, x: m.cov(x, correction=2, aweights=m.tensor([0.5, 1.0, 2.0, 0.25, 1.5])), X),
    ("corrcoef", lambda m, x: m.corrcoef(x), X),
    ("corrcoef_1d", lambda m, x: x[1].corrcoef(), X),
    ("trapezoid", lambda m, x: m.trapezoid(x), X),
    ("trapezoid_dx", lambda m, x: m.trapezoid(x, dx=0.5, dim=0), X),
    ("trapezoid_x", lambda m, x: m.trapezoid(x, m.tensor(XS)), X),
    ("trapezoid_x2d", lambda m, x: m.trapezoid(x, m.tensor(XS).expand(3, 5) * 2, dim=1), X),
    ("trapezoid_x_dim0", lambda m, x: m.trapezoid(x, m.tensor(XS[:3]), dim=0), X),
    ("trapz", lambda m, x: m.trapz(x, m.tensor(XS)), X),
    ("trapz_dx", lambda m, x: m.trapz(x, dx=3), X),
    ("cumulative_trapezoid", lambda m, x: m.cumulative_trapezoid(x), X),
    ("cumulative_trapezoid_dx", lambda m, x: m.cumulative_trapezoid(x, dx=0.25, dim=0), X),
    ("cumulative_trapezoid_x", lambda m, x: m.cumulative_trapezoid(x, m.tensor(XS)), X),
    ("vander", lambda m, x: m.vander(x), V),
    ("vander_n", lambda m, x: m.vander(x, N=2), V),
    ("frexp", lambda m, x: m.frexp(x * 7).mantissa, X),
    ("frexp_method", lambda m, x: x.frexp()[0], V),
    ("i0", lambda m, x: m.i0(x), X),
    ("i0_method", lambda m, x: (x * 3).i0(), X),
    ("mvlgamma", lambda m, x: m.mvlgamma(x, 3), POS),
    ("mvlgamma_method", lambda m, x: x.mvlgamma(1), POS),
    ("dist", lambda m, x: m.dist(x, m.tensor(P2)), X),
    ("dist_p1", lambda m, x: x.dist(m.tensor(P2), 1), X),
    ("dist_pinf", lambda m, x: m.dist(x, m.tensor(P2), math.inf), X),
    ("dist_p0", lambda m, x: m.dist(x, m.tensor(P2), 0), X),
    ("dist_p3", lambda m, x: m.dist(x, m.tensor(P2), 3.5), X),
    ("renorm", lambda m, x: m.renorm(x, 2, 0, 2.0), M),
    ("renorm_p1_dim1", lambda m, x: x.renorm(1, 1, 3.0), M),
    ("renorm_inf", lambda m, x: m.renorm(x, math.inf, 0, 1.5), M),
    ("renorm_none", lambda m, x: m.renorm(x, 2, 0, 100.0), M),
    ("renorm_", lambda m, x: (x * 1).renorm_(2, 1, 1.5), M),
    ("diagflat", lambda m, x: m.diagflat(x), X[:2, :2]),
    ("diagflat_offset", lambda m, x: x.diagflat(-1), V),
    ("block_diag", lambda m, x: m.block_diag(x, m.tensor([1.0, 2.0]), m.tensor(5.0)), X),
    ("block_diag_grad_all", lambda m, x: m.block_diag(x[0], x[1:, :2], x[2, 2]), X),
    ("cartesian_prod", lambda m, x: m.cartesian_prod(x, x[:2] * 2), V),
    ("combinations", lambda m, x: m.combinations(x), V),
    ("combinations_r3_rep", lambda m, x: m.combinations(x, 3, True), V),
    ("combinations_r1", lambda m, x: m.combinations(x, r=1), V),
    ("xlogy_top", lambda m, x: m.xlogy_(x * 1, 2.0), V),
    ("i0_top", lambda m, x: m.i0_(x * 1), V),
    ("polygamma_", lambda m, x: (x * 1).polygamma_(2), V),
    ("mvlgamma_", lambda m, x: (x * 1).mvlgamma_(2), POS),
    ("float_power_", lambda m, x: x.double().float_power_(2.5), V),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_torch(case):
    _, fn, arr = case
    a = tg.tensor(arr.copy(), requires_grad=True)
    b = torch.tensor(arr.copy(), requires_grad=True)
    ra, rb = fn(tg, a), fn(torch, b)
    assert_values_close(ra, rb, rtol=2e-5, atol=2e-5)
    assert _name(ra) == _name(rb)
    if not rb.requires_grad or case[0].startswith("vander"):
        return  # PyTorch's vander backward fails (see test_vander_increasing); gradcheck covers ours
    w = RNG.uniform(0.5, 1.5, tuple(rb.shape)).astype(np.float32)
    (ra * tg.tensor(w)).nansum().backward()
    (rb * torch.tensor(w)).nansum().backward()
    assert (a.grad is None) == (b.grad is None)  # dist(p=0): no gradient at all
    if b.grad is not None:
        np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-4, atol=1e-4, equal_nan=True)


def test_vander_increasing():
    """PyTorch fills the powers through a slice (CopySlices) and its backward then fails; ours is
    built out of place (CatBackward0), same values, and differentiable (checked by gradcheck in
    the autograd tests)."""
    a, b = tg.tensor(V, requires_grad=True), torch.tensor(V, requires_grad=True)
    ra, rb = tg.vander(a, 4, True), torch.vander(b, 4, True)
    np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-6)
    assert type(rb.grad_fn).__name__ == "CopySlices" and type(ra.grad_fn).__name__ == "CatBackward0"
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        rb.sum().backward()
    ra.sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), [1 + 2 * v + 3 * v * v for v in V], rtol=1e-5)


def test_non_differentiable_outputs():
    for fn in (lambda m: m.frexp(m.tensor(V)).exponent, lambda m: m.histc(m.tensor(X), 4),
               lambda m: m.isin(m.tensor(X), m.tensor(X[0])), lambda m: m.combinations(m.tensor(V), 0)):
        ra, rb = fn(tg), fn(torch)
        assert str(ra.dtype) == str(rb.dtype) and tuple(ra.shape) == tuple(rb.shape)
        np.testing.assert_array_equal(to_numpy(ra), to_numpy(rb))


def test_isin_and_unique_consecutive():
    ints = np.array([[3, 1, 3, 7], [7, 2, 2, 0]])
    for e, t, kw in ((ints, np.array([3, 2]), {}), (ints, np.array([3.0, 2.5]), {"invert": True}),
                     (X, X[0, :3], {"assume_unique": True}), (np.array([1.0, np.nan]), np.array([np.nan]), {})):
        ra = tg.isin(tg.tensor(e), tg.tensor(t), **kw)
        rb = torch.isin(torch.tensor(e), torch.tensor(t), **kw)
        np.testing.assert_array_equal(to_numpy(ra), to_numpy(rb))
    np.testing.assert_array_equal(to_numpy(tg.isin(tg.tensor(ints), 2)), to_numpy(torch.isin(torch.tensor(ints), 2)))
    assert tg.isin(7, tg.tensor(ints)).item() == torch.isin(7, torch.tensor(ints)).item()
    seqs = [np.array([1, 1, 2, 2, 3, 1, 1, 2]), np.array([[1, 1], [1, 1], [2, 3]]), np.array(5),
            np.array([np.nan, np.nan, 1.0, 1.0], np.float32), np.array([], np.float32)]
    for arr in seqs:
        for kw in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}):
            ra = tg.unique_consecutive(tg.tensor(arr), **kw)
            rb = torch.unique_consecutive(torch.tensor(arr), **kw)
            ra, rb = (ra,) if isinstance(ra, tg.Tensor) else ra, (rb,) if isinstance(rb, torch.Tensor) else rb
            assert len(ra) == len(rb)
            for x, y in zip(ra, rb):
                assert str(x.dtype) == str(y.dtype) and tuple(x.shape) == tuple(y.shape)
                np.testing.assert_array_equal(to_numpy(x), to_numpy(y))
    m = np.array([[1, 1, 2, 2], [1, 1, 3, 3], [4, 4, 4, 4]])
    for dim in (0, 1, -1):
        ra = tg.tensor(m).unique_consecutive(True, True, dim)
        rb = torch.tensor(m).unique_consecutive(True, True, dim)
        for x, y in zip(ra, rb):
            np.testing.assert_array_equal(to_numpy(x), to_numpy(y))


def test_histograms():
    data = [RNG.uniform(-3, 3, 300).astype(np.float32), np.arange(11, dtype=np.float32),
            RNG.standard_normal(50), np.array([1.0, 1.0], np.float32), np.zeros(0, np.float32)]
    for arr in data:
        for args in ((), (7,), (5, -1, 2), (4, 3, 3)):
            ra, rb = tg.histc(tg.tensor(arr), *args), torch.histc(torch.tensor(arr), *args)
            assert str(ra.dtype) == str(rb.dtype)
            np.testing.assert_array_equal(to_numpy(ra), to_numpy(rb))
        w = RNG.uniform(0.5, 2.0, arr.shape).astype(arr.dtype)
        for bins, kw in ((6, {}), (4, {"range": (-1.0, 1.0)}), (5, {"weight": w, "density": True}),
                         (np.array([-2.0, -0.5, 0.0, 2.5], arr.dtype), {}),
                         (np.array([-2.0, 0.0, 2.5], arr.dtype), {"weight": w})):
            ba, bb = (tg.tensor(bins), torch.tensor(bins)) if isinstance(bins, np.ndarray) else (bins, bins)
            kwa = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            kwb = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            ra, rb = tg.histogram(tg.tensor(arr), ba, **kwa), torch.histogram(torch.tensor(arr), bb, **kwb)
            assert type(ra).__name__ == type(rb).__name__ == "histogram"
            for x, y in zip(ra, rb):
                assert str(x.dtype) == str(y.dtype)
                np.testing.assert_allclose(to_numpy(x), to_numpy(y), rtol=1e-6, equal_nan=True)
    pts = RNG.standard_normal((40, 2)).astype(np.float32)
    w = RNG.uniform(0.5, 2.0, 40).astype(np.float32)
    for bins, kw in (([3, 4], {}), (2, {"range": [-1.0, 1.0, -2.0, 2.0], "density": True}),
                     ([np.array([-3.0, 0.0, 3.0], np.float32), np.array([-1.0, 0.5, 1.0], np.float32)],
                      {"weight": w})):
        ba = [tg.tensor(b) for b in bins] if isinstance(bins, list) and isinstance(bins[0], np.ndarray) else bins
        bb = [torch.tensor(b) for b in bins] if isinstance(bins, list) and isinstance(bins[0], np.ndarray) else bins
        kwa = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kwb = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        ra, rb = tg.histogramdd(tg.tensor(pts), ba, **kwa), torch.histogramdd(torch.tensor(pts), bb, **kwb)
        np.testing.assert_allclose(to_numpy(ra.hist), to_numpy(rb.hist), rtol=1e-6)
        assert len(ra.bin_edges) == len(rb.bin_edges)
        for x, y in zip(ra.bin_edges, rb.bin_edges):
            np.testing.assert_allclose(to_numpy(x), to_numpy(y), rtol=1e-6)


def test_dtypes_match_torch():
    cases = [
        lambda m: m.cov(m.tensor([[1, 2, 4], [0, 3, 1]])),
        lambda m: m.corrcoef(m.tensor([[1, 2, 4], [0, 3, 1]])),
        lambda m: m.cov(m.ones(2, 3, dtype=m.float64), aweights=m.tensor([0.5, 1.0, 2.0])),
        lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([0.5, 1.0, 2.0], dtype=m.float64)),
        lambda m: m.trapezoid(m.tensor([[1, 2, 4]])),
        lambda m: m.trapezoid(m.tensor([[1, 2, 4]]), m.tensor([0, 1, 3])),
        lambda m: m.cumulative_trapezoid(m.tensor([[1, 2, 4]])),
        lambda m: m.trapezoid(m.ones(2, 0, dtype=m.int64)),
        lambda m: m.vander(m.tensor([1, 2], dtype=m.int8)),
        lambda m: m.vander(m.tensor([True, False])),
        lambda m: m.vander(m.tensor([1.0, 2.0], dtype=m.float64), 0),
        lambda m: m.i0(m.tensor([1, 2])),
        lambda m: m.mvlgamma(m.tensor([3, 4]), 2),
        lambda m: m.dist(m.ones(3), m.ones(3, dtype=m.float64)),
        lambda m: m.block_diag(m.tensor([1, 2], dtype=m.int32), m.tensor([True])),
        lambda m: m.block_diag(m.tensor([1, 2]), m.ones(1, 1)),
        lambda m: m.block_diag(),
        lambda m: m.diagflat(m.tensor([1, 2]), -1),
        lambda m: m.combinations(m.tensor([1, 2, 3]), 2),
        lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([3])),
        lambda m: m.histc(m.tensor([1.0, 2.0], dtype=m.float64), 4, 0, 3),
        lambda m: m.frexp(m.tensor([0.0, float("inf"), float("nan"), -3.5], dtype=m.float64))[1],
    ]
    for fn in cases:
        ra, rb = fn(tg), fn(torch)
        assert str(ra.dtype) == str(rb.dtype) and tuple(ra.shape) == tuple(rb.shape)
        np.testing.assert_allclose(to_numpy(ra).astype(np.float64), to_numpy(rb).astype(np.float64), rtol=1e-6,
                                   equal_nan=True)
    a = tg.cartesian_prod(tg.tensor([1.0]))
    assert tg.cartesian_prod(a) is a


def test_cov_warns_like_torch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0") as wa:
        ra = tg.cov(tg.tensor(X[:, :1]))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        rb = torch.cov(torch.tensor(X[:, :1]))
    assert len(wa) >= 1
    np.testing.assert_array_equal(np.isnan(to_numpy(ra)), np.isnan(to_numpy(rb)))


# (id, fn(lib)) -- both must raise the same exception type with the same message
ERRORS = [
    ("isin_bool", lambda m: m.isin(m.tensor([1, 2]), m.tensor([True]))),
    ("isin_scalars", lambda m: m.isin(2, 3)),
    ("unique_consecutive_dim", lambda m: m.unique_consecutive(m.ones(2, 2), dim=2)),
    ("histc_int", lambda m: m.histc(m.tensor([1, 2]), 4)),
    ("histc_bins0", lambda m: m.histc(m.tensor([1.0, 2.0]), 0)),
    ("histc_bins_neg", lambda m: m.histc(m.tensor([1.0, 2.0]), -1)),
    ("histc_min_max", lambda m: m.histc(m.tensor([1.0, 2.0]), 4, min=3, max=1)),
    ("histc_min_only", lambda m: m.histc(m.tensor([1.0, 2.0]), 2, min=1.5)),
    ("histc_inf", lambda m: m.histc(m.tensor([1.0, float("inf")]), 4)),
    ("histc_nan", lambda m: m.histc(m.tensor([1.0, float("nan")]), 4)),
    ("histogram_int", lambda m: m.histogram(m.tensor([1, 2, 5]), 4)),
    ("histogram_range", lambda m: m.histogram(m.tensor([1.0, 2.0, 5.0]), 4, range=(3.0, 1.0))),
    ("histogram_range_len", lambda m: m.histogram(m.tensor([1.0, 2.0]), 3, range=(1.0,))),
    ("histogram_range_inf", lambda m: m.histogram(m.tensor([1.0, 2.0]), 4, range=(0.0, float("inf")))),
    ("histogram_nan", lambda m: m.histogram(m.tensor([1.0, float("nan")]), 4)),
    ("histogram_weight_shape", lambda m: m.histogram(m.ones(2, 3), 4, weight=m.tensor([1.0, 2.0]))),
    ("histogram_weight_dtype", lambda m: m.histogram(m.ones(2, 3), 4, weight=m.ones(2, 3, dtype=m.float64))),
    ("histogram_bins_dtype", lambda m: m.histogram(m.ones(3), m.tensor([0.0, 1.0], dtype=m.float64))),
    ("histogram_bins_2d", lambda m: m.histogram(m.ones(3), m.tensor([[0.0, 1.0, 7.0]]))),
    ("histogram_bins_short", lambda m: m.histogram(m.ones(3), m.tensor([0.0]))),
    ("histogramdd_1d", lambda m: m.histogramdd(m.ones(3), bins=[2])),
    ("histogramdd_bins_len", lambda m: m.histogramdd(m.ones(3, 2), bins=[2])),
    ("histogramdd_range_len", lambda m: m.histogramdd(m.ones(3, 2), bins=[2, 3], range=[0.0, 1.0])),
    ("cov_3d", lambda m: m.cov(m.ones(2, 2, 2))),
    ("cov_bool", lambda m: m.cov(m.ones(2, 2, dtype=m.bool))),
    ("cov_fw_float", lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1.0, 2.0, 1.0]))),
    ("cov_aw_int", lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([1, 2, 1]))),
    ("cov_fw_negative", lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, -2, 1]))),
    ("cov_fw_numel", lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, 2]))),
    ("cov_fw_2d", lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([[1, 2, 1]]))),
    ("cov_aw_zero", lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([0.0, 0.0, 0.0]))),
    ("corrcoef_3d", lambda m: m.corrcoef(m.ones(2, 2, 2))),
    ("trapezoid_x_len", lambda m: m.trapezoid(m.ones(2, 3), m.tensor([0.0, 1.0]))),
    ("trapezoid_x_and_dx", lambda m: m.trapezoid(m.ones(2, 3), m.tensor([0.0, 1.0]), dx=2)),
    ("trapezoid_float_x", lambda m: m.trapezoid(m.ones(2, 3), 2.0)),
    ("trapezoid_bool_dx", lambda m: m.trapezoid(m.ones(2, 3), dx=True)),
    ("trapezoid_bool_y", lambda m: m.trapezoid(m.tensor([True]))),
    ("trapezoid_0d", lambda m: m.trapezoid(m.tensor(1.0))),
    ("trapezoid_dim", lambda m: m.trapezoid(m.ones(2, 3), dim=2)),
    ("cumulative_trapezoid_x_len", lambda m: m.cumulative_trapezoid(m.ones(2, 3), m.tensor([0.0, 1.0]))),
    ("cumulative_trapezoid_bool", lambda m: m.cumulative_trapezoid(m.tensor([True, False]))),
    ("vander_2d", lambda m: m.vander(m.ones(2, 2))),
    ("vander_negative", lambda m: m.vander(m.ones(3), -1)),
    ("frexp_int", lambda m: m.frexp(m.tensor([1, 2]))),
    ("mvlgamma_p0", lambda m: m.mvlgamma(m.ones(3), 0)),
    ("float_power__float", lambda m: m.ones(3).float_power_(2)),
    ("i0__int", lambda m: m.i0_(m.tensor([1, 2]))),
    ("dist_int", lambda m: m.dist(m.tensor([1, 2]), m.tensor([1, 2]))),
    ("dist_shape", lambda m: m.dist(m.ones(3), m.ones(2))),
    ("dist_scalar", lambda m: m.dist(m.ones(3), 2.0)),
    ("renorm_1d", lambda m: m.renorm(m.tensor([1.0, 2.0]), 2, 0, 1)),
    ("renorm_0d", lambda m: m.renorm(m.tensor(1.0), 2, 0, 1.0)),
    ("renorm_p", lambda m: m.renorm(m.ones(2, 3), -1, 0, 1.0)),
    ("renorm_maxnorm", lambda m: m.renorm(m.ones(2, 3), 2, 0, -1.0)),
    ("renorm_dim", lambda m: m.renorm(m.ones(2, 3), 2, 3, 1.0)),
    ("block_diag_3d", lambda m: m.block_diag(m.ones(2, 2, 2))),
    ("cartesian_prod_2d", lambda m: m.cartesian_prod(m.ones(2, 2))),
    ("cartesian_prod_empty", lambda m: m.cartesian_prod()),
    ("cartesian_prod_dtypes", lambda m: m.cartesian_prod(m.ones(3), m.tensor([4, 5]))),
    ("combinations_negative", lambda m: m.combinations(m.ones(3), -1)),
    ("combinations_2d", lambda m: m.combinations(m.ones(2, 2))),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, fn = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(fn, normalize=lambda message: message.split("\n")[0])


def test_methods_where_torch_has_them():
    for name in dir(torch.Tensor):
        if name in ("unique_consecutive", "histc", "histogram", "cov", "corrcoef", "frexp", "dist", "renorm",
                    "renorm_", "diagflat", "i0", "i0_", "mvlgamma", "mvlgamma_", "float_power_", "polygamma_"):
            assert hasattr(tg.Tensor, name), name
    for name in ("isin", "trapezoid", "trapz", "cumulative_trapezoid", "vander", "block_diag", "cartesian_prod",
                 "combinations", "histogramdd"):
        assert hasattr(torch.Tensor, name) == hasattr(tg.Tensor, name), name
