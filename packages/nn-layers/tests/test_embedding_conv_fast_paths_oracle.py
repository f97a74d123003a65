"""PyTorch twins of test_embedding_conv_fast_paths.py: embedding_bag with long bags and repeated
ids (reduceat and stepwise folds), Embedding's gradient, the DCGAN generator's transposed convs
(1x1 input, batch-innermost col2im) and stride-1 convs either side of the flat path's limit."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

TF = torch.nn.functional


def _close(a, t, tol):
    t = t.detach().numpy()
    assert a.dtype == t.dtype and a.shape == t.shape
    np.testing.assert_allclose(a, t, rtol=tol, atol=tol, equal_nan=True)


BAGS = {
    "mean": dict(mode="mean"),
    "sum-psw": dict(mode="sum", psw=True),
    "max": dict(mode="max"),
    "sum-padding": dict(mode="sum", padding_idx=2),
    "mean-padding-last-offset": dict(mode="mean", padding_idx=5, include_last_offset=True),
    "max-padding": dict(mode="max", padding_idx=2),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(BAGS))
def test_embedding_bag_long_bags_like_torch(case, dtype):
    cfg = dict(BAGS[case])
    rng = np.random.default_rng(31)
    lengths = rng.integers(0, 41, 24)
    lengths[[2, 7]] = 0
    n = int(lengths.sum())
    idx = rng.integers(0, 30, n)
    idx[5:15] = 2
    ends = np.concatenate([[0], np.cumsum(lengths)])
    off = ends if cfg.get("include_last_offset") else ends[:-1]
    w_np = rng.standard_normal((30, 8)).astype(dtype)
    psw_np = rng.standard_normal(n).astype(dtype) if cfg.pop("psw", False) else None
    w, wt = tg.tensor(w_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    p = None if psw_np is None else tg.tensor(psw_np, requires_grad=True)
    pt = None if psw_np is None else torch.tensor(psw_np, requires_grad=True)
    y = F.embedding_bag(tg.tensor(idx), w, tg.tensor(off), per_sample_weights=p, **cfg)
    yt = TF.embedding_bag(torch.tensor(idx), wt, torch.tensor(off), per_sample_weights=pt, **cfg)
    tol = 1e-5 if dtype == "float32" else 1e-12
    _close(y.detach().numpy(), yt, tol)
    assert y.grad_fn.name() == yt.grad_fn.name()
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    _close(w.grad.numpy(), wt.grad, tol)
    if p is not None:
        _close(p.grad.numpy(), pt.grad, tol)


def test_embedding_bag_benchmark_shape_like_torch():
    """The benchmark's layer at a smaller vocabulary: 64 bags of 1..40 ids, mean, float32."""
    rng = np.random.default_rng(2)
    lengths = rng.integers(1, 41, 64)
    idx = rng.integers(0, 400, int(lengths.sum()))
    off = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    w_np = rng.standard_normal((400, 16)).astype(np.float32)
    bag, bagt = nn.EmbeddingBag(400, 16), torch.nn.EmbeddingBag(400, 16)
    with tg.no_grad():
        bag.weight.copy_(tg.tensor(w_np))
    with torch.no_grad():
        bagt.weight.copy_(torch.tensor(w_np))
    y, yt = bag(tg.tensor(idx), tg.tensor(off)), bagt(torch.tensor(idx), torch.tensor(off))
    _close(y.detach().numpy(), yt, 1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    _close(bag.weight.grad.numpy(), bagt.weight.grad, 1e-5)


@pytest.mark.parametrize("repeats", [1, 3, 20])
def test_embedding_grad_with_repeated_ids_like_torch(repeats):
    rng = np.random.default_rng(40 + repeats)
    ids = rng.permutation(np.repeat(np.arange(12), repeats)).reshape(2, -1)
    w_np = rng.standard_normal((12, 5)).astype(np.float32)
    w, wt = tg.tensor(w_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    y, yt = F.embedding(tg.tensor(ids), w, padding_idx=3), TF.embedding(torch.tensor(ids), wt, padding_idx=3)
    assert y.grad_fn.name() == yt.grad_fn.name()
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    _close(w.grad.numpy(), wt.grad, 1e-5)


CONVT = {   # (N, Cin, Cout, H, k, stride, padding, dilation, output_padding, bias)
    "dcgan-1": (16, 20, 12, 1, 4, 1, 0, 1, 0, False),
    "dcgan-2": (16, 12, 6, 4, 4, 2, 1, 1, 0, False),
    "dcgan-last": (16, 6, 3, 8, 4, 2, 1, 1, 0, True),
    "1x1-pad-outpad": (4, 5, 3, 1, 3, 2, 1, 1, 1, True),
    "batch-last-dilated": (12, 3, 4, 2, 3, 2, 2, 2, 1, True),
    "outpad-past-stride": (2, 3, 2, 4, 3, 1, 1, 2, 1, False),
}


@pytest.mark.parametrize("case", sorted(CONVT))
def test_conv_transpose2d_like_torch(case):
    N, C, O, H, k, s, p, d, op, bias = CONVT[case]
    rng = np.random.default_rng(50)
    x_np = rng.standard_normal((N, C, H, H)).astype(np.float32)
    w_np = rng.standard_normal((C, O, k, k)).astype(np.float32)
    b_np = rng.standard_normal(O).astype(np.float32) if bias else None
    ts = [tg.tensor(a, requires_grad=True) if a is not None else None for a in (x_np, w_np, b_np)]
    tts = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x_np, w_np, b_np)]
    y = F.conv_transpose2d(ts[0], ts[1], ts[2], stride=s, padding=p, output_padding=op, dilation=d)
    yt = TF.conv_transpose2d(tts[0], tts[1], tts[2], stride=s, padding=p, output_padding=op, dilation=d)
    _close(y.detach().numpy(), yt, 1e-4)
    assert y.grad_fn.name() == yt.grad_fn.name()
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    for a, at in zip(ts, tts):
        if a is not None:
            _close(a.grad.numpy(), at.grad, 1e-3)


def test_conv_transpose2d_module_1x1_input_like_torch():
    rng = np.random.default_rng(51)
    m, mt = nn.ConvTranspose2d(10, 6, 4, 1, 0, bias=False), torch.nn.ConvTranspose2d(10, 6, 4, 1, 0, bias=False)
    w_np = rng.standard_normal((10, 6, 4, 4)).astype(np.float32)
    with tg.no_grad():
        m.weight.copy_(tg.tensor(w_np))
    with torch.no_grad():
        mt.weight.copy_(torch.tensor(w_np))
    z = rng.standard_normal((8, 10, 1, 1)).astype(np.float32)
    y, yt = m(tg.tensor(z)), mt(torch.tensor(z))
    assert repr(y.shape) == repr(yt.shape) and y.grad_fn.name() == yt.grad_fn.name()
    _close(y.detach().numpy(), yt, 1e-5)
    y.square().sum().backward()
    yt.square().sum().backward()
    _close(m.weight.grad.numpy(), mt.weight.grad, 1e-4)


@pytest.mark.parametrize("hw", [(7, 9), (8, 8), (3, 3)])   # output area 63 / 64 either side of the limit
@pytest.mark.parametrize("padding", [0, 1])
def test_stride1_conv2d_either_side_of_the_flat_limit_like_torch(hw, padding):
    rng = np.random.default_rng(60)
    x_np = rng.standard_normal((4, 3) + tuple(h + 2 - 2 * padding for h in hw)).astype(np.float32)
    w_np = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b_np = rng.standard_normal(5).astype(np.float32)
    ts = [tg.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    tts = [torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    y, yt = F.conv2d(*ts, padding=padding), TF.conv2d(*tts, padding=padding)
    assert tuple(y.shape[2:]) == hw
    _close(y.detach().numpy(), yt, 1e-5)
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    for a, at in zip(ts, tts):
        _close(a.grad.numpy(), at.grad, 1e-4)
