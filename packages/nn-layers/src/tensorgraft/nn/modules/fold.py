"""PyTorch's ``torch.nn.modules.fold`` path (the classes live in ``conv``)."""
from .conv import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
