"""``ExponentialFamily``: densities of the form ``p(x) = h(x) exp(<eta, T(x)> - A(eta))``.

A subclass gives its natural parameters ``eta`` (``_natural_params``), the log normalizer ``A``
(``_log_normalizer``) and ``E[log h(X)]`` (``_mean_carrier_measure``). Because
``grad A(eta) = E[T(X)]``, the entropy ``A(eta) - <eta, grad A(eta)> - E[log h(X)]`` and the KL
divergence between two members (a Bregman divergence of ``A``) follow from ``A`` alone; the
gradient is taken by the autograd engine (with ``create_graph`` so the result stays
differentiable in the parameters). ``kl_bregman`` is registered for every pair of members in
``kl_exponential_family.py`` (registering here would import ``kl`` while ``discrete`` is still loading).
"""
import tensorgraft as tg

from .distribution import Distribution, sum_rightmost

__all__ = ["ExponentialFamily"]


def _log_normalizer_and_grads(dist):
    """``A(eta)`` and ``grad A(eta)`` at ``dist``'s natural parameters, differentiable in them."""
    import tensorgraft.autograd  # noqa: F401  (the engine is a separate distribution: name it if missing)

    with tg.enable_grad():
        # a parameter already in a graph is used as is, so the result stays differentiable in it
        params = [p if p.requires_grad else p.detach().requires_grad_() for p in dist._natural_params]
        value = dist._log_normalizer(*params)
        grads = tg.autograd.grad(value.sum(), params, create_graph=True)
    return params, value, grads


class ExponentialFamily(Distribution):
    """Base class of exponential-family distributions (entropy and KL through ``A``)."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        params, value, grads = _log_normalizer_and_grads(self)
        result = result + value
        for eta, grad in zip(params, grads):
            result = result - sum_rightmost(eta * grad, eta.dim() - len(self._batch_shape))
        return result


def kl_bregman(p, q):
    """KL(p || q) = A(eta_q) - A(eta_p) - <eta_q - eta_p, grad A(eta_p)> for two members of the same
    family."""
    if type(p) is not type(q):
        # (PyTorch's message has the run of spaces inside)
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot"
                                  + " " * 29 + "be computed using Bregman divergences")
    params_p, a_p, grads = _log_normalizer_and_grads(p)
    a_q = q._log_normalizer(*q._natural_params)
    result = a_q - a_p
    for eta_p, eta_q, grad in zip(params_p, q._natural_params, grads):
        result = result - sum_rightmost((eta_q - eta_p) * grad, eta_p.dim() - len(p.batch_shape))
    return result
