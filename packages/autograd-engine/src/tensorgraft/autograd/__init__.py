"""``tensorgraft.autograd``: define-by-run reverse-mode differentiation (tensorgraft-autograd).

The plugin entry point (``tensorgraft.autograd._plugin``) is imported while ``import tensorgraft``
runs, and importing it runs this file: so only the engine loads here, and ``Function`` and
``graph`` (which imports ``subprocess``) load on first attribute access.
"""
from __future__ import annotations

import importlib as _importlib

from tensorgraft.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from tensorgraft.tensor import Tensor

from .anomaly import (  # noqa: F401
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled, set_detect_anomaly,
)
from .engine import make_root_grads, run_backward
# eager (it is small): a lazily bound ``gradcheck`` function would lose to the submodule of the same
# name, which the import system sets as this package's attribute if it is imported first
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "graph", "Variable", "functional"]

_LAZY = {  # attribute -> submodule that defines it
    "Function": "function", "FunctionCtx": "function", "InplaceFunction": "function",
    "once_differentiable": "function", "Variable": "variable",
}
_SUBMODULES = frozenset({"graph", "function", "formulas", "hookspecs", "grad_mode", "functional", "variable"})


def _lazy_attributes(module_globals, lazy):
    """A module ``__getattr__`` for names that submodules define, imported on first access
    (``lazy``: name -> submodule) and then kept in the module (``tensorgraft.func`` uses it too)."""
    package = module_globals["__name__"]

    def __getattr__(name):
        sub = lazy.get(name)
        if sub is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(_importlib.import_module(f"{package}.{sub}"), name)
        module_globals[name] = value
        return value
    return __getattr__


_lazy_attribute = _lazy_attributes(globals(), _LAZY)


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    return _lazy_attribute(name)


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_LAZY))


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _pair_grads(tensors, grad_tensors):
    """PyTorch pairs outputs with gradients positionally: extra gradients are ignored, missing
    ones are an error."""
    if grad_tensors is None:
        return (None,) * len(tensors)
    grads = _as_tuple(grad_tensors)
    if len(grads) < len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    return grads[:len(tensors)]


_warned_create_graph = False


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad``."""
    global _warned_create_graph
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grads = _pair_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    root_grads = make_root_grads(tensors, grads, create_graph)
    if create_graph and not _warned_create_graph:
        # PyTorch's engine warns once per process (TORCH_WARN_ONCE), with or without ``inputs``
        _warned_create_graph = True
        import warnings
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter "
                      "and its gradient which can cause a memory leak. We recommend using autograd.grad when creating "
                      "the graph to avoid this. If you have to use this function, make sure to reset the .grad fields "
                      "of your parameters to None after use to break the cycle and avoid the leak.", UserWarning,
                      stacklevel=3)
    run_backward(tensors, root_grads, retain_graph, create_graph, inputs=inputs, capture=False, allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported by tensorgraft")
    if not only_inputs:
        import warnings
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use tensorgraft.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    grads = _pair_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    root_grads = make_root_grads(outputs, grads, create_graph)
    res = run_backward(outputs, root_grads, retain_graph, create_graph, inputs=inputs, capture=True,
                       allow_unused=allow_unused)
    if materialize_grads:
        from tensorgraft.ops.creation import zeros_like
        res = tuple(zeros_like(i) if g is None else g for g, i in zip(res, inputs))
    if not create_graph:
        res = tuple(g.detach() if g is not None and g.grad_fn is not None else g for g in res)
    return res
