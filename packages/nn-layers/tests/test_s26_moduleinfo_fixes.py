"""Differences PyTorch's ModuleInfo database found (``tensorgraft.testing.moduleinfo``), fixed:
batch norm's eps rule, HuberLoss's delta type check, and LinearCrossEntropyLoss in bfloat16 (its
options refused bfloat16 as ``acc_dtype``, and the chunked sweep handed NumPy's ``dot`` an ``out=``
of ml_dtypes' bfloat16). Expected values and messages are PyTorch 2.13's (computed with torch)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F

pytest.importorskip("tensorgraft.autograd")


@pytest.mark.parametrize("eps", [0.0, -1.0])
def test_batch_norm_training_refuses_a_non_positive_eps(eps):
    with pytest.raises(ValueError, match=rf"^batch_norm eps must be positive during training, but got {eps}$"):
        F.batch_norm(tg.ones(2, 3), tg.zeros(3), tg.ones(3), training=True, eps=eps)
    bn = tg.nn.BatchNorm1d(10, eps=eps)
    with pytest.raises(ValueError, match="eps must be positive"):
        bn(tg.ones(2, 10))


def test_batch_norm_eval_refuses_a_negative_eps_and_takes_zero():
    with pytest.raises(ValueError, match=r"^batch_norm eps must be non-negative, but got -1.0$"):
        F.batch_norm(tg.ones(2, 3), tg.zeros(3), tg.ones(3), training=False, eps=-1.0)
    out = F.batch_norm(tg.ones(2, 3), tg.zeros(3), tg.ones(3), training=False, eps=0.0)
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 3), np.float32))


def test_batch_norm_eps_is_checked_after_the_batch_size():
    # PyTorch: "more than 1 value per channel" comes first
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(tg.ones(1, 3), None, None, training=True, eps=0.0)


def test_huber_loss_refuses_a_delta_that_is_not_a_number():
    with pytest.raises(TypeError, match=r"^delta must be a float or int, got: <class 'complex'>$"):
        tg.nn.HuberLoss(delta=1j)
    assert [tg.nn.HuberLoss(delta=d).delta for d in (True, 2, 0.5)] == [True, 2, 0.5]


def test_linear_cross_entropy_options_take_bfloat16():
    opts = tg.nn.LinearCrossEntropyOptions(acc_dtype=tg.bfloat16)
    assert opts.acc_dtype is tg.bfloat16
    with pytest.raises(ValueError, match="acc_dtype must be one of"):
        tg.nn.LinearCrossEntropyOptions(acc_dtype=tg.int64)


def test_linear_cross_entropy_loss_in_bfloat16_matches_pytorch():
    m = tg.nn.LinearCrossEntropyLoss(3, 4, reduction="sum", dtype=tg.bfloat16)
    with tg.no_grad():
        m.linear.weight.copy_(tg.tensor([[0.5, -0.25, 1.0], [0.75, 0.5, -1.5], [-0.5, 0.25, 0.125],
                                         [1.25, -0.75, 0.5]]))
    x = tg.tensor([[1.0, -2.0, 0.5], [0.25, 0.75, -1.0], [2.0, 1.5, -0.5], [-1.25, 0.5, 1.0], [0.0, -0.5, 0.25]],
                  dtype=tg.bfloat16, requires_grad=True)
    loss = m(x, tg.tensor([0, 3, 1, 2, 3]))
    loss.backward()
    assert loss.dtype is tg.bfloat16 and x.grad.dtype is tg.bfloat16
    # PyTorch 2.13: 6.46875 (the float64 loss is 6.4914, whose nearest bfloat16 is 6.5): both round
    # differently in bfloat16, so the comparison allows one bfloat16 step
    assert abs(loss.float().item() - 6.46875) <= 0.0313
    torch_grad_x = [[0.58984375, -0.380859375, -0.44140625], [-0.60546875, 1.1328125, -1.6484375],
                    [0.023681640625, -0.193359375, 0.39453125], [0.45703125, -0.2119140625, 0.2578125],
                    [-0.6484375, 0.5078125, -0.1494140625]]
    torch_grad_w = [[-1.1171875, 1.734375, -0.068359375], [-0.197265625, 0.251953125, -0.65625],
                    [0.5859375, -0.23046875, -0.455078125], [0.73046875, -1.7734375, 1.1875]]
    np.testing.assert_allclose(x.grad.float().numpy(), torch_grad_x, rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(m.linear.weight.grad.float().numpy(), torch_grad_w, rtol=1e-2, atol=1e-2)
