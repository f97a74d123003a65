"""PyTorch-style module path for ``Bernoulli``."""
from .discrete import Bernoulli

__all__ = ["Bernoulli"]
