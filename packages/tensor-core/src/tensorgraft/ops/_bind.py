"""Load-time binding: per-device kernel tables and the public names of every registered op."""
from __future__ import annotations

import sys
import types

from ..tensor import Tensor
from . import _frontend as F

# Names of core modules under tensorgraft.ops; a plugin namespace may not shadow them.
# every module of tensorgraft.ops (tests/test_foundation_plugins.py checks the list is complete)
RESERVED_NAMESPACES = frozenset({"elementwise", "reduction", "linalg", "shape", "indexing", "creation",
                                 "conversion", "scan", "statistics", "distance", "random", "_frontend", "_define",
                                 "_bind", "_args", "combinatorics", "histogram", "sets", "special_math", "special_functions",
                                 "aliases",
                                 "inplace", "scatter", "utility", "views",
                                 "complex", "spectral",
                                 "decompositions", "linalg_composite", "tensor_extras", "stft",
                                 "ldl", "lowrank", "lu"})


def bind_op(op, registry, tg_module) -> None:
    for dtype_name, backend in registry.devices.items():
        op.bind_kernel(dtype_name, backend)
    if op.frontend is None:
        op.frontend = op.make_frontend(op)
    f = op.frontend
    if "." in op.name:
        _export_plugin_op(op, tg_module)
        return
    if op.public:
        setattr(tg_module, op.name, f)
    if op.method:
        setattr(Tensor, op.method, f)
    fast = op.extra.get("fast", f)
    binary_mode = op.extra.get("binary_mode")  # set for two-operand elementwise ops
    if op.inplace:
        op.inplace_frontend = F.make_inplace(op, f)
        setattr(Tensor, op.inplace, op.inplace_frontend)
    for d in op.dunders:
        setattr(Tensor, d, F.make_binary(op, mode=binary_mode, dunder=True) if binary_mode else f)
    for d in op.extra.get("rdunders", ()):
        setattr(Tensor, d, F.make_binary(op, mode=binary_mode, dunder=True, reflected=True))
    for d in op.extra.get("idunders", ()):
        setattr(Tensor, d, F.make_inplace(op, fast))


def _export_plugin_op(op, tg_module) -> None:
    """``example.swish`` -> ``tensorgraft.ops.example.swish`` (importable as a module too)."""
    ns, _, short = op.name.rpartition(".")
    if ns.split(".")[0] in RESERVED_NAMESPACES:
        raise ValueError(f"op namespace '{ns}' of '{op.name}' collides with a core module name")
    parent = tg_module.ops
    modname = "tensorgraft.ops"
    for part in ns.split("."):
        modname += "." + part
        mod = sys.modules.get(modname)
        if mod is None:
            mod = types.ModuleType(modname, f"Ops registered by plugins under the '{ns}' namespace.")
            sys.modules[modname] = mod
            setattr(parent, part, mod)
        parent = mod
    setattr(parent, short, op.frontend)
    if op.inplace:
        op.inplace_frontend = F.make_inplace(op, op.frontend)
        setattr(parent, op.inplace, op.inplace_frontend)


def bind_all(registry, tg_module) -> None:
    for op in registry.ops.values():
        bind_op(op, registry, tg_module)
