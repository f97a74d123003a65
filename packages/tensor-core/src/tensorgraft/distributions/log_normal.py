"""PyTorch-style module path for ``LogNormal``."""
from .transformed import LogNormal

__all__ = ["LogNormal"]
