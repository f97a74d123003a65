"""LR schedulers against torch.optim.lr_scheduler: the same LR (and momentum) sequence over 200 steps."""
import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.optim as optim  # noqa: E402
from tensorgraft.optim import lr_scheduler as S  # noqa: E402


def pair(opt_name="SGD", **kw):
    kw = kw or dict(lr=0.1, momentum=0.9)
    tparams = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    gparams = [tg.zeros(2), tg.zeros(3)]
    t = getattr(torch.optim, opt_name)([{"params": [tparams[0]]}, {"params": [tparams[1]], "lr": kw["lr"] / 2}], **kw)
    g = getattr(optim, opt_name)([{"params": [gparams[0]]}, {"params": [gparams[1]], "lr": kw["lr"] / 2}], **kw)
    return t, g


def seq_len_lambda(e):
    return 0.95 ** e


CONFIGS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=seq_len_lambda),
    "LambdaLR-list": lambda m, o: m.LambdaLR(o, lr_lambda=[seq_len_lambda, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.99),
    "StepLR": lambda m, o: m.StepLR(o, step_size=30, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[10, 50, 50, 120], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=40),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=70),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.98),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=37, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=15, step_size_down=25),
    "CyclicLR-tri2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=20, mode="triangular2"),
    "CyclicLR-exp": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=20, mode="exp_range",
                                            gamma=0.99, cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=200),
    "OneCycleLR-3phase-linear": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.3], epochs=10, steps_per_epoch=20,
                                                          anneal_strategy="linear", three_phase=True),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=150, power=2.0),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=20),
                                                   m.CosineAnnealingLR(o, T_max=100),
                                                   m.ExponentialLR(o, gamma=0.97)], milestones=[20, 120]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=30),
                                                         m.ExponentialLR(o, gamma=0.99)]),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_scheduler_sequence_matches_torch(name):
    topt, gopt = pair()
    ts = CONFIGS[name](torch.optim.lr_scheduler, topt)
    gs = CONFIGS[name](S, gopt)
    assert gs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
    for _ in range(200):
        topt.step()
        gopt.step()
        ts.step()
        gs.step()
        assert gs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-15)
        for g1, g2 in zip(gopt.param_groups, topt.param_groups):
            assert g1["lr"] == pytest.approx(g2["lr"], rel=1e-12, abs=1e-15)
            assert g1["momentum"] == pytest.approx(g2["momentum"], rel=1e-12)
    sd_g, sd_t = gs.state_dict(), ts.state_dict()
    assert set(sd_g) == set(sd_t)
    if "last_epoch" in sd_t:
        assert sd_g["last_epoch"] == sd_t["last_epoch"]


def test_cyclic_lr_cycles_adam_betas():
    topt, gopt = pair("Adam", lr=0.01)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=50)
    gs = S.OneCycleLR(gopt, max_lr=0.1, total_steps=50)
    for _ in range(50):
        topt.step(), gopt.step(), ts.step(), gs.step()
        assert gopt.param_groups[0]["betas"] == pytest.approx(topt.param_groups[0]["betas"], rel=1e-12)
        assert gs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)


def test_reduce_lr_on_plateau_matches_torch():
    for kw in (dict(), dict(mode="max", factor=0.5, patience=3, threshold=0.1, threshold_mode="abs", cooldown=2,
                              min_lr=[0.01, 0.002])):
        topt, gopt = pair()
        ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
        gs = S.ReduceLROnPlateau(gopt, **kw)
        for i in range(200):
            metric = 1.0 / (1 + i) if i < 30 else 0.03 + 0.001 * math.sin(i)
            topt.step(), gopt.step()
            ts.step(metric)
            gs.step(metric)
            assert gs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
        assert gs.num_bad_epochs == ts.num_bad_epochs and gs.best == ts.best


def test_warns_when_scheduler_steps_before_optimizer():
    _, gopt = pair()
    s = S.StepLR(gopt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    _, gopt = pair()
    s = S.StepLR(gopt, step_size=2)
    gopt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_scheduler_state_dict_roundtrip():
    _, g1 = pair()
    s1 = S.CosineAnnealingLR(g1, T_max=20)
    for _ in range(7):
        g1.step(), s1.step()
    _, g2 = pair()
    s2 = S.CosineAnnealingLR(g2, T_max=20)
    s2.load_state_dict(s1.state_dict())
    g2.load_state_dict(g1.state_dict())
    for _ in range(30):
        g1.step(), s1.step(), g2.step(), s2.step()
        assert s1.get_last_lr() == s2.get_last_lr()
    assert "optimizer" not in s1.state_dict()


def test_lambda_state_dict_keeps_callable_objects_state():
    class Fn:
        def __init__(self):
            self.k = 0.5

        def __call__(self, e):
            return self.k ** e

    _, g = pair()
    s = S.LambdaLR(g, lr_lambda=Fn())
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.5}, {"k": 0.5}]


def test_order_and_override_warnings_follow_torch():
    """torch tracks ``optimizer.step()`` calls made after the scheduler was created (it wraps the
    instance's ``step``): a step before creating the scheduler does not count, and a ``step`` replaced
    afterwards gives the "has been overridden" warning instead."""
    _, gopt = pair()
    gopt.step()
    s = S.StepLR(gopt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    _, gopt = pair()
    s = S.StepLR(gopt, step_size=2)
    gopt.step = lambda *a, **k: None
    gopt.step()
    with pytest.warns(UserWarning, match=r"Seems like `optimizer.step\(\)` has been overridden after learning rate"):
        s.step()
    # a second scheduler does not wrap twice, and the wrapped step still runs the hooks and returns the loss
    _, gopt = pair()
    S.StepLR(gopt, step_size=2)
    s2 = S.ExponentialLR(gopt, gamma=0.5)
    assert not hasattr(gopt.step.__wrapped__, "_wrapped_by_lr_sched")
    assert gopt.step(lambda: 3.0) == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()


def test_resume_without_initial_lr_message_matches_torch():
    topt, gopt = pair()
    with pytest.raises(KeyError) as t_err:
        torch.optim.lr_scheduler.StepLR(topt, 2, last_epoch=3)
    with pytest.raises(KeyError) as g_err:
        S.StepLR(gopt, 2, last_epoch=3)
    assert str(g_err.value) == str(t_err.value)
