"""PyTorch's ``torch.nn.modules.batchnorm`` path: the batch norms and their (private) bases, for code that
imports them from there (``from torch.nn.modules.batchnorm import _BatchNorm``). They live in ``normalization``;
``SyncBatchNorm`` lives here."""
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, _LazyNormBase  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _NormBase  # noqa: F401

__all__ = ["BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d", "LazyBatchNorm3d",
           "SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose statistics are meant to be reduced across the processes of ``process_group``.

    tensorgraft runs in one process (there is no ``torch.distributed`` group to join), which is the
    case PyTorch's own module handles by normalising with the local batch: so this one does, over
    any input of at least two dims, and code written for multi-GPU training (models converted with
    ``convert_sync_batchnorm``) builds, trains and saves the same state dict."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every batch norm in it replaced by a ``SyncBatchNorm`` sharing its
        parameters and running statistics (the very tensors) and its train/eval mode. A batch
        norm given itself comes back as a new module; anything else is changed in place."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group, bias=module.bias is not None)
            if module.affine:
                converted.weight = module.weight
                if module.bias is not None:
                    converted.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(converted, name, getattr(module, name))
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return converted
