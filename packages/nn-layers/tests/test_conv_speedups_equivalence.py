"""The CPU speed-ups of the conv and batch-norm kernels give what the plain code gives: the
channel-blocked (C, H, W, N) -> (N, C, H, W) copy of the batch-innermost col2im, the transposed
accumulation of the stride-1 flat path's float32 weight gradient, and the batch-norm input
gradient computed in two buffers. Copies and elementwise steps are compared bit for bit; the GEMM
orientation, whose rounding is the BLAS library's, against float64 references."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops import conv as conv_mod
from tensorgraft.nn.functional_ops import norm as norm_mod


# ------------------------------------------------------------------ nchw_from_chwn
@pytest.mark.parametrize("shape", [(64, 16, 16, 64), (3, 9, 5, 40), (2, 2, 2, 2), (6000, 1, 1, 4),
                                   (40, 16, 16, 2)])
def test_nchw_from_chwn_is_the_transposed_copy(shape):
    """Big sources go through in channel blocks (the first shape; the fourth in blocks of many
    channels), small ones and small batches in one copy; a cropped, non-contiguous source, as col2im
    hands it over."""
    rng = np.random.default_rng(0)
    C, H, W, N = shape
    buf = rng.standard_normal((C, H + 2, W + 3, N)).astype(np.float32)
    src = buf[:, 1:H + 1, 2:W + 2]
    out = conv_mod.nchw_from_chwn(np, src)
    assert out.flags.c_contiguous and out.shape == (N, C, H, W)
    assert np.array_equal(out, src.transpose(3, 0, 1, 2))


def test_nchw_from_chwn_blocks_cover_every_channel(monkeypatch):
    """Blocks of 3 channels over 10: the last block is partial."""
    monkeypatch.setattr(conv_mod, "_TRANSPOSE_BLOCK", 3 * 4 * 4 * 5 * 4)
    src = np.arange(10 * 4 * 4 * 5, dtype=np.float64).reshape(10, 4, 4, 5)
    assert np.array_equal(conv_mod.nchw_from_chwn(np, src), src.transpose(3, 0, 1, 2))


@pytest.mark.parametrize("s, p, k", [(2, 1, 4), (2, 0, 3), (3, 2, 5)])
def test_batch_last_col2im_equals_plain_col2im(s, p, k):
    """The DCGAN's layout (the batch innermost) against conv.py's plain col2im: the same slice-adds
    in the same order, so the same bits."""
    rng = np.random.default_rng(1)
    N, C, Ho = 48, 20, 6
    H = (Ho - 1) * s - 2 * p + k
    dcols = rng.standard_normal((C, k, k, Ho, Ho, N)).astype(np.float32)
    args = ((N, C, H, H), k, k, s, s, 1, 1, (p, p, p, p))
    fast = conv_mod.col2im_batch_last(np, dcols, *args)
    plain = conv_mod.col2im(np, np.ascontiguousarray(dcols.transpose(5, 0, 1, 2, 3, 4)), *args)
    assert np.array_equal(fast, plain)


def _convT_reference(x, w, s, p):
    """Transposed conv by its definition, in float64: each input pixel scatters w * x."""
    N, Cin, H, W = x.shape
    O, k = w.shape[1], w.shape[2]
    full = np.zeros((N, O, (H - 1) * s + k, (W - 1) * s + k))
    for i in range(H):
        for j in range(W):
            full[:, :, i * s:i * s + k, j * s:j * s + k] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]


def test_dcgan_layer_through_the_blocked_copy():
    """A DCGAN layer (64 samples, stride 2, 4x4 kernel) takes the batch-innermost col2im and the
    blocked copy; the float32 result agrees with the float64 definition. A channels-last input gives
    the same values, laid out channels-last as PyTorch's."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 32, 8, 8)).astype(np.float32)
    w = (rng.standard_normal((32, 16, 4, 4)) / 8).astype(np.float32)
    assert conv_mod._batch_last_pays(64, 32, 16, 4, 4, 8)
    ref = _convT_reference(x.astype(np.float64), w.astype(np.float64), 2, 1)
    y = F.conv_transpose2d(tg.tensor(x), tg.tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)
    xcl = tg.tensor(x).contiguous(memory_format=tg.channels_last)
    ycl = F.conv_transpose2d(xcl, tg.tensor(w), stride=2, padding=1)
    assert np.array_equal(ycl.numpy(), y.numpy())
    # PyTorch 2.13 lays the result out channels-last too: strides (4096, 1, 256, 16)
    assert ycl.stride() == (4096, 1, 256, 16)


# ------------------------------------------------------------------ flat path: float32 weight gradient
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N, C, O, H, k, pad, dil", [(32, 16, 32, 16, 3, 1, 1), (5, 3, 7, 16, 5, 0, 2),
                                                     (3, 4, 2, 9, 3, 2, 1)])
def test_flat_weight_gradient(dtype, N, C, O, H, k, pad, dil):
    """The stride-1 conv's weight gradient (float32 accumulated transposed) against its definition,
    a sum over samples and output pixels of g * x-window, in float64."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, C, H, H)).astype(dtype)
    w = rng.standard_normal((O, C, k, k)).astype(dtype)
    Ho = H + 2 * pad - dil * (k - 1)
    assert conv_mod._flat_fits((H, H), w, (1, 1), (pad,) * 4, (dil, dil), 1, (Ho, Ho))
    g = rng.standard_normal((N, O, Ho, Ho)).astype(dtype)
    gx, gw = conv_mod.flat_conv_backward(np, g, w, x.shape, (pad,) * 4, (dil, dil), x, True)
    assert gw.dtype == dtype and gw.shape == w.shape and gw.flags.c_contiguous
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ref = np.zeros(w.shape)
    for i in range(k):
        for j in range(k):
            win = xp[:, :, i * dil:i * dil + Ho, j * dil:j * dil + Ho]
            ref[:, :, i, j] = np.einsum("nohw,nchw->oc", g.astype(np.float64), win)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(gw, ref, rtol=tol, atol=tol * np.abs(ref).max())
    assert gx.shape == x.shape


# ------------------------------------------------------------------ batch norm input gradient
def _bn_input_grad_expression(gd, xhat, invstd, wd):
    """The formula as one expression (the code before the two-buffer version): each step rounds once."""
    axes = (0,) + tuple(range(2, gd.ndim))
    shape = (1, gd.shape[1]) + (1,) * (gd.ndim - 2)
    n = gd.size // gd.shape[1]
    ws = 1 if wd is None else wd
    gy = gd if wd is None else gd * wd.reshape(shape)
    sum_g, sum_gx = gd.sum(axis=axes), (gd * xhat).sum(axis=axes)
    return (gy - (sum_g * ws).reshape(shape) / n - xhat * (sum_gx * ws).reshape(shape) / n) * invstd.reshape(shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(64, 8, 4, 4), (6, 5, 7), (33, 9), (3, 4, 2, 3, 5)])
def test_batch_norm_input_grad_bit_for_bit(dtype, affine, shape):
    """Batch sizes that are not powers of two (33, 6, 3) make ``xhat * c / n`` and ``xhat * (c / n)``
    round differently: the two-buffer code keeps the first."""
    rng = np.random.default_rng(5)
    C = shape[1]
    x_np = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    w_np = rng.standard_normal(C).astype(dtype) if affine else None
    g_np = rng.standard_normal(shape).astype(dtype)
    _, xhat, invstd = norm_mod._bn_kernel(np, x_np, w_np, None, None, None, True, 0.1, 1e-5)
    x = tg.tensor(x_np, requires_grad=True)
    w = tg.tensor(w_np, requires_grad=True) if affine else None
    F.batch_norm(x, None, None, w, None, training=True).backward(tg.tensor(g_np))
    expected = _bn_input_grad_expression(g_np, xhat, invstd, w_np)
    assert x.grad.dtype == x.dtype
    assert np.array_equal(x.grad.numpy(), expected.astype(dtype))


# ------------------------------------------------------------------ result layouts (PyTorch's)
def test_conv1d_of_a_transposed_input_is_contiguous():
    """A (N, C, L) view of channels-innermost memory: PyTorch 2.13 returns a contiguous result,
    strides (16, 4, 1) and (28, 7, 1) (the 2-D view's channels-last layout must not leak out)."""
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 5, 3)).astype(np.float32)
    x = tg.tensor(a).transpose(1, 2)
    w = rng.standard_normal((4, 3, 2)).astype(np.float32)
    y = F.conv1d(x, tg.tensor(w))
    assert y.stride() == (16, 4, 1)
    expected = np.stack([np.einsum("ncl,oc->nol", a.transpose(0, 2, 1)[:, :, j:j + 4], w[:, :, j]) for j in range(2)]).sum(0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    x2 = tg.zeros(3, 7, 9).transpose(1, 2)
    assert F.conv1d(x2, tg.zeros(4, 9, 3), padding=1).stride() == (28, 7, 1)


def test_conv_transpose_layouts_follow_pytorch():
    """PyTorch 2.13: channels-last in, channels-last out, (648, 1, 72, 8) and with output_padding
    (800, 1, 80, 8); a 1-D transposed conv of a transposed input and an unbatched 2-D one are
    contiguous, (24, 6, 1) and (36, 6, 1)."""
    x = tg.zeros(20, 32, 5, 5).contiguous(memory_format=tg.channels_last)
    w = tg.zeros(32, 8, 3, 3)
    assert F.conv_transpose2d(x, w, stride=2, padding=1).stride() == (648, 1, 72, 8)
    assert F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).stride() == (800, 1, 80, 8)
    x1 = tg.zeros(2, 3, 5).transpose(1, 2).contiguous().transpose(1, 2)
    assert F.conv_transpose1d(x1, tg.zeros(3, 4, 2)).stride() == (24, 6, 1)
    assert F.conv_transpose2d(tg.zeros(3, 5, 5), tg.zeros(3, 2, 2, 2)).stride() == (36, 6, 1)
