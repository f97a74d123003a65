"""Gaps found by PyTorch-style programs, held to PyTorch: multinomial's single draw with
replacement (the exponential race), bernoulli of a 0-d tensor, broadcast_tensors handing back
inputs already of the broadcast shape, the top-level poisson/binomial ops drawing PyTorch's
counts (and binomial's argument checks), the size errors of factories and samplers, flatten's
dim check on a 0-d tensor, and testing.make_tensor drawing as PyTorch's does."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import tensorgraft  # noqa: E402
from tensorgraft.testing.oracle import (  # noqa: E402
    as_both, assert_same_error, assert_values_close, grad_fn_name, run_in_both)


def _seeded(lib, call, seed=0):
    lib.manual_seed(seed)
    return call(lib)


def _both_seeded(call, seed=0):
    return run_in_both(lambda lib: _seeded(lib, call, seed))


def _equal(ours, theirs):
    assert_values_close(ours, theirs, rtol=0, atol=0)


# -- 1. multinomial(p, 1, replacement=True) draws by the exponential race -------------------------
@pytest.mark.parametrize("call", [
    lambda t: [t.multinomial(t.tensor([.2, .3, .5]), 1, True).item() for _ in range(10)],
    lambda t: t.multinomial(t.tensor([[.2, .3, .5], [.1, .1, .8]]), 1, True),
    lambda t: t.multinomial(t.tensor([[.2, .3, .5], [.1, .1, .8]], dtype=t.float64), 1, replacement=True),
    lambda t: (t.multinomial(t.tensor([[.2, .3, .5], [.1, .1, .8]]), 4, True), t.rand(3)),
    lambda t: (t.distributions.Categorical(t.tensor([[.2, .3, .5], [.6, .3, .1]])).sample(), t.rand(2)),
    lambda t: t.distributions.Categorical(logits=t.tensor([.2, -1.0, .5])).sample((3, 2)),
    lambda t: t.distributions.OneHotCategorical(t.tensor([.2, .3, .5])).sample((2,)),
])
def test_multinomial_single_draw_with_replacement_matches(call):
    ours, theirs = _both_seeded(call)
    if isinstance(ours, list):
        assert ours == theirs
    elif isinstance(ours, tuple):
        for a, b in zip(ours, theirs):
            _equal(a, b)
    else:
        _equal(ours, theirs)


# -- 2. bernoulli of a 0-d tensor keeps its shape --------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.bernoulli(t.tensor([.2, .5])[1]),
    lambda t: t.bernoulli(t.tensor(.7, dtype=t.float64)),
    lambda t: t.bernoulli(t.tensor(.7), 0.3),
    lambda t: t.bernoulli(t.tensor([[.2, .5], [.7, .1]]).T),
])
def test_bernoulli_keeps_the_input_shape(call):
    ours, theirs = _both_seeded(call)
    assert tuple(ours.shape) == tuple(theirs.shape)
    _equal(ours, theirs)


# -- 3. broadcast_tensors returns an input of the broadcast shape itself --------------------------
def test_broadcast_tensors_returns_inputs_already_of_the_shape():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

    def call(t):
        a = t.ones(2, 3, requires_grad=True) * 2
        b, c = t.ones(3), t.zeros(2, 3)
        r = t.broadcast_tensors(a, b, c)
        return (r[0] is a, r[1] is b, r[2] is c, grad_fn_name(r[0]), grad_fn_name(r[1]),
                tuple(r[1].shape), t.broadcast_tensors(a)[0] is a)

    ours, theirs = run_in_both(call)
    assert ours == theirs
    assert ours[0] and ours[2]


# -- 4. the top-level poisson and binomial ops draw PyTorch's counts ------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.poisson(t.tensor([1., 5., 20.])),
    lambda t: t.poisson(t.tensor([[1., 5., 20.], [3., 30., .5]]).T),
    lambda t: t.poisson(t.tensor([[1., 5., 20.], [3., 30., .5]], dtype=t.float64)),
    lambda t: t.poisson(t.tensor(4.)),
    lambda t: t.poisson(t.tensor([2., 40.]), generator=t.Generator().manual_seed(3)),
    lambda t: t.binomial(t.tensor([10., 50.]), t.tensor([.3, .5])),
    lambda t: t.binomial(t.tensor([[10., 50.], [20., 7.]]).T, t.tensor([[.3, .5], [.9, .1]]).T),
    lambda t: t.binomial(t.tensor([[10., 50.], [20., 7.]], dtype=t.float64),
                         t.tensor([[.3, .5], [.9, .1]], dtype=t.float64)),
    lambda t: t.binomial(t.tensor([[10., 50.], [20., 7.]]), t.tensor([.3, .5])),
    lambda t: t.binomial(t.tensor(10.), t.tensor(.4)),
    lambda t: (t.poisson(t.tensor([3., 12.])), t.binomial(t.tensor([5., 100.]), t.tensor([.2, .7])), t.rand(2)),
])
def test_poisson_and_binomial_draw_pytorchs_counts(call):
    ours, theirs = _both_seeded(call)
    if isinstance(ours, tuple):
        for a, b in zip(ours, theirs):
            _equal(a, b)
    else:
        _equal(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda t: t.poisson(t.tensor([float("nan"), 0.])),
    lambda t: t.poisson(t.tensor([-1., 0.])),
    lambda t: t.binomial(t.tensor([10.]), t.tensor([.3], dtype=t.float64)),
    lambda t: t.binomial(t.tensor([10], dtype=t.int64), t.tensor([.3])),
    lambda t: t.binomial(t.tensor([10.]), t.tensor([1], dtype=t.int32)),
    lambda t: t.binomial(t.tensor([10.], dtype=t.float16), t.tensor([.3], dtype=t.float16)),
])
def test_poisson_and_binomial_errors(call):
    g = tensorgraft.default_generator.get_state()
    assert_same_error(call)
    assert tensorgraft.equal(tensorgraft.default_generator.get_state(), g)  # nothing drawn


# -- 5. size errors of factories and samplers ----------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.empty((5.0, 3)),
    lambda t: t.ones([5.0]),
    lambda t: t.zeros(("a", 3)),
    lambda t: t.empty(5.0, 3),
    lambda t: t.zeros((2, 3.0)),
    lambda t: t.empty(5.0),
    lambda t: t.randn((1.5, 2)),
    lambda t: t.randn(requires_grad=True),
    lambda t: t.rand(dtype=t.float64),
    lambda t: t.randn(generator=t.Generator()),
    lambda t: t.rand(),
    lambda t: t.randn(),
])
def test_size_errors(call):
    assert_same_error(call)


# -- 6. flatten checks its dims on a 0-d tensor ---------------------------------------------------
@pytest.mark.parametrize("args", [(1,), (0, 1), (-2,), (0, -2)])
def test_flatten_of_a_0d_tensor_checks_dims(args):
    assert_same_error(lambda t: t.tensor(1.).flatten(*args))


@pytest.mark.parametrize("args", [(), (0,), (-1,), (0, -1)])
def test_flatten_of_a_0d_tensor_in_range(args):
    ours, theirs = run_in_both(lambda t: t.tensor(1.).flatten(*args))
    _equal(ours, theirs)


# -- 7. testing.make_tensor draws as torch.testing.make_tensor ------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int8", "uint8", "bool",
                                   "complex64", "complex128"])
@pytest.mark.parametrize("bounds", [{}, {"low": 1, "high": 4}, {"low": -3}])
def test_make_tensor_draws_as_pytorch(dtype, bounds):
    if dtype == "bool" and bounds:
        pytest.skip("bool takes no bounds")
    if dtype == "uint8" and bounds.get("low", 0) < 0:
        bounds = {}

    def call(t):
        mk = tensorgraft.testing.make_tensor if t is tensorgraft else torch.testing.make_tensor
        return mk((4, 5), dtype=getattr(t, dtype), device="cpu", **bounds), t.rand(2)

    (a, ra), (b, rb) = _both_seeded(call)
    _equal(a, b)
    _equal(ra, rb)  # the global generator advanced as PyTorch's


def test_make_tensor_requires_grad():
    ours, theirs = _both_seeded(lambda t: (tensorgraft.testing.make_tensor if t is tensorgraft else
                                           torch.testing.make_tensor)(3, dtype=t.float64, device="cpu",
                                                                      requires_grad=True))
    _equal(ours, theirs)
    assert ours.requires_grad and ours.is_leaf
    assert float(ours[0]) == pytest.approx(8.4610, abs=1e-4)


def test_as_both_still_works():  # keeps the oracle helpers exercised alongside the new draws
    ours, theirs = as_both([1.0, 2.0])
    _equal(ours.flatten(0), theirs.flatten(0))
