"""``torch.library.register_vmap``: a custom op's own batching rule for ``vmap``.

``rule(info, in_dims, *args, **kwargs)`` gets the op's arguments with the whole batch in them (each
batched tensor's mapped dimension where ``in_dims`` says, ``None`` for the others) and returns
``(output, out_dims)``. Without a rule, a custom op under ``vmap`` runs once per sample, its
implementation seeing plain tensors, as PyTorch's batched fallback does.

The op side of the hook is in ``custom_ops.py`` (``_vmap_state``/``_vmap_call``): tensorgraft.func
fills those two slots when it loads, and a custom op call reads one attribute of the vectorized
vmap's per-thread state before anything else, so outside vmap the hook costs one attribute read.
The batched call itself (unwrapping, calling the rule, wrapping the outputs) is the vectorized
vmap's, in ``tensorgraft/func/_vectorized/_custom_ops.py``. The slice-by-slice vmap
(``TENSORGRAFT_VMAP=loop``) ignores the rules: it calls the op once per slice anyway (though its
marked slices refuse a memory read such as ``x.numpy()`` inside the op's implementation).
"""
from __future__ import annotations

from .custom_ops import _OPS, CustomOpDef, OpOverload, OpOverloadPacket

__all__ = ["register_vmap"]


def resolve_for_registration(op, registration_name: str):
    """The ``CustomOpDef`` that ``op`` (a custom op, its overload or packet, or ``"ns::name"``) names,
    refused with PyTorch's messages (a built-in op says it has its own rules in tensorgraft)."""
    if isinstance(op, (OpOverloadPacket, OpOverload)):
        return op._op
    if not isinstance(op, (str, CustomOpDef)):
        raise ValueError(f"{registration_name}({op}): got unexpected type for op: {type(op)}")
    if isinstance(op, CustomOpDef):
        return op
    qualname = op[:-len(".default")] if op.endswith(".default") else op
    found = _OPS.get(qualname)
    if found is not None:
        return found
    namespace, _, name = qualname.partition("::")
    if namespace == "aten":
        raise ValueError(f"{registration_name}: {op!r} is one of tensorgraft's built-in ops, which have their own "
                         "rules; register only custom ops (torch.library.custom_op or Library.define)")
    raise AttributeError(f"'_OpNamespace' '{namespace}' object has no attribute '{name}'")


def register_vmap(op, func=None, /, *, lib=None):
    """Register ``func`` as the vmap rule of the custom op ``op`` (``vmap_func(info, in_dims, *args,
    **kwargs)`` returning ``(output, out_dims)``); as a decorator when ``func`` is None."""
    target = resolve_for_registration(op, "register_vmap")
    return target.register_vmap(func)
