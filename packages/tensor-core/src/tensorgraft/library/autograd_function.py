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


def function_for(op):
    if op._function is not None:
        return op._function
    from tensorgraft.autograd import Function

    class_name = f"GeneratedBackwardFor_{op._namespace}_{op._name}_default"

    def forward(ctx, op_, bound, layout, *flat):
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
        return tuple(out) if isinstance(out, list) else out

    def backward(ctx, *grads):
        if op._backward_fn is None:
            raise RuntimeError(f"Trying to backward through {op._namespace}.{op._name}.default but no autograd "
                               "formula was registered. Please use register_autograd to add one.")
        result = op._backward_fn(ctx, *grads)
        inputs, _ = ctx._custom_op_inputs
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(inputs):
            raise RuntimeError(f"function {class_name}Backward returned an incorrect number of gradients (expected "
                               f"{len(inputs)}, got {len(result)})")
        flat = []
        layout = [entry for entry, p in zip(ctx._custom_op_layout, op._signature.parameters.values())
                  if p.kind != p.KEYWORD_ONLY]
        for (kind, n, _), g in zip(layout, result):
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
        return (None, None, None, *flat)

    op._function = type(class_name, (Function,), {"forward": staticmethod(forward),
                                                  "backward": staticmethod(backward),
                                                  "__module__": __name__})
    return op._function

