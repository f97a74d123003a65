"""PyTorch-style module path for ``Poisson``."""
from .discrete import Poisson

__all__ = ["Poisson"]
