"""``autograd.functional.jacobian``/``hessian`` with ``vectorize=True`` take every row of an
output's Jacobian from one batched backward (``is_grads_batched``, as PyTorch vmaps one
backward), with the values of the row-by-row sweeps of ``vectorize=False``."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import batched_backward
from tensorgraft.autograd.functional import hessian, jacobian

X = [[0.3, -1.2, 2.0], [0.1, 0.5, -0.7]]
Y = [0.2, 1.5, -0.4]


def _two_outputs(x, y):
    return (x.sin() * y).tanh(), (x @ y).exp()


def _scalar(x):
    return (x.sin() ** 2).sum() * x.prod()


@pytest.fixture
def batched_calls(monkeypatch):
    calls = []
    real = batched_backward.try_batched_backward

    def counting(*args, **kwargs):
        calls.append(args[-1])  # the batch size
        return real(*args, **kwargs)
    monkeypatch.setattr(batched_backward, "try_batched_backward", counting)
    return calls


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
        return
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_vectorized_jacobian_is_the_row_by_row_one_in_one_batched_backward_per_output(batched_calls):
    x, y = tg.tensor(X, dtype=tg.float64), tg.tensor(Y, dtype=tg.float64)
    rows = jacobian(_two_outputs, (x, y))
    assert batched_calls == []
    vec = jacobian(_two_outputs, (x, y), vectorize=True)
    assert batched_calls == [6, 2]  # one batched backward per output, a row per output element
    _same(rows, vec)
    # PyTorch 2.13 (torch.autograd.functional.jacobian, vectorize=True): d out1 / d y
    np.testing.assert_allclose(vec[1][1].numpy(), [[0.023659919937202484, -0.09463967974880994, 0.1577327995813499],
                                                    [0.2857651118063164, 1.428825559031582, -2.0003557826442147]],
                               rtol=1e-14)


def test_vectorized_hessian_both_outer_strategies():
    x = tg.tensor(X, dtype=tg.float64)
    ref = hessian(_scalar, x)
    _same(ref, hessian(_scalar, x, vectorize=True))
    _same(ref, hessian(_scalar, x, vectorize=True, outer_jacobian_strategy="forward-mode"))
    assert ref.shape == (2, 3, 2, 3)


def test_vectorized_jacobian_create_graph_and_unreached_outputs():
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    j = jacobian(lambda x: x.exp() * x, x, vectorize=True, create_graph=True)
    assert j.requires_grad and j.grad_fn is not None
    (gx,) = tg.autograd.grad(j.sum(), x)
    # d/dx sum_ij J_ij = d/dx (x+1) e^x summed over the diagonal = (x + 2) e^x
    np.testing.assert_allclose(gx.numpy(), (np.array(X) + 2) * np.exp(X), rtol=1e-12)
    x = x.detach()
    z = jacobian(lambda x: tg.ones(3, dtype=tg.float64), x, vectorize=True)
    assert z.shape == (3, 2, 3) and not z.any()
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        jacobian(lambda x: x[:0], x, vectorize=True)
