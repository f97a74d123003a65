"""``torch.__future__``: the switches for how ``nn.Module.to()``/``.double()``/``.cuda()`` ... convert
a module's parameters (``nn/modules/_module_conversion.py`` reads them).

- ``overwrite_module_params_on_conversion``: each parameter becomes a new ``Parameter`` object
  holding the converted values (tied weights and optimizers keep the old objects), instead of the
  existing object taking the converted values in place (the default);
- ``swap_module_params_on_conversion``: the existing object takes the converted values, and keeps
  its identity, ``.grad`` converted too: what tensorgraft does by default anyway (PyTorch's default
  sets ``param.data``, which in tensorgraft is the same in-place replacement), so the switch is kept
  for programs that read it back and changes nothing else.
"""
from __future__ import annotations

__all__ = ["set_overwrite_module_params_on_conversion", "get_overwrite_module_params_on_conversion",
           "set_swap_module_params_on_conversion", "get_swap_module_params_on_conversion"]

_overwrite_module_params_on_conversion: bool = False
_swap_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """Whether ``nn.Module`` conversions give each parameter a new ``Parameter`` object."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """Whether ``nn.Module`` conversions swap the converted values into the existing parameters
    (also ``load_state_dict``'s copies in PyTorch; tensorgraft's conversions always keep the objects)."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    return _swap_module_params_on_conversion
