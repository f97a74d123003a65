"""PyTorch-style module path for ``Laplace``."""
from .continuous import Laplace

__all__ = ["Laplace"]
