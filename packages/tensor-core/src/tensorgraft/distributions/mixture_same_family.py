"""``MixtureSameFamily``: a finite mixture whose components are the rightmost batch dimension of
one distribution (``component_distribution``), weighted by a ``Categorical``."""
import tensorgraft as tg

from . import constraints
from .discrete import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """``K`` components: ``mixture_distribution`` has ``K`` categories and
    ``component_distribution.batch_shape[-1] == K``; the mixture's batch shape is the components'
    without that last dimension. Not reparameterized (the component index is discrete)."""

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of torch.distributions.Distribution")
        mix_batch = mixture_distribution.batch_shape
        comp_batch = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mix_batch), reversed(comp_batch)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape`({comp_batch})")
        k_mix = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k_mix != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k_mix}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k_mix
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tg.Size(tuple(batch_shape))
        new = super().expand(batch_shape, _instance)
        new._component_distribution = self._component_distribution.expand(batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        return new

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _weights(self):
        """Mixture probabilities shaped to broadcast against a component quantity
        ``(..., K, *event_shape)``."""
        probs = self._mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    def _component_dim(self):
        return -1 - self._event_ndims

    @property
    def mean(self):
        return (self._weights() * self._component_distribution.mean).sum(self._component_dim())

    @property
    def variance(self):
        # law of total variance: E[Var(X | k)] + Var(E[X | k])
        w, comp, dim = self._weights(), self._component_distribution, self._component_dim()
        expected_variance = (w * comp.variance).sum(dim)
        spread = (w * (comp.mean - self.mean.unsqueeze(dim)).pow(2)).sum(dim)
        return expected_variance + spread

    def _with_component_dim(self, x):
        return x.unsqueeze(x.dim() - self._event_ndims)

    def cdf(self, x):
        cdf_x = self._component_distribution.cdf(self._with_component_dim(x))
        return (cdf_x * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        self._check(x)
        log_prob_x = self._component_distribution.log_prob(self._with_component_dim(x))
        log_mix = tg.log_softmax(self._mixture_distribution.logits, -1)
        return (log_prob_x + log_mix).logsumexp(-1)

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            sample_shape = tg.Size(tuple(sample_shape))
            mixture = self._mixture_distribution
            if mixture.batch_shape != self._batch_shape:
                # a broadcast mixture still draws one index per batch element
                mixture = mixture.expand(self._batch_shape)
            index = mixture.sample(sample_shape)  # sample_shape + batch_shape
            draws = self._component_distribution.sample(sample_shape)  # ... + (K,) + event_shape
            index = index.reshape(tuple(index.shape) + (1,) * (self._event_ndims + 1))
            index = index.expand(tuple(sample_shape) + tuple(self._batch_shape) + (1,) + tuple(self._event_shape))
            return draws.gather(self._component_dim(), index).squeeze(self._component_dim())

    def __repr__(self):
        return f"{type(self).__name__}(\n  {self._mixture_distribution!r},\n  {self._component_distribution!r})"
