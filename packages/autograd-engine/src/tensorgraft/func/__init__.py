"""``tensorgraft.func``: composable function transforms (PyTorch's ``torch.func``): ``grad``,
``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``,
``functional_call``, ``stack_module_state``, ``replace_all_batch_norm_modules_`` and ``functionalize``.

Shipped by tensorgraft-autograd (the transforms are built on its reverse mode). ``import
tensorgraft`` imports this file, so it only names things: each function loads on first use.

How they differ from PyTorch's (same results, different machinery):

- There are no functorch "levels". A transform makes its differentiated inputs fresh leaves (or,
  when an input already requires grad, a differentiable alias), runs the function, and keeps a
  result's history only when it reaches a tensor requiring grad that the transform did not
  create — so ``grad(grad(f))``, ``jacfwd(jacrev(f))`` and ordinary autograd through a transform
  all work, and a result that depends only on the transform's own leaves comes back detached.
- ``jvp``/``jacfwd`` use reverse mode (the double-backward trick, one pass per input element):
  the values are forward mode's.
- ``vmap`` is **not vectorised**: it calls the function once per batch slice and stacks the
  results (``in_dims``/``out_dims``/``randomness``/``chunk_size`` behave as in PyTorch). Nested
  ``vmap`` and ``vmap`` of ``grad`` therefore just work; an op with no batching rule cannot exist,
  but per-example speed is Python-loop speed. The slices' memory is marked (an ndarray subclass
  NumPy carries to what is computed from it), so that reading a batched value from user code
  (``.item()``, ``float()``, ``if t > 0``, ``.tolist()``, an index) and a training batch norm
  with unbatched running stats are refused as in PyTorch; so are ops with data-dependent output
  shapes, ``.numpy()``, ``equal``/``allclose`` and in-place writes of a batched value into an
  unbatched tensor (``_vmap_guards.py``, patches in place only while a vmap runs); results carry
  the grad_fn PyTorch's batched op records (the node's name only: its backward is the stack's).
- The transforms never write ``.grad`` of their inputs (they use ``autograd.grad``).
- Custom ``autograd.Function`` classes meet PyTorch's rules (``_custom_functions.py``): the ctx
  style is refused by every transform, vmap/jacfwd need a vmap rule, jvp/jacfwd/hessian a ``jvp``
  staticmethod — but tangents still come from the Function's ``backward``, not its ``jvp``.
"""
# (no ``from __future__ import annotations``: it would put ``annotations`` in ``dir()``)
from tensorgraft.autograd import _lazy_attributes

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state", "replace_all_batch_norm_modules_", "functionalize", "debug_unwrap"]

_LAZY = {  # attribute -> submodule that defines it
    "grad": "_transforms", "grad_and_value": "_transforms", "vjp": "_transforms", "jvp": "_transforms",
    "linearize": "_transforms",
    "jacrev": "_transforms", "jacfwd": "_transforms", "hessian": "_transforms",
    "vmap": "_vmap", "functional_call": "_functional_call", "stack_module_state": "_functional_call",
    "replace_all_batch_norm_modules_": "_batch_norm_patching", "functionalize": "_functionalize",
    "debug_unwrap": "_debug_unwrap",
}

__getattr__ = _lazy_attributes(globals(), _LAZY)


def __dir__():
    return sorted(set(globals()) | set(__all__))
