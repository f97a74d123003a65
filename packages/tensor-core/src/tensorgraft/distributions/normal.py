"""PyTorch-style module path for ``Normal``."""
from .continuous import Normal

__all__ = ["Normal"]
