"""``RelaxedOneHotCategorical`` (the Concrete / Gumbel-softmax distribution, Maddison et al. 2017;
Jang et al. 2017) and ``ExpRelaxedCategorical``, its logarithm, on which the density is stable.
A sample is ``softmax((logits + Gumbel noise) / temperature)``: reparameterized."""
import math

import tensorgraft as tg

from . import constraints
from .discrete import Categorical, _CategoricalParams
from .distribution import Distribution, broadcast_all, clamp_probs
from .relaxed_bernoulli import RelaxedParams
from .transformed import TransformedDistribution
from .transforms import ExpTransform

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_CategoricalParams, Distribution):
    """``log_softmax((logits + G) / temperature)`` with ``G`` i.i.d. standard Gumbel."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        logits = self.logits
        u = clamp_probs(tg.rand(shape, dtype=logits.dtype, device=logits.device))
        scores = (logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        self._check(value)
        k = self._event_shape[0]
        logits, value = broadcast_all(self.logits, value)
        t = tg.as_tensor(self.temperature, dtype=logits.dtype, device=logits.device)
        # log Gamma(K) + (K - 1) log T + sum_i (s_i - logsumexp(s)), with s = logits - T * value
        log_scale = math.lgamma(k) + (k - 1) * t.log()
        score = logits - value * t
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(RelaxedParams, TransformedDistribution):
    """``exp`` of an ``ExpRelaxedCategorical``: points of the simplex that approach one-hot vectors
    as ``temperature`` goes to 0."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        # the base validates as this one does (PyTorch passes validate_args on here, though not in
        # RelaxedBernoulli): with validation off, a value off the simplex gets a NaN, not an error
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
