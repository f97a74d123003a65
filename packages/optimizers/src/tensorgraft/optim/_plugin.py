"""tensorgraft-optim's plugin: adds the optimizer hookspec and registers the built-in optimizers and
learning-rate schedulers through it (exactly the way a third-party plugin would).

This module is imported by every ``import tensorgraft``, so it registers ``"module:Class"``
references (resolved on first use, see ``tensorgraft.registry.ClassTable``) rather than importing
fifteen optimizer modules and the schedulers up front."""
from tensorgraft.plugins.hookspecs import hookimpl

BUILTIN_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "LBFGS",
                      "Rprop", "ASGD", "Adafactor", "SparseAdam", "Muon")
# module names that are not simply the class name in lower case
_MODULES = {"SparseAdam": "sparse_adam"}
# the same names as lr_scheduler.BUILTIN_SCHEDULERS (a test keeps them in step), listed here so that
# registering them does not import lr_scheduler
BUILTIN_SCHEDULERS = ("LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                      "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau",
                      "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler")


@hookimpl
def tensorgraft_add_hookspecs(pluginmanager):
    from . import hookspecs
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def tensorgraft_register_optimizers(registrar):
    for name in BUILTIN_OPTIMIZERS:  # each optimizer lives in its own module, named for it
        registrar.register_optimizer(f"{__package__}.{_MODULES.get(name, name.lower())}:{name}")
    for name in BUILTIN_SCHEDULERS:
        registrar.register_scheduler(f"{__package__}.lr_scheduler:{name}")


@hookimpl
def tensorgraft_report():
    from tensorgraft.registry import registry
    fused = sorted(f"{n}@{d}" for n, d in registry.extensions.get("fused_optimizer_step", {}))
    return {"fused optimizer steps": ", ".join(fused) or "none"}
