"""PyTorch's ``torch.nn.modules.flatten`` path (the classes live in ``linear``)."""
from .linear import Flatten, Unflatten  # noqa: F401

__all__ = ["Flatten", "Unflatten"]
