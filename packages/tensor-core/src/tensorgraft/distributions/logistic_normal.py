"""``LogisticNormal`` (PyTorch's ``logistic_normal`` module)."""
from . import constraints
from .continuous import Normal
from .transformed import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """A point of the simplex with ``K + 1`` coordinates from ``K`` independent Normals, mapped by
    stick breaking. Its moments have no closed form, so only ``log_prob`` and sampling exist.

    The Normals are the batch of a ``Normal`` that the transformed distribution reads as one event
    (it wraps it in ``Independent``); a scalar ``loc`` and ``scale`` mean ``K = 1``.
    """

    has_rsample = True
    support = constraints.simplex
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}

    def __init__(self, loc, scale, validate_args=None):
        normals = Normal(loc, scale, validate_args=validate_args)
        if len(normals.batch_shape) == 0:
            normals = normals.expand((1,))
        super().__init__(normals, StickBreakingTransform(), validate_args=validate_args)

    @property
    def _normals(self):
        return self.base_dist.base_dist  # inside the Independent wrapper

    @property
    def loc(self):
        return self._normals.loc

    @property
    def scale(self):
        return self._normals.scale
