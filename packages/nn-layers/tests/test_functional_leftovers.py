"""Leftovers of the randomized nn.functional sweep, pinned without PyTorch: embedding's
scale_grad_by_freq, the weight gradient of cross_entropy on probabilities, weights that must not
require grad, integer regression losses, 1-D adaptive pool sizes, max_unpool's invalid index,
max pool windows made only of padding, attention mask dtypes and the fused attention node."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck
from tensorgraft.testing import assert_on_device


def _on(t, dev):
    return t.to(dev) if dev != "cpu" else t


# ------------------------------------------------------------------ 1. embedding scale_grad_by_freq
def test_embedding_scale_grad_by_freq_divides_by_count(tg_device):
    w = _on(tg.arange(18.).reshape(6, 3), tg_device).requires_grad_()
    idx = _on(tg.tensor([[1, 2, 4], [5, 4, 3], [2, 0, 4]]), tg_device)
    g = np.arange(1., 28.).reshape(3, 3, 3)
    F.embedding(idx, w, scale_grad_by_freq=True).backward(_on(tg.tensor(g), tg_device))
    assert_on_device(w.grad, tg_device)
    flat_i, flat_g = idx.cpu().numpy().ravel(), g.reshape(-1, 3)
    expect = np.zeros((6, 3))
    for i, row in zip(flat_i, flat_g):
        expect[i] += row / (flat_i == i).sum()
    np.testing.assert_allclose(w.grad.cpu().numpy(), expect)


def test_embedding_scale_grad_by_freq_with_padding_and_module():
    w = tg.arange(12.).reshape(4, 3).requires_grad_()
    F.embedding(tg.tensor([1, 1, 2, 0, 0]), w, padding_idx=0, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0] * 3, [1] * 3, [1] * 3, [0] * 3])
    emb = nn.Embedding(4, 3, scale_grad_by_freq=True)
    emb(tg.tensor([3, 3, 3, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0] * 3, [1] * 3, [0] * 3, [1] * 3])
    plain = nn.Embedding(4, 3)
    plain(tg.tensor([3, 3, 3, 1])).sum().backward()
    np.testing.assert_array_equal(plain.weight.grad.numpy()[3], [3, 3, 3])


@pytest.mark.parametrize("freq, padding_idx", [(False, None), (True, None), (True, 1)])
def test_embedding_weight_gradient_differentiates_again(freq, padding_idx):
    rng = np.random.default_rng(5)
    w = tg.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    g = tg.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    idx = tg.tensor([[1, 1, 2], [4, 0, 1]])
    gw, = tg.autograd.grad(F.embedding(idx, w, padding_idx, scale_grad_by_freq=freq), w, g, create_graph=True)
    assert gw.grad_fn.name() == "EmbeddingDenseBackwardBackward0"
    assert gradcheck(lambda g: tg.autograd.grad(F.embedding(idx, w, padding_idx, scale_grad_by_freq=freq), w, g,
                                                create_graph=True)[0], (g,))


def test_embedding_bag_scale_grad_by_freq():
    w = tg.ones(5, 2, dtype=tg.float64).requires_grad_()
    F.embedding_bag(tg.tensor([1, 1, 2, 1]), w, tg.tensor([0, 2]), mode="sum", scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:3], [[0, 0], [1, 1], [1, 1]])


# ------------------------------------------------------------------ 2./3. loss weights and grad
def _ce_probs_reference(x, t, w, eps, reduction):
    C = x.shape[1]
    lsm = x - x.max(1, keepdims=True)
    lsm = lsm - np.log(np.exp(lsm).sum(1, keepdims=True))
    p = t * (1 - eps) + eps / C
    per = -(p * w * lsm).sum(1)
    return {"mean": per.sum() / x.shape[0], "sum": per.sum(), "none": per}[reduction], p, lsm


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.25])
def test_cross_entropy_probability_targets_weight_grad(reduction, eps, tg_device):
    rng = np.random.default_rng(3)
    xn, wn = rng.standard_normal((5, 4)), rng.random(4) + 0.5
    tn = rng.random((5, 4))
    tn /= tn.sum(1, keepdims=True)
    x = _on(tg.tensor(xn), tg_device).requires_grad_()
    w = _on(tg.tensor(wn), tg_device).requires_grad_()
    loss = F.cross_entropy(x, _on(tg.tensor(tn), tg_device), weight=w, reduction=reduction, label_smoothing=eps)
    ref, p, lsm = _ce_probs_reference(xn, tn, wn, eps, reduction)
    np.testing.assert_allclose(loss.detach().cpu().numpy(), ref, rtol=1e-12)
    gn = np.arange(1., 6.) if reduction == "none" else np.array(1.0)
    loss.backward(_on(tg.tensor(gn), tg_device))
    assert_on_device(w.grad, tg_device)
    scale = gn.reshape(-1, 1) / (5 if reduction == "mean" else 1)
    np.testing.assert_allclose(w.grad.cpu().numpy(), -(p * lsm * scale).sum(0), rtol=1e-12)


def test_cross_entropy_probability_weight_gradcheck_and_double_backward():
    rng = np.random.default_rng(4)
    x = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = tg.tensor(rng.random((3, 4)))
    w = tg.tensor(rng.random(4) + 0.5, requires_grad=True)
    for red in ("mean", "sum"):
        assert gradcheck(lambda x, w: F.cross_entropy(x, t, weight=w, reduction=red, label_smoothing=0.1), (x, w))
    gw, = tg.autograd.grad(F.cross_entropy(x, t, weight=w), w, create_graph=True)
    gw.sum().backward()   # the weight's gradient depends on x: it differentiates again
    assert x.grad is not None and np.abs(x.grad.numpy()).sum() > 0


NOT_DIFF = "The function '{}' is not differentiable with respect to argument '{}'. This input cannot have requires_grad True."


@pytest.mark.parametrize("call, fname", [
    (lambda w: F.nll_loss(tg.randn(3, 4), tg.tensor([0, 1, 3]), weight=w), "nll_loss_forward"),
    (lambda w: F.nll_loss(tg.randn(4), tg.tensor(1), weight=w), "nll_loss_forward"),
    (lambda w: F.nll_loss(tg.randn(2, 4, 3), tg.zeros(2, 3, dtype=tg.int64), weight=w), "nll_loss2d_forward"),
    (lambda w: F.cross_entropy(tg.randn(3, 4), tg.tensor([0, 1, 3]), weight=w), "nll_loss_forward"),
    (lambda w: F.cross_entropy(tg.randn(3, 4), tg.tensor([0, 1, 3]), weight=w, label_smoothing=0.2),
     "nll_loss_forward"),
    # the check comes before the target's dtype and range are looked at
    (lambda w: F.nll_loss(tg.randn(2, 4), tg.tensor([0, 9]), weight=w), "nll_loss_forward"),
    (lambda w: F.nll_loss(tg.randn(2, 4), tg.tensor([0., 1.]), weight=w), "nll_loss_forward"),
    (lambda w: F.multi_margin_loss(tg.randn(3, 4), tg.tensor([0, 1, 3]), weight=w), "multi_margin_loss"),
])
def test_class_weight_that_requires_grad_is_refused(call, fname):
    w = tg.rand(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="^" + NOT_DIFF.format(fname, "weight").replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.") + "$"):
        call(w)
    with tg.no_grad():   # allowed where no graph is recorded (the bad targets fail for their own reasons)
        try:
            call(w)
        except (RuntimeError, IndexError) as e:
            assert "not differentiable" not in str(e)


def test_elementwise_weight_that_requires_grad_is_refused():
    x, t = tg.rand(3, 4), tg.rand(3, 4)
    with pytest.raises(RuntimeError, match="'binary_cross_entropy' is not differentiable with respect to argument "
                                           "'weight'"):
        F.binary_cross_entropy(x * 3, t, weight=tg.rand(3, 4, requires_grad=True))   # before the range check
    with pytest.raises(RuntimeError, match="'binary_cross_entropy_with_logits' is not differentiable with respect to "
                                           "argument 'weight'"):
        F.binary_cross_entropy_with_logits(x, t, weight=tg.rand(4, requires_grad=True))
    with pytest.raises(RuntimeError, match="'binary_cross_entropy_with_logits' is not differentiable with respect to "
                                           "argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=tg.rand(4, requires_grad=True))
    with tg.no_grad():
        F.binary_cross_entropy(x, t, weight=tg.rand(3, 4, requires_grad=True))


def test_binary_cross_entropy_weight_expands_one_way():
    x = tg.rand(2, 3)
    with pytest.raises(RuntimeError, match=r"^Attempting to broadcast a dimension of length 4 at -1! Mismatching "
                                           r"argument at index 1 had torch.Size\(\[4\]\); but expected shape should "
                                           r"be broadcastable to \[2, 3\]$"):
        F.binary_cross_entropy(x, x, weight=tg.rand(4))
    with pytest.raises(RuntimeError, match=r"^output with shape \[2, 3\] doesn't match the broadcast shape "
                                           r"\[5, 2, 3\]$"):
        F.binary_cross_entropy(x, x, weight=tg.rand(5, 2, 3))
    w = tg.tensor([[1.0, 0.0, 2.0]])
    manual = -(x * x.log() + (1 - x) * (1 - x).log()) * w
    np.testing.assert_allclose(F.binary_cross_entropy(x, x, weight=w, reduction="none").numpy(), manual.numpy(),
                               rtol=1e-5)


def test_weight_checks_keep_their_order():
    w = tg.rand(4, requires_grad=True)
    with pytest.raises(ValueError, match=r"^Expected input batch_size \(2\) to match target batch_size \(3\)\.$"):
        F.nll_loss(tg.randn(2, 4), tg.tensor([0, 1, 2]), weight=w)
    with pytest.raises(RuntimeError, match="^label_smoothing must be between 0.0 and 1.0. Got: 2$"):
        F.cross_entropy(tg.randn(2, 4), tg.tensor([0, 1]), weight=w, label_smoothing=2.0)


# ------------------------------------------------------------------ 4. integer regression losses
@pytest.mark.parametrize("fn, kernel", [(F.mse_loss, "mse"), (F.smooth_l1_loss, "smooth_l1"),
                                        (F.huber_loss, "huber")])
@pytest.mark.parametrize("dtype, name", [(tg.int64, "Long"), (tg.int32, "Int"), (tg.uint8, "Byte"),
                                         (tg.bool, "Bool"), (tg.complex64, "ComplexFloat")])
def test_float_only_losses_refuse_other_dtypes(fn, kernel, dtype, name):
    a, b = tg.tensor([1, 2, 3]).to(dtype), tg.tensor([2, 2, 5]).to(dtype)
    for red in ("mean", "sum", "none"):
        with pytest.raises(NotImplementedError, match=f"^\"{kernel}_cpu\" not implemented for '{name}'$"):
            fn(a, b, reduction=red)


def test_integer_losses_promote_with_floats():
    a, f = tg.tensor([1, 2, 3]), tg.tensor([1., 2., 5.])
    for fn in (F.mse_loss, F.smooth_l1_loss, F.l1_loss):
        assert fn(a, f).dtype == tg.float32 and fn(f, a).dtype == tg.float32
    assert F.mse_loss(a, f).item() == pytest.approx(4 / 3)
    assert F.huber_loss(f, a).dtype == tg.float32
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Long$"):
        F.huber_loss(a, f)


def test_l1_loss_on_integers_is_composed():
    a, b = tg.tensor([1, 2, 3]), tg.tensor([2, 2, 5])
    s = F.l1_loss(a, b, reduction="sum")
    assert s.dtype == tg.int64 and s.item() == 3
    n = F.l1_loss(a.int(), b.int(), reduction="none")
    assert n.dtype == tg.int32 and n.tolist() == [1, 0, 2]
    assert F.l1_loss(a.to(tg.uint8), b.to(tg.uint8), reduction="sum").item() == 509   # uint8 wraps, as PyTorch
    with pytest.raises(RuntimeError, match=r"^mean\(\): could not infer output dtype"):
        F.l1_loss(a, b)
    with pytest.raises(RuntimeError, match="^Subtraction, the `-` operator, with two bool tensors"):
        F.l1_loss(a.bool(), b.bool(), reduction="sum")


# ------------------------------------------------------------------ 5. 1-D adaptive pool sizes
@pytest.mark.parametrize("name", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
def test_adaptive_pool1d_output_size_types(name):
    fn = getattr(F, name)
    x = tg.randn(2, 3, 8)
    must = f"^{name}\\(\\): argument 'output_size' \\(position 2\\) must be tuple of ints"
    for bad, what in [((None,), ", but found element of type NoneType at pos 0"), ([None], ", but found element of "
                      "type NoneType at pos 0"), (None, ", not NoneType"), (2.5, ", not float"),
                      ((2.5,), ", but found element of type float at pos 0"), ("a", ", not str"), (True, ", not bool"),
                      ]:
        with pytest.raises(TypeError, match=must + what + "$"):
            fn(x, bad)
    with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'output_size' failed to unpack the object at pos 2 "
                                        "with error \"type must be tuple of ints,but got NoneType\"$"):
        fn(x, (3, None))
    for bad, n in [((2, 3), 2), ((), 0)]:
        with pytest.raises(RuntimeError, match=f"^{name}\\(\\) argument 'output_size' should contain one int "
                                               f"\\(got {n}\\)$"):
            fn(x, bad)
    for good in (3, (3,), [3], np.int64(3), (np.int64(3),), tg.tensor(3), tg.tensor([3]), (tg.tensor(3),)):
        assert tuple(fn(x, good).shape) == (2, 3, 3)
    with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not int$"):
        fn(3, (None,))
    with pytest.raises(RuntimeError, match="^Expected 2 to 3 dimensions, but got 4-dimensional tensor"):
        fn(tg.randn(2, 3, 4, 5), 3)


# ------------------------------------------------------------------ 6. max_unpool's invalid index
def test_max_unpool_names_the_last_invalid_index():
    x = tg.arange(1., 9.).reshape(1, 2, 4)
    for idx, bad in [([[0, 1, 9, 3], [-1, 2, 3, 4]], -1), ([[0, 1, 2, 30], [-1, 2, 3, 11]], 11),
                     ([[0, -1, 9, 3], [2, 2, 3, 4]], 9)]:
        with pytest.raises(RuntimeError, match=f"^Found an invalid max index: {bad} \\(output volumes are of size "
                                               "8x1\\)$"):
            F.max_unpool1d(x, tg.tensor([idx]), 2)
    x3 = tg.arange(1., 9.).reshape(2, 1, 1, 2, 2)
    with pytest.raises(RuntimeError, match=r"^Found an invalid max index: 33 \(output volumes are of size 2x4x4\)$"):
        F.max_unpool3d(x3, tg.tensor([[[[[0, 1], [2, 4]]]], [[[[-20, 1], [2, 33]]]]]), 2)


# ------------------------------------------------------------------ 7. windows made only of padding
def test_max_pool_padding_only_window_gets_no_gradient(tg_device):
    """L=2, kernel 2, dilation 3, padding 1: the only window reads positions -1 and 2 (both padding);
    its index is 2 (PyTorch's), and it touches no input element, so no input gets its gradient
    (PyTorch's CPU kernel adds it into the next plane: see docs/user-guide/differences.md)."""
    x = _on(tg.ones(2, 2, 2, dtype=tg.float64), tg_device).requires_grad_()
    y, i = F.max_pool1d(x, 2, 1, 1, 3, return_indices=True)
    assert y.detach().cpu().numpy().ravel().tolist() == [-math.inf] * 4 and i.cpu().numpy().ravel().tolist() == [2] * 4
    y.backward(_on(tg.tensor(np.arange(1., 5.).reshape(2, 2, 1)), tg_device))
    assert_on_device(x.grad, tg_device)
    np.testing.assert_array_equal(x.grad.cpu().numpy().ravel(), [0] * 8)
    x2 = _on(tg.ones(2, 1, 2, 2, dtype=tg.float64), tg_device).requires_grad_()
    y2 = F.max_pool2d(x2, 2, 1, 1, (1, 3))
    y2.backward(_on(tg.tensor(np.arange(1., 7.).reshape(2, 1, 3, 1)), tg_device))
    np.testing.assert_array_equal(x2.grad.cpu().numpy().ravel(), [0] * 8)


def test_max_pool_rank_messages():
    with pytest.raises(RuntimeError, match=r"^non-empty 3D or 4D \(batch mode\) tensor expected for input$"):
        F.max_pool2d(tg.randn(4, 4), 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"^Expected 2 to 3 dimensions, but got 1-dimensional tensor"):
        F.max_pool1d(tg.randn(4), 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"^max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 "
                                           r"dim batch size for input, but got:\[2, 3, 4, 5\]$"):
        F.max_pool1d(tg.randn(2, 3, 4, 5), 2)


def test_max_pool_with_indices_output_too_small():
    with pytest.raises(RuntimeError, match=r"^Given input size: \(2x1x2\)\. Calculated output size: \(2x1x0\)\. "
                                           "Output size is too small$"):
        F.max_pool1d(tg.randn(1, 2, 2), 3, 1, 1, 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"^Given input size: \(1x4x4\)\. Calculated output size: \(1x-2x-2\)\."):
        F.max_pool2d(tg.randn(1, 1, 4, 4), 3, 1, 0, 3)


# ------------------------------------------------------------------ 8. attention mask dtypes
def _mha(dtype):
    tg.manual_seed(0)
    return nn.MultiheadAttention(4, 2, dtype=dtype), tg.randn(3, 2, 4, dtype=dtype)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_multihead_attention_float_mask_of_other_dtype():
    m, q = _mha(tg.float64)
    with pytest.raises(RuntimeError, match="^Input dtypes must be the same, got: input float, batch1: double, "
                                           "batch2: double$"):
        m(q, q, q, attn_mask=tg.zeros(3, 3))
    with pytest.raises(RuntimeError, match="^Input dtypes must be the same, got: input float"):
        m(q, q, q, key_padding_mask=tg.zeros(2, 3))
    # a bool mask becomes the query's dtype, and adding it promotes the float32 one
    assert m(q, q, q, attn_mask=tg.zeros(3, 3), key_padding_mask=tg.zeros(2, 3, dtype=tg.bool))[0].dtype == tg.float64
    # without weights the fused kernel takes float32 masks
    assert m(q, q, q, attn_mask=tg.zeros(3, 3), need_weights=False)[0].dtype == tg.float64
    m32, q32 = _mha(tg.float32)
    with pytest.raises(RuntimeError, match="^Expected attn_mask dtype to be bool or float or to match query dtype, "
                                           "but got attn_mask.dtype: double and  query.dtype: float instead.$"):
        m32(q32, q32, q32, attn_mask=tg.zeros(3, 3, dtype=tg.float64), need_weights=False)
    with pytest.raises(RuntimeError, match="^Input dtypes must be the same, got: input c10::Half, batch1: float"):
        F.multi_head_attention_forward(q32, q32, q32, 4, 2, m32.in_proj_weight, m32.in_proj_bias, None, None, False,
                                       0.0, m32.out_proj.weight, m32.out_proj.bias,
                                       attn_mask=tg.zeros(3, 3, dtype=tg.float16))


def test_sdpa_mask_dtype():
    q = tg.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="attn_mask.dtype: double and  query.dtype: float instead"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.zeros(3, 3, dtype=tg.float64))   # before the shape
    q64 = q.double()
    assert F.scaled_dot_product_attention(q64, q64, q64, attn_mask=tg.zeros(3, 3)).dtype == tg.float64


# ------------------------------------------------------------------ 9. the fused attention node
def _attention_reference(q, k, v, bias, scale):
    groups = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, groups, 1), np.repeat(v, groups, 1)
    s = q @ k.swapaxes(-1, -2) * scale + bias
    full = np.isneginf(s).all(-1, keepdims=True)
    e = np.exp(s - np.where(full, 0, s.max(-1, keepdims=True)))
    p = np.where(full, 0, e / np.where(full, 1, e.sum(-1, keepdims=True)))
    return p @ v


FLASH = "ScaledDotProductFlashAttentionForCpuBackward0"


@pytest.mark.parametrize("case", ["plain", "causal", "bool", "float", "gqa", "scale", "masked-row"])
def test_sdpa_fused_node_values_and_gradcheck(case, tg_device):
    rng = np.random.default_rng(7)
    hk = 1 if case == "gqa" else 2
    qn, kn, vn = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, hk, 5, 4)), rng.standard_normal((2, hk, 5, 4))
    mask, bias, kw = None, np.zeros((3, 5)), {}
    if case == "causal":
        kw["is_causal"] = True
        bias = np.where(np.tri(3, 5, dtype=bool), 0, -np.inf)
    elif case in ("bool", "masked-row"):
        mask = rng.random((3, 5)) > 0.4
        if case == "masked-row":
            mask[1] = False
        bias = np.where(mask, 0, -np.inf)
        kw["attn_mask"] = _on(tg.tensor(mask), tg_device)
    elif case == "float":
        bias = rng.standard_normal((2, 1, 3, 5))
        kw["attn_mask"] = _on(tg.tensor(bias), tg_device)
    elif case == "gqa":
        kw["enable_gqa"] = True
    scale = 0.3 if case == "scale" else 0.5
    if case == "scale":
        kw["scale"] = 0.3
    q, k, v = (_on(tg.tensor(a), tg_device).requires_grad_() for a in (qn, kn, vn))
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    assert out.grad_fn.name() == FLASH
    assert_on_device(out, tg_device)
    np.testing.assert_allclose(out.detach().cpu().numpy(), _attention_reference(qn, kn, vn, bias, scale), rtol=1e-10,
                               atol=1e-12)
    if tg_device == "cpu":
        assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), (q, k, v))
    else:
        out.sum().backward()
        assert_on_device(q.grad, tg_device)


def test_sdpa_fused_node_keeps_no_attention_matrix_and_has_no_double_backward():
    q, k, v = (tg.randn(1, 2, 64, 8, dtype=tg.float64, requires_grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v)
    saved = [a for a in out.grad_fn.attrs.values() if hasattr(a, "shape")]
    assert all(a.size <= 2 * 64 for a in saved)   # the log-sum-exp per row, not the 64 x 64 probabilities
    g, = tg.autograd.grad(out.sum(), q, create_graph=True)
    assert g.grad_fn.name() == "torch::autograd::NotImplemented"  # (a C++ node: its name() is qualified)
    with pytest.raises(RuntimeError, match="^derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward "
                                           "is not implemented$"):
        g.sum().backward()


@pytest.mark.parametrize("kw, shapes", [
    ({"dropout_p": 0.5}, ((2, 2, 3, 4),) * 3),
    ({}, ((2, 3, 4), (2, 5, 4), (2, 5, 4))),
    ({}, ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6))),
    ({}, ((2, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4))),
])
def test_sdpa_other_cases_stay_composed(kw, shapes):
    q, k, v = (tg.randn(*s, requires_grad=True) for s in shapes)
    assert F.scaled_dot_product_attention(q, k, v, **kw).grad_fn.name() != FLASH
    mask = tg.zeros(3, 3, requires_grad=True)
    q = tg.randn(1, 1, 3, 4, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    assert out.grad_fn.name() != FLASH
    out.sum().backward()
    assert mask.grad is not None


def test_sdpa_fused_half_precision():
    rng = np.random.default_rng(8)
    qn = rng.standard_normal((1, 2, 3, 4))
    q = tg.tensor(qn, dtype=tg.float16, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q)
    assert out.dtype == tg.float16 and out.grad_fn.name() == FLASH
    np.testing.assert_allclose(out.detach().numpy().astype(np.float64), _attention_reference(qn, qn, qn, 0, 0.5),
                               atol=3e-3)
    out.sum().backward()
    assert q.grad.dtype == tg.float16
