"""Scans, statistics, distances, ravel and view(dtype) against PyTorch (oracle): values, dtypes,
shapes, node names, gradients and the error messages of common mistakes."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, grad_fn_name, to_numpy

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 5)).astype(np.float32)
X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
TIES = np.array([[0.5, 1.5, -1.0, 1.5, 2.0, 2.0], [-0.5, -1.5, 0.25, -1.5, 1.0, -1.5]], np.float32)
NANS = np.array([[0.5, np.nan, -1.25, 2.0, 0.75], [np.nan, np.nan, 1.5, -0.5, np.nan], [1.0, -2.0, 0.125, 1.75, -0.75]],
                np.float32)
WIDE = np.array([[-1000.0, 0.0, 1000.0, 999.0], [50.0, -50.0, 88.0, 90.0]], np.float32)
INFS = np.array([[np.inf, -np.inf, 1.0], [-np.inf, -np.inf, 2.0], [np.inf, np.inf, 0.5]], np.float32)
P1 = RNG.standard_normal((4, 3)).astype(np.float32)
P2 = RNG.standard_normal((5, 3)).astype(np.float32)
B1 = RNG.standard_normal((2, 1, 4, 3)).astype(np.float32)
B2 = RNG.standard_normal((3, 6, 3)).astype(np.float32)
BIG1 = RNG.standard_normal((30, 3)).astype(np.float32)


def _lib(m, arr, grad=True):
    return m.tensor(arr.copy(), requires_grad=grad)


# (id, fn(lib, x), input) -- the same code runs on tensorgraft and torch; the first tensor output
# is compared (values, dtype, shape, grad_fn name) and differentiated
CASES = [
    ("cummax", lambda m, x: m.cummax(x, 1).values, X),
    ("cummax_method_dim0", lambda m, x: x.cummax(0)[0], X),
    ("cummax_ties", lambda m, x: x.cummax(-1).values, TIES),
    ("cummin", lambda m, x: m.cummin(x, -1).values, X),
    ("cummin_ties", lambda m, x: x.cummin(1)[0], TIES),
    ("cummax_3d", lambda m, x: m.cummax(x, 1).values, X3),
    ("cummax_0d", lambda m, x: m.cummax(x[0, 0], 0).values, X),
    ("cummax_nan", lambda m, x: m.cummax(x, 1).values, NANS),
    ("cummin_nan", lambda m, x: m.cummin(x, 0).values, NANS),
    ("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), X),
    ("logcumsumexp_dim0", lambda m, x: x.logcumsumexp(0), X3),
    ("logcumsumexp_wide", lambda m, x: x.logcumsumexp(1), WIDE),
    ("logcumsumexp_wide0", lambda m, x: x.logcumsumexp(0), WIDE),
    ("logcumsumexp_0d", lambda m, x: x[0, 0].logcumsumexp(0), X),
    ("diff", lambda m, x: m.diff(x), X),
    ("diff_n2_dim0", lambda m, x: x.diff(2, 0), X3),
    ("diff_n_large", lambda m, x: m.diff(x, 7), X),
    ("diff_prepend", lambda m, x: m.diff(x, 1, 1, prepend=x[:, :2] * 2), X),
    ("diff_append", lambda m, x: m.diff(x, 2, 0, append=x[:1] ** 2), X),
    ("diff_both", lambda m, x: x.diff(dim=-1, prepend=x[:, :1], append=x[:, 2:] + 1), X),
    ("diff_n0", lambda m, x: m.diff(x, 0), X),
    ("ravel", lambda m, x: m.ravel(x), X3),
    ("ravel_nc", lambda m, x: x.transpose(0, 2).ravel(), X3),
    ("quantile", lambda m, x: m.quantile(x, 0.3), X),
    ("quantile_dim", lambda m, x: m.quantile(x, 0.3, dim=1), X),
    ("quantile_dim_keep", lambda m, x: x.quantile(0.8, 0, True), X),
    ("quantile_qt", lambda m, x: m.quantile(x, m.tensor([0.1, 0.55, 1.0]), 1), X),
    ("quantile_qt_keep", lambda m, x: m.quantile(x, m.tensor([0.2, 0.7]), 1, keepdim=True), X3),
    ("quantile_qt_all_keep", lambda m, x: m.quantile(x, m.tensor([0.2, 0.7]), keepdim=True), X3),
    ("quantile_q0d_keep", lambda m, x: m.quantile(x, m.tensor(0.4), keepdim=True), X),
    ("quantile_lower", lambda m, x: m.quantile(x, 0.3, 1, interpolation="lower"), X),
    ("quantile_higher", lambda m, x: m.quantile(x, m.tensor([0.3, 0.95]), 0, interpolation="higher"), X),
    ("quantile_midpoint", lambda m, x: x.quantile(0.3, -1, interpolation="midpoint"), X),
    ("quantile_nearest", lambda m, x: m.quantile(x, m.tensor([0.125, 0.375, 0.5, 0.875]), 1,
                                                interpolation="nearest"), X),
    ("quantile_nan", lambda m, x: m.quantile(x, 0.5, 1), NANS),
    ("quantile_0d", lambda m, x: m.quantile(x[1, 1], m.tensor([0.2, 0.9]), 0, True), X),
    ("nanquantile", lambda m, x: m.nanquantile(x, 0.4, 1), NANS),
    ("nanquantile_all", lambda m, x: x.nanquantile(0.4), NANS),
    ("nanquantile_qt", lambda m, x: m.nanquantile(x, m.tensor([0.0, 0.5, 1.0]), 0, interpolation="midpoint"), NANS),
    ("nanquantile_nearest", lambda m, x: m.nanquantile(x, 0.7, 1, True, interpolation="nearest"), NANS),
    ("cdist", lambda m, x: m.cdist(x, m.tensor(P2)), P1),
    ("cdist_p1", lambda m, x: m.cdist(x, m.tensor(P2), 1), P1),
    ("cdist_p0", lambda m, x: m.cdist(x, m.tensor(P2), 0), P1),
    ("cdist_pinf", lambda m, x: m.cdist(x, m.tensor(P2), math.inf), P1),
    ("cdist_p_half", lambda m, x: m.cdist(x, m.tensor(P2), 0.5), P1),
    ("cdist_p3", lambda m, x: m.cdist(m.tensor(P2), x, p=3), P1),
    ("cdist_batched", lambda m, x: m.cdist(x, m.tensor(B2), 1.5), B1),
    ("cdist_batched_p2", lambda m, x: m.cdist(x, m.tensor(B2)), B1),
    ("cdist_mm", lambda m, x: m.cdist(x, m.tensor(P2), compute_mode="use_mm_for_euclid_dist"), P1),
    ("cdist_mm_auto", lambda m, x: m.cdist(x, m.tensor(P1)), BIG1),
    ("cdist_no_mm", lambda m, x: m.cdist(x, m.tensor(P1), compute_mode="donot_use_mm_for_euclid_dist"), BIG1),
    ("cdist_self_zero", lambda m, x: m.cdist(x, x.detach()), P1),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_torch(case):
    _, fn, arr = case
    a, b = _lib(tg, arr), _lib(torch, arr)
    ra, rb = fn(tg, a), fn(torch, b)
    assert_values_close(ra, rb, rtol=2e-5, atol=2e-5)
    assert grad_fn_name(ra) == grad_fn_name(rb)
    w = RNG.uniform(0.5, 1.5, tuple(rb.shape)).astype(np.float32)
    (ra * tg.tensor(w)).nansum().backward()
    (rb * torch.tensor(w)).nansum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-4, atol=1e-4, equal_nan=True)


def test_index_outputs_match_torch():
    for arr in (X, TIES, NANS, X3):
        for fn in ("cummax", "cummin"):
            for d in range(arr.ndim):
                ra = getattr(tg, fn)(tg.tensor(arr), d)
                rb = getattr(torch, fn)(torch.tensor(arr), d)
                assert type(ra).__name__ == type(rb).__name__ == fn
                assert ra.indices.dtype == tg.int64
                np.testing.assert_array_equal(to_numpy(ra.indices), to_numpy(rb.indices))
                np.testing.assert_array_equal(to_numpy(ra.values), to_numpy(rb.values))
    ints = np.array([[3, 1, 3, 7, 7, 2]])
    for fn in ("cummax", "cummin"):
        ra, rb = getattr(tg, fn)(tg.tensor(ints), 1), getattr(torch, fn)(torch.tensor(ints), 1)
        assert str(ra.values.dtype) == str(rb.values.dtype) == "torch.int64"
        np.testing.assert_array_equal(to_numpy(ra.indices), to_numpy(rb.indices))
    bools = np.array([True, False, True, False])
    ra, rb = tg.cummin(tg.tensor(bools), 0), torch.cummin(torch.tensor(bools), 0)
    np.testing.assert_array_equal(to_numpy(ra.values), to_numpy(rb.values))
    np.testing.assert_array_equal(to_numpy(ra.indices), to_numpy(rb.indices))
    assert repr(tg.cummax(tg.tensor([1.0, 3.0, 2.0]), 0)) == repr(torch.cummax(torch.tensor([1.0, 3.0, 2.0]), 0))


def test_logcumsumexp_infinities_and_float64():
    for arr in (INFS, WIDE.astype(np.float64)):
        for d in (0, 1):
            ra, rb = tg.logcumsumexp(tg.tensor(arr), d), torch.logcumsumexp(torch.tensor(arr), d)
            assert str(ra.dtype) == str(rb.dtype)
            np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-6, equal_nan=True)


def test_logcumsumexp_double_backward():
    a, b = _lib(tg, X.astype(np.float64)), _lib(torch, X.astype(np.float64))
    ga, = tg.autograd.grad((a.logcumsumexp(1) ** 2).sum(), a, create_graph=True)
    gb, = torch.autograd.grad((b.logcumsumexp(1) ** 2).sum(), b, create_graph=True)
    np.testing.assert_allclose(to_numpy(ga), to_numpy(gb), rtol=1e-10)
    (ga * ga).sum().backward()
    (gb * gb).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-8)


def test_quantile_q_gradient():
    qa = tg.tensor([0.15, 0.65], requires_grad=True)
    qb = torch.tensor([0.15, 0.65], requires_grad=True)
    tg.quantile(tg.tensor(X), qa, 1).sum().backward()
    torch.quantile(torch.tensor(X), qb, 1).sum().backward()
    np.testing.assert_allclose(to_numpy(qa.grad), to_numpy(qb.grad), rtol=1e-5)


def test_bincount_values_and_dtypes():
    idx = np.array([1, 0, 3, 1, 5, 3, 3])
    for dt in ("int64", "int32", "int16", "int8", "uint8"):
        ra = tg.bincount(tg.tensor(idx.astype(dt)))
        rb = torch.bincount(torch.tensor(idx.astype(dt)))
        assert str(ra.dtype) == str(rb.dtype)
        np.testing.assert_array_equal(to_numpy(ra), to_numpy(rb))
    for wdt in ("float32", "float64", "int64", "int32", "float16", "bool", "uint8"):
        w = RNG.uniform(0, 3, 7).astype(wdt)
        ra = tg.tensor(idx).bincount(tg.tensor(w), minlength=8)
        rb = torch.tensor(idx).bincount(torch.tensor(w), minlength=8)
        assert str(ra.dtype) == str(rb.dtype), wdt
        np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-6)
    for kw in ({}, {"minlength": 3}):
        for w in (None, torch.tensor([])):
            rb = torch.bincount(torch.tensor([], dtype=torch.int64), w, **kw)
            ra = tg.bincount(tg.tensor([], dtype=tg.int64), None if w is None else tg.tensor([]), **kw)
            assert str(ra.dtype) == str(rb.dtype) and tuple(ra.shape) == tuple(rb.shape)


def test_view_dtype_matches_torch():
    base = RNG.standard_normal((4, 6)).astype(np.float32)
    cases = [
        lambda m, x: x.view(m.int32), lambda m, x: x.view(m.uint8), lambda m, x: x.view(m.int16),
        lambda m, x: x.view(m.float64), lambda m, x: x.view(m.complex64), lambda m, x: x[:, 2:].view(m.float64),
        lambda m, x: x.view(m.uint8)[:, 4:20].view(m.float32), lambda m, x: x.t().view(m.int32),
        lambda m, x: x[0, 0].view(m.int32), lambda m, x: x.view(dtype=m.int16),
        lambda m, x: x.view(m.complex64).view(m.float64), lambda m, x: (x > 0).view(m.uint8),
        lambda m, x: x.view(m.float16),
    ]
    for fn in cases:
        ra, rb = fn(tg, tg.tensor(base)), fn(torch, torch.tensor(base))
        assert str(ra.dtype) == str(rb.dtype) and tuple(ra.shape) == tuple(rb.shape)
        np.testing.assert_array_equal(np.ascontiguousarray(to_numpy(ra)).view(np.uint8),
                                      np.ascontiguousarray(to_numpy(rb)).view(np.uint8))
    x = tg.tensor(base, requires_grad=True)
    assert not x.view(tg.int32).requires_grad and not x.view(tg.float32).requires_grad


# (id, fn(lib)) -- both must raise the same exception type with the same message
ERRORS = [
    ("cummax_dim", lambda m: m.cummax(m.tensor([1.0, 2.0]), 1)),
    ("logcumsumexp_int", lambda m: m.logcumsumexp(m.tensor([1, 2]), 0)),
    ("diff_0d", lambda m: m.diff(m.tensor(1.0))),
    ("diff_negative_n", lambda m: m.diff(m.ones(3), -1)),
    ("diff_float_n", lambda m: m.diff(m.ones(3), 1.5)),
    ("diff_prepend_ndim", lambda m: m.diff(m.ones(2, 3), prepend=m.zeros(1))),
    ("diff_prepend_shape", lambda m: m.diff(m.ones(2, 3), prepend=m.zeros(3, 1))),
    ("diff_prepend_scalar", lambda m: m.diff(m.ones(2, 3), prepend=1.0)),
    ("diff_dim", lambda m: m.diff(m.ones(2, 3), dim=2)),
    ("bincount_float", lambda m: m.bincount(m.tensor([1.0, 2.0]))),
    ("bincount_bool", lambda m: m.bincount(m.tensor([True, False]))),
    ("bincount_negative", lambda m: m.bincount(m.tensor([-1, 2]))),
    ("bincount_2d", lambda m: m.bincount(m.tensor([[1, 2]]))),
    ("bincount_0d", lambda m: m.bincount(m.tensor(1))),
    ("bincount_weights_len", lambda m: m.bincount(m.tensor([1, 2]), m.ones(3))),
    ("bincount_weights_2d", lambda m: m.bincount(m.tensor([1, 2]), m.ones(2, 1))),
    ("bincount_minlength", lambda m: m.bincount(m.tensor([1, 2]), minlength=-1)),
    ("bincount_weights_float", lambda m: m.bincount(m.tensor([1, 2]), 2.0)),
    ("quantile_q_range", lambda m: m.quantile(m.arange(5.0), 1.3)),
    ("quantile_q_negative", lambda m: m.nanquantile(m.arange(5.0), -0.1)),
    ("quantile_qt_range", lambda m: m.quantile(m.arange(5.0), m.tensor([0.2, 1.3]))),
    ("quantile_q_2d", lambda m: m.quantile(m.arange(5.0), m.tensor([[0.2]]))),
    ("quantile_int", lambda m: m.quantile(m.arange(5), 0.2)),
    ("quantile_q_dtype", lambda m: m.quantile(m.arange(5.0), m.tensor([0.2], dtype=m.float64))),
    ("quantile_empty", lambda m: m.quantile(m.ones(2, 0), 0.2, dim=1)),
    ("quantile_interp", lambda m: m.quantile(m.arange(5.0), 0.3, interpolation="foo")),
    ("quantile_dim", lambda m: m.quantile(m.arange(5.0), 0.3, dim=2)),
    ("cdist_1d_x1", lambda m: m.cdist(m.ones(3), m.ones(2, 3))),
    ("cdist_1d_x2", lambda m: m.cdist(m.ones(2, 3), m.ones(3))),
    ("cdist_columns", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4))),
    ("cdist_int", lambda m: m.cdist(m.ones(2, 3, dtype=m.int64), m.ones(2, 3))),
    ("cdist_int2", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3, dtype=m.int64))),
    ("cdist_negative_p", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), -1)),
    ("cdist_mode", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), compute_mode="foo")),
    ("cdist_dtypes", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3, dtype=m.float64))),
    ("cdist_batch", lambda m: m.cdist(m.ones(2, 2, 3), m.ones(3, 2, 3))),
    ("view_dtype_0d", lambda m: m.tensor(1.0).view(m.uint8)),
    ("view_dtype_size", lambda m: m.arange(6, dtype=m.uint8).view(m.float32)),
    ("view_dtype_stride", lambda m: m.ones(4, 4).t().view(m.uint8)),
    ("view_dtype_offset", lambda m: m.arange(16, dtype=m.uint8).view(2, 8)[:, 1:5].view(m.float32)),
    ("view_dtype_stride0", lambda m: m.arange(24, dtype=m.uint8).view(4, 6)[:, :4].view(m.float32)),
    ("view_dtype_step", lambda m: m.arange(16, dtype=m.uint8).view(2, 8)[:, ::2].view(m.int16)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, fn = case
    assert_same_error(fn, normalize=lambda message: message.split("\n")[0])


def test_methods_where_torch_has_them():
    for name in ("ravel", "diff", "cummax", "cummin", "logcumsumexp", "bincount", "quantile", "nanquantile"):
        assert hasattr(torch.Tensor, name) and hasattr(tg.Tensor, name), name
    assert not hasattr(torch.Tensor, "cdist") and not hasattr(tg.Tensor, "cdist")
