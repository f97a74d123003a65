"""``Multinomial``: counts of each of ``K`` categories in ``total_count`` independent draws."""
import tensorgraft as tg

from . import constraints
from .discrete import Binomial, Categorical, _CategoricalParams
from .distribution import Distribution, broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_CategoricalParams, Distribution):
    """Event shape ``(K,)``; ``probs`` (normalized along the last dimension) or ``logits``. Only
    ``log_prob`` works for any ``total_count``: ``sample`` and ``entropy`` need the one given."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    _expand_dists = ("_categorical", "_binomial")  # the Binomial's batch shape ends in the K categories

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self._categorical = Categorical(probs, logits)
        self.total_count = total_count
        # the count of one category is Binomial(total_count, p_k): entropy sums over its support
        self._binomial = Binomial(total_count, self._categorical.probs)
        param = self._categorical._param
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args=validate_args)

    @constraints.dependent_property(event_dim=1, is_discrete=True)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=tg.Size()):
        sample_shape = tg.Size(tuple(sample_shape))
        k = self._event_shape[0]
        with tg.no_grad():
            draws = self._categorical.sample(tg.Size((self.total_count,)) + sample_shape)
            one_hot = draws.unsqueeze(-1) == tg.arange(k, device=draws.device)
            counts = one_hot.to(self.probs.dtype).sum(0)
        return counts.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        self._check(value)
        logits, value = broadcast_all(self.logits, value)
        # a category of probability 0 that was never drawn contributes 0, not 0 * -inf
        logits = tg.where((value == 0) & (logits == -float("inf")), tg.zeros_like(logits), logits)
        log_factorial_n = tg.lgamma(value.sum(-1) + 1)
        log_factorial_xs = tg.lgamma(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        n = tg.tensor(float(self.total_count), dtype=self.probs.dtype, device=self.probs.device)
        # H = n H(Categorical) - log n! + sum_k E[log x_k!], x_k ~ Binomial(n, p_k)
        support = self._binomial.enumerate_support(False)
        weights = tg.lgamma(support + 1)
        expected = (self._binomial.log_prob(support).exp() * weights).sum(0).sum(-1)
        return n * self._categorical.entropy() - tg.lgamma(n + 1) + expected
