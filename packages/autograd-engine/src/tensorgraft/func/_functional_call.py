"""``functional_call`` and ``stack_module_state``: modules as functions of their parameters.
The work is tensorgraft-nn's (imported on call, so this distribution does not need nn to load)."""
from __future__ import annotations

__all__ = ["functional_call", "stack_module_state"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module`` with its parameters and buffers replaced by the given dict(s)."""
    from tensorgraft.nn.utils.stateless import _func_functional_call
    return _func_functional_call(module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights,
                                 strict=strict)


def stack_module_state(models):
    """(params, buffers): each a dict of the models' same-named tensors stacked along a new dim 0,
    for ``vmap(functional_call)`` over an ensemble. Stacked parameters are new leaves that require
    grad when the originals do (as PyTorch's)."""
    import tensorgraft
    models = list(models)
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    model0_typ = type(models[0])
    if not all(type(m) is model0_typ for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def construct(named):
        names = [n for n, _ in named(models[0])]
        out = {}
        for name in names:
            tensors = [dict(named(m))[name] for m in models]
            requires = {t.requires_grad for t in tensors}
            if len(requires) > 1:
                raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
            stacked = tensorgraft.stack([t.detach() for t in tensors])
            if True in requires:
                stacked.requires_grad_()
            out[name] = stacked
        return out

    params = construct(lambda m: m.named_parameters())
    buffers = construct(lambda m: m.named_buffers())
    return params, buffers
