"""PyTorch-style module path for ``TransformedDistribution``."""
from .transformed import TransformedDistribution

__all__ = ["TransformedDistribution"]
