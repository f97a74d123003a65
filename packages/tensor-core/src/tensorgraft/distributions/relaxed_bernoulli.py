"""``RelaxedBernoulli`` (the binary Concrete / Gumbel-softmax distribution, Maddison et al. 2017)
and ``LogitRelaxedBernoulli``, the same variable before the sigmoid. Both are reparameterized:
a sample is a differentiable function of the logits and one uniform draw."""
import tensorgraft as tg

from . import constraints
from .discrete import _ProbsOrLogitsParam
from .distribution import Distribution, broadcast_all, clamp_probs, softplus
from .transformed import TransformedDistribution
from .transforms import SigmoidTransform

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_ProbsOrLogitsParam, Distribution):
    """``(logits + logistic noise) / temperature``: a Logistic variable with location
    ``logits / temperature`` and scale ``1 / temperature``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    _expand_params = ("probs", "logits")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        param = self._set_probs_or_logits(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        logits = self.logits
        u = clamp_probs(tg.rand(shape, dtype=logits.dtype, device=logits.device))
        return (u.log() - (-u).log1p() + logits) / self.temperature

    def log_prob(self, value):
        self._check(value)
        logits, value = broadcast_all(self.logits, value)
        # logistic density of T * value around logits, times the Jacobian T
        diff = logits - value * self.temperature
        return tg.log(tg.as_tensor(self.temperature, dtype=diff.dtype, device=diff.device)) + diff - 2 * softplus(diff)


class RelaxedParams:
    """``temperature``, ``logits`` and ``probs`` of a relaxed distribution, read from its base
    (RelaxedBernoulli, RelaxedOneHotCategorical)."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedParams, TransformedDistribution):
    """``sigmoid`` of a ``LogitRelaxedBernoulli``: values in ``(0, 1)`` that approach Bernoulli
    draws as ``temperature`` goes to 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)
