"""PyTorch's ``torch.nn.modules.pixelshuffle`` path (the classes live in ``activation``)."""
from .activation import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = ["PixelShuffle", "PixelUnshuffle"]
