"""Core ops, one module per family; each op's gradient lives in the autograd-engine under
``tensorgraft/autograd/formulas/<same module name>.py``.

Third-party ops appear here too, as ``tensorgraft.ops.<namespace>.<name>``.
"""
from . import conversion, creation, elementwise, indexing, linalg, reduction, shape  # noqa: F401
