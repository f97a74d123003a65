"""Sparse gradients (an embedding's, with ``sparse=True``) in the optimizers, without autograd: the
gradient is set by hand. SGD, Adagrad and SparseAdam update only the rows the gradient touches, by
PyTorch's formulas (written out here on NumPy arrays); the other optimizers refuse sparse gradients
with PyTorch's messages before changing anything."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import optim

ROWS = np.array([1, 2, 1, 4])  # row 1 twice: an uncoalesced gradient
VALUES = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
W0 = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)


def param_with_sparse_grad(scale=1.0):
    p = tg.tensor(W0.copy())  # (a plain tensor: the optimizer only reads .grad)
    p.grad = tg.sparse_coo_tensor(ROWS[None], VALUES * scale, (6, 3))
    return p


def summed_grad(scale=1.0):
    g = np.zeros_like(W0)
    np.add.at(g, ROWS, VALUES * scale)
    return g


TOUCHED = np.unique(ROWS)
UNTOUCHED = np.setdiff1d(np.arange(6), TOUCHED)


def test_sgd_moves_the_touched_rows_only():
    p = param_with_sparse_grad()
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), W0 - 0.1 * summed_grad(), rtol=1e-6)
    np.testing.assert_array_equal(p.numpy()[UNTOUCHED], W0[UNTOUCHED])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_keeps_a_sparse_buffer(nesterov):
    p = param_with_sparse_grad()
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=nesterov)
    expected, buf = W0.copy(), None
    for step in range(3):
        p.grad = tg.sparse_coo_tensor(ROWS[None], VALUES * (step + 1), (6, 3))
        opt.step()
        g = summed_grad(step + 1)
        buf = g.copy() if buf is None else 0.9 * buf + g
        expected -= 0.1 * (g + 0.9 * buf if nesterov else buf)
        assert opt.state[p]["momentum_buffer"].is_sparse
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5)


def test_sgd_refuses_weight_decay_with_a_sparse_gradient():
    p = param_with_sparse_grad()
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        optim.SGD([p], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_array_equal(p.numpy(), W0)


@pytest.mark.parametrize("maximize", [False, True])
def test_adagrad_sparse_update(maximize):
    p = param_with_sparse_grad()
    opt = optim.Adagrad([p], lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, maximize=maximize)
    acc = np.full_like(W0, 0.2)
    expected = W0.copy()
    for step in (1, 2):
        p.grad = tg.sparse_coo_tensor(ROWS[None], VALUES * step, (6, 3))
        opt.step()
        g = summed_grad(step) * (-1 if maximize else 1)
        clr = 0.1 / (1 + (step - 1) * 0.05)
        acc[TOUCHED] += g[TOUCHED] ** 2
        expected[TOUCHED] -= clr * g[TOUCHED] / (np.sqrt(acc[TOUCHED]) + 1e-10)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(opt.state[p]["sum"].numpy(), acc, rtol=1e-5)
    assert float(opt.state[p]["step"]) == 2


def test_adagrad_refuses_weight_decay_with_a_sparse_gradient():
    with pytest.raises(RuntimeError, match="weight_decay option is not compatible with sparse gradients"):
        optim.Adagrad([param_with_sparse_grad()], weight_decay=0.1).step()


@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_updates_and_decays_only_the_touched_rows(maximize):
    p = param_with_sparse_grad()
    opt = optim.SparseAdam([p], lr=0.1, betas=(0.8, 0.95), maximize=maximize)
    m, v, expected = np.zeros_like(W0), np.zeros_like(W0), W0.copy()
    for step in (1, 2, 3):
        p.grad = tg.sparse_coo_tensor(ROWS[None], VALUES * step, (6, 3))
        opt.step()
        g = summed_grad(step) * (-1 if maximize else 1)
        r = TOUCHED
        m[r] = 0.8 * m[r] + 0.2 * g[r]
        v[r] = 0.95 * v[r] + 0.05 * g[r] ** 2
        size = 0.1 * math.sqrt(1 - 0.95 ** step) / (1 - 0.8 ** step)
        expected[r] -= size * m[r] / (np.sqrt(v[r]) + 1e-8)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), m, rtol=1e-5, atol=1e-7)
    assert opt.state[p]["step"] == 3
    np.testing.assert_array_equal(opt.state[p]["exp_avg"].numpy()[UNTOUCHED], 0)


def test_sparse_adam_refuses_dense_gradients_before_updating():
    a, b = param_with_sparse_grad(), param_with_sparse_grad()
    b.grad = tg.ones(6, 3)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam instead"):
        optim.SparseAdam([a, b]).step()
    np.testing.assert_array_equal(a.detach().numpy(), W0)


@pytest.mark.parametrize("name, message", [
    ("Adam", "Adam does not support sparse gradients, please consider SparseAdam instead"),
    ("AdamW", "Adam does not support sparse gradients, please consider SparseAdam instead"),
    ("Adamax", None), ("NAdam", None), ("RAdam", None), ("RMSprop", None), ("Rprop", None), ("Adadelta", None),
    ("ASGD", None), ("Adafactor", None), ("Muon", None),
])
def test_other_optimizers_refuse_sparse_gradients(name, message):
    dense = tg.ones(6, 3)
    dense.grad = tg.ones(6, 3)
    p = param_with_sparse_grad()
    opt = getattr(optim, name)([dense, p])
    with pytest.raises(RuntimeError, match=message or f"{name} does not support sparse gradients"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), W0)
