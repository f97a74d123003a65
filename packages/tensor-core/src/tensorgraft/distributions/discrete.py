"""Discrete distributions. Those with a probability parameter accept ``probs`` or ``logits``
(exactly one); the other is derived lazily. Log-masses are written in terms of ``logits`` where
that avoids ``log(0)``."""
import math

import tensorgraft as tg

from . import _sampling, constraints
from .distribution import (Distribution, bernoulli_log_pmf, broadcast_all, clamp_probs, lazy_property,
                           logits_to_probs, probs_to_logits, softplus)
from .exp_family import ExponentialFamily

__all__ = ["Bernoulli", "Binomial", "Categorical", "Geometric", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "Poisson"]

_EITHER = "Either `probs` or `logits` must be specified, but not both."


def _check_one(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(_EITHER)


class _SuccessProbability:
    """``probs`` and ``logits`` of a success probability: whichever was not given is derived on
    first use (Bernoulli, Binomial, Geometric, NegativeBinomial, ContinuousBernoulli,
    LogitRelaxedBernoulli)."""

    def _set_probs_or_logits(self, probs, logits, total_count=None):
        """Stores the one of ``probs`` and ``logits`` given (exactly one must be) and returns it; a
        ``total_count`` (Binomial, NegativeBinomial) is broadcast with it and stored in its dtype."""
        _check_one(probs, logits)
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is None:
            (param,) = broadcast_all(given)
        else:
            total_count, param = broadcast_all(total_count, given)
            self.total_count = total_count.type_as(param)
        setattr(self, name, param)
        return param

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


class _GivenParam:
    """``_param``, the one of ``probs`` and ``logits`` given, and ``param_shape``, its shape."""

    @property
    def _param(self):
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]

    @property
    def param_shape(self):
        return self._param.shape


class _ProbsOrLogitsParam(_SuccessProbability, _GivenParam):
    """A success probability and the parameter given (Bernoulli, Binomial and the like)."""


class Bernoulli(_ProbsOrLogitsParam, ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _expand_params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        return tg.where(p == 0.5, tg.full_like(p, math.nan), (p >= 0.5).to(p.dtype))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        with tg.no_grad():
            # reshaped: torch.bernoulli of a 0-d tensor must stay 0-d (core's CPU path gives
            # shape (1,)), so a scalar Bernoulli's sample() is 0-d as in PyTorch
            return tg.bernoulli(self.probs.expand(shape)).reshape(shape)

    def log_prob(self, value):
        self._check(value)
        return bernoulli_log_pmf(self.logits, value)

    def entropy(self):
        p, logits = tg.broadcast_tensors(self.probs, self.logits)
        return (1 - p) * logits + softplus(-logits)  # the same cross-entropy, of p with itself

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        return softplus(x)

    @property
    def _mean_carrier_measure(self):
        return 0

    def enumerate_support(self, expand=True):
        values = tg.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Categorical(_GivenParam, Distribution):
    """Index ``k`` with probability ``probs[..., k]`` (``probs`` is normalized along the last
    dimension, ``logits`` shifted to log-probabilities)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _expand_params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_one(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            param = self.logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return tg.full(self._extended_shape(), math.nan, dtype=self._param.dtype, device=self._param.device)

    variance = mean

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def sample(self, sample_shape=tg.Size()):
        sample_shape = tg.Size(tuple(sample_shape))
        with tg.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            # an empty sample_shape draws nothing and fails there, as in PyTorch ("cannot sample
            # n_sample <= 0 samples"; so does Multinomial(total_count=0))
            draws = tg.multinomial(probs_2d, sample_shape.numel(), True).T
            return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        self._check(value)
        index = value.long().unsqueeze(-1)
        index, log_pmf = tg.broadcast_tensors(index, self.logits)
        return log_pmf.gather(-1, index[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=tg.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = tg.arange(self._num_events, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class _CategoricalParams(_GivenParam):
    """``probs``, ``logits`` and the parameter given, read from the ``Categorical`` kept in
    ``self._categorical`` (expanded along with the distribution): OneHotCategorical,
    Multinomial and ExpRelaxedCategorical are built on one."""

    _expand_dists = ("_categorical",)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits


class OneHotCategorical(_CategoricalParams, Distribution):
    """A ``Categorical`` whose samples are one-hot vectors (event shape ``(K,)``)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        param = self._categorical._param
        super().__init__(self._categorical.batch_shape, param.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        k = self._categorical._num_events
        return (self.probs.argmax(-1).unsqueeze(-1) == tg.arange(k, device=self.probs.device)).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=tg.Size()):
        index = self._categorical.sample(sample_shape)
        k = self._categorical._num_events
        return (index.unsqueeze(-1) == tg.arange(k, device=index.device)).to(self.probs.dtype)

    def log_prob(self, value):
        self._check(value)
        # max, not argmax, as in PyTorch: a bool one-hot value works too
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        k = self._event_shape[0]
        values = tg.eye(k, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((k,) + (1,) * len(self._batch_shape) + (k,))
        return values.expand((k,) + tuple(self._batch_shape) + (k,)) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """``OneHotCategorical`` whose ``rsample`` passes gradients straight through (Bengio et al.,
    2013): the value is the one-hot sample, the gradient that of ``probs``."""

    has_rsample = True

    def rsample(self, sample_shape=tg.Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs  # cached, so the gradient reaches the given parameter
        return samples + (probs - probs.detach())


class Poisson(ExponentialFamily):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _expand_params = ("rate",)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            return _sampling.poisson(self.rate.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        self._check(value)
        rate, value = broadcast_all(self.rate, value)
        return tg.xlogy(value, rate) - rate - tg.lgamma(value + 1)

    @property
    def _natural_params(self):
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()


class Binomial(_ProbsOrLogitsParam, Distribution):
    """Successes in ``total_count`` independent trials of probability ``probs``."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True
    _expand_params = ("total_count", "probs", "logits")

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits(probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        with tg.no_grad():
            return _sampling.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        self._check(value)
        n, logits = self.total_count, self.logits
        log_choose = tg.lgamma(n + 1) - tg.lgamma(value + 1) - tg.lgamma(n - value + 1)
        # k log p + (n - k) log(1 - p) = k * logits - n * softplus(logits)
        return log_choose + value * logits - n * softplus(logits)

    def entropy(self):
        n = int(self.total_count.max().item())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        lp = self.log_prob(self.enumerate_support(False))
        return -(lp.exp() * lp).sum(0)

    def enumerate_support(self, expand=True):
        n = int(self.total_count.max().item())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = tg.arange(1 + n, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Geometric(_SuccessProbability, Distribution):
    """Number of failures before the first success."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    _expand_params = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_probs_or_logits(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            # a success probability of 0 never stops: PyTorch checks it after the unit interval,
            # and shows only the offending entries
            invalid = self.probs == 0
            if bool(invalid.any()):
                value = self.probs
                raise ValueError(f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to be positive but found invalid values:\n"
                                 f"{value[invalid]}")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return tg.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        with tg.no_grad():
            p = self.probs
            u = tg.rand(shape, dtype=p.dtype, device=p.device).clamp(min=tg.finfo(p.dtype).tiny)
            return (u.log() / tg.log1p(-p)).floor()

    def log_prob(self, value):
        self._check(value)
        value, p = broadcast_all(value, self.probs)
        # value * log(1 - p) with 0 * log(0) = 0 when p == 1
        failures = tg.where((p == 1) & (value == 0), tg.zeros_like(p), value * tg.log1p(-p))
        return failures + p.log()

    def entropy(self):
        p = clamp_probs(self.probs)
        return -(p * p.log() + (1 - p) * tg.log1p(-p)) / p
