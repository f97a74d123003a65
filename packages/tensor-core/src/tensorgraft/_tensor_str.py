"""``torch._tensor_str``'s public names, for programs that reach into it (``PRINT_OPTS.precision``,
``torch._tensor_str.printoptions(...)``): tensorgraft's printing lives in ``printing.py``."""
from .printing import PRINT_OPTS, get_printoptions, printoptions, set_printoptions

__all__ = ["PRINT_OPTS", "get_printoptions", "printoptions", "set_printoptions"]
