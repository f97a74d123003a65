"""PyTorch's OptimizerInfo database run on tensorgraft (``tensorgraft.testing.optiminfo``): every
optimizer's configurations (keyword sets, implementation flags, capturable, parameter groups,
complex parameters) give tensorgraft's parameters after each step and final ``state_dict()``
PyTorch's values (float32 and float64), configurations PyTorch refuses are refused with the same
exception type, the database's scheduler combinations give the same learning rates, and its error
inputs raise PyTorch's exception type and message — except the differences listed below with
their reason.

A listed difference that no longer differs fails as stale, so the list stays true."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.optim")
pytest.importorskip("tensorgraft.autograd")  # differentiable=True optimizes non-leaf clones

from tensorgraft.testing.opinfo import judge_verdict  # noqa: E402
from tensorgraft.testing.optiminfo import (  # noqa: E402
    check_optimizer, check_optimizer_errors, check_schedulers, optimizer_database, optimizer_key)

INFOS = {optimizer_key(i): i for i in optimizer_database()}
DTYPES = ("float32", "float64")

# (check, optimizer key, dtype or "*") -> why tensorgraft's result differs on purpose or why the
# check cannot compare. Empty: every optimizer agrees (LBFGS's float32 curvature history, which is
# rounding noise near convergence in PyTorch's own run, is compared at that noise's scale by the checker).
KNOWN: dict[tuple[str, str, str], str] = {}

_CHECKS = {"steps": check_optimizer, "schedulers": check_schedulers, "errors": check_optimizer_errors}


@pytest.mark.parametrize("check", sorted(_CHECKS))
@pytest.mark.parametrize("key, dtype", [(k, d) for k in sorted(INFOS) for d in DTYPES])
def test_optimizer_matches_pytorch(check, key, dtype):
    verdict, detail = _CHECKS[check](INFOS[key], dtype)
    judge_verdict(verdict, detail, KNOWN.get((check, key, dtype), KNOWN.get((check, key, "*"))))


# -- the checker sees a difference where there is one (a checker that always answers "same" fails these)

def test_checker_sees_a_wrong_update(monkeypatch):
    import tensorgraft.optim as optim
    kernel = optim.RMSprop._kernel

    def off_by_1e_4(self, xp, group, k, P, G, S, T):
        kernel(self, xp, group, k, P, G, S, T)
        P *= 1.0001
    monkeypatch.setattr(optim.RMSprop, "_kernel", off_by_1e_4)
    verdict, detail = check_optimizer(INFOS["RMSprop"], "float32")
    assert verdict == "different" and "parameter 0" in detail, detail


def test_checker_sees_a_lost_loaded_state(monkeypatch):
    import tensorgraft.optim as optim
    load = optim.Optimizer.load_state_dict
    monkeypatch.setattr(optim.Optimizer, "load_state_dict", lambda self, sd: load(self, {**sd, "state": {}}))
    verdict, detail = check_optimizer(INFOS["Rprop"], "float64")
    assert verdict == "different" and "after loading PyTorch's state_dict" in detail, detail


def test_checker_sees_a_wrong_scheduler_state(monkeypatch):
    from tensorgraft.optim import lr_scheduler
    state_dict = lr_scheduler.ReduceLROnPlateau.state_dict
    monkeypatch.setattr(lr_scheduler.ReduceLROnPlateau, "state_dict",
                        lambda self: {**state_dict(self), "num_bad_epochs": -1})
    verdict, detail = check_schedulers(INFOS["Adam"], "float64")
    assert verdict == "different" and "num_bad_epochs" in detail, detail


def test_checker_sees_a_missing_refusal(monkeypatch):
    import tensorgraft.optim as optim
    real = optim.Adadelta
    monkeypatch.setattr(optim, "Adadelta", lambda params, rho=0.9, **kwargs: real(params, **kwargs))
    verdict, detail = check_optimizer_errors(INFOS["Adadelta"], "float32")
    assert verdict == "different" and "Invalid rho value" in detail, detail
