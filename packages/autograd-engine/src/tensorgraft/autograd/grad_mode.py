"""``tensorgraft.autograd.grad_mode``, where PyTorch keeps its grad-mode switches
(``torch.autograd.grad_mode``). They live in core (``tensorgraft.grad_mode``: every op reads the
flag, with or without this engine); this module only gives them their PyTorch address."""
from tensorgraft.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, is_multithreading_enabled, no_grad,
    set_grad_enabled, set_multithreading_enabled,
)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "set_multithreading_enabled"]
