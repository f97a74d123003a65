"""``out=`` is honoured by every function that takes it: the result is written into ``out`` (a tuple
of tensors for (values, indices) results) and ``out`` is returned. These functions used to accept
``out`` and ignore it."""
import pytest

import tensorgraft as tg

X = tg.tensor([[3.0, 1.0], [2.0, 4.0]])
V = tg.tensor([1.0, 2.0])
LONG = tg.int64


def _empty(dtype=tg.float32):
    return tg.empty(0, dtype=dtype)


SINGLE = {
    "max(x, y)": (lambda o: tg.max(X, X + 1, out=o), [[4.0, 2.0], [3.0, 5.0]]),
    "max all": (lambda o: tg.max(X, out=o), 4.0),
    "gather": (lambda o: tg.gather(X, 1, tg.tensor([[0], [1]]), out=o), [[3.0], [4.0]]),
    "take_along_dim": (lambda o: tg.take_along_dim(X, tg.tensor([[1], [0]]), 1, out=o), [[1.0], [2.0]]),
    "bmm": (lambda o: tg.bmm(X[None], X[None], out=o), [[[11.0, 7.0], [14.0, 18.0]]]),
    "mv": (lambda o: tg.mv(X, V, out=o), [5.0, 10.0]),
    "dot": (lambda o: tg.dot(V, V, out=o), 5.0),
    "sum": (lambda o: tg.sum(X, 1, out=o), [4.0, 6.0]),
    "masked_select": (lambda o: tg.masked_select(V, V > 1, out=o), [2.0]),
    "arange": (lambda o: tg.arange(3, out=o), [0.0, 1.0, 2.0]),
    "linspace": (lambda o: tg.linspace(0, 1, 3, out=o), [0.0, 0.5, 1.0]),
    "full": (lambda o: tg.full((2,), 3, out=o), [3.0, 3.0]),
    "eye": (lambda o: tg.eye(2, out=o), [[1.0, 0.0], [0.0, 1.0]]),
    "zeros": (lambda o: tg.zeros(2, out=o), [0.0, 0.0]),
    "ones": (lambda o: tg.ones(2, 1, out=o), [[1.0], [1.0]]),
    "cholesky_solve": (lambda o: tg.cholesky_solve(V[:, None], tg.eye(2), out=o), [[1.0], [2.0]]),
}


@pytest.mark.parametrize("name", list(SINGLE))
def test_single_result_is_written_into_out(name):
    call, expected = SINGLE[name]
    out = _empty()
    assert call(out) is out
    assert out.tolist() == expected


PAIRS = {
    "max": (lambda o: tg.max(X, 1, out=o), [3.0, 4.0], [0, 1]),
    "min": (lambda o: tg.min(X, 1, out=o), [1.0, 2.0], [1, 0]),
    "sort": (lambda o: tg.sort(V, descending=True, out=o), [2.0, 1.0], [1, 0]),
    "topk": (lambda o: tg.topk(V, 1, out=o), [2.0], [1]),
    "kthvalue": (lambda o: tg.kthvalue(V, 1, out=o), 1.0, 0),
    "median": (lambda o: tg.median(X, 1, out=o), [1.0, 2.0], [1, 0]),
    "mode": (lambda o: tg.mode(tg.tensor([1.0, 2.0, 2.0]), out=o), 2.0, 2),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_values_and_indices_are_written_into_the_out_pair(name):
    call, values, indices = PAIRS[name]
    out = (_empty(), _empty(LONG))
    result = call(out)
    assert result.values is out[0] and result.indices is out[1]
    assert out[0].tolist() == values and out[1].tolist() == indices


def test_random_functions_write_out():
    for call, dtype, shape in [(lambda o: tg.randint(0, 5, (3,), out=o), LONG, (3,)),
                               (lambda o: tg.randperm(4, out=o), LONG, (4,)),
                               (lambda o: tg.bernoulli(tg.ones(3), out=o), tg.float32, (3,)),
                               (lambda o: tg.multinomial(tg.ones(3), 2, out=o), LONG, (2,))]:
        out = _empty(dtype)
        assert call(out) is out and tuple(out.shape) == shape
    out = tg.empty(0, dtype=tg.float64)
    assert tg.arange(3, out=out).dtype is tg.float64  # a factory takes out's dtype


def test_out_is_checked():
    with pytest.raises(TypeError, match=r"argument 'out' must be tuple of 2 Tensors"):
        tg.max(X, 1, out=_empty())


def test_out_is_refused_while_recording_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    a = tg.ones(2, 2, requires_grad=True)
    out = (_empty(), _empty(LONG))
    with pytest.raises(RuntimeError, match=r"^max\(\): functions with out=\.\.\. arguments don't support automatic "
                                           "differentiation, but one of the arguments requires grad."):
        tg.max(a, 1, out=out)
    assert out[0].shape == (0,)  # nothing written
