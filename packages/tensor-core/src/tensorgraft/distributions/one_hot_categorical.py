"""PyTorch-style module path for ``OneHotCategorical``."""
from .discrete import OneHotCategorical

__all__ = ["OneHotCategorical"]
