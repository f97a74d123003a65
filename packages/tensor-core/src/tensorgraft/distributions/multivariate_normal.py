"""PyTorch-style module path for ``MultivariateNormal``."""
from .multivariate import MultivariateNormal

__all__ = ["MultivariateNormal"]
