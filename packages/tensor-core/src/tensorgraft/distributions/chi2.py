"""PyTorch-style module path for ``Chi2``."""
from .continuous import Chi2

__all__ = ["Chi2"]
