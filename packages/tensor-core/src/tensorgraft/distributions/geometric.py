"""PyTorch-style module path for ``Geometric``."""
from .discrete import Geometric

__all__ = ["Geometric"]
