"""Finite-difference checks (float64) of nn's fused-op formulas."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck


def t(*shape, seed=0, grad=True, scale=1.0, shift=0.0):
    a = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    return tg.tensor(a, dtype=tg.float64, requires_grad=grad)


CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), lambda: (t(3, 4), t(2, 4, seed=1), t(2, seed=2))),
    "linear3d": (lambda x, w: F.linear(x, w), lambda: (t(2, 3, 4), t(2, 4, seed=1))),
    "gelu": (F.gelu, lambda: (t(5),)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda: (t(5),)),
    "silu_mish_softplus": (lambda x: F.silu(x) + F.mish(x) + F.softplus(x, 2.0, 1.0), lambda: (t(6),)),
    "elu_selu": (lambda x: F.elu(x, 0.5) + F.selu(x), lambda: (t(6, shift=0.1),)),
    "softmax": (lambda x: F.softmax(x, 1) * F.log_softmax(x, 0), lambda: (t(3, 4),)),
    "cross_entropy": (lambda x: F.cross_entropy(x, tg.tensor([0, 2, 1]), label_smoothing=0.1), lambda: (t(3, 4),)),
    "nll_weighted": (lambda x: F.nll_loss(x, tg.tensor([0, 2, 1]), weight=tg.tensor([1.0, 2.0, 0.5, 1.0],
                                                                                    dtype=tg.float64)),
                     lambda: (t(3, 4),)),
    "mse_l1_huber": (lambda x, y: F.mse_loss(x, y) + F.smooth_l1_loss(x, y, beta=0.5) + F.huber_loss(x, y),
                     lambda: (t(4), t(4, seed=1))),
    "bce_logits": (lambda x: F.binary_cross_entropy_with_logits(x, tg.tensor([0.0, 1.0, 1.0], dtype=tg.float64),
                                                                pos_weight=tg.tensor([2.0], dtype=tg.float64)),
                   lambda: (t(3),)),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=1, groups=2),
               lambda: (t(1, 4, 5, 5), t(4, 2, 3, 3, seed=1), t(4, seed=2))),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                         lambda: (t(1, 2, 3, 3), t(2, 3, 3, 3, seed=1))),
    "max_avg_pool": (lambda x: F.max_pool2d(x, 2, 1).sum() + F.avg_pool2d(x, 3, 2, 1, count_include_pad=False).sum(),
                     lambda: (t(1, 2, 5, 5),)),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   lambda: (t(4, 3, 2), t(3, seed=1), t(3, seed=2))),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), lambda: (t(3, 4), t(4, seed=1), t(4, seed=2))),
    "group_norm": (lambda x: F.group_norm(x, 2), lambda: (t(2, 4, 3),)),
    "embedding": (lambda w: F.embedding(tg.tensor([[0, 2], [2, 3]]), w), lambda: (t(4, 3),)),
    "unfold": (lambda x: F.unfold(x, 2, stride=1, padding=1), lambda: (t(1, 2, 3, 3),)),
    "interp_pad": (lambda x: F.interpolate(F.pad(x, (1, 1, 0, 1), mode="reflect"), scale_factor=2, mode="bilinear"),
                   lambda: (t(1, 1, 3, 3),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, make = CASES[name]
    assert gradcheck(fn, make(), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradgradcheck_linear_softmax():
    assert gradgradcheck(lambda x, w: F.softmax(F.linear(x, w), 1), (t(2, 3), t(4, 3, seed=1)))



@pytest.mark.parametrize("fn", [lambda x: F.gelu(x), lambda x: F.gelu(x, approximate="tanh"), F.silu, F.mish,
                                lambda x: F.softplus(x, 2.0, 1.0), lambda x: F.elu(x, 0.7), F.selu,
                                lambda x: F.leaky_relu(x, 0.2), lambda x: F.hardtanh(x, -0.5, 0.5)])
def test_gradgradcheck_activations(fn):
    assert gradgradcheck(fn, (t(6, seed=3, shift=0.05),))


@pytest.mark.parametrize("fn", [
    lambda x, y: F.mse_loss(x, y), lambda x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.5),
    lambda x, y: F.huber_loss(x, y, reduction="none", delta=0.3),
    lambda x, y: F.cross_entropy(x.reshape(2, 3), tg.tensor([2, 0]), label_smoothing=0.2) * y.sum(),
    lambda x, y: F.nll_loss(F.log_softmax(x.reshape(2, 3), 1), tg.tensor([1, 0]), reduction="sum") * y.sum()])
def test_gradgradcheck_losses(fn):
    assert gradgradcheck(fn, (t(6, seed=4), t(6, seed=5)))


def test_gradgradcheck_norms():
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (t(3, 4), t(4, seed=1), t(4, seed=2)))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         (t(4, 3, 2), t(3, seed=1), t(3, seed=2)))
    rm, rv = tg.tensor([0.1, -0.2, 0.3], dtype=tg.float64), tg.tensor([1.5, 0.5, 2.0], dtype=tg.float64)
    assert gradgradcheck(lambda x, w: F.batch_norm(x, rm, rv, w, None, training=False) ** 2, (t(4, 3), t(3, seed=1)))
    assert gradgradcheck(lambda x: F.group_norm(x, 2), (t(2, 4, 3),))
