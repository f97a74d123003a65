"""Hooks added by tensorgraft-optim (see ``tensorgraft.plugins.hookspecs`` for the core ones)."""
from tensorgraft.plugins.hookspecs import hookspec


@hookspec
def tensorgraft_register_optimizers(registrar) -> None:
    """Register optimizers and learning-rate schedulers.

    ``registrar.register_optimizer(MyOptimizer)`` makes ``tensorgraft.optim.MyOptimizer`` resolve to
    the class (the name is the class name unless ``name=`` is given); registering a name that is
    already taken raises ``DuplicateRegistrationError`` naming both distributions (pass
    ``override=True`` to replace deliberately). ``registrar.register_scheduler(MyScheduler)`` does the
    same for ``tensorgraft.optim.lr_scheduler.MyScheduler``. Either call also takes a
    ``"package.module:MyOptimizer"`` string instead of the class: the module is then imported when the
    name is first looked up, not by every ``import tensorgraft`` (the built-in ones are registered so).

    An optimizer subclasses ``tensorgraft.optim.Optimizer`` (``params``/``param_groups``/``state``/
    ``state_dict`` work as in ``torch.optim``); subclassing ``tensorgraft.optim.FlatOptimizer`` gives
    the flat, few-array-operations-per-group update machinery the built-in optimizers use.

    A device plugin can also supply a fused update for a built-in optimizer:
    ``registrar.register_extension("fused_optimizer_step", ("Adam", "cuda"), fn)`` (see
    ``tensorgraft.optim.FlatOptimizer`` for ``fn``'s signature). It is only given buckets of real
    parameters: complex ones always take the generic kernel.

    Called after every plugin's ``tensorgraft_register_ops``/``tensorgraft_register_formulas``.
    Implement with ``@hookimpl(optionalhook=True)`` if your plugin also works without tensorgraft-optim.
    """
