"""``torch.library``: custom operators defined in Python.

``@custom_op("mylib::numpy_sin", mutates_args=())`` turns a function on tensors into an op,
callable directly and as ``tensorgraft.ops.mylib.numpy_sin``; ``register_autograd`` gives it a
gradient, ``register_fake`` its behaviour on the ``meta`` device, ``register_kernel`` a
device-specific implementation; ``opcheck`` tests it as PyTorch's does; ``infer_schema`` is the
schema it is given. (A plugin distribution registers array-level ops at load time instead: see
``tensorgraft.plugins`` and docs/plugins.md.)

The older API (``Library(ns, "DEF")``, ``define`` from a schema string, ``impl`` per dispatch key)
is in ``defined_ops``.

Modules: ``schema`` (infer_schema, parsing schema strings), ``custom_ops`` (CustomOpDef and the
registration functions), ``defined_ops`` (Library/define/impl), ``autograd_function`` (the
generated autograd.Function), ``opcheck``, ``vmap_rules`` (register_vmap), ``autocast_rules``
(register_autocast), ``kernel_lookup`` (get_kernel).
"""
from .custom_ops import (  # noqa: F401
    CustomOpDef, OpOverload, OpOverloadPacket, custom_op, register_autograd, register_fake, register_kernel,
)
from .defined_ops import Library, define, impl, impl_abstract  # noqa: F401
from .autocast_rules import register_autocast  # noqa: F401
from .kernel_lookup import get_kernel  # noqa: F401
from .vmap_rules import register_vmap  # noqa: F401
from .opcheck import OpCheckError, opcheck  # noqa: F401
from .schema import infer_schema  # noqa: F401

__all__ = ["custom_op", "CustomOpDef", "register_kernel", "register_fake", "register_autograd", "opcheck",
           "infer_schema", "OpCheckError", "Library", "define", "impl", "impl_abstract", "register_vmap",
           "register_autocast", "get_kernel"]
