"""PyTorch's ``torch.nn.modules.batchnorm`` path: the batch norms and their (private) bases, for code that
imports them from there (``from torch.nn.modules.batchnorm import _BatchNorm``). They live in ``normalization``;
``SyncBatchNorm`` lives in ``sync_batchnorm``."""
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, _LazyNormBase  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _NormBase  # noqa: F401
from .sync_batchnorm import SyncBatchNorm  # noqa: F401

__all__ = ["BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d", "LazyBatchNorm3d",
           "SyncBatchNorm"]
