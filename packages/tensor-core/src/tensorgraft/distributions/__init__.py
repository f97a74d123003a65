"""``tensorgraft.distributions``: probability distributions with PyTorch's interface, written on
tensorgraft ops so they run on every device and differentiate through parameters.

Layout: ``distribution.py`` (the base class and shared helpers), ``constraints.py``,
``transforms.py``, ``continuous.py``, ``discrete.py``, ``multivariate.py``, ``transformed.py``
(``Independent``, ``TransformedDistribution``, ``LogNormal``) and ``kl.py``; ``_sampling.py``
holds the samplers core lacks. The small modules named after one distribution (``normal.py``...)
only mirror PyTorch's import paths.

Newer distributions live in a module of their own, named as PyTorch names it:
``half_normal.py``, ``half_cauchy.py``, ``gumbel.py``, ``weibull.py``, ``pareto.py``,
``generalized_pareto.py``, ``inverse_gamma.py``, ``kumaraswamy.py``, ``fishersnedecor.py``,
``continuous_bernoulli.py``, ``von_mises.py``, ``logistic_normal.py``, ``negative_binomial.py``,
``multinomial.py``, ``lowrank_multivariate_normal.py``, ``relaxed_bernoulli.py``,
``relaxed_categorical.py``, ``mixture_same_family.py``, ``wishart.py`` and ``lkj_cholesky.py``; most
closed-form KL divergences are in ``kl.py`` (the low-rank normal's and Wishart's beside their class).
``exp_family.py`` is the ``ExponentialFamily`` base (entropy and KL from the log normalizer, the
latter registered in ``kl_exponential_family.py``); ``structured_transforms.py`` and ``matrix_transforms.py``
hold the transforms that combine others or act on matrices.

Every module is also reachable as an attribute (``tensorgraft.distributions.normal.Normal``, as
with ``torch.distributions.normal.Normal``): the ones not imported below are imported on first
access by the module ``__getattr__``.
"""
import importlib
import importlib.util

from . import constraints, transforms
from .distribution import Distribution
from .continuous import Beta, Cauchy, Chi2, Exponential, Gamma, Laplace, Normal, StudentT, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .multivariate import Dirichlet, MultivariateNormal
from .transformed import Independent, LogNormal, TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, LowerCholeskyTransform,
                         PowerTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                         StickBreakingTransform, TanhTransform, Transform, identity_transform)
from .constraint_registry import biject_to, transform_to
# one module per distribution: folded at zero, heavy or extreme-value tails, on [0, 1], the rest
from .half_normal import HalfNormal
from .half_cauchy import HalfCauchy
from .pareto import Pareto
from .generalized_pareto import GeneralizedPareto
from .gumbel import Gumbel
from .weibull import Weibull
from .inverse_gamma import InverseGamma
from .kumaraswamy import Kumaraswamy
from .continuous_bernoulli import ContinuousBernoulli
from .fishersnedecor import FisherSnedecor
from .von_mises import VonMises
from .logistic_normal import LogisticNormal
from .negative_binomial import NegativeBinomial
from .multinomial import Multinomial
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .mixture_same_family import MixtureSameFamily
from .wishart import Wishart
from .lkj_cholesky import LKJCholesky
from .discrete import OneHotCategoricalStraightThrough
from .exp_family import ExponentialFamily
from .transforms import (CatTransform, CorrCholeskyTransform, CumulativeDistributionTransform,  # noqa: E402
                         IndependentTransform, PositiveDefiniteTransform, ReshapeTransform, StackTransform)
from . import kl_exponential_family  # noqa: F401  (registers the exponential-family KL)
# last: the KL table refers to the classes above
from .kl import kl_divergence, register_kl

# Classes defined together in a shared module report PyTorch's module path (``<class
# 'tensorgraft.distributions.normal.Normal'>`` in reprs and in "does not implement" errors); each
# such path is a real module here that re-exports the class, so pickling finds it there too.
_PYTORCH_MODULE = {
    "normal": ["Normal"], "uniform": ["Uniform"], "exponential": ["Exponential"], "laplace": ["Laplace"],
    "cauchy": ["Cauchy"], "gamma": ["Gamma"], "chi2": ["Chi2"], "beta": ["Beta"], "studentT": ["StudentT"],
    "bernoulli": ["Bernoulli"], "binomial": ["Binomial"], "categorical": ["Categorical"], "geometric": ["Geometric"],
    "poisson": ["Poisson"], "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "dirichlet": ["Dirichlet"], "multivariate_normal": ["MultivariateNormal"], "independent": ["Independent"],
    "transformed_distribution": ["TransformedDistribution"], "log_normal": ["LogNormal"],
    "transforms": ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "IndependentTransform",
                   "PositiveDefiniteTransform", "ReshapeTransform", "StackTransform"],
}
for _module, _names in _PYTORCH_MODULE.items():
    for _name in _names:
        globals()[_name].__module__ = f"{__name__}.{_module}"
del _module, _names, _name

__all__ = (
    # the base class and the constraint machinery
    ["Distribution", "ExponentialFamily", "constraints", "transforms", "biject_to", "transform_to"]
    +
    # transforms
    ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "LowerCholeskyTransform",
     "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform",
     "TanhTransform", "Transform", "identity_transform", "CatTransform", "CorrCholeskyTransform",
     "CumulativeDistributionTransform", "IndependentTransform", "PositiveDefiniteTransform", "ReshapeTransform",
     "StackTransform"]
    +
    # continuous
    ["Beta", "Cauchy", "Chi2", "Exponential", "Gamma", "Laplace", "LogNormal", "Normal", "StudentT", "Uniform"]
    +
    # discrete
    ["Bernoulli", "Binomial", "Categorical", "Geometric", "OneHotCategorical", "Poisson"]
    +
    # multivariate and built from others
    ["Dirichlet", "MultivariateNormal", "Independent", "TransformedDistribution"]
    +
    # one module each
    ["ContinuousBernoulli", "FisherSnedecor", "GeneralizedPareto", "Gumbel", "HalfCauchy", "HalfNormal",
     "InverseGamma", "Kumaraswamy", "LogisticNormal", "Pareto", "VonMises", "Weibull", "LKJCholesky",
     "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial", "NegativeBinomial",
     "OneHotCategoricalStraightThrough", "RelaxedBernoulli", "RelaxedOneHotCategorical", "Wishart"]
    +
    # divergences
    ["kl_divergence", "register_kl"]
)


def __getattr__(name):
    """Imports a per-distribution module (``normal``, ``half_normal``...) on first attribute access,
    so PyTorch's module paths work without importing every module up front."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

