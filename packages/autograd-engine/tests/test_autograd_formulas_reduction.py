"""Backward formulas of the reductions: node names, gradients against PyTorch, finite differences."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _distinct(shape, seed=0):
    """float64 values far from ties and from zero (max/sort/median are smooth there)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    vals = (rng.permutation(n) + 1.0) / n * rng.choice([-1.0, 1.0], n) + rng.uniform(-0.2, 0.2, n) / n
    return vals.reshape(shape)


FUNCS = {
    "sum": lambda t, x: x.sum((0, 2)),
    "mean": lambda t, x: x.mean(1, keepdim=True),
    "nansum": lambda t, x: t.nansum(x, 1),
    "nanmean": lambda t, x: t.nanmean(x, -1),
    "prod": lambda t, x: x.prod(),
    "prod_dim": lambda t, x: x.prod(1),
    "prod_keep": lambda t, x: x.prod(2, keepdim=True),
    "max": lambda t, x: x.max(),
    "min": lambda t, x: x.min(),
    "max_dim": lambda t, x: x.max(1).values,
    "min_dim_keep": lambda t, x: x.min(2, keepdim=True).values,
    "amax": lambda t, x: x.amax((0, 2)),
    "amin_keep": lambda t, x: x.amin(1, keepdim=True),
    "std": lambda t, x: x.std(),
    "std_dim": lambda t, x: x.std(1, keepdim=True),
    "var": lambda t, x: x.var((0, 2), correction=0),
    "var_unbiased": lambda t, x: x.var(1, unbiased=True),
    "norm": lambda t, x: x.norm(),
    "norm_1": lambda t, x: x.norm(1, dim=1),
    "norm_inf": lambda t, x: x.norm(float("inf"), dim=2),
    "norm_3": lambda t, x: t.linalg.vector_norm(x, 3, dim=(0, 1), keepdim=True),
    "logsumexp": lambda t, x: x.logsumexp(1),
    "logsumexp_all": lambda t, x: x.logsumexp((0, 1, 2)),
    "cumsum": lambda t, x: x.cumsum(1),
    "cumprod": lambda t, x: x.cumprod(2),
    "topk": lambda t, x: x.topk(2, dim=1).values,
    "topk_small": lambda t, x: x.topk(3, largest=False).values,
    "sort": lambda t, x: x.sort(1).values,
    "sort_desc": lambda t, x: x.sort(0, descending=True).values,
    "softmax": lambda t, x: x.softmax(1),
    "log_softmax": lambda t, x: x.log_softmax(-1),
    "median": lambda t, x: x.median(),
    "median_dim": lambda t, x: x.median(2).values,
    "median_dim_keep": lambda t, x: x.median(1, keepdim=True).values,
    "kthvalue": lambda t, x: x.kthvalue(2, 1).values,
    "nanmedian": lambda t, x: x.nanmedian(),
    "nanmedian_dim": lambda t, x: t.nanmedian(x, 0).values,
    "mode": lambda t, x: x.mode(1).values,
}

NODE_NAMES = {
    "sum": "SumBackward1", "mean": "MeanBackward1", "nansum": "NansumBackward0", "nanmean": "DivBackward0",
    "prod": "ProdBackward0", "prod_dim": "ProdBackward1", "max": "MaxBackward1", "min": "MinBackward1",
    "max_dim": "MaxBackward0", "min_dim_keep": "MinBackward0", "amax": "AmaxBackward0", "amin_keep": "AminBackward0",
    "std": "StdBackward0", "var": "VarBackward0", "norm": "LinalgVectorNormBackward0",
    "norm_3": "LinalgVectorNormBackward0", "logsumexp": "LogsumexpBackward0", "cumsum": "CumsumBackward0",
    "cumprod": "CumprodBackward0", "topk": "TopkBackward0", "sort": "SortBackward0", "softmax": "SoftmaxBackward0",
    "log_softmax": "LogSoftmaxBackward0", "median": "MedianBackward0", "median_dim": "MedianBackward1",
    "kthvalue": "KthvalueBackward0", "nanmedian": "NanmedianBackward0", "nanmedian_dim": "NanmedianBackward1",
    "mode": "ModeBackward0",
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradcheck(name):
    x = tg.tensor(_distinct((2, 3, 4), seed=len(name)), requires_grad=True)
    assert gradcheck(lambda x: FUNCS[name](tg, x), (x,))


@pytest.mark.parametrize("name", sorted(NODE_NAMES))
def test_node_names(name):
    x = tg.tensor(_distinct((2, 3, 4)), requires_grad=True)
    assert type(FUNCS[name](tg, x).grad_fn).__name__ == NODE_NAMES[name]


@pytest.mark.parametrize("name", ["prod_dim", "max", "amax", "std_dim", "norm", "norm_inf", "logsumexp", "cumsum",
                                  "cumprod", "topk", "sort", "softmax", "log_softmax", "median_dim", "var"])
def test_gradgradcheck(name):
    x = tg.tensor(_distinct((2, 3, 3), seed=3), requires_grad=True)
    assert gradgradcheck(lambda x: FUNCS[name](tg, x), (x,))


def _grads(lib, f, a, go_seed=1):
    x = lib.tensor(a, requires_grad=True)
    out = f(lib, x)
    go = np.random.default_rng(go_seed).standard_normal(tuple(out.shape))
    out.backward(lib.tensor(go, dtype=out.dtype))
    return np.asarray(x.grad.tolist(), dtype=np.float64)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_grad_against_torch(name):
    torch = pytest.importorskip("torch")
    a = _distinct((2, 3, 4), seed=len(name) + 7)
    np.testing.assert_allclose(_grads(tg, FUNCS[name], a), _grads(torch, FUNCS[name], a), rtol=1e-7, atol=1e-9)


TIES = {
    "max": lambda t, x: x.max(),
    "min": lambda t, x: x.min(),
    "amax": lambda t, x: x.amax(1),
    "amin": lambda t, x: x.amin((0, 1)),
    "median": lambda t, x: x.median(),
    "norm_inf": lambda t, x: t.linalg.vector_norm(x, float("inf"), dim=1),
    "prod_one_zero": lambda t, x: x.prod(1),
    "prod_all_zero": lambda t, x: x.prod(),
    "cumprod_zero": lambda t, x: x.cumprod(1),
    "norm_zero_row": lambda t, x: x.norm(dim=1),
    "logsumexp_inf": lambda t, x: (x.log()).logsumexp(1),
}


@pytest.mark.parametrize("name", sorted(TIES))
def test_ties_and_zeros_against_torch(name):
    """Ties split the gradient evenly (amax/max()/median()); zeros in prod/cumprod; zero norms."""
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0, -3.0], [0.0, 2.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    if name == "prod_one_zero":
        a = np.array([[1.0, 3.0, 0.0, -3.0], [0.0, 2.0, 0.0, 5.0], [2.0, 0.5, 1.5, 3.0]])
    if name == "cumprod_zero":
        a = np.array([[1.0, 3.0, 0.0, -3.0], [0.0, 2.0, 0.0, 5.0], [2.0, 0.5, 1.5, 3.0]])
    if name in ("max", "min", "amin"):
        a = np.array([[1.0, 5.0, 3.0, -3.0], [0.0, 2.0, -3.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    if name == "logsumexp_inf":
        a = np.abs(a)
    np.testing.assert_allclose(_grads(tg, TIES[name], a), _grads(torch, TIES[name], a), rtol=1e-7, atol=1e-9)


def test_index_routing_of_named_tuple_results():
    x = tg.tensor([[1., 5., 2.], [7., 0., 3.]], requires_grad=True)
    r = x.max(1)
    assert r.indices.grad_fn is None and not r.indices.requires_grad
    assert type(r.values.grad_fn).__name__ == "MaxBackward0"
    r.values.sum().backward()
    assert x.grad.tolist() == [[0., 1., 0.], [1., 0., 0.]]
    x.grad = None
    v, i = x.sort(1, descending=True)
    (v * tg.tensor([1., 10., 100.])).sum().backward()
    assert x.grad.tolist() == [[100., 1., 10.], [1., 100., 10.]]


def test_mode_grad_goes_to_the_reported_index():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 2.0, 3.0], [0.5, 0.5, -1.0, -1.0]])
    f = lambda t, x: t.mode(x, 1, True).values  # noqa: E731
    np.testing.assert_allclose(_grads(tg, f, a), _grads(torch, f, a))


def test_std_mean_var_mean_grad():
    x = tg.tensor(_distinct((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: tg.std_mean(x, 1), (x,))
    assert gradcheck(lambda x: tg.var_mean(x, correction=0), (x,))


def test_non_differentiable_results():
    x = tg.tensor([[1., 2.], [3., 0.]], requires_grad=True)
    for r in (x.argmax(), x.argsort(), x.all(), x.any(1), tg.count_nonzero(x)):
        assert not r.requires_grad and r.grad_fn is None


def test_sum_dtype_grad_is_cast_back():
    x = tg.tensor([1., 2.], requires_grad=True)
    y = x.sum(dtype=tg.float64)
    assert y.dtype is tg.float64
    y.backward()
    assert x.grad.dtype is tg.float32 and x.grad.tolist() == [1.0, 1.0]


def test_softmax_dtype_grad():
    x = tg.tensor([1., 2., 3.], requires_grad=True)
    y = x.softmax(0, dtype=tg.float64)
    assert y.dtype is tg.float64
    (y * tg.tensor([1., 0., 0.], dtype=tg.float64)).sum().backward()
    assert x.grad.dtype is tg.float32
    s = np.exp([1., 2., 3.]) / np.exp([1., 2., 3.]).sum()
    np.testing.assert_allclose(x.grad.tolist(), s[0] * (np.eye(3)[0] - s), rtol=1e-6)


@pytest.mark.parametrize("f", [lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True),
                               lambda x: x.cumprod(1), lambda x: x.cumprod(0)])
def test_prod_cumprod_with_zeros_first_and_second_order(f):
    x = tg.tensor([[1.5, 0.0, 2.0, -3.0], [0.0, 0.0, 1.0, 2.0], [1.0, 2.0, 0.5, 4.0]],
                  dtype=tg.float64, requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_var_std_grad_without_degrees_of_freedom_is_nan_like_torch():
    import warnings
    for f in (lambda x: x.var(), lambda x: x.std()):
        x = tg.tensor([1.5], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(x).backward()
        assert np.isnan(x.grad.item())
