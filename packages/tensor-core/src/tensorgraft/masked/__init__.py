"""``tensorgraft.masked`` (``torch.masked``): reductions and normalizations that skip masked-out
elements, and the ``MaskedTensor`` that carries its mask with it.

- ``masking.py``: what every masked operation shares (canonical dims and mask, identity values).
- ``reductions.py``: sum, prod, cumsum, cumprod, amax, amin, argmax, argmin, mean, median,
  logsumexp, logaddexp, norm, var, std.
- ``normalizations.py``: softmax, log_softmax, softmin, normalize.
- ``_ops.py``: the functions again under PyTorch's private module name (``torch.masked._ops.sum``).
- ``maskedtensor.py``: ``MaskedTensor``, ``masked_tensor``, ``as_masked_tensor``. Loaded on first
  use of one of those names: defining a Tensor subclass turns on ``__torch_function__`` dispatch
  for the process, which programs that only call the masked functions need not pay for.

They are plain functions over tensorgraft ops (no registry ops of their own), so they work on every
device the ops do and differentiate through ``where`` wherever the autograd engine is installed.
"""
from __future__ import annotations

from .masking import (canonical_dim as _canonical_dim, combine_input_and_mask as _combine_input_and_mask,
                      input_mask as _input_mask, is_masked_tensor, output_mask as _output_mask,
                      reduction_identity as _reduction_identity, where as _where)
from .normalizations import log_softmax, normalize, softmax, softmin
from .reductions import (amax, amin, argmax, argmin, cumprod, cumsum, logaddexp, logsumexp, mean, median, norm,
                         prod, std, sum, var)
from . import _ops  # noqa: E402,F401  (PyTorch's private module of these functions, which its docs call)

__all__ = ["amax", "amin", "argmax", "argmin", "as_masked_tensor", "cumprod", "cumsum", "is_masked_tensor",
           "log_softmax", "logaddexp", "logsumexp", "masked_tensor", "MaskedTensor", "mean", "median", "norm",
           "normalize", "prod", "softmax", "softmin", "std", "sum", "var"]

_FROM_MASKEDTENSOR = frozenset({"MaskedTensor", "masked_tensor", "as_masked_tensor"})


def __getattr__(name):
    if name in _FROM_MASKEDTENSOR:
        import importlib
        value = getattr(importlib.import_module(f"{__name__}.maskedtensor"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _FROM_MASKEDTENSOR)
