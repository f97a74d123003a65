"""Where tensors live: ``get_device_module`` (the module of a device type, ``tensorgraft.cpu`` or
``tensorgraft.cuda``) and ``is_distributed`` (PyTorch's legacy query, False for every tensor)."""
from __future__ import annotations

import functools
import importlib
from tensorgraft.argument_errors import c_type_name

from .device import device as _device
from .tensor import Tensor


@functools.cache  # (as PyTorch's: the same module object for the same argument)
def get_device_module(device=None):
    """
    Returns the module associated with a given device(e.g., torch.device('cuda'), "mtia:0", "xpu", ...).
    If no device is given, return the module for the current accelerator or CPU if none is present.
    """
    if isinstance(device, _device):
        name = device.type
    elif isinstance(device, str):
        name = _device(device).type
    elif device is None:
        from .accelerator import current_accelerator
        name = getattr(current_accelerator(), "type", "cpu")
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or None")
    package = importlib.import_module("tensorgraft")
    try:  # (tensorgraft.cuda without tensorgraft-cuda: the ModuleNotFoundError naming that distribution)
        module = getattr(package, name)
    except AttributeError:
        module = None
    if module is None:
        raise RuntimeError(f"Device '{name}' does not have a corresponding module registered as "
                           f"'tensorgraft.{name}'.")
    return module


def is_distributed(input) -> bool:
    """PyTorch's legacy ``is_distributed``: False for every tensor (no tensor is split across
    processes; ``tensorgraft.distributed`` communicates whole tensors)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_distributed(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
    return False
