"""PyTorch as the oracle for the sampling contracts and elementwise edge values of
test_sampling_and_edges.py: the same call on both libraries raises the same exception class
with the same message, or returns the same dtype and shape (and values, where they are not random)."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402


def _outcome(lib, call):
    try:
        r = call(lib)
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e).__name__, str(e).split("\n")[0]
    return "ok", str(r.dtype).replace("tensorgraft.", "torch."), tuple(r.shape), r.requires_grad


def _same(call):
    ours, theirs = _outcome(tg, call), _outcome(torch, call)
    assert ours == theirs
    return ours


C64 = lambda lib: lib.zeros(3, dtype=lib.complex64)  # noqa: E731

SAMPLING_CALLS = {
    "uniform_ complex": lambda lib: C64(lib).uniform_(2, 5),
    "uniform_ complex crossed": lambda lib: C64(lib).uniform_(5, 2),
    "normal_ complex": lambda lib: C64(lib).normal_(0, 2),
    "normal_ complex std<0": lambda lib: C64(lib).normal_(0, -1),
    "exponential_ long": lambda lib: lib.zeros(3, dtype=lib.int64).exponential_(),
    "exponential_ complex": lambda lib: C64(lib).exponential_(),
    "exponential_ long lambda<0": lambda lib: lib.zeros(3, dtype=lib.int64).exponential_(-1),
    "cauchy_ long": lambda lib: lib.zeros(3, dtype=lib.int64).cauchy_(),
    "cauchy_ uint8": lambda lib: lib.zeros(3, dtype=lib.uint8).cauchy_(),
    "cauchy_ complex": lambda lib: C64(lib).cauchy_(),
    "cauchy_ sigma<0": lambda lib: lib.zeros(3).cauchy_(0, -1),
    "log_normal_ std<0": lambda lib: lib.zeros(3).log_normal_(0, -1),
    "log_normal_ long std<0": lambda lib: lib.zeros(3, dtype=lib.int64).log_normal_(0, -1),
    "log_normal_ long": lambda lib: lib.zeros(3, dtype=lib.int64).log_normal_(),
    "geometric_ complex": lambda lib: C64(lib).geometric_(0.5),
    "geometric_ bool": lambda lib: lib.zeros(3, dtype=lib.bool).geometric_(0.5),
    "geometric_ complex p=2": lambda lib: C64(lib).geometric_(2),
    "geometric_ long": lambda lib: lib.zeros(3, dtype=lib.int64).geometric_(0.5),
    "bernoulli_ complex": lambda lib: C64(lib).bernoulli_(0.5),
    "bernoulli_ complex tensor p": lambda lib: C64(lib).bernoulli_(lib.full((3,), 0.5)),
    "random_ complex to": lambda lib: C64(lib).random_(10),
    "random_ complex": lambda lib: C64(lib).random_(),
    "random_ uint8 300": lambda lib: lib.empty(3, dtype=lib.uint8).random_(0, 300),
    "random_ uint8 from -1": lambda lib: lib.empty(3, dtype=lib.uint8).random_(-1, 3),
    "random_ int8 300": lambda lib: lib.empty(3, dtype=lib.int8).random_(300),
    "random_ int32": lambda lib: lib.empty(3, dtype=lib.int32).random_(0, 2 ** 40),
    "random_ bool 3": lambda lib: lib.empty(3, dtype=lib.bool).random_(0, 3),
    "randint int16": lambda lib: lib.randint(0, 100000, (3,), dtype=lib.int16),
    "randint int8 from": lambda lib: lib.randint(-300, 3, (3,), dtype=lib.int8),
    "randint complex": lambda lib: lib.randint(0, 3, (3,), dtype=lib.complex64),
    "randint (5, 3)": lambda lib: lib.randint(5, 3),
    "randint (5)": lambda lib: lib.randint(5),
    "randint_like complex": lambda lib: lib.randint_like(C64(lib), 10),
    "bernoulli complex": lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.complex64)),
    "bernoulli complex p": lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.complex64), 0.5),
    "bernoulli long": lambda lib: lib.bernoulli(lib.zeros(3, dtype=lib.int64)),
    "bernoulli uint8": lambda lib: lib.bernoulli(lib.zeros(3, dtype=lib.uint8)),
    "bernoulli long p": lambda lib: lib.bernoulli(lib.zeros(3, dtype=lib.int64), 0.5),
    "poisson long": lambda lib: lib.poisson(lib.zeros(3, dtype=lib.int64)),
    "poisson int": lambda lib: lib.poisson(lib.zeros(3, dtype=lib.int32)),
    "poisson complex": lambda lib: lib.poisson(C64(lib)),
    "multinomial long": lambda lib: lib.multinomial(lib.ones(3, dtype=lib.int64), 2),
    "multinomial bool": lambda lib: lib.multinomial(lib.ones(3, dtype=lib.bool), 2),
    "multinomial long 3-d": lambda lib: lib.multinomial(lib.ones(2, 2, 2, dtype=lib.int64), 2),
    "multinomial long n=0": lambda lib: lib.multinomial(lib.ones(3, dtype=lib.int64), 0),
    "multinomial few positive": lambda lib: lib.multinomial(lib.tensor([0.0, 1.0, 0.0]), 2),
    "multinomial all zero": lambda lib: lib.multinomial(lib.tensor([0.0, 0.0, 0.0]), 2),
    "normal shapes": lambda lib: lib.normal(lib.zeros(2), lib.ones(3)),
    "normal same numel": lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(6)),
    "normal broadcast": lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)),
    "normal std<0": lambda lib: lib.normal(lib.zeros(2), -1.0),
    "normal tensor std<0": lambda lib: lib.normal(0.0, -lib.ones(2)),
    "normal tensor size": lambda lib: lib.normal(lib.zeros(2), lib.ones(2), size=(2,)),
    "normal float size": lambda lib: lib.normal(lib.zeros(2), 1.0, size=(2,)),
    "normal long mean": lambda lib: lib.normal(lib.zeros(2, dtype=lib.int64), lib.ones(2)),
    "randperm half": lambda lib: lib.randperm(3000, dtype=lib.float16),
    "randperm half 2049": lambda lib: lib.randperm(2049, dtype=lib.float16),
    "randperm float": lambda lib: lib.randperm(2 ** 24 + 2, dtype=lib.float32),
    "randperm uint8": lambda lib: lib.randperm(257, dtype=lib.uint8),
    "randperm int16": lambda lib: lib.randperm(40000, dtype=lib.int16),
    "rand out double": lambda lib: lib.rand(3, out=lib.empty(3, dtype=lib.float64)),
    "randn out double": lambda lib: lib.randn(3, out=lib.empty(3, dtype=lib.float64)),
    "rand out dtype clash": lambda lib: lib.rand(3, out=lib.empty(3, dtype=lib.float64), dtype=lib.float32),
    "rand out long": lambda lib: lib.rand(3, out=lib.empty(3, dtype=lib.int64)),
}


@pytest.mark.parametrize("name", sorted(SAMPLING_CALLS))
def test_sampling_contract_matches_torch(name):
    _same(SAMPLING_CALLS[name])


def test_complex_normal_and_uniform_statistics_match_torch():
    torch.manual_seed(0)
    tg.manual_seed(0)
    for lib in (torch, tg):
        n = lib.zeros(100000, dtype=lib.complex128).normal_(1, 2)
        parts = np.stack([n.real.numpy(), n.imag.numpy()])
        assert np.allclose(parts.mean(1), [1, 1], atol=0.03) and np.allclose(parts.var(1), [2, 2], atol=0.06)
        u = lib.zeros(100000, dtype=lib.complex64).uniform_(2, 5)
        parts = np.stack([u.real.numpy(), u.imag.numpy()])
        assert parts.min() >= 2 and parts.max() < 5 and np.allclose(parts.mean(1), [3.5, 3.5], atol=0.03)


def test_multinomial_past_the_positive_weights_matches_torch():
    rng = np.random.default_rng(21)
    w = rng.random((3, 6)) * (rng.random((3, 6)) < 0.4)
    w[:, 0] = 1.0  # every row has at least one positive weight
    for lib in (torch, tg):
        lib.manual_seed(3)
        r = lib.multinomial(lib.tensor(w), 5).numpy()
        for row, idx in zip(w, r):
            positive = int(np.count_nonzero(row))
            k = min(positive, 5)
            assert set(idx[:k]) <= set(np.flatnonzero(row)) and len(set(idx)) == 5


ELEMENTWISE_CALLS = {
    f"{fn} {dt}": (lambda lib, fn=fn, dt=dt: getattr(lib, fn)(lib.ones(2, dtype=getattr(lib, dt))))
    for fn in ("erf", "erfc", "erfinv", "lgamma", "digamma", "logit", "trunc", "floor", "ceil", "signbit", "frac")
    for dt in ("complex64", "complex128")
}
ELEMENTWISE_CALLS.update({
    f"{fn} {case}": (lambda lib, fn=fn, case=case: getattr(lib, fn)(
        *{"c,r": (lib.ones(2, dtype=lib.complex64), lib.ones(2)),
          "r,c": (lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.complex128)),
          "c,c": (lib.ones(2, dtype=lib.complex64), lib.ones(2, dtype=lib.complex64))}[case]))
    for fn in ("remainder", "fmod", "atan2", "floor_divide") for case in ("c,r", "r,c", "c,c")
})
ELEMENTWISE_CALLS.update({
    f"{fn} dim {d}": (lambda lib, fn=fn, d=d: getattr(lib, fn)(lib.ones(2, 3, dtype=lib.int64), d))
    for fn in ("softmax", "log_softmax") for d in (0, 1, -1)
})
ELEMENTWISE_CALLS["round bool"] = lambda lib: lib.round(lib.tensor([True, False]))
ELEMENTWISE_CALLS["round bool decimals"] = lambda lib: lib.round(lib.tensor([True, False]), decimals=1)
ELEMENTWISE_CALLS["round long"] = lambda lib: lib.round(lib.tensor([3, -2]))
ELEMENTWISE_CALLS["vector_norm ord None"] = lambda lib: lib.linalg.vector_norm(lib.ones(3), None)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE_CALLS))
def test_elementwise_errors_match_torch(name):
    _same(ELEMENTWISE_CALLS[name])


@pytest.mark.parametrize("fn, values, kw", [
    ("digamma", [-0.0, 0.0, -1.0, 0.5, -2.5], {}),
    ("lgamma", [-math.inf, math.inf, -1.0, 0.0, -0.0, 0.5, -2.5], {}),
    ("logit", [0.0, 0.3, 0.5, 0.9, 1.0], {"eps": 0.6}),
    ("logit", [0.0, 0.3, 0.5, 0.9, 1.0], {"eps": 0.5}),
    ("logit", [0.0, 0.3, 0.5, 0.9, 1.0], {"eps": 0.1}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_edge_values_match_torch(fn, values, kw, dtype):
    ours = getattr(tg, fn)(tg.tensor(values, dtype=getattr(tg, dtype)), **kw)
    theirs = getattr(torch, fn)(torch.tensor(values, dtype=getattr(torch, dtype)), **kw)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_random_edge_values_match_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(20) * 3
    x[:3] = [-0.0, 0.0, -math.inf]
    for fn in ("digamma", "lgamma"):
        np.testing.assert_allclose(getattr(tg, fn)(tg.tensor(x)).numpy(), getattr(torch, fn)(torch.tensor(x)).numpy(),
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mean_dtype, std_dtype", [("float32", "float64"), ("float64", "float32"),
                                                   ("float32", "int64"), ("int64", "float32")])
def test_normal_takes_the_dtype_of_a_tensor_mean(mean_dtype, std_dtype):
    _same(lambda lib: lib.normal(lib.zeros(2, dtype=getattr(lib, mean_dtype)), lib.ones(2, dtype=getattr(lib, std_dtype))))
