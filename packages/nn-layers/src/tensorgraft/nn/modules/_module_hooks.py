"""``nn.Module`` methods that register forward and backward hooks on one module.

The functions here are ``Module`` methods (``module.py`` puts them in the class body, named and
qualified as if defined there). Every one returns ``torch.utils.hooks.RemovableHandle``, the one
handle class of all hooks, whose ``remove()`` also drops the hook's flags (``with_kwargs``,
``always_call``) kept under the same id in the module's flag dicts.
"""
from __future__ import annotations

from tensorgraft.utils.hooks import RemovableHandle

from . import _global_hooks as _g


def _add_hook(hooks, hook, prepend, *flag_dicts):
    """Store ``hook`` in the ordered dict ``hooks`` (first if ``prepend``); the handle also
    forgets the id in each of ``flag_dicts`` (with_kwargs, always_call) on removal."""
    h = RemovableHandle(hooks, extra_dict=list(flag_dicts) if flag_dicts else None)
    hooks[h.id] = hook
    if prepend:
        hooks.move_to_end(h.id, last=False)
    return h


def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
    h = _add_hook(self._forward_pre_hooks, hook, prepend, self._forward_pre_hooks_with_kwargs)
    if with_kwargs:
        self._forward_pre_hooks_with_kwargs[h.id] = True
    return h


def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
    h = _add_hook(self._forward_hooks, hook, prepend, self._forward_hooks_with_kwargs,
                  self._forward_hooks_always_called)
    if with_kwargs:
        self._forward_hooks_with_kwargs[h.id] = True
    if always_call:
        self._forward_hooks_always_called[h.id] = True
    return h


def _claim_backward_hook_kind(self, full):
    # a module takes one kind of backward hook for good (PyTorch keeps the choice after the
    # handle is removed)
    kind = self.__dict__.get("_is_full_backward_hook")
    if kind is not None and kind != full:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                           "Please use only one of them.")
    self.__dict__["_is_full_backward_hook"] = full


def register_full_backward_hook(self, hook, prepend=False):
    self._claim_backward_hook_kind(True)
    return _add_hook(self._backward_hooks, hook, prepend)


def register_full_backward_pre_hook(self, hook, prepend=False):
    return _add_hook(self._backward_pre_hooks, hook, prepend)


def register_backward_hook(self, hook):
    # the deprecated form runs here with the full hooks' arguments (the gradients of the
    # module's inputs and outputs), not those of the module's last autograd node
    self._claim_backward_hook_kind(False)
    return _add_hook(self._backward_hooks, hook, False)


def _forward_hook_list(self):
    """(id, hook, with_kwargs, always_call) of the global forward hooks, then this module's; read
    after forward, so a hook registered while forward ran is called too."""
    return [(hid, hook, hid in _g.forward_hooks_with_kwargs, hid in _g.forward_hooks_always_called)
            for hid, hook in _g.forward_hooks.items()] + [
        (hid, hook, hid in self._forward_hooks_with_kwargs, hid in self._forward_hooks_always_called)
        for hid, hook in self._forward_hooks.items()]
