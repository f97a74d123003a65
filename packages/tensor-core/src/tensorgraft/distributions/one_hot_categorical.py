"""PyTorch-style module path for ``OneHotCategorical`` and ``OneHotCategoricalStraightThrough``."""
from .discrete import OneHotCategorical, OneHotCategoricalStraightThrough

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
