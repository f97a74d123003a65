"""nn's fused ops (``tensorgraft.ops.nn.*``): kernel and gradient formula per concept file."""
from ._common import NN_FORMULAS, NN_OPS  # noqa: F401
from . import activation, conv, embedding, linear, loss, norm, padding, pooling, resample  # noqa: F401,E402
