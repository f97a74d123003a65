"""Scans (cummax, cummin, logcumsumexp, diff), statistics (quantile, nanquantile, bincount),
cdist, ravel and view(dtype): values against NumPy references computed here, shapes, dtypes,
views and errors. Runs with tensor-core alone (no autograd, no PyTorch)."""
import math
import types

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.scan import scan
from tensorgraft.testing.oracle import to_numpy

RNG = np.random.default_rng(3)


# --------------------------------------------------------------------------- the scan kernel
# A namespace that is not NumPy: scan() takes its log-step path (the one CuPy runs)
_NOT_NUMPY = types.SimpleNamespace(maximum=np.maximum, minimum=np.minimum, logaddexp=np.logaddexp)


@pytest.mark.parametrize("ufunc", ["maximum", "minimum", "logaddexp"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13])
def test_log_step_scan_matches_accumulate(ufunc, n):
    a = RNG.standard_normal((3, n, 2)) * 10
    before = a.copy()
    want = getattr(np, ufunc).accumulate(a, axis=1)
    got = scan(_NOT_NUMPY, a, 1, ufunc)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(a, before)  # the input is not written to


def test_log_step_scan_nan_and_infinities():
    a = np.array([1.0, np.nan, 3.0, -np.inf, np.inf, 2.0])
    for ufunc in ("maximum", "minimum", "logaddexp"):
        np.testing.assert_array_equal(scan(_NOT_NUMPY, a, 0, ufunc), getattr(np, ufunc).accumulate(a))
    b = np.array([-np.inf, -np.inf, 0.0, np.inf, 1.0])
    np.testing.assert_array_equal(scan(_NOT_NUMPY, b, 0, "logaddexp"), np.logaddexp.accumulate(b))


# --------------------------------------------------------------------------- cummax / cummin
def _running(a, dim, which):
    """Reference: running extreme and the last position holding it (NaN wins and stays; a later
    NaN moves the index on)."""
    a = np.moveaxis(a, dim, -1)
    vals = np.empty_like(a)
    idx = np.zeros(a.shape, np.int64)
    for k in np.ndindex(a.shape[:-1]):
        best, at = a[k + (0,)], 0
        for i in range(a.shape[-1]):
            x = a[k + (i,)]
            better = x >= best if which == "cummax" else x <= best
            if np.isnan(x) or (not np.isnan(best) and better):
                best, at = x, i
            vals[k + (i,)], idx[k + (i,)] = best, at
    return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)


CUM_INPUTS = [
    RNG.standard_normal((3, 6)),
    np.array([[0.5, 1.5, -1.0, 1.5, 2.0, 2.0], [-0.5, -1.5, 0.25, -1.5, 1.0, -1.5]]),
    np.array([[1.0, np.nan, 3.0, np.nan, 0.0], [2.0, 2.0, -1.0, np.nan, 5.0]]),
    RNG.integers(-3, 4, (4, 5)),
    RNG.integers(0, 2, (3, 4)).astype(bool),
    RNG.standard_normal((2, 3, 4)).astype(np.float32),
]


@pytest.mark.parametrize("which", ["cummax", "cummin"])
@pytest.mark.parametrize("k", range(len(CUM_INPUTS)))
def test_cummax_cummin_values_and_indices(which, k):
    arr = CUM_INPUTS[k]
    for dim in range(-arr.ndim, arr.ndim):
        r = getattr(tg, which)(tg.tensor(arr), dim)
        v, i = _running(arr, dim, which)
        assert r.values.dtype == tg.tensor(arr).dtype and r.indices.dtype == tg.int64
        np.testing.assert_array_equal(to_numpy(r.values), v)
        np.testing.assert_array_equal(to_numpy(r.indices), i)
        vals, idx = r  # a named 2-tuple
        assert vals is r.values and idx is r.indices and type(r).__name__ == which


def test_cummax_method_0d_empty_and_out():
    r = tg.tensor(2.5).cummax(0)
    assert r.values.item() == 2.5 and r.indices.item() == 0 and r.indices.shape == ()
    e = tg.cummin(tg.ones(0, 3), 0)
    assert tuple(e.values.shape) == tuple(e.indices.shape) == (0, 3)
    ov, oi = tg.empty(4), tg.zeros(4, dtype=tg.int64)
    res = tg.cummax(tg.tensor([1.0, 0.0, 3.0, 3.0]), 0, out=(ov, oi))
    assert res.values is ov and res.indices is oi
    assert ov.tolist() == [1.0, 1.0, 3.0, 3.0] and oi.tolist() == [0, 0, 2, 3]
    assert "torch.return_types.cummax_out(\nvalues=tensor([1., 1., 3., 3.])" in repr(res)  # (PyTorch's out= class)


def test_cummax_errors():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        tg.cummax(tg.ones(3), 1)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        tg.cummin([1.0, 2.0], 0)
    with pytest.raises(RuntimeError, match="not implemented for 'ComplexFloat'"):
        tg.cummax(tg.ones(2, dtype=tg.complex64), 0)


# --------------------------------------------------------------------------- logcumsumexp
def test_logcumsumexp_values():
    rng = np.random.default_rng(108)  # its own stream: the result must not depend on which tests ran first
    for arr in (rng.standard_normal((3, 5)), rng.standard_normal((2, 3, 4)).astype(np.float32)):
        for dim in range(arr.ndim):
            got = tg.logcumsumexp(tg.tensor(arr), dim)
            assert got.dtype == tg.tensor(arr).dtype
            want = np.log(np.cumsum(np.exp(arr.astype(np.float64)), axis=dim))
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5 if arr.dtype == np.float32 else 1e-12)
    assert tg.tensor(1.5).logcumsumexp(0).item() == 1.5


def test_logcumsumexp_is_stable():
    # exp(1000) overflows, exp(-1000) underflows: the naive formula gives inf/-inf here
    x = tg.tensor([[-1000.0, 0.0, 1000.0, 999.0], [-1e4, -1e4, -1e4, -1e4]])
    got = to_numpy(x.logcumsumexp(1))
    np.testing.assert_allclose(got[0], [-1000.0, 0.0, 1000.0, 1000.0 + math.log1p(math.exp(-1.0))], rtol=1e-6)
    np.testing.assert_allclose(got[1], -1e4 + np.log([1.0, 2.0, 3.0, 4.0]), rtol=1e-6)
    inf = float("inf")
    assert tg.tensor([inf, -inf, 1.0]).logcumsumexp(0).tolist() == [inf, inf, inf]
    assert tg.tensor([-inf, -inf, 1.0]).logcumsumexp(0).tolist() == [-inf, -inf, 1.0]
    assert np.isnan(to_numpy(tg.tensor([1.0, float("nan"), 2.0]).logcumsumexp(0))[1:]).all()


def test_logcumsumexp_errors_and_out():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        tg.logcumsumexp(tg.tensor([1, 2]), 0)
    with pytest.raises(IndexError):
        tg.logcumsumexp(tg.ones(2), 1)
    out = tg.empty(3)
    assert tg.logcumsumexp(tg.zeros(3), 0, out=out) is out
    np.testing.assert_allclose(to_numpy(out), np.log([1.0, 2.0, 3.0]), rtol=1e-6)


# --------------------------------------------------------------------------- diff
def test_diff_values():
    a = RNG.standard_normal((3, 5))
    t = tg.tensor(a)
    np.testing.assert_allclose(to_numpy(tg.diff(t)), np.diff(a))
    np.testing.assert_allclose(to_numpy(t.diff(2, 0)), np.diff(a, 2, axis=0))
    np.testing.assert_allclose(to_numpy(t.diff(3, -1)), np.diff(a, 3, axis=-1))
    assert tuple(t.diff(9).shape) == (3, 0) and tuple(t.diff(4, 0).shape) == (0, 5)
    p, q = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 1))
    np.testing.assert_allclose(to_numpy(t.diff(prepend=tg.tensor(p), append=tg.tensor(q))),
                               np.diff(a, prepend=p, append=q))
    c = t.diff(0, prepend=tg.tensor(p))  # n=0: a copy of the input, prepend ignored
    assert c._base is None and np.array_equal(to_numpy(c), a)
    i = tg.tensor([1, 4, 2], dtype=tg.uint8)
    assert i.diff().dtype == tg.uint8 and i.diff().tolist() == [3, 254]
    assert tg.tensor([1, 4, 2]).diff(prepend=tg.tensor([0.5])).dtype == tg.float32
    b = tg.tensor([True, False, False, True])
    assert b.diff().dtype == tg.bool and b.diff().tolist() == [True, False, True]
    assert b.diff(2).tolist() == [True, True]


def test_diff_errors():
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        tg.diff(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        tg.diff(tg.ones(3), -1)
    with pytest.raises(TypeError, match="argument 'n' \\(position 2\\) must be int, not float"):
        tg.diff(tg.ones(3), 1.0)
    with pytest.raises(RuntimeError, match="same dimension as input"):
        tg.diff(tg.ones(2, 3), append=tg.ones(3))
    with pytest.raises(RuntimeError, match=r"input.size\(0\) = 2, but got tensor.size\(0\) = 4"):
        tg.diff(tg.ones(2, 3), prepend=tg.ones(4, 1))
    with pytest.raises(TypeError, match="argument 'append' must be Tensor, not int"):
        tg.diff(tg.ones(3), append=1)


# --------------------------------------------------------------------------- ravel / view(dtype)
def test_ravel_views_when_it_can():
    base = tg.arange(6.0).reshape(2, 3)
    r = tg.ravel(base)
    assert r.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and r._base is not None
    r[0] = 9.0  # a view: writes show through
    assert base[0, 0].item() == 9.0
    c = base.t().ravel()
    assert c.tolist() == np.ravel(to_numpy(base).T).tolist()
    base.zero_()  # a copy: the base's writes do not show
    assert c.tolist() == [9.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert tuple(tg.tensor(3.0).ravel().shape) == (1,)


def test_view_dtype_reinterprets_bits_and_shares_memory():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = x.view(tg.int32)
    assert v.dtype == tg.int32 and v.tolist() == to_numpy(x).view(np.int32).tolist()
    assert v._base is x
    v0 = x._version
    v[0, 0] = 0  # bits of 0.0
    assert x[0, 0].item() == 0.0 and x._version == v0 + 1
    b = x.view(tg.uint8)
    assert tuple(b.shape) == (2, 8) and np.array_equal(to_numpy(b), to_numpy(x).view(np.uint8))
    assert tuple(x.view(tg.float64).shape) == (2, 1)
    assert tuple(x.view(dtype=tg.int16).shape) == (2, 4)
    assert tg.tensor([[1.0, 2.0], [3.0, 4.0]]).view(tg.complex64).tolist() == [[1 + 2j], [3 + 4j]]
    assert tg.tensor([1, 0, 2], dtype=tg.uint8).view(tg.bool).tolist() == [True, False, True]
    assert tg.tensor(1.0).view(tg.int32).item() == 1065353216
    assert tuple(x.t().view(tg.int32).shape) == (2, 2)  # same element size: any layout
    w = tg.arange(24, dtype=tg.uint8).view(4, 6)[:, 2:6]  # offset 2 of a row of 6: not a float32 view
    with pytest.raises(RuntimeError, match=r"self.storage_offset\(\) must be divisible by 4"):
        w.view(tg.float32)


needs_autograd = pytest.mark.skipif(tg.Tensor._autograd is None, reason="the autograd engine is not installed")


@needs_autograd
def test_view_dtype_and_bincount_results_do_not_require_grad():
    assert tg.ones(2, requires_grad=True).view(tg.int32).requires_grad is False
    assert tg.ones(2, requires_grad=True).view(tg.float32).requires_grad is False  # never differentiable
    w = tg.ones(3, requires_grad=True)
    assert tg.bincount(tg.tensor([0, 2, 2]), w).requires_grad is False  # not differentiable here (see docs)


def test_view_dtype_errors():
    msg = "to view Float as Byte (different element sizes)"
    with pytest.raises(RuntimeError, match=r"self.dim\(\) cannot be 0 " + msg.replace("(", r"\(").replace(")", r"\)")):
        tg.tensor(1.0).view(tg.uint8)
    with pytest.raises(RuntimeError, match=r"self.stride\(-1\) must be 1 to view Float as Byte"):
        tg.ones(4, 4).t().view(tg.uint8)
    with pytest.raises(RuntimeError, match=r"self.size\(-1\) must be divisible by 4 to view Byte as Float"):
        tg.arange(6, dtype=tg.uint8).view(tg.float32)
    with pytest.raises(RuntimeError, match=r"self.stride\(0\) must be divisible by 4 to view Byte as Float"):
        tg.arange(24, dtype=tg.uint8).view(4, 6)[:, :4].view(tg.float32)


# --------------------------------------------------------------------------- quantile / nanquantile
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("mode", MODES)
def test_quantile_matches_numpy(mode):
    a = RNG.standard_normal((4, 7))
    t = tg.tensor(a)
    q = np.array([0.0, 0.1, 0.33, 0.5, 0.9, 1.0])
    for dim in (None, 0, 1, -1):
        for keepdim in (False, True):
            got = tg.quantile(t, tg.tensor(q), dim, keepdim, interpolation=mode)
            want = np.quantile(a, q, axis=dim, keepdims=keepdim, method=mode)
            assert tuple(got.shape) == want.shape
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)
            one = t.quantile(0.3, dim, keepdim, interpolation=mode)
            want1 = np.quantile(a, 0.3, axis=dim, keepdims=keepdim, method=mode)
            assert tuple(one.shape) == np.shape(want1)
            np.testing.assert_allclose(to_numpy(one), want1, rtol=1e-12)


def test_quantile_nan_rows_and_dtypes():
    nan = float("nan")
    a = np.array([[1.0, nan, 3.0, 2.0], [4.0, 0.5, 2.5, 1.0], [nan, nan, nan, nan]], np.float32)
    t = tg.tensor(a)
    got = tg.quantile(t, 0.25, dim=1)
    assert got.dtype == tg.float32
    assert np.isnan(to_numpy(got)[0]) and np.isnan(to_numpy(got)[2])
    np.testing.assert_allclose(to_numpy(got)[1], np.quantile(a[1], 0.25), rtol=1e-6)
    assert np.isnan(tg.quantile(t, 0.5).item())
    nq = tg.nanquantile(t, tg.tensor([0.25, 0.75]), 1)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanquantile(a.astype(np.float64), [0.25, 0.75], axis=1)
    np.testing.assert_allclose(to_numpy(nq), want, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(tg.nanquantile(t, 0.5).item(), np.nanquantile(a, 0.5), rtol=1e-6)
    assert tg.quantile(tg.tensor(3.0), tg.tensor([0.2, 0.9]), 0, True).tolist() == [3.0, 3.0]
    out = tg.empty(3)
    assert tg.quantile(tg.tensor(a[1:2].repeat(3, 0)), 0.5, 1, out=out) is out


def test_quantile_errors():
    x = tg.arange(5.0)
    cases = [
        (lambda: tg.quantile(x, 1.5), RuntimeError, r"q must be in the range \[0, 1\] but got 1.5"),
        (lambda: tg.quantile(x, tg.tensor([0.5, -0.5])), RuntimeError, r"q values must be in the range \[0, 1\]"),
        (lambda: tg.quantile(x, tg.tensor([[0.5]])), RuntimeError, "q must be a scalar or 1D tensor"),
        (lambda: tg.quantile(tg.arange(5), 0.5), RuntimeError, "input tensor must be either float or double"),
        (lambda: tg.quantile(x, tg.tensor([0.5], dtype=tg.float64)), RuntimeError, "q tensor must be same dtype"),
        (lambda: tg.nanquantile(tg.ones(0), 0.5), RuntimeError, "input tensor must be non-empty"),
        (lambda: tg.quantile(x, 0.5, interpolation="cubic"), RuntimeError, "interpolation must be one of linear"),
        (lambda: tg.quantile(x, [0.5]), TypeError, "got \\(Tensor, list\\)"),
        (lambda: tg.quantile(tg.ones(2, dtype=tg.float16), 0.5), RuntimeError, "either float or double"),
    ]
    for fn, exc, match in cases:
        with pytest.raises(exc, match=match):
            fn()


# --------------------------------------------------------------------------- bincount
def test_bincount_matches_numpy():
    a = RNG.integers(0, 10, 50)
    w = RNG.standard_normal(50)
    assert tg.bincount(tg.tensor(a)).dtype == tg.int64
    np.testing.assert_array_equal(to_numpy(tg.bincount(tg.tensor(a))), np.bincount(a))
    np.testing.assert_array_equal(to_numpy(tg.tensor(a).bincount(minlength=20)), np.bincount(a, minlength=20))
    got = tg.bincount(tg.tensor(a), tg.tensor(w), 3)
    assert got.dtype == tg.float64
    np.testing.assert_allclose(to_numpy(got), np.bincount(a, w, 3), rtol=1e-12)
    got32 = tg.bincount(tg.tensor(a.astype(np.int32)), tg.tensor(w.astype(np.float32)))
    assert got32.dtype == tg.float32
    np.testing.assert_allclose(to_numpy(got32), np.bincount(a, w.astype(np.float32)), rtol=1e-5)
    assert tg.bincount(tg.tensor(a), tg.ones(50, dtype=tg.int64)).dtype == tg.float64
    assert tg.bincount(tg.tensor([], dtype=tg.int64), tg.tensor([]), minlength=2).dtype == tg.int64
    assert tg.bincount(tg.tensor([], dtype=tg.int64), minlength=2).tolist() == [0, 0]


def test_bincount_errors():
    cases = [
        (lambda: tg.bincount(tg.tensor([1.0])), NotImplementedError, "not implemented for 'Float'"),
        (lambda: tg.bincount(tg.tensor([-1, 2])), RuntimeError, "1-d non-negative integral inputs"),
        (lambda: tg.bincount(tg.tensor([[1, 2]])), RuntimeError, "1-d non-negative integral inputs"),
        (lambda: tg.bincount(tg.tensor([1, 2]), tg.ones(3)), RuntimeError, "weights should be 1-d and have the same"),
        (lambda: tg.bincount(tg.tensor([1, 2]), minlength=-2), RuntimeError, "minlength should be >= 0"),
        (lambda: tg.bincount(tg.tensor([1, 2]), [1.0, 2.0]), TypeError, "argument 'weights' \\(position 2\\)"),
    ]
    for fn, exc, match in cases:
        with pytest.raises(exc, match=match):
            fn()


# --------------------------------------------------------------------------- cdist
def _cdist_ref(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(a.dtype)
    if p == math.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, math.inf])
def test_cdist_matches_numpy(p):
    a, b = RNG.standard_normal((2, 1, 4, 3)), RNG.standard_normal((3, 5, 3))
    got = tg.cdist(tg.tensor(a), tg.tensor(b), p)
    assert tuple(got.shape) == (2, 3, 4, 5) and got.dtype == tg.float64
    np.testing.assert_allclose(to_numpy(got), _cdist_ref(a, b, p), rtol=1e-10)
    f = tg.cdist(tg.tensor(a[0, 0].astype(np.float32)), tg.tensor(b[0].astype(np.float32)), p)
    assert f.dtype == tg.float32
    np.testing.assert_allclose(to_numpy(f), _cdist_ref(a[0, 0], b[0], p), rtol=1e-5)


def test_cdist_matmul_modes_and_empty():
    a, b = RNG.standard_normal((30, 4)), RNG.standard_normal((6, 4))
    want = _cdist_ref(a, b, 2)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(to_numpy(tg.cdist(tg.tensor(a), tg.tensor(b), compute_mode=mode)), want, rtol=1e-7)
    same = tg.cdist(tg.tensor(a), tg.tensor(a), compute_mode="use_mm_for_euclid_dist")
    assert np.all(to_numpy(same) >= 0) and np.allclose(np.diag(to_numpy(same)), 0, atol=1e-6)
    assert tuple(tg.cdist(tg.ones(0, 2), tg.ones(4, 2)).shape) == (0, 4)
    assert tg.cdist(tg.ones(3, 0), tg.ones(4, 0)).tolist() == [[0.0] * 4] * 3


def test_cdist_errors():
    cases = [
        (lambda: tg.cdist(tg.ones(3), tg.ones(2, 3)), RuntimeError, "at least 2D tensors, X1 got: 1D"),
        (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 4)), RuntimeError, "same number of columns. X1: 3 X2: 4"),
        (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 3), -1.0), RuntimeError, "non-negative p values"),
        (lambda: tg.cdist(tg.ones(2, 3, dtype=tg.int64), tg.ones(2, 3)), RuntimeError, "X1 got: Long"),
        (lambda: tg.cdist(tg.ones(2, 3), tg.ones(2, 3), compute_mode="x"), ValueError, "x is not a valid value"),
        (lambda: tg.cdist(tg.ones(2, 2, 3), tg.ones(3, 2, 3)), RuntimeError, "The size of tensor a \\(2\\)"),
    ]
    for fn, exc, match in cases:
        with pytest.raises(exc, match=match):
            fn()
