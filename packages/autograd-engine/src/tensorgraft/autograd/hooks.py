"""Hooks on the graph: a node's own hook lists, and the hooks and ``retain_grad`` registered on a
tensor (kept per output of the node that made it, so a hook sees that output's gradient when the
backward pass reaches the node).

The handle tensor and node ``register_*hook`` methods return is
``tensorgraft.utils.hooks.RemovableHandle`` (``torch.utils.hooks.RemovableHandle``), re-exported
here, so both paths name one class with one id counter. The lists are ``HookList``s so the handles
can hold them weakly."""
from __future__ import annotations

import weakref

from tensorgraft.tensor import Tensor
from tensorgraft.utils.hooks import HookList, RemovableHandle

__all__ = ["RemovableHandle", "NodeHooks", "register_tensor_hook", "register_post_accumulate_hook", "retain_grad"]


class NodeHooks:
    """A node's hooks, allocated on first registration (the backward loop checks one slot)."""

    __slots__ = ("pre", "post", "tensor")

    def __init__(self):
        self.pre = HookList()   # Node.register_prehook
        self.post = HookList()  # Node.register_hook
        self.tensor = {}   # output_nr -> _OutputHooks (Tensor.register_hook / retain_grad)


class _OutputHooks:
    """Hooks on one output of a node: ``Tensor.register_hook`` functions, then ``retain_grad``."""

    __slots__ = ("hooks", "retain")

    def __init__(self):
        self.hooks = HookList()
        self.retain = None  # weakref to the tensor whose .grad is kept


def _output_hooks(t: Tensor) -> _OutputHooks:
    th = t.grad_fn._hooks().tensor
    oh = th.get(t._output_nr)
    if oh is None:
        oh = th[t._output_nr] = _OutputHooks()
    return oh


def _current_history(t: Tensor) -> None:
    """A view whose base changed in place gets its regenerated history first (PyTorch reads
    ``grad_fn``, which regenerates it), so a hook lands on the node the next backward runs."""
    if t._base is not None and t.grad_fn is not None:
        from .engine import refresh_view  # (the engine imports this module)
        refresh_view(t)


def register_tensor_hook(t: Tensor, hook):
    _current_history(t)
    if t.grad_fn is None:
        extra = t._hooks()
        if extra.hooks is None:
            extra.hooks = HookList()
        hooks = extra.hooks
    else:
        hooks = _output_hooks(t).hooks
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def register_post_accumulate_hook(t: Tensor, hook):
    extra = t._hooks()
    if extra.post_accumulate_hooks is None:
        extra.post_accumulate_hooks = HookList()
    extra.post_accumulate_hooks.append(hook)
    return RemovableHandle(extra.post_accumulate_hooks, hook)


def retain_grad(t: Tensor) -> None:
    """Keep the gradient of the non-leaf ``t`` in ``t.grad`` during backward (after its hooks)."""
    _current_history(t)
    if t.grad_fn is None:
        return  # leaves keep their gradient anyway
    _output_hooks(t).retain = weakref.ref(t)
    t._hooks().retains_grad = True
