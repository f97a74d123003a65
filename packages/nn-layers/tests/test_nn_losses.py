"""Losses against torch: values and gradients for every reduction, plus torch's errors/warnings."""
import math
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
RTOL, ATOL = 1e-4, 1e-5


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def run(make, x, y, grad_target=False, extra=()):
    a = tg.tensor(x, requires_grad=True)
    b = tg.tensor(y, requires_grad=grad_target)
    at = torch.tensor(x, requires_grad=True)
    bt = torch.tensor(y, requires_grad=grad_target)
    out = make(nn)(a, b, *[tg.tensor(e) for e in extra])
    outt = make(tnn)(at, bt, *[torch.tensor(e) for e in extra])
    np.testing.assert_allclose(out.detach().numpy(), outt.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = rand(*outt.shape, seed=9) if outt.ndim else np.float32(1.7)
    out.backward(tg.tensor(g))
    outt.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=RTOL, atol=ATOL)
    if grad_target:
        np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=RTOL, atol=ATOL)
    return out


RED = ["none", "mean", "sum"]


@pytest.mark.parametrize("red", RED)
def test_regression_losses(red):
    x, y = rand(4, 5), rand(4, 5, seed=1)
    run(lambda l: l.MSELoss(reduction=red), x, y, grad_target=True)
    run(lambda l: l.L1Loss(reduction=red), x, y, grad_target=True)
    run(lambda l: l.SmoothL1Loss(reduction=red, beta=0.5), x, y, grad_target=True)
    run(lambda l: l.HuberLoss(reduction=red, delta=0.7), x, y, grad_target=True)


@pytest.mark.parametrize("red", RED)
def test_bce_losses(red):
    p = 1 / (1 + np.exp(-rand(4, 3)))
    t = (rand(4, 3, seed=2) > 0).astype(np.float32)
    w = np.abs(rand(3, seed=3))
    run(lambda l: l.BCELoss(reduction=red), p, t)
    run(lambda l: l.BCELoss(weight=(tg if l is nn else torch).tensor(w), reduction=red), p, t)
    z = rand(4, 3) * 30  # large logits: stable
    run(lambda l: l.BCEWithLogitsLoss(reduction=red), z, t, grad_target=True)
    run(lambda l: l.BCEWithLogitsLoss(reduction=red, pos_weight=(tg if l is nn else torch).tensor(w)), z, t)


@pytest.mark.parametrize("red", RED + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(red, log_target):
    x = np.log(np.abs(rand(3, 4)) + 0.1).astype(np.float32)
    y = np.abs(rand(3, 4, seed=5)).astype(np.float32)
    y[0, 0] = 0
    if log_target:
        y = np.log(y + 0.1).astype(np.float32)
    with pytest.warns(UserWarning) if red == "mean" else _nothing():
        run(lambda l: l.KLDivLoss(reduction=red, log_target=log_target), x, y, grad_target=log_target)
    if not log_target:
        y[0, 0] = 0.3
        with pytest.warns(UserWarning) if red == "mean" else _nothing():
            run(lambda l: l.KLDivLoss(reduction=red), x, y, grad_target=True)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@pytest.mark.parametrize("red", RED)
def test_cross_entropy_variants(red):
    x = rand(6, 5) * 3
    t = np.array([0, 4, 2, 2, 1, 3])
    w = np.abs(rand(5, seed=3)) + 0.1
    T = lambda l: (tg if l is nn else torch)  # noqa: E731
    run(lambda l: l.CrossEntropyLoss(reduction=red), x, t)
    run(lambda l: l.CrossEntropyLoss(weight=T(l).tensor(w), reduction=red), x, t)
    t2 = t.copy()
    t2[1] = -100
    t2[3] = 7
    run(lambda l: l.CrossEntropyLoss(weight=T(l).tensor(w), ignore_index=7, reduction=red), x, t2 % 8 if False else
        np.where(t2 == -100, 7, t2))
    run(lambda l: l.CrossEntropyLoss(reduction=red, label_smoothing=0.2), x, t)
    run(lambda l: l.CrossEntropyLoss(weight=T(l).tensor(w), reduction=red, label_smoothing=0.1, ignore_index=2), x, t)
    probs = np.abs(rand(6, 5, seed=7))
    probs /= probs.sum(1, keepdims=True)
    run(lambda l: l.CrossEntropyLoss(reduction=red), x, probs)
    run(lambda l: l.CrossEntropyLoss(reduction=red, weight=T(l).tensor(w), label_smoothing=0.3), x, probs)
    # spatial (N, C, H, W)
    xs = rand(2, 3, 4, 5)
    ts = np.random.default_rng(0).integers(0, 3, (2, 4, 5))
    run(lambda l: l.CrossEntropyLoss(reduction=red), xs, ts)
    run(lambda l: l.NLLLoss(reduction=red), xs, ts)
    ps = np.abs(rand(2, 3, 4, 5, seed=8))
    ps /= ps.sum(1, keepdims=True)
    run(lambda l: l.CrossEntropyLoss(reduction=red, label_smoothing=0.1), xs, ps)
    run(lambda l: l.NLLLoss(weight=T(l).tensor(w[:3]), reduction=red, ignore_index=1), xs, ts)
    # unbatched
    run(lambda l: l.CrossEntropyLoss(reduction=red), rand(5), np.array(3))


def test_cross_entropy_grad_fn_and_errors():
    x = tg.tensor(rand(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([0, 1, 3]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.cross_entropy(x, tg.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(x, tg.tensor([0, 1]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), reduction="foo")


def test_mse_broadcast_warning_and_error():
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[2\]\)\) that is different to the "
                                         r"input size \(torch.Size\(\[3, 2\]\)\)"):
        F.mse_loss(tg.randn(3, 2), tg.randn(2))
    with pytest.warns(UserWarning), pytest.raises(
            RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                "non-singleton dimension 1"):
        F.mse_loss(tg.randn(2, 3), tg.randn(2, 2))
    with pytest.raises(ValueError, match="Target size"):
        F.binary_cross_entropy_with_logits(tg.randn(3), tg.randn(2))


@pytest.mark.parametrize("red", RED)
def test_cosine_embedding_and_others(red):
    a, b = rand(5, 4), rand(5, 4, seed=1)
    t = np.array([1, -1, 1, -1, -1], np.float32)
    run(lambda l: (lambda x, y, tt: l.CosineEmbeddingLoss(margin=0.1, reduction=red)(x, y, tt)), a, b, extra=(t,))
    run(lambda l: (lambda x, y, tt: l.MarginRankingLoss(margin=0.2, reduction=red)(x[:, 0], y[:, 0], tt)), a, b,
        extra=(t,))


def test_mlp_cross_entropy_training_matches_torch():
    m = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    mt = tnn.Sequential(tnn.Linear(20, 16), tnn.ReLU(), tnn.Linear(16, 4))
    mt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = rand(32, 20)
    y = np.random.default_rng(0).integers(0, 4, 32)
    for _ in range(3):
        loss = F.cross_entropy(m(tg.tensor(x)), tg.tensor(y))
        losst = torch.nn.functional.cross_entropy(mt(torch.tensor(x)), torch.tensor(y))
        np.testing.assert_allclose(loss.item(), losst.item(), rtol=1e-5)
        m.zero_grad()
        mt.zero_grad()
        loss.backward()
        losst.backward()
        with tg.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
        with torch.no_grad():
            for p in mt.parameters():
                p -= 0.1 * p.grad


def test_poisson_nll_loss_full_adds_stirling_term_where_target_exceeds_one():
    # log(target!) ~ t log t - t + log(2 pi t) / 2, added only for t > 1 (PyTorch's rule)
    x = tg.tensor([0.5, 1.0, 2.0, 3.0], dtype=tg.float64)
    t = tg.tensor([0.0, 1.0, 2.0, 5.0], dtype=tg.float64)
    got = F.poisson_nll_loss(x, t, log_input=False, full=True, reduction="none").tolist()
    want = []
    for xi, ti in zip([0.5, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 5.0]):
        v = xi - ti * math.log(xi + 1e-8)
        if ti > 1:
            v += ti * math.log(ti) - ti + 0.5 * math.log(2 * math.pi * ti)
        want.append(v)
    assert got == pytest.approx(want, rel=1e-12)
    plain = F.poisson_nll_loss(x, t, log_input=False, reduction="none").tolist()
    assert got[:2] == plain[:2] and got[2] != plain[2]
