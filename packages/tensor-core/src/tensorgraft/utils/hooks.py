"""``torch.utils.hooks``: the handle every ``register_*hook`` returns, and the helpers around hooks
on tensors that cannot be saved.

:class:`RemovableHandle` is the handle class of the autograd engine's tensor and node hooks
(``tensorgraft.autograd.hooks`` re-exports it), and of any user registry built on it as PyTorch's
modules build theirs; its ids come from one counter, as PyTorch's do.
"""
from __future__ import annotations

import warnings
import weakref
from typing import Any

# BackwardHook is served by __getattr__ below (nn-layers implements it)
__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


class HookList(list):
    """A list of hooks the autograd engine iterates in order, which a :class:`RemovableHandle` can
    hold weakly (a plain list cannot be weak-referenced), so a handle kept after its tensor or
    node is gone keeps nothing alive."""

    __slots__ = ("__weakref__",)


class RemovableHandle:
    """A handle that removes a hook: ``handle.remove()``, or leave a ``with handle:`` block.

    ``hooks_dict`` is the (weak-referenceable) dict the hook is stored in under ``handle.id``;
    ``extra_dict`` is one more such dict, or a list of them, whose entry under the same id goes with
    it (a module hook's ``with_kwargs`` flag). The handle holds them weakly.

    The autograd engine keeps a tensor's or node's hooks in a :class:`HookList` instead (it runs
    them in order on every backward pass) and passes the hook as a second argument, the entry to
    remove from that list.
    """

    id: int
    next_id: int = 0

    def __init__(self, hooks_dict: Any, *entry, extra_dict: Any = None) -> None:
        if entry and (len(entry) != 1 or not isinstance(hooks_dict, HookList)):
            # only the engine's list form takes a second argument; any other call gets Python's
            # words for the signature (hooks_dict, *, extra_dict=None)
            raise TypeError(f"RemovableHandle.__init__() takes 2 positional arguments but {2 + len(entry)} "
                            "were given")
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)
        if entry:
            self._entry = entry[0]

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if isinstance(hooks, HookList):
            entry = self.__dict__.pop("_entry", None)
            # by identity: the same function registered twice has two entries and two handles
            for i, h in enumerate(hooks):
                if h is entry:
                    del hooks[i]
                    break
        elif hooks is not None and self.id in hooks:
            del hooks[self.id]
        for ref in self.extra_dict_ref:
            extra = ref()
            if extra is not None and self.id in extra:
                del extra[self.id]

    def __getstate__(self):
        hooks = self.hooks_dict_ref()
        state = (hooks, self.id, tuple(ref() for ref in self.extra_dict_ref))
        if "_entry" in self.__dict__:
            state += (self._entry,)
        return state

    def __setstate__(self, state) -> None:
        if isinstance(state, dict):
            state = self._state_of_old_module_handle(state)
        if state[0] is None:
            # the dict was gone when pickled: a dead reference, so remove() does nothing
            self.hooks_dict_ref = weakref.ref(HookList())
        else:
            self.hooks_dict_ref = weakref.ref(state[0])
        self.id = state[1]
        # later handles must not reuse the restored id
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = () if len(state) < 3 else tuple(
            weakref.ref(d) for d in state[2] if d is not None)
        if len(state) > 3:
            self._entry = state[3]

    @staticmethod
    def _state_of_old_module_handle(state: dict) -> tuple:
        """The state of a module hook's handle pickled (a lazy module holds two) when nn.Module had
        a handle class of its own, whose instances kept ``id`` and ``_dicts`` (the hooks' dict, then
        the flag dicts) in their ``__dict__``. Plain-dict flag stores cannot be held weakly and are
        left out: a flag left behind under a removed hook's id is never read."""
        dicts = state.get("_dicts", ())
        extra = tuple(d for d in dicts[1:] if isinstance(d, dict) and type(d) is not dict)
        return (dicts[0] if dicts else None, state["id"], extra)

    def __repr__(self) -> str:
        # printed by the path users import it from in PyTorch, as ``print(handle)`` shows there
        return f"<torch.utils.hooks.RemovableHandle object at 0x{id(self):x}>"

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, type: Any, value: Any, tb: Any) -> None:
        self.remove()


def unserializable_hook(f):
    """Mark ``f``, a tensor backward hook, as one that need not be saved with the tensor:
    :func:`warn_if_has_hooks` stays quiet about it."""
    f.__torch_unserializable__ = True
    return f


def _tensor_backward_hooks(tensor) -> list:
    """The hooks ``tensor.register_hook`` put on ``tensor``: a leaf keeps them itself, a non-leaf in
    its grad_fn node, per output (read through attributes: tensor-core does not import the engine)."""
    fn = getattr(tensor, "grad_fn", None)
    if fn is None:
        extra = getattr(tensor, "_extra", None)
        return list(getattr(extra, "hooks", None) or ())
    node_hooks = getattr(fn, "_hk", None)
    per_output = getattr(node_hooks, "tensor", None) or {}
    out = per_output.get(getattr(tensor, "_output_nr", 0))
    return list(getattr(out, "hooks", None) or ())


def warn_if_has_hooks(tensor) -> None:
    """Warn about each backward hook on ``tensor`` that saving it would drop (hooks are not saved),
    unless the hook was marked with :func:`unserializable_hook`."""
    for hook in _tensor_backward_hooks(tensor):
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {repr(hook)} on tensor will not be serialized.  If this is expected, you "
                          "can decorate the function with @torch.utils.hooks.unserializable_hook to suppress this "
                          "warning", stacklevel=2)


def __getattr__(name):
    # BackwardHook runs a module's full backward hooks: nn-layers implements it, and tensor-core
    # must not import nn at import time, so it is fetched on first use
    if name == "BackwardHook":
        from tensorgraft.nn.modules._backward_hook import BackwardHook
        return BackwardHook
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
