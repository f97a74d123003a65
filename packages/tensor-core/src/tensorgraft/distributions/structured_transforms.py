"""Transforms that rearrange or combine others: ``IndependentTransform`` (more dimensions count as
one event), ``ReshapeTransform``, ``CatTransform``/``StackTransform`` (a different transform per
slice along one dimension) and ``CumulativeDistributionTransform`` (a distribution's CDF).
Re-exported by ``transforms``, where PyTorch has them."""
import tensorgraft as tg

from . import constraints
from .distribution import sum_rightmost
from .transforms import Transform

__all__ = ["CatTransform", "CumulativeDistributionTransform", "IndependentTransform", "ReshapeTransform",
           "StackTransform"]


class _RebuiltWithCache:
    """``with_cache`` for transforms that keep their constructor arguments in ``_spec``: the
    same transform built again with the other cache size."""

    def with_cache(self, cache_size=1):
        same = self._cache_size == cache_size
        return self if same else type(self)(*self._spec, cache_size=cache_size)


class IndependentTransform(_RebuiltWithCache, Transform):
    """``base_transform`` with its ``reinterpreted_batch_ndims`` rightmost batch dimensions read as
    event dimensions: the map is the same, the log-Jacobian is summed over them."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        self._spec = (base_transform, reinterpreted_batch_ndims)
        super().__init__(cache_size=cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.base_transform = base_transform.with_cache(cache_size)

    def __eq__(self, other):
        return isinstance(other, IndependentTransform) and self._spec == other._spec

    __hash__ = object.__hash__

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _enough_dims(self, value, constraint):
        if value.dim() < constraint.event_dim:
            raise ValueError("Too few dimensions on input")
        return value

    def _call(self, x):
        return self.base_transform(self._enough_dims(x, self.domain))

    def _inverse(self, y):
        return self.base_transform.inv(self._enough_dims(y, self.codomain))

    def log_abs_det_jacobian(self, x, y):
        elementwise = self.base_transform.log_abs_det_jacobian(x, y)
        return sum_rightmost(elementwise, self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        # the map is the base transform's: so are the shapes
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        # (see forward_shape)
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(_RebuiltWithCache, Transform):
    """Reshapes the rightmost ``in_shape`` dimensions to ``out_shape`` (volume preserving)."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape, self.out_shape = tg.Size(tuple(in_shape)), tg.Size(tuple(out_shape))
        if self.out_shape.numel() != self.in_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        self._spec = (self.in_shape, self.out_shape)
        super().__init__(cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return x.reshape(batch + tuple(self.out_shape))

    def _inverse(self, y):
        batch = tuple(y.shape[:y.dim() - len(self.out_shape)])
        return y.reshape(batch + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return tg.zeros(batch, dtype=x.dtype, device=x.device)

    @staticmethod
    def _swap_suffix(shape, old, new):
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {old}")
        return tg.Size(tuple(shape[:cut]) + tuple(new))  # a torch.Size, as PyTorch's

    def forward_shape(self, shape):
        return self._swap_suffix(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap_suffix(shape, self.out_shape, self.in_shape)


def _sum_or_cat(pieces, dim, ndim, event_dim):
    """Log-Jacobians of the slices: concatenated along ``dim`` while that dimension survives the
    event reduction, summed when it was itself part of the event."""
    dim_from_end = dim - ndim if dim >= 0 else dim
    if dim_from_end + event_dim < 0:
        return tg.cat(pieces, dim_from_end + event_dim)
    total = pieces[0]
    for piece in pieces[1:]:
        total = total + piece
    return total


def _with_cache_all(parts, cache_size):
    if not all(isinstance(t, Transform) for t in parts):
        raise AssertionError("All elements of tseq must be Transform instances")
    return [t.with_cache(cache_size) for t in parts] if cache_size else list(parts)


class _PiecewiseTransform(_RebuiltWithCache, Transform):
    """What CatTransform and StackTransform share: one transform per piece of ``x`` along ``dim``
    (``_pieces``), the results joined back (``_join``), and the domain/codomain built from the
    pieces' own (``_combined``)."""

    def __eq__(self, other):
        return isinstance(other, type(self)) and self._spec == other._spec

    __hash__ = object.__hash__

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return self._combined("domain")

    @property
    def codomain(self):
        return self._combined("codomain")

    def _check_input(self, x, name="tensor"):
        # PyTorch's messages: "tensor" in the maps, "x"/"y" in log_abs_det_jacobian
        if not -x.dim() <= self.dim < x.dim():
            raise AssertionError(f"dim {self.dim} out of range for {name} with {x.dim()} dimensions")
        name, size = self._required_size()
        if x.shape[self.dim] != size:
            raise AssertionError(f"x.size({self.dim}) = {x.shape[self.dim]} must equal {name} {size}")

    def _call(self, x):
        self._check_input(x)
        return self._join([t(piece) for t, piece in zip(self.transforms, self._pieces(x))], self.dim)

    def _inverse(self, y):
        self._check_input(y)
        return self._join([t.inv(piece) for t, piece in zip(self.transforms, self._pieces(y))], self.dim)


class CatTransform(_PiecewiseTransform):
    """``tseq[i]`` applied to the ``i``-th block (``lengths[i]`` entries, 1 each by default) along
    ``dim``, the results concatenated back."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        parts = _with_cache_all(tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.lengths = list(lengths) if lengths is not None else [1] * len(parts)
        if len(self.lengths) != len(parts):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms ({len(parts)})")
        self.transforms, self.dim = parts, dim
        self._spec = (parts, dim, self.lengths)

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self):
        return sum(self.lengths)

    def _combined(self, side):
        return constraints.cat([getattr(t, side) for t in self.transforms], self.dim, self.lengths)

    def _required_size(self):
        return "length", self.length

    @staticmethod
    def _join(pieces, dim):
        return tg.cat(pieces, dim)

    def _pieces(self, x):
        start = 0
        for length in self.lengths:
            yield x.narrow(self.dim, start, length)
            start += length

    def log_abs_det_jacobian(self, x, y):
        self._check_input(x, "x")
        self._check_input(y, "y")
        pieces = []
        for t, xs, ys in zip(self.transforms, self._pieces(x), self._pieces(y)):
            pieces.append(sum_rightmost(t.log_abs_det_jacobian(xs, ys), self.event_dim - t.event_dim))
        return _sum_or_cat(pieces, self.dim, x.dim(), self.event_dim)


class StackTransform(_PiecewiseTransform):
    """``tseq[i]`` applied to index ``i`` along ``dim``, the results stacked back."""

    def __init__(self, tseq, dim=0, cache_size=0):
        parts = _with_cache_all(tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = parts, dim
        self._spec = (parts, dim)

    def _combined(self, side):
        return constraints.stack([getattr(t, side) for t in self.transforms], self.dim)

    def _required_size(self):
        return "len(transforms)", len(self.transforms)

    @staticmethod
    def _join(pieces, dim):
        return tg.stack(pieces, dim)

    def _pieces(self, x):
        return [x.select(self.dim, i) for i in range(x.shape[self.dim])]

    def log_abs_det_jacobian(self, x, y):
        self._check_input(x, "x")
        self._check_input(y, "y")
        pieces = [t.log_abs_det_jacobian(xs, ys)
                  for t, xs, ys in zip(self.transforms, self._pieces(x), self._pieces(y))]
        return tg.stack(pieces, self.dim)


class CumulativeDistributionTransform(_RebuiltWithCache, Transform):
    """``y = F(x)`` for the CDF ``F`` of a univariate ``distribution``; its derivative is the
    density, so the log-Jacobian is ``log_prob``. Maps samples to ``Uniform(0, 1)``."""

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution
        self._spec = (distribution,)

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, value):
        return self.distribution.cdf(value)

    def _inverse(self, u):
        return self.distribution.icdf(u)

    def log_abs_det_jacobian(self, value, u):
        # dF/dx is the density
        return self.distribution.log_prob(value)
