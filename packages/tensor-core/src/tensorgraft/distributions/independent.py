"""PyTorch-style module path for ``Independent``."""
from .transformed import Independent

__all__ = ["Independent"]
