"""PyTorch-style module path for ``Beta``."""
from .continuous import Beta

__all__ = ["Beta"]
