"""nn second-order gradients the OpInfo oracle's double-backward check found differing from PyTorch
(``tests/test_pytorch_opinfo_oracle.py``), pinned with PyTorch 2.13's values: a complex conv's
weight gradient differentiated again (the weight op takes its factors' conjugates), and the chunked
linear_cross_entropy's gradients under create_graph (its saved buffer times the incoming gradient).
grid_sample's second and third derivatives are in ``test_nn_grid_and_more.py``."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd")
F = pytest.importorskip("tensorgraft.nn.functional")


def test_complex_conv2d_second_derivatives():
    x = tg.tensor([[[[1 + 1j, 2 - 1j, 0.5j], [1, -1 + 1j, 2], [0.5 - 0.5j, 1j, -1]]]], dtype=tg.complex128,
                  requires_grad=True)
    w = tg.tensor([[[[1 - 1j, 0.5], [2j, -1 + 0.5j]]]], dtype=tg.complex128, requires_grad=True)
    y = F.conv2d(x, w)
    gx, gw = tg.autograd.grad(y.real.sum() + 2 * y.imag.sum(), (x, w), create_graph=True)
    hx, hw = tg.autograd.grad((gw.abs() ** 2).sum() + (gx.real * gx.imag).sum(), (x, w))
    np.testing.assert_allclose(hx.numpy().ravel(), [30 + 10j, 60 + 15j, 30 + 5j, 35 + 25j, 65 + 50j, 30 + 25j,
                                                    5 + 15j, 5 + 35j, 20j], atol=1e-12)
    np.testing.assert_allclose(hw.numpy().ravel(), [17.5 + 10j, 11 + 2j, 23 - 26.5j, 7 - 26j], atol=1e-12)


def test_chunked_linear_cross_entropy_gradients_carry_the_incoming_gradient():
    x = tg.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [0.0, 1.0, 1.0], [-2.0, 0.5, 0.5]], dtype=tg.float64,
                  requires_grad=True)
    W = tg.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-1.0, 2.0, 0.0]], dtype=tg.float64, requires_grad=True)
    t = tg.tensor([0, 2, 1, 1])
    options = tg.nn.LinearCrossEntropyOptions(allow_retain_graph=True, batch_chunk_size=2)
    y = F.linear_cross_entropy(x, W, t, options=options)
    w = tg.tensor(1.5, dtype=tg.float64, requires_grad=True)
    gx, gW = tg.autograd.grad(y * w, (x, W), create_graph=True)
    assert gx.grad_fn.name() == "MulBackward0"
    np.testing.assert_allclose(gx.detach().numpy().ravel(),
                               [-0.1892900584, 0.1892900584, 0.5043294238, 0.6991457142, -0.6991457142, -0.2823948766,
                                -0.3901939708, 0.3901939708, -0.1520140488, -0.5431135416, 0.5431135416,
                                -0.1835074124], atol=1e-9)
    # as PyTorch's: the saved buffers are constants, so only the incoming gradient gets a second gradient
    hx, hW, hw = tg.autograd.grad(gx.sum() + gW.pow(2).sum(), (x, W, w), allow_unused=True)
    assert hx is None and hW is None
    assert hw.item() == pytest.approx(6.476370341682551, rel=1e-12)
