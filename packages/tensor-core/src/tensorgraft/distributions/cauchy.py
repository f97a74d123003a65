"""PyTorch-style module path for ``Cauchy``."""
from .continuous import Cauchy

__all__ = ["Cauchy"]
