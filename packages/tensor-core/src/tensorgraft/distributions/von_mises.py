"""``VonMises``, the circular normal distribution (PyTorch's ``von_mises`` module)."""
import math

import tensorgraft as tg

from . import constraints
from .distribution import CenteredAtLoc, Distribution, broadcast_all

__all__ = ["VonMises"]


def _log_i0(x):
    """``log I0(x)`` through the exponentially scaled Bessel function (no overflow for large x)."""
    return tg.special.i0e(x).log() + x


def _bessel_ratio(x):
    """``I1(x) / I0(x)``; the exponential scalings cancel."""
    return tg.special.i1e(x) / tg.special.i0e(x)


def _proposal_r(kappa):
    """Wrapped-Cauchy proposal parameter ``r = (1 + rho^2) / (2 rho)`` of Best & Fisher (1979).

    Their ``rho = (tau - sqrt(2 tau)) / (2 kappa)`` with ``tau = 1 + sqrt(1 + 4 kappa^2)`` cancels
    catastrophically for small ``kappa``; multiplying through by the conjugates gives the
    equivalent ``rho = 2 kappa tau / ((s + 1)(tau + sqrt(2 tau)))`` with ``s = sqrt(1 + 4 kappa^2)``,
    which stays accurate down to the smallest ``kappa``.
    """
    s = tg.sqrt(1 + 4 * kappa.pow(2))
    tau = 1 + s
    rho = 2 * kappa * tau / ((s + 1) * (tau + tg.sqrt(2 * tau)))
    return (1 + rho.pow(2)) / (2 * rho)


class VonMises(CenteredAtLoc, Distribution):
    """Density ``exp(kappa cos(x - loc)) / (2 pi I0(kappa))`` on the circle. ``log_prob`` accepts
    any real angle (it is periodic); samples are wrapped into ``[-pi, pi)``.

    Sampling is Best & Fisher's rejection algorithm with a wrapped-Cauchy envelope, in float64
    (the acceptance test is sensitive to rounding at large ``kappa``), then cast back. There is no
    reparameterized sampler, as in PyTorch.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    _expand_params = ("loc", "concentration")

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def variance(self):
        # circular variance 1 - |E[exp(i X)]| = 1 - I1(kappa) / I0(kappa)
        return 1 - _bessel_ratio(self.concentration)

    def log_prob(self, value):
        self._check(value)
        kappa = self.concentration
        return kappa * tg.cos(value - self.loc) - math.log(2 * math.pi) - _log_i0(kappa)

    def sample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        with tg.no_grad():
            kappa = self.concentration.double().expand(shape)
            r = _proposal_r(kappa)
            angle = tg.zeros(shape, dtype=tg.float64, device=kappa.device)
            done = tg.zeros(shape, dtype=tg.bool, device=kappa.device)
            while not bool(done.all().item()):
                u1, u2, u3 = (tg.rand(shape, dtype=tg.float64, device=kappa.device) for _ in range(3))
                z = tg.cos(math.pi * u1)
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                # the cheap squeeze test first, the exact log test for the rest
                accept = (c * (2 - c) - u2 > 0) | (tg.log(c / u2) + 1 - c >= 0)
                theta = tg.sign(u3 - 0.5) * tg.acos(f.clamp(-1, 1))
                # every accepted draw is written, also over an element accepted in an earlier
                # round (each is a draw from the law), as PyTorch does: seeded samples match its
                angle = tg.where(accept, theta, angle)
                done = done | accept
            wrapped = tg.remainder(angle + math.pi + self.loc.double(), 2 * math.pi) - math.pi
            return wrapped.to(self.loc.dtype)
