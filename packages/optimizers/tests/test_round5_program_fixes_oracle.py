"""The torch.optim.optimizer helpers of test_round5_program_fixes.py, compared with PyTorch."""
import importlib

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, run_in_both  # noqa: E402


def _helpers(lib):
    # (``torch.optim`` does not bind its ``optimizer`` submodule as an attribute)
    return importlib.import_module(f"{lib.__name__}.optim.optimizer")


@pytest.mark.parametrize("case", [
    lambda lib: [lib.ones(1)], lambda lib: [lib.ones(1, dtype=lib.int64)], lambda lib: [None], lambda lib: [],
])
@pytest.mark.parametrize("differentiable,use_fused", [(False, False), (False, True), (True, True)])
def test_default_to_fused_or_foreach(case, differentiable, use_fused):
    ours, theirs = run_in_both(lambda lib: _helpers(lib)._default_to_fused_or_foreach(
        case(lib), differentiable, use_fused))
    assert ours == theirs


def test_scalar_helpers():
    def values(lib):
        h = _helpers(lib)
        lib.set_default_dtype(lib.float64)
        try:
            wide = (str(h._get_scalar_dtype()), str(h._get_scalar_dtype(True)))
        finally:
            lib.set_default_dtype(lib.float32)
        return (h._get_value(lib.tensor(2.5)), h._get_value(4), h._to_scalar(lib.tensor([[1.5]])).dim(),
                str(h._get_scalar_dtype()), wide)
    ours, theirs = run_in_both(values)
    assert ours == theirs  # (tensorgraft's dtypes print as PyTorch's do)


def _step_grad_modes(lib, outer_grad):
    h = _helpers(lib)
    modes = []

    class Opt(h.Optimizer):
        def __init__(self, params: h.ParamsT, differentiable):
            super().__init__(params, {"lr": 0.1, "differentiable": differentiable})

        @h._use_grad_for_differentiable
        def step(self, closure=None):
            modes.append(lib.is_grad_enabled())

    w = lib.ones(2)
    for differentiable in (False, True):
        with lib.set_grad_enabled(outer_grad):
            Opt([w], differentiable).step()
            modes.append(lib.is_grad_enabled())
    return modes, Opt.step.__name__


@pytest.mark.parametrize("outer_grad", [True, False])
def test_use_grad_for_differentiable(outer_grad):
    ours, theirs = run_in_both(lambda lib: _step_grad_modes(lib, outer_grad))
    assert ours == theirs


def test_use_grad_for_differentiable_without_the_default():
    def call(lib):
        h = _helpers(lib)

        class NoDefault(h.Optimizer):
            @h._use_grad_for_differentiable
            def step(self):
                pass
        NoDefault([lib.ones(1)], {}).step()
    assert_same_error(call)
