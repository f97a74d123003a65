"""Hooks that apply to every module (``torch.nn.modules.module.register_module_*``).

Profilers, tracers and debugging tools use these to watch a whole model without touching each
layer. They live in plain module-level dicts that ``Module`` reads: the forward/backward ones
run before the module's own hooks of the same kind, the registration ones see (and may replace)
each parameter, buffer or submodule as it is registered.
"""
from __future__ import annotations

from collections import OrderedDict

from tensorgraft.utils.hooks import RemovableHandle

__all__ = [
    "register_module_forward_pre_hook", "register_module_forward_hook", "register_module_full_backward_pre_hook",
    "register_module_backward_hook", "register_module_full_backward_hook", "register_module_buffer_registration_hook",
    "register_module_module_registration_hook", "register_module_parameter_registration_hook",
]

# all OrderedDicts, even the flag stores: a hook's RemovableHandle holds them by weak reference,
# which a plain dict does not allow
forward_pre_hooks: OrderedDict = OrderedDict()
forward_hooks: OrderedDict = OrderedDict()
forward_hooks_with_kwargs: OrderedDict = OrderedDict()
forward_hooks_always_called: OrderedDict = OrderedDict()
backward_pre_hooks: OrderedDict = OrderedDict()
backward_hooks: OrderedDict = OrderedDict()
buffer_registration_hooks: OrderedDict = OrderedDict()
module_registration_hooks: OrderedDict = OrderedDict()
parameter_registration_hooks: OrderedDict = OrderedDict()


def any_call_hooks() -> bool:
    """Whether a module call has global hooks to run (the fast path skips all hook handling)."""
    return bool(forward_pre_hooks or forward_hooks or backward_pre_hooks or backward_hooks)


def _add(store, hook, extra_dict=None):
    handle = RemovableHandle(store, extra_dict=extra_dict)
    store[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """``hook(module, args)`` before every module's forward; a non-None result replaces ``args``."""
    return _add(forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with ``with_kwargs``)
    after every module's forward; a non-None result replaces the output."""
    # as in PyTorch, the handle drops only the always_call flag: a removed hook's with_kwargs flag
    # stays behind, unread, since ids are never reused
    handle = _add(forward_hooks, hook, forward_hooks_always_called)
    if with_kwargs:
        forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook):
    """``hook(module, grad_output)`` for every module, as ``Module.register_full_backward_pre_hook``."""
    return _add(backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """``hook(module, grad_input, grad_output)`` for every module, as ``Module.register_full_backward_hook``."""
    return _add(backward_hooks, hook)


def register_module_backward_hook(hook):
    # the old (non-"full") hook kind is served by the full one, as Module.register_backward_hook is
    return register_module_full_backward_hook(hook)


def register_module_buffer_registration_hook(hook):
    """``hook(module, name, buffer)`` whenever a buffer is registered; a non-None result is stored instead."""
    return _add(buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """``hook(module, name, submodule)`` whenever a submodule is registered; a non-None result is stored instead."""
    return _add(module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """``hook(module, name, param)`` whenever a parameter is registered; a non-None result is stored instead."""
    return _add(parameter_registration_hooks, hook)


def apply_registration_hooks(store, module, name, value):
    for hook in store.values():
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value
