"""bfloat16 models against PyTorch: layers' outputs and gradients, with the sums inside their
backward passes accumulated in float32 (a bfloat16 accumulator stops at 256 for a batch of ones),
and batch norm's running statistics updated in place."""
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_values_close  # noqa: E402

TOL = dict(rtol=2 ** -6, atol=1e-2)


def _ramp(x):
    return x.new_tensor([i / 1024 for i in range(1024)]).unsqueeze(1)


def _ones(lib, *shape):
    return lib.ones(*shape, dtype=lib.bfloat16, requires_grad=True)


@pytest.mark.parametrize("case", [
    ("linear", lambda F, x, w, b: F.linear(x, w, b), [(1024, 4), (3, 4), (3,)]),
    ("linear3d", lambda F, x, w, b: F.linear(x, w, b), [(2, 1024, 4), (3, 4), (3,)]),
    ("conv1d", lambda F, x, w, b: F.conv1d(x, w, b), [(8, 2, 300), (3, 2, 3), (3,)]),
    ("conv2d", lambda F, x, w, b: F.conv2d(x, w, b), [(4, 2, 40, 40), (3, 2, 3, 3), (3,)]),
    ("conv_t2d", lambda F, x, w, b: F.conv_transpose2d(x, w, b), [(4, 2, 20, 20), (2, 3, 3, 3), (3,)]),
    # (rows weighted by a ramp: with equal weights the weight's gradient is a sum of normalized
    # values, zero up to rounding noise that differs between the libraries)
    ("batch_norm", lambda F, x, w, b: F.batch_norm(x * _ramp(x), None, None, w, b, training=True) * _ramp(x),
     [(1024, 3), (3,), (3,)]),
], ids=lambda c: c[0])
def test_large_batch_gradients_accumulate_in_float32(case):
    _, f, shapes = case
    grads = []
    for lib in (tg, torch):
        ts = [_ones(lib, *s) for s in shapes]
        out = f(lib.nn.functional, *ts)
        assert str(out.dtype).endswith("bfloat16")
        out.sum().backward()
        grads.append([t.grad for t in ts])
    # (batch norm's input gradient is a difference of near-equal terms: rounding noise apart)
    first = 1 if case[0] == "batch_norm" else 0
    for ours, theirs in list(zip(*grads))[first:]:
        assert_values_close(ours, theirs, **TOL)


def test_layer_norm_bias_gradient_is_the_exact_sum():
    # PyTorch's own layer-norm backward gives 512 here (its bfloat16 partial sums); tensorgraft
    # sums in float32: 1024, the exact value (docs/user-guide/differences.md)
    x, w, b = _ones(tg, 1024, 3), _ones(tg, 3), _ones(tg, 3)
    tg.nn.functional.layer_norm(x, (3,), w, b).sum().backward()
    assert b.grad.tolist() == [1024.0] * 3 and b.grad.dtype is tg.bfloat16


def test_batch_norm_running_stats_update_in_bfloat16():
    results = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        bn = lib.nn.BatchNorm1d(3).to(lib.bfloat16)
        x = lib.randn(64, 3, dtype=lib.bfloat16) * 3 + 1
        for _ in range(3):
            y = bn(x)
        results.append((bn.running_mean, bn.running_var, y))
    assert results[0][0].dtype is tg.bfloat16
    assert float(results[0][0].abs().sum()) > 0  # written in place (a float32 copy would leave zeros)
    for ours, theirs in zip(*results):
        assert_values_close(ours, theirs, **TOL)


def test_model_cast_to_bfloat16_trains_like_pytorch():
    losses = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.LayerNorm(16),
                                  lib.nn.Linear(16, 3)).to(lib.bfloat16)
        opt = lib.optim.SGD(model.parameters(), lr=0.05)
        x, y = lib.randn(32, 8, dtype=lib.bfloat16), lib.randn(32, 3, dtype=lib.bfloat16)
        run = []
        for _ in range(3):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
        assert model[0].weight.dtype == lib.bfloat16 and model[0].weight.grad.dtype == lib.bfloat16
    assert losses[0] == pytest.approx(losses[1], rel=2e-2)


def _data(lib, *shape, seed=0):
    import numpy as np
    a = np.random.default_rng(seed + len(shape)).standard_normal(shape).astype(np.float32)
    return lib.tensor(a.tolist(), dtype=lib.bfloat16)


FUNCTIONAL = {
    "softmax": lambda F, x, img, seq: F.softmax(x, 1), "log_softmax": lambda F, x, img, seq: F.log_softmax(x, 1),
    "gelu": lambda F, x, img, seq: F.gelu(x), "gelu_tanh": lambda F, x, img, seq: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x, img, seq: F.silu(x), "elu": lambda F, x, img, seq: F.elu(x),
    "leaky_relu": lambda F, x, img, seq: F.leaky_relu(x, 0.1), "softplus": lambda F, x, img, seq: F.softplus(x),
    "mish": lambda F, x, img, seq: F.mish(x), "hardswish": lambda F, x, img, seq: F.hardswish(x),
    "relu6": lambda F, x, img, seq: F.relu6(x), "logsigmoid": lambda F, x, img, seq: F.logsigmoid(x),
    "glu": lambda F, x, img, seq: F.glu(x, 1), "mse": lambda F, x, img, seq: F.mse_loss(x, x.flip(0)),
    "smooth_l1": lambda F, x, img, seq: F.smooth_l1_loss(x, x.flip(0)),
    "cross_entropy": lambda F, x, img, seq: F.cross_entropy(x, x.new_tensor([0, 1, 2, 3]).long()),
    "bce_logits": lambda F, x, img, seq: F.binary_cross_entropy_with_logits(x, x.flip(0).sigmoid()),
    "rms_norm": lambda F, x, img, seq: F.rms_norm(x, (6,)), "group_norm": lambda F, x, img, seq: F.group_norm(img, 3),
    "avg_pool2d": lambda F, x, img, seq: F.avg_pool2d(img, 2), "max_pool2d": lambda F, x, img, seq: F.max_pool2d(img, 2),
    "adaptive_avg": lambda F, x, img, seq: F.adaptive_avg_pool2d(img, 1),
    "interpolate": lambda F, x, img, seq: F.interpolate(img, scale_factor=2, mode="bilinear"),
    "sdpa": lambda F, x, img, seq: F.scaled_dot_product_attention(seq, seq, seq),
    "dropout_eval": lambda F, x, img, seq: F.dropout(x, 0.5, training=False),
    "normalize": lambda F, x, img, seq: F.normalize(x),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_in_bfloat16(name):
    # within two bfloat16 steps of PyTorch: both compute in float32, but some PyTorch kernels
    # round an intermediate (log_softmax's log-sum) to bfloat16 where tensorgraft does not
    results = []
    for lib in (tg, torch):
        args = (_data(lib, 4, 6), _data(lib, 2, 3, 6, 6), _data(lib, 5, 2, 6))
        results.append(FUNCTIONAL[name](lib.nn.functional, *args))
    assert str(results[0].dtype) == str(results[1].dtype) == "torch.bfloat16"
    assert_values_close(results[0], results[1], rtol=2 ** -6, atol=2e-2)


@pytest.mark.parametrize("dtype", ["half", "bfloat16"])
def test_rms_norm_of_half_types_computes_in_float32(dtype):
    # PyTorch normalizes half types in float32, with float32's eps (not the half type's)
    results = []
    for lib in (tg, torch):
        x, w = getattr(_data(lib, 4, 6), dtype)(), getattr(_data(lib, 6, seed=1), dtype)()
        x.requires_grad_()
        r = lib.nn.functional.rms_norm(x, (6,), w)
        r.sum().backward()
        results.append((r, x.grad, type(r.grad_fn).__name__))
    assert results[0][2] == results[1][2] == "ToCopyBackward0"
    assert results[0][0].tolist() == results[1][0].tolist()
    assert results[0][1].tolist() == results[1][1].tolist()


def test_ctc_refusal_names_bfloat16_as_pytorch():
    from tensorgraft.testing.oracle import assert_same_error

    def call(lib):
        lp = _data(lib, 6, 2, 4).log_softmax(2)
        return lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2], [1, 1]]), lib.tensor([6, 6]), lib.tensor([2, 2]))
    assert_same_error(lambda: call(tg), lambda: call(torch))


def test_losses_and_softmax_backward_sum_in_float32():
    # a large batch: bfloat16 partial sums would lose whole units (nll_loss gave 1080 for 2848)
    results = []
    for lib in (tg, torch):
        F = lib.nn.functional
        x = lib.tensor(_data(tg, 2048, 3).float().tolist(), dtype=lib.bfloat16, requires_grad=True)
        t = lib.zeros(2048, dtype=lib.long)
        ce = F.cross_entropy(x, t, reduction="sum")
        nll = F.nll_loss(F.log_softmax(x, 1), t)
        F.softmax(x, 0).sum().backward()
        results.append((float(ce), float(nll), float(x.grad.float().abs().sum())))
    (ce, nll, g), (tce, tnll, tg_) = results
    assert ce == pytest.approx(tce, rel=2 ** -7) and nll == pytest.approx(tnll, rel=2 ** -7)
    assert g < 1e-2 and tg_ < 1e-2  # softmax's gradient of a sum is zero up to rounding


def test_dropout_keeps_bfloat16():
    x = tg.ones(8, dtype=tg.bfloat16)
    out = tg.nn.functional.dropout(x, 0.3)
    assert out.dtype is tg.bfloat16 and set(out.tolist()) <= {0.0, 1.4296875}
