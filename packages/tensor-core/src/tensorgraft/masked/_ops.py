"""``tensorgraft.masked._ops`` (``torch.masked._ops``): PyTorch's private module that defines the
masked reductions and normalizations. PyTorch's own docstrings call them through it
(``torch.masked._ops.sum(input, 1, mask=mask)``), so programs copied from them do too; here it
re-exports the functions of ``reductions`` and ``normalizations`` (the same objects as
``tensorgraft.masked.sum``...) and the helpers PyTorch keeps in it under their private names.
"""
from __future__ import annotations

from .masking import (canonical_dim as _canonical_dim, combine_input_and_mask as _combine_input_and_mask,  # noqa: F401
                      input_mask as _input_mask, is_masked_tensor, output_mask as _output_mask,
                      reduction_identity as _reduction_identity, where as _where)
from .normalizations import log_softmax, normalize, softmax, softmin  # noqa: F401
from .reductions import (amax, amin, argmax, argmin, cumprod, cumsum, logaddexp, logsumexp, mean, median,  # noqa: F401
                         norm, prod, std, sum, var)
from .reductions import _std_var  # noqa: F401


def __getattr__(name):
    # MaskedTensor and its constructors, as PyTorch's _ops imports them, loaded on first use (see
    # the package's __init__: defining the Tensor subclass turns on __torch_function__ dispatch)
    if name in ("MaskedTensor", "as_masked_tensor"):
        from . import maskedtensor
        value = getattr(maskedtensor, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
