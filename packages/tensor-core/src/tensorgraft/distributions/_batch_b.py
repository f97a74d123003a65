"""Temporary export list of the second batch of distributions (merged into ``__init__`` afterwards).
``LogitRelaxedBernoulli`` and ``ExpRelaxedCategorical`` are left out, as PyTorch leaves them out of
``torch.distributions`` (they are importable from their modules)."""
from . import kl_batch_b  # noqa: F401  (registers the exponential-family KL)
from .discrete import OneHotCategoricalStraightThrough
from .exp_family import ExponentialFamily
from .lkj_cholesky import LKJCholesky
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .negative_binomial import NegativeBinomial
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .transforms import (CatTransform, CorrCholeskyTransform, CumulativeDistributionTransform, IndependentTransform,
                         PositiveDefiniteTransform, ReshapeTransform, StackTransform)
from .wishart import Wishart

__all__ = [
    "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
    "ExponentialFamily", "IndependentTransform", "LKJCholesky", "LowRankMultivariateNormal",
    "MixtureSameFamily", "Multinomial", "NegativeBinomial", "OneHotCategoricalStraightThrough",
    "PositiveDefiniteTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical", "ReshapeTransform",
    "StackTransform", "Wishart",
]
