"""Passes over fx graphs (PyTorch's ``torch.fx.passes``); ``shape_prop`` is provided."""
from . import shape_prop

__all__ = ["shape_prop"]
