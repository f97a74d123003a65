"""Every optimizer on every available device (``tg_device``): a few steps on the device give the
parameters CPU gives (float32 tolerances), the optimizer's state lives on the device, state_dict
round trips keep it there, and schedulers are unaffected by where the parameters live.

Gradients are written by hand (the gradient of a quadratic), so this runs without the autograd
engine, like the rest of tensorgraft-optim's tests. On ``cpu`` the SGD and Adam trajectories are
checked against their update rules computed with NumPy. Unavailable devices are skipped with the
backend's reason."""
import copy

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.optim as optim
from tensorgraft.testing import assert_close

TARGET = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], np.float32)
START = np.array([[1.0, 2.0, -1.0], [0.0, 0.5, 1.0]], np.float32)

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adadelta", {"lr": 1.0}),
    ("Rprop", {"lr": 0.05}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.7), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {"lr": 0.05, "t0": 2, "lambd": 0.01, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.1}),
    ("Adafactor", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
]


def make_params(dev):
    # two groups' worth of tensors of different shapes; plain tensors: no autograd needed
    return [tg.tensor(START, device=dev), tg.tensor(START[0] * 2, device=dev)]


def set_grads(ps):
    """Gradient of sum((p - target)^2) for the first, of sum(p^2) for the second parameter."""
    ps[0].grad = (ps[0] - tg.tensor(TARGET, device=ps[0].device)) * 2
    ps[1].grad = ps[1] * 2


def run(name, kw, dev, steps=4):
    ps = make_params(dev)
    opt = getattr(optim, name)(ps, **kw)
    for _ in range(steps):
        set_grads(ps)
        opt.step()
        opt.zero_grad()
    return ps, opt


on_device = assert_on_device  # the result lives on the device, as the device's own array


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_steps_on_device_equal_cpu(tg_device, name, kw):
    cpu_ps, _ = run(name, kw, "cpu")
    dev_ps, opt = run(name, kw, tg_device)
    for c, d in zip(cpu_ps, dev_ps):
        on_device(d, tg_device)
        assert_close(d.cpu(), c, rtol=1e-5, atol=1e-6)
    assert not np.allclose(cpu_ps[0].numpy(), START)       # the steps did move the parameters
    # every tensor in the optimizer's state lives with its parameter
    for p in dev_ps:
        for value in opt.state[p].values():
            if isinstance(value, tg.Tensor) and value.dim() > 0:
                on_device(value, tg_device)


def test_cpu_trajectories_follow_the_update_rules(tg_device):
    # SGD with momentum and Adam, by hand, for the first parameter; the device must match them too
    p, buf = START.astype(np.float64), None
    for _ in range(4):
        g = 2 * (p - TARGET)
        buf = g if buf is None else 0.9 * buf + g
        p = p - 0.1 * buf
    ps, _ = run("SGD", {"lr": 0.1, "momentum": 0.9}, tg_device)
    assert_close(ps[0].cpu(), tg.tensor(p.astype(np.float32)), rtol=1e-5, atol=1e-6)

    p, m, v = START.astype(np.float64), 0.0, 0.0
    for t in range(1, 5):
        g = 2 * (p - TARGET)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    ps, _ = run("Adam", {"lr": 0.05}, tg_device)
    assert_close(ps[0].cpu(), tg.tensor(p.astype(np.float32)), rtol=1e-5, atol=1e-6)


def test_lbfgs_on_device(tg_device):
    def solve(dev):
        ps = make_params(dev)[:1]
        opt = optim.LBFGS(ps, lr=1, max_iter=10)

        def closure():
            set_grads(ps + [tg.zeros(1, device=dev)])
            return ((ps[0] - tg.tensor(TARGET, device=dev)) ** 2).sum()

        opt.step(closure)
        return ps[0]

    c, d = solve("cpu"), solve(tg_device)
    on_device(d, tg_device)
    assert_close(d.cpu(), c, rtol=1e-5, atol=1e-5)
    assert_close(c, tg.tensor(TARGET), rtol=1e-4, atol=1e-4)    # the quadratic's minimum


@pytest.mark.parametrize("name,kw", [CASES[1], CASES[4], CASES[9]], ids=["SGD", "Adam", "RMSprop"])
def test_state_dict_round_trip_keeps_state_on_device(tg_device, name, kw):
    ps, opt = run(name, kw, tg_device, steps=2)
    # copied, as saving and loading would: like PyTorch's, a state dict references the live state
    sd = copy.deepcopy(opt.state_dict())
    # a fresh optimizer over fresh parameters on the device, loaded from the state dict, continues
    # exactly as the original does
    ps2 = [p.clone() for p in ps]
    opt2 = getattr(optim, name)(ps2, **kw)
    opt2.load_state_dict(sd)
    for p in ps2:
        for value in opt2.state[p].values():
            if isinstance(value, tg.Tensor) and value.dim() > 0:
                on_device(value, tg_device)
    for o, group in ((opt, ps), (opt2, ps2)):
        set_grads(group)
        o.step()
    for a, b in zip(ps, ps2):
        assert_close(b.cpu(), a.cpu())
    # a state dict saved on CPU loads onto device parameters (state is cast to the parameter's device)
    cpu_ps, cpu_opt = run(name, kw, "cpu", steps=2)
    opt3 = getattr(optim, name)([p.clone() for p in ps], **kw)
    opt3.load_state_dict(cpu_opt.state_dict())
    for p in opt3.param_groups[0]["params"]:
        for value in opt3.state[p].values():
            if isinstance(value, tg.Tensor) and value.dim() > 0:
                on_device(value, tg_device)


def test_schedulers_are_unaffected_by_the_device(tg_device):
    def lrs(dev):
        ps = make_params(dev)
        opt = optim.SGD(ps, lr=0.1, momentum=0.9)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=6)
        plateau_opt = optim.Adam(make_params(dev), lr=0.1)
        plateau = optim.lr_scheduler.ReduceLROnPlateau(plateau_opt, patience=0)
        out = []
        for _ in range(5):
            set_grads(ps)
            opt.step()
            sched.step()
            # the plateau scheduler reads a device scalar metric
            plateau.step(tg.tensor(1.0, device=dev))
            out.append((sched.get_last_lr()[0], plateau_opt.param_groups[0]["lr"]))
        return out, ps

    cpu_lrs, cpu_ps = lrs("cpu")
    dev_lrs, dev_ps = lrs(tg_device)
    assert dev_lrs == cpu_lrs
    assert cpu_lrs[-1][1] < 0.1                          # the plateau was detected
    assert_close(dev_ps[0].cpu(), cpu_ps[0], rtol=1e-5, atol=1e-6)


def test_muon_on_device(tg_device):
    # Muon takes matrices only; its bfloat16 emulation runs on the device's arrays
    def solve(dev):
        ps = [tg.tensor(START, device=dev), tg.tensor(START.T * 2, device=dev)]
        opt = optim.Muon(ps, lr=0.05)
        for _ in range(4):
            ps[0].grad = (ps[0] - tg.tensor(TARGET, device=dev)) * 2
            ps[1].grad = ps[1] * 2
            opt.step()
        return ps, opt

    (c, _), (d, opt) = solve("cpu"), solve(tg_device)
    for a, b in zip(c, d):
        on_device(b, tg_device)
        on_device(opt.state[b]["momentum_buffer"], tg_device)
        assert_close(b.cpu(), a, rtol=1e-5, atol=1e-6)
