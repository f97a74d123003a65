"""``Distribution``, the base every distribution derives from, and the helpers they share.

Shapes follow the usual convention: a sample has shape ``sample_shape + batch_shape +
event_shape``; ``log_prob`` reduces the event dimensions away. Parameters are checked against
``arg_constraints`` at construction and values against ``support`` in ``log_prob`` when
validation is on (the default, as in PyTorch; ``Distribution.set_default_validate_args`` or the
``validate_args`` argument turns it off).
"""
import math
import numbers
import warnings

import tensorgraft as tg

from . import constraints

__all__ = ["Distribution", "broadcast_all", "lazy_property", "sum_rightmost"]


class lazy_property:
    """Computes an attribute on first access and stores it in the instance ``__dict__``, so a
    distribution built from ``logits`` only derives ``probs`` when someone asks for them."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        with tg.enable_grad():
            value = self.fn(obj)
        obj.__dict__[self.__name__] = value
        return value


def broadcast_all(*values):
    """Numbers become tensors on the device and dtype of the tensor arguments (or the default
    dtype), then everything is broadcast to one shape."""
    like = next((v for v in values if isinstance(v, tg.Tensor)), None)
    out = []
    for v in values:
        if isinstance(v, tg.Tensor):
            out.append(v)
        elif isinstance(v, numbers.Number):
            if like is None:
                out.append(tg.tensor(float(v), dtype=tg.get_default_dtype()))
            else:
                dtype = like.dtype if like.is_floating_point() else tg.get_default_dtype()
                out.append(tg.tensor(float(v), dtype=dtype, device=like.device))
        else:
            raise ValueError("Input arguments must all be instances of Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    if like is None:
        return tuple(out)
    # A tensor already of the common shape is kept as it is (not an expanded view of itself), as
    # PyTorch does: Normal(mu, sigma).loc is mu, and its grad_fn is mu's (AddmmBackward0 after a
    # Linear), which users print.
    expanded = tg.broadcast_tensors(*out)  # raises PyTorch's error for shapes that do not broadcast
    return tuple(v if v.shape == e.shape else e for v, e in zip(out, expanded))


def sum_rightmost(value, dim):
    """Sums the ``dim`` rightmost dimensions (``value`` itself when ``dim`` is 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    eps = tg.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return tg.log(p) - tg.log1p(-p) if is_binary else tg.log(p)


def logits_to_probs(logits, is_binary=False):
    return tg.sigmoid(logits) if is_binary else tg.softmax(logits, -1)


def softplus(x):
    """``log(1 + exp(x))`` without overflow, with the derivative ``sigmoid(x)`` everywhere.

    ``max(x, 0) + log1p(exp(-|x|))``: ``maximum`` splits the gradient at the tie ``x = 0`` (and
    ``|x|`` has none there), so the derivative at 0 is 1/2. ``clamp(x, min=0)`` would pass all of
    it, and zero logits (``probs=0.5``) got wrong gradients through ``log_prob``."""
    return tg.maximum(x, tg.zeros_like(x)) + tg.log1p(tg.exp(-x.abs()))


def bernoulli_log_pmf(logits, value):
    """``value log p + (1 - value) log(1 - p)``: minus PyTorch's
    ``binary_cross_entropy_with_logits(logits, value)``, which Bernoulli and ContinuousBernoulli
    use. PyTorch computes it in place in ``1 - value``, so the result has the value's dtype (a
    float16 value gives float16) and an integer or bool value fails there, with its errors (a
    common mistake: integer labels)."""
    logits, value = broadcast_all(logits, value)
    if value.dtype == tg.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if not value.is_floating_point():
        with tg.no_grad():
            (1 - value).mul_(logits)  # raises "result type Float can't be cast to ... Long"
    # (1 - v) l - logsigmoid(l), in PyTorch's order of operations: the same rounding, so p = 0 or
    # 1 (logits of +-15.94) give -0.0000e+00 and -1.1921e-07 where PyTorch prints them
    # (logsigmoid(l) = -softplus(-l))
    return -((1 - value) * logits + softplus(-logits)).to(value.dtype)


class Distribution:
    """Abstract base. Subclasses set ``arg_constraints``, ``support`` and implement what they can
    of ``rsample``/``sample``, ``log_prob``, ``entropy``, ``cdf``, ``icdf`` and the moments."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    # names in the instance dict that ``expand`` broadcasts to the new batch shape: tensors
    # (``_expand_params``) and inner distributions (``_expand_dists``) whose leading dimensions are
    # this batch shape; whatever dimensions they have to the right of it are kept
    _expand_params = ()
    _expand_dists = ()

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=tg.Size(), event_shape=tg.Size(), validate_args=None):
        self._batch_shape = tg.Size(batch_shape)
        self._event_shape = tg.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set `arg_constraints = {{}}` "
                          "or initialize the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=2)
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # derived lazily from the parameter actually given
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                                 f"but found invalid values:\n{value}")

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=tg.Size()):
        return tg.Size(tuple(sample_shape)) + self._batch_shape + self._event_shape

    def expand(self, batch_shape, _instance=None):
        """A view of this distribution with a larger batch shape (parameters are expanded, not
        copied)."""
        if type(self).expand is Distribution.expand and not (self._expand_params or self._expand_dists):
            # a subclass with no expand of its own that declares neither (a user's own
            # distribution): its parameters are unknown here, so, as PyTorch's base class, refuse
            # rather than mislabel the batch shape (the built-in expands that call this one
            # expand what they hold themselves)
            raise NotImplementedError
        batch_shape = tg.Size(tuple(batch_shape))
        new = _instance if _instance is not None else type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        nb = len(self._batch_shape)
        for name in self._expand_params:
            if name in self.__dict__:
                v = self.__dict__[name]
                new.__dict__[name] = v.expand(tuple(batch_shape) + tuple(v.shape[nb:]))
        for name in self._expand_dists:
            inner = self.__dict__[name]
            new.__dict__[name] = inner.expand(batch_shape + inner.batch_shape[nb:])
        new._batch_shape = batch_shape
        return new

    # ------------------------------------------------------------------ abstract interface
    @property
    def arg_constraints(self):
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n):
        """``sample((n,))``, kept (with PyTorch's FutureWarning) for older code."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample(tg.Size((n,)))

    def rsample(self, sample_shape=tg.Size()):
        raise NotImplementedError

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return tg.exp(self.entropy())

    # ------------------------------------------------------------------ validation and printing
    def _validate_sample(self, value):
        if not isinstance(value, tg.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.dim() - len(self._event_shape)
        if tuple(value.shape[start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        actual, expected = value.shape, self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample validation. Please "
                          "initialize the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=2)
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, "
                             f"but found invalid values:\n{value}")

    def _check(self, value):
        """Validates ``value`` when validation is on (every ``log_prob`` starts with this)."""
        if self._validate_args:
            self._validate_sample(value)

    def __repr__(self):
        try:
            names = [p for p in self.arg_constraints if p in self.__dict__]
        except NotImplementedError:
            names = []
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {v if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


class CenteredAtLoc:
    """Mixin of the distributions symmetric and unimodal about their ``loc`` parameter, which is
    therefore both their mean and their mode (Normal, Laplace, VonMises, the multivariate normals)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
