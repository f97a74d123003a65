"""The plugin module named by the ``tensorgraft`` entry point. Every hook runs once, when
tensorgraft is first imported; nothing here runs per op."""
from __future__ import annotations

import importlib.util

from tensorgraft.plugins import hookimpl


def _have_cupy() -> bool:
    return importlib.util.find_spec("cupy") is not None


@hookimpl
def tensorgraft_register_ops(registrar):
    from .ops import make_ops
    for op in make_ops():
        registrar.register_op(op)
    if _have_cupy():
        from .cuda_kernels import swish_cuda
        registrar.register_kernel("example.swish", "cuda", swish_cuda)


# The next two hooks are declared by other parts (tensorgraft-autograd, tensorgraft-optim):
# optionalhook=True lets this plugin load without them.
@hookimpl(optionalhook=True)
def tensorgraft_register_formulas(registrar):
    from .formulas import FORMULAS
    from .ops import make_function_ops
    for name, fn in FORMULAS.items():
        registrar.register_formula(name, fn)
    for op in make_function_ops():
        registrar.register_op(op)


@hookimpl(optionalhook=True)
def tensorgraft_register_optimizers(registrar):
    from .optim import SignSGD
    registrar.register_optimizer(SignSGD)


@hookimpl
def tensorgraft_report():
    return {"swish kernel on cuda": "cupy.ElementwiseKernel" if _have_cupy() else "generic (CuPy not installed)"}
