"""Oracle twin of test_functional_fuzz_regressions.py: each case runs the same call through
torch.nn.functional and tensorgraft.nn.functional on the same seeded inputs and compares values,
dtypes, shapes, gradients (a random cotangent) or the exception type and message."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as tgF  # noqa: E402

LIBS = {"torch": (torch, torch.nn.functional), "tg": (tg, tgF)}
EDGE = [0.0, float("nan"), float("inf"), -float("inf"), 1e30, -1e30, 50.0, -50.0, 20.0, -20.0, 3.0, -3.0, 0.5]


def _run(lib, arrays, call, seed):
    L, F = LIBS[lib]
    leaves = {k: L.tensor(v, requires_grad=v.dtype.kind == "f") for k, v in arrays.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(L, F, leaves)
    except Exception as e:  # the comparison is of the exception itself
        return ("error", type(e).__name__, str(e)), {}
    rng = np.random.default_rng(seed)
    outs = out if isinstance(out, tuple) else (out,)
    total = None
    for o in outs:
        if o.grad_fn is not None:
            cot = L.tensor(rng.standard_normal(tuple(o.shape)).astype(o.detach().numpy().dtype))
            total = (o * cot).sum() if total is None else total + (o * cot).sum()
    if total is not None:
        total.backward()
    grads = {k: (None if v.grad is None else v.grad.numpy()) for k, v in leaves.items() if v.requires_grad}
    return [(str(o.dtype).split(".")[-1], tuple(o.shape), o.detach().numpy()) for o in outs], grads


def _compare(arrays, call, seed=0, rtol=1e-10, atol=1e-12):
    (t_out, t_grads), (g_out, g_grads) = (_run(lib, arrays, call, seed) for lib in LIBS)
    if t_out[0] == "error":
        assert g_out[:2] == t_out[:2] and g_out[2] == t_out[2]
        return
    assert g_out[0] != "error", g_out
    for (tdt, tsh, tv), (gdt, gsh, gv) in zip(t_out, g_out):
        assert (gdt, gsh) == (tdt, tsh)
        np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol, equal_nan=True)
    assert g_grads.keys() == t_grads.keys()
    for k, tg_ in t_grads.items():
        assert (g_grads[k] is None) == (tg_ is None), k
        if tg_ is not None:
            np.testing.assert_allclose(g_grads[k], tg_, rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("beta, threshold", [(-1.0, 20.0), (-2.0, 3.0), (1.0, 20.0), (0.5, 2.0)])
def test_softplus_any_beta(beta, threshold):
    x = np.array(EDGE + list(np.random.default_rng(1).standard_normal(8) * 10))
    _compare({"x": x}, lambda L, F, A: F.softplus(A["x"], beta=beta, threshold=threshold))


def test_mish_edges():
    _compare({"x": np.array(EDGE)}, lambda L, F, A: F.mish(A["x"]))


def test_gelu_float64():
    x = np.random.default_rng(2).standard_normal(40) * 4
    _compare({"x": x}, lambda L, F, A: F.gelu(A["x"]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["elu", "selu", "hardswish", "hardtanh", "hardshrink", "softshrink", "relu6"])
def test_nan_gradient_of_a_long_tensor(name):
    # PyTorch's vectorized kernels (tensors longer than a SIMD register) set the NaN rule
    x = np.full(32, 0.7)
    x[[0, 9, 17]] = np.nan
    _compare({"x": x}, lambda L, F, A: getattr(F, name)(A["x"]))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8, np.bool_])
@pytest.mark.parametrize("bounds", [(-1, 2), (-1.5, 2.5), (0, 6), (-0.5, 3), (2, 2)])
def test_hardtanh_integer_inputs(dtype, bounds):
    x = np.arange(-5, 9).astype(dtype) if dtype is not np.bool_ else np.array([True, False])
    _compare({"x": x}, lambda L, F, A: F.hardtanh(A["x"], *bounds))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                                  "logsigmoid", "hardswish", "hardsigmoid", "hardshrink", "softshrink", "relu6"])
def test_activation_integer_errors(name):
    _compare({"x": np.arange(-2, 3)}, lambda L, F, A: getattr(F, name)(A["x"]))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_integer_errors(name, dim):
    _compare({"x": np.arange(6).reshape(2, 3)}, lambda L, F, A: getattr(F, name)(A["x"], dim))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint8])
def test_one_hot_index_dtype(dtype):
    _compare({"x": np.array([1, 0, 2], dtype=dtype)}, lambda L, F, A: F.one_hot(A["x"], 4))


# ---------------------------------------------------------------- padding
@pytest.mark.parametrize("n", [1, 3, 6])
def test_circular_pad_1d_every_pair(n):
    rng = np.random.default_rng(3)
    for lo in range(-7, 8):
        for hi in range(-7, 8):
            kept = n - max(-lo, 0) - max(-hi, 0)
            if (kept == 0 and n + lo + hi > 0) or (kept < 0 and n + lo + hi >= 0):
                continue  # PyTorch reads uninitialised memory or fails a size check there (differences.md)
            _compare({"x": rng.standard_normal((1, 1, n))},
                     lambda L, F, A: F.pad(A["x"], (lo, hi), mode="circular"), seed=(lo + 7) * 15 + hi + 7)


@pytest.mark.parametrize("pads", [(1, -1, -2, 1), (-1, 0, 2, 1, 2, -2), (0, -1, 2, -1, 0, 2), (3, -2, -1, 2, -2, 0)])
def test_circular_pad_nd_negative(pads):
    rng = np.random.default_rng(4)
    shape = (2, 3, 5, 6) if len(pads) == 4 else (1, 2, 4, 5, 6)
    _compare({"x": rng.standard_normal(shape)}, lambda L, F, A: F.pad(A["x"], pads, mode="circular"))


# ---------------------------------------------------------------- norms and losses
@pytest.mark.parametrize("ns", [[4], [3, 4], [5], [2, 3, 4], (4,), 4])
def test_rms_norm_shapes(ns):
    rng = np.random.default_rng(5)
    _compare({"x": rng.standard_normal((3, 4)), "w": rng.standard_normal(4)},
             lambda L, F, A: F.rms_norm(A["x"], ns, A["w"]))


@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1), (1, 4), (4,), (1, 1), (2, 4), (3, 4, 1)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "foo"])
def test_gaussian_nll_var_shapes_and_clamp(var_shape, reduction):
    rng = np.random.default_rng(6)
    arrays = {"x": rng.standard_normal((3, 4)), "y": rng.standard_normal((3, 4)),
              "v": rng.random(var_shape) * 2e-6}  # some below eps: the gradient must pass the clamp
    _compare(arrays, lambda L, F, A: F.gaussian_nll_loss(A["x"], A["y"], A["v"], full=True, reduction=reduction),
             rtol=1e-9, atol=1e-9)


def test_gaussian_nll_negative_var():
    _compare({"x": np.zeros(3), "v": -np.ones(3)}, lambda L, F, A: F.gaussian_nll_loss(A["x"], A["x"], A["v"]))


@pytest.mark.parametrize("shape", [(3, 5), (5,), (2, 5, 3)])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_all_ignored(shape, smoothing, reduction):
    x = np.random.default_rng(7).standard_normal(shape)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    _compare({"x": x}, lambda L, F, A: F.cross_entropy(A["x"], L.full(tshape, 1, dtype=L.int64), ignore_index=1,
                                                        reduction=reduction, label_smoothing=smoothing))


def test_nll_loss_partly_ignored():
    x = np.random.default_rng(8).standard_normal((4, 3))
    _compare({"x": x}, lambda L, F, A: F.nll_loss(A["x"], L.tensor([2, -100, 0, -100])))


@pytest.mark.parametrize("xs, ys", [((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (3, 4)), ((2, 1, 4), (3, 1))])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("name", ["kl_div", "kl_div_log", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_pointwise_loss_gradients(xs, ys, reduction, name):
    rng = np.random.default_rng(9)
    arrays = {"x": rng.standard_normal(xs), "y": rng.random(ys)}
    if name.startswith("kl_div"):
        call = lambda L, F, A: F.kl_div(A["x"], A["y"], reduction=reduction, log_target=name == "kl_div_log")  # noqa: E731
    else:
        call = lambda L, F, A: getattr(F, name)(A["x"], A["y"], reduction=reduction)  # noqa: E731
    _compare(arrays, call)


# ---------------------------------------------------------------- feature dropout
def _dropout_outcome(L, F, name, shape, training, p):
    x = L.ones(shape, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y = getattr(F, name)(x, p, training=training)
        except Exception as e:  # compared, not swallowed
            return type(e).__name__, str(e)
    grad_fn = None if y.grad_fn is None else type(y.grad_fn).__name__ if L is torch else y.grad_fn.name()
    return tuple(y.shape), y is x, grad_fn, [str(w.message) for w in caught], y.detach().sum().item()


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (2, 3, 4, 5), (2, 3, 2, 2, 2), (1, 2, 3, 1, 2, 1)])
@pytest.mark.parametrize("training, p", [(False, 0.3), (True, 0.0), (True, 1.0)])
def test_feature_dropout_ranks(name, shape, training, p):
    assert _dropout_outcome(tg, tgF, name, shape, training, p) == \
        _dropout_outcome(torch, torch.nn.functional, name, shape, training, p)


# ---------------------------------------------------------------- conv padding strings
@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("stride, padding", [(2, "same"), (1, "foo"), (2, "foo"), (1, "same"), (2, "valid")])
def test_conv_padding_strings(nd, stride, padding):
    rng = np.random.default_rng(10)
    arrays = {"x": rng.standard_normal((1, 2) + (5,) * nd), "w": rng.standard_normal((3, 2) + (2,) * nd)}
    _compare(arrays, lambda L, F, A: getattr(F, f"conv{nd}d")(A["x"], A["w"], stride=stride, padding=padding))


# ---------------------------------------------------------------- max_pool1d argument checks
@pytest.mark.parametrize("length", [1, 5, 8])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool1d_arguments(length, ceil_mode):
    rng = np.random.default_rng(11)
    for k in (0, 1, 2, 3, 10):
        for stride in (None, 0, 1, 2):
            for padding in (-1, 0, 1, 2):
                for dilation in (0, 1, 2):
                    if length == 1 and padding and k * dilation > 2:
                        continue  # windows made only of padding: -inf whose gradient goes nowhere
                    _compare({"x": rng.standard_normal((2, 3, length))},
                             lambda L, F, A: F.max_pool1d(A["x"], k, stride, padding, dilation, ceil_mode))
