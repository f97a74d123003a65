"""Regressions found by a differential sweep of ``tensorgraft.optim`` against PyTorch 2.13, compared with
PyTorch itself: tensor learning rates, constructor refusals, ``capturable``/``differentiable`` at step,
state dicts loaded (by either library) and continued, ASGD's foreach path, Muon's bfloat16 rounding,
LBFGS's step type and schedulers writing a tensor ``lr``. Gradients are written by hand with NumPy,
so both libraries see bit-identical inputs and float64 results must agree to rounding."""
import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

SHAPES = [(3, 4), (5,), (2, 3)]
MATRICES = [(3, 4), (5, 2), (4, 4)]


def _run(lib, name, kw, *, steps=6, seed=0, shapes=None, two_groups=False, skip=None, zero_grad_to_none=True):
    """``steps`` steps of ``name`` over float64 parameters; gradient = 0.5 * param + noise. ``skip(k, i)``
    leaves parameter i without a new gradient at step k (None or zeros, per ``zero_grad_to_none``)."""
    rng = np.random.default_rng(seed)
    shapes = shapes or (MATRICES if name == "Muon" else SHAPES)
    ps = [lib.tensor(rng.standard_normal(s)) for s in shapes]
    noise = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    kw = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    if "betas" in kw and isinstance(kw["betas"][0], np.ndarray):
        kw["betas"] = tuple(lib.tensor(b) for b in kw["betas"])
    groups = [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}] if two_groups else ps
    opt = getattr(lib.optim, name)(groups, **kw)
    for k in range(steps):
        opt.zero_grad(set_to_none=zero_grad_to_none)
        for i, p in enumerate(ps):
            if skip is not None and skip(k, i):
                continue
            g = lib.tensor(0.5 * p.detach().numpy() + noise[k][i])
            if p.grad is None:
                p.grad = g
            else:
                p.grad.copy_(g)
        opt.step()
    return ps, opt


def _assert_state_dicts_equal(a, b, rtol, atol):
    """torch's state dict ``a`` and tensorgraft's ``b``: same structure, types, dtypes and values."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, tg.Tensor) and str(b.dtype) == str(a.dtype) and tuple(b.shape) == tuple(a.shape)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=rtol, atol=atol)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_state_dicts_equal(a[k], b[k], rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_state_dicts_equal(x, y, rtol, atol)
    elif isinstance(a, float):
        assert type(b) is float and b == pytest.approx(a, rel=rtol, abs=atol)
    else:
        assert type(a) is type(b) and a == b


def _assert_same_run(t, g, rtol=1e-13, atol=1e-15):
    (tp, topt), (gp, gopt) = t, g
    for x, y in zip(tp, gp):
        np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy(), rtol=rtol, atol=atol)
    _assert_state_dicts_equal(topt.state_dict(), gopt.state_dict(), rtol, atol)


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return type(e).__name__, str(e)
    return None


# ------------------------------------------------------------------------------------- tensor lr
TENSOR_LR = [("SGD", dict(momentum=0.9)), ("Adam", {}), ("Adam", dict(weight_decay=0.1, amsgrad=True)),
             ("Adam", dict(fused=True)), ("AdamW", {}), ("AdamW", dict(fused=True)), ("Adamax", {}),
             ("Adamax", dict(foreach=True)), ("NAdam", {}), ("NAdam", dict(foreach=True)),
             ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)), ("RAdam", {}),
             ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)), ("Adagrad", dict(lr_decay=0.05)),
             ("Adadelta", {}), ("RMSprop", dict(momentum=0.5, centered=True)), ("Rprop", {}), ("ASGD", dict(t0=2)),
             ("Adafactor", dict(weight_decay=0.1)), ("Muon", dict(adjust_lr_fn="match_rms_adamw"))]


@pytest.mark.parametrize("name,kw", TENSOR_LR, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TENSOR_LR)])
def test_tensor_lr_trajectories_match_torch(name, kw):
    kw = dict(kw, lr=np.array(0.01, dtype=np.float32))
    _assert_same_run(_run(torch, name, kw), _run(tg, name, kw))


# ------------------------------------------------------------------------------------- refusals
REFUSALS = [
    ("SGD", dict(lr=[0.1, 0.2])), ("Adam", dict(lr=[0.1, 0.2], eps=-1.0)), ("Adagrad", dict(lr=[0.1, 0.2])),
    ("LBFGS", dict(lr=[0.1, 0.2])), ("SparseAdam", dict(lr=[0.1, 0.2])), ("Muon", dict(lr=[0.1, 0.2])),
    ("Adafactor", dict(lr=[0.1, 0.2])), ("Adam", dict(lr=-1.0, fused=True, foreach=True)),
    ("SGD", dict(fused=True, foreach=True)), ("SGD", dict(fused=True, differentiable=True, foreach=True)),
    ("Adam", dict(fused=True, foreach=True)), ("AdamW", dict(fused=True, differentiable=True)),
    ("Adagrad", dict(fused=True, foreach=True)), ("Adam", dict(betas=(0.9, "T0.99"))),
    ("AdamW", dict(betas=("T0.9", 0.99), eps=-1.0)), ("Adam", dict(lr="T0.1", foreach=True, fused=True)),
    ("AdamW", dict(lr="T0.1", foreach=True)), ("Adam", dict(betas=("T0.9", "T0.99"), foreach=True)),
    ("Adam", dict(betas=("T0.9", "T1.5"))), ("Adam", dict(lr="T-1.0")), ("Muon", dict(lr="T-1.0")),
]


def _tensorize(lib, v):
    if isinstance(v, list):
        return lib.tensor(v)
    if isinstance(v, str) and v.startswith("T"):
        return lib.tensor(float(v[1:]))
    if isinstance(v, tuple):
        return tuple(_tensorize(lib, x) for x in v)
    return v


@pytest.mark.parametrize("name,kw", REFUSALS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REFUSALS)])
def test_constructor_refusals_match_torch(name, kw):
    results = []
    for lib in (torch, tg):
        p = lib.zeros(2, 2)
        results.append(_outcome(lambda: getattr(lib.optim, name)([p], **{k: _tensorize(lib, v) for k, v in kw.items()})))
    assert results[0] is not None and results[1] == results[0]


# ------------------------------------------------------------------------------------- capturable / differentiable
@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "RMSprop", "Rprop", "ASGD"])
@pytest.mark.parametrize("foreach", [None, True])
def test_capturable_on_cpu_fails_at_step_like_torch(name, foreach):
    out = []
    for lib in (torch, tg):
        p = lib.tensor(np.arange(3.0))
        opt = getattr(lib.optim, name)([p], capturable=True, foreach=foreach)
        p.grad = lib.ones(3, dtype=lib.float64)
        out.append((_outcome(opt.step), p, opt))
    (terr, tp, topt), (gerr, gp, gopt) = out
    assert terr is not None and gerr == terr
    np.testing.assert_array_equal(gp.numpy(), tp.numpy())
    _assert_state_dicts_equal(topt.state_dict(), gopt.state_dict(), 0, 0)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_capturable_fused_adam_runs_on_cpu_like_torch(name):
    kw = dict(lr=0.01, capturable=True, fused=True)
    _assert_same_run(_run(torch, name, kw), _run(tg, name, kw))


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop",
                                  "ASGD"])
def test_differentiable_leaf_fails_like_torch(name):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad=True needs tensorgraft-autograd")
    errors = []
    for lib in (torch, tg):
        p = lib.zeros(3, requires_grad=True)
        opt = getattr(lib.optim, name)([p], differentiable=True)
        p.grad = lib.ones(3)
        errors.append(_outcome(opt.step))
    assert errors[0] is not None and errors[1] == errors[0]


# ------------------------------------------------------------------------------------- loaded state dicts
LOADS = [("NAdam", {}), ("NAdam", dict(foreach=True, weight_decay=0.1)), ("ASGD", dict(t0=2)),
         ("ASGD", dict(t0=2, foreach=True)), ("ASGD", dict(lr=0.1, lambd=0.1, alpha=0.5, t0=1)), ("Adam", {})]


def _to_numpy(sd):
    if isinstance(sd, (torch.Tensor, tg.Tensor)):
        return sd.detach().numpy().copy()
    if isinstance(sd, dict):
        return {k: _to_numpy(v) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(_to_numpy(v) for v in sd)
    return sd


def _from_numpy(sd, lib):
    if isinstance(sd, np.ndarray):
        return lib.tensor(sd)
    if isinstance(sd, dict):
        return {k: _from_numpy(v, lib) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(_from_numpy(v, lib) for v in sd)
    return sd


@pytest.mark.parametrize("source", ["torch", "tensorgraft"])
@pytest.mark.parametrize("name,kw", LOADS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LOADS)])
def test_state_dict_loaded_by_both_continues_alike(name, kw, source):
    """A state saved by either library, converted to NumPy, loaded by both: the casts load applies
    (every entry but 'step' to the parameter's dtype) and the steps after it agree."""
    src = torch if source == "torch" else tg
    ps, opt = _run(src, name, kw, steps=4, seed=1, two_groups=True)
    saved = _to_numpy(opt.state_dict())
    runs = []
    for lib in (torch, tg):
        qs = [lib.tensor(p.detach().numpy().copy()) for p in ps]
        other = getattr(lib.optim, name)([{"params": qs[:1]}, {"params": qs[1:], "lr": 0.05}], **kw)
        other.load_state_dict(_from_numpy(copy.deepcopy(saved), lib))
        rng = np.random.default_rng(9)
        for _ in range(4):
            for q in qs:
                q.grad = lib.tensor(0.5 * q.numpy() + rng.standard_normal(tuple(q.shape)))
            other.step()
        runs.append((qs, other))
    _assert_same_run(*runs)


# ------------------------------------------------------------------------------------- ASGD foreach, Muon
@pytest.mark.parametrize("kw", [dict(foreach=True, t0=2), dict(foreach=True, lr=0.1, lambd=0.1, alpha=0.75, t0=1),
                                dict(foreach=True, lr=0.05, weight_decay=0.1, maximize=True)])
def test_asgd_foreach_matches_torch(kw):
    _assert_same_run(_run(torch, "ASGD", kw, steps=12), _run(tg, "ASGD", kw, steps=12))


@pytest.mark.parametrize("kw", [{}, dict(nesterov=False), dict(nesterov=False, lr=0.02, momentum=0.8)])
@pytest.mark.parametrize("to_none", [True, False])
def test_muon_float64_matches_torch_to_rounding(kw, to_none):
    """PyTorch's bfloat16 addmm rounds ``beta * input + alpha * (m1 @ m2)`` once (a fused
    multiply-add of the float32 product); rounding twice moved one parameter by 2.5e-4 here."""
    def skip(k, i):
        return (k + i) % 3 == 0
    t = _run(torch, "Muon", kw, steps=8, seed=1, two_groups=True, skip=skip, zero_grad_to_none=to_none)
    g = _run(tg, "Muon", kw, steps=8, seed=1, two_groups=True, skip=skip, zero_grad_to_none=to_none)
    _assert_same_run(t, g, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------- LBFGS
@pytest.mark.parametrize("max_iter,outer,lr", [(1, 1, 1), (1, 4, 1), (2, 1, 0.5), (5, 2, 1), (20, 1, 1)])
def test_lbfgs_state_step_type_matches_torch(max_iter, outer, lr):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((5, 5))
    q, x0 = a.T @ a + np.eye(5), rng.standard_normal(5)
    states = []
    for lib in (torch, tg):
        x = lib.tensor(x0.copy())
        opt = lib.optim.LBFGS([x], lr=lr, max_iter=max_iter, line_search_fn="strong_wolfe")

        def closure():
            v = x.numpy()
            x.grad = lib.tensor(q @ v + np.sin(v))
            return lib.tensor(0.5 * v @ q @ v - np.cos(v).sum())
        for _ in range(outer):
            opt.step(closure)
        states.append(opt.state[x])
    t, g = states[0]["t"], states[1]["t"]
    assert type(g).__name__ == type(t).__name__
    if isinstance(t, torch.Tensor):
        assert str(g.dtype) == str(t.dtype) and g.dim() == t.dim() == 0
    assert float(g) == pytest.approx(float(t), rel=1e-10)
    assert states[1]["func_evals"] == states[0]["func_evals"] and states[1]["n_iter"] == states[0]["n_iter"]


# ------------------------------------------------------------------------------------- schedulers
SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, 2, 0.5),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 5),
    "ReduceLROnPlateau": lambda L, o: L.ReduceLROnPlateau(o, patience=0),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=10),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 2),
    "SequentialLR": lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.9)], [3]),
}


@pytest.mark.parametrize("key", sorted(SCHEDULERS))
def test_schedulers_with_a_tensor_lr_match_torch(key):
    records = []
    for lib in (torch, tg):
        p = lib.zeros(2)
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([p], lr=lr, momentum=0.9)
        sched = SCHEDULERS[key](lib.optim.lr_scheduler, opt)
        rec = []
        for _ in range(8):
            p.grad = lib.ones(2)
            opt.step()
            sched.step(1.0) if key == "ReduceLROnPlateau" else sched.step()
            group_lr = opt.param_groups[0]["lr"]
            rec.append((type(group_lr).__name__, float(group_lr), group_lr is lr,
                        [(type(v).__name__, float(v)) for v in sched.get_last_lr()]))
        records.append(rec)
    assert records[1] == records[0]


# ------------------------------------------------------------------------------------- groups with their own options
GROUP_OPTIONS = {
    "SGD": ({"lr": 0.1}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    "Adam": ({"lr": 0.01}, {"amsgrad": True, "weight_decay": 0.1, "maximize": True, "betas": (0.5, 0.9)}),
    "NAdam": ({"lr": 0.01}, {"decoupled_weight_decay": True, "weight_decay": 0.1, "momentum_decay": 0.01}),
    "RMSprop": ({"lr": 0.01}, {"centered": True, "momentum": 0.5}),
    "Adagrad": ({"lr": 0.1, "initial_accumulator_value": 0.2}, {"lr_decay": 0.1, "initial_accumulator_value": 0.3}),
    "Rprop": ({}, {"etas": (0.3, 1.5), "step_sizes": (1e-3, 1.0)}),
    "ASGD": ({"t0": 2}, {"lambd": 0.1, "alpha": 0.5, "t0": 1}),
    "Adafactor": ({}, {"beta2_decay": -0.5, "d": 2.0, "weight_decay": 0.1}),
}


@pytest.mark.parametrize("added", [False, True])
@pytest.mark.parametrize("name", sorted(GROUP_OPTIONS))
def test_groups_with_their_own_options_match_torch(name, added):
    base, own = GROUP_OPTIONS[name]
    runs = []
    for lib in (torch, tg):
        rng = np.random.default_rng(0)
        ps = [lib.tensor(rng.standard_normal(s)) for s in SHAPES]
        if added:
            opt = getattr(lib.optim, name)([ps[0]], **base)
        else:
            opt = getattr(lib.optim, name)([{"params": ps[:1]}, dict(params=ps[1:], **own)], **base)
        for k in range(6):
            if added and k == 2:
                opt.add_param_group(dict(params=ps[1:], **own))
            for p in ps:
                p.grad = lib.tensor(0.5 * p.numpy() + rng.standard_normal(tuple(p.shape)))
            opt.step()
        runs.append((ps, opt))
    _assert_same_run(*runs)
    assert repr(runs[1][1]) == repr(runs[0][1])
