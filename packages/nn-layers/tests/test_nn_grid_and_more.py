"""grid_sample / affine_grid against per-pixel NumPy loops; pdist, channel_shuffle, gumbel_softmax,
the *_with_indices pools, triplet_margin_with_distance_loss, the deprecated upsample_* and
nn.init aliases, RNNCellBase and avg_pool's argument checks. Finite differences in float64; the same
ops on every device (``tg_device``) agreeing with the CPU."""
import itertools
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck
from tensorgraft.testing import assert_close, assert_on_device
from tensorgraft.testing.oracle import seeded_normal

MODES = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


def grid_pts(*shape, seed=1, lim=1.3):
    return np.random.default_rng(seed).uniform(-lim, lim, shape)


# ------------------------------------------------------------------ a per-pixel reference
def _unnorm(c, n, align):
    return (c + 1) / 2 * (n - 1) if align else ((c + 1) * n - 1) / 2


def _pad(c, n, padding, align):
    if padding == "border":
        return min(max(c, 0), n - 1)
    if padding == "reflection":
        lo, hi = (0, 2 * (n - 1)) if align else (-1, 2 * n - 1)
        if lo == hi:
            return 0.0
        mn, span = lo / 2, (hi - lo) / 2
        c = abs(c - mn)
        flips, extra = math.floor(c / span), math.fmod(c, span)
        c = extra + mn if flips % 2 == 0 else span - extra + mn
        return min(max(c, 0), n - 1)
    return c


def _cubic_w(t):
    A = -0.75

    def k(x):
        x = abs(x)
        if x <= 1:
            return ((A + 2) * x - (A + 3)) * x * x + 1
        if x < 2:
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        return 0.0
    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


def ref_grid_sample(x, grid, mode, padding, align):
    """Loops over every output point (tiny inputs only)."""
    N, C = x.shape[:2]
    sizes = x.shape[2:]
    nd = len(sizes)
    out = np.zeros((N, C) + grid.shape[1:-1])

    def val(n, pos):
        if all(0 <= p < s for p, s in zip(pos, sizes)):
            return x[(n, slice(None)) + tuple(int(p) for p in pos)]
        return np.zeros(C)

    for n in range(N):
        for o in itertools.product(*(range(s) for s in grid.shape[1:-1])):
            g = grid[(n,) + o]
            cs = [_unnorm(g[nd - 1 - k], sizes[k], align) for k in range(nd)]  # spatial order
            if mode == "bicubic":
                fl = [math.floor(c) for c in cs]
                wy, wx = _cubic_w(cs[0] - fl[0]), _cubic_w(cs[1] - fl[1])
                acc = np.zeros(C)
                for i in range(4):
                    for j in range(4):
                        pos = [_pad(fl[0] - 1 + i, sizes[0], padding, align), _pad(fl[1] - 1 + j, sizes[1], padding,
                                                                                    align)]
                        acc += wy[i] * wx[j] * val(n, pos)
                out[(n, slice(None)) + o] = acc
                continue
            cs = [_pad(c, s, padding, align) for c, s in zip(cs, sizes)]
            if mode == "nearest":
                out[(n, slice(None)) + o] = val(n, [np.rint(c) for c in cs])
                continue
            acc = np.zeros(C)
            for corner in itertools.product((0, 1), repeat=nd):
                w = 1.0
                for c, b in zip(cs, corner):
                    f = c - math.floor(c)
                    w *= f if b else 1 - f
                acc += w * val(n, [math.floor(c) + b for c, b in zip(cs, corner)])
            out[(n, slice(None)) + o] = acc
    return out


@pytest.mark.parametrize("mode,padding,align", list(itertools.product(MODES, PADS, (False, True))))
def test_grid_sample_2d_matches_per_pixel_loops(mode, padding, align):
    x, g = seeded_normal(2, 2, 3, 4), grid_pts(2, 3, 2, 2)
    out = F.grid_sample(tg.tensor(x), tg.tensor(g), mode, padding, align)
    np.testing.assert_allclose(out.numpy(), ref_grid_sample(x, g, mode, padding, align), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,padding,align", list(itertools.product(MODES[:2], PADS, (False, True))))
def test_grid_sample_3d_matches_per_pixel_loops(mode, padding, align):
    x, g = seeded_normal(1, 2, 2, 3, 4), grid_pts(1, 2, 2, 2, 3)
    out = F.grid_sample(tg.tensor(x), tg.tensor(g), mode, padding, align)
    np.testing.assert_allclose(out.numpy(), ref_grid_sample(x, g, mode, padding, align), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,padding,align", list(itertools.product(["bilinear", "bicubic"], PADS, (False, True))))
def test_grid_sample_2d_gradcheck_input_and_grid(mode, padding, align):
    # points kept away from pixel edges and borders, where the coordinate's derivative jumps
    x = tg.tensor(seeded_normal(1, 2, 3, 4), requires_grad=True)
    g = tg.tensor(np.array([[[[-0.61, 0.27], [0.43, -0.18]], [[0.11, 0.52], [-0.33, -0.47]]]]), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, mode, padding, align), (x, g))


@pytest.mark.parametrize("padding,align", list(itertools.product(PADS, (False, True))))
def test_grid_sample_3d_gradcheck_input_and_grid(padding, align):
    x = tg.tensor(seeded_normal(1, 2, 2, 3, 3), requires_grad=True)
    g = tg.tensor(np.array([[[[[-0.61, 0.27, 0.13], [0.43, -0.18, -0.29]]]]]), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, "bilinear", padding, align), (x, g))


def test_grid_sample_nearest_gradients():
    x = tg.tensor(seeded_normal(1, 1, 3, 3), requires_grad=True)
    g = tg.tensor(np.array([[[[-1.0, -1.0], [0.9, 0.9]]]]), requires_grad=True)
    y = F.grid_sample(x, g, "nearest", align_corners=True)
    assert y.grad_fn.name() == "GridSampler2DBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0, 0], [0, 0, 0], [0, 0, 1]]]])


def test_grid_sample_grad_fn_names_and_warning():
    x = tg.randn(1, 1, 2, 2, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        y = F.grid_sample(x, tg.zeros(1, 1, 1, 1, 3))
    assert y.grad_fn.name() == "GridSampler3DBackward0"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, tg.zeros(1, 1, 1, 1, 3), align_corners=False)


# PyTorch 2.13's second and third derivatives (its GridSampler2DBackwardBackward0 is composite)
_GS_HIGHER = {
    "bilinear": ([0.0, 14.66681, 18.66465, 68.93424, 1.395645, 1.882395],
                 [145.07451, -36.426305, 122.133015, -99.96048],
                 [1108.9515, -741.06925, -12.882796875, -130.815]),
    "bicubic": ([-6.140221138676244, 43.72014057632727, 50.348799012439834, 63.116637680434614, 7.9160972322867424,
                 4.34807038836957],
                [477.95372359572855, -59.991773421945354, -116.4617941598983, -9.947473008297901],
                [7705.858385483083, -1890.0436342838498, -502.7062776540156, 378.27954185947124]),
}


@pytest.mark.parametrize("mode", sorted(_GS_HIGHER))
def test_grid_sample_second_and_third_derivatives(mode):
    x = tg.tensor([[[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]]], dtype=tg.float64, requires_grad=True)
    g = tg.tensor([[[[0.3, -0.4], [-0.8, 0.6]]]], dtype=tg.float64, requires_grad=True)
    y = F.grid_sample(x, g, mode=mode, align_corners=False)
    gx, gg = tg.autograd.grad(y.pow(2).sum(), (x, g), create_graph=True)
    assert gg.grad_fn.name() == "GridSampler2DBackwardBackward0"
    hx, hg = tg.autograd.grad(gg.pow(2).sum(), (x, g), create_graph=True)
    (k,) = tg.autograd.grad(hg.sum(), g)
    want_hx, want_hg, want_k = _GS_HIGHER[mode]
    np.testing.assert_allclose(hx.detach().numpy().ravel(), want_hx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hg.detach().numpy().ravel(), want_hg, rtol=1e-10)
    np.testing.assert_allclose(k.numpy().ravel(), want_k, rtol=1e-10)


def test_grid_sample_nearest_second_derivative_reaches_only_the_incoming_gradient():
    x = tg.randn(1, 1, 3, 3, dtype=tg.float64, requires_grad=True)
    g = tg.tensor(grid_pts(1, 2, 2, 2), requires_grad=True)
    w = tg.randn(1, 1, 2, 2, dtype=tg.float64, requires_grad=True)
    gx, gg = tg.autograd.grad((F.grid_sample(x, g, mode="nearest", align_corners=True) * w).sum(), (x, g),
                              create_graph=True)
    hx, hg, hw = tg.autograd.grad(gx.pow(2).sum(), (x, g, w), allow_unused=True)
    assert hx is None and hg is None
    # d/dw of sum(gx^2): gx scatters w to the sampled pixels, so the result is 2 * gx read back there
    np.testing.assert_allclose(hw.numpy(), F.grid_sample(2 * gx.detach(), g.detach(), mode="nearest",
                                                         align_corners=True).numpy())


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2), tg.zeros(1, 1, 1, 2), mode="foo"), ValueError, "expected mode"),
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2), tg.zeros(1, 1, 1, 2), padding_mode="x"), ValueError,
     "expected padding_mode"),
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2), tg.zeros(1, 1, 1, 3), align_corners=False), RuntimeError,
     "expected grid to have size 2 in last dimension"),
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2), tg.zeros(2, 1, 1, 2), align_corners=False), RuntimeError,
     "same batch size"),
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2, 2), tg.zeros(1, 1, 1, 1, 3), "bicubic", align_corners=False),
     RuntimeError, "bicubic interpolation only supports 4D input"),
    (lambda: F.grid_sample(tg.randn(1, 1, 2, 2), tg.zeros(1, 1, 1, 2, dtype=tg.float64), align_corners=False),
     RuntimeError, "expected scalar type Float but found Double"),
    (lambda: F.affine_grid(tg.zeros(1, 2, 3, dtype=tg.int64), (1, 1, 2, 2), False), ValueError, "floating point"),
    (lambda: F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 2, 2, 2), False), ValueError, "Nx3x4"),
    (lambda: F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 2), False), NotImplementedError, "only supports 4D and 5D"),
    (lambda: F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 0, 2), False), ValueError, "non-zero, positive"),
])
def test_grid_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def ref_affine_grid(theta, size, align):
    sp = size[2:]

    def lin(n):
        if n <= 1:
            return np.zeros(1)
        r = np.linspace(-1, 1, n)
        return r if align else r * (n - 1) / n
    axes = [lin(n) for n in sp]
    out = np.zeros((size[0],) + tuple(sp) + (len(sp),))
    for n in range(size[0]):
        for idx in itertools.product(*(range(s) for s in sp)):
            base = [axes[k][idx[k]] for k in range(len(sp))][::-1] + [1.0]
            out[(n,) + idx] = theta[n] @ np.array(base)
    return out


@pytest.mark.parametrize("size", [(2, 1, 3, 4), (2, 3, 1, 2, 3)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_values_and_gradcheck(size, align):
    nd = len(size) - 2
    th = seeded_normal(2, nd, nd + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size grid warning of the 3-D case
        out = F.affine_grid(tg.tensor(th), size, align)
        np.testing.assert_allclose(out.numpy(), ref_affine_grid(th, size, align), rtol=1e-12, atol=1e-12)
        t = tg.tensor(th, requires_grad=True)
        assert F.affine_grid(t, size, align).grad_fn.name() == "AffineGridGeneratorBackward0"
        assert gradcheck(lambda v: F.affine_grid(v, size, align), (t,))


def test_spatial_transformer_end_to_end_gradcheck():
    x = tg.tensor(seeded_normal(1, 1, 4, 4), requires_grad=True)
    th = tg.tensor(np.array([[[0.9, 0.12, 0.05], [-0.08, 1.1, 0.1]]]), requires_grad=True)
    f = lambda a, t: F.grid_sample(a, F.affine_grid(t, (1, 1, 3, 3), False), align_corners=False)  # noqa: E731
    assert gradcheck(f, (x, th))


# ------------------------------------------------------------------ pdist, channel_shuffle
@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist_values_and_gradients(p):
    x = seeded_normal(5, 3)
    ref = np.array([np.linalg.norm(x[i] - x[j], ord=p) for i in range(5) for j in range(i + 1, 5)])
    t = tg.tensor(x, requires_grad=True)
    out = F.pdist(t, p)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    assert out.grad_fn.name() == "PdistBackward0"
    if p not in (0, math.inf):
        assert gradcheck(lambda v: F.pdist(v, p), (t,))


def test_pdist_equal_rows_have_zero_gradient_and_errors():
    t = tg.zeros(3, 2, requires_grad=True)
    F.pdist(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros((3, 2)))
    assert F.pdist(tg.randn(1, 3)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(tg.randn(2, 2, 2))
    with pytest.raises(RuntimeError, match="non-negative p"):
        F.pdist(tg.randn(2, 2), -1)
    with pytest.raises(RuntimeError, match="floating-point"):
        F.pdist(tg.zeros(2, 2, dtype=tg.int64))


def test_channel_shuffle_and_module():
    x = seeded_normal(2, 6, 2, 3)
    ref = x.reshape(2, 3, 2, 2, 3).transpose(0, 2, 1, 3, 4).reshape(2, 6, 2, 3)
    t = tg.tensor(x, requires_grad=True)
    y = nn.ChannelShuffle(3)(t)
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    assert y.grad_fn.name() == "ChannelShuffleBackward0" and repr(nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    assert gradcheck(lambda v: F.channel_shuffle(v, 3), (t,))
    with pytest.raises(RuntimeError, match="divisible by groups. Got 6 channels and 4 groups"):
        F.channel_shuffle(t, 4)
    with pytest.raises(RuntimeError, match="must be positive. Value of groups:0"):
        F.channel_shuffle(t, 0)
    with pytest.raises(RuntimeError, match=r"expects input with > 2 dims, but got input with sizes \[2, 6\]"):
        F.channel_shuffle(tg.randn(2, 6), 2)


# ------------------------------------------------------------------ small functional additions
def test_gumbel_softmax_soft_hard_and_generator():
    logits = tg.randn(4, 5, requires_grad=True)
    tg.manual_seed(3)
    a = F.gumbel_softmax(logits, tau=0.5)
    tg.manual_seed(3)
    b = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(a.sum(-1).detach().numpy(), np.ones(4), rtol=1e-6)
    h = F.gumbel_softmax(logits, hard=True, dim=0)
    assert set(np.unique(h.detach().numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(h.sum(0).detach().numpy(), np.ones(5))
    h.sum().backward()
    assert logits.grad is not None
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


def test_with_indices_pools_return_both():
    x = tg.tensor(seeded_normal(1, 2, 4, 4, 4))
    for f, a, ref in [(F.max_pool1d_with_indices, x[0, :, 0], F.max_pool1d), (F.max_pool2d_with_indices, x[0], F.max_pool2d),
                      (F.max_pool3d_with_indices, x, F.max_pool3d)]:
        out, idx = f(a, 2)
        r_out, r_idx = ref(a, 2, return_indices=True)
        np.testing.assert_array_equal(out.numpy(), r_out.numpy())
        np.testing.assert_array_equal(idx.numpy(), r_idx.numpy())
    for f, a in [(F.adaptive_max_pool1d_with_indices, x[0, :, 0]), (F.adaptive_max_pool2d_with_indices, x[0]),
                 (F.adaptive_max_pool3d_with_indices, x)]:
        out, idx = f(a, 3)
        assert idx.dtype == tg.int64 and out.shape == idx.shape


def test_triplet_margin_with_distance_loss():
    a, p, n = (tg.tensor(seeded_normal(4, 3, seed=s), requires_grad=True) for s in range(3))
    ref = F.triplet_margin_loss(a, p, n, margin=0.7, swap=True, reduction="none")
    out = F.triplet_margin_with_distance_loss(a, p, n, margin=0.7, swap=True, reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    assert gradcheck(lambda u, v, w: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(p=1.0), margin=2.0)(u, v, w), (a, p, n))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(a, p, n, margin=0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got -1 instead"):
        nn.TripletMarginWithDistanceLoss(margin=-1)


def test_deprecated_upsample_and_init_aliases():
    x = tg.tensor(seeded_normal(1, 1, 2, 3))
    with pytest.warns(UserWarning, match="`nn.functional.upsample_nearest` is deprecated"):
        y = F.upsample_nearest(x, scale_factor=2)
    np.testing.assert_array_equal(y.numpy(), F.interpolate(x, scale_factor=2).numpy())
    with pytest.warns(UserWarning, match="`nn.functional.upsample_bilinear` is deprecated"):
        y = F.upsample_bilinear(x, size=(3, 4))
    np.testing.assert_array_equal(y.numpy(), F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=True).numpy())
    for name in ("eye", "dirac", "sparse"):
        assert hasattr(nn.init, name)
    with pytest.warns(FutureWarning, match="`nn.init.eye` is now deprecated in favor of `nn.init.eye_`."):
        w = nn.init.eye(tg.empty(2, 3))
    np.testing.assert_array_equal(w.numpy(), np.eye(2, 3))


def test_rnn_cell_base_is_the_cells_base():
    for c in (nn.RNNCell, nn.LSTMCell, nn.GRUCell):
        assert c.__mro__[1] is nn.RNNCellBase
    m = nn.RNNCellBase(3, 4, True, 2)
    assert repr(m) == "RNNCellBase(3, 4)" and m.weight_ih.shape == (8, 3) and m.bias_hh.shape == (8,)
    assert repr(nn.RNNCellBase(3, 4, False, 1)) == "RNNCellBase(3, 4, bias=False)"


# ------------------------------------------------------------------ avg_pool argument checks
@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.avg_pool1d(tg.randn(1, 2, 3), 5), RuntimeError,
     r"Given input size: \(2x1x3\). Calculated output size: \(2x1x0\). Output size is too small"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), 5), RuntimeError,
     r"Given input size: \(2x3x3\). Calculated output size: \(2x0x0\). Output size is too small"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.avg_pool1d(tg.randn(1, 2, 3), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.avg_pool1d(tg.randn(1, 2, 3), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), 2, padding=-1), RuntimeError, "pad must be non-negative"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), 2, stride=-1), RuntimeError,
     "stride should be greater than zero, but got dH: -1 dW: -1"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), (0, 1), stride=1), RuntimeError,
     "kernel size should be greater than zero, but got kH: 0 kW: 1"),
    (lambda: F.avg_pool2d(tg.zeros(1, 2, 3, 3, dtype=tg.int32), 2), NotImplementedError,
     "\"avg_pool2d\" not implemented for 'Int'"),
    (lambda: F.avg_pool1d(tg.zeros(1, 2, 3, dtype=tg.uint8), 2), NotImplementedError,
     "\"avg_pool2d\" not implemented for 'Byte'"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 3, 3), (2, 2, 2)), RuntimeError,
     "kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.avg_pool1d(tg.randn(3), 1), RuntimeError, "Expected 2 to 3 dimensions, but got 1-dimensional"),
    (lambda: F.avg_pool2d(tg.randn(1, 2, 0, 3), 1), RuntimeError,
     r"Expected 3D or 4D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[1, 2, 0, 3\]"),
])
def test_avg_pool_argument_checks(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_avg_pool_of_long_truncates():
    x = tg.tensor([[[-7, 2, 5, 9, -3]]])
    assert F.avg_pool1d(x, 2, padding=1).tolist() == [[[-3, 3, 3]]]


# ------------------------------------------------------------------ on every device
@pytest.mark.parametrize("mode,padding", [("bilinear", "zeros"), ("bilinear", "reflection"), ("nearest", "border"),
                                          ("bicubic", "reflection"), ("bicubic", "zeros")])
@pytest.mark.parametrize("rank", [2, 3])
def test_grid_sample_on_device_matches_cpu(tg_device, mode, padding, rank):
    if rank == 3 and mode == "bicubic":
        pytest.skip("bicubic is 4-D only")
    xs = (2, 3, 4, 5) if rank == 2 else (2, 3, 3, 4, 5)
    x = seeded_normal(*xs).astype(np.float32)
    g = grid_pts(*((2, 3, 2) + (2,) * (rank == 3) + (rank,))).astype(np.float32)
    go = seeded_normal(*(xs[:2] + g.shape[1:-1]), seed=5).astype(np.float32)
    res = []
    for dev in ("cpu", tg_device):
        a = tg.tensor(x, device=dev, requires_grad=True)
        b = tg.tensor(g, device=dev, requires_grad=True)
        y = F.grid_sample(a, b, mode, padding, align_corners=False)
        y.backward(tg.tensor(go, device=dev))
        res.append((y, a.grad, b.grad))
    for ours, cpu in zip(res[1], res[0]):
        assert_on_device(ours, tg_device)
        assert_close(ours.cpu(), cpu, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_second_derivative_on_device_matches_cpu(tg_device, mode):
    x = seeded_normal(1, 2, 3, 4)
    g = grid_pts(1, 2, 3, 2)
    res = []
    for dev in ("cpu", tg_device):
        a = tg.tensor(x, device=dev, requires_grad=True)
        b = tg.tensor(g, device=dev, requires_grad=True)
        ga, gb = tg.autograd.grad(F.grid_sample(a, b, mode, align_corners=True).pow(2).sum(), (a, b),
                                  create_graph=True)
        res.append(tg.autograd.grad(ga.pow(2).sum() + gb.pow(2).sum(), (a, b)))
    for ours, cpu in zip(res[1], res[0]):
        assert_on_device(ours, tg_device)
        assert_close(ours.cpu(), cpu, rtol=1e-9, atol=1e-10)


def test_affine_grid_pdist_shuffle_gumbel_on_device(tg_device):
    th = seeded_normal(2, 2, 3).astype(np.float32)
    x = seeded_normal(5, 3).astype(np.float32)
    c = seeded_normal(2, 6, 2).astype(np.float32)
    outs = []
    for dev in ("cpu", tg_device):
        t = tg.tensor(th, device=dev, requires_grad=True)
        r = tg.tensor(x, device=dev, requires_grad=True)
        s = tg.tensor(c, device=dev, requires_grad=True)
        ys = [F.affine_grid(t, (2, 1, 3, 4), False), F.pdist(r), F.pdist(r, 1.5), F.channel_shuffle(s, 2)]
        sum(y.sum() for y in ys).backward()
        outs.append(ys + [t.grad, r.grad, s.grad])
    for ours, cpu in zip(outs[1], outs[0]):
        assert_on_device(ours, tg_device)
        assert_close(ours.cpu(), cpu, rtol=1e-4, atol=1e-5)
    g = F.gumbel_softmax(tg.zeros(3, 4, device=tg_device), hard=True)
    assert_on_device(g, tg_device)
