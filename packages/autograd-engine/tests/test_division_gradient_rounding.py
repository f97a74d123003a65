"""The divisor's gradient of ``a / b`` is computed as PyTorch computes it, ``-g * ((a / b) / b)``:
``a / (b * b)`` is the same number mathematically but rounds differently in about half the float32
cases, and users compare gradients with PyTorch's bit for bit."""
import numpy as np
import pytest

import tensorgraft as tg


def test_divisor_gradient_rounds_as_two_divisions():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(500) * 1e3).astype(np.float32)
    b = (rng.standard_normal(500) * 1e-2 + 0.5).astype(np.float32)
    g = rng.standard_normal(500).astype(np.float32)
    ta, tb = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    (ta / tb).backward(tg.tensor(g))
    expected = -g * ((a / b) / b)
    np.testing.assert_array_equal(tb.grad.numpy(), expected)
    assert (expected != -g * (a / (b * b))).any()  # the two roundings differ on these inputs
    np.testing.assert_array_equal(ta.grad.numpy(), g / b)


@pytest.mark.parametrize("dtype", [tg.complex64, tg.float64])
def test_divisor_gradient_other_dtypes(dtype):
    a = tg.tensor([1.0, -2.0, 3.0], dtype=dtype, requires_grad=True)
    b = tg.tensor([0.5, 4.0, -1.5], dtype=dtype, requires_grad=True)
    (a / b).abs().sum().backward() if dtype.is_complex else (a / b).sum().backward()
    assert b.grad is not None and b.grad.dtype == dtype


def test_abs_gradient_uses_sgn_and_not_implemented_has_its_cpp_name():
    x = tg.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    g, = tg.autograd.grad(x.abs().sum(), x, create_graph=True)
    assert g.tolist() == [-1.0, 0.0, 1.0]
    assert type(g.grad_fn.next_functions[1][0]).__name__ == "SgnBackward0"
    pytest.importorskip("tensorgraft.nn", reason="hardsigmoid is in tensorgraft-nn")
    h, = tg.autograd.grad(tg.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    assert h.grad_fn.name() == "torch::autograd::NotImplemented"
