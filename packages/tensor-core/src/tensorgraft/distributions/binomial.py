"""PyTorch-style module path for ``Binomial``."""
from .discrete import Binomial

__all__ = ["Binomial"]
