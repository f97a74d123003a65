"""PyTorch-style module path for ``StudentT``."""
from .continuous import StudentT

__all__ = ["StudentT"]
