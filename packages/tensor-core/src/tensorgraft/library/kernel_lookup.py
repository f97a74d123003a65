"""``torch.library.get_kernel``: the kernel an op would run for a dispatch key, to be called later
(``kernel.call_boxed(keyset, *args)``), typically from a kernel registered in its place.

tensorgraft has no dispatcher with per-key kernel tables for its built-in ops, so what "the kernel"
is depends on the op:

- a custom op (``custom_op`` or ``Library.define``): for ``CPU``/``CUDA``, the implementation that
  op runs for tensors on that device (its ``register_kernel``/``impl`` one, else its own function);
  for ``Meta``, its fake implementation (PyTorch's error when it has none);
- a built-in op named ``"aten::<name>.<overload>"``: the public ``tensorgraft.<name>`` function, run
  below autograd (no graph is recorded, as for PyTorch's backend kernels). The overload name is
  not checked: tensorgraft's functions take every overload's arguments.

Alias keys (``CompositeExplicitAutograd``, ``Autograd``...) have no runtime kernel in PyTorch either
and are refused with its message; other valid keys (``AutogradCPU``, ``AutocastCPU``...) name
dispatcher layers tensorgraft does not have, and are refused naming the keys it has.
"""
from __future__ import annotations

import inspect

__all__ = ["get_kernel", "SafeKernelFunction"]

# torch._C.DispatchKey's members in PyTorch 2.13 (an invalid name is a ValueError, as there)
_BACKENDS = "CPU CUDA HIP XLA MPS IPU XPU HPU VE Lazy MTIA MAIA PrivateUse1 PrivateUse2 PrivateUse3 Meta".split()
_DISPATCH_KEYS = frozenset(
    "Undefined CompositeExplicitAutogradNonFunctional CompositeExplicitAutograd CompositeImplicitAutogradNestedTensor "
    "CompositeImplicitAutograd AutogradNestedTensor AutogradOther Autograd Conjugate ZeroTensor Negative BackendSelect "
    "ADInplaceOrView PythonTLSSnapshot Python FuncTorchDynamicLayerFrontMode FuncTorchDynamicLayerBackMode "
    "FuncTorchBatchedDecomposition FuncTorchBatched FuncTorchVmapMode FuncTorchGradWrapper PythonDispatcher "
    "PreDispatch Functionalize AutocastCPU AutocastMPS AutocastXPU AutocastHPU AutocastIPU AutocastCUDA "
    "AutocastPrivateUse1 Dense StartOfDenseBackends EndOfDenseBackends Quantized StartOfQuantizedBackends "
    "EndOfQuantizedBackends Sparse StartOfSparseBackends EndOfSparseBackends SparseCsr StartOfSparseCsrBackends "
    "EndOfSparseCsrBackends NestedTensor StartOfNestedTensorBackends EndOfNestedTensorBackends AutogradFunctionality "
    "StartOfAutogradFunctionalityBackends EndOfAutogradFunctionalityBackends".split()
    + _BACKENDS + [prefix + b for prefix in ("Quantized", "Sparse", "SparseCsr", "NestedTensor", "Autograd")
                   for b in _BACKENDS])
_ALIAS_KEYS = frozenset({"CompositeExplicitAutogradNonFunctional", "CompositeExplicitAutograd",
                         "CompositeImplicitAutogradNestedTensor", "CompositeImplicitAutograd", "Autograd"})
_DEVICE_OF_KEY = {"CPU": "cpu", "CUDA": "cuda", "Meta": "meta"}


class SafeKernelFunction:
    """What ``get_kernel`` returns: ``call_boxed(keyset, *args, **kwargs)`` runs the kernel (the
    keyset, a PyTorch dispatcher detail, is accepted and not used)."""

    def __init__(self, fn, op_name, below_autograd):
        self._fn, self._op_name, self._below_autograd = fn, op_name, below_autograd

    @property
    def op_handle(self):
        return self._op_name

    def call_boxed(self, keyset, *args, **kwargs):
        if not self._below_autograd:
            return self._fn(*args, **kwargs)
        from ..grad_mode import no_grad
        with no_grad():
            return self._fn(*args, **kwargs)

    def __repr__(self):
        fn = inspect.unwrap(self._fn)
        try:
            where = f"{inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
        except (TypeError, OSError):
            where = getattr(fn, "__module__", "?")
        return f"SafeKernelFunction(debug='registered at {where}')"


def _key_name(op_name, dispatch_key) -> str:
    if isinstance(dispatch_key, str):
        if dispatch_key not in _DISPATCH_KEYS:
            raise ValueError(f"Invalid dispatch key: {dispatch_key}")
        return dispatch_key
    name = getattr(dispatch_key, "name", None)  # a DispatchKey-like enum member
    if isinstance(name, str) and name in _DISPATCH_KEYS:
        return name
    raise TypeError("_dispatch_get_computed_kernel_for_dispatch_key(): incompatible function arguments. The following "
                    "argument types are supported:\n    1. (arg0: str, arg1: c10::DispatchKey) -> "
                    f"torch._C._SafeKernelFunction\n\nInvoked with: {op_name!r}, {dispatch_key!r}")


def get_kernel(op, dispatch_key):
    """The kernel ``op`` (``"ns::name[.overload]"`` or an op overload) runs for ``dispatch_key``
    (``"CPU"``, ``"CUDA"``, ``"Meta"``...), as a ``SafeKernelFunction`` (see the module docstring)."""
    from .custom_ops import _OPS, OpOverload
    if not isinstance(op, (str, OpOverload)):
        raise ValueError(f"get_kernel({op}): got unexpected type for op: {type(op)}")
    name = op.name() if isinstance(op, OpOverload) else op
    key = _key_name(name, dispatch_key)
    qualname, _, overload = name.partition(".")
    custom = _OPS.get(qualname)
    if custom is not None and overload in ("", "default"):
        target = None
    elif qualname.startswith("aten::") and "::" not in qualname[6:]:
        import tensorgraft
        target = getattr(tensorgraft, qualname[6:], None)
        if not callable(target) or qualname[6:].startswith("_"):
            raise RuntimeError(f"operator {name} does not exist")
    else:
        raise RuntimeError(f"operator {name} does not exist")
    if key in _ALIAS_KEYS:
        raise RuntimeError("Alias keys do not have runtime kernel registrations.")
    device = _DEVICE_OF_KEY.get(key)
    if device is None:
        raise RuntimeError(f"get_kernel({name!r}, {key!r}): tensorgraft has kernels for the CPU, CUDA and Meta "
                           "dispatch keys only; it has no other dispatcher layers")
    if custom is None:
        return SafeKernelFunction(target, name, below_autograd=True)
    composite = getattr(custom, "_composite", None)
    if composite is not None and device != "meta" and not any(k in custom._kernels for k in (device, "default")):
        # a define op's CompositeImplicitAutograd kernel serves every device, above autograd
        return SafeKernelFunction(composite, name, below_autograd=False)
    return SafeKernelFunction(custom._kernel_for(device), name, below_autograd=True)
