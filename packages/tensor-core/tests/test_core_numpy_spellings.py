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
