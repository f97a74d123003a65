"""``tensorgraft.distributions``: probability distributions with PyTorch's interface, written on
tensorgraft ops so they run on every device and differentiate through parameters.

Layout: ``distribution.py`` (the base class and shared helpers), ``constraints.py``,
``transforms.py``, ``continuous.py``, ``discrete.py``, ``multivariate.py``, ``transformed.py``
(``Independent``, ``TransformedDistribution``, ``LogNormal``) and ``kl.py``; ``_sampling.py``
holds the samplers core lacks. The small modules named after one distribution (``normal.py``...)
only mirror PyTorch's import paths.
"""
from . import constraints, transforms
from .continuous import Beta, Cauchy, Chi2, Exponential, Gamma, Laplace, Normal, StudentT, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Dirichlet, MultivariateNormal
from .transformed import Independent, LogNormal, TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, LowerCholeskyTransform,
                         PowerTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                         StickBreakingTransform, TanhTransform, Transform, biject_to, identity_transform,
                         transform_to)

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
    "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential", "Gamma", "Geometric",
    "Independent", "Laplace", "LogNormal", "LowerCholeskyTransform", "MultivariateNormal", "Normal",
    "OneHotCategorical", "Poisson", "PowerTransform", "SigmoidTransform", "SoftmaxTransform",
    "SoftplusTransform", "StickBreakingTransform", "StudentT", "TanhTransform", "Transform",
    "TransformedDistribution", "Uniform", "biject_to", "constraints", "identity_transform", "kl_divergence",
    "register_kl", "transform_to", "transforms",
]

# Temporary: the second batch of distributions exports through this module until merged above.
from ._batch_b import *  # noqa: E402,F401,F403
from ._batch_b import __all__ as _batch_b_all  # noqa: E402

__all__ += _batch_b_all
