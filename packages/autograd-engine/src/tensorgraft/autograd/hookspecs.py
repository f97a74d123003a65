"""Hooks added by tensorgraft-autograd (see ``tensorgraft.plugins.hookspecs`` for the core ones)."""
from tensorgraft.plugins.hookspecs import hookspec


@hookspec
def tensorgraft_register_formulas(registrar) -> None:
    """Register backward formulas: ``registrar.register_formula(op_name, formula)``.

    ``formula(node, grad)`` returns one gradient per op input (``None`` where there is none),
    computed with tensorgraft ops so higher-order gradients work. ``node.inputs`` holds the op's
    inputs (tensors and scalars, in call order), ``node.attrs`` the non-tensor arguments the
    frontend recorded, ``node.output`` the op's result (only if ``formula.saves_output = True``)
    and ``node.needs_input_grad`` which inputs need a gradient. Broadcasting is reduced and dtypes
    cast back to each input's by the engine. Set ``formula.saves = (indices,)`` to the inputs the
    formula reads (default: all): the node keeps only those tensors (the others show up as ``None``
    in ``node.inputs`` and are freed during the forward pass, as PyTorch frees what no backward
    needs), and in-place changes to the others are not reported as errors. Shapes and dtypes of
    every input stay available in ``node.in_meta[i] = (shape, numpy dtype)``.

    Called after every plugin's ``tensorgraft_register_ops``. Implement with
    ``@hookimpl(optionalhook=True)`` if your plugin also works without the autograd engine.
    """
