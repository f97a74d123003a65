"""``cupy.lib`` for the fake CuPy: only ``stride_tricks``, as real CuPy."""
from . import stride_tricks  # noqa: F401
