"""Dropout modules.

Every class here is a thin shell: it stores ``p`` and ``inplace`` and hands the input to one
function of ``tensorgraft.nn.functional``. The shells are generated from a table below.
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


def _validated_probability(p):
    if p < 0 or p > 1:   # (PyTorch's test: a non-number fails on its '<')
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


class _DropoutNd(Module):
    """Holds the drop probability; subclasses name the functional kernel in ``_kernel``."""

    _kernel = None          # name of the functional used by ``forward``
    _forwards_inplace = True

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = _validated_probability(p)
        self.inplace = inplace

    def forward(self, input):
        fn = getattr(F, self._kernel)
        if self._forwards_inplace:
            return fn(input, self.p, self.training, self.inplace)
        # the alpha variants keep ``inplace`` only as an attribute (PyTorch does the same)
        return fn(input, self.p, self.training)

    def extra_repr(self):
        return "p={}, inplace={}".format(self.p, self.inplace)


def _declare(name, kernel, doc, forwards_inplace=True):
    return type(name, (_DropoutNd,), {
        "_kernel": kernel,
        "_forwards_inplace": forwards_inplace,
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": name,
    })


Dropout = _declare("Dropout", "dropout", "Zero each element with probability ``p``; scale survivors by 1/(1-p).")
Dropout1d = _declare("Dropout1d", "dropout1d", "Zero whole channels of a (N, C, L) or (C, L) input.")
Dropout2d = _declare("Dropout2d", "dropout2d", "Zero whole channels of a (N, C, H, W) or (C, H, W) input.")
Dropout3d = _declare("Dropout3d", "dropout3d", "Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input.")
AlphaDropout = _declare("AlphaDropout", "alpha_dropout", "Dropout that keeps SELU's self-normalising mean and variance.",
                        forwards_inplace=False)
FeatureAlphaDropout = _declare(
    "FeatureAlphaDropout", "feature_alpha_dropout",
    "Alpha dropout of whole channels (one draw per sample and channel); ``inplace`` is stored but,\n"
    "    as in PyTorch, not passed on.", forwards_inplace=False)
