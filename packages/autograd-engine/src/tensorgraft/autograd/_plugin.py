"""tensorgraft-autograd's plugin: adds the formula hookspec, registers core ops' formulas and
switches ``requires_grad`` on by installing the engine into core."""
from tensorgraft.plugins.hookspecs import hookimpl


@hookimpl
def tensorgraft_add_hookspecs(pluginmanager):
    from . import hookspecs
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def tensorgraft_register_formulas(registrar):
    from .formulas import load_all
    from tensorgraft.registry import registry
    for name, fn in load_all().items():
        if name in registry.ops:
            registrar.register_formula(name, fn)


@hookimpl
def tensorgraft_configure(config):
    from tensorgraft.tensor import Tensor
    from . import _bridge
    Tensor._autograd = _bridge


@hookimpl
def tensorgraft_report():
    from tensorgraft.registry import registry
    # composite ops (built from other ops, or returning their input) need no formula of their own
    missing = sorted(n for n, op in registry.ops.items()
                     if op.differentiable and op.formula is None and not op.extra.get("formula_of")
                     and not op.extra.get("composite") and op.kernel is not None)
    return {"ops without a gradient formula": len(missing)}
