"""``Module.load_state_dict``: match a checkpoint's keys to a module tree, then copy.

Everything that can make a load fail (a wrong shape, a non-tensor entry, and under ``strict`` a
missing or unexpected key) is found before any tensor is written, so a failed load leaves the
model as it was. The one exception is a module with load post-hooks: those hooks see the loaded
model and may forgive missing or unexpected keys (by emptying the lists in place), so when any are
registered the strict key check has to wait until they have run, after the copy — which is also
when PyTorch makes it.

Order follows PyTorch, because hooks and error messages show it: modules are visited parents
first; an unexpected key is charged to the deepest module its dotted prefix reaches; post-hooks
run children first, each seeing the keys reported by every module loaded so far.

``load_state_dict`` and ``_load_from_state_dict`` here are ``Module`` methods (``module.py`` puts
them in the class body, named and qualified as if defined there).
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping

from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor

from ..parameter import Parameter, is_lazy
from ._module_state_dict import EXTRA_STATE_KEY_SUFFIX, set_extra_state


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    # re-exported by module.py, its home in PyTorch (which is also its __module__)
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _owner_prefix(root, key):
    """The prefix of the module an unexpected ``key`` is reported by: follow child names along the
    key's dotted path as far as they go."""
    module, prefix = root, ""
    while True:
        head, dot, _ = key[len(prefix):].partition(".")
        child = module._modules.get(head) if dot else None
        if child is None:
            return prefix
        module, prefix = child, prefix + head + "."


def _visit(module, prefix, out):
    """Append ``(prefix, module, children's visits)`` in PyTorch's parents-first load order."""
    node = (prefix, module, [])
    out.append(node)
    for name, child in module._modules.items():
        if child is not None:
            _visit(child, prefix + name + ".", node[2])
    return node


def _flatten(node):
    yield node
    for child in node[2]:
        yield from _flatten(child)


def _has_post_hooks(node):
    return any(m._load_state_dict_post_hooks for _, m, _ in _flatten(node))


def _strict_messages(missing, unexpected):
    msgs = []
    if missing:
        msgs.append("Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
    if unexpected:
        msgs.append("Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
    return msgs


def _raise_if(root, error_msgs):
    if error_msgs:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            type(root).__name__, "\n\t".join(error_msgs)))


# (plan, expected keys) of the load_state_dict running now, which the default
# Module._load_from_state_dict adds to; None outside one (a direct call copies at once)
_current_load = [None]


def plan_local_state(module, state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs):
    """The default ``Module._load_from_state_dict``: run the module's load pre-hooks, then match its
    own parameters, buffers and extra state to ``state_dict`` and plan their copies (made after
    every module has been checked, so a failed load changes nothing)."""
    for hook in module._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs)
    current = _current_load[0]
    plan, expected = current if current is not None else ([], set())
    # load_state_dict(assign=True) says so here, as in PyTorch, so that an override (or a direct
    # call) sees it too; and so does a checkpoint whose metadata an earlier assign=True load marked
    assign = local_metadata.get("assign_to_params_buffers", False)
    optional = module._optional_state_keys(local_metadata.get("version"))
    for name, cur in module._local_state().items():
        key = prefix + name
        if key in expected:
            continue
        expected.add(key)
        if key not in state_dict:
            if name not in optional:
                missing.append(key)
            continue
        val = state_dict[key]
        if not isinstance(val, Tensor):
            error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                              f"Tensor-like object from checkpoint but received {type(val)}")
            continue
        if not is_lazy(cur) and cur.ndim == 0 and val.ndim == 1 and val.numel() == 1:
            val = val[0]  # (PyTorch's backward compatibility: 0.3-era checkpoints kept scalars as 1-D)
        # a still-uninitialized tensor (a lazy module's, loading a lazy checkpoint) has no shape to check
        if not is_lazy(cur) and tuple(val.shape) != tuple(cur.shape):
            error_msgs.append(f"size mismatch for {key}: copying a param with shape {val.shape} from "
                              f"checkpoint, the shape in current model is {cur.shape}.")
            continue
        if assign and name in module._parameters:
            val = _assigned_parameter(key, cur, val, error_msgs)
            if val is None:
                continue
        plan.append((module, name, cur, val, assign))
    # the extra state is loaded only by a class that overrides set_extra_state (its entry is
    # otherwise unexpected), after the module's own tensors, as PyTorch orders it
    if type(module).set_extra_state is not set_extra_state:
        key = prefix + EXTRA_STATE_KEY_SUFFIX
        if key not in expected:
            expected.add(key)
            if key in state_dict:
                plan.append((module, EXTRA_STATE_KEY_SUFFIX, None, state_dict[key], False))
            else:
                missing.append(key)
    if current is None:  # called on its own, outside load_state_dict
        if strict:  # keys under prefix that are neither local state nor a child's
            for key in state_dict:
                if key.startswith(prefix) and key not in expected:
                    head = key[len(prefix):].split(".", 1)[0]
                    if head not in module._modules:
                        unexpected.append(key)
        _copy(plan)


def _assigned_parameter(key, cur, val, error_msgs):
    """What ``assign=True`` registers for the parameter ``cur``: the checkpoint's Parameter itself,
    or a new Parameter over the checkpoint's tensor; either way with ``cur``'s requires_grad (the
    module's choice, as in PyTorch, not the checkpoint's). None, with the error recorded, when that
    requires_grad cannot be had (an integer tensor for a trainable parameter)."""
    try:
        if not isinstance(val, Parameter):
            return Parameter(val, requires_grad=cur.requires_grad)
        if cur.requires_grad and not val.requires_grad:
            # tried on an alias, so the checkpoint's Parameter changes only once the load goes ahead;
            # the error is requires_grad_'s own, as PyTorch calls it on the Parameter
            val.detach().requires_grad_(True)
    except RuntimeError as exc:
        error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                          f"{cur.shape} and whose dimensions in the checkpoint are {val.shape}, an exception "
                          f"occurred : {exc.args}.")
        return None
    return val


def load_state_dict(self, state_dict, strict=True, assign=False):
    root = self
    if not isinstance(state_dict, Mapping):  # any mapping will do (a MappingProxyType, a user's class)
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    metadata = getattr(state_dict, "_metadata", None)
    # load hooks may rename keys (an old weight_norm checkpoint): they work on a copy, as in
    # PyTorch, so the caller's dict is never changed
    state_dict = dict(state_dict)
    tree = _visit(root, "", [])
    error_msgs, plan, expected = [], [], set()
    missing_of, unexpected_of = {}, {}   # module prefix -> the keys it reports
    outer = _current_load[0]
    _current_load[0] = (plan, expected)
    try:
        for pre, module, _ in _flatten(tree):
            mprefix = pre[:-1]
            local_metadata = {} if metadata is None else metadata.get(mprefix, {})
            if assign:
                # PyTorch writes the flag into the checkpoint's own metadata entry too
                local_metadata["assign_to_params_buffers"] = assign
            missing_of[pre] = []
            unexpected_of[pre] = []
            # a module may override _load_from_state_dict (to migrate an old checkpoint's keys, say)
            # and call the default, plan_local_state, through super(). It is told strict=True
            # whatever the caller asked, as PyTorch tells it (load pre-hooks see that too): the
            # caller's strict decides only whether missing and unexpected keys raise, below
            module._load_from_state_dict(state_dict, pre, local_metadata, True, missing_of[pre],
                                         unexpected_of[pre], error_msgs)
    finally:
        _current_load[0] = outer
    for k in state_dict:
        if k not in expected:
            unexpected_of[_owner_prefix(root, k)].append(k)
    missing = [k for pre in missing_of for k in missing_of[pre]]
    unexpected = [k for pre in unexpected_of for k in unexpected_of[pre]]
    deferred = _has_post_hooks(tree)
    if error_msgs or (strict and not deferred):
        _raise_if(root, (_strict_messages(missing, unexpected) if strict else []) + error_msgs)
    _copy(plan)
    if not deferred:
        return _IncompatibleKeys(missing, unexpected)
    # post-hooks: shared lists that grow module by module (parents first), handed to each module's
    # hooks once its whole subtree is loaded, so a hook may empty them in place
    missing.clear()
    unexpected.clear()
    _run_post_hooks(tree, missing, unexpected, missing_of, unexpected_of)
    if strict:
        _raise_if(root, _strict_messages(missing, unexpected))
    return _IncompatibleKeys(missing, unexpected)


def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                          error_msgs):
    """Load this module's own parameters, buffers and extra state from ``state_dict`` (keys under
    ``prefix``). Override it, calling ``super()._load_from_state_dict(...)``, to adapt an older
    checkpoint (rename keys in ``state_dict`` by ``local_metadata["version"]``); ``load_state_dict``
    calls it for every module, parents first."""
    plan_local_state(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)


def _run_post_hooks(node, missing, unexpected, missing_of, unexpected_of):
    pre, module, children = node
    missing.extend(missing_of[pre])
    unexpected.extend(unexpected_of[pre])
    for child in children:
        _run_post_hooks(child, missing, unexpected, missing_of, unexpected_of)
    keys = _IncompatibleKeys(missing, unexpected)
    for hook in module._load_state_dict_post_hooks.values():
        if hook(module, keys) is not None:
            raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                                 "to return new values, if incompatible_keys need to be modified, it should be "
                                 "done inplace.")


def _copy(plan):
    for module, name, cur, val, assign in plan:
        if cur is None:
            # the extra state (any value, a tensor too): the module takes it itself, with grad mode
            # as the caller has it (PyTorch calls set_extra_state outside its no_grad block)
            module.set_extra_state(val)
            continue
        with no_grad():
            _copy_tensor(module, name, cur, val, assign)


def _copy_tensor(module, name, cur, val, assign):
    if assign:
        if name in module._parameters:
            # val is a Parameter (see _assigned_parameter): it takes the module's requires_grad
            if val.requires_grad != cur.requires_grad:
                val.requires_grad_(cur.requires_grad)
        # through the module's __setattr__, as PyTorch assigns: the global registration hooks
        # (and a subclass's own __setattr__) see the loaded tensor
        setattr(module, name, val)
        return
    src = val._data
    if val._device is not cur._device:
        src = val.to(cur.device)._data
    if src.dtype != cur._data.dtype:
        src = src.astype(cur._data.dtype)
    cur._data[...] = src
    cur._vc[0] += 1
