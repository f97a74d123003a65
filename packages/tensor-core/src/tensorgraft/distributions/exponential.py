"""PyTorch-style module path for ``Exponential``."""
from .continuous import Exponential

__all__ = ["Exponential"]
