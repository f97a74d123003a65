"""Conv, pooling, normalization, embedding, resampling against torch (values + input/param grads)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
RTOL, ATOL = 1e-4, 1e-4


def sync(m, t):
    t.load_state_dict({k: torch.tensor(np.array(v.detach().numpy())) for k, v in m.state_dict().items()})


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def compare(m, t, x, check_buffers=False):
    a = tg.tensor(x, requires_grad=True)
    at = torch.tensor(x, requires_grad=True)
    y, yt = m(a), t(at)
    if isinstance(y, tuple):
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        y, yt = y[0], yt[0]
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = rand(*yt.shape, seed=5)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=RTOL, atol=ATOL)
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=n)
    if check_buffers:
        for (n, b), (_, bt) in zip(m.named_buffers(), t.named_buffers()):
            np.testing.assert_allclose(b.numpy(), bt.numpy(), rtol=RTOL, atol=ATOL, err_msg=n)
    assert repr(m) == repr(t)
    return y


CONVS = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=1, bias=False),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", dilation=2, groups=2),
    dict(in_channels=2, out_channels=4, kernel_size=3, padding="valid", groups=2),
    dict(in_channels=3, out_channels=2, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=3, out_channels=2, kernel_size=2, padding=1, padding_mode="replicate", stride=(1, 2)),
    dict(in_channels=3, out_channels=2, kernel_size=4, padding="same"),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("i", range(len(CONVS)))
def test_conv2d(i):
    kw = CONVS[i]
    m, t = nn.Conv2d(**kw), tnn.Conv2d(**kw)
    sync(m, t)
    y = compare(m, t, rand(2, kw["in_channels"], 7, 8))
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"


def test_conv1d_and_unbatched():
    m, t = nn.Conv1d(3, 5, 3, stride=2, padding=1), tnn.Conv1d(3, 5, 3, stride=2, padding=1)
    sync(m, t)
    compare(m, t, rand(2, 3, 9))
    compare(m, t, rand(3, 9))
    m2, t2 = nn.Conv2d(2, 3, 3), tnn.Conv2d(2, 3, 3)
    sync(m2, t2)
    compare(m2, t2, rand(2, 5, 5))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1), dict(stride=1, padding=0),
                                dict(stride=2, groups=2, dilation=2, bias=False)])
def test_conv_transpose2d(kw):
    m, t = nn.ConvTranspose2d(4, 6, 3, **kw), tnn.ConvTranspose2d(4, 6, 3, **kw)
    sync(m, t)
    compare(m, t, rand(2, 4, 5, 4))


def test_conv_errors():
    with pytest.raises(RuntimeError, match="expected input"):
        nn.Conv2d(3, 4, 3)(tg.randn(1, 2, 5, 5))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


POOLS = [
    lambda l: l.MaxPool2d(2), lambda l: l.MaxPool2d(3, stride=2, padding=1), lambda l: l.MaxPool2d(3, 2, ceil_mode=True),
    lambda l: l.MaxPool2d(2, dilation=2), lambda l: l.MaxPool2d(2, return_indices=True),
    lambda l: l.AvgPool2d(2), lambda l: l.AvgPool2d(3, stride=2, padding=1),
    lambda l: l.AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    lambda l: l.AvgPool2d(2, divisor_override=3), lambda l: l.AdaptiveAvgPool2d((3, 2)),
    lambda l: l.AdaptiveAvgPool2d(1), lambda l: l.AdaptiveMaxPool2d((3, 4)),
    lambda l: l.AdaptiveMaxPool2d(2, return_indices=True),
]


@pytest.mark.parametrize("i", range(len(POOLS)))
def test_pool2d(i):
    x = rand(2, 3, 7, 9)
    compare(POOLS[i](nn), POOLS[i](tnn), x)


def test_pool1d():
    compare(nn.MaxPool1d(3, 2, 1), tnn.MaxPool1d(3, 2, 1), rand(2, 3, 10))
    compare(nn.MaxPool1d(2, return_indices=True), tnn.MaxPool1d(2, return_indices=True), rand(2, 3, 10))
    compare(nn.AvgPool1d(3, 2), tnn.AvgPool1d(3, 2), rand(2, 3, 10))
    compare(nn.AdaptiveAvgPool1d(4), tnn.AdaptiveAvgPool1d(4), rand(2, 3, 10))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_train_eval(affine, momentum):
    m = nn.BatchNorm2d(3, affine=affine, momentum=momentum)
    t = tnn.BatchNorm2d(3, affine=affine, momentum=momentum)
    if affine:
        with tg.no_grad():
            m.weight.copy_(tg.tensor(rand(3, seed=3))) if hasattr(m.weight, "copy_") else \
                nn.init._write(m.weight, rand(3, seed=3))
    sync(m, t)
    for s in range(2):
        compare(m, t, rand(4, 3, 5, 5, seed=s) * 2 + 1, check_buffers=True)
    assert int(m.num_batches_tracked) == 2
    m.eval()
    t.eval()
    compare(m, t, rand(4, 3, 5, 5, seed=7), check_buffers=True)
    assert list(m.state_dict()) == list(t.state_dict())


def test_batchnorm1d_and_no_running_stats():
    m, t = nn.BatchNorm1d(4), tnn.BatchNorm1d(4)
    compare(m, t, rand(8, 4), check_buffers=True)
    compare(m, t, rand(8, 4, 6), check_buffers=True)
    m2, t2 = nn.BatchNorm1d(4, track_running_stats=False), tnn.BatchNorm1d(4, track_running_stats=False)
    m2.eval()
    t2.eval()
    compare(m2, t2, rand(8, 4))
    assert list(m2.state_dict()) == list(t2.state_dict())
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(tg.randn(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tg.randn(1, 3))


def test_layer_group_rms_norm():
    for mk, x in [(lambda l: l.LayerNorm(6), rand(3, 4, 6)), (lambda l: l.LayerNorm([4, 6]), rand(3, 4, 6)),
                  (lambda l: l.LayerNorm(6, elementwise_affine=False), rand(3, 6)),
                  (lambda l: l.GroupNorm(2, 4), rand(3, 4, 5, 2)), (lambda l: l.GroupNorm(4, 4, affine=False),
                                                                    rand(3, 4, 5)),
                  (lambda l: l.RMSNorm(6), rand(3, 6)), (lambda l: l.RMSNorm([4, 6], eps=1e-3), rand(2, 4, 6))]:
        m, t = mk(nn), mk(tnn)
        if m.weight is not None:
            nn.init._write(m.weight, rand(*m.weight.shape, seed=2))
        sync(m, t)
        compare(m, t, x * 3 + 1)
    y = F.layer_norm(tg.randn(2, 3, requires_grad=True), (3,))
    assert type(y.grad_fn).__name__ == "NativeLayerNormBackward0"


def test_embedding():
    m, t = nn.Embedding(10, 4, padding_idx=2), tnn.Embedding(10, 4, padding_idx=2)
    sync(m, t)
    idx = np.array([[1, 2, 3], [3, 3, 9]])
    y, yt = m(tg.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy())
    g = rand(2, 3, 4)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert repr(m) == repr(t)
    assert float(m.weight[2].abs().sum()) == 0.0
    e = nn.Embedding.from_pretrained(tg.tensor(rand(5, 3)))
    assert not e.weight.requires_grad and e(tg.tensor([4])).shape == (1, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        m(tg.tensor([10]))


def test_interpolate_and_pad():
    x = rand(2, 3, 5, 4)
    for kw in [dict(scale_factor=2, mode="nearest"), dict(size=(7, 3), mode="nearest"),
               dict(scale_factor=2, mode="bilinear", align_corners=False),
               dict(size=(8, 7), mode="bilinear", align_corners=True), dict(size=(3, 3), mode="bilinear"),
               dict(scale_factor=1.5, mode="bilinear")]:
        a = tg.tensor(x, requires_grad=True)
        at = torch.tensor(x, requires_grad=True)
        y, yt = F.interpolate(a, **kw), TF.interpolate(at, **kw)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=str(kw))
        g = rand(*yt.shape)
        y.backward(tg.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=str(kw))
    assert repr(nn.Upsample(scale_factor=2, mode="bilinear")) == repr(tnn.Upsample(scale_factor=2, mode="bilinear"))
    for pad, mode, value in [((1, 2), "constant", 0.5), ((1, 1, 2, 0), "reflect", None),
                             ((2, 1, 1, 3), "replicate", None), ((1, 2, 2, 1), "circular", None),
                             ((-1, 2), "constant", None)]:
        a = tg.tensor(x, requires_grad=True)
        at = torch.tensor(x, requires_grad=True)
        y, yt = F.pad(a, pad, mode, value), TF.pad(at, pad, mode, value)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy())
        g = rand(*yt.shape)
        y.backward(tg.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_unfold_fold():
    x = rand(2, 3, 6, 5)
    for kw in [dict(kernel_size=2), dict(kernel_size=(3, 2), stride=2, padding=1, dilation=1),
               dict(kernel_size=2, dilation=2)]:
        a = tg.tensor(x, requires_grad=True)
        at = torch.tensor(x, requires_grad=True)
        y, yt = F.unfold(a, **kw), TF.unfold(at, **kw)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy())
        z = F.fold(y * 2, (6, 5), **kw)
        zt = TF.fold(yt * 2, (6, 5), **kw)
        np.testing.assert_allclose(z.detach().numpy(), zt.detach().numpy(), rtol=1e-5, atol=1e-5)
        g = rand(*zt.shape)
        z.backward(tg.tensor(g))
        zt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_scaled_dot_product_attention(mask):
    q, k, v = rand(2, 3, 4, 8), rand(2, 3, 5, 8, seed=1), rand(2, 3, 5, 6, seed=2)
    if mask == "causal":
        k, v = k[:, :, :4], v[:, :, :4]
    ts = [tg.tensor(a, requires_grad=True) for a in (q, k, v)]
    tts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    kw, kwt = {}, {}
    if mask == "bool":
        mk = np.random.default_rng(0).random((4, 5)) > 0.3
        mk[:, 0] = True
        kw["attn_mask"], kwt["attn_mask"] = tg.tensor(mk), torch.tensor(mk)
    elif mask == "float":
        mk = rand(4, 5, seed=9)
        kw["attn_mask"], kwt["attn_mask"] = tg.tensor(mk), torch.tensor(mk)
    elif mask == "causal":
        kw["is_causal"] = kwt["is_causal"] = True
    y = F.scaled_dot_product_attention(*ts, **kw)
    yt = TF.scaled_dot_product_attention(*tts, **kwt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rand(*yt.shape)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(ts, tts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_small_cnn_training_step_matches_torch():
    def build(l):
        return l.Sequential(l.Conv2d(1, 4, 3, padding=1), l.BatchNorm2d(4), l.ReLU(), l.MaxPool2d(2),
                            l.Conv2d(4, 8, 3), l.ReLU(), l.AdaptiveAvgPool2d(1), l.Flatten(), l.Linear(8, 3))
    m, t = build(nn), build(tnn)
    sync(m, t)
    x = rand(4, 1, 8, 8)
    y = np.array([0, 1, 2, 1])
    loss = F.cross_entropy(m(tg.tensor(x)), tg.tensor(y))
    losst = TF.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(loss.item(), losst.item(), rtol=1e-5)
    loss.backward()
    losst.backward()
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=n)
    assert repr(m) == repr(t)


# ---------------------------------------------------------------- fast paths (stride-1 conv, tiled max pool)
def _same_with_nans(a, b, tol):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0), rtol=tol, atol=tol)


def _conv_both(x, w, b, tol=1e-4, **kw):
    ts = [None if v is None else tg.tensor(v, requires_grad=True) for v in (x, w, b)]
    tts = [None if v is None else torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    y, yt = F.conv2d(*ts, **kw), TF.conv2d(*tts, **kw)
    _same_with_nans(y.detach().numpy(), yt.detach().numpy(), tol)
    g = rand(*yt.shape, seed=4).astype(x.dtype)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    for a, at in zip(ts, tts):
        if a is not None:
            _same_with_nans(a.grad.numpy(), at.grad.numpy(), tol)


STRIDE1 = [dict(padding=1), dict(padding=0), dict(padding=(2, 1)), dict(padding=2, dilation=2),
           dict(padding=(0, 1), dilation=(2, 1))]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("chunk", [1, 1 << 19])   # one sample per chunk, and the default
@pytest.mark.parametrize("i", range(len(STRIDE1)))
def test_conv2d_stride1_path(monkeypatch, chunk, i):
    from tensorgraft.nn.functional_ops import conv
    monkeypatch.setattr(conv, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(conv, "_FLAT_MIN_AREA", 0)   # these small images must still take the flat path
    x, w, b = rand(3, 4, 9, 7), rand(5, 4, 3, 2, seed=1), rand(5, seed=2)
    _conv_both(x, w, b, **STRIDE1[i])
    _conv_both(x, w, None, **STRIDE1[i])
    _conv_both(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), tol=1e-10, **STRIDE1[i])
    _conv_both(x, rand(5, 4, 1, 1), b)
    _conv_both(x, rand(2, 4, 4, 4), None, padding="same")


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_conv2d_stride1_nonfinite_like_torch(bad, monkeypatch):
    """The wide stride-1 layout reads junk across row edges; a non-finite value there must not turn
    into NaN gradients PyTorch does not produce."""
    from tensorgraft.nn.functional_ops import conv
    monkeypatch.setattr(conv, "_FLAT_MIN_AREA", 0)   # small images: force the flat layout under test
    x, w, b = rand(2, 3, 6, 7), rand(4, 3, 3, 3, seed=1), rand(4, seed=2)
    x[0, 1, :, -1] = bad   # the last column: read as junk by kernel column 0
    x[1, 0, 2, 0] = bad
    _conv_both(x, w, b, padding=1)
    _conv_both(x, w, b)
    w[1, 2, 0, 2] = bad    # without padding: im2col's padded zeros times inf are NaN (PyTorch skips them)
    _conv_both(rand(2, 3, 6, 7), w, b)


def _pool_both(x, ri=False, **kw):
    a, at = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = F.max_pool2d(a, return_indices=ri, **kw), TF.max_pool2d(at, return_indices=ri, **kw)
    if ri:
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        assert y[1].numpy().dtype == np.int64
        y, yt = y[0], yt[0]
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    g = rand(*yt.shape, seed=3)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), at.grad.numpy())


@pytest.mark.parametrize("k", [2, 3, (2, 3), (1, 2), 1])
@pytest.mark.parametrize("kind", ["random", "ties", "nan", "-inf"])
def test_max_pool2d_tiled_like_torch(k, kind):
    """Non-overlapping windows: PyTorch's winner (first maximum in row-major order, the last NaN),
    also where the windows leave rows/columns of the input unread."""
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 6, 6), (2, 2, 7, 9)]:
        x = rand(*shape) if kind == "random" else rng.integers(0, 3, shape).astype(np.float32)
        if kind in ("nan", "-inf"):
            x[rng.random(shape) < 0.25] = np.nan if kind == "nan" else -np.inf
        _pool_both(x, kernel_size=k)
        _pool_both(x, ri=True, kernel_size=k)


def test_max_pool2d_overlapping_nan_like_torch():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (2, 3, 7, 8)).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = np.nan
    for kw in [dict(kernel_size=3, stride=2), dict(kernel_size=2, stride=1, padding=1)]:
        a, at = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = F.max_pool2d(a, return_indices=True, **kw), TF.max_pool2d(at, return_indices=True, **kw)
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        np.testing.assert_array_equal(y[0].detach().numpy(), yt[0].detach().numpy())


def test_benchmark_cnn_sgd_steps_match_torch():
    """The small_cnn_sgd_step benchmark's network: two SGD-momentum steps give PyTorch's weights."""
    def build(l):
        return l.Sequential(l.Conv2d(3, 16, 3, padding=1), l.ReLU(), l.MaxPool2d(2),
                            l.Conv2d(16, 32, 3, padding=1), l.ReLU(), l.MaxPool2d(2),
                            l.Flatten(), l.Linear(32 * 8 * 8, 10))
    m, t = build(nn), build(tnn)
    sync(m, t)
    x, y = rand(8, 3, 32, 32), np.arange(8) % 10
    opt = tg.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    optt = torch.optim.SGD(t.parameters(), lr=0.01, momentum=0.9)
    for _ in range(2):
        for mod, o, lib, cast in ((m, opt, F, tg.tensor), (t, optt, TF, torch.tensor)):
            loss = lib.cross_entropy(mod(cast(x)), cast(y))
            o.zero_grad()
            loss.backward()
            o.step()
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), pt.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
