"""tensorgraft-nn's plugin: registers nn's fused ops (``tensorgraft.ops.nn.*``) and their formulas."""
from tensorgraft.plugins.hookspecs import hookimpl


@hookimpl
def tensorgraft_register_ops(registrar):
    from .functional_ops import NN_OPS
    for op in NN_OPS:
        registrar.register_op(op)


@hookimpl
def tensorgraft_register_formulas(registrar):
    from .functional_ops import NN_FORMULAS
    for name, fn in NN_FORMULAS.items():
        registrar.register_formula(name, fn)
