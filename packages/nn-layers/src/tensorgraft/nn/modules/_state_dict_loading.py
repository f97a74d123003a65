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
"""
from __future__ import annotations

from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor

from ..parameter import Parameter, is_lazy


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
    own parameters and buffers to ``state_dict`` and plan their copies (made after every module has
    been checked, so a failed load changes nothing)."""
    for hook in module._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs)
    current = _current_load[0]
    plan, expected = current if current is not None else ([], set())
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
        # a still-uninitialized tensor (a lazy module's, loading a lazy checkpoint) has no shape to check
        if not is_lazy(cur) and tuple(val.shape) != tuple(cur.shape):
            error_msgs.append(f"size mismatch for {key}: copying a param with shape {val.shape} from "
                              f"checkpoint, the shape in current model is {cur.shape}.")
            continue
        plan.append((module, name, cur, val))
    if current is None:  # called on its own, outside load_state_dict
        if strict:  # keys under prefix that are neither local state nor a child's
            for key in state_dict:
                if key.startswith(prefix) and key not in expected:
                    head = key[len(prefix):].split(".", 1)[0]
                    if head not in module._modules:
                        unexpected.append(key)
        _copy(plan, assign=False)


def load_state_dict(root, state_dict, strict, assign, incompatible_keys_cls):
    if not isinstance(state_dict, dict):
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
            missing_of[pre] = []
            unexpected_of[pre] = []
            # a module may override _load_from_state_dict (to migrate an old checkpoint's keys, say)
            # and call the default, plan_local_state, through super()
            module._load_from_state_dict(state_dict, pre, local_metadata, strict, missing_of[pre],
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
    _copy(plan, assign)
    if not deferred:
        return incompatible_keys_cls(missing, unexpected)
    # post-hooks: shared lists that grow module by module (parents first), handed to each module's
    # hooks once its whole subtree is loaded, so a hook may empty them in place
    missing.clear()
    unexpected.clear()
    _run_post_hooks(tree, missing, unexpected, missing_of, unexpected_of, incompatible_keys_cls)
    if strict:
        _raise_if(root, _strict_messages(missing, unexpected))
    return incompatible_keys_cls(missing, unexpected)


def _run_post_hooks(node, missing, unexpected, missing_of, unexpected_of, incompatible_keys_cls):
    pre, module, children = node
    missing.extend(missing_of[pre])
    unexpected.extend(unexpected_of[pre])
    for child in children:
        _run_post_hooks(child, missing, unexpected, missing_of, unexpected_of, incompatible_keys_cls)
    keys = incompatible_keys_cls(missing, unexpected)
    for hook in module._load_state_dict_post_hooks.values():
        if hook(module, keys) is not None:
            raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                                 "to return new values, if incompatible_keys need to be modified, it should be "
                                 "done inplace.")


def _copy(plan, assign):
    with no_grad():
        for module, name, cur, val in plan:
            if assign:
                if name in module._parameters:
                    module._parameters[name] = val if isinstance(val, Parameter) else Parameter(
                        val, requires_grad=cur.requires_grad)
                else:
                    module._buffers[name] = val
                continue
            src = val._data
            if val._device is not cur._device:
                src = val.to(cur.device)._data
            if src.dtype != cur._data.dtype:
                src = src.astype(cur._data.dtype)
            cur._data[...] = src
            cur._vc[0] += 1
