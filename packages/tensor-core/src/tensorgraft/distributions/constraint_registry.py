"""PyTorch-style module path for ``biject_to`` and ``transform_to``."""
from .transforms import biject_to, transform_to

__all__ = ["biject_to", "transform_to"]
