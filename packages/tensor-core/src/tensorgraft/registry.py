"""Plain registries that plugins fill at load time.

Every extension point — devices, ops, gradient formulas, optimizers — is a dict here (optimizers
and schedulers: a dict-like ``ClassTable`` that may also hold ``"module:Class"`` references).
Hooks (``plugins/hookspecs.py``) are called once, at load time, with a ``Registrar`` bound
to the calling distribution; the per-op path only ever does dict lookups.

A name registered twice is an error that names both distributions (``DuplicateRegistrationError``);
overriding is explicit (``override=True``).
"""
from __future__ import annotations

import functools
import importlib
from collections.abc import MutableMapping
from typing import Any, Callable

__all__ = ["OpDef", "Registry", "Registrar", "DuplicateRegistrationError", "ClassTable", "registry"]


class DuplicateRegistrationError(RuntimeError):
    """Raised when two distributions register the same name in one registry."""


class OpDef:
    """One operator.

    ``kernel(xp, *args, **kwargs)`` is the generic kernel, written against the array namespace;
    ``kernels`` maps a device type to a specialised kernel (same arguments, no ``xp``).
    ``make_frontend(opdef)`` returns the function users call (``tensorgraft.add``); it unwraps
    tensors, runs ``opdef.table[device.type]`` and hands the result to the autograd recorder.
    ``method``/``inplace``/``dunders`` name the Tensor attributes the frontend is bound to.

    A plain class rather than a ``@dataclass``: generating the dataclass methods for these
    nineteen fields took ~1 ms of every ``import tensorgraft``. Equality is identity.
    """

    def __init__(self, name: str, kernel: Callable | None, make_frontend: Callable, method: str | None = None,
                 inplace: str | None = None, dunders: tuple = (), differentiable: bool = True, public: bool = True,
                 distribution: str = "tensorgraft-core", kernels: dict | None = None, table: dict | None = None,
                 xp_attr: str | None = None, frontend: Callable | None = None,
                 inplace_frontend: Callable | None = None, doc: str = "", formula: Callable | None = None,
                 node_class: type | None = None, formula_distribution: str | None = None,
                 extra: dict | None = None):
        self.name = name
        self.kernel = kernel
        self.make_frontend = make_frontend
        self.method = method
        self.inplace = inplace
        self.dunders = dunders
        self.differentiable = differentiable
        self.public = public
        self.distribution = distribution
        self.kernels = {} if kernels is None else kernels
        self.table = {} if table is None else table
        self.xp_attr = xp_attr                  # kernel is simply getattr(xp, xp_attr) (a ufunc)
        self.frontend = frontend
        self.inplace_frontend = inplace_frontend
        self.doc = doc
        # set by the autograd engine when it registers a formula
        self.formula = formula
        self.node_class = node_class
        self.formula_distribution = formula_distribution
        self.extra = {} if extra is None else extra

    def __repr__(self):
        return f"OpDef(name={self.name!r}, distribution={self.distribution!r})"

    @property
    def qualified_name(self) -> str:
        return self.name

    def bind_kernel(self, device_type: str, backend) -> None:
        if device_type in self.kernels:
            kernel = self.kernels[device_type]
        elif self.xp_attr is not None:
            # one ufunc: ml_dtypes' bfloat16 loop already computes in float32 and rounds once
            self.table[device_type] = getattr(backend.xp, self.xp_attr)
            return
        elif self.kernel is not None:
            kernel = functools.partial(self.kernel, backend.xp)
        else:
            return
        if device_type == "cpu" and not self.extra.get("bf16_native"):
            # bfloat16 operands are computed in float32 and rounded once, as PyTorch (ops/_bfloat16.py)
            from .ops._bfloat16 import MOVES_VALUES_ONLY, float32_compute
            if self.name not in MOVES_VALUES_ONLY:
                kernel = float32_compute(kernel)
        self.table[device_type] = kernel


class ClassTable(MutableMapping):
    """name -> class, where a plugin may register a ``"package.module:Class"`` reference instead of
    the class itself: the module is imported on the first lookup of that name and the class
    replaces the reference. tensorgraft-optim registers its optimizers this way, so that
    ``import tensorgraft`` does not import every optimizer module; the names (and so ``tensorgraft
    plugins`` and the duplicate check) are known at load time all the same."""

    def __init__(self):
        self._classes: dict = {}

    def __getitem__(self, name):
        value = self._classes[name]
        if isinstance(value, str):
            module, _, attr = value.partition(":")
            value = self._classes[name] = getattr(importlib.import_module(module), attr)
        return value

    def __setitem__(self, name, value):
        self._classes[name] = value

    def __delitem__(self, name):
        del self._classes[name]

    def __contains__(self, name):  # without importing anything
        return name in self._classes

    def __iter__(self):
        return iter(self._classes)

    def __len__(self):
        return len(self._classes)

    def pop(self, name, *default):  # used to forget a failed plugin: must not import its modules
        return self._classes.pop(name, *default)

    def __repr__(self):
        return f"ClassTable({self._classes!r})"


def _class_reference(cls, name: str | None) -> tuple:
    """``(name, cls)`` for ``register_optimizer``/``register_scheduler``: ``cls`` is a class or a
    ``"package.module:Class"`` string, imported on first use."""
    if isinstance(cls, str):
        module, sep, attr = cls.partition(":")
        if not (sep and module and attr.isidentifier()):
            raise ValueError(f"expected a class or a 'package.module:Class' reference, got {cls!r}")
        return name or attr, cls
    return name or cls.__name__, cls


class Registry:
    def __init__(self):
        from .device import backends
        self.devices: dict = backends()  # type -> DeviceBackend (the dict device.get_backend reads)
        self.device_owner: dict = {}     # type -> distribution
        self.ops: dict = {}              # name -> OpDef
        self.optimizers = ClassTable()    # name -> class
        self.optimizer_owner: dict = {}
        self.schedulers = ClassTable()
        self.extensions: dict = {}       # free-form per-part registries (e.g. nn layers)
        self.provided_by: dict = {}      # distribution -> {"ops": [...], "devices": [...], ...}

    def note(self, dist: str, kind: str, name: str) -> None:
        self.provided_by.setdefault(dist, {}).setdefault(kind, []).append(name)

    def forget(self, dist: str) -> None:
        """Undo everything ``dist`` registered (used when one of its hooks fails midway)."""
        for kind, names in self.provided_by.pop(dist, {}).items():
            for name in names:
                if kind == "ops":
                    self.ops.pop(name, None)
                elif kind == "devices":
                    self.devices.pop(name, None)
                    self.device_owner.pop(name, None)
                elif kind == "optimizers":
                    self.optimizers.pop(name, None)
                    self.optimizer_owner.pop(name, None)
                elif kind == "schedulers":
                    self.schedulers.pop(name, None)
                elif kind == "formulas":
                    op = self.ops.get(name)
                    if op is not None:
                        op.formula = op.node_class = op.formula_distribution = None


class Registrar:
    """What a hook receives: registration calls that remember which distribution made them."""

    def __init__(self, registry: Registry, distribution: str):
        self._r = registry
        self.distribution = distribution

    # -- devices --------------------------------------------------------------------------------
    def register_device(self, backend, *, override: bool = False) -> None:
        t = backend.type
        if t in self._r.devices and not override:
            raise DuplicateRegistrationError(
                f"device '{t}' is registered by both {self._r.device_owner[t]} and {self.distribution}; "
                "pass override=True to replace it deliberately")
        self._r.devices[t] = backend
        self._r.device_owner[t] = self.distribution
        self._r.note(self.distribution, "devices", t)

    # -- ops --------------------------------------------------------------------------------------
    def register_op(self, opdef: OpDef, *, override: bool = False) -> OpDef:
        name = opdef.name
        if self.distribution != "tensorgraft-core" and "." not in name:
            raise ValueError(
                f"op '{name}' from {self.distribution}: third-party ops are named '<namespace>.<name>' "
                "and appear as tensorgraft.ops.<namespace>.<name>")
        old = self._r.ops.get(name)
        if old is not None and not override:
            raise DuplicateRegistrationError(
                f"op '{name}' is registered by both {old.distribution} and {self.distribution}; "
                "pass override=True to replace it deliberately")
        opdef.distribution = self.distribution
        self._r.ops[name] = opdef
        self._r.note(self.distribution, "ops", name)
        return opdef

    def register_kernel(self, op_name: str, device_type: str, kernel: Callable) -> None:
        """A device-specialised kernel for an existing op (e.g. a fused CuPy kernel)."""
        op = self._r.ops.get(op_name)
        if op is None:
            raise KeyError(f"cannot register a {device_type} kernel for unknown op '{op_name}'")
        op.kernels[device_type] = kernel
        self._r.note(self.distribution, "kernels", f"{op_name}@{device_type}")

    # -- gradient formulas (the autograd engine consumes these) --------------------------------
    def register_formula(self, op_name: str, formula: Callable, *, override: bool = False) -> None:
        op = self._r.ops.get(op_name)
        if op is None:
            raise KeyError(f"cannot register a gradient formula for unknown op '{op_name}'")
        if not op.differentiable:
            raise ValueError(f"op '{op_name}' is registered as non-differentiable")
        if op.formula is not None and not override:
            raise DuplicateRegistrationError(
                f"gradient formula for '{op_name}' is registered by both {op.formula_distribution} and "
                f"{self.distribution}; pass override=True to replace it deliberately")
        op.formula = formula
        op.formula_distribution = self.distribution
        op.node_class = None  # rebuilt by the engine
        self._r.note(self.distribution, "formulas", op_name)

    # -- optimizers -------------------------------------------------------------------------------
    def register_optimizer(self, cls, *, name: str | None = None, override: bool = False) -> None:
        """``cls``: the optimizer class, or a ``"package.module:Class"`` string that is imported
        the first time the name is looked up (keeps ``import tensorgraft`` light)."""
        name, cls = _class_reference(cls, name)
        if name in self._r.optimizers and not override:
            raise DuplicateRegistrationError(
                f"optimizer '{name}' is registered by both {self._r.optimizer_owner[name]} and "
                f"{self.distribution}; pass override=True to replace it deliberately")
        self._r.optimizers[name] = cls
        self._r.optimizer_owner[name] = self.distribution
        self._r.note(self.distribution, "optimizers", name)

    def register_scheduler(self, cls, *, name: str | None = None) -> None:
        """``cls``: as for ``register_optimizer``."""
        name, cls = _class_reference(cls, name)
        self._r.schedulers[name] = cls
        self._r.note(self.distribution, "schedulers", name)

    def register_extension(self, kind: str, name: str, value: Any) -> None:
        bucket = self._r.extensions.setdefault(kind, {})
        if name in bucket:
            raise DuplicateRegistrationError(f"{kind} '{name}' is registered twice (second time by {self.distribution})")
        bucket[name] = value
        self._r.note(self.distribution, kind, name)


registry = Registry()
