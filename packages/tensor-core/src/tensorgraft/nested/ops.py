"""What ops do on nested tensors: ``NestedTensor.__torch_function__`` lands here.

Every public function, Tensor method and property called with a nested tensor arrives as
``dispatch(func, ...)``; it is looked up by its short name (``add`` for ``torch.add``,
``Tensor.add``; ``relu`` for ``torch.relu``, ``Tensor.relu`` and ``nn.functional.relu``) in
``HANDLERS``. Why a table of names and not a default "run it on the buffer": an op that is not
elementwise (``sum``, ``view``, ``matmul`` ...) would silently compute on the packed buffer and
return a wrong answer; here an op that is not listed is refused, naming it.

The handlers run with subclass dispatch off, so a nested tensor passed to an op there *is* its
buffer (see ``nested_tensor.py``):

- elementwise ops run once on the buffer (``func(nt, ...)``) and the result gets the input's
  structure (``like``);
- ops that must see the components (``matmul`` of a nested tensor by a nested one, ``softmax``
  over the ragged dim, ``sdpa``, padding) run per component on views of the buffer and pack the
  results again (``from_components``); autograd follows both paths as ordinary ops.

What each layout allows follows PyTorch 2.13: the jagged layout's rules are those of
``torch/nested/_internal/ops.py`` (with its messages), the strided layout's those of PyTorch's
``NestedTensorCPU`` kernels, whose missing kernels raise PyTorch's "Could not run 'aten::...'".

This module is the entry point. The handlers live by op family, one module each, and register
themselves into ``HANDLERS`` (``handlers.py``, with the helpers they share) when imported below:
``methods.py`` (properties and metadata methods), ``elementwise.py``, ``reductions.py``
(reductions and normalisations), ``products.py`` (matmul, linear, embedding, attention),
``shape_ops.py``. No two of them register one name, so the order they load in does not matter.
"""
from __future__ import annotations

from .._C import DisableTorchFunctionSubclass
from ..overrides._dispatch import public_name
from ..tensor import Tensor
from . import elementwise, methods, products, reductions, shape_ops  # noqa: F401  (importing registers handlers)
from .handlers import HANDLERS, _no_kernel, _refuse  # noqa: F401  (_no_kernel: for nested_tensor.py)
from .methods import _SETTABLE, _get_property, _set_grad
from .nested_tensor import NestedTensor, like
from .shape_ops import unflatten  # noqa: F401  (for nested_tensor.py)

__all__ = ["dispatch", "HANDLERS", "convert"]


def dispatch(func, types, args, kwargs):
    name = public_name(func)
    with DisableTorchFunctionSubclass():
        if name.endswith(".__get__") or name.endswith(".__set__"):
            prop = name[len("torch.Tensor."):-len(".__get__")]
            if name.endswith(".__set__"):
                if prop == "grad" and isinstance(args[0], NestedTensor):
                    return _set_grad(func, *args)
                if prop in _SETTABLE:
                    return func(*args, **kwargs)
                raise _refuse(name)
            return _get_property(func, name, prop, args[0])
        for prefix in ("torch.Tensor.", "torch.nn.functional.", "torch."):
            if name.startswith(prefix) and "." not in name[len(prefix):]:
                short = name[len(prefix):]
                break
        else:
            raise _refuse(name)
        handler = HANDLERS.get(short)
        if handler is None:
            raise _refuse(name)
        if not args and "input" in kwargs:  # ``F.linear(input=nt, ...)``: the handlers read args[0]
            kwargs = dict(kwargs)
            args = (kwargs.pop("input"),)
        return handler(func, short, args, kwargs)


def convert(nt, device=None, dtype=None):
    """``nt.to(device=..., dtype=...)`` (``as_nested_tensor`` of a nested tensor)."""
    out = Tensor.to(nt, device=device, dtype=dtype)
    return nt if out is nt else like(out, nt)
