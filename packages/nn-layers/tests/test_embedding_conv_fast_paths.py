"""The fast paths of embedding.py and conv.py against plain references, on every device:
``_reduce_runs`` (NumPy's ``ufunc.at`` without ufunc.at: stepwise for short runs, reduceat for
long ones), embedding_bag / embedding gradients through it, the 1x1-input transposed conv, the
batch-innermost col2im and the size limit of the stride-1 flat path. PyTorch twins are in
test_embedding_conv_fast_paths_oracle.py."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops import conv as conv_mod
from tensorgraft.ops.indexing import row_folding  # noqa: E402  (the folds live in core)


# ------------------------------------------------------------------ _reduce_runs against ufunc.at
@pytest.mark.parametrize("name", ["add", "maximum", "minimum"])
@pytest.mark.parametrize("layout", ["short-unsorted", "long-unsorted", "long-sorted", "all-distinct", "1-d"])
def test_reduce_runs_matches_ufunc_at(name, layout):
    rng = np.random.default_rng(11)
    n = 300
    if layout == "short-unsorted":      # runs of at most 8: the stepwise path
        index = rng.permutation(np.repeat(np.arange(60), rng.integers(1, 6, 60)))
    elif layout == "long-unsorted":     # a run of 40: reduceat
        index = rng.permutation(np.concatenate([np.full(40, 3), rng.integers(0, 50, n)]))
    elif layout == "long-sorted":       # the bags of embedding_bag: sorted, no reordering
        index = np.sort(rng.integers(0, 12, n))
    elif layout == "all-distinct":
        index = rng.permutation(80)
    else:
        index = rng.integers(0, 9, n)
    vals = rng.standard_normal((index.shape[0],) if layout == "1-d" else (index.shape[0], 5))
    size = int(index.max()) + 2
    start = {"add": 0.0, "maximum": -np.inf, "minimum": np.inf}[name]
    expected = np.full((size,) + vals.shape[1:], start)
    getattr(np, name).at(expected, index, vals)
    got = np.full_like(expected, start)
    row_folding.reduce_runs(getattr(np, name), got, index, vals)
    if layout in ("short-unsorted", "all-distinct"):
        np.testing.assert_array_equal(got, expected)   # stepwise folds in input order, as ufunc.at
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)


def test_reduce_runs_edge_cases():
    out = np.zeros((3, 2))
    row_folding.reduce_runs(np.add, out, np.zeros(0, np.int64), np.zeros((0, 2)))
    assert not out.any()
    # NaN stays in its row; -0.0 added to a zero row gives +0.0, as ufunc.at's
    out = np.zeros((4, 2))
    row_folding.reduce_runs(np.add, out, np.array([2, 0, 2]), np.array([[np.nan, 1.0], [-0.0, -0.0], [1.0, 1.0]]))
    assert np.isnan(out[2, 0]) and out[2, 1] == 2.0 and not np.signbit(out[0]).any() and not out[[1, 3]].any()
    # int32 indices: the keys of the sort must not overflow
    idx = np.array([70000, 5, 70000, 5, 1], np.int32)
    out = np.zeros(70001)
    row_folding.reduce_runs(np.add, out, idx, np.arange(5.0))
    assert out[70000] == 2.0 and out[5] == 4.0 and out[1] == 4.0


def test_stable_order_with_and_without_the_keys_trick():
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 20, 500)
    order, ordered = row_folding.stable_order(idx)
    np.testing.assert_array_equal(order, np.argsort(idx, kind="stable"))
    np.testing.assert_array_equal(ordered, np.sort(idx))
    big = np.array([2 ** 61, 7, 2 ** 61, 0, 7], np.int64)   # index * n would overflow int64
    order, ordered = row_folding.stable_order(big)
    np.testing.assert_array_equal(order, [3, 1, 4, 0, 2])
    np.testing.assert_array_equal(ordered, np.sort(big))


# ------------------------------------------------------------------ embedding_bag, long bags and repeats
def _bag_reference(idx, off, w, mode, psw, padding_idx, g):
    """(output, weight grad) one bag at a time; ``off`` includes the end."""
    out = np.zeros((len(off) - 1, w.shape[1]))
    gw = np.zeros_like(w)
    for b in range(len(off) - 1):
        pos = [i for i in range(off[b], off[b + 1]) if idx[i] != padding_idx]
        if not pos:
            continue
        rows = w[idx[pos]]
        if mode == "max":
            arg = rows.argmax(0)
            out[b] = rows[arg, np.arange(w.shape[1])]
            for d in range(w.shape[1]):
                gw[idx[pos[arg[d]]], d] += g[b, d]
            continue
        coef = np.ones(len(pos)) if psw is None else psw[pos]
        div = len(pos) if mode == "mean" else 1
        out[b] = (rows * coef[:, None]).sum(0) / div
        for k, i in enumerate(pos):
            gw[idx[i]] += g[b] * coef[k] / div
    return out, gw


BAG_CASES = {
    "mean": dict(mode="mean"),
    "sum-psw": dict(mode="sum", psw=True),
    "max": dict(mode="max"),
    "sum-padding": dict(mode="sum", padding_idx=2),
    "max-padding": dict(mode="max", padding_idx=2),
    "mean-last-offset": dict(mode="mean", include_last_offset=True),
}


@pytest.mark.parametrize("case", sorted(BAG_CASES))
def test_embedding_bag_long_bags_match_the_reference(tg_device, case):
    """Bags of 0..30 ids (empty ones too) over a vocabulary of 12: the forward takes reduceat
    (bags longer than 8), the backward long runs of repeated ids."""
    cfg = dict(BAG_CASES[case])
    rng = np.random.default_rng(5)
    lengths = rng.integers(0, 31, 9)
    lengths[3] = 0
    n = int(lengths.sum())
    idx = rng.integers(0, 12, n)
    idx[:4] = 2   # the padding index, in the first bag
    ends = np.concatenate([[0], np.cumsum(lengths)])
    w_np = rng.standard_normal((12, 4))
    psw_np = rng.standard_normal(n) if cfg.pop("psw", False) else None
    last = cfg.get("include_last_offset", False)
    off_np = ends if last else ends[:-1]
    w = tg.tensor(w_np, device=tg_device, requires_grad=True)
    psw = None if psw_np is None else tg.tensor(psw_np, device=tg_device)
    y = F.embedding_bag(tg.tensor(idx, device=tg_device), w, tg.tensor(off_np, device=tg_device),
                        per_sample_weights=psw, **cfg)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g, device=tg_device))
    ref_y, ref_gw = _bag_reference(idx, ends, w_np, cfg["mode"], psw_np, cfg.get("padding_idx"), g)
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.cpu().numpy(), ref_gw, rtol=1e-12, atol=1e-12)
    assert y.grad_fn.name() == "EmbeddingBagBackward0"


def test_embedding_bag_float32_many_bags_match_float64(tg_device):
    rng = np.random.default_rng(8)
    lengths = rng.integers(1, 41, 64)
    idx = rng.integers(0, 500, int(lengths.sum()))
    off = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    w_np = rng.standard_normal((500, 16))
    results = []
    for dtype in (tg.float32, tg.float64):
        w = tg.tensor(w_np, dtype=dtype, device=tg_device, requires_grad=True)
        y = F.embedding_bag(tg.tensor(idx, device=tg_device), w, tg.tensor(off, device=tg_device), mode="mean")
        y.sum().backward()
        assert y.dtype == dtype and w.grad.dtype == dtype
        results.append((y.detach().cpu().numpy(), w.grad.cpu().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("repeats", [1, 3, 25])   # distinct ids, short repeats, long runs
def test_embedding_grad_with_repeated_ids(tg_device, repeats):
    rng = np.random.default_rng(repeats)
    ids = rng.permutation(np.repeat(np.arange(10), repeats))[None].repeat(2, 0)
    emb = nn.Embedding(10, 3, padding_idx=4).to(tg_device)
    with tg.no_grad():
        emb.weight.copy_(tg.tensor(rng.standard_normal((10, 3)), dtype=tg.float32))
    g = rng.standard_normal(ids.shape + (3,)).astype(np.float32)
    emb(tg.tensor(ids, device=tg_device)).backward(tg.tensor(g, device=tg_device))
    ref = np.zeros((10, 3), np.float32)
    np.add.at(ref, ids.reshape(-1), g.reshape(-1, 3))
    ref[4] = 0
    np.testing.assert_allclose(emb.weight.grad.cpu().numpy(), ref, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ conv_transpose2d: references on arrays
def _convT_reference(x, w, stride, padding, dilation, out_hw):
    """Every input pixel adds w[c] times itself into its kernel window of the output."""
    N, C, H, W = x.shape
    _, O, kh, kw = w.shape
    full = np.zeros((N, O, (H - 1) * stride + (kh - 1) * dilation + 1 + stride,
                     (W - 1) * stride + (kw - 1) * dilation + 1 + stride))
    for i in range(kh):
        for j in range(kw):
            contrib = np.einsum("nchw,co->nohw", x, w[:, :, i, j])
            full[:, :, i * dilation:i * dilation + stride * (H - 1) + 1:stride,
                 j * dilation:j * dilation + stride * (W - 1) + 1:stride] += contrib
    full = np.pad(full, ((0, 0), (0, 0), (0, out_hw[0]), (0, out_hw[1])))
    return full[:, :, padding:padding + out_hw[0], padding:padding + out_hw[1]]


def _convT_grads_reference(x, w, g, stride, padding, dilation):
    """The transposed conv is linear in x and in w: its gradients read g at each window."""
    N, C, H, W = x.shape
    _, O, kh, kw = w.shape
    pad_g = np.pad(g, ((0, 0), (0, 0), (padding, padding + kh * dilation + stride * H),
                       (padding, padding + kw * dilation + stride * W)))
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            win = pad_g[:, :, i * dilation:i * dilation + stride * (H - 1) + 1:stride,
                        j * dilation:j * dilation + stride * (W - 1) + 1:stride]
            gx += np.einsum("nohw,co->nchw", win, w[:, :, i, j])
            gw[:, :, i, j] = np.einsum("nohw,nchw->co", win, x)
    return gx, gw


CONVT_CASES = {   # (N, Cin, Cout, H, k, stride, padding, dilation, output_padding)
    "dcgan-first": (8, 6, 5, 1, 4, 1, 0, 1, 0),
    "1x1-stride2-pad": (3, 4, 2, 1, 3, 2, 1, 1, 1),
    "1x1-dilated": (2, 3, 4, 1, 3, 1, 0, 2, 0),
    "batch-last": (16, 6, 4, 3, 4, 2, 1, 1, 0),     # N >= 2 W and Cout*k*k >= Cin
    "batch-last-dil-outpad": (12, 3, 2, 2, 3, 2, 2, 2, 1),
    "outpad-past-stride": (2, 3, 2, 4, 3, 1, 1, 2, 1),   # the conv of g is larger: cols not reused
    "general": (2, 5, 3, 6, 3, 2, 1, 1, 1),
}


@pytest.mark.parametrize("case", sorted(CONVT_CASES))
def test_conv_transpose2d_fast_paths_match_the_reference(tg_device, case):
    N, C, O, H, k, s, p, d, op = CONVT_CASES[case]
    rng = np.random.default_rng(21)
    x_np, w_np = rng.standard_normal((N, C, H, H)), rng.standard_normal((C, O, k, k))
    x = tg.tensor(x_np, device=tg_device, requires_grad=True)
    w = tg.tensor(w_np, device=tg_device, requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
    Ho = (H - 1) * s - 2 * p + d * (k - 1) + op + 1
    assert y.shape == (N, O, Ho, Ho) and y.grad_fn.name() == "ConvolutionBackward0"
    np.testing.assert_allclose(y.detach().cpu().numpy(), _convT_reference(x_np, w_np, s, p, d, (Ho, Ho)),
                               rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g, device=tg_device))
    gx, gw = _convT_grads_reference(x_np, w_np, g, s, p, d)
    np.testing.assert_allclose(x.grad.cpu().numpy(), gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(w.grad.cpu().numpy(), gw, rtol=1e-10, atol=1e-10)


def test_batch_last_rule():
    assert conv_mod._batch_last_pays(64, 256, 128, 4, 4, 4)       # the DCGAN's second layer
    assert not conv_mod._batch_last_pays(64, 64, 3, 4, 4, 16)     # its last: 3 channels out
    assert not conv_mod._batch_last_pays(8, 16, 16, 3, 3, 10)     # a small batch of wide images


@pytest.mark.parametrize("pays", [True, False])
def test_conv2d_input_grad_same_either_col2im_layout(monkeypatch, pays):
    """A strided conv2d's input gradient goes through the same col2im choice: both layouts agree."""
    rng = np.random.default_rng(4)
    x_np, w_np = rng.standard_normal((16, 3, 9, 9)), rng.standard_normal((5, 3, 3, 3))
    grads = []
    for rule in (lambda *a: pays, lambda *a: not pays):
        monkeypatch.setattr(conv_mod, "_batch_last_pays", rule)
        x = tg.tensor(x_np, requires_grad=True)
        F.conv2d(x, tg.tensor(w_np), stride=2, padding=1).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ the stride-1 flat path's size limit
def test_flat_path_only_for_outputs_of_64_pixels_or_more():
    w = np.zeros((2, 2, 3, 3))
    fits = conv_mod._flat_fits
    assert fits((10, 10), w, (1, 1), (0, 0, 0, 0), (1, 1), 1, (8, 8))
    assert not fits((9, 10), w, (1, 1), (0, 0, 0, 0), (1, 1), 1, (7, 8))
    assert not fits((3, 3), w, (1, 1), (0, 0, 0, 0), (1, 1), 1, (1, 1))


@pytest.mark.parametrize("hw", [(4, 4), (9, 7), (12, 10)])
@pytest.mark.parametrize("bad", [None, np.inf, np.nan])
def test_flat_and_general_paths_agree(tg_device, monkeypatch, hw, bad):
    """Small images now take the general path; forced onto the flat one they give the same
    values and gradients (non-finite inputs too)."""
    rng = np.random.default_rng(9)
    x_np, w_np, b_np = rng.standard_normal((3, 4) + hw), rng.standard_normal((5, 4, 3, 3)), rng.standard_normal(5)
    if bad is not None:
        x_np[0, 1, :, -1] = bad
    results = []
    for area in (0, 10 ** 9):   # every stride-1 conv flat, then none
        monkeypatch.setattr(conv_mod, "_FLAT_MIN_AREA", area)
        x = tg.tensor(x_np, device=tg_device, requires_grad=True)
        w = tg.tensor(w_np, device=tg_device, requires_grad=True)
        y = F.conv2d(x, w, tg.tensor(b_np, device=tg_device), padding=1)
        y.backward(tg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape), device=tg_device))
        t = F.conv_transpose2d(x.detach(), w.detach().transpose(0, 1), padding=1)
        results.append([a.cpu().numpy() for a in (y.detach(), x.grad, w.grad, t)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, equal_nan=True)
