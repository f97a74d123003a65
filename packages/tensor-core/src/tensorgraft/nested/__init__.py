"""``tensorgraft.nested`` (``torch.nested``): nested tensors, batches of tensors of different shapes.

How they are built, and why (the details are in the module docstrings):

- ``nested_tensor.py``: a nested tensor is a ``Tensor`` subclass whose own data is one packed
  buffer — the jagged layout's ``values()`` (components concatenated along their one ragged dim,
  as PyTorch's ``NestedTensor`` holds ``_values`` and ``_offsets``), the strided layout's flat 1-D
  buffer (as PyTorch's ``NestedTensorImpl``) — with the cutting structure beside it. Chosen over a
  list of component tensors because elementwise ops are then one op on the buffer, and autograd
  needs nothing new: the engine sees an ordinary tensor, the buffer.
- ``ops.py``: ``__torch_function__`` routes every op on a nested tensor to a handler named in a
  table (``handlers.py``; the handlers live in one module per op family: ``methods``,
  ``elementwise``, ``reductions``, ``products``, ``shape_ops``); an op without one is refused
  naming it, never run on the buffer by accident.
- ``factories.py``: the public constructors and ``to_padded_tensor``/``masked_select``.

Importing this package defines the subclass, which turns ``__torch_function__`` dispatch on for
the process (see docs/user-guide/tensor-subclasses.md); that is why the core never imports it:
``tensorgraft.nested`` loads on first use.
"""
from __future__ import annotations

from .factories import (as_nested_tensor, masked_select, narrow, nested_tensor, nested_tensor_from_jagged,
                        to_padded_tensor)
from .nested_tensor import NestedTensor

__all__ = ["nested_tensor", "as_nested_tensor", "nested_tensor_from_jagged", "narrow", "to_padded_tensor",
           "masked_select", "NestedTensor"]
