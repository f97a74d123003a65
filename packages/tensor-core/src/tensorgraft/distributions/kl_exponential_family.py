"""KL divergences registered for the second batch of distributions that have no module of their
own to live in: any two members of one exponential family (a Bregman divergence of the log
normalizer, see ``exp_family``). ``OneHotCategoricalStraightThrough`` needs no entry: the lookup
finds ``OneHotCategorical``'s formula through the subclass. Low-rank Gaussians and Wishart register
theirs in their own modules."""
from .exp_family import ExponentialFamily, kl_bregman
from .kl import register_kl

__all__: list = []

register_kl(ExponentialFamily, ExponentialFamily)(kl_bregman)
