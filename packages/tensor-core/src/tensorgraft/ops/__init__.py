"""Core ops, one module per family; each op's gradient lives in the autograd-engine under
``tensorgraft/autograd/formulas/<same module name>.py``.

Third-party ops appear here too, as ``tensorgraft.ops.<namespace>.<name>``.
"""
from . import (  # noqa: F401
    conversion, creation, distance, elementwise, indexing, linalg, reduction, scan, shape, statistics,
)
