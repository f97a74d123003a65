"""Transforms: invertible (mostly) maps ``y = t(x)`` with ``t.inv(y)`` and
``t.log_abs_det_jacobian(x, y)``, the pieces ``TransformedDistribution`` composes.

``domain``/``codomain`` are constraints; their ``event_dim`` says how many rightmost dimensions
one application of the map mixes (0 for elementwise maps, 1 for maps on vectors).
"""
import math
import numbers

import tensorgraft as tg

from . import constraints
from .distribution import softplus, sum_rightmost

__all__ = [
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
    "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
    "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform", "Transform",
    "identity_transform",
]


class Transform:
    """Base class. ``cache_size=1`` remembers the last ``(x, y)`` pair so ``inv(t(x))`` returns the
    very ``x`` (needed when the inverse is not exact, e.g. ``tanh`` near +-1)."""

    bijective = False
    domain = constraints.real
    codomain = constraints.real

    @property
    def sign(self):
        """The sign of the Jacobian's determinant, where the transform is monotone (+1 for exp,
        sigmoid, tanh, softplus; the scale's for affine ...); the others have none, and a
        TransformedDistribution's cdf/icdf through them raise, as PyTorch's."""
        raise NotImplementedError

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached_x_y = (None, None)
        self._inv = None

    @property
    def event_dim(self):
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self):
        inv = self._inv
        if inv is None:
            inv = _InverseTransform(self)
            self._inv = inv
        return inv

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self)}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __call__(self, x):
        if self._cache_size == 0:
            return self._call(x)
        x_old, y_old = self._cached_x_y
        if x is x_old:
            return y_old
        y = self._call(x)
        self._cached_x_y = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size == 0:
            return self._inverse(y)
        x_old, y_old = self._cached_x_y
        if y is y_old:
            return x_old
        x = self._inverse(y)
        self._cached_x_y = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """``t.inv``: swaps the roles of ``x`` and ``y``; its own ``inv`` is ``t`` again."""

    def __init__(self, transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __repr__(self):
        return f"{type(self).__name__}({self._inv!r})"

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)


class _SameTypeEq:
    def __eq__(self, other):
        return type(other) is type(self)

    __hash__ = object.__hash__


class ExpTransform(_SameTypeEq, Transform):
    sign = +1
    codomain = constraints.positive
    bijective = True

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


def _clipped(p):
    """A probability kept inside (0, 1) as PyTorch's sigmoid transform keeps it: at least the
    smallest normal number (not eps: a sigmoid of -100 is 1e-38, not 1e-7), at most 1 - eps."""
    info = tg.finfo(p.dtype)
    return p.clamp(min=info.tiny, max=1.0 - info.eps)


class SigmoidTransform(_SameTypeEq, Transform):
    sign = +1
    codomain = constraints.unit_interval
    bijective = True

    def _call(self, x):
        return _clipped(tg.sigmoid(x))

    def _inverse(self, y):
        y = _clipped(y)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        # d sigmoid / dx = sigmoid(x) * sigmoid(-x)
        return -softplus(-x) - softplus(x)


class TanhTransform(_SameTypeEq, Transform):
    sign = +1
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return tg.atanh(y)

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) = 2 * (log 2 - x - softplus(-2x)), stable for large |x|
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class SoftplusTransform(_SameTypeEq, Transform):
    sign = +1
    codomain = constraints.positive
    bijective = True

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return y + tg.log(-tg.expm1(-y))

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class AbsTransform(_SameTypeEq, Transform):
    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive reals."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size=cache_size)
        if not isinstance(exponent, tg.Tensor):
            exponent = tg.tensor(float(exponent), dtype=tg.get_default_dtype())
        self.exponent = exponent

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and bool(self.exponent.eq(other.exponent).all())

    __hash__ = object.__hash__

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.exponent, "shape", ()))

    inverse_shape = forward_shape


class AffineTransform(Transform):
    """``y = loc + scale * x``; ``event_dim`` rightmost dimensions count as one event (their
    log-Jacobians are summed)."""

    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.real if self._event_dim == 0 else constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        for a, b in ((self.loc, other.loc), (self.scale, other.scale)):
            if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
                if a != b:
                    return False
            elif not bool((a == b).all()):
                return False
        return True

    __hash__ = object.__hash__

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = tuple(x.shape)
        if isinstance(self.scale, numbers.Real):
            out = tg.full_like(x, math.log(abs(self.scale)))
        else:
            out = self.scale.abs().log()
        if self._event_dim:
            out = sum_rightmost(out, self._event_dim)
            shape = shape[:len(shape) - self._event_dim]
        return out.expand(shape)

    def forward_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.loc, "shape", ()), getattr(self.scale, "shape", ()))

    inverse_shape = forward_shape


class SoftmaxTransform(_SameTypeEq, Transform):
    """Vectors to the simplex; not bijective (adding a constant changes nothing), so no
    Jacobian."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        e = (x - x.max(-1, keepdim=True).values).exp()
        return e / e.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()


class StickBreakingTransform(_SameTypeEq, Transform):
    """``R^(K-1)`` to the ``K``-simplex, bijectively: ``z_i = sigmoid(x_i - log(K-1-i))`` is the
    fraction of the stick still left that entry ``i`` takes; the last entry gets the rest. The
    offset makes ``x = 0`` map to the uniform vector. Written as PyTorch's, clamps included, so the
    edges of the simplex (zero entries, saturated sigmoids) give its values."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    @staticmethod
    def _offset(n, like):
        return tg.log(tg.arange(n, 0, -1, dtype=like.dtype, device=like.device))

    def _call(self, x):
        shifted = x - self._offset(x.shape[-1], x)
        z = _clipped(tg.sigmoid(shifted))
        left = tg.cumprod(1 - z, -1)  # stick remaining after entry i
        ones = tg.ones_like(left[..., :1])
        return tg.cat([z, ones], -1) * tg.cat([ones, left], -1)

    def _inverse(self, y):
        head = y[..., :-1]
        # logit(z_i) = log(y_i / stick remaining after entry i), that stick kept positive
        rest = (1 - tg.cumsum(head, -1)).clamp(min=tg.finfo(y.dtype).tiny)
        return head.log() - rest.log() + self._offset(head.shape[-1], y)

    def log_abs_det_jacobian(self, x, y):
        # triangular Jacobian: dy_i/dx_i = y_i (1 - z_i), and log(1 - z_i) = -x_i + logsigmoid(x_i)
        shifted = x - self._offset(x.shape[-1], x)
        return (-shifted - softplus(-shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        return tg.Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        return tg.Size(tuple(shape[:-1]) + (shape[-1] - 1,))


class LowerCholeskyTransform(_SameTypeEq, Transform):
    """Square matrices to lower-triangular ones with a positive diagonal (exp of the diagonal)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class ComposeTransform(Transform):
    """Applies ``parts`` left to right; Jacobians add, summed over the dimensions each part sees as
    its event."""

    def __init__(self, parts, cache_size=0):
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size=cache_size)
        self.parts = list(parts)

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        domain = self.parts[0].domain
        event_dim = self.parts[-1].codomain.event_dim
        for p in reversed(self.parts):
            event_dim = max(event_dim + p.domain.event_dim - p.codomain.event_dim, p.domain.event_dim)
        if event_dim > domain.event_dim:
            domain = constraints.independent(domain, event_dim - domain.event_dim)
        return domain

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        codomain = self.parts[-1].codomain
        event_dim = self.parts[0].domain.event_dim
        for p in self.parts:
            event_dim = max(event_dim + p.codomain.event_dim - p.domain.event_dim, p.codomain.event_dim)
        if event_dim > codomain.event_dim:
            codomain = constraints.independent(codomain, event_dim - codomain.event_dim)
        return codomain

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self):
        inv = self._inv
        if inv is None:
            inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            inv._inv = self
            self._inv = inv
        return inv

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return tg.zeros_like(x)
        xs = [x]
        for p in self.parts[:-1]:
            xs.append(p(xs[-1]))
        xs.append(y)
        total = 0
        event_dim = self.domain.event_dim
        for p, a, b in zip(self.parts, xs[:-1], xs[1:]):
            total = total + sum_rightmost(p.log_abs_det_jacobian(a, b), event_dim - p.domain.event_dim)
            event_dim += p.codomain.event_dim - p.domain.event_dim
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape

    def __repr__(self):
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform([])


def _transform(constraint, bijective):
    """The built-in map of ``biject_to`` (``bijective=True``) or ``transform_to`` (both in
    ``constraint_registry``); they differ only on the simplex (stick-breaking vs softmax) and on
    sets no bijection from ``R^n`` reaches."""
    c = constraint
    if c is constraints.real:
        return ComposeTransform([])
    if isinstance(c, constraints._IndependentConstraint):
        return IndependentTransform(_transform(c.base_constraint, bijective), c.reinterpreted_batch_ndims)
    if isinstance(c, constraints._GreaterThan | constraints._GreaterThanEq):
        return ComposeTransform([ExpTransform(), AffineTransform(c.lower_bound, 1)])
    if isinstance(c, constraints._LessThan):
        return ComposeTransform([ExpTransform(), AffineTransform(c.upper_bound, -1)])
    if isinstance(c, constraints._Interval):
        lo, hi = c.lower_bound, c.upper_bound
        if isinstance(lo, numbers.Number) and isinstance(hi, numbers.Number) and lo == 0 and hi == 1:
            return SigmoidTransform()
        return ComposeTransform([SigmoidTransform(), AffineTransform(lo, hi - lo)])
    if c is constraints.simplex:
        return StickBreakingTransform() if bijective else SoftmaxTransform()
    if c is constraints.corr_cholesky:
        return CorrCholeskyTransform()
    if isinstance(c, constraints._Cat):
        return CatTransform([_transform(part, bijective) for part in c.cseq], c.dim, c.lengths)
    if isinstance(c, constraints._Stack):
        return StackTransform([_transform(part, bijective) for part in c.cseq], c.dim)
    if not bijective:
        if c is constraints.lower_cholesky:
            return LowerCholeskyTransform()
        if c is constraints.positive_definite or c is constraints.positive_semidefinite:
            return PositiveDefiniteTransform()
    raise NotImplementedError(f"Cannot transform {type(c).__name__} constraints")


# The structured and matrix transforms live in their own modules (they import ``Transform`` from
# here, so they can only be loaded once everything above exists); PyTorch has them in this module.
from .matrix_transforms import CorrCholeskyTransform, PositiveDefiniteTransform  # noqa: E402
from .structured_transforms import (CatTransform, CumulativeDistributionTransform,  # noqa: E402
                                    IndependentTransform, ReshapeTransform, StackTransform)
