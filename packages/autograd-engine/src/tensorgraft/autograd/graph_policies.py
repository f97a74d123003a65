"""Two switches PyTorch 2.13 added for how the graph stores gradients and activations:
``tensorgraft.autograd.enforce_grad_layout_policy`` and
``tensorgraft.autograd.graph.region_activation_memory_budget``.

By default a leaf's first gradient follows PyTorch's gradient layout contract: it takes the leaf's
strides when the leaf is dense (a transposed or channels-last parameter gets a gradient of that
layout), else it is row-major (``leaf_grads._first_grad_data``). ``enforce_grad_layout_policy(False)``
lets PyTorch's engine keep ("steal") the incoming gradient as it is laid out; tensorgraft's engine
copies it (the same gradient array may reach several tensors), in that layout. Later gradients are
added in place either way. The switch is kept per thread, with PyTorch's function, context-manager
and decorator behaviour.

``region_activation_memory_budget`` tells ``torch.compile``'s partitioner how much to recompute; in
eager mode, which is all there is here, PyTorch refuses it with a RuntimeError, and so does this.
"""
from __future__ import annotations

import threading

from tensorgraft.grad_mode import _DecoratorContextManager, _check_bool

__all__ = ["enforce_grad_layout_policy", "is_grad_layout_policy_enforced", "region_activation_memory_budget"]


class _LayoutPolicy(threading.local):
    enforced = True  # PyTorch's default: gradients follow their parameters' layout


_policy = _LayoutPolicy()


def is_grad_layout_policy_enforced() -> bool:
    """Whether the gradient layout contract is enforced on this thread (True unless switched off)."""
    return _policy.enforced


def _set_enforced(enable) -> bool:
    previous, _policy.enforced = _policy.enforced, _check_bool(enable, "set_grad_layout_enforcement_enabled")
    return previous


class enforce_grad_layout_policy(_DecoratorContextManager):  # noqa: N801 - PyTorch's name
    """``enforce_grad_layout_policy(enable=True)``: whether accumulated gradients must follow their
    parameters' layout (see the module docstring for what that means here). It takes effect when
    made, so it also works as a plain call; a ``with`` block puts back the value found when it was
    made, and a decorated function runs with ``enable`` and restores what it found."""

    def __init__(self, enable: bool = True) -> None:
        self.prev = _set_enforced(enable)
        self.mode = _policy.enforced

    def __call__(self, orig_func):
        _set_enforced(self.prev)  # a decorator switches the value only while the function runs
        return super().__call__(orig_func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> bool:
        _set_enforced(self.prev)
        return False

    def clone(self) -> "enforce_grad_layout_policy":
        return self.__class__(self.mode)


_BUDGET = "torch.autograd.graph.region_activation_memory_budget"


def region_activation_memory_budget(budget: float):
    """The activation memory budget (a ratio in [0, 1]) of a compiled region. Checked as PyTorch
    does, then refused: it has an effect only under ``torch.compile``, and tensorgraft runs eagerly."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise TypeError(f"{_BUDGET}: expects a float, got {type(budget).__name__}")
    if not 0.0 <= budget <= 1.0:
        raise ValueError(f"{_BUDGET}: must be in [0, 1], got {budget}")
    raise RuntimeError(f"{_BUDGET} can only be used inside a torch.compile region; it has no effect in eager mode.")
