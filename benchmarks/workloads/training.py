"""Autograd, nn and optim workloads (issues 4, 5, 6): the same PyTorch-style code runs on
tensorgraft and on PyTorch (single-threaded, like tensorgraft's NumPy calls on small matrices),
with a hand-written NumPy version where the seed tutorial has one."""
from __future__ import annotations

import numpy as np

from . import Unavailable, Workload


def _mod(name, device="cpu"):
    """The library, single-threaded on CPU; for another device, checked to have it."""
    if name == "torch":
        import torch
        torch.set_num_threads(1)
        lib = torch
    else:
        import tensorgraft
        tensorgraft.set_num_threads(1)  # like torch.set_num_threads(1) above: one thread each
        lib = tensorgraft
    if device != "cpu":
        if name == "torch":
            if not torch.cuda.is_available():
                raise Unavailable(f"this PyTorch ({torch.__version__}) sees no CUDA device")
        else:
            from tensorgraft.device import backends
            backend = backends().get(tensorgraft.device(device).type)
            if backend is None:
                raise Unavailable(f"no tensorgraft backend for {device!r} is installed (pip install tensorgraft-cuda)")
            if not backend.is_available():
                raise Unavailable(backend.unavailable_reason())
    return lib


def _synced(t, device, step):
    """On a GPU a step only queues kernels: wait for them, so the time is the work's."""
    if device == "cpu":
        return step
    sync = t.cuda.synchronize

    def synced_step():
        step()
        sync()
    return synced_step


# --------------------------------------------------------------------- autograd
def chain50(lib):
    def make():
        t = _mod(lib)
        x = t.ones(1, requires_grad=True)

        def step():
            y = x
            for _ in range(50):
                y = y * 1.01 + 0.01
            y.backward()
            x.grad = None
        return step
    return make


def seed_manual(lib, device="cpu"):
    """The seed's two-layer network trained by hand: forward, backward, update under no_grad."""
    def make():
        t = _mod(lib, device)
        t.manual_seed(0)
        N, D_in, H, D_out = 64, 1000, 100, 10
        x, y = t.randn(N, D_in, device=device), t.randn(N, D_out, device=device)
        w1 = t.randn(D_in, H, device=device, requires_grad=True)
        w2 = t.randn(H, D_out, device=device, requires_grad=True)

        def step():
            nonlocal w1, w2  # `w1 -= ...` rebinds the name (to the same, updated tensor)
            y_pred = x.mm(w1).clamp(min=0).mm(w2)
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with t.no_grad():
                w1 -= 1e-6 * w1.grad
                w2 -= 1e-6 * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
        return _synced(t, device, step)
    return make


def seed_manual_numpy():
    rng = np.random.default_rng(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x, y = rng.standard_normal((N, D_in), np.float32), rng.standard_normal((N, D_out), np.float32)
    w1, w2 = rng.standard_normal((D_in, H), np.float32), rng.standard_normal((H, D_out), np.float32)

    def step():
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1[...] -= 1e-6 * grad_w1
        w2[...] -= 1e-6 * grad_w2
    return step


# --------------------------------------------------------------------- nn + optim
def _train_step(t, model, loss_fn, opt, x, y, device="cpu"):
    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _synced(t, device, step)


def seed_nn_adam(lib):
    def make():
        t = _mod(lib)
        t.manual_seed(0)
        N, D_in, H, D_out = 64, 1000, 100, 10
        x, y = t.randn(N, D_in), t.randn(N, D_out)
        model = t.nn.Sequential(t.nn.Linear(D_in, H), t.nn.ReLU(), t.nn.Linear(H, D_out))
        return _train_step(t, model, t.nn.MSELoss(reduction="sum"), t.optim.Adam(model.parameters(), lr=1e-4), x, y)
    return make


def mlp784(lib, batch=256, device="cpu"):
    def make():
        t = _mod(lib, device)
        t.manual_seed(0)
        x, y = t.randn(batch, 784, device=device), t.randint(0, 10, (batch,), device=device)
        model = t.nn.Sequential(t.nn.Linear(784, 512), t.nn.ReLU(), t.nn.Linear(512, 512), t.nn.ReLU(),
                                t.nn.Linear(512, 10)).to(device)
        return _train_step(t, model, t.nn.CrossEntropyLoss(), t.optim.Adam(model.parameters(), lr=1e-3), x, y,
                           device)
    return make


def mlp784_half(lib, batch=256, autocast=False, dtype="bfloat16"):
    """The 784-512-512-10 MLP in a half type: the model cast (``model.to(torch.bfloat16)`` or
    ``torch.float16``), or a float32 model under ``torch.autocast("cpu")`` (bfloat16 matmuls, float32
    loss). The target is looser than float32's: NumPy has no half-type BLAS, so each product pays a
    float32 copy of its operands and a rounding of its result, where PyTorch's oneDNN kernels read
    the half type directly."""
    def make():
        t = _mod(lib)
        t.manual_seed(0)
        x, y = t.randn(batch, 784), t.randint(0, 10, (batch,))
        model = t.nn.Sequential(t.nn.Linear(784, 512), t.nn.ReLU(), t.nn.Linear(512, 512), t.nn.ReLU(),
                                t.nn.Linear(512, 10))
        if not autocast:
            model, x = model.to(getattr(t, dtype)), x.to(getattr(t, dtype))
        # float16 cannot hold Adam's default eps (1e-8 rounds to 0): a weight whose gradient is 0 then
        # divides 0 by 0, and every parameter is NaN after the second step, in both libraries
        eps = 1e-4 if dtype == "float16" and not autocast else 1e-8
        opt = t.optim.Adam(model.parameters(), lr=1e-3, eps=eps)
        loss_fn = t.nn.CrossEntropyLoss()

        def step():
            with t.autocast("cpu", enabled=autocast):
                loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step
    return make


def small_cnn(lib, batch=32, device="cpu", dtype="float32"):
    def make():
        t = _mod(lib, device)
        nn = t.nn
        t.manual_seed(0)
        x, y = t.randn(batch, 3, 32, 32, device=device), t.randint(0, 10, (batch,), device=device)
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 8 * 8, 10)).to(device)
        if dtype != "float32":
            model, x = model.to(getattr(t, dtype)), x.to(getattr(t, dtype))
        opt = t.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return _train_step(t, model, nn.CrossEntropyLoss(), opt, x, y, device)
    return make


def adam_step(lib):
    """Adam over 100 parameters of mixed shapes, 1.2 M values in all (gradients already there)."""
    def make():
        t = _mod(lib)
        rng = np.random.default_rng(0)
        shapes = [(100, 100), (100,), (50, 40), (300,)] * 25
        total = sum(int(np.prod(s)) for s in shapes)
        scale = 1_200_000 / total
        shapes = [tuple(max(1, int(round(d * scale ** (1 / len(s))))) for d in s) for s in shapes]
        params = []
        for s in shapes:
            p = t.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
            p.grad = t.tensor(rng.standard_normal(s).astype(np.float32))
            params.append(p)
        opt = t.optim.Adam(params, lr=1e-3)
        return opt.step
    return make


WORKLOADS = [
    Workload("chain50_backward", "50 x (x*1.01+0.01) on a 1-element tensor, then backward",
             tensorgraft=chain50("tensorgraft"), torch=chain50("torch"), target="tg/torch <= 1.0"),
    Workload("seed_manual_step", "seed two-layer net trained by hand (N=64, 1000-100-10): one step",
             tensorgraft=seed_manual("tensorgraft"), numpy=seed_manual_numpy, torch=seed_manual("torch"),
             target="tg/torch <= 1.0"),
    Workload("seed_nn_adam_step", "seed Sequential two-layer net, MSELoss(sum) + Adam: one step",
             tensorgraft=seed_nn_adam("tensorgraft"), torch=seed_nn_adam("torch"), target="tg/torch <= 1.0"),
    Workload("mlp784_adam_step", "784-512-512-10 MLP, batch 256, cross-entropy + Adam: one step",
             tensorgraft=mlp784("tensorgraft"), torch=mlp784("torch"), target="tg/torch <= 1.0"),
    Workload("mlp784_bf16_adam_step", "the 784-512-512-10 MLP cast to bfloat16, batch 256, cross-entropy + Adam",
             tensorgraft=mlp784_half("tensorgraft"), torch=mlp784_half("torch"), target="tg/torch <= 2.5"),
    Workload("mlp784_fp16_adam_step", "the 784-512-512-10 MLP cast to float16, batch 256, cross-entropy + Adam (eps 1e-4)",
             tensorgraft=mlp784_half("tensorgraft", dtype="float16"), torch=mlp784_half("torch", dtype="float16"),
             target="tg/torch <= 2.5"),
    Workload("mlp784_autocast_step", "the 784-512-512-10 MLP under autocast('cpu') (bfloat16), batch 256, Adam",
             tensorgraft=mlp784_half("tensorgraft", autocast=True), torch=mlp784_half("torch", autocast=True),
             target="tg/torch <= 2.5"),
    Workload("small_cnn_sgd_step", "2x(conv3x3+ReLU+maxpool2) 16/32 ch + Linear, batch 32x3x32x32, SGD momentum",
             tensorgraft=small_cnn("tensorgraft"), torch=small_cnn("torch"), target="tg/torch <= 1.5"),
    Workload("small_cnn_fp16_sgd_step", "the small CNN cast to float16, batch 32x3x32x32, SGD momentum",
             tensorgraft=small_cnn("tensorgraft", dtype="float16"), torch=small_cnn("torch", dtype="float16"),
             target="tg/torch <= 2.5"),
    Workload("adam_step_1p2M", "Adam.step over 100 params of mixed shapes (1.2 M values)",
             tensorgraft=adam_step("tensorgraft"), torch=adam_step("torch"), target="tg/torch <= 1.0"),
]
