"""nll_loss's input gradient as ATen's nll_loss_backward writes it: zeros (+0) everywhere but each
counted row's target entry, which holds ``-weight[target] * grad``; a row of ``ignore_index`` stays
0 whatever the incoming gradient (NaN, inf, a mean over no counted target). Until 2026-12-07 the
gradient was ``-Q * grad`` over a dense (rows, classes) coefficient matrix: -0 at every other
entry (printed ``-0.0000`` where PyTorch prints ``0.0000``) and NaN across a row whose incoming
gradient was NaN. Also: the log_softmax/softmax kernels written with in-place temporaries give the
values of the out-of-place formulas, bit for bit. The PyTorch comparison is
test_nn_nll_gradient_zeros_oracle.py."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops import softmax as softmax_kernels


def _log_probs_grad(x, target, upstream=None, **kw):
    lp = tg.tensor(x, requires_grad=True)
    loss = F.nll_loss(lp, tg.tensor(target), **kw)
    loss.backward(upstream if upstream is not None else tg.ones_like(loss))
    return lp.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_other_entries_are_positive_zero(reduction):
    x = np.log(np.full((3, 4), 0.25, np.float32))
    g = _log_probs_grad(x, np.array([2, 0, -100]), reduction=reduction)
    expected = np.zeros((3, 4), np.float32)
    expected[0, 2] = expected[1, 0] = -0.5 if reduction == "mean" else -1.0
    assert np.array_equal(g, expected)
    assert not np.signbit(g[expected == 0]).any()  # +0, not -0


def test_weights_scale_the_target_entry_and_the_mean():
    x = np.zeros((3, 3), np.float32)
    w = tg.tensor([2.0, -1.0, 0.5])
    g = _log_probs_grad(x, np.array([0, 1, 1]), weight=w)
    denom = 2.0 - 1.0 - 1.0  # the counted targets' weights: a mean over 0 total weight
    with np.errstate(divide="ignore"):
        scale = np.float32(1) / np.float32(denom)
    expected = np.zeros((3, 3), np.float32)
    expected[0, 0], expected[1, 1], expected[2, 1] = -2 * scale, 1 * scale, 1 * scale
    assert np.array_equal(g, expected)
    assert not np.signbit(g[g == 0]).any()


def test_ignored_row_stays_zero_under_a_nan_gradient():
    x = np.zeros((3, 4), np.float32)
    g = _log_probs_grad(x, np.array([1, -100, 3]), upstream=tg.tensor([np.nan, np.nan, 2.0]), reduction="none")
    assert np.isnan(g[0, 1]) and np.isnan(g).sum() == 1  # only the counted row's target entry
    assert np.array_equal(g[1], np.zeros(4, np.float32)) and not np.signbit(g[1]).any()
    assert g[2, 3] == -2.0


def test_every_target_ignored_gives_zero_gradient_and_nan_loss():
    lp = tg.zeros(2, 3, requires_grad=True)
    loss = F.nll_loss(lp, tg.tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item())
    assert np.array_equal(lp.grad.numpy(), np.zeros((2, 3), np.float32)) and not np.signbit(lp.grad.numpy()).any()


def test_spatial_and_one_sample_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    t = rng.integers(0, 3, (2, 4, 5))
    t[0, 1, 2] = -100
    g = _log_probs_grad(x, t, reduction="sum")
    expected = np.zeros_like(x)
    for n, i, j in np.ndindex(2, 4, 5):
        if t[n, i, j] != -100:
            expected[n, t[n, i, j], i, j] = -1.0
    assert np.array_equal(g, expected) and not np.signbit(g[expected == 0]).any()
    g1 = _log_probs_grad(np.zeros(4, np.float32), np.array(2))
    assert np.array_equal(g1, np.array([0, 0, -1, 0], np.float32)) and not np.signbit(g1[[0, 1, 3]]).any()


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 7)).astype(np.float64)
    t = np.array([0, 6, 3, -100, 2])
    logits = tg.tensor(x, requires_grad=True)
    F.cross_entropy(logits, tg.tensor(t), reduction="sum").backward()
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(5), np.where(t >= 0, t, 0)] -= (t >= 0)
    p[3] = 0
    np.testing.assert_allclose(logits.grad.numpy(), p, rtol=1e-12, atol=1e-15)
    assert not np.signbit(logits.grad.numpy()[3]).any()


def test_batched_gradients_scatter_per_entry():
    x = tg.zeros(3, 4, requires_grad=True)
    loss = F.nll_loss(x, tg.tensor([1, -100, 2]), reduction="none")
    (g,) = tg.autograd.grad(loss, x, tg.tensor([[1.0, 1.0, 1.0], [np.nan, 5.0, 2.0]]), is_grads_batched=True)
    assert g.shape == (2, 3, 4)
    first, second = g.numpy()
    assert first[0, 1] == -1 and first[2, 2] == -1 and np.count_nonzero(first) == 2
    assert np.isnan(second[0, 1]) and second[2, 2] == -2 and np.isnan(second).sum() == 1
    assert not np.signbit(second[1]).any()


def test_double_backward_through_nll_still_records():
    x = tg.tensor([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]], requires_grad=True)
    lp = x.log_softmax(1)
    loss = F.nll_loss(lp, tg.tensor([2, 0]))
    (g,) = tg.autograd.grad(loss, x, create_graph=True)
    assert g.grad_fn is not None
    (gg,) = tg.autograd.grad(g.pow(2).sum(), x)
    assert np.isfinite(gg.numpy()).all() and np.abs(gg.numpy()).sum() > 0


# --- the in-place softmax kernels against the out-of-place formulas they replaced

def _old_log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    s = x - m
    s -= np.log(np.exp(s).sum(axis=dim, keepdims=True))
    return s


def _old_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    s = e.sum(axis=dim, keepdims=True)
    if dim == x.ndim - 1:
        e *= np.reciprocal(s, out=s)
    else:
        e /= s
    return e


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


@pytest.mark.parametrize("shape", [(5,), (2048, 1000), (300, 3), (129, 513), (4, 33, 1025), (70000, 1), (2, 3, 40000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_in_place_softmax_kernels_give_the_same_bits(shape, dtype):
    rng = np.random.default_rng(len(shape) * 7 + shape[-1])
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    for dim in range(x.ndim):
        for xx in (x, np.asfortranarray(x)):
            assert _same_bits(softmax_kernels._log_softmax_k(np, xx, dim), _old_log_softmax(xx, dim))
            assert _same_bits(softmax_kernels._softmax_k(np, xx, dim), _old_softmax(xx, dim))
            y, ly = _old_softmax(xx, dim), _old_log_softmax(xx, dim)
            assert _same_bits(softmax_kernels._softmax_b(np, y, g, dim), (g - (g * y).sum(axis=dim, keepdims=True)) * y)
            assert _same_bits(softmax_kernels._log_softmax_b(np, ly, g, dim),
                              g - np.exp(ly) * g.sum(axis=dim, keepdims=True))


def test_backward_kernels_keep_promotion_for_mixed_operands():
    y = np.log(np.full((2, 3), 1 / 3, np.float32))
    g = np.ones((2, 3), np.float64)
    assert softmax_kernels._log_softmax_b(np, y, g, 1).dtype == np.float64
    assert softmax_kernels._softmax_b(np, np.exp(y), g, 1).dtype == np.float64
    batched = softmax_kernels._log_softmax_b(np, np.broadcast_to(y, (4, 2, 3)), np.ones((4, 2, 3), np.float32), -1)
    assert batched.shape == (4, 2, 3)
