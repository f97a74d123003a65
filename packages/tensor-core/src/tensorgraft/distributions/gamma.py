"""PyTorch-style module path for ``Gamma``."""
from .continuous import Gamma

__all__ = ["Gamma"]
