"""``nn.Module`` methods that save a module tree to a state_dict, and the hooks around saving and
loading one (loading itself is in ``_state_dict_loading.py``).

The functions here are ``Module`` methods (``module.py`` puts them in the class body, named and
qualified as if defined there).
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict

from tensorgraft.utils.hooks import RemovableHandle

from ._module_hooks import _add_hook

# the state_dict entry of what a module's get_extra_state returns
EXTRA_STATE_KEY_SUFFIX = "_extra_state"


def get_extra_state(self):
    """The module's state beyond its parameters and buffers (any picklable value), saved in the
    state_dict as ``prefix + "_extra_state"``. Override it together with ``set_extra_state``: only
    then does the state_dict hold the entry."""
    # the words PyTorch uses: the default is never meant to be called, state_dict skips it
    raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. Please file "
                       "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report "
                       "this bug.")


def set_extra_state(self, state):
    """Restore what ``get_extra_state`` returned; ``load_state_dict`` calls it with the checkpoint's
    ``prefix + "_extra_state"`` entry when a subclass overrides it."""
    raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. Please file "
                       "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report "
                       "this bug.")


def _save_to_state_dict(self, destination, prefix, keep_vars):
    for name, param in self._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    for name, buf in self._buffers.items():
        if buf is not None and name not in self._non_persistent_buffers_set:
            destination[prefix + name] = buf if keep_vars else buf.detach()
    # overridden in the class (not on an instance), as PyTorch decides
    if type(self).get_extra_state is not get_extra_state:
        destination[prefix + EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()


def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
    if args:
        # PyTorch still takes (destination, prefix, keep_vars) by position, with a warning
        warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                      "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict for "
                      "details.", FutureWarning, stacklevel=2)
        destination = args[0] if len(args) > 0 else destination
        prefix = args[1] if len(args) > 1 else prefix
        keep_vars = args[2] if len(args) > 2 else keep_vars
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    for hook in self._state_dict_pre_hooks.values():
        hook(self, prefix, keep_vars)
    local_metadata = {"version": self._version}
    meta = getattr(destination, "_metadata", None)
    if meta is not None:
        meta[prefix[:-1]] = local_metadata
    self._save_to_state_dict(destination, prefix, keep_vars)
    for name, module in self._modules.items():
        if module is not None:
            module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
    for hook in self._state_dict_hooks.values():
        r = hook(self, destination, prefix, local_metadata)
        if r is not None:
            # only the private hooks may hand back a new dict (spectral_norm's does)
            if getattr(hook, "_from_public_api", False):
                raise RuntimeError("state_dict post-hook must return None")
            destination = r
    return destination


def _local_state(self):
    """This module's own parameters and persistent buffers, by name: what ``load_state_dict``
    looks for under the module's prefix (the extra state aside)."""
    out = {}
    for name, p in self._parameters.items():
        if p is not None:
            out[name] = p
    for name, b in self._buffers.items():
        if b is not None and name not in self._non_persistent_buffers_set:
            out[name] = b
    return out


def _optional_state_keys(self, version):
    """Local state entries an older checkpoint (``version`` from its metadata) may lack."""
    return ()


def _register_state_dict_hook(self, hook):
    if getattr(hook, "_from_public_api", False):
        raise RuntimeError("Cannot register the same function as the state dict post hook that was previously "
                           "registered via register_state_dict_post_hook")
    h = RemovableHandle(self._state_dict_hooks)
    self._state_dict_hooks[h.id] = hook
    return h


def register_state_dict_pre_hook(self, hook):
    """``hook(module, prefix, keep_vars)``, called before this module's entries are saved."""
    return _add_hook(self._state_dict_pre_hooks, hook, False)


def register_state_dict_post_hook(self, hook):
    """``hook(module, state_dict, prefix, local_metadata)``, called once this module and its
    children are saved; it may edit ``state_dict`` in place and must return None."""
    # marked on the hook itself, as PyTorch does (so a bound method, which takes no attributes,
    # is refused with AttributeError before anything is registered)
    hook._from_public_api = True
    h = RemovableHandle(self._state_dict_hooks)
    self._state_dict_hooks[h.id] = hook
    return h


def _register_load_state_dict_pre_hook(self, hook, with_module=False):
    h = RemovableHandle(self._load_state_dict_pre_hooks)
    self._load_state_dict_pre_hooks[h.id] = functools.partial(hook, self) if with_module else hook
    return h


def register_load_state_dict_pre_hook(self, hook):
    """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
    error_msgs)``, called before this module's entries are matched; it may rename keys."""
    return self._register_load_state_dict_pre_hook(hook, with_module=True)


def register_load_state_dict_post_hook(self, hook):
    """``hook(module, incompatible_keys)``, called after loading; it may empty the key lists in place
    (forgiving them under ``strict``) and must return None."""
    return _add_hook(self._load_state_dict_post_hooks, hook, False)
