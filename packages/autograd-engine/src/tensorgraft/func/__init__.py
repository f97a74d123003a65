"""``tensorgraft.func``: composable function transforms (PyTorch's ``torch.func``): ``grad``,
``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``,
``functional_call``, ``stack_module_state``, ``replace_all_batch_norm_modules_``, ``functionalize`` and
``rearrange`` (einops-style, ``_rearrange.py``).

Shipped by tensorgraft-autograd (the transforms are built on its reverse mode). ``import
tensorgraft`` imports this file, so it only names things: each function loads on first use.

How they differ from PyTorch's (same results, different machinery):

- There are no functorch "levels". A transform makes its differentiated inputs fresh leaves (or,
  when an input already requires grad, a differentiable alias), runs the function, and keeps a
  result's history only when it reaches a tensor requiring grad that the transform did not
  create — so ``grad(grad(f))``, ``jacfwd(jacrev(f))`` and ordinary autograd through a transform
  all work, and a result that depends only on the transform's own leaves comes back detached.
- ``jvp``/``jacfwd`` use reverse mode (the double-backward trick): the values are forward mode's;
  ``jacfwd``, ``jacrev`` and ``hessian`` push all basis vectors through one batched backward
  (``autograd.grad(..., is_grads_batched=True)``, ``autograd/batched_backward.py``).
- ``vmap`` is vectorized (``_vectorized/``, functorch's design): the function runs once on
  ``BatchedTensor``s (the batch in front, per-sample shapes reported), whose ops go through
  ``__torch_function__`` to batching rules or, for a function without one, to a per-sample loop
  over the batch; ``grad``/``vjp``/``jvp``/``jacrev``/``jacfwd``/``hessian`` inside it run once on
  the whole batch. The first vectorized call turns ``__torch_function__`` dispatch on for the
  process. ``TENSORGRAFT_VMAP=loop`` selects the older slice-by-slice vmap (``_vmap.py``): one
  call per slice, results stacked, the slices' memory marked so that PyTorch's refusals
  (``.item()``, data-dependent control flow, dynamic shapes, batched writes into unbatched
  tensors; ``_vmap_guards.py``) still apply.
- The transforms never write ``.grad`` of their inputs (they use ``autograd.grad``).
- Custom ``autograd.Function`` classes meet PyTorch's rules (``_custom_functions.py``): the ctx
  style is refused by every transform, vmap/jacfwd need a vmap rule, jvp/jacfwd/hessian a ``jvp``
  staticmethod — but tangents still come from the Function's ``backward``, not its ``jvp``.
"""
# (no ``from __future__ import annotations``: it would put ``annotations`` in ``dir()``)
from tensorgraft.autograd import _lazy_attributes

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state", "replace_all_batch_norm_modules_", "functionalize", "debug_unwrap", "rearrange"]

_LAZY = {  # attribute -> submodule that defines it
    "grad": "_transforms", "grad_and_value": "_transforms", "vjp": "_transforms", "jvp": "_transforms",
    "linearize": "_transforms",
    "jacrev": "_transforms", "jacfwd": "_transforms", "hessian": "_transforms",
    "vmap": "_vmap", "functional_call": "_functional_call", "stack_module_state": "_functional_call",
    "replace_all_batch_norm_modules_": "_batch_norm_patching", "functionalize": "_functionalize",
    "debug_unwrap": "_debug_unwrap", "rearrange": "_rearrange",
}

__getattr__ = _lazy_attributes(globals(), _LAZY)


def _connect_custom_ops():
    """Fill the vmap hook of custom ops (``tensorgraft/library/vmap_rules.py``): called when both
    this package and ``tensorgraft.library.custom_ops`` are loaded, by whichever loads second."""
    from tensorgraft.library import custom_ops

    from ._custom_functions import vectorized
    custom_ops._vmap_call = _custom_op_under_vmap
    custom_ops._vmap_state = vectorized


def _custom_op_under_vmap(op, args, kwargs):
    from ._vectorized._custom_ops import call_batched  # (only reached while a vectorized vmap runs)
    return call_batched(op, args, kwargs)


if "tensorgraft.library.custom_ops" in __import__("sys").modules:
    _connect_custom_ops()


def __dir__():
    return sorted(set(globals()) | set(__all__))
