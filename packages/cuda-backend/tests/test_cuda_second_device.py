"""Tensors on a GPU that is not the current one (``cuda:1`` while GPU 0 is current), as PyTorch:
every op runs on its tensors' own GPU and its result lives there.

CuPy launches kernels on the current device; an array on another GPU is refused (no peer access)
or read across the bus with the result left on the current GPU, so the tensor would claim
``cuda:1`` while its array sits on GPU 0. The fake CuPy (FAKE_CUPY_DEVICES=2 in tox
``cuda-fake``) refuses such operands as real CuPy does without peer access, so each workload
here fails if any kernel launch on the way runs on the wrong GPU."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing import assert_close


@pytest.fixture
def second_gpu():
    from tensorgraft.device import backends
    cuda = backends().get("cuda")
    if cuda is None or not cuda.is_available():
        pytest.skip(cuda.unavailable_reason() if cuda is not None else "tensorgraft-cuda is not installed")
    if tg.cuda.device_count() < 2:
        pytest.skip("needs two CUDA devices (the fake CuPy offers two: FAKE_CUPY_DEVICES=2)")
    tg.cuda.set_device(0)
    yield tg.device("cuda", 1)
    tg.cuda.set_device(0)


def _on_gpu1(*tensors):
    for t in tensors:
        assert t.device == tg.device("cuda", 1), t.device
        assert int(t._data.device.id) == 1, "the array is not on GPU 1"


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_ops_and_their_gradients_run_on_the_tensors_gpu(second_gpu):
    a_np, b_np = _rand(4, 5), _rand(5, 3, seed=1)
    a = tg.tensor(a_np, device=second_gpu, requires_grad=True)
    b = tg.tensor(b_np, device=second_gpu, requires_grad=True)
    y = ((a @ b).relu() * 2 + a.sum(1, keepdim=True)).softmax(-1)
    loss = (y * tg.arange(3.0, device=second_gpu)).sum()
    loss.backward()
    _on_gpu1(y, loss, a.grad, b.grad)
    assert tg.cuda.current_device() == 0
    ca, cb = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    cy = ((ca @ cb).relu() * 2 + ca.sum(1, keepdim=True)).softmax(-1)
    (cy * tg.arange(3.0)).sum().backward()
    assert_close(y.cpu(), cy, rtol=1e-5, atol=1e-6)
    assert_close(a.grad.cpu(), ca.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["SGD-momentum", "Adam", "AdamW-foreach-off"])
def test_training_step_on_the_second_gpu_matches_the_cpu(second_gpu, optimizer):
    def build():
        # no conv bias before BatchNorm: its gradient is rounding noise, which Adam would magnify
        tg.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(4 * 3 * 3, 16), nn.GELU(), nn.LayerNorm(16),
                             nn.Dropout(0.0), nn.Linear(16, 3))

    def make_opt(params):
        if optimizer == "SGD-momentum":
            return tg.optim.SGD(params, lr=0.1, momentum=0.9)
        if optimizer == "Adam":
            return tg.optim.Adam(params, lr=1e-2)
        return tg.optim.AdamW(params, lr=1e-2, foreach=False)

    x_np, y_np = _rand(6, 1, 6, 6, seed=2), np.array([0, 1, 2, 0, 1, 2])
    gpu_model, cpu_model = build().to(second_gpu), build()
    gpu_opt, cpu_opt = make_opt(gpu_model.parameters()), make_opt(cpu_model.parameters())
    x, y = tg.tensor(x_np, device=second_gpu), tg.tensor(y_np, device=second_gpu)
    for _ in range(2):
        for model, opt, xx, yy in ((gpu_model, gpu_opt, x, y), (cpu_model, cpu_opt, x.cpu(), y.cpu())):
            opt.zero_grad()
            loss = F.cross_entropy(model(xx), yy)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    assert tg.cuda.current_device() == 0
    for (name, g), c in zip(gpu_model.state_dict().items(), cpu_model.state_dict().values()):
        _on_gpu1(g)
        assert_close(g.cpu(), c, rtol=1e-4, atol=1e-5, msg=name)
    for state in gpu_opt.state.values():
        _on_gpu1(*(v for k, v in state.items() if isinstance(v, tg.Tensor) and k != "step"))


def test_recurrent_embedding_and_attention_on_the_second_gpu(second_gpu):
    tg.manual_seed(0)
    emb, lstm = nn.Embedding(10, 8), nn.LSTM(8, 8, batch_first=True)
    attn = nn.MultiheadAttention(8, 2, batch_first=True)
    tokens = tg.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    outs = {}
    for dev in ("cpu", second_gpu):
        for m in (emb, lstm, attn):
            m.to(dev)
        h, _ = lstm(emb(tokens.to(dev)))
        out, weights = attn(h, h, h)
        out.sum().backward()
        outs[str(dev)] = (out, weights, emb.weight.grad.clone())
        for m in (emb, lstm, attn):
            m.zero_grad()
    g_out, g_w, g_grad = outs["cuda:1"]
    _on_gpu1(g_out, g_w, g_grad)
    for a, b in zip(outs["cuda:1"], outs["cpu"]):
        assert_close(a.cpu(), b, rtol=1e-4, atol=1e-5)


def test_random_draws_and_creation_follow_the_tensors_gpu(second_gpu):
    x = tg.ones(3, 4, device=second_gpu)
    made = [tg.rand_like(x), tg.randn_like(x), tg.zeros_like(x), x.new_full((2,), 3.0), F.dropout(x, 0.5),
            tg.bernoulli(x * 0.5), tg.multinomial(x, 2), x.clone().uniform_()]
    _on_gpu1(*made)


def test_moving_between_gpus(second_gpu):
    x = tg.arange(6.0, device="cuda:0").reshape(2, 3)
    y = x.to(second_gpu)
    _on_gpu1(y, y * 2)
    assert y.to("cuda:0")._data.device.id == 0
    with pytest.raises(RuntimeError, match="cuda:0 and cuda:1"):
        x + y


# ------------------------------------------------------------------ every nn module on the second GPU
def _every_module_cases():
    """tensorgraft-nn's table of device cases (one or more for every exported module), read from its
    test file so that a layer added there is checked here too; empty where nn is not installed."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "nn-layers" / "tests" / "test_nn_every_module_on_devices.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_tg_every_module_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CASES_MODULE = _every_module_cases()
_CASES = _CASES_MODULE.CASES if _CASES_MODULE is not None else []


@pytest.mark.parametrize("case", _CASES, ids=[f"{c.cls}-{c.id}" for c in _CASES])
def test_every_module_on_the_second_gpu_matches_cpu(second_gpu, case):
    from tensorgraft.testing import assert_on_device
    m = _CASES_MODULE
    tg.manual_seed(0)
    cpu_m = case.make()
    tg.manual_seed(0)
    dev_m = case.make().to(second_gpu)
    tg.cuda.set_device(0)  # GPU 0 current, as CuPy's own current device, at the start of the step
    cpu, dev = m.run(case, cpu_m, "cpu"), m.run(case, dev_m, second_gpu)
    assert tg.cuda.current_device() == 0
    rtol, atol = case.tol
    for what, cs, ds in zip(("output", "input grad", "parameter grad", "parameter/buffer"), cpu, dev):
        assert len(cs) == len(ds)
        for i, (c, d) in enumerate(zip(cs, ds)):
            if c is None:
                assert d is None
                continue
            assert_on_device(d, "cuda:1")
            assert_close(d.detach().cpu(), c.detach(), rtol=rtol, atol=atol, msg=f"{what} {i} differs")
