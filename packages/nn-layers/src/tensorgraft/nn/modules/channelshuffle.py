"""PyTorch's ``torch.nn.modules.channelshuffle`` path (the class lives in ``activation``)."""
from .activation import ChannelShuffle  # noqa: F401

__all__ = ["ChannelShuffle"]
