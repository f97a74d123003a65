"""PyTorch-style module path for ``Uniform``."""
from .continuous import Uniform

__all__ = ["Uniform"]
