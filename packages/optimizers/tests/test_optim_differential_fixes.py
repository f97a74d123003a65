"""Optimizer regressions found by differential fuzzing against PyTorch 2.13 (expected values are
PyTorch's): each crashed or gave another value in tensorgraft before its fix. The parameters take
their gradients directly, so the file also runs with tensorgraft-optim alone (no autograd engine)."""
from __future__ import annotations

import numpy as np

import tensorgraft as tg


def test_sgd_momentum_switched_on_after_a_step():
    p = tg.tensor([1.0, 2.0])
    opt = tg.optim.SGD([p], lr=0.1)
    p.grad = tg.ones(2)
    opt.step()
    opt.param_groups[0]["momentum"] = 0.9
    opt.step()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.61, 1.61], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [1.9, 1.9], rtol=1e-6)


def test_rprop_leaves_an_element_with_a_nan_gradient():
    p = tg.tensor([1.0, 2.0])
    opt = tg.optim.Rprop([p])
    p.grad = tg.tensor([float("nan"), 1.0])
    opt.step()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [1.0, 1.978], rtol=1e-6)


def test_sparse_adam_with_a_tensor_lr():
    p = tg.zeros(4, 2)
    opt = tg.optim.SparseAdam([p], lr=tg.tensor(0.01))
    p.grad = tg.ones(4, 2).to_sparse()
    opt.step()
    np.testing.assert_allclose(p.numpy(), np.full((4, 2), -0.01), rtol=1e-5)


def test_adam_keeps_betas_as_a_tuple():
    p = tg.zeros(2)
    assert tg.optim.Adam([p], betas=[0.9, 0.99]).param_groups[0]["betas"] == (0.9, 0.99)
    assert tg.optim.AdamW([p], betas=[0.9, 0.99]).param_groups[0]["betas"] == (0.9, 0.99)
    assert tg.optim.NAdam([p], betas=[0.9, 0.99]).param_groups[0]["betas"] == [0.9, 0.99]  # (PyTorch keeps a list)


def test_adafactor_on_bfloat16_parameters():
    p = tg.zeros(4, 2).to(tg.bfloat16)
    opt = tg.optim.Adafactor([p])
    p.grad = tg.ones(4, 2).to(tg.bfloat16)
    opt.step()
    opt.step()
    assert p.dtype is tg.bfloat16
    np.testing.assert_allclose(p.float().numpy(), np.full((4, 2), -2.0027e-05), rtol=1e-3)
