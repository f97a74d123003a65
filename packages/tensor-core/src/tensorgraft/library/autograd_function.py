"""The ``autograd.Function`` generated for a custom op: its forward runs the op's implementation,
its backward is what ``register_autograd`` gave (or an error saying to register one). Imported only
when a custom op is called with inputs that require grad, i.e. when the autograd engine is installed."""
from __future__ import annotations

import inspect


def _rebuild(layout, flat):
    """The op's argument values from the Function's flat inputs (list arguments regrouped)."""
    values, i = [], 0
    for kind, n, seq_type in layout:
        if kind == "list":
            values.append(seq_type(flat[i:i + n]))
        else:
            values.append(flat[i])
        i += n
    return values


def _inputs_for_user(op, values):
    """(inputs, keyword_only_inputs) as PyTorch's setup_context receives them."""
    params = list(op._signature.parameters.values())
    positional = tuple(v for p, v in zip(params, values) if p.kind != p.KEYWORD_ONLY)
    keyword_only = {p.name: v for p, v in zip(params, values) if p.kind == p.KEYWORD_ONLY}
    return positional, keyword_only


def _flatten_output(value, leaves):
    """``value``'s structure (a tuple of tensors, lists of tensors and other values, as PyTorch's
    ``supports_tensorlist`` flattens it), its leaves appended to ``leaves``."""
    from ..tensor import Tensor
    if isinstance(value, tuple):
        return ("tuple", [_flatten_output(v, leaves) for v in value])
    if isinstance(value, list) and all(isinstance(v, Tensor) for v in value):
        leaves.extend(value)
        return ("list", len(value))
    leaves.append(value)
    return ("leaf",)


def _unflatten_output(spec, leaves):
    """The structure ``_flatten_output`` read, rebuilt from an iterator over its leaves."""
    if spec[0] == "tuple":
        return tuple(_unflatten_output(s, leaves) for s in spec[1])
    if spec[0] == "list":
        return [next(leaves) for _ in range(spec[1])]
    return next(leaves)


def apply_with_autograd(op, bound, layout, flat):
    """The op's result through its generated Function: the Function takes and returns flat tuples
    (list arguments' tensors and list outputs' tensors each one input or output of their own, so
    each gets its gradient); the result has the op's structure again."""
    structure = []  # (filled by forward: the output's structure)
    leaves = function_for(op).apply(op, bound, layout, structure, *flat)
    result = _unflatten_output(structure[0], iter(leaves if isinstance(leaves, tuple) else (leaves,)))
    return list(result) if op._returns_list and isinstance(result, tuple) else result  # (Tensor[]: a list)


def function_for(op):
    if op._function is not None:
        return op._function
    from tensorgraft.autograd import Function

    class_name = f"GeneratedBackwardFor_{op._namespace}_{op._name}_default"

    def forward(ctx, op_, bound, layout, structure, *flat):
        out = op_._run(bound)
        values = _rebuild(layout, flat)
        ctx._custom_op_layout = layout
        ctx._custom_op_inputs = _inputs_for_user(op_, values)
        setup = op_._setup_context_fn
        if setup is not None:
            inputs, keyword_only = ctx._custom_op_inputs
            if len(inspect.signature(setup).parameters) == 4:
                setup(ctx, inputs, keyword_only, out)
            else:
                setup(ctx, inputs, out)
        leaves = []
        ctx._custom_op_output = _flatten_output(out, leaves)
        structure.append(ctx._custom_op_output)
        return tuple(leaves)

    def backward(ctx, *grads):
        if op._backward_fn is None:
            raise RuntimeError(f"Trying to backward through {op._namespace}.{op._name}.default but no autograd "
                               "formula was registered. Please use register_autograd to add one.")
        positional = [(entry, p) for entry, p in zip(ctx._custom_op_layout, op._signature.parameters.values())
                      if p.kind != p.KEYWORD_ONLY]
        # as PyTorch's: the gradients in the output's structure (a list output's as one list), and
        # needs_input_grad one entry per positional input (a list of flags for a list of tensors)
        flags, i = [], 4  # (the Function's first inputs: op, bound arguments, layout, structure)
        for (kind, n, _), _p in positional:
            flags.append(list(ctx.needs_input_grad[i:i + n]) if kind == "list" else ctx.needs_input_grad[i])
            i += n
        grads = _unflatten_output(ctx._custom_op_output, iter(grads))
        previous, ctx.needs_input_grad = ctx.needs_input_grad, tuple(flags)
        try:
            result = op._backward_fn(ctx, *grads) if isinstance(grads, tuple) else op._backward_fn(ctx, grads)
        finally:
            ctx.needs_input_grad = previous
        inputs, _ = ctx._custom_op_inputs
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(inputs):
            raise RuntimeError(f"function {class_name}Backward returned an incorrect number of gradients (expected "
                               f"{len(inputs)}, got {len(result)})")
        flat = []
        for ((kind, n, _), _p), g in zip(positional, result):
            if kind == "list":
                g = [None] * n if g is None else list(g)
                if len(g) != n:
                    raise RuntimeError(f"function {class_name}Backward returned {len(g)} gradients for a list of {n} "
                                       "tensors")
                flat.extend(g)
            else:
                flat.append(g)
        keyword_only = [n for (kind, n, _), p in zip(ctx._custom_op_layout, op._signature.parameters.values())
                        if p.kind == p.KEYWORD_ONLY]
        flat.extend([None] * sum(keyword_only))  # keyword-only arguments get no gradient
        return (None, None, None, None, *flat)

    op._function = type(class_name, (Function,), {"forward": staticmethod(forward),
                                                  "backward": staticmethod(backward),
                                                  "__module__": __name__})
    return op._function
