"""The older ``torch.library`` API: ``Library(ns, "DEF")``, ``define`` an op from a schema string,
``impl`` its kernels per dispatch key. Existing code (and libraries written before ``custom_op``)
defines ops this way; they are ``CustomOpDef``s whose signature comes from the schema.

Dispatch keys: ``CPU``/``CUDA`` (or ``cpu``/``cuda``) kernels run for tensors on that device,
``CompositeExplicitAutograd`` (``default``) for any device; ``Meta`` is the fake implementation;
``CompositeImplicitAutograd`` (and ``Autograd``) kernels run above autograd, so their own ops are
differentiated, and serve every device without a kernel of its own. As in PyTorch, a kernel without
``register_autograd`` is differentiated through the ops it runs, with PyTorch's deprecation warning
when a gradient flows through it.
"""
from __future__ import annotations

import warnings

from . import custom_ops as _custom_ops
from .custom_ops import _OPS, CustomOpDef, _apply_with_autograd, _export, _parse_name, _tensors_in
from .schema import parse_schema, signature_of

_DEF_NAMESPACES: dict = {}  # namespace -> the Library that DEF'd it

_AUTOGRAD_FALLBACK_WARNING = (
    "{name}: an autograd kernel was not registered to the Autograd key(s) but we are trying to backprop through "
    "it. This may lead to silently incorrect behavior. This behavior is deprecated and will be removed in a future "
    "version of PyTorch. If your operator is differentiable, please ensure you have registered an autograd kernel to "
    "the correct Autograd key (e.g. DispatchKey::Autograd, DispatchKey::CompositeImplicitAutograd). If your operator "
    "is not differentiable, or to squash this warning and use the previous behavior, please register "
    "torch::CppFunction::makeFallthrough() to DispatchKey::Autograd.")

_KEYS = {"cpu": "cpu", "cuda": "cuda", "meta": "meta", "compositeexplicitautograd": "default", "default": "default",
         "compositeimplicitautograd": "composite", "autograd": "composite", "": "composite"}


def _dispatch_key(key: str) -> str:
    normal = _KEYS.get(str(key).lower())
    if normal is None:
        raise ValueError(f"impl: unknown dispatch key {key!r}; tensorgraft takes CPU, CUDA, Meta, "
                         "CompositeExplicitAutograd (default) and CompositeImplicitAutograd (Autograd)")
    return normal


class DefinedOp(CustomOpDef):
    """An op made by ``define``: its arguments from the schema, its kernels from ``impl``."""

    _checks_aliasing = False

    def __init__(self, namespace, name, args, returns, schema_text, library):
        mutated = tuple(a.name for a in args if a.mutated)
        super().__init__(namespace, name, schema_text, None, mutated, signature=signature_of(args))
        self._composite = None
        self._library = library
        self._returns_list = returns == "Tensor[]"

    def _impl(self, key: str, fn) -> None:
        key = _dispatch_key(key)
        if key == "composite":
            self._composite = fn
        elif key == "meta":
            self._fake_fn = fn
        else:
            self._kernels[key] = fn

    def _kernel_for(self, device_type):
        if device_type == "meta":
            if self._fake_fn is None:
                raise NotImplementedError(
                    f"{self._qualname}: attempted to run this operator with Meta tensors, but there was no fake impl "
                    "or Meta kernel registered. You may have run into this message while using an operator with PT2 "
                    "compilation APIs (torch.compile/torch.export); in order to use this operator with those APIs "
                    "you'll need to add a fake impl. Please see the following for next steps:  "
                    "https://pytorch.org/tutorials/advanced/custom_ops_landing_page.html")
            return self._fake_fn
        for key in (device_type, "default"):
            if key in self._kernels and key not in self._disabled:
                return self._kernels[key]
        raise NotImplementedError(
            f"Could not run '{self._qualname}' with arguments from the '{device_type.upper()}' backend. This could be "
            "because the operator doesn't exist for this backend: register a kernel with "
            f"torch.library.impl('{self._qualname}', '{device_type}') (or 'CompositeImplicitAutograd' for every "
            "device).")

    def __call__(self, *args, **kwargs):
        out = _custom_ops.call_hooks(self, args, kwargs)
        if out is not NotImplemented:
            return out
        bound = self._bind(args, kwargs)
        device = self._device_type(bound)
        has_kernel = any(k in self._kernels for k in (device, "default")) or (device == "meta" and self._fake_fn)
        if self._composite is not None and not has_kernel:
            return self._composite(*bound.args, **bound.kwargs)  # above autograd: its ops are recorded
        needs_grad = any(t.requires_grad for v in bound.arguments.values() for t in _tensors_in(v))
        from ..grad_mode import is_grad_enabled
        if not (needs_grad and is_grad_enabled()):
            return self._run(bound)
        if self._backward_fn is not None:
            return _apply_with_autograd(self, bound)
        out = self._run(bound, below_autograd=False)  # PyTorch's fallback: differentiate the kernel's ops
        message = _AUTOGRAD_FALLBACK_WARNING.format(name=self._qualname)
        for o in _tensors_in(out):
            if o.requires_grad:
                o.register_hook(lambda grad: warnings.warn(message, UserWarning, stacklevel=2))
        return out


class Library:
    """``Library(ns, kind, dispatch_key="")``: ``"DEF"`` defines the namespace's ops (one DEF
    library per namespace), ``"FRAGMENT"`` adds definitions to it, ``"IMPL"`` only registers
    kernels (for ``dispatch_key`` when ``impl`` names none)."""

    def __init__(self, ns, kind, dispatch_key=""):
        if kind not in ("IMPL", "DEF", "FRAGMENT"):
            raise ValueError(f"Unsupported kind: {kind}")
        if kind == "DEF" and ns in _DEF_NAMESPACES:
            raise RuntimeError(f"Only a single TORCH_LIBRARY can be used to register the namespace {ns}; please put "
                               "all of your definitions in a single TORCH_LIBRARY block. If you were trying to specify "
                               "implementations, consider using TORCH_LIBRARY_IMPL (which can be duplicated).")
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._defined = []
        if kind == "DEF":
            _DEF_NAMESPACES[ns] = self

    def __repr__(self):
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})>"

    def define(self, schema, alias_analysis="", *, tags=()):
        """Define the op ``schema`` names (``"sin(Tensor x) -> Tensor"``) in this library's
        namespace; returns its name."""
        if self.kind == "IMPL":
            raise RuntimeError(f"define: the library for '{self.ns}' is an IMPL library; define ops in a DEF or "
                               "FRAGMENT library")
        name, args, returns = parse_schema(schema)
        qualname = f"{self.ns}::{name}"
        _parse_name(qualname)
        if qualname in _OPS:
            raise RuntimeError(f"Tried to register an operator ({qualname}{schema[schema.index('('):]}) with the same "
                               "name and overload name multiple times. Each overload's schema should only be "
                               "registered with a single call to def().")
        text = schema[schema.index("("):].strip()
        op = DefinedOp(self.ns, name, args, returns, text, self)
        _OPS[qualname] = op
        _export(op)
        self._defined.append(qualname)
        return name

    def impl(self, op_name, fn, dispatch_key="", *, with_keyset=False, allow_override=True):
        """Register ``fn`` as the kernel of ``op_name`` (a name in this namespace, ``"ns::name"``, or
        an op) for ``dispatch_key`` (this library's, when empty)."""
        if with_keyset:
            raise ValueError("impl: with_keyset=True passes a DispatchKeySet; tensorgraft has no dispatch key sets")
        qualname = _qualname(op_name, self.ns)
        op = _OPS.get(qualname)
        if not isinstance(op, DefinedOp):
            raise RuntimeError(f"impl: '{qualname}' has not been defined; define it first (Library.define or "
                               "torch.library.define)")
        op._impl(dispatch_key or self.dispatch_key, fn)

    def _destroy(self):
        for qualname in self._defined:
            op = _OPS.pop(qualname, None)
            if op is not None:
                import sys
                mod = sys.modules.get(f"tensorgraft.ops.{op._namespace}")
                if mod is not None and hasattr(mod, op._name):
                    delattr(mod, op._name)
        self._defined.clear()
        if _DEF_NAMESPACES.get(self.ns) is self:
            del _DEF_NAMESPACES[self.ns]


def _qualname(op, ns=None) -> str:
    if isinstance(op, CustomOpDef):
        return op._qualname
    if hasattr(op, "_op"):
        return op._op._qualname
    if "::" in op:
        return op
    return f"{ns}::{op}"


_libraries_kept = []  # the FRAGMENT libraries define() makes when given none, kept alive


def define(qualname, schema, *, lib=None, tags=()):
    """``define("mylib::sin", "(Tensor x) -> Tensor")``: a new op, its kernels to come from ``impl``."""
    namespace, name = _parse_name(qualname)
    if lib is None:
        lib = Library(namespace, "FRAGMENT")
        _libraries_kept.append(lib)
    lib.define(name + schema.strip(), tags=tags)


def impl(qualname, types, func=None, *, lib=None):
    """``@impl("mylib::sin", "cpu")``: ``func`` as the kernel of a defined op for each of ``types``
    (a device type or dispatch key, or a sequence of them). As a decorator when ``func`` is None."""
    keys = (types,) if isinstance(types, str) else tuple(types)

    def register(fn):
        name = _qualname(qualname)
        op = _OPS.get(name)
        if not isinstance(op, DefinedOp):
            raise RuntimeError(f"impl: '{name}' has not been defined; define it first (torch.library.define)")
        for key in keys:
            op._impl(key, fn)
        return fn
    return register if func is None else register(func)


def impl_abstract(qualname, func=None, *, lib=None, _stacklevel=1):
    """The former name of :func:`register_fake`."""
    from .custom_ops import register_fake
    warnings.warn("torch.library.impl_abstract was renamed to torch.library.register_fake. Please use that instead; "
                  "we will remove torch.library.impl_abstract in a future version of PyTorch.", DeprecationWarning,
                  stacklevel=2)
    return register_fake(qualname, func)
