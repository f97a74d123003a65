"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions: values and gradients
against a NumPy computation of the same loss, the chunked path's memory bound, options, warnings, errors."""
import tracemalloc
import warnings

import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

RNG = np.random.default_rng(0)
N, D, C = 6, 3, 5
X = RNG.standard_normal((N, D))
W = RNG.standard_normal((C, D))
B = RNG.standard_normal(C)
CW = np.array([0.5, 1.0, 2.0, 1.5, 0.25])
T = np.array([4, 0, -100, 2, 2, 1])


def np_loss_and_grads(x, w, b, t, cw, reduction, ignore_index=-100):
    """Cross entropy of x @ w.T + b, and its gradients: d loss / d logits = scale * (softmax - onehot)."""
    z = x @ w.T + (0 if b is None else b)
    z = z - z.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    live = t != ignore_index
    tc = np.where(live, t, 0)
    rw = np.where(live, 1.0 if cw is None else cw[tc], 0.0)
    nll = -np.log(p[np.arange(len(t)), tc])
    rows = rw * nll
    onehot = np.eye(w.shape[0])[tc]
    scale = {"none": rw, "sum": rw, "mean": rw / rw.sum()}[reduction]
    dz = scale[:, None] * (p - onehot)
    loss = {"none": rows, "sum": rows.sum(), "mean": rows.sum() / rw.sum()}[reduction]
    return loss, dz @ w, dz.T @ x, dz.sum(0)


def leaves(bias=True):
    x = tg.tensor(X, requires_grad=True)
    w = tg.tensor(W, requires_grad=True)
    b = tg.tensor(B, requires_grad=True) if bias else None
    return x, w, b


OPTIONS = [None, nn.LinearCrossEntropyOptions(), nn.LinearCrossEntropyOptions(batch_chunk_size=1),
           nn.LinearCrossEntropyOptions(batch_chunk_size=4), nn.LinearCrossEntropyOptions(batch_chunk_size=100)]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bias, class_weight", [(False, False), (True, False), (True, True)])
def test_values_and_gradients_match_numpy(options, reduction, bias, class_weight):
    x, w, b = leaves(bias)
    cw = CW if class_weight else None
    loss = F.linear_cross_entropy(x, w, tg.tensor(T), linear_bias=b, weight=None if cw is None else tg.tensor(cw),
                                  reduction=reduction, options=options)
    want, gx, gw, gb = np_loss_and_grads(X, W, B if bias else None, T, cw, reduction)
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12, atol=1e-12)
    if bias:
        np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", OPTIONS[:3])
def test_ignore_index_none_means_minus_100_and_explicit_values_work(options):
    x, w, _ = leaves(False)
    t = np.array([3, 3, 0, 1, 3, 4])
    got = F.linear_cross_entropy(x, w, tg.tensor(t), ignore_index=3, options=options)
    np.testing.assert_allclose(got.item(), np_loss_and_grads(X, W, None, t, None, "mean", ignore_index=3)[0])
    every_row_ignored = F.linear_cross_entropy(x, w, tg.tensor(np.full(N, -100)), options=options)
    assert np.isnan(every_row_ignored.item())


def test_grad_fn_names():
    x, w, b = leaves()
    t = tg.tensor(T)
    assert type(F.linear_cross_entropy(x, w, t, linear_bias=b).grad_fn).__name__ == "NllLossBackward0"
    chunked = F.linear_cross_entropy(x, w, t, linear_bias=b, options=OPTIONS[3])
    assert type(chunked.grad_fn).__name__ == "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_" \
        "defaultBackward"
    assert [n is None for n, _ in chunked.grad_fn.next_functions] == [False, False, True, False]
    per_row = F.linear_cross_entropy(x, w, t, reduction="none", options=OPTIONS[3])
    assert type(per_row.grad_fn).__name__.endswith("_no_reduction_defaultBackward")
    one = F.linear_cross_entropy(x[0], w, t[0], options=OPTIONS[1])
    assert one.shape == () and type(one.grad_fn).__name__ == "SqueezeBackward1"


def test_k_dimensional_loss_and_probability_targets():
    w3 = RNG.standard_normal((C, 2, D))
    b3 = RNG.standard_normal((C, 2))
    t3 = np.array([[0, 1], [4, 4], [2, 3], [1, 0], [3, 2], [0, 0]])
    got = F.linear_cross_entropy(tg.tensor(X), tg.tensor(w3), tg.tensor(t3), linear_bias=tg.tensor(b3),
                                 reduction="none")
    z = np.einsum("nd,ckd->nck", X, w3) + b3  # logits (N, C, 2): the class dim second
    lsm = z - np.log(np.exp(z).sum(1, keepdims=True))
    want = -np.take_along_axis(lsm, t3[:, None, :], 1)[:, 0]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    probs = np.abs(RNG.standard_normal((N, C)))
    probs /= probs.sum(1, keepdims=True)
    got = F.linear_cross_entropy(tg.tensor(X), tg.tensor(W), tg.tensor(probs), reduction="sum")
    z = X @ W.T
    lsm = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(got.item(), -(probs * lsm).sum(), rtol=1e-12)


def test_label_smoothing():
    got = F.linear_cross_entropy(tg.tensor(X), tg.tensor(W), tg.tensor(T), label_smoothing=0.2)
    z = X @ W.T
    lsm = z - np.log(np.exp(z).sum(1, keepdims=True))
    live = T != -100
    rows = -(0.8 * lsm[np.arange(N), np.where(live, T, 0)] + 0.2 * lsm.mean(1))
    np.testing.assert_allclose(got.item(), rows[live].mean(), rtol=1e-12)


def test_unsupported_configuration_warns_and_takes_the_reference_path():
    with pytest.warns(UserWarning, match=r"``options`` ignored; chunked path needs .* label_smoothing=0.2, "
                                         r"target.dtype=torch.int64, out_features=\(\), tracing=False, "
                                         r"linear_bias.shape=None\.$"):
        loss = F.linear_cross_entropy(tg.tensor(X), tg.tensor(W), tg.tensor(T), label_smoothing=0.2,
                                      options=OPTIONS[1])
    assert loss.item() == F.linear_cross_entropy(tg.tensor(X), tg.tensor(W), tg.tensor(T), label_smoothing=0.2).item()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.linear_cross_entropy(tg.tensor(X), tg.tensor(W), tg.tensor(T), options=OPTIONS[1])


def test_second_backward_of_a_scalar_chunked_loss():
    x, w, _ = leaves(False)
    loss = F.linear_cross_entropy(x, w, tg.tensor(T), options=OPTIONS[3])
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="chunked backward called twice"):
        loss.backward()
    x, w, _ = leaves(False)
    loss = F.linear_cross_entropy(x, w, tg.tensor(T),
                                  options=nn.LinearCrossEntropyOptions(batch_chunk_size=4, allow_retain_graph=True))
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np_loss_and_grads(X, W, None, T, None, "mean")[1], rtol=1e-12)


def test_chunked_path_never_holds_the_logits():
    n, d, c = 512, 16, 4000  # float32 logits: 8 MB
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((n, d), dtype=np.float32), requires_grad=True)
    w = tg.tensor(rng.standard_normal((c, d), dtype=np.float32), requires_grad=True)
    t = tg.tensor(rng.integers(0, c, n))
    peaks, losses = {}, {}
    for name, options in (("reference", None), ("chunked", nn.LinearCrossEntropyOptions(batch_chunk_size=16))):
        x.grad = w.grad = None
        tracemalloc.start()
        loss = F.linear_cross_entropy(x, w, t, options=options)
        loss.backward()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        losses[name] = (loss.item(), x.grad.numpy().copy(), w.grad.numpy().copy())
    logits_bytes = n * c * 4
    assert peaks["reference"] > logits_bytes
    # a chunk's logits (16 rows) and the gradient buffers (input, weight and its scratch): under 1.2 MB
    assert peaks["chunked"] < logits_bytes / 6
    for a, b in zip(losses["reference"], losses["chunked"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


# ------------------------------------------------------------------ options
def test_options_defaults_repr_and_resolution():
    o = nn.LinearCrossEntropyOptions()
    assert repr(o) == ("LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None, "
                       "chunking_method='auto', acc_policy='auto', acc_dtype=None)")
    cpu = tg.device("cpu")
    # ceil(32000 / 64) = 500 times more logits than input: 4096 / 500 -> 9 rows, next power of two 16, halved
    resolved = o._adjust(4096, 64, 32000, tg.float32, cpu)
    assert (resolved.batch_chunk_size, resolved.chunking_method, resolved.acc_policy, resolved.acc_dtype) == \
        (8, "aspect_ratio:2", "compact", tg.float32)
    half = o._adjust(4096, 64, 32000, tg.float16, cpu)
    assert (half.batch_chunk_size, half.acc_policy, half.acc_dtype) == (16, "accurate", tg.float32)
    assert nn.LinearCrossEntropyOptions(batch_chunk_size=5)._adjust(7, 4, 9, tg.float32, cpu).batch_chunk_size == 5
    assert nn.LinearCrossEntropyOptions(chunking_method=None)._adjust(7, 4, 9, tg.float32, cpu).batch_chunk_size == 7
    with pytest.raises(ValueError, match=r"batch_chunk_size \(=3\) and chunking_method \('aspect_ratio'\) give "
                                         r"different chunk sizes \(3 vs 4\); pass only one\."):
        nn.LinearCrossEntropyOptions(batch_chunk_size=3, chunking_method="aspect_ratio")._adjust(7, 4, 9, tg.float32)


@pytest.mark.parametrize("kw, message", [
    (dict(acc_policy="fast"), "invalid acc_policy: 'fast'"),
    (dict(chunking_method="aspect_ratio:0"), "invalid chunking_method: 'aspect_ratio:0'"),
    (dict(batch_chunk_size=-2), "batch_chunk_size must be positive int or None, got -2"),
    (dict(acc_dtype=tg.int64), "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, "
                               "torch.float64}, got torch.int64. Pass acc_dtype=None to let the op pick automatically."),
])
def test_options_reject_bad_values(kw, message):
    with pytest.raises(ValueError) as err:
        nn.LinearCrossEntropyOptions(**kw)
    assert str(err.value) == message


# ------------------------------------------------------------------ the module
def test_module_layout_repr_and_forward():
    tg.manual_seed(0)
    m = nn.LinearCrossEntropyLoss(D, C, out_features=(2,), bias=True, weight=tg.tensor(CW, dtype=tg.float32))
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        "weight": (C,), "linear.weight": (2 * C, D), "linear.bias": (2 * C,)}
    assert repr(m) == (
        "LinearCrossEntropyLoss(\n  in_features=3, num_classes=5, out_features=(2,), bias=True, reduction=mean, "
        "ignore_index=None, label_smoothing=0.0, options=None\n"
        "  (linear): Linear(in_features=3, out_features=10, bias=True)\n)")
    # Linear's init: U(-1/sqrt(in_features), 1/sqrt(in_features))
    assert float(m.linear.weight.detach().abs().max()) <= 3 ** -0.5
    t = tg.tensor(np.array([[0, 1], [4, 4], [2, 3], [1, 0], [3, 2], [0, 0]]))
    x = tg.tensor(X, dtype=tg.float32)
    want = F.linear_cross_entropy(x, m.linear.weight.reshape(C, 2, D), t, linear_bias=m.linear.bias.reshape(C, 2),
                                  weight=tg.tensor(CW, dtype=tg.float32))
    assert m(x, t).item() == want.item()


def test_module_chunked_trains():
    tg.manual_seed(0)
    m = nn.LinearCrossEntropyLoss(D, C, bias=True, options=nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    x, t = tg.tensor(X, dtype=tg.float32), tg.tensor(np.array([4, 0, 1, 2, 2, 1]))
    before = m(x, t).item()
    for _ in range(20):
        m.zero_grad()
        m(x, t).backward()
        with tg.no_grad():
            for p in m.parameters():
                p -= 0.5 * p.grad
    assert m(x, t).item() < before - 0.3


@pytest.mark.parametrize("kw, message", [
    (dict(weight=tg.ones(3)), "expected weight shape to be (5,), got (3,)"),
    (dict(label_smoothing=1.5), "expected label_smoothing to be in range [0, 1], got 1.5"),
])
def test_module_constructor_errors(kw, message):
    with pytest.raises(RuntimeError) as err:
        nn.LinearCrossEntropyLoss(D, C, **kw)
    assert str(err.value) == message


@pytest.mark.parametrize("args, message", [
    ((X[None], W, T), "expected input with dimensionality 1 or 2, got 3"),
    ((X, W[:, :2], T), "expected equal input and linear_weight last dimensions (in_features), got 3 and 2, "
                       "respectively"),
    ((X[0], W.reshape(C, 1, D), T[:1]), "K-dimensional loss defined by linear_weight shape (5, 1, 3) requires "
                                        "batched input, (N, 3), got unbatched input with shape (3,)"),
])
def test_shape_errors(args, message):
    with pytest.raises(RuntimeError) as err:
        F.linear_cross_entropy(*(tg.tensor(a) for a in args))
    assert str(err.value) == message
