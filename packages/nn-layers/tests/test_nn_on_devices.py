"""tensorgraft.nn on every available device (``tg_device``): each module is built twice from the same
seed, one copy moved to the device, and outputs, input gradients and parameter gradients must agree
with CPU (float32 tolerances). Where cheap, the CPU result is also checked against NumPy, so the
``cpu`` case checks something too. Unavailable devices are skipped with the backend's reason."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing import assert_close

RTOL, ATOL = 1e-4, 1e-5   # float32, after a few accumulations (convolutions, recurrences)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def twin(make, dev):
    """The same module (same seed) on CPU and moved to ``dev``."""
    tg.manual_seed(0)
    cpu = make()
    tg.manual_seed(0)
    return cpu, make().to(dev)


on_device = assert_on_device  # the result lives on the device, as the device's own array


def flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat(o)]
    return [] if out is None else [out]


def compare(make, dev, *arrays, kwargs=None):
    """Forward and backward of a module on CPU and on ``dev``: outputs, input grads, parameter grads
    agree, and everything the device computed lives on the device. Returns the CPU outputs."""
    cpu_m, dev_m = twin(make, dev)
    results = []

    def to_tensors(a, d):  # nested tuples of arrays (an LSTM's (h0, c0)) become tuples of tensors
        if isinstance(a, tuple):
            return tuple(to_tensors(x, d) for x in a)
        return tg.tensor(a, device=d, requires_grad=a.dtype.kind == "f")

    for m, d in ((cpu_m, "cpu"), (dev_m, dev)):
        xs = [to_tensors(a, d) for a in arrays]
        outs = flat(m(*xs, **(kwargs or {})))
        # weight each output differently so a swapped output cannot cancel out
        sum(o.float().sum() * (i + 1) for i, o in enumerate(outs) if o.dtype.is_floating_point).backward()
        results.append((outs, [x.grad for x in flat(xs) if x.requires_grad], [p.grad for p in m.parameters()]))
    (co, cx, cp), (do, dx, dp) = results
    for c, d in zip(co + cx + cp, do + dx + dp):
        if c is None:
            assert d is None
            continue
        on_device(d, dev)
        assert_close(d.cpu(), c, rtol=RTOL, atol=ATOL)
    return co, cpu_m, dev_m


def test_linear(tg_device):
    x = rand(5, 3)
    (y,), m, _ = compare(lambda: nn.Linear(3, 4), tg_device, x)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert_close(y.detach(), tg.tensor(x @ w.T + b), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("stride", [1, 2])  # stride 1 takes the flattened-rows fast path
def test_conv2d(tg_device, stride):
    x = rand(2, 3, 7, 6)
    (y,), m, _ = compare(lambda: nn.Conv2d(3, 4, 3, stride=stride, padding=1), tg_device, x)
    # the CPU result against a direct loop over output positions
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    Ho, Wo = y.shape[2:]
    ref = np.empty((2, 4, Ho, Wo), np.float32)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + 3, j * stride:j * stride + 3]
            ref[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w) + b
    assert_close(y.detach(), tg.tensor(ref), rtol=RTOL, atol=ATOL)


def test_maxpool2d(tg_device):
    x = rand(2, 3, 6, 6)
    (y,), _, _ = compare(lambda: nn.MaxPool2d(2), tg_device, x)
    assert_close(y.detach(), tg.tensor(x.reshape(2, 3, 3, 2, 3, 2).max((3, 5))))
    compare(lambda: nn.MaxPool2d(3, stride=2, padding=1), tg_device, x)
    compare(lambda: nn.AdaptiveAvgPool2d((1, 1)), tg_device, x)


def test_batchnorm2d_train_and_eval_running_stats(tg_device):
    x = rand(4, 3, 5, 5)
    _, cpu_m, dev_m = compare(lambda: nn.BatchNorm2d(3), tg_device, x)
    # training updated the running statistics (buffers) on the device, as on CPU
    for name in ("running_mean", "running_var"):
        on_device(getattr(dev_m, name), tg_device)
        assert_close(getattr(dev_m, name).cpu(), getattr(cpu_m, name))
    assert int(dev_m.num_batches_tracked.cpu().item()) == 1
    assert_close(cpu_m.running_mean, tg.tensor(0.1 * x.mean((0, 2, 3))))
    assert_close(cpu_m.running_var, tg.tensor(0.9 + 0.1 * x.var((0, 2, 3), ddof=1)))
    # eval mode normalises with the running statistics
    cpu_m.eval()
    dev_m.eval()
    x2 = rand(2, 3, 5, 5, seed=1)
    ye = dev_m(tg.tensor(x2, device=tg_device))
    on_device(ye, tg_device)
    ref = (x2 - x.mean((0, 2, 3))[:, None, None] * 0.1) / np.sqrt(
        0.9 + 0.1 * x.var((0, 2, 3), ddof=1) + 1e-5)[:, None, None]
    assert_close(ye.detach().cpu(), cpu_m(tg.tensor(x2)).detach(), rtol=RTOL, atol=ATOL)
    assert_close(cpu_m(tg.tensor(x2)).detach(), tg.tensor(ref.astype(np.float32)), rtol=RTOL, atol=ATOL)


def test_layernorm_and_embedding(tg_device):
    x = rand(3, 4, 6)
    (y,), _, _ = compare(lambda: nn.LayerNorm(6), tg_device, x)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    assert_close(y.detach(), tg.tensor(ref), rtol=RTOL, atol=ATOL)
    idx = np.array([[1, 4, 4], [0, 2, 9]])
    (e,), m, _ = compare(lambda: nn.Embedding(10, 5, padding_idx=0), tg_device, idx)
    assert_close(e.detach(), tg.tensor(m.weight.detach().numpy()[idx]))


def test_activations_and_dropout_shapes(tg_device):
    x = rand(4, 8)
    compare(lambda: nn.Sequential(nn.GELU(), nn.Linear(8, 8), nn.SiLU(), nn.Softmax(-1)), tg_device, x)
    compare(lambda: nn.Sequential(nn.LeakyReLU(0.1), nn.Tanh(), nn.LogSoftmax(1)), tg_device, x)
    # dropout's mask comes from the device's generator: only the device and the scaling are checked
    d = nn.Dropout(0.5)(tg.ones(1000, device=tg_device))
    on_device(d, tg_device)
    assert set(np.unique(d.cpu().numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent(tg_device, kind):
    x = rand(5, 2, 3)                  # (seq, batch, feature)
    h0 = rand(2, 2, 4, seed=1)         # (layers, batch, hidden)
    cls = getattr(nn, kind)
    if kind == "LSTM":
        compare(lambda: cls(3, 4, num_layers=2), tg_device, x, (h0, rand(2, 2, 4, seed=2)))
    else:
        compare(lambda: cls(3, 4, num_layers=2), tg_device, x, h0)


def test_recurrent_batch_first_default_state(tg_device):
    compare(lambda: nn.LSTM(3, 4, batch_first=True, bidirectional=True), tg_device, rand(2, 5, 3))


def test_multihead_attention(tg_device):
    q, k = rand(2, 4, 8), rand(2, 6, 8, seed=1)
    mask = np.triu(np.ones((4, 6), bool), 3)
    compare(lambda: nn.MultiheadAttention(8, 2, batch_first=True), tg_device, q, k, k,
            kwargs={"attn_mask": None})
    cpu_m, dev_m = twin(lambda: nn.MultiheadAttention(8, 2, batch_first=True), tg_device)
    out_c = cpu_m(tg.tensor(q), tg.tensor(k), tg.tensor(k), attn_mask=tg.tensor(mask))
    out_d = dev_m(*(tg.tensor(a, device=tg_device) for a in (q, k, k)), attn_mask=tg.tensor(mask, device=tg_device))
    for c, d in zip(out_c, out_d):
        on_device(d, tg_device)
        assert_close(d.detach().cpu(), c.detach(), rtol=RTOL, atol=ATOL)


def test_losses(tg_device):
    logits, target = rand(6, 5), np.array([0, 3, 4, 1, 1, 2])
    lsm = logits - np.log(np.exp(logits).sum(1, keepdims=True))

    def run(dev, loss, *arrays):
        xs = [tg.tensor(a, device=dev, requires_grad=a.dtype.kind == "f") for a in arrays]
        out = loss(*xs)
        out.backward()
        return out, xs[0].grad

    cases = [(nn.CrossEntropyLoss(), (logits, target), -lsm[np.arange(6), target].mean()),
             (nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum"), (logits, target), None),
             (nn.NLLLoss(), (lsm, target), -lsm[np.arange(6), target].mean()),
             (nn.MSELoss(), (logits, rand(6, 5, seed=1)), ((logits - rand(6, 5, seed=1)) ** 2).mean()),
             (nn.L1Loss(), (logits, rand(6, 5, seed=1)), np.abs(logits - rand(6, 5, seed=1)).mean()),
             (nn.SmoothL1Loss(), (logits, rand(6, 5, seed=1)), None),
             (nn.BCEWithLogitsLoss(), (logits, (rand(6, 5, seed=2) > 0).astype(np.float32)), None),
             (nn.BCELoss(), (1 / (1 + np.exp(-logits)), (rand(6, 5, seed=2) > 0).astype(np.float32)), None),
             (nn.KLDivLoss(reduction="batchmean"), (lsm, np.full((6, 5), 0.2, np.float32)), None)]
    for loss, arrays, expected in cases:
        (cl, cg), (dl, dg) = run("cpu", loss, *arrays), run(tg_device, loss, *arrays)
        on_device(dl, tg_device)
        on_device(dg, tg_device)
        assert_close(dl.detach().cpu(), cl.detach(), rtol=RTOL, atol=ATOL, msg=f"{loss} loss differs")
        assert_close(dg.cpu(), cg, rtol=RTOL, atol=ATOL, msg=f"{loss} gradient differs")
        if expected is not None:
            assert abs(cl.item() - float(expected)) < 1e-5, loss


def test_model_to_device_moves_parameters_and_buffers(tg_device):
    tg.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 1))
    params = list(m.parameters())
    m.to(tg_device)
    # parameters are moved in place: optimizers built before the move keep working
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    for t in list(m.parameters()) + list(m.buffers()):
        on_device(t, tg_device)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    for t in m.state_dict().values():
        on_device(t, tg_device)
    # .cuda() is the same move for the cuda device; .cpu() brings everything back
    if tg.device(tg_device).type == "cuda":
        m.cpu()
        assert m[1].running_mean.device == tg.device("cpu")
        m.cuda()
        on_device(m[1].running_mean, "cuda")
        assert m[0].weight.device == tg.device("cuda", 0)
    m.cpu()
    for t in list(m.parameters()) + list(m.buffers()):
        assert t.device == tg.device("cpu")


def test_functional_with_device_tensors(tg_device):
    x = rand(2, 3, 4, 4)
    d = tg.tensor(x, device=tg_device)
    for fn in (lambda t: F.interpolate(t, scale_factor=2, mode="nearest"),
               lambda t: F.pad(t, (1, 2, 0, 1), value=0.5),
               lambda t: F.avg_pool2d(t, 2),
               lambda t: F.one_hot(tg.tensor([0, 2, 1], device=t.device), 3),
               lambda t: F.normalize(t, dim=1)):
        out = fn(d)
        on_device(out, tg_device)
        assert_close(out.cpu(), fn(tg.tensor(x)), rtol=RTOL, atol=ATOL)


def test_training_steps_of_the_seed_two_layer_net(tg_device):
    """The seed tutorial's net (Linear-ReLU-Linear, MSELoss(sum), Adam) trained on the device gives
    CPU's losses step for step."""
    optim = pytest.importorskip("tensorgraft.optim", reason="tensorgraft-optim is not installed")
    N, D_in, H, D_out = 16, 50, 20, 5
    x, y = rand(N, D_in, seed=1), rand(N, D_out, seed=2)

    def train(dev):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out)).to(dev)
        opt = optim.Adam(model.parameters(), lr=1e-2)
        loss_fn = nn.MSELoss(reduction="sum")
        xt, yt = tg.tensor(x, device=dev), tg.tensor(y, device=dev)
        losses = []
        for _ in range(5):
            loss = loss_fn(model(xt), yt)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        return losses, model

    cpu_losses, _ = train("cpu")
    dev_losses, model = train(tg_device)
    assert cpu_losses[-1] < cpu_losses[0]              # it learns
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-4)
    for p in model.parameters():
        on_device(p, tg_device)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 0.0])
def test_clip_grad_norm(tg_device, norm_type):
    grads = [rand(4, 3), rand(5, seed=1) * 10]

    def run(dev):
        ps = [tg.zeros(*g.shape, device=dev, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = tg.tensor(g, device=dev)
        total = nn.utils.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
        return total, [p.grad for p in ps]

    (ct, cg), (dt, dg) = run("cpu"), run(tg_device)
    for c, d in zip([ct] + cg, [dt] + dg):
        on_device(d, tg_device)
        assert_close(d.cpu(), c, rtol=RTOL, atol=ATOL)
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    expected = {2.0: np.sqrt((flat ** 2).sum()), 1.0: np.abs(flat).sum(), float("inf"): np.abs(flat).max(),
                0.0: 2.0}[norm_type]  # order 0: the count of tensors with a nonzero norm (PyTorch)
    assert abs(ct.item() - expected) <= 1e-5 * expected
    if norm_type != 0.0:  # order 0's "norm" is not a scale the clipped gradients obey
        scale = np.float32(min(1.5 / (expected + 1e-6), 1.0))
        assert_close(cg[1], tg.tensor(grads[1] * scale), rtol=RTOL, atol=ATOL)


INITS = [(nn.init.uniform_, {"a": -0.5, "b": 0.5}), (nn.init.normal_, {"std": 0.1}),
         (nn.init.trunc_normal_, {"std": 1.0, "a": -1.0, "b": 1.0}), (nn.init.orthogonal_, {}),
         (nn.init.sparse_, {"sparsity": 0.5}), (nn.init.kaiming_uniform_, {"a": 5 ** 0.5}),
         (nn.init.xavier_normal_, {})]


@pytest.mark.parametrize("init,kw", INITS, ids=[f.__name__ for f, _ in INITS])
def test_init_draws_on_the_tensors_device(tg_device, init, kw):
    # as PyTorch: the tensor's own device generator (or one of that device type) draws the values,
    # reproducibly; the values obey the initialiser's law
    def draw(generator=None):
        t = tg.empty(6, 4, device=tg_device)
        init(t, generator=generator, **kw)
        on_device(t, tg_device)
        return t.cpu().numpy()

    tg.manual_seed(11)
    a = draw()
    tg.manual_seed(11)
    assert (draw() == a).all()
    g = tg.Generator(device=tg_device)
    g.manual_seed(5)
    b = draw(g)
    g.manual_seed(5)
    assert (draw(g) == b).all() and not (a == b).all()
    if init is nn.init.uniform_:
        assert a.min() >= -0.5 and a.max() <= 0.5
    elif init is nn.init.trunc_normal_:
        assert a.min() >= -1.0 and a.max() <= 1.0
    elif init is nn.init.orthogonal_:
        assert np.allclose(a.T @ a, np.eye(4), atol=1e-5)  # orthonormal columns (6 x 4)
    elif init is nn.init.sparse_:
        assert ((a == 0).sum(0) == 3).all()  # ceil(0.5 * 6) zeros in every column
    if tg_device != "cpu":  # the device's draws leave the CPU stream alone
        tg.manual_seed(3)
        before = tg.rand(3)
        tg.manual_seed(3)
        draw()
        assert (tg.rand(3) == before).all().item()


def test_autocast_float32_list_and_the_bce_refusal_on_every_device(tg_device):
    """A loss on PyTorch's float32 list runs half-precision operands in float32 under the device's
    autocast; binary_cross_entropy is refused under CUDA's autocast, in PyTorch's words (CPU's runs
    it in float32)."""
    import tensorgraft as tg
    half = tg.bfloat16 if tg_device == "cpu" else tg.float16
    x = tg.rand(4, device=tg_device).to(half)
    with tg.autocast(tg_device):
        assert tg.nn.functional.huber_loss(x, x * 0.5).dtype is tg.float32
        if tg_device == "cpu":
            assert tg.nn.functional.binary_cross_entropy(x, x).dtype is tg.float32
        else:
            with pytest.raises(RuntimeError, match="binary_cross_entropy and torch.nn.BCELoss are unsafe to "
                                                   "autocast"):
                tg.nn.functional.binary_cross_entropy(x, x)
