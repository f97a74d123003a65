"""Rprop, ASGD, Adafactor, Muon, SparseAdam and ``swa_utils`` against PyTorch (the specification):
float64 trajectories and state after several steps, state_dicts loading both ways and continuing
identically, repr and error messages. Gradients are written by hand with NumPy."""
import copy
import warnings
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.optim as optim  # noqa: E402

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _data_of_this_test(request):
    """Each test draws its data from its own seed: with one shared stream the numbers depended on
    which tests ran before in the same worker, and Muon's bfloat16 rounding can flip on a few of
    them, so a run could fail by the luck of the test order."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
SHAPES = [(5, 3), (3,), (2, 3, 4), ()]
MATRICES = [(5, 3), (3, 6)]

CASES = [
    ("Rprop", {}, SHAPES),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.7), step_sizes=(1e-3, 0.2), maximize=True), SHAPES),
    ("ASGD", {}, SHAPES),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.6, t0=3, weight_decay=0.1, maximize=True), SHAPES),
    ("Adafactor", {}, SHAPES),
    ("Adafactor", dict(lr=0.5, beta2_decay=-0.5, weight_decay=0.1, d=1.5, eps=(1e-30, 1e-2), maximize=True), SHAPES),
    ("Muon", {}, MATRICES),
    ("Muon", dict(lr=0.02, nesterov=False, momentum=0.8, adjust_lr_fn="match_rms_adamw"), MATRICES),
]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]


def pair(name, kw, shapes, dtype):
    init = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    tp = [torch.tensor(a.copy()) for a in init]
    gp = [tg.tensor(a.copy()) for a in init]
    return tp, gp, getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(gp, **kw)


def step_both(tp, gp, ot, og, steps, dtype):
    for s in range(steps):
        for t, g in zip(tp, gp):
            grad = (RNG.standard_normal(tuple(t.shape)) * (1 if s % 2 else -0.5) + 0.1 * t.numpy()).astype(dtype)
            t.grad, g.grad = torch.tensor(grad), tg.tensor(grad)
        ot.step()
        og.step()


# Muon's Newton-Schulz iteration runs in bfloat16 in PyTorch; tensorgraft emulates that rounding
# (float32 accumulation, one rounding per addmm), but where a float32 matrix product lands next to a
# bfloat16 rounding boundary the two libraries (different summation orders) can round one
# intermediate apart (rare: test_optim_sweep_regressions_oracle checks float64 runs to 1e-12): an
# update then differs by about
# a bfloat16 ulp (2**-8) times lr, and the next iterations can grow that to ~1e-3 of a
# parameter; a wrong update rule is off by lr (0.02) a step. The others stay float64-tight.
MUON_TOL = dict(rtol=2e-3, atol=1e-3)


def assert_same(tp, gp, ot, og, rtol, atol, scalar_dtypes=True):
    if type(og).__name__ == "Muon":
        rtol, atol = max(rtol, MUON_TOL["rtol"]), max(atol, MUON_TOL["atol"])
    for t, g in zip(tp, gp):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=rtol, atol=atol)
    st, sg = ot.state_dict(), og.state_dict()
    assert st["param_groups"] == sg["param_groups"]
    assert sorted(st["state"]) == sorted(sg["state"])
    for i, s in st["state"].items():
        assert list(s) == list(sg["state"][i])
        for k, v in s.items():
            w = sg["state"][i][k]
            assert isinstance(w, tg.Tensor) and tuple(w.shape) == tuple(v.shape), k
            if scalar_dtypes or v.dim() > 0:
                assert str(w.dtype).split(".")[-1] == str(v.dtype).split(".")[-1], k
            np.testing.assert_allclose(w.numpy(), v.numpy(), rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("name,kw,shapes", CASES, ids=IDS)
def test_trajectory_and_state_match_torch_float64(name, kw, shapes):
    tp, gp, ot, og = pair(name, kw, shapes, np.float64)
    step_both(tp, gp, ot, og, 8, np.float64)
    assert_same(tp, gp, ot, og, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw,shapes", CASES, ids=IDS)
def test_trajectory_matches_torch_float32(name, kw, shapes):
    tp, gp, ot, og = pair(name, kw, shapes, np.float32)
    step_both(tp, gp, ot, og, 8, np.float32)
    assert_same(tp, gp, ot, og, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,kw,shapes", CASES, ids=IDS)
def test_state_dicts_load_both_ways(name, kw, shapes):
    tp, gp, ot, og = pair(name, kw, shapes, np.float64)
    step_both(tp, gp, ot, og, 3, np.float64)
    # torch -> tensorgraft and tensorgraft -> torch, into fresh optimizers over copies of the parameters
    tp2 = [t.clone() for t in tp]
    gp2 = [g.clone() for g in gp]
    og2 = getattr(optim, name)(gp2, **kw)
    og2.load_state_dict(copy.deepcopy(ot.state_dict()))
    ot2 = getattr(torch.optim, name)(tp2, **kw)
    sd = og.state_dict()
    ot2.load_state_dict({"param_groups": copy.deepcopy(sd["param_groups"]),
                         "state": {i: {k: torch.tensor(v.numpy()) for k, v in s.items()}
                                   for i, s in sd["state"].items()}})
    step_both(tp + tp2, gp2 + gp, ot, og2, 3, np.float64)
    step_both(tp2, gp, ot2, og, 3, np.float64)
    # load_state_dict casts every state tensor but 'step' to the parameter's dtype (ASGD's 0-d eta and
    # mu become float64), so a loaded optimizer's scalar dtypes differ from one that never loaded;
    # test_optim_sweep_regressions_oracle compares loaded with loaded, dtypes included
    assert_same(tp, gp2, ot, og2, rtol=1e-10, atol=1e-12, scalar_dtypes=False)
    assert_same(tp2, gp, ot2, og, rtol=1e-10, atol=1e-12, scalar_dtypes=False)


@pytest.mark.parametrize("name", ["Rprop", "ASGD", "Adafactor", "SparseAdam", "Muon"])
def test_repr_matches_torch(name):
    assert repr(getattr(optim, name)([tg.zeros(2, 2)])) == repr(getattr(torch.optim, name)([torch.zeros(2, 2)]))


ERRORS = [("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(0.5, 0.9))), ("ASGD", dict(lr=-0.1)),
          ("ASGD", dict(weight_decay=-1)), ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.2)),
          ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))), ("Adafactor", dict(d=0.9)),
          ("Adafactor", dict(weight_decay=-1)), ("SparseAdam", dict(lr=0)), ("SparseAdam", dict(eps=0)),
          ("SparseAdam", dict(betas=(1.0, 0.9))), ("SparseAdam", dict(betas=(0.9, 1.0))), ("Muon", dict(lr=-1)),
          ("Muon", dict(momentum=-1)), ("Muon", dict(weight_decay=-1)), ("Muon", dict(adjust_lr_fn="x"))]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (comparing whatever each raises)
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("name,kw", ERRORS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ERRORS)])
def test_argument_errors_match_torch(name, kw):
    want = _error(lambda: getattr(torch.optim, name)([torch.zeros(2, 2)], **kw))
    assert want is not None
    assert _error(lambda: getattr(optim, name)([tg.zeros(2, 2)], **kw)) == want


def test_step_errors_match_torch():
    def muon_vector(T, mod):
        mod.Muon([T.zeros(3)])

    def sparse_adam_dense(T, mod):
        p = T.zeros(3)
        p.grad = T.ones(3)
        mod.SparseAdam([p]).step()

    def muon_ns_steps(T, mod):
        p = T.zeros(2, 2)
        p.grad = T.ones(2, 2)
        mod.Muon([p], ns_steps=100).step()

    for fn in (muon_vector, sparse_adam_dense, muon_ns_steps):
        want = _error(lambda: fn(torch, torch.optim))
        assert want is not None and _error(lambda: fn(tg, optim)) == want


# ---------------------------------------------------------------------------------------------- swa_utils
nn = pytest.importorskip("tensorgraft.nn")
from torch.optim import swa_utils as TS  # noqa: E402


def _models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).double()
    gm = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    gm.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, gm


AVG = [("swa", {}), ("ema_multi", dict(multi_avg_fn="get_ema_multi_avg_fn(0.9)")),
       ("ema", dict(avg_fn="get_ema_avg_fn(0.9)")), ("swa_multi", dict(multi_avg_fn="get_swa_multi_avg_fn()")),
       ("buffers", dict(use_buffers=True, multi_avg_fn="get_ema_multi_avg_fn(0.7)"))]


@pytest.mark.parametrize("kind,kw", AVG, ids=[a for a, _ in AVG])
def test_averaged_model_matches_torch(kind, kw):
    from tensorgraft.optim import swa_utils as S
    rng = np.random.default_rng(4)
    tm, gm = _models()

    def make(mod, model):
        return mod.AveragedModel(model, **{k: eval(v, {}, vars(mod)) if isinstance(v, str) else v
                                           for k, v in kw.items()})

    ta, ga = make(TS, tm), make(S, gm)
    for _ in range(4):
        x = rng.standard_normal((5, 3))
        tm(torch.tensor(x))
        gm(tg.tensor(x))
        with torch.no_grad(), tg.no_grad():
            for p, q in zip(tm.parameters(), gm.parameters()):
                d = rng.standard_normal(tuple(p.shape))
                p.add_(torch.tensor(d))
                q.add_(tg.tensor(d))
        ta.update_parameters(tm)
        ga.update_parameters(gm)
    tsd, gsd = ta.state_dict(), ga.state_dict()
    assert list(tsd) == list(gsd)
    for k in tsd:
        np.testing.assert_allclose(gsd[k].numpy(), tsd[k].numpy(), rtol=1e-12, atol=1e-14, err_msg=k)
    # a state dict of either loads into the other
    ga2 = make(S, _models()[1])
    ga2.load_state_dict({k: tg.tensor(v.numpy()) for k, v in tsd.items()})
    ta2 = make(TS, _models()[0])
    ta2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gsd.items()})
    assert int(ga2.n_averaged) == int(ta2.n_averaged) == 4


def test_update_bn_matches_torch():
    from tensorgraft.optim.swa_utils import update_bn
    rng = np.random.default_rng(5)
    tm, gm = _models()
    xs = [rng.standard_normal((6, 3)) for _ in range(3)]
    TS.update_bn([(torch.tensor(x), 1) for x in xs], tm)
    update_bn([(tg.tensor(x), 1) for x in xs], gm)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(gm.state_dict()[k].numpy(), v.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)
    assert gm[1].momentum == tm[1].momentum and gm.training == tm.training


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
def test_swalr_matches_torch(strategy, anneal_epochs):
    from tensorgraft.optim.swa_utils import SWALR
    out = []
    for T, mod, cls in ((torch, torch.optim, TS.SWALR), (tg, optim, SWALR)):
        opt = mod.SGD([{"params": [T.zeros(2)]}, {"params": [T.zeros(1)], "lr": 0.5}], lr=0.1)
        sched = cls(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        lrs = []
        for i in range(6):
            opt.step()
            sched.step()
            if i == 2:                           # a change of lr from elsewhere is followed, as in torch
                opt.param_groups[0]["lr"] *= 2
            lrs.append(sched.get_last_lr())
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lrs.append(sched.get_lr())
        out.append((lrs, sorted(sched.state_dict()), [str(x.message) for x in w], opt.param_groups[1]["swa_lr"]))
    assert out[0] == out[1]


def test_swalr_errors_match_torch():
    from tensorgraft.optim.swa_utils import SWALR
    for kw in (dict(anneal_strategy="exp"), dict(anneal_epochs=-1), dict(anneal_epochs=1.5)):
        want = _error(lambda: TS.SWALR(torch.optim.SGD([torch.zeros(1)], lr=0.1), swa_lr=0.1, **kw))
        assert want is not None
        assert _error(lambda: SWALR(optim.SGD([tg.zeros(1)], lr=0.1), swa_lr=0.1, **kw)) == want
    want = _error(lambda: TS.SWALR(torch.optim.SGD([torch.zeros(1)], lr=0.1), swa_lr=[0.1, 0.2]))
    assert _error(lambda: SWALR(optim.SGD([tg.zeros(1)], lr=0.1), swa_lr=[0.1, 0.2])) == want


def test_no_public_torch_scheduler_is_missing():
    from tensorgraft.optim import lr_scheduler
    names = {n for n in dir(torch.optim.lr_scheduler)
             if n[0].isupper() and isinstance(getattr(torch.optim.lr_scheduler, n), type)
             and issubclass(getattr(torch.optim.lr_scheduler, n), torch.optim.lr_scheduler.LRScheduler)}
    assert names and all(hasattr(lr_scheduler, n) for n in names), names - set(dir(lr_scheduler))
    torch_optims = {n for n in torch.optim.__all__ if isinstance(getattr(torch.optim, n), type)}
    assert all(hasattr(optim, n) for n in torch_optims), torch_optims - set(dir(optim))
    assert hasattr(optim, "swa_utils")
