"""Gaps found by tests/programs/optim_custom_optimizer.py, checked without PyTorch: what optimizers
written outside torch.optim import from ``torch.optim.optimizer`` (the ``ParamsT``/``StateDict``
aliases for their signatures; ``_use_grad_for_differentiable``, ``_get_value``, ``_to_scalar``,
``_get_scalar_dtype`` and ``_default_to_fused_or_foreach`` in code copied from PyTorch's optimizers)."""
import typing

import pytest

import tensorgraft as tg
from tensorgraft.optim.optimizer import (
    Optimizer, ParamsT, StateDict, _default_to_fused_or_foreach, _get_scalar_dtype, _get_value, _to_scalar,
    _use_grad_for_differentiable)


class _Plain(Optimizer):
    def __init__(self, params: ParamsT, lr=0.5, differentiable=False):
        super().__init__(params, {"lr": lr, "differentiable": differentiable})

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One plain gradient step."""
        self.seen_grad_mode = tg.is_grad_enabled()
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad, alpha=-group["lr"])


def test_type_aliases_describe_params_and_state_dicts():
    assert typing.get_origin(ParamsT) is typing.Union
    assert len(typing.get_args(ParamsT)) == 3
    assert StateDict == typing.Dict[str, typing.Any]


def test_use_grad_for_differentiable_follows_the_differentiable_default():
    w = tg.ones(2)
    w.grad = tg.ones(2)
    opt = _Plain([w])
    opt.step()
    assert opt.seen_grad_mode is False and tg.is_grad_enabled()
    assert w.tolist() == [0.5, 0.5]
    opt = _Plain([w], differentiable=True)
    with tg.no_grad():
        opt.step()
        assert not tg.is_grad_enabled()  # the mode before the step comes back
    assert opt.seen_grad_mode is True
    assert _Plain.step.__name__ == "step" and _Plain.step.__doc__ == "One plain gradient step."


def test_use_grad_for_differentiable_needs_the_default():
    class NoDefault(Optimizer):
        @_use_grad_for_differentiable
        def step(self):
            pass
    with pytest.raises(KeyError, match="differentiable"):
        NoDefault([tg.ones(1)], {}).step()
    assert tg.is_grad_enabled()


def test_small_helpers():
    assert _get_value(tg.tensor(2.5)) == 2.5 and isinstance(_get_value(tg.tensor(2.5)), float)
    assert _get_value(3) == 3
    assert _to_scalar(tg.tensor([1.5])).dim() == 0 and _to_scalar(0.1) == 0.1
    assert _get_scalar_dtype() == tg.float32 and _get_scalar_dtype(True) == tg.float32
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert _get_scalar_dtype() == tg.float64 and _get_scalar_dtype(True) == tg.float32
    finally:
        tg.set_default_dtype(previous)


def test_default_to_fused_or_foreach_on_cpu():
    cpu = [tg.ones(1)]
    assert _default_to_fused_or_foreach(cpu, False) == (False, False)
    assert _default_to_fused_or_foreach(cpu, False, use_fused=True) == (True, False)
    assert _default_to_fused_or_foreach([tg.ones(1, dtype=tg.int64)], False, use_fused=True) == (False, False)
    assert _default_to_fused_or_foreach(cpu, True, use_fused=True) == (False, False)
    assert _default_to_fused_or_foreach([None], False) == (False, True)  # nothing to refuse it
