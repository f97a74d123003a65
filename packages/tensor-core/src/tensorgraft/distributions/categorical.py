"""PyTorch-style module path for ``Categorical``."""
from .discrete import Categorical

__all__ = ["Categorical"]
