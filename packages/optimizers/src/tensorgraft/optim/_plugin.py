"""tensorgraft-optim's plugin: adds the optimizer hookspec and registers the built-in optimizers and
learning-rate schedulers through it (exactly the way a third-party plugin would)."""
from tensorgraft.plugins.hookspecs import hookimpl

BUILTIN_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "LBFGS")


@hookimpl
def tensorgraft_add_hookspecs(pluginmanager):
    from . import hookspecs
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def tensorgraft_register_optimizers(registrar):
    import importlib
    from . import lr_scheduler
    for name in BUILTIN_OPTIMIZERS:
        mod = importlib.import_module(f"{__package__}.{name.lower()}")
        registrar.register_optimizer(getattr(mod, name))
    for name in lr_scheduler.BUILTIN_SCHEDULERS:
        registrar.register_scheduler(getattr(lr_scheduler, name))


@hookimpl
def tensorgraft_report():
    from tensorgraft.registry import registry
    fused = sorted(f"{n}@{d}" for n, d in registry.extensions.get("fused_optimizer_step", {}))
    return {"fused optimizer steps": ", ".join(fused) or "none"}
