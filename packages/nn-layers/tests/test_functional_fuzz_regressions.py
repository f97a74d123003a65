"""Regressions found by a randomized differential sweep of ``tensorgraft.nn.functional`` against
PyTorch: expected values here are worked out by hand (the oracle twin compares with PyTorch)."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def _t(a, device, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=grad)


# ---------------------------------------------------------------- softplus with a negative beta
def test_softplus_negative_beta_values_and_grad(tg_device):
    # softplus(x) = log(1 + exp(beta x)) / beta; the overflow-safe form used max(x, 0), right only
    # for beta > 0 (it gave 50 for x=50, beta=-1 instead of about -2e-22)
    xs = np.array([50.0, 0.5, -0.5, -3.0, 25.0])
    x = _t(xs, tg_device, grad=True)
    y = F.softplus(x, beta=-1.0, threshold=20.0)
    bx = -xs
    expected = np.where(bx > 20, xs, np.log1p(np.exp(bx)) / -1.0)
    np.testing.assert_allclose(y.detach().cpu().numpy(), expected, rtol=1e-12, atol=1e-300)
    y.sum().backward()
    sig = 1 / (1 + np.exp(-bx))
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(bx > 20, 1.0, sig), rtol=1e-12)


# ---------------------------------------------------------------- circular padding with negative pads
@pytest.mark.parametrize("pads, expected", [
    ((2, -2), [2, 3, 0, 1, 2, 3]),      # crop the right two, then wrap what is left
    ((3, -1), [2, 3, 4, 0, 1, 2, 3, 4]),
    ((-1, 2), [1, 2, 3, 4, 5, 1, 2]),
    ((-2, -1), [2, 3, 4]),
    ((1, 0), [5, 0, 1, 2, 3, 4, 5]),
    ((-3, -3), []),
])
def test_circular_pad_negative_pads_wrap_the_cropped_input(tg_device, pads, expected):
    x = _t(np.arange(6.0).reshape(1, 1, 6), tg_device, grad=True)
    y = F.pad(x, pads, mode="circular")
    assert y.detach().cpu().numpy().reshape(-1).tolist() == expected
    y.sum().backward()
    counts = np.bincount(np.asarray(expected, dtype=np.int64), minlength=6)
    np.testing.assert_array_equal(x.grad.cpu().numpy().reshape(-1), counts)


@pytest.mark.parametrize("pads, message", [
    ((7, 0), "Padding value causes wrapping around more than once."),
    ((-4, -3), "Negative padding value is resulting in an empty dimension"),
    ((4, -3), "some elements of the input tensor and the written-to tensor refer to a single memory location"),
])
def test_circular_pad_refuses_impossible_pads(tg_device, pads, message):
    x = _t(np.arange(6.0).reshape(1, 1, 6), tg_device)
    with pytest.raises(RuntimeError, match=message):
        F.pad(x, pads, mode="circular")


def test_circular_pad_2d_mixed_signs(tg_device):
    a = np.arange(20.0).reshape(1, 1, 4, 5)
    y = F.pad(_t(a, tg_device), (1, -2, -1, 2), mode="circular").cpu().numpy()
    cropped = a[..., 1:, :3]  # rows: crop the top one; columns: crop the right two
    expected = np.concatenate([cropped[..., -1:], cropped], axis=-1)
    expected = np.concatenate([expected, expected[..., :2, :]], axis=-2)
    np.testing.assert_array_equal(y, expected)


# ---------------------------------------------------------------- gelu precision
def test_gelu_exact_erf(tg_device):
    # erf came from a fitted approximation: d gelu/dx at 0 was 0.499999985 and the tails were off
    x = _t([0.0, -3.0, 1.5], tg_device, grad=True)
    y = F.gelu(x)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in (0.0, -3.0, 1.5)])
    xs = np.array([0.0, -3.0, 1.5])
    np.testing.assert_allclose(y.detach().cpu().numpy(), xs * cdf, rtol=1e-14, atol=1e-300)
    y.sum().backward()
    pdf = np.exp(-xs * xs / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(x.grad.cpu().numpy(), cdf + xs * pdf, rtol=1e-14)
    assert x.grad.cpu().numpy()[0] == 0.5


# ---------------------------------------------------------------- NaN gradients of elu / hardswish
@pytest.mark.parametrize("fn", [F.elu, F.selu, F.hardswish])
def test_nan_input_gets_nan_gradient(tg_device, fn):
    x = _t([float("nan"), 0.7], tg_device, grad=True)
    fn(x).sum().backward()
    g = x.grad.cpu().numpy()
    assert math.isnan(g[0]) and not math.isnan(g[1])


def test_hardswish_gradient_at_the_kinks(tg_device):
    x = _t([-3.0, 3.0, 0.0], tg_device, grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.cpu().numpy().tolist() == [0.0, 1.0, 0.5]


# ---------------------------------------------------------------- integer inputs
def test_hardtanh_and_relu6_on_integers(tg_device):
    x = tg.tensor([-3, -1, 0, 2, 5, 9], device=tg_device)
    y = F.hardtanh(x, -1.5, 2.5)  # bounds truncated toward zero: [-1, 2]
    assert y.dtype == tg.int64 and y.cpu().numpy().tolist() == [-1, -1, 0, 2, 2, 2]
    assert F.relu6(x).cpu().numpy().tolist() == [0, 0, 0, 2, 5, 6]
    u = tg.tensor([5, 200], dtype=tg.uint8, device=tg_device)
    assert F.hardtanh(u, -0.5, 3).cpu().numpy().tolist() == [3, 3]
    with pytest.raises(RuntimeError, match="cannot do hardtanh on an unsigned type with negative limits"):
        F.hardtanh(u)
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.hardtanh(tg.tensor([True, False], device=tg_device))


@pytest.mark.parametrize("fn, kernel", [
    (F.elu, "elu_cpu"), (F.selu, "elu_cpu"), (F.leaky_relu, "leaky_relu_cpu"), (F.silu, "silu_cpu"),
    (F.gelu, "GeluKernelImpl"), (F.softshrink, "softshrink_check"), (F.logsigmoid, "log_sigmoid_cpu"),
])
def test_activation_on_integers_is_not_implemented(fn, kernel):
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
        fn(tg.tensor([1, 2]))


@pytest.mark.parametrize("dim, kernel", [(0, "softmax_kernel_impl"), (1, "softmax_lastdim_kernel_impl")])
def test_softmax_on_integers_names_the_kernel(dim, kernel):
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
        F.softmax(tg.tensor([[1, 2], [3, 4]]), dim)


def test_one_hot_needs_int64():
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor"):
        F.one_hot(tg.tensor([1, 2], dtype=tg.int32), 4)
    assert F.one_hot(tg.tensor([1, 2]), 3).cpu().numpy().tolist() == [[0, 1, 0], [0, 0, 1]]


# ---------------------------------------------------------------- rms_norm argument checks
def test_rms_norm_checks_the_shape():
    x = tg.ones(2, 5)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*4\], "
                                           r"but got input of size\[2, 5\]"):
        F.rms_norm(x, [4])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got "
                                           r"weight of shape \[4\] and normalized_shape = \[5\]"):
        F.rms_norm(x, [5], tg.ones(4))
    with pytest.raises(ValueError, match="Input tensor must have at least 3 dimensions, but got 2"):
        F.rms_norm(x, [1, 2, 5])
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F.rms_norm(x, 5)


# ---------------------------------------------------------------- gaussian_nll_loss
def test_gaussian_nll_var_gradient_ignores_the_clamp(tg_device):
    # the clamp to eps only keeps the log finite: the gradient is d/dvar at the clamped value
    # (before, the clamp cut it to 0)
    x, t = _t([1.0, 2.0], tg_device), _t([0.0, 0.0], tg_device)
    var = _t([1e-9, 2.0], tg_device, grad=True)
    F.gaussian_nll_loss(x, t, var, eps=1e-6, reduction="sum").backward()
    v = np.array([1e-6, 2.0])
    expected = 0.5 * (1 / v - np.array([1.0, 4.0]) / v ** 2)
    np.testing.assert_allclose(var.grad.cpu().numpy(), expected, rtol=1e-12)


def test_gaussian_nll_var_shapes():
    x = tg.zeros(3, 4)
    assert F.gaussian_nll_loss(x, x, tg.ones(3), reduction="none").shape == (3, 4)   # per sample
    assert F.gaussian_nll_loss(x, x, tg.ones(1, 4), reduction="none").shape == (3, 4)  # one dim shared
    for bad in [(4,), (1, 1), (2, 4), (3, 4, 1)]:
        with pytest.raises(ValueError, match="var is of incorrect size"):
            F.gaussian_nll_loss(x, x, tg.ones(*bad))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, x, -tg.ones(3, 4))
    with pytest.raises(ValueError, match="foo is not valid"):
        F.gaussian_nll_loss(x, x, tg.ones(3, 4), reduction="foo")
    assert float(F.gaussian_nll_loss(x, x, 2.0)) == pytest.approx(0.5 * math.log(2.0))


# ---------------------------------------------------------------- cross entropy, every target ignored
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(3, 5), (5,), (2, 5, 3)])
def test_cross_entropy_all_ignored_mean_has_zero_gradient(tg_device, smoothing, shape):
    rng = np.random.default_rng(11)
    x = _t(rng.standard_normal(shape), tg_device, grad=True)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = tg.full(tshape, 1, dtype=tg.int64, device=tg_device)
    loss = F.cross_entropy(x, target, ignore_index=1, label_smoothing=smoothing)
    assert math.isnan(float(loss))  # 0 / 0, as PyTorch
    loss.backward()
    assert np.all(x.grad.cpu().numpy() == 0)


def test_cross_entropy_some_ignored_rows_get_zero_gradient(tg_device):
    rng = np.random.default_rng(12)
    x = _t(rng.standard_normal((3, 4)), tg_device, grad=True)
    F.nll_loss(x, tg.tensor([2, -100, 0], device=tg_device)).backward()
    assert x.grad.cpu().numpy().tolist() == [[0, 0, -0.5, 0], [0, 0, 0, 0], [-0.5, 0, 0, 0]]


# ---------------------------------------------------------------- broadcast pointwise losses
def test_kl_div_broadcast_target_backward(tg_device):
    rng = np.random.default_rng(13)
    x = _t(rng.standard_normal((3, 4)), tg_device, grad=True)
    y = _t(rng.random(4), tg_device, grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.kl_div(x, y, reduction="sum").backward()
    yn = y.detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.broadcast_to(-yn, (3, 4)))
    xn = x.detach().cpu().numpy()
    np.testing.assert_allclose(y.grad.cpu().numpy(), (np.log(yn) + 1 - xn).sum(0), rtol=1e-12)


# ---------------------------------------------------------------- feature dropout rank checks
@pytest.mark.parametrize("shape", [(3,), (2, 3, 4, 5)])
def test_dropout1d_rank_check_runs_in_eval_mode(shape):
    with pytest.raises(RuntimeError, match=f"dropout1d: Expected 2D or 3D input, but received a {len(shape)}D"):
        F.dropout1d(tg.ones(*shape), 0.5, training=False)


def test_dropout2d_and_3d_warn_about_ranks():
    with pytest.warns(UserWarning, match="dropout2d: Received a 1-D input to dropout2d, which is deprecated"):
        F.dropout2d(tg.ones(3), training=False)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming that channel-wise 1D"):
        F.dropout2d(tg.ones(2, 3, 4), training=False)
    with pytest.warns(UserWarning, match=r"3 spatial dimensions, a channel dimension, .* \(i.e. 4D or 5D inputs\)"):
        F.dropout3d(tg.ones(2, 3), training=False)
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.dropout2d(tg.ones(3), 0.5, training=True)


def test_unbatched_dropout3d_is_a_view_even_in_eval_mode():
    x = tg.ones(2, 3, 4, 5, requires_grad=True)
    y = F.dropout3d(x, 0.5, training=False)
    assert y is not x and y.grad_fn.name() == "SqueezeBackward1"
    assert F.dropout3d(tg.ones(1, 2, 3, 4, 5), 0.5, training=False).shape == (1, 2, 3, 4, 5)


# ---------------------------------------------------------------- conv padding strings
@pytest.mark.parametrize("conv, x, w", [(F.conv1d, (1, 1, 4), (1, 1, 2)), (F.conv2d, (1, 1, 4, 4), (1, 1, 2, 2))])
def test_conv_padding_string_errors_are_runtime_errors(conv, x, w):
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        conv(tg.ones(*x), tg.ones(*w), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'foo'"):
        conv(tg.ones(*x), tg.ones(*w), padding="foo")


# ---------------------------------------------------------------- max_pool1d argument checks
@pytest.mark.parametrize("args, message", [
    ((0, 1, 0, 1), "max_pool1d() kernel_size must be greater than zero, but got 0"),
    ((2, 0, 0, 1), "max_pool1d() stride must be greater than zero, but got 0"),
    ((3, 1, -1, 1), "max_pool1d() padding must be non-negative, but got -1"),
    ((2, 1, 2, 1), "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2"),
    ((2, 1, 0, 0), "max_pool1d() dilation must be greater than zero, but got 0"),
    ((10, 1, 0, 1), "max_pool1d() Invalid computed output size: -1"),
])
def test_max_pool1d_argument_errors(args, message):
    with pytest.raises(RuntimeError) as info:
        F.max_pool1d(tg.ones(1, 2, 8), *args)
    assert str(info.value) == message
