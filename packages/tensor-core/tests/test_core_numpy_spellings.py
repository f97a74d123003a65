"""NumPy's argument names ``axis=``/``keepdims=`` stand for ``dim=``/``keepdim=`` on every reduction,
as PyTorch's argument parser allows; sum and mean take them in their own frontends (no wrapper layer
on the hottest reductions), the others through ``with_axis_alias``."""
import numpy as np
import pytest

import tensorgraft as tg

A = np.random.default_rng(0).standard_normal((3, 4, 2))
OPS = ["sum", "mean", "amax", "amin", "std", "var", "nansum", "nanmean", "prod", "logsumexp", "any", "all",
       "argmax", "argmin"]


def _ref(name, a, axis, keepdims):
    f = {"any": lambda x, **k: np.any(x != 0, **k), "all": lambda x, **k: np.all(x != 0, **k),
         "logsumexp": lambda x, axis, keepdims: np.log(np.exp(x).sum(axis=axis, keepdims=keepdims)),
         "std": lambda x, **k: np.std(x, ddof=1, **k), "var": lambda x, **k: np.var(x, ddof=1, **k),
         "argmax": lambda x, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims),
         "argmin": lambda x, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims)}.get(name)
    f = f or getattr(np, name.replace("amax", "max").replace("amin", "min"))
    return f(a, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_and_keepdims_mean_dim_and_keepdim(name, keepdims):
    t = tg.tensor(A)
    for result in (getattr(tg, name)(t, axis=1, keepdims=keepdims), getattr(t, name)(axis=1, keepdims=keepdims)):
        want = _ref(name, A, 1, keepdims)
        assert tuple(result.shape) == want.shape
        np.testing.assert_allclose(result.numpy().astype(np.float64), want, rtol=1e-12, atol=1e-12)
    assert getattr(t, name)(axis=1, keepdims=keepdims).shape == getattr(t, name)(dim=1, keepdim=keepdims).shape


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "std"])
def test_both_spellings_of_one_argument_are_refused(name):
    t = tg.tensor(A)
    with pytest.raises(TypeError, match=f"{name}\\(\\) got an unexpected keyword argument 'axis'"):
        getattr(t, name)(dim=0, axis=1)


def test_axis_tuple_and_keepdims_alone_on_sum_and_mean():
    t = tg.tensor(A)
    np.testing.assert_allclose(t.sum(axis=(0, 2)).numpy(), A.sum(axis=(0, 2)))
    assert tuple(t.mean((0, 1), keepdims=True).shape) == (1, 1, 2)
    assert tuple(t.sum(1, keepdims=True).shape) == (3, 1, 2)
    np.testing.assert_allclose(tg.sum(t, axis=-1, dtype=tg.float32).numpy(), A.sum(-1).astype(np.float32), rtol=1e-6)


def test_sum_and_mean_are_not_wrapped():
    # their frontends take the NumPy names themselves: a wrapper here is a call layer on every x.sum()
    # (once a Tensor subclass turned __torch_function__ dispatch on, the function behind its wrapper)
    for f in (tg.Tensor.sum, tg.Tensor.mean, tg.sum):
        f = getattr(f, "__torch_function_wrapped__", f)
        assert not hasattr(f, "__wrapped__"), f


def test_gradient_through_numpy_spellings():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    t = tg.tensor(A, requires_grad=True)
    t.mean(axis=0, keepdims=True).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.full(A.shape, 1 / 3))
    assert t.sum(axis=1).grad_fn.name() == "SumBackward1"


# Beyond the reductions: ops whose frontends read dim out of **kwargs (sort, argsort, quantile, diff,
# the *_copy views), in-place methods (x.cumsum_), and the fft, linalg and special namespaces (the
# nn aliases, torch.cosine_similarity and the like: tensorgraft-nn's tests)
B = np.random.default_rng(1).standard_normal((3, 4))
DIM_CALLS = {
    "sort": (lambda t, **k: tg.sort(t, **k)[0], lambda a: np.sort(a, axis=0)),
    "argsort": (lambda t, **k: tg.argsort(t, **k), lambda a: np.argsort(a, axis=0, kind="stable")),
    "Tensor.sort": (lambda t, **k: t.sort(**k).values, lambda a: np.sort(a, axis=0)),
    "quantile": (lambda t, **k: tg.quantile(t, 0.5, **k), lambda a: np.quantile(a, 0.5, axis=0)),
    "nanquantile": (lambda t, **k: t.nanquantile(0.5, **k), lambda a: np.nanquantile(a, 0.5, axis=0)),
    "diff": (lambda t, **k: tg.diff(t, **k), lambda a: np.diff(a, axis=0)),
    "select_copy": (lambda t, **k: tg.select_copy(t, index=1, **k), lambda a: a[1]),
    "unsqueeze_copy": (lambda t, **k: tg.unsqueeze_copy(t, **k), lambda a: a[None]),
    "cumsum_": (lambda t, **k: t.clone().cumsum_(**k), lambda a: np.cumsum(a, axis=0)),
    "index_fill_": (lambda t, **k: t.clone().index_fill_(index=tg.tensor([1]), value=0.0, **k),
                    lambda a: np.where(np.arange(3)[:, None] == 1, 0.0, a)),
    "fft.fft": (lambda t, **k: tg.fft.fft(t, **k), lambda a: np.fft.fft(a, axis=0)),
    "fft.fftshift": (lambda t, **k: tg.fft.fftshift(t, **k), lambda a: np.fft.fftshift(a, axes=0)),
    "linalg.vector_norm": (lambda t, **k: tg.linalg.vector_norm(t, **k), lambda a: np.linalg.norm(a, axis=0)),
    "special.log_softmax": (lambda t, **k: tg.special.log_softmax(t, **k),
                            lambda a: a - np.log(np.exp(a).sum(axis=0, keepdims=True))),
}


@pytest.mark.parametrize("name", sorted(DIM_CALLS))
def test_axis_means_dim_beyond_the_reductions(name):
    call, reference = DIM_CALLS[name]
    by_axis = call(tg.tensor(B), axis=0)
    np.testing.assert_allclose(by_axis.numpy(), reference(B), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(by_axis.numpy(), call(tg.tensor(B), dim=0).numpy())


@pytest.mark.parametrize("call", [lambda t: tg.argsort(t, dim=0, axis=0), lambda t: t.clone().cumsum_(dim=0, axis=0),
                                  lambda t: tg.fft.fft(t, dim=0, axis=0)])
def test_both_spellings_are_refused_beyond_the_reductions(call):
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        call(tg.tensor(B))


def test_keepdims_on_namespaces_and_quantile():
    t = tg.tensor(B)
    assert tuple(tg.quantile(t, 0.5, dim=1, keepdims=True).shape) == (3, 1)
    assert tuple(tg.linalg.vector_norm(t, dim=1, keepdims=True).shape) == (3, 1)
    assert tuple(tg.linalg.norm(t, keepdims=True).shape) == (1, 1)


def test_wrapping_keeps_the_functions_name_module_and_signature():
    import inspect
    assert tg.fft.fft.__name__ == "fft" and tg.fft.fft.__module__ == "tensorgraft.fft"
    assert list(inspect.signature(tg.fft.fft).parameters) == ["input", "n", "dim", "norm", "out"]
    assert tg.linalg.vector_norm.__name__ == "vector_norm"
