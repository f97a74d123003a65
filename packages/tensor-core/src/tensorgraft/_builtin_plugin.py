"""Core registers its own CPU device and ops through the same hooks a third-party plugin uses."""
from .device import CPUBackend
from .meta_device import MetaBackend
from .ops._define import CORE_OPS
from .plugins.hookspecs import hookimpl


@hookimpl
def tensorgraft_register_devices(registrar):
    registrar.register_device(CPUBackend())
    registrar.register_device(MetaBackend())  # shapes without values (meta_device.py)


@hookimpl
def tensorgraft_register_ops(registrar):
    for op in CORE_OPS:
        registrar.register_op(op)
