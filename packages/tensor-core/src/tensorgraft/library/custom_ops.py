"""``torch.library.custom_op``: a Python function made an operator, ``tensorgraft.ops.<ns>.<name>``.

A custom op's implementation works on tensors (often through NumPy: ``x.numpy()``, then
``torch.from_numpy``); it runs below autograd, so nothing inside it is recorded. Its gradient is what
``register_autograd`` gives (a generated ``autograd.Function`` named
``GeneratedBackwardFor_<ns>_<name>_defaultBackward``, as PyTorch names it); without one, outputs that
need a gradient get a node whose backward says to register one. ``register_kernel`` adds a
device-specific implementation, ``register_fake`` what the op returns on the ``meta`` device (shapes
and dtypes, no values). Mutated arguments (``mutates_args``) get their version counter bumped, so
autograd notices the change; outputs may not alias inputs, as PyTorch checks.

These ops are the runtime counterpart of a plugin's registered ops (``tensorgraft.plugins``): same
namespace rule (``tensorgraft.ops.<namespace>.<name>``), no array-level kernel table, since the user's
function is already tensor-level.
"""
from __future__ import annotations

import inspect
import sys
import types

from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor
from .schema import infer_schema

# "ns::name" -> CustomOpDef, the ops defined in this process
_OPS: dict = {}

# The hook from vmap into custom ops (``vmap_rules.py``), filled by tensorgraft.func when it loads:
# the vectorized vmap's per-thread state (``.levels`` is empty outside a vmap) and the function a
# custom op call is handed to while one runs (NotImplemented: no argument batched, call as usual).
_vmap_state = None
_vmap_call = None


def call_hooks(op, args, kwargs):
    """What runs before a custom op's own call (both APIs: CustomOpDef and DefinedOp): the vmap
    hook while a vmap is active (vmap_rules.py), then a registered autocast rule; NotImplemented
    when neither takes the call. One global read outside a vmap, one attribute read without autocast."""
    state = _vmap_state
    if state is not None and state.levels:
        out = _vmap_call(op, args, kwargs)
        if out is not NotImplemented:
            return out
    if op._autocast_dtype is not None:
        from .autocast_rules import call_autocast
        return call_autocast(op, args, kwargs)
    return NotImplemented


def _parse_name(qualname: str):
    if not isinstance(qualname, str) or qualname.count("::") != 1:
        raise ValueError(f"custom_op: the name {qualname!r} must be '<namespace>::<op name>', "
                         "e.g. 'mylib::numpy_sin'")
    namespace, name = qualname.split("::")
    if not namespace.isidentifier() or not name.isidentifier():
        raise ValueError(f"custom_op: the namespace and the op name of {qualname!r} must be Python identifiers")
    from ..ops._bind import RESERVED_NAMESPACES
    if namespace in RESERVED_NAMESPACES:
        raise ValueError(f"custom_op: the namespace '{namespace}' of {qualname!r} is one of tensorgraft's own op "
                         "modules; pick a name that identifies your project")
    return namespace, name


def _tensors_in(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, Tensor)]
    return []


def _below_autograd(value):
    if isinstance(value, Tensor):
        return value.detach() if value.requires_grad else value
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) and v.requires_grad for v in value):
        return type(value)(v.detach() if isinstance(v, Tensor) else v for v in value)
    return value


def _shares_memory(a: Tensor, b: Tensor) -> bool:
    if a is b:
        return True
    x, y = a._data, b._data
    try:
        import numpy as np
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            return bool(np.may_share_memory(x, y))
        px, py = x.data.ptr, y.data.ptr  # CuPy arrays: device pointer ranges
        return px < py + y.nbytes and py < px + x.nbytes and x.nbytes > 0 and y.nbytes > 0
    except (AttributeError, TypeError):
        return False


class _KernelSwitch:
    """What ``set_kernel_enabled`` returns: on exit, the device's kernel is as it was before."""

    def __init__(self, disabled: set, device_type: str):
        self.disabled, self.device_type, self.was_disabled = disabled, device_type, device_type in disabled

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        (self.disabled.add if self.was_disabled else self.disabled.discard)(self.device_type)
        return False


def _returns_nothing(*args, **kwargs):
    return None


class OpOverload:
    """``tensorgraft.ops.<ns>.<name>.default``: the op's one overload."""

    def __init__(self, op):
        self._op = op

    def __call__(self, *args, **kwargs):
        return self._op(*args, **kwargs)

    @property
    def __name__(self):
        return f"{self._op._name}.default"

    def name(self) -> str:
        return self._op._qualname

    def __str__(self):
        return f"{self._op._namespace}.{self._op._name}.default"

    def __repr__(self):
        return f"<OpOverload(op='{self._op._namespace}.{self._op._name}', overload='default')>"

    @property
    def _schema(self):
        """The full schema, as PyTorch prints an overload's: ``ns::name(Tensor x) -> Tensor``."""
        return f"{self._op._qualname}{self._op._schema}"


class OpOverloadPacket:
    """``tensorgraft.ops.<ns>.<name>``: calls the op; ``.default`` is its overload."""

    def __init__(self, op):
        self._op = op
        self.default = OpOverload(op)

    def __call__(self, *args, **kwargs):
        return self._op(*args, **kwargs)

    @property
    def __name__(self):
        return self._op._name

    def overloads(self):
        return ["default"]

    def __str__(self):
        return f"{self._op._namespace}.{self._op._name}"

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self._op._namespace}.{self._op._name}')>"


def _export(op) -> None:
    """``tensorgraft.ops.<ns>.<name>``, the namespace module made on first use (as plugin ops')."""
    from .. import ops as ops_pkg
    modname = f"tensorgraft.ops.{op._namespace}"
    mod = sys.modules.get(modname)
    if mod is None:
        mod = types.ModuleType(modname, f"Ops registered under the '{op._namespace}' namespace.")
        sys.modules[modname] = mod
        setattr(ops_pkg, op._namespace, mod)
    existing = getattr(mod, op._name, None)
    if existing is not None and not isinstance(existing, OpOverloadPacket):
        raise RuntimeError(f"custom_op: tensorgraft.ops.{op._namespace}.{op._name} is already an op registered by a "
                           "plugin; pick another name")
    setattr(mod, op._name, OpOverloadPacket(op))


class CustomOpDef:
    """What ``custom_op`` returns: call it like the function it wraps."""

    # PyTorch checks that a custom_op's outputs alias no input; ops of the older define/impl API skip it
    _checks_aliasing = True
    _vmap_fn = None  # register_vmap's rule
    _autocast_dtype = None  # register_autocast's {device type: dtype}, None until one is registered

    def __init__(self, namespace: str, name: str, schema: str, fn, mutates_args, signature=None):
        self._namespace, self._name = namespace, name
        self._qualname = f"{namespace}::{name}"
        self._schema = schema
        self._init_fn = fn
        self._signature = inspect.signature(fn) if signature is None else signature
        self._mutates_all = mutates_args == "unknown"
        self._mutated = () if self._mutates_all else tuple(mutates_args)
        self._kernels = {}
        self._disabled = set()
        self._fake_fn = None
        self._backward_fn = None
        self._setup_context_fn = None
        self._function = None  # the generated autograd.Function, made on first use
        self._returns_list = schema.rstrip().endswith("-> Tensor[]")
        self.__name__ = name
        if fn is not None:
            self.__doc__ = fn.__doc__
            self.__wrapped__ = fn

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    # ------------------------------------------------------------------ registration
    def register_kernel(self, device_types, fn=None):
        """The implementation for ``device_types`` (``"cpu"``, ``"cuda"``, or a sequence), used when
        the op's tensor arguments are on such a device. As a decorator or called with ``fn``."""
        types_ = (device_types,) if isinstance(device_types, str) or device_types is None else tuple(device_types)

        def register(func):
            for device_type in types_:
                self._kernels[device_type] = func
            return func
        return register if fn is None else register(fn)

    def register_fake(self, fn, /):
        """What the op returns for ``meta`` tensors: tensors of the right shape and dtype (from
        ``torch.empty_like`` and the like), no values."""
        self._fake_fn = fn
        return fn

    def register_autograd(self, backward, /, *, setup_context=None):
        """``backward(ctx, *grads)`` returns a gradient for each input (None for a non-tensor one);
        ``setup_context(ctx, inputs, output)`` (with ``keyword_only_inputs`` before ``output`` when
        the op has keyword-only arguments) saves what backward needs."""
        if not callable(backward):
            raise TypeError(f"register_autograd: backward must be callable, got {type(backward).__name__}")
        if setup_context is not None and not callable(setup_context):
            raise TypeError(f"register_autograd: setup_context must be callable, got {type(setup_context).__name__}")
        self._backward_fn, self._setup_context_fn = backward, setup_context
        self._function = None

    def register_vmap(self, func=None):
        """``func(info, in_dims, *args, **kwargs)`` -> ``(output, out_dims)``: how ``vmap`` computes
        the op on a whole batch at once (see ``vmap_rules.py``). As a decorator when ``func`` is None
        (which, as in PyTorch, leaves the decorated name None)."""
        def register(fn):
            self._vmap_fn = fn
        return register if func is None else register(func)

    def register_autocast(self, device_type, cast_inputs):
        """Inside an autocast region for ``device_type``, cast the op's floating-point inputs (not
        float64 ones) on that device to ``cast_inputs`` and run it with autocast off there
        (``autocast_rules.py``)."""
        from .autocast_rules import register_autocast_rule
        return register_autocast_rule(self, device_type, cast_inputs)

    def set_kernel_enabled(self, device_type: str, enabled: bool = True):
        """A switch (and a context manager restoring the previous state on exit) turning the
        ``register_kernel`` implementation for ``device_type`` off and on; off, the op's own
        function runs."""
        restore = _KernelSwitch(self._disabled, device_type)
        (self._disabled.discard if enabled else self._disabled.add)(device_type)
        return restore

    # ------------------------------------------------------------------ calling
    def _bind(self, args, kwargs):
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound

    def _device_type(self, bound):
        for value in bound.arguments.values():
            for t in _tensors_in(value):
                return t.device.type
        return "cpu"

    def _kernel_for(self, device_type):
        if device_type == "meta":
            if self._fake_fn is None and self._schema.rstrip().endswith("-> ()"):
                return _returns_nothing  # an op that only mutates: nothing to describe, as in PyTorch
            if self._fake_fn is None:
                raise RuntimeError(f"There was no fake impl registered for {self!r}. This is necessary for "
                                   "torch.compile/export/fx tracing to work. Please use "
                                   f"`{self._init_fn.__name__}.register_fake` to add an fake impl.")
            return self._fake_fn
        if device_type in self._kernels and device_type not in self._disabled:
            return self._kernels[device_type]
        return self._init_fn

    def _run(self, bound, below_autograd: bool = True):
        """The implementation for the arguments' device, below autograd, with PyTorch's checks.
        (``below_autograd=False``: the older API's fallback, recording the kernel's own ops.)"""
        kernel = self._kernel_for(self._device_type(bound))
        if below_autograd:
            # the implementation runs below autograd: it sees tensors that do not require grad (as in
            # PyTorch, where ``x.numpy()`` works inside it), over the same memory
            args = [_below_autograd(v) for v in bound.args]
            kwargs = {k: _below_autograd(v) for k, v in bound.kwargs.items()}
            with no_grad():
                out = kernel(*args, **kwargs)
        else:
            out = kernel(*bound.args, **bound.kwargs)
        inputs = [t for v in bound.arguments.values() for t in _tensors_in(v)]
        outputs = _tensors_in(out) if self._checks_aliasing else []
        for i, o in enumerate(outputs):
            if any(_shares_memory(o, t) for t in inputs) or any(_shares_memory(o, p) for p in outputs[:i]):
                raise RuntimeError(
                    f"{self._name} (with implementation in {sys.modules[__name__]!r}): The output of this custom "
                    "operator (1) must not also be an input to this custom operator and (2) may not alias any inputs "
                    "to this custom operator or other returns. The most common way to trigger this error is if we "
                    "have y = custom_op(x) and y and x are the same Tensor. Please instead return a clone of the "
                    "offending output tensor(s) (e.g. return x.clone()) or refactor the custom operator to not "
                    "return y.")
        from ..ops._frontend import bump_version
        for name, value in bound.arguments.items():
            if self._mutates_all or name in self._mutated:
                for t in _tensors_in(value):
                    bump_version(t)
        return out

    def __call__(self, *args, **kwargs):
        out = call_hooks(self, args, kwargs)
        if out is not NotImplemented:
            return out
        bound = self._bind(args, kwargs)
        needs_grad = is_grad_enabled() and any(
            t.requires_grad for v in bound.arguments.values() for t in _tensors_in(v))
        if not needs_grad:
            return self._run(bound)
        return _apply_with_autograd(self, bound)


def _apply_with_autograd(op, bound):
    """The op through its generated ``autograd.Function``. Tensors inside list arguments are
    flattened into the Function's inputs (so each gets its gradient) and regrouped for the user's
    ``setup_context`` and ``backward``."""
    from .autograd_function import apply_with_autograd
    layout, flat = [], []
    for value in bound.arguments.values():
        if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
            layout.append(("list", len(value), type(value)))
            flat.extend(value)
        else:
            layout.append(("one", 1, None))
            flat.append(value)
    return apply_with_autograd(op, bound, layout, flat)


def custom_op(name: str, fn=None, /, *, mutates_args, device_types=None, schema=None):
    """Make ``fn`` the op ``name`` (``"mylib::numpy_sin"``), callable as ``tensorgraft.ops.mylib.numpy_sin``.

    ``mutates_args``: the names of the arguments ``fn`` writes to (or ``"unknown"``); required, as in
    PyTorch. ``device_types``: the device types ``fn`` implements (others fall back to it too).
    ``schema``: the schema string, inferred from ``fn``'s type annotations when not given."""
    def make(func):
        namespace, short = _parse_name(name)
        inferred = infer_schema(func, mutates_args=mutates_args) if schema is None else schema
        op = CustomOpDef(namespace, short, inferred, func, mutates_args)
        if device_types is not None:
            op.register_kernel(device_types, func)
        _OPS[op._qualname] = op
        _export(op)
        return op
    return make if fn is None else make(fn)


def _resolve(op):
    if isinstance(op, CustomOpDef):
        return op
    if isinstance(op, (OpOverloadPacket, OpOverload)):
        return op._op
    found = _OPS.get(op) if isinstance(op, str) else None
    if found is None:
        raise ValueError(f"{op!r} is not a custom op defined with tensorgraft.library.custom_op")
    return found


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """A device-specific implementation of ``op`` (a custom op, or the ``"ns::name"`` of one)."""
    return _resolve(op).register_kernel(device_types, func)


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=False):
    """What ``op`` (a custom op, or the ``"ns::name"`` of one) returns on the ``meta`` device."""
    target = _resolve(op)
    return target.register_fake if func is None else target.register_fake(func)


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """The gradient of ``op`` (a custom op, or the ``"ns::name"`` of one): see CustomOpDef.register_autograd."""
    _resolve(op).register_autograd(backward, setup_context=setup_context)


# the vmap hook above is filled by tensorgraft.func; when it loaded first, it is connected now
if "tensorgraft.func" in sys.modules:
    sys.modules["tensorgraft.func"]._connect_custom_ops()
