"""Rprop, ASGD, Adafactor, Muon, SparseAdam and ``optim.swa_utils`` without PyTorch: trajectories
against the update rules written out with NumPy (float64), argument checks, state layout and
state_dict round trips. Gradients are written by hand, so the optimizers need no autograd engine;
the swa_utils tests need tensorgraft-nn."""
import copy
import math
import os
import zlib

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.optim as optim

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _data_of_this_test(request):
    """Each test draws its data from its own seed, whatever ran before it in the same worker."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()) + int(os.environ.get("TG_TEST_SEED_OFFSET", "0")))
INIT = [RNG.standard_normal((4, 3)), RNG.standard_normal(5)]
GRADS = [[RNG.standard_normal(a.shape) * (1.0 if s % 3 else -0.7) for a in INIT] for s in range(6)]


def run(name, kw, steps=6, init=INIT, grads=GRADS):
    ps = [tg.tensor(a.copy()) for a in init]
    opt = getattr(optim, name)(ps, **kw)
    for s in range(steps):
        for p, g in zip(ps, grads[s]):
            p.grad = tg.tensor(g)
        opt.step()
    return ps, opt


def check(ps, refs, rtol=1e-12, atol=1e-14):
    for p, r in zip(ps, refs):
        np.testing.assert_allclose(p.numpy(), r, rtol=rtol, atol=atol)


def test_rprop_follows_its_update_rule():
    lr, (em, ep), (lo, hi) = 0.05, (0.4, 1.3), (1e-3, 0.08)
    ps, opt = run("Rprop", dict(lr=lr, etas=(em, ep), step_sizes=(lo, hi)))
    refs = []
    for i, a in enumerate(INIT):
        p, prev, size = a.copy(), np.zeros_like(a), np.full_like(a, lr)
        for s in range(6):
            g = GRADS[s][i].copy()
            sign = np.sign(g * prev)
            factor = np.where(sign > 0, ep, np.where(sign < 0, em, 1.0))
            size = np.clip(size * factor, lo, hi)
            g[sign < 0] = 0
            p -= np.sign(g) * size
            prev = g
        refs.append(p)
        st = opt.state[ps[i]]
        assert list(st) == ["step", "prev", "step_size"]
        np.testing.assert_allclose(st["step_size"].numpy(), size)
        np.testing.assert_array_equal(st["prev"].numpy(), prev)
        assert st["step"].dtype is tg.float32 and st["step"].item() == 6
    check(ps, refs)


@pytest.mark.parametrize("wd,maximize", [(0, False), (0.1, True)])
def test_asgd_follows_its_update_rule_and_keeps_float32_scalars(wd, maximize):
    lr, lambd, alpha, t0 = 0.1, 0.05, 0.75, 2
    ps, opt = run("ASGD", dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=wd, maximize=maximize))
    for i, a in enumerate(INIT):
        p, ax, eta, mu = a.copy(), np.zeros_like(a), np.float32(lr), np.float32(1)
        for s in range(1, 7):
            g = -GRADS[s - 1][i] if maximize else GRADS[s - 1][i]
            g = g + wd * p
            p = p * (1 - lambd * float(eta)) - float(eta) * g
            ax = p.copy() if mu == 1 else ax + (p - ax) * float(mu)
            eta = np.float32(lr / (1 + lambd * lr * s) ** alpha)
            mu = np.float32(1 / max(1, s - t0))
        check([ps[i]], [p])
        st = opt.state[ps[i]]
        assert list(st) == ["step", "eta", "mu", "ax"]
        for key, want in (("eta", eta), ("mu", mu)):
            assert st[key].dtype is tg.float32 and st[key].dim() == 0 and st[key].item() == float(want)
        np.testing.assert_allclose(st["ax"].numpy(), ax, rtol=1e-12)


def _adafactor_ref(a, grads, lr=1e-2, decay=-0.8, eps1=None, eps2=1e-3, d=1.0, wd=0.0):
    eps1 = np.finfo(a.dtype).eps if eps1 is None else eps1
    p = a.copy()
    row = np.zeros(a.shape[:-1] + (1,)) if a.ndim > 1 else None
    col = np.zeros(a.shape[:-2] + (1, a.shape[-1])) if a.ndim > 1 else None
    v = np.zeros_like(a)
    for t, g in enumerate(grads, 1):
        beta = t ** decay
        alpha = max(eps2, np.sqrt((p * p).mean())) * min(lr, 1 / math.sqrt(t))
        p = p * (1 - lr * wd)
        if a.ndim > 1:
            row = row + beta * ((g * g).mean(-1, keepdims=True) - row)
            col = col + beta * ((g * g).mean(-2, keepdims=True) - col)
            var = row @ col / np.maximum(row.mean(-2, keepdims=True), eps1)
        else:
            v = v + beta * (g * g - v)
            var = v
        u = g / np.sqrt(np.maximum(var, eps1 * eps1))
        p = p - alpha / max(1.0, np.sqrt((u * u).mean()) / d) * u
    return p, row, col, v


@pytest.mark.parametrize("kw", [{}, dict(lr=0.3, weight_decay=0.1, d=1.2, eps=(1e-20, 1e-2))])
def test_adafactor_factors_matrices_and_follows_its_rule(kw):
    init = INIT + [RNG.standard_normal((2, 3, 4))]
    grads = [[RNG.standard_normal(a.shape) for a in init] for _ in range(5)]
    ps, opt = run("Adafactor", kw, steps=5, init=init, grads=grads)
    ref_kw = dict(lr=kw.get("lr", 1e-2), wd=kw.get("weight_decay", 0.0), d=kw.get("d", 1.0),
                  eps1=kw.get("eps", (None,))[0], eps2=kw.get("eps", (None, 1e-3))[1])
    for i, a in enumerate(init):
        p, row, col, v = _adafactor_ref(a, [g[i] for g in grads], **ref_kw)
        np.testing.assert_allclose(ps[i].numpy(), p, rtol=1e-10, atol=1e-13)
        st = opt.state[ps[i]]
        if a.ndim > 1:
            assert list(st) == ["step", "row_var", "col_var"]
            assert tuple(st["row_var"].shape) == a.shape[:-1] + (1,)
            assert tuple(st["col_var"].shape) == a.shape[:-2] + (1, a.shape[-1])
            np.testing.assert_allclose(st["col_var"].numpy(), col, rtol=1e-10)
        else:
            assert list(st) == ["step", "variance"]
            np.testing.assert_allclose(st["variance"].numpy(), v, rtol=1e-10)


def test_muon_orthogonalises_the_nesterov_momentum():
    init = [RNG.standard_normal((6, 4)), RNG.standard_normal((3, 5))]
    grads = [[RNG.standard_normal(a.shape) for a in init] for _ in range(3)]
    lr, wd, mom = 0.02, 0.1, 0.9
    ps, opt = run("Muon", dict(lr=lr, weight_decay=wd, momentum=mom), steps=3, init=init, grads=grads)
    a, b, c = 3.4445, -4.7750, 2.0315
    for i, p0 in enumerate(init):
        p, buf = p0.copy(), np.zeros_like(p0)
        for s in range(3):
            g = grads[s][i]
            buf = mom * buf + (1 - mom) * g
            x = g + mom * (buf - g)
            x = x.T if x.shape[0] > x.shape[1] else x
            x = x / max(np.linalg.norm(x), 1e-7)
            for _ in range(5):                        # the iteration in float64 (PyTorch runs it in bfloat16)
                gram = x @ x.T
                x = a * x + (b * gram + c * gram @ gram) @ x
            x = x.T if p0.shape[0] > p0.shape[1] else x
            p = p * (1 - lr * wd) - lr * math.sqrt(max(1, p0.shape[0] / p0.shape[1])) * x
        # the bfloat16 iteration drifts from this float64 one by up to ~8% of an update over the three
        # steps (measured over 40 data seeds); a wrong update rule is off by whole updates (lr)
        np.testing.assert_allclose(ps[i].numpy(), p, atol=0.2 * lr)
        assert list(opt.state[ps[i]]) == ["momentum_buffer"]
        # the orthogonalised update's singular values sit near 1 (within Muon's (0.5, 1.5) band)
        s = np.linalg.svd(x, compute_uv=False)
        assert s.min() > 0.5 and s.max() < 1.5


def test_muon_bfloat16_rounding_is_round_to_nearest_even():
    from tensorgraft.optim.muon import _bf16
    x = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9, -2.5, 3.0e38], np.float32)
    out = _bf16(np, x)
    np.testing.assert_array_equal(out[:5], np.array([1.0, 1.0, 1 + 2 ** -6, 1.0, -2.5], np.float32))
    assert np.all((out.view(np.uint32) & 0xFFFF) == 0)


@pytest.mark.parametrize("name,kw,msg", [
    ("Rprop", dict(lr=-1), "Invalid learning rate: -1"),
    ("Rprop", dict(etas=(1.1, 1.2)), "Invalid eta values: 1.1, 1.2"),
    ("ASGD", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adafactor", dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    ("Adafactor", dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    ("Adafactor", dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    ("SparseAdam", dict(lr=0.0), "Invalid learning rate: 0.0"),
    ("SparseAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Muon", dict(adjust_lr_fn="rms"), "Adjust learning rate function rms is not supported"),
    ("Muon", dict(momentum=-0.5), "momentum should be >= 0 but is: -0.5"),
])
def test_argument_errors(name, kw, msg):
    with pytest.raises(ValueError, match=f"^{msg.replace('(', '[(]').replace(')', '[)]')}$"):
        getattr(optim, name)([tg.zeros(2, 2)], **kw)


def test_muon_refuses_non_matrices_and_sparse_adam_dense_gradients():
    with pytest.raises(ValueError, match=r"found a parameter with size: torch.Size\(\[3\]\)"):
        optim.Muon([tg.zeros(3)])
    p = tg.zeros(3)
    p.grad = tg.ones(3)
    opt = optim.SparseAdam([p])
    with pytest.raises(RuntimeError, match="^SparseAdam does not support dense gradients, please consider Adam"):
        opt.step()
    assert len(opt.state) == 0


def test_defaults():
    p = [tg.zeros(2, 2)]
    assert optim.Rprop(p).defaults == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), foreach=None,
                                           maximize=False, differentiable=False, capturable=False)
    assert optim.ASGD(p).defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                                          maximize=False, differentiable=False, capturable=False)
    assert optim.Adafactor(p).defaults == dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                                               weight_decay=0.0, foreach=None, maximize=False)
    assert optim.Muon(p).defaults == dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                                          ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                                          adjust_lr_fn=None)
    assert optim.SparseAdam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)


@pytest.mark.parametrize("name,kw", [("Rprop", {}), ("ASGD", dict(t0=2)), ("Adafactor", {}),
                                     ("Muon", dict(lr=0.02))])
def test_state_dict_round_trip_continues_identically(name, kw):
    init = [RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2))]
    grads = [[RNG.standard_normal(a.shape) for a in init] for _ in range(5)]
    ps, opt = run(name, kw, steps=3, init=init, grads=grads)
    ps2 = [p.clone() for p in ps]
    opt2 = getattr(optim, name)(ps2, **kw)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    for s in (3, 4):
        for o, group in ((opt, ps), (opt2, ps2)):
            for p, g in zip(group, grads[s]):
                p.grad = tg.tensor(g)
            o.step()
    for a, b in zip(ps, ps2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_new_optimizers_are_registered_lazily():
    from tensorgraft.optim import _plugin
    from tensorgraft.registry import registry
    for name in ("Rprop", "ASGD", "Adafactor", "SparseAdam", "Muon"):
        assert name in _plugin.BUILTIN_OPTIMIZERS and name in dir(optim)
        assert registry.optimizers[name] is getattr(optim, name)
    assert optim.SparseAdam.__module__ == "tensorgraft.optim.sparse_adam"


# ---------------------------------------------------------------------------------------------- swa_utils
nn = pytest.importorskip("tensorgraft.nn")


def _model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()


def _perturb(model, rng):
    with tg.no_grad():
        for p in model.parameters():
            p.add_(tg.tensor(rng.standard_normal(tuple(p.shape))))


def test_averaged_model_swa_is_the_mean_of_the_snapshots():
    from tensorgraft.optim.swa_utils import AveragedModel
    rng = np.random.default_rng(0)
    model = _model()
    swa = AveragedModel(model)
    snaps = []
    for _ in range(4):
        _perturb(model, rng)
        model(tg.tensor(rng.standard_normal((5, 3))))        # moves the batch-norm statistics
        swa.update_parameters(model)
        snaps.append([p.detach().numpy().copy() for p in model.parameters()])
    for i, p in enumerate(swa.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([s[i] for s in snaps], axis=0), rtol=1e-12)
    assert int(swa.n_averaged) == 4 and swa.n_averaged.dtype is tg.int64
    sd = swa.state_dict()
    assert list(sd)[0] == "n_averaged" and all(k.startswith("module.") for k in list(sd)[1:])
    # buffers are copied, not averaged
    np.testing.assert_array_equal(sd["module.1.running_mean"].numpy(), model[1].running_mean.numpy())


@pytest.mark.parametrize("multi", [True, False])
def test_averaged_model_ema(multi):
    from tensorgraft.optim import swa_utils
    rng = np.random.default_rng(1)
    model = _model()
    kw = ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.8)} if multi
          else {"avg_fn": swa_utils.get_ema_avg_fn(0.8)})
    ema = swa_utils.AveragedModel(model, use_buffers=True, **kw)
    want = None
    for _ in range(3):
        _perturb(model, rng)
        ema.update_parameters(model)
        cur = [p.detach().numpy().copy() for p in model.parameters()]
        want = cur if want is None else [0.8 * w + 0.2 * c for w, c in zip(want, cur)]
    for p, w in zip(ema.module.parameters(), want):
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-12)


def test_avg_fn_argument_errors():
    from tensorgraft.optim import swa_utils
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range."):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        swa_utils.AveragedModel(_model(), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def test_update_bn_recomputes_running_statistics():
    from tensorgraft.optim.swa_utils import update_bn
    rng = np.random.default_rng(2)
    model = _model()
    model.eval()
    xs = [rng.standard_normal((6, 3)) for _ in range(3)]
    update_bn([(tg.tensor(x), 0) for x in xs], model)
    with tg.no_grad():
        h = np.concatenate([model[0](tg.tensor(x)).numpy() for x in xs])
    np.testing.assert_allclose(model[1].running_mean.numpy(), h.mean(0), rtol=1e-10)
    assert model[1].momentum == 0.1 and not model.training


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_anneals_to_swa_lr(strategy):
    from tensorgraft.optim.swa_utils import SWALR
    opt = optim.SGD([tg.zeros(2)], lr=1.0)
    sched = SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy=strategy)
    f = (lambda t: (1 - math.cos(math.pi * t)) / 2) if strategy == "cos" else (lambda t: t)
    lrs = []
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    want = [0.1 * f(min(1, s / 4)) + 1.0 * (1 - f(min(1, s / 4))) for s in range(1, 7)]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)
    sd = sched.state_dict()
    assert "anneal_func" not in sd and sd["_anneal_strategy"] == strategy
    other = SWALR(optim.SGD([tg.zeros(2)], lr=1.0), swa_lr=0.5, anneal_strategy="linear" if strategy == "cos" else "cos")
    other.load_state_dict(sd)
    assert other.anneal_func is getattr(SWALR, "_cosine_anneal" if strategy == "cos" else "_linear_anneal")
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
