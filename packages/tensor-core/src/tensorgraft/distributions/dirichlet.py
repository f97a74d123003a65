"""PyTorch-style module path for ``Dirichlet``."""
from .multivariate import Dirichlet

__all__ = ["Dirichlet"]
