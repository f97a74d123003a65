"""``tensorgraft.utils``: helpers around the core library (``tensorgraft.utils.data``)."""
from . import data  # noqa: F401
