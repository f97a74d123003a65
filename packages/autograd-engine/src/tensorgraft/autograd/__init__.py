"""``tensorgraft.autograd``: define-by-run reverse-mode differentiation (tensorgraft-autograd).

The plugin entry point (``tensorgraft.autograd._plugin``) is imported while ``import tensorgraft``
runs, and importing it runs this file: so only the engine loads here, and ``Function`` and
``graph`` (which imports ``subprocess``) load on first attribute access.
"""
from __future__ import annotations

import importlib as _importlib
import sys as _sys

from tensorgraft.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, is_multithreading_enabled, no_grad,
    set_grad_enabled, set_multithreading_enabled,
)
from tensorgraft.caller_warnings import warn_at_caller
from tensorgraft.tensor import Tensor

from .anomaly import (  # noqa: F401
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled, set_detect_anomaly,
)
from .engine import GradientEdge, make_root_grads, run_backward
# eager (it is small): a lazily bound ``gradcheck`` function would lose to the submodule of the same
# name, which the import system sets as this package's attribute if it is imported first
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "graph", "Variable", "functional", "enforce_grad_layout_policy"]

_LAZY = {  # attribute -> submodule that defines it
    "Function": "function", "FunctionCtx": "function", "InplaceFunction": "function",
    "once_differentiable": "function", "Variable": "variable", "enforce_grad_layout_policy": "graph_policies",
}
_SUBMODULES = frozenset({"graph", "function", "formulas", "hookspecs", "grad_mode", "functional", "variable", "forward_ad",
                         "profiler"})


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
    if isinstance(x, (Tensor, GradientEdge)):  # an edge is a namedtuple, but stands for one input
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
    transforms = _sys.modules.get("tensorgraft.func._custom_functions")
    if transforms is not None:  # (not loaded: no function transform can be running)
        transforms.refuse_backward_under_transforms()  # PyTorch refuses backward() inside grad/vmap
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
    if create_graph and (not _warned_create_graph or _warn_always_enabled()):
        # PyTorch's engine warns once per process (TORCH_WARN_ONCE, so every time under
        # set_warn_always(True)), with or without ``inputs``
        _warned_create_graph = True
        # (PyTorch names its engine's Python caller; the line calling backward() is the useful one,
        # whether that was Tensor.backward or autograd.backward)
        warn_at_caller("Using backward() with create_graph=True will create a reference cycle between the parameter "
                       "and its gradient which can cause a memory leak. We recommend using autograd.grad when creating "
                       "the graph to avoid this. If you have to use this function, make sure to reset the .grad fields "
                       "of your parameters to None after use to break the cycle and avoid the leak.")
    run_backward(tensors, root_grads, retain_graph, create_graph, inputs=inputs, capture=False, allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching ``.grad``."""
    if grad_outputs is not None:
        # cotangents batched by a running vectorized vmap (func/_vectorized/): one backward per sample.
        # (read through sys.modules: loaded with tensorgraft.func, never imported from here)
        func_state = _sys.modules.get("tensorgraft.func._custom_functions")
        if func_state is not None and func_state.vectorized.levels:
            from tensorgraft.func._vectorized._bridge import autograd_grad
            res = autograd_grad(grad, outputs, inputs, grad_outputs, create_graph,
                                {"only_inputs": only_inputs, "allow_unused": allow_unused,
                                 "is_grads_batched": is_grads_batched, "materialize_grads": materialize_grads})
            if res is not NotImplemented:
                return res
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        import warnings
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    grads = _pair_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _grad_batched(outputs, inputs, grads, retain_graph, create_graph, allow_unused, materialize_grads)
    root_grads = make_root_grads(outputs, grads, create_graph)
    res = run_backward(outputs, root_grads, retain_graph, create_graph, inputs=inputs, capture=True,
                       allow_unused=allow_unused)
    if materialize_grads:
        res = _materialized(res, inputs, create_graph)
    if not create_graph:
        res = tuple(g.detach() if g is not None and g.grad_fn is not None else g for g in res)
    if any(hasattr(i, "_wrap_grad") for i in inputs):  # a nested input: its gradient nested alike
        res = tuple(i._wrap_grad(g) if hasattr(i, "_wrap_grad") else g for i, g in zip(inputs, res))
    return res


def _grad_batched(outputs, inputs, grads, retain_graph, create_graph, allow_unused, materialize_grads):
    """``grad(..., is_grads_batched=True)``: the first dimension of every grad_output indexes
    independent vector-Jacobian products, and each result gets that dimension in front. PyTorch
    vmaps one backward pass; here the graph is walked once with batched gradients
    (``batched_backward.py``), or, where hooks or other per-entry observers are in the graph,
    once per batch entry (kept alive between entries) and the results stacked: the same values."""
    from tensorgraft import stack

    # PyTorch's checks, in its order, before any backward runs: a missing grad_output is the
    # usual implicit-gradient error (a scalar output's implicit 1 has no batch dimension to map
    # over), then each shape must be (batch, *output.shape)
    missing = [o for o, g in zip(outputs, grads) if g is None]
    make_root_grads(missing, [None] * len(missing), create_graph)
    if missing:
        raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that input is a "
                         "Tensor of dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0.")
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if g is not None and (g.dim() == 0 or tuple(g.shape[1:]) != tuple(o.shape)):
            if g.dim() == 0:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            # PyTorch names the shape of one batch entry with its first dimension dropped again
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                "dimension. The sizes of the remaining dimensions are expected to match the shape of corresponding "
                f"output, but a mismatch was detected: grad_output[{i}] has a shape of {g[0].shape[1:]} and "
                f"output[{i}] has a shape of {o.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
    sizes = [g.shape[0] for g in grads]
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    batch = sizes[0]
    if batch == 0:
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    batched = None
    if all(isinstance(g, Tensor) for g in grads):
        from .batched_backward import try_batched_backward
        make_root_grads(outputs, [g[0] for g in grads], create_graph)  # (the per-entry checks: device, type)
        roots = [g if create_graph or g.grad_fn is None else g.detach() for g in grads]
        batched = try_batched_backward(outputs, roots, retain_graph, create_graph, inputs, allow_unused, batch)
    per_entry = None if batched is not None else []
    for b in range(batch if per_entry is not None else 0):
        last = b == batch - 1
        entry = [g[b] for g in grads]
        roots = make_root_grads(outputs, entry, create_graph)
        per_entry.append(run_backward(outputs, roots, retain_graph or not last, create_graph, inputs=inputs,
                                      capture=True, allow_unused=allow_unused))
    res = []
    for k, inp in enumerate(inputs):
        column = [r[k] for r in per_entry] if per_entry is not None else [batched[k]]
        if column[0] is None:
            # an input the outputs do not reach: PyTorch's zeros have no batch dimension
            res.append(_materialized((None,), (inp,), create_graph)[0] if materialize_grads else None)
            continue
        g = stack(column) if per_entry is not None else column[0]
        res.append(g if create_graph or g.grad_fn is None else g.detach())
    return tuple(res)


def _materialized(res, inputs, create_graph):
    """``materialize_grads=True``: zeros for the inputs the outputs do not reach, requiring grad
    under ``create_graph`` (PyTorch's ``zeros_like(input, requires_grad=create_graph)``)."""
    from tensorgraft.ops.creation import zeros_like
    if any(g is None and not isinstance(i, Tensor) for g, i in zip(res, inputs)):
        raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
    return tuple(zeros_like(i, requires_grad=create_graph) if g is None else g for g, i in zip(res, inputs))


def _warn_always_enabled() -> bool:
    # imported on use: importing tensorgraft must not load the global switches (import time)
    from tensorgraft.global_switches import is_warn_always_enabled
    return is_warn_always_enabled()
