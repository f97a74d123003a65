"""rrelu (training), local_response_norm, instance_norm's running statistics, alpha dropout with
p=1, feature_alpha_dropout, interpolate's bicubic/antialiased/lanczos modes and norm(p='nuc'),
checked against NumPy references written out loop by loop (no PyTorch needed; the oracle twins
are in test_nn_stubs_filled_oracle.py)."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing.oracle import seeded_normal


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ====================================================================== rrelu
def test_rrelu_eval_is_leaky_relu_with_the_mean_slope():
    x = seeded_normal(4, 5)
    y = F.rrelu(t64(x, False), 0.1, 0.3, training=False)
    np.testing.assert_allclose(y.numpy(), np.where(x > 0, x, 0.2 * x))
    xt = t64(x)
    F.rrelu(xt, 0.1, 0.3).sum().backward()     # training=False is the default
    np.testing.assert_allclose(xt.grad.numpy(), np.where(x > 0, 1.0, 0.2))


def test_rrelu_training_draws_one_slope_per_non_positive_element():
    x = seeded_normal(40, 50, seed=1)
    x[0, :4] = 0.0
    xt = t64(x)
    y = F.rrelu(xt, 0.2, 0.4, training=True)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.sum().backward()
    slope = xt.grad.numpy()
    neg = x <= 0
    assert np.all(slope[~neg] == 1.0)
    assert np.all((slope[neg] >= 0.2) & (slope[neg] <= 0.4))
    assert len(np.unique(slope[neg])) == neg.sum()          # independent draws
    assert abs(slope[neg].mean() - 0.3) < 0.01
    np.testing.assert_allclose(y.detach().numpy(), x * slope)
    assert np.all(y.detach().numpy()[0, :4] == 0)


def test_rrelu_training_follows_the_seed():
    x = t64(seeded_normal(6, 7), False)
    tg.manual_seed(3)
    a = F.rrelu(x, training=True)
    tg.manual_seed(3)
    b = F.rrelu(x, training=True)
    c = F.rrelu(x, training=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(b.numpy(), c.numpy())


def test_rrelu_narrow_range_uses_the_mean_slope_gradient():
    x = seeded_normal(5)
    xt = t64(x)
    F.rrelu(xt, 0.25, 0.25, training=True).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), np.where(x > 0, 1.0, 0.25))


def test_rrelu_inplace_and_rrelu_():
    x = seeded_normal(3, 4, seed=2)
    a = t64(x)
    b = a * 1
    out = F.rrelu_(b, 0.1, 0.3, training=True)
    assert out is b and b.grad_fn.name() == "RreluWithNoiseBackward1"
    b.sum().backward()
    np.testing.assert_allclose(b.detach().numpy(), x * a.grad.numpy())
    c = t64(x, False)
    F.rrelu(c, 0.1, 0.3, False, True)
    np.testing.assert_allclose(c.numpy(), np.where(x > 0, x, 0.2 * x))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.rrelu(t64(x), inplace=True)


def test_rrelu_gradcheck_and_gradgradcheck():
    x = t64(seeded_normal(6, seed=3) + 0.05)
    assert gradcheck(lambda v: F.rrelu(v, 0.1, 0.3), (x,))
    assert gradgradcheck(lambda v: F.rrelu(v, 0.1, 0.3), (x,))

    def seeded(v):   # the same draws each call, so finite differences see a fixed slope
        tg.manual_seed(5)
        return F.rrelu(v, 0.1, 0.3, training=True)
    assert gradcheck(seeded, (x,))
    assert gradgradcheck(seeded, (x,))


def test_rrelu_errors():
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(t64(seeded_normal(3), False), 0.5, 0.1, training=True)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(t64(seeded_normal(3), False), 0.5, 0.1)
    with pytest.raises(NotImplementedError, match="\"rrelu_with_noise_out_cpu\" not implemented for 'Long'"):
        F.rrelu(tg.arange(3), training=True)
    with pytest.raises(TypeError, match=r"rrelu\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        F.rrelu([1.0])


def test_rrelu_module():
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.RReLU(0.1, 0.3, inplace=True)) == "RReLU(lower=0.1, upper=0.3, inplace=True)"
    m = nn.RReLU(0.1, 0.3)
    x = seeded_normal(20, 20, seed=4)
    y = m(t64(x, False)).numpy()
    ratio = y[x < 0] / x[x < 0]
    assert ratio.min() >= 0.1 and ratio.max() <= 0.3 and ratio.std() > 0.03
    m.eval()
    np.testing.assert_allclose(m(t64(x, False)).numpy(), np.where(x > 0, x, 0.2 * x))


# ====================================================================== local_response_norm
def lrn_reference(x, size, alpha, beta, k):
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        lo, hi = c - size // 2, c + (size - 1) // 2
        s = sum(x[:, j] ** 2 for j in range(max(lo, 0), min(hi, C - 1) + 1))
        out[:, c] = x[:, c] / (k + alpha * s / size) ** beta
    return out


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 4), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_local_response_norm_matches_reference(shape, size):
    x = seeded_normal(*shape, seed=size)
    y = F.local_response_norm(t64(x, False), size, alpha=0.3, beta=0.6, k=1.5)
    np.testing.assert_allclose(y.numpy(), lrn_reference(x, size, 0.3, 0.6, 1.5), rtol=1e-12, atol=1e-12)
    y32 = F.local_response_norm(tg.tensor(x.astype(np.float32)), size, alpha=0.3, beta=0.6, k=1.5)
    assert y32.dtype == tg.float32
    np.testing.assert_allclose(y32.numpy(), lrn_reference(x, size, 0.3, 0.6, 1.5), rtol=1e-5, atol=1e-6)


def test_local_response_norm_defaults_gradients_and_module():
    x = seeded_normal(2, 4, 3)
    y = F.local_response_norm(t64(x, False), 2)
    np.testing.assert_allclose(y.numpy(), lrn_reference(x, 2, 1e-4, 0.75, 1.0))
    assert gradcheck(lambda v: F.local_response_norm(v, 3, 0.5, 0.75, 1.0), (t64(seeded_normal(2, 4, 3)),))
    assert gradgradcheck(lambda v: F.local_response_norm(v, 2, 0.5, 0.75, 1.0), (t64(seeded_normal(1, 3, 2)),))
    xt = t64(x)
    out = nn.LocalResponseNorm(3, alpha=0.2)(xt)
    assert out.grad_fn.name() == "DivBackward0"
    np.testing.assert_allclose(out.detach().numpy(), lrn_reference(x, 3, 0.2, 0.75, 1.0))
    assert repr(nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    assert repr(nn.LocalResponseNorm(3, 1e-3, 0.5, 2.0)) == "LocalResponseNorm(3, alpha=0.001, beta=0.5, k=2.0)"


def test_local_response_norm_errors_and_empty_input():
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality\s+input \(got 2 dimensions\)"):
        F.local_response_norm(tg.ones(2, 3), 2)
    e = tg.ones(0, 3, 4)
    assert F.local_response_norm(e, 2) is e


# ====================================================================== instance norm: running statistics
def test_instance_norm_updates_running_stats_like_aten():
    x = seeded_normal(3, 4, 6, seed=1) * 2 + 1
    rm, rv = np.linspace(-1, 1, 4), np.linspace(0.5, 2, 4)
    trm, trv = t64(rm, False), t64(rv, False)
    v0 = trm._version
    y = F.instance_norm(t64(x, False), trm, trv, momentum=0.2, eps=1e-5)
    mean = x.mean(2)
    var_b = x.var(2)
    np.testing.assert_allclose(y.numpy(), (x - mean[..., None]) / np.sqrt(var_b[..., None] + 1e-5), atol=1e-12)
    np.testing.assert_allclose(trm.numpy(), 0.8 * rm + 0.2 * mean.mean(0))
    np.testing.assert_allclose(trv.numpy(), 0.8 * rv + 0.2 * x.var(2, ddof=1).mean(0))
    assert trm._version > v0


def test_instance_norm_with_running_stats_in_eval():
    x = seeded_normal(2, 3, 5, 2, seed=2)
    rm, rv = np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0])
    w, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, 0.1, -0.3])
    trm, trv = t64(rm, False), t64(rv, False)
    y = F.instance_norm(t64(x, False), trm, trv, t64(w, False), t64(b, False), use_input_stats=False)
    ref = (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5) * w[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(trm.numpy(), rm)   # the per-sample copies averaged back: unchanged
    assert gradcheck(lambda v, wt: F.instance_norm(v, trm, trv, wt, None, use_input_stats=False),
                     (t64(x), t64(w)))


def test_instance_norm_gradients_and_errors():
    x, w, b = t64(seeded_normal(2, 3, 4)), t64(seeded_normal(3, seed=1)), t64(seeded_normal(3, seed=2))
    assert gradcheck(lambda v, wt, bt: F.instance_norm(v, None, None, wt, bt), (x, w, b))
    assert gradgradcheck(lambda v, wt: F.instance_norm(v, weight=wt),
                         (t64(seeded_normal(2, 2, 3)), t64(seeded_normal(2, seed=3))))
    assert F.instance_norm(x).grad_fn.name() == "ViewBackward0"
    with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be defined when "
                                           "use_input_stats is false"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when training, got input size "):
        F.instance_norm(tg.ones(2, 3, 1))
    with pytest.raises(RuntimeError, match="running_mean should contain 8 elements not 6"):
        F.instance_norm(tg.ones(2, 4, 5), tg.zeros(3), tg.ones(3))


@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (2, 4, 3, 5)),
                                        ("InstanceNorm3d", (2, 4, 2, 3, 2)), ("InstanceNorm2d", (4, 3, 5))])
def test_instance_norm_modules_track_running_stats(cls, shape):
    m = getattr(nn, cls)(4, momentum=0.3, track_running_stats=True)
    batched = len(shape) == m._get_no_batch_dim() + 1
    xs = [seeded_normal(*shape, seed=s) * 1.5 + 0.5 for s in range(3)]
    rm, rv = np.zeros(4), np.ones(4)
    for x in xs:
        m(tg.tensor(x))
        xb = x if batched else x[None]
        flat = xb.reshape(xb.shape[0], 4, -1)
        rm = 0.7 * rm + 0.3 * flat.mean(2).mean(0)
        rv = 0.7 * rv + 0.3 * flat.var(2, ddof=1).mean(0)
    np.testing.assert_allclose(m.running_mean.numpy(), rm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.running_var.numpy(), rv, rtol=1e-5, atol=1e-6)
    assert m.num_batches_tracked.item() == 0      # as PyTorch: instance norm never counts batches
    m.eval()
    x = xs[0].astype(np.float32)
    shape_c = (4,) + (1,) * (len(shape) - (2 if batched else 1))
    ref = (x - rm.reshape(shape_c)) / np.sqrt(rv.reshape(shape_c) + 1e-5)
    np.testing.assert_allclose(m(tg.tensor(x)).numpy(), ref, rtol=1e-4, atol=1e-5)


def test_instance_norm3d_repr_and_dims():
    assert repr(nn.InstanceNorm3d(3)) == ("InstanceNorm3d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                                          "track_running_stats=False)")
    with pytest.raises(ValueError, match=r"expected 4D or 5D input \(got 3D input\)"):
        nn.InstanceNorm3d(3)(tg.ones(3, 4, 5))


# ====================================================================== alpha dropout
@pytest.mark.parametrize("fn", [F.alpha_dropout, F.feature_alpha_dropout])
def test_alpha_dropout_p1_is_input_times_zero(fn):
    x = t64(seeded_normal(2, 3, 4))
    y = fn(x, 1.0, True)
    assert y.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(y.detach().numpy(), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    z = x.detach().clone()
    assert fn(z, 1.0, True, inplace=True) is z and np.all(z.numpy() == 0)
    assert fn(x, 1.0, False) is x and fn(x, 0.0, True) is x


def test_feature_alpha_dropout_drops_whole_channels():
    p = 0.4
    x_np = np.random.default_rng(1).uniform(0.5, 1.5, (30, 20, 3, 3))
    tg.manual_seed(0)
    y = F.feature_alpha_dropout(tg.tensor(x_np), p, True).numpy()
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    kept = np.isclose(y, a * x_np - a * alpha_p * p)
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * p)
    assert np.all(kept | dropped)
    assert np.all(kept.all((2, 3)) | dropped.all((2, 3))), "a channel was partly dropped"
    assert 0.5 < kept.all((2, 3)).mean() < 0.7
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(tg.ones(5), 0.5, True)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.feature_alpha_dropout(tg.ones(2, 5), 1.5, True)


def test_alpha_dropout_inplace_writes_the_input():
    x = tg.tensor(np.random.default_rng(2).uniform(0.5, 1.5, (50, 40)))
    before = x.numpy().copy()
    out = F.alpha_dropout(x, 0.3, True, inplace=True)
    assert out is x and not np.array_equal(x.numpy(), before)


# ====================================================================== interpolate: bicubic, antialias, lanczos
def _cubic_w(t, a=-0.75):
    def k(d):
        d = abs(d)
        if d <= 1:
            return ((a + 2) * d - (a + 3)) * d * d + 1
        if d < 2:
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
        return 0.0
    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


def bicubic_reference(x, out_hw, align_corners, scales=(None, None)):
    """Loop over output pixels: four taps per axis at floor(src) - 1 .. + 2, clamped to the border."""
    N, C, H, W = x.shape
    Ho, Wo = out_hw

    def src(i, n_in, n_out, s):
        if align_corners:
            return i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        step = 1.0 / s if s else n_in / n_out
        return (i + 0.5) * step - 0.5

    out = np.zeros((N, C, Ho, Wo))
    for oy in range(Ho):
        sy = src(oy, H, Ho, scales[0])
        y0 = math.floor(sy)
        wy = _cubic_w(sy - y0)
        for ox in range(Wo):
            sx = src(ox, W, Wo, scales[1])
            x0 = math.floor(sx)
            wx = _cubic_w(sx - x0)
            for i in range(4):
                for j in range(4):
                    yy = min(max(y0 - 1 + i, 0), H - 1)
                    xx = min(max(x0 - 1 + j, 0), W - 1)
                    out[:, :, oy, ox] += wy[i] * wx[j] * x[:, :, yy, xx]
    return out


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("in_hw, kw", [((4, 5), {"size": (7, 9)}), ((6, 7), {"size": (3, 4)}),
                                       ((4, 5), {"scale_factor": (2.3, 1.7)}), ((5, 6), {"scale_factor": 0.6}),
                                       ((1, 3), {"size": (4, 1)}), ((3, 4), {"scale_factor": 2})])
def test_bicubic_matches_reference(in_hw, kw, align_corners):
    x = seeded_normal(2, 3, *in_hw)
    y = F.interpolate(t64(x, False), mode="bicubic", align_corners=align_corners, **kw)
    sf = kw.get("scale_factor")
    scales = (None, None) if sf is None else ((sf, sf) if not isinstance(sf, tuple) else sf)
    ref = bicubic_reference(x, tuple(y.shape[2:]), align_corners, scales)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-12)
    y32 = F.interpolate(tg.tensor(x.astype(np.float32)), mode="bicubic", align_corners=align_corners, **kw)
    assert y32.dtype == tg.float32
    np.testing.assert_allclose(y32.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_bicubic_recompute_scale_factor_uses_the_integer_size():
    x = seeded_normal(1, 2, 4, 5)
    y = F.interpolate(t64(x, False), scale_factor=1.7, mode="bicubic", recompute_scale_factor=True)
    np.testing.assert_allclose(y.numpy(), bicubic_reference(x, (6, 8), False), rtol=1e-10, atol=1e-12)


def test_bicubic_gradients():
    fn = lambda v: F.interpolate(v, scale_factor=(1.5, 2.2), mode="bicubic")  # noqa: E731
    x = t64(seeded_normal(1, 2, 3, 4))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    y = fn(x)
    assert y.grad_fn.name() == "UpsampleBicubic2DBackward0"
    gy = t64(np.ones(tuple(y.shape)))
    g, = tg.autograd.grad(y, x, gy, create_graph=True)
    assert g.grad_fn.name() == "UpsampleBicubic2DBackwardBackward0"
    assert gradcheck(lambda v: F.interpolate(v, size=(5, 2), mode="bicubic", align_corners=True), (x,))


def _pil_weights(n_in, n_out, filt, support_taps, scale=None):
    s = 1.0 / scale if scale else n_in / n_out
    support = support_taps / 2 * max(s, 1.0)
    inv = 1.0 / s if s >= 1 else 1.0
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        c = s * (i + 0.5)
        lo, hi = max(int(c - support + 0.5), 0), min(int(c + support + 0.5), n_in)
        w = np.array([filt((j - c + 0.5) * inv) for j in range(lo, hi)])
        m[i, lo:hi] = w / w.sum()
    return m


def _tri(d):
    return max(0.0, 1 - abs(d))


def _keys(d, a=-0.5):
    d = abs(d)
    return _cubic_w(0, a)[1] if d == 0 else (_cubic_w(d, a)[1] if d < 1 else (_cubic_w(d - 1, a)[0] if d < 2 else 0))


def _lanczos3(d):
    if not -3 <= d < 3:
        return 0.0
    sinc = lambda v: 1.0 if v == 0 else math.sin(math.pi * v) / (math.pi * v)  # noqa: E731
    return sinc(d) * sinc(d / 3)


@pytest.mark.parametrize("mode, filt, taps", [("bilinear", _tri, 2), ("bicubic", _keys, 4),
                                              ("lanczos", _lanczos3, 6)])
@pytest.mark.parametrize("in_hw, out_hw", [((9, 8), (4, 3)), ((4, 5), (7, 9)), ((10, 6), (3, 6))])
def test_antialias_matches_pil_style_reference(mode, filt, taps, in_hw, out_hw):
    x = seeded_normal(2, 2, *in_hw)
    y = F.interpolate(t64(x, False), size=out_hw, mode=mode, antialias=True)
    mh = _pil_weights(in_hw[0], out_hw[0], filt, taps)
    mw = np.eye(in_hw[1]) if in_hw[1] == out_hw[1] else _pil_weights(in_hw[1], out_hw[1], filt, taps)
    np.testing.assert_allclose(y.numpy(), np.einsum("oh,nchw,pw->ncop", mh, x, mw), rtol=1e-10, atol=1e-12)
    name = {"bilinear": "Bilinear", "bicubic": "Bicubic", "lanczos": "Lanczos"}[mode]
    xt = t64(seeded_normal(1, 1, 5, 6))
    out = F.interpolate(xt, size=(3, 4), mode=mode, antialias=True)
    assert out.grad_fn.name() == f"Upsample{name}2DAaBackward0"
    assert gradcheck(lambda v: F.interpolate(v, size=(3, 8), mode=mode, antialias=True), (xt,))


def test_interpolate_grad_fn_names_follow_the_mode():
    x3, x4, x5 = t64(seeded_normal(1, 1, 4)), t64(seeded_normal(1, 1, 4, 4)), t64(seeded_normal(1, 1, 2, 3, 4))
    cases = [(x3, "nearest", "UpsampleNearest1DBackward0"), (x4, "nearest", "UpsampleNearest2DBackward0"),
             (x5, "nearest-exact", "UpsampleNearestExact3DBackward0"), (x3, "linear", "UpsampleLinear1DBackward0"),
             (x4, "bilinear", "UpsampleBilinear2DBackward0"), (x5, "trilinear", "UpsampleTrilinear3DBackward0"),
             (x5, "area", "AdaptiveAvgPool3DBackward0")]
    for x, mode, name in cases:
        assert F.interpolate(x, scale_factor=2, mode=mode).grad_fn.name() == name


def test_area_5d_is_adaptive_average_pooling():
    x = seeded_normal(1, 2, 4, 6, 5)
    y = F.interpolate(t64(x, False), size=(2, 4, 3), mode="area").numpy()
    ref = np.zeros((1, 2, 2, 4, 3))
    for i in range(2):
        for j in range(4):
            for k in range(3):
                d0, d1 = (i * 4) // 2, -(-((i + 1) * 4) // 2)
                h0, h1 = (j * 6) // 4, -(-((j + 1) * 6) // 4)
                w0, w1 = (k * 5) // 3, -(-((k + 1) * 5) // 3)
                ref[:, :, i, j, k] = x[:, :, d0:d1, h0:h1, w0:w1].mean((2, 3, 4))
    np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_interpolate_mode_errors():
    with pytest.raises(NotImplementedError, match=r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 3D\)"
                                                  r".*\(got bicubic\)"):
        F.interpolate(tg.ones(1, 1, 4), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="Lanczos mode requires antialias=True"):
        F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=2, mode="lanczos")
    with pytest.raises(ValueError, match="Lanczos mode does not support align_corners=True"):
        F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=2, mode="lanczos", antialias=True, align_corners=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"):
        F.interpolate(tg.ones(1, 1, 4), scale_factor=2, mode="linear", antialias=True)
    with pytest.raises(RuntimeError, match=r"Input and output sizes should be greater than 0, but got input "
                                           r"\(H: 5, W: 4\) output \(H: 2, W: 0\)"):
        F.interpolate(tg.ones(1, 1, 5, 4), size=(2, 0), mode="bicubic")
    with pytest.raises(RuntimeError, match=r"input \(W: 5\) and output \(W: 0\)"):
        F.interpolate(tg.ones(1, 1, 5), size=0)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.interpolate(tg.ones(1, 1, 3, 3, dtype=tg.int64), size=(4, 4), mode="bicubic")


def test_interpolate_uint8_and_half():
    x = np.random.default_rng(0).integers(0, 256, (1, 2, 4, 5)).astype(np.uint8)
    y = F.interpolate(tg.tensor(x), size=(7, 6), mode="bicubic")
    assert y.dtype == tg.uint8
    ref = np.clip(np.rint(bicubic_reference(x.astype(np.float64), (7, 6), False)), 0, 255)
    # PyTorch resamples uint8 in fixed point, clamping between its two passes: up to 4 from the
    # rounded float result here (test_interpolate_uint8_exact.py pins its values)
    assert np.abs(y.numpy().astype(int) - ref).max() <= 4
    assert F.interpolate(tg.tensor(x), scale_factor=2).dtype == tg.uint8
    h = F.interpolate(tg.tensor(x.astype(np.float16)), size=(7, 6), mode="bilinear")
    assert h.dtype == tg.float16


# ====================================================================== norm(p='nuc')
def test_nuclear_norm_matches_numpy():
    a = seeded_normal(3, 4, seed=1)
    np.testing.assert_allclose(tg.norm(t64(a, False), "nuc").item(), np.linalg.norm(a, "nuc"))
    np.testing.assert_allclose(t64(a, False).norm(p="nuc").item(), np.linalg.norm(a, "nuc"))
    b = seeded_normal(2, 3, 4, seed=2)
    ref = np.array([np.linalg.norm(b[:, i, :], "nuc") for i in range(3)])
    np.testing.assert_allclose(tg.norm(t64(b, False), "nuc", dim=(0, 2)).numpy(), ref)
    out = t64(b, False).norm(p="nuc", dim=(2, 0), keepdim=True)
    assert tuple(out.shape) == (1, 3, 1)
    np.testing.assert_allclose(out.numpy().ravel(), ref)
    ref12 = np.array([np.linalg.norm(b[i], "nuc") for i in range(2)])
    np.testing.assert_allclose(tg.norm(t64(b, False), p="nuc", dim=[-1, -2]).numpy(), ref12)


def test_nuclear_norm_gradient_is_u_vt():
    a = seeded_normal(3, 4, seed=3)
    x = t64(a)
    r = tg.norm(x, "nuc")
    assert r.grad_fn.name() == "SumBackward1"
    r.backward()
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(x.grad.numpy(), u @ vt, atol=1e-10)


def test_nuclear_norm_errors():
    b = t64(seeded_normal(2, 3, 4), False)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        tg.norm(b, "nuc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 1"):
        tg.norm(b, "nuc", dim=1)
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: dims must be different. Got \(1, 1\)"):
        tg.norm(b, "nuc", dim=(1, 1))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order abc not supported."):
        tg.norm(b, "abc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: The input tensor A must have at least 2 dimensions."):
        tg.norm(t64(seeded_normal(4), False), "nuc")
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        tg.norm(tg.arange(6).reshape(2, 3), "nuc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        tg.norm(b, "fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        tg.norm(tg.arange(6).reshape(2, 3), "nuc", dtype=tg.float64)   # dtype= does not excuse it, as PyTorch
    np.testing.assert_allclose(tg.norm(tg.arange(6.0).reshape(2, 3), "nuc", dtype=tg.float64).item(),
                               np.linalg.norm(np.arange(6.0).reshape(2, 3), "nuc"))


# ====================================================================== on every device
_on = assert_on_device  # the result lives on the device, as the device's own array


DEVICE_FNS = {
    "bicubic": lambda x: F.interpolate(x, scale_factor=(1.5, 2.2), mode="bicubic"),
    "bicubic-align": lambda x: F.interpolate(x, size=(3, 7), mode="bicubic", align_corners=True),
    "bilinear-aa": lambda x: F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True),
    "bicubic-aa": lambda x: F.interpolate(x, size=(3, 2), mode="bicubic", antialias=True),
    "lanczos": lambda x: F.interpolate(x, size=(7, 3), mode="lanczos", antialias=True),
    "area-5d": lambda x: F.interpolate(x.unsqueeze(2).expand(2, 3, 2, 4, 5), size=(1, 3, 2), mode="area"),
    "nearest-3d": lambda x: F.interpolate(x.unsqueeze(2), scale_factor=(2, 1.5, 0.5)),
    "lrn": lambda x: F.local_response_norm(x, 2, alpha=0.1),
    "instance-norm-affine": lambda x: F.instance_norm(x, weight=tg.ones(3, device=x.device) * 2),
    "nuc": lambda x: tg.norm(x, "nuc", dim=(2, 3)),
    "rrelu-eval": lambda x: F.rrelu(x, 0.1, 0.3),
}


@pytest.mark.parametrize("name", sorted(DEVICE_FNS))
def test_new_kernels_agree_on_every_device(tg_device, name):
    fn = DEVICE_FNS[name]
    x_np = seeded_normal(2, 3, 4, 5, seed=11).astype(np.float32)
    g = None
    outs = []
    for dev in ("cpu", tg_device):
        x = tg.tensor(x_np, device=dev, requires_grad=True)
        y = fn(x)
        _on(y, dev)
        if g is None:
            g = seeded_normal(*y.shape, seed=12).astype(np.float32)
        y.backward(tg.tensor(g, device=dev))
        _on(x.grad, dev)
        outs.append((y.detach().cpu().numpy(), x.grad.cpu().numpy()))
    for c, d in zip(*outs):
        np.testing.assert_allclose(d, c, rtol=1e-4, atol=1e-5)


def test_random_kernels_stay_on_the_device(tg_device):
    x = tg.tensor(seeded_normal(20, 30, seed=13).astype(np.float32), device=tg_device, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    _on(y, tg_device)
    y.sum().backward()
    _on(x.grad, tg_device)
    s = x.grad.cpu().numpy()[x.detach().cpu().numpy() <= 0]
    assert s.min() >= 0.1 and s.max() <= 0.3 and s.std() > 0.03
    rm, rv = tg.zeros(3, device=tg_device), tg.ones(3, device=tg_device)
    F.instance_norm(tg.tensor(seeded_normal(2, 3, 6).astype(np.float32), device=tg_device), rm, rv)
    _on(rm, tg_device)
    _on(rv, tg_device)
    for fn in (F.alpha_dropout, F.feature_alpha_dropout):
        for p in (0.3, 1.0):
            _on(fn(tg.ones(4, 3, 2, device=tg_device), p, True), tg_device)
