"""Autograd regressions found by differential fuzzing against PyTorch 2.13 (expected values are
PyTorch's unless said): each crashed or gave another value or node in tensorgraft before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg


def _x():
    return tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)


@pytest.mark.parametrize("make", [lambda x: np.float64(2.0) ** x, lambda x: tg.pow(np.float64(2.0), x),
                                  lambda x: tg.float_power(np.float64(2.0), x)])
def test_a_numpy_number_raised_to_a_tensor(make):
    x = _x()
    make(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * np.log(2), 4 * np.log(2)])


def test_vdot_conjugates_the_gradient_only():
    a = tg.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    b = tg.tensor([0.5 - 1j, 2 + 0.5j], requires_grad=True)
    (tg.vdot(a, b) * (1 + 1j)).real.backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.5 - 0.5j, 1.5 + 2.5j])
    np.testing.assert_allclose(b.grad.numpy(), [3 + 1j, 2 - 4j])


@pytest.mark.parametrize("matrix,adjugate_t", [
    ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]]),
    ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),
])
def test_det_of_a_singular_matrix_has_the_adjugate_as_gradient(matrix, adjugate_t):
    # (PyTorch raises nothing and gives zeros here; the derivative of det is the adjugate's
    # transpose, which tensorgraft gives: see the differences page)
    a = tg.tensor(matrix, dtype=tg.float64, requires_grad=True)
    tg.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), adjugate_t, atol=1e-12)


def test_det_gradient_of_an_invertible_batch():
    a = tg.tensor([[[2.0, 1.0], [0.5, 3.0]], [[1.0, 2.0], [2.0, 4.0]]], dtype=tg.float64, requires_grad=True)
    tg.linalg.det(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[[3.0, -0.5], [-1.0, 2.0]], [[4.0, -2.0], [-2.0, 1.0]]], atol=1e-12)


@pytest.mark.parametrize("make,node", [
    (lambda x: tg.sub(2.0, x), "SubBackward0"), (lambda x: tg.subtract(2.0, x), "SubBackward0"),
    (lambda x: 2.0 - x, "RsubBackward1"), (lambda x: tg.div(2.0, x), "DivBackward0"),
    (lambda x: tg.true_divide(2.0, x), "DivBackward0"), (lambda x: 2.0 / x, "MulBackward0"),
])
def test_a_number_first_records_pytorchs_node(make, node):
    x = _x()
    y = make(x)
    assert type(y.grad_fn).__name__ == node
    (y * tg.tensor([1.0, 3.0], dtype=tg.float64)).sum().backward()
    expected = [-1.0, -3.0] if "Sub" in node or "Rsub" in node else [-2.0, -1.5]
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_binary_cross_entropy_losses_have_a_second_derivative():
    F = pytest.importorskip("tensorgraft.nn.functional")
    x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    t = tg.tensor([1.0, 0.0], dtype=tg.float64)
    g, = tg.autograd.grad(F.binary_cross_entropy_with_logits(x, t), x, create_graph=True)
    np.testing.assert_allclose(tg.autograd.grad(g.sum(), x)[0].numpy(), [0.1222, 0.0889], atol=1e-4)
    g, = tg.autograd.grad(F.binary_cross_entropy_with_logits(
        x, t, weight=tg.tensor([0.5, 2.0], dtype=tg.float64), pos_weight=tg.tensor([2.0, 3.0], dtype=tg.float64),
        reduction="sum"), x, create_graph=True)
    np.testing.assert_allclose(tg.autograd.grad(g.sum(), x)[0].numpy(), [0.2445, 0.3558], atol=1e-4)
    p = tg.tensor([0.3, 0.8], dtype=tg.float64, requires_grad=True)
    g, = tg.autograd.grad(F.binary_cross_entropy(p, t), p, create_graph=True)
    np.testing.assert_allclose(tg.autograd.grad(g.sum(), p)[0].numpy(), [5.5556, 12.5], atol=1e-4)


def test_in_place_clamp_to_bounds_that_require_grad():
    lo = tg.tensor([0.5, 0.5], requires_grad=True)
    hi = tg.tensor([1.5, 1.5], requires_grad=True)
    y = tg.tensor([0.0, 2.0]).clone().clamp_(min=lo, max=hi)
    assert y.requires_grad and type(y.grad_fn).__name__ == "ClampBackward0"
    y.sum().backward()
    assert lo.grad.tolist() == [1.0, 0.0] and hi.grad.tolist() == [0.0, 1.0]


def test_retain_grad_follows_an_in_place_change():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.mul_(3)
    (h ** 2).sum().backward()
    assert h.grad.tolist() == [12.0, 24.0] and x.grad.tolist() == [72.0, 144.0]


def test_accumulating_into_a_grad_that_carries_a_graph_keeps_it():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    (x ** 2).sum().backward()
    assert x.grad is first and x.grad.requires_grad and x.grad.tolist() == [5.0, 16.0]
