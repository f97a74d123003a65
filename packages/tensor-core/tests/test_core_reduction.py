"""Reductions of tensorgraft-core: names, signatures, result types and values as in PyTorch."""
import math

import numpy as np
import pytest

import tensorgraft as tg

X = [[1., 3., 3.], [2., 0., 5.]]


# --------------------------------------------------------------------------- hard-coded PyTorch answers
def test_named_tuple_results_and_repr():
    r = tg.max(tg.tensor([[1, 2], [3, 0]]), 1)
    assert repr(r) == "torch.return_types.max(\nvalues=tensor([2, 3]),\nindices=tensor([1, 0]))"
    assert type(r).__name__ == "max"
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is values
    assert isinstance(r, tuple) and len(r) == 2
    s = tg.sort(tg.tensor([3, 1, 2]))
    assert repr(s) == "torch.return_types.sort(\nvalues=tensor([1, 2, 3]),\nindices=tensor([1, 2, 0]))"
    k = tg.topk(tg.tensor([3., 1, 2]), 2)
    assert repr(k) == "torch.return_types.topk(\nvalues=tensor([3., 2.]),\nindices=tensor([0, 2]))"
    import pickle
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is type(r) and back.indices.tolist() == [1, 0]
    m = tg.median(tg.tensor([[1., 4, 3, 2]]), 1)
    assert repr(m) == "torch.return_types.median(\nvalues=tensor([2.]),\nindices=tensor([3]))"


def test_max_min_forms():
    x = tg.tensor(X)
    assert x.max().item() == 5.0 and x.min().item() == 0.0
    assert x.max(dim=0, keepdim=True).values.tolist() == [[2.0, 3.0, 5.0]]
    assert x.min(1).indices.tolist() == [0, 1]
    assert x.max(1).indices.dtype is tg.int64
    assert tg.max(x, tg.tensor([2., 2., 2.])).tolist() == [[2.0, 3.0, 3.0], [2.0, 2.0, 5.0]]
    assert tg.min(x, tg.zeros(3)).tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert tg.max(x, other=tg.full((3,), 4.)).tolist() == [[4.0, 4.0, 4.0], [4.0, 4.0, 5.0]]
    assert x.amax((0, 1)).item() == 5.0
    assert x.amin(-1).tolist() == [1.0, 0.0]
    assert x.amax().item() == 5.0
    assert tg.aminmax(x).min.item() == 0.0
    s = tg.tensor(3.)
    assert s.max(0).values.item() == 3.0 and s.max(0).indices.item() == 0
    assert math.isnan(tg.tensor([1., float("nan"), 2.]).max().item())
    assert tg.tensor([1., float("nan"), 2.]).max(0).indices.item() == 1


def test_max_errors():
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0."):
        tg.tensor([]).max()
    # IndexError, as PyTorch 2.13 raises it
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 1 to have non-zero size."):
        tg.zeros(1, 0).max(1)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tg.zeros(2, 2).max(2)


def test_argmax_argmin():
    x = tg.tensor([[1, 2], [3, 0]])
    assert tg.argmax(x).item() == 2 and tg.argmax(x).dtype is tg.int64
    assert tg.argmax(x, keepdim=True).tolist() == [[2]]
    assert tg.argmax(x, dim=1, keepdim=True).tolist() == [[1], [0]]
    assert x.argmin(0).tolist() == [0, 1]
    assert x.argmin().item() == 3


def test_sum_like_dtypes():
    i = tg.tensor([1, 2, 3], dtype=tg.int32)
    assert i.sum().dtype is tg.int64 and i.prod().dtype is tg.int64
    assert i.cumsum(0).dtype is tg.int64 and i.cumsum(0).tolist() == [1, 3, 6]
    assert tg.tensor([True, True]).cumprod(0).dtype is tg.int64
    assert i.prod().item() == 6
    assert i.sum(dtype=tg.float64).dtype is tg.float64
    assert i.cumsum(0, dtype=tg.float32).dtype is tg.float32
    assert tg.tensor([1., float("nan"), 2.]).nansum().item() == 3.0
    assert tg.tensor([1., float("nan"), 2.]).nanmean().item() == 1.5
    assert tg.tensor([[1, 2]]).nansum(1).dtype is tg.int64
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point or complex dtype but "
                                           "got Long"):
        tg.tensor([1, 2]).nanmean()
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex dtypes"):
        tg.tensor([1, 2]).std()
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex tensor as input. "
                                           "Got Long"):
        tg.tensor([1, 2]).norm()


def test_std_var_signatures():
    x = tg.tensor([1., 2., 3.])
    assert x.var().item() == 1.0
    assert x.std(unbiased=False).item() == pytest.approx(math.sqrt(2 / 3))
    assert x.var(correction=0).item() == pytest.approx(2 / 3)
    assert tg.var(x, False).item() == pytest.approx(2 / 3)  # legacy var(input, unbiased)
    assert tg.var(tg.tensor([[1., 2, 3]]), 1, True, True).tolist() == [[1.0]]
    s, m = tg.std_mean(x)
    assert s.item() == 1.0 and m.item() == 2.0
    v, m = tg.var_mean(tg.tensor([[1., 2, 3]]), 1, correction=0)
    assert v.tolist() == [pytest.approx(2 / 3)] and m.tolist() == [2.0]


def test_norms():
    x = tg.tensor([3., -4.])
    assert x.norm().item() == 5.0
    assert x.norm(1).item() == 7.0
    assert x.norm(float("inf")).item() == 4.0
    assert x.norm(0).item() == 2.0
    assert tg.norm(tg.tensor([[3., 4.], [0., 0.]]), dim=1).tolist() == [5.0, 0.0]
    assert tg.linalg.vector_norm(x, ord=3).item() == pytest.approx((27 + 64) ** (1 / 3))
    assert tg.linalg.vector_norm(tg.ones(2, 2), dim=(0, 1), keepdim=True).shape == (1, 1)
    assert tg.norm(tg.tensor([1.0, 2.0]), dtype=tg.float64).dtype is tg.float64
    for f in (lambda: tg.norm(tg.tensor([1, 2]), dtype=tg.float64),  # integer input: refused, dtype= or not
              lambda: tg.linalg.vector_norm(tg.tensor([1, 2]), dtype=tg.float32),
              lambda: tg.linalg.matrix_norm(tg.ones(2, 2, dtype=tg.int64), dtype=tg.float32)):
        with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
            f()


def test_logsumexp_stable_and_softmax():
    x = tg.tensor([[1000., 1000.], [-1000., -1000.]])
    r = x.logsumexp(1)
    assert np.allclose(np.array(r.tolist()), [1000 + math.log(2), -1000 + math.log(2)])
    assert tg.tensor([1, 2]).logsumexp(0).dtype is tg.float32
    assert tg.tensor([-float("inf"), -float("inf")]).logsumexp(0).item() == -float("inf")
    s = tg.softmax(tg.tensor([1000., 0.]), 0)
    assert s.tolist() == [1.0, 0.0]
    ls = tg.tensor([1000., 0.]).log_softmax(0)
    assert ls.tolist() == [0.0, -1000.0]
    assert tg.tensor([1., 2.]).softmax(0, dtype=tg.float64).dtype is tg.float64
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        tg.tensor([1, 2]).softmax(0)


def test_all_any_count():
    x = tg.tensor([[1, 0], [2, 3]])
    assert tg.all(x).item() is False and tg.any(x).item() is True
    assert x.all(1).tolist() == [False, True]
    assert x.any(dim=0, keepdim=True).tolist() == [[True, True]]
    assert tg.all(tg.tensor([1, 2], dtype=tg.uint8)).dtype is tg.uint8
    assert tg.count_nonzero(x).item() == 3 and tg.count_nonzero(x, dim=1).tolist() == [1, 2]
    assert tg.count_nonzero(x).dtype is tg.int64


def test_sort_topk_argsort():
    x = tg.tensor([2, 1, 2, 3, 1])
    s = x.sort(stable=True)
    assert s.values.tolist() == [1, 1, 2, 2, 3] and s.indices.tolist() == [1, 4, 0, 2, 3]
    s = x.sort(descending=True, stable=True)
    assert s.values.tolist() == [3, 2, 2, 1, 1] and s.indices.tolist() == [3, 0, 2, 1, 4]
    assert x.argsort(descending=True, stable=True).tolist() == [3, 0, 2, 1, 4]
    f = tg.tensor([1., float("nan"), 0.])
    assert f.sort().indices.tolist() == [2, 0, 1]
    assert f.sort(descending=True).indices.tolist() == [1, 0, 2]
    t = tg.tensor([[1., 5, 3], [4, 2, 6]]).topk(2, dim=1)
    assert t.values.tolist() == [[5.0, 3.0], [6.0, 4.0]] and t.indices.tolist() == [[1, 2], [2, 0]]
    t = tg.tensor([1., 5, 3]).topk(2, largest=False)
    assert t.values.tolist() == [1.0, 3.0]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        tg.tensor([1., 2.]).topk(3)


def test_unique_and_median():
    x = tg.tensor([3, 1, 2, 1])
    assert tg.unique(x).tolist() == [1, 2, 3]
    u, inv, cnt = tg.unique(x, return_inverse=True, return_counts=True)
    assert inv.tolist() == [2, 0, 1, 0] and cnt.tolist() == [2, 1, 1]
    assert tg.unique(tg.tensor([[1, 2], [1, 2], [0, 1]]), dim=0).tolist() == [[0, 1], [1, 2]]
    assert tg.tensor([1., 2, 3, 4]).median().item() == 2.0  # the lower median
    assert math.isnan(tg.tensor([1., float("nan"), 3.]).median().item())
    m = tg.tensor([[1., 4, 3, 2], [5, 6, 7, 8]]).median(1, keepdim=True)
    assert m.values.tolist() == [[2.0], [6.0]] and m.indices.tolist() == [[3], [1]]


def test_cumulative():
    x = tg.tensor([[1., 2., 3.], [4., 5., 6.]])
    assert x.cumsum(1).tolist() == [[1, 3, 6], [4, 9, 15]]
    assert x.cumprod(0).tolist() == [[1, 2, 3], [4, 10, 18]]
    assert tg.cumsum(x, dim=-1).shape == (2, 3)
    y = x.clone()
    y.cumsum_(1)
    assert y.tolist() == [[1, 3, 6], [4, 9, 15]]


# --------------------------------------------------------------------------- PyTorch as the oracle
def _a(shape=(3, 4, 5), seed=0, ties=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32)
    if ties:
        a = np.round(a * 2) / 2
    return a


CASES = {
    "sum_dims": lambda t, x: x.sum((0, 2), keepdim=True),
    "mean": lambda t, x: x.mean(1),
    "nansum": lambda t, x: t.nansum(x.log(), 1),
    "nanmean": lambda t, x: t.nanmean(x.log(), (0, 2)),
    "prod": lambda t, x: x.prod(),
    "prod_dim": lambda t, x: x.prod(1, keepdim=True),
    "max": lambda t, x: x.max(),
    "max_dim_vals": lambda t, x: x.max(2).values,
    "max_dim_idx": lambda t, x: x.max(2, keepdim=True).indices,
    "min_dim_idx": lambda t, x: t.min(x, -1).indices,
    "amax": lambda t, x: x.amax((0, 1)),
    "amin": lambda t, x: t.amin(x, 1, keepdim=True),
    "argmax": lambda t, x: x.argmax(),
    "argmin_dim": lambda t, x: x.argmin(1, keepdim=True),
    "std": lambda t, x: x.std(),
    "std_dim": lambda t, x: x.std((0, 2), keepdim=True),
    "var_corr": lambda t, x: t.var(x, 1, correction=0),
    "var_unbiased": lambda t, x: x.var(1, unbiased=False),
    "norm": lambda t, x: x.norm(),
    "norm_p1_dim": lambda t, x: x.norm(1, dim=1),
    "norm_inf": lambda t, x: x.norm(float("inf"), dim=(0, 2), keepdim=True),
    "norm_fro": lambda t, x: t.norm(x, "fro", dim=(1, 2)),
    "vector_norm_3": lambda t, x: t.linalg.vector_norm(x, 3, dim=-1),
    "vector_norm_0": lambda t, x: t.linalg.vector_norm(x.round(), 0),
    "vector_norm_ninf": lambda t, x: t.linalg.vector_norm(x, float("-inf"), dim=0),
    "logsumexp": lambda t, x: x.logsumexp((1, 2)),
    "logsumexp_big": lambda t, x: (x * 1000).logsumexp(0, keepdim=True),
    "cumsum": lambda t, x: x.cumsum(1),
    "cumprod": lambda t, x: t.cumprod(x, -1),
    "all": lambda t, x: (x > -2).all(1),
    "any": lambda t, x: t.any(x > 1.5, dim=2, keepdim=True),
    "count_nonzero": lambda t, x: t.count_nonzero(x.round(), dim=1),
    "topk": lambda t, x: x.topk(3, dim=1).values,
    "topk_small": lambda t, x: x.topk(2, largest=False).values,
    "sort": lambda t, x: x.sort(1).values,
    "sort_desc_idx": lambda t, x: x.sort(dim=1, descending=True, stable=True).indices,
    "argsort": lambda t, x: x.argsort(dim=0, stable=True),
    "median": lambda t, x: x.median(),
    "median_dim": lambda t, x: x.median(1).values,
    "median_dim_even": lambda t, x: x.median(2).values,
    "softmax": lambda t, x: x.softmax(1),
    "log_softmax": lambda t, x: t.log_softmax(x * 100, -1),
    "unique": lambda t, x: t.unique(x.round()),
    "kthvalue": lambda t, x: x.kthvalue(2, 1).values,
    "kthvalue_keep": lambda t, x: t.kthvalue(x, 3, 0, True).values,
    "nanmedian": lambda t, x: t.nanmedian(x.log()),
    "nanmedian_dim": lambda t, x: x.log().nanmedian(2).values,
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("ties", [False, True])
def test_against_torch(name, ties):
    torch = pytest.importorskip("torch")
    a = _a(ties=ties, seed=len(name))
    if ties and name in ("sort_desc_idx", "argsort"):
        pass  # stable sorts must agree index by index even with ties
    elif ties and ("idx" in name or name.startswith("arg")):
        pytest.skip("tie-breaking order of indices is unspecified")
    f = CASES[name]
    r = f(tg, tg.tensor(a))
    e = f(torch, torch.tensor(a))
    assert repr(r.dtype) == repr(e.dtype)
    assert tuple(r.shape) == tuple(e.shape)
    np.testing.assert_allclose(np.asarray(r.tolist(), dtype=np.float64), e.double().numpy(), rtol=3e-5, atol=1e-5,
                               equal_nan=True)


def test_int_reductions_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[3, -1, 2], [0, 5, 5]])
    for f in (lambda t, x: x.sum(1), lambda t, x: x.prod(), lambda t, x: x.cumsum(0), lambda t, x: x.cumprod(1),
              lambda t, x: x.max(1).values, lambda t, x: x.amax(), lambda t, x: x.median(),
              lambda t, x: x.sort(descending=True).values, lambda t, x: x.topk(2).values,
              lambda t, x: t.count_nonzero(x), lambda t, x: x.all(), lambda t, x: x.argmax(1),
              lambda t, x: x.to(t.uint8).any(0), lambda t, x: x.logsumexp(1), lambda t, x: t.nansum(x)):
        r, e = f(tg, tg.tensor(a)), f(torch, torch.tensor(a))
        assert repr(r.dtype) == repr(e.dtype)
        np.testing.assert_allclose(np.asarray(r.tolist(), dtype=np.float64), e.double().numpy(), rtol=1e-6)


def test_std_var_degrees_of_freedom_warning():
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        r = tg.tensor([1.]).std()
    assert math.isnan(r.item())
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert tg.var(tg.tensor([1., 2.]), correction=2).item() == float("inf")


def test_mode_hardcoded():
    r = tg.mode(tg.tensor([[1, 2, 2, 3, 3, 1, 1], [5, 4, 4, 5, 0, 0, 7]]), 1)
    assert repr(r) == "torch.return_types.mode(\nvalues=tensor([1, 0]),\nindices=tensor([6, 5]))"
    r = tg.tensor([3., 1, 1, 3, 2]).mode()
    assert r.values.item() == 1.0 and r.indices.item() == 2  # smallest of the most frequent, last occurrence
    assert tg.tensor(4.).mode().indices.item() == 0


def test_mode_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = rng.integers(0, 4, (3, 5, 6))
        for d in range(3):
            for kd in (False, True):
                r, e = tg.mode(tg.tensor(a), d, kd), torch.mode(torch.tensor(a), d, kd)
                assert r.values.tolist() == e.values.tolist() and r.indices.tolist() == e.indices.tolist()


def test_empty_dim_list_reduces_everything():
    x = tg.ones(2, 3)
    assert x.sum(dim=()).item() == 6.0 and x.sum(()).shape == ()
    assert x.mean(dim=[]).item() == 1.0
    assert x.amax(dim=()).item() == 1.0 and x.nansum(()).item() == 6.0
    assert x.std(dim=()).item() == 0.0


@pytest.mark.parametrize("which", ["max", "min"])
def test_max_min_refuse_an_explicit_dim_none(which):
    x = tg.arange(6.).reshape(2, 3)
    with pytest.raises(TypeError, match=rf"^{which}\(\) received an invalid combination of arguments - got "
                                        r"\(dim=NoneType, \), but expected one of:"):
        getattr(x, which)(dim=None)
    assert getattr(x, which)().item() == (5.0 if which == "max" else 0.0)  # no dim at all is the full reduction
