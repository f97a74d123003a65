"""``replace_all_batch_norm_modules_``: the "patching batch norm" step of the per-sample-gradient
and ensembling recipes. A batch norm that updates running statistics writes to its buffers on
every call, which a function transform cannot map over; with the statistics removed the layer
always normalizes with the batch's own statistics, in training and in eval mode alike.
The modules are tensorgraft-nn's (imported on call, so this distribution does not need nn)."""
from __future__ import annotations

__all__ = ["replace_all_batch_norm_modules_"]


def replace_all_batch_norm_modules_(root):
    """In place, for every batch norm module in ``root`` (BatchNorm1d/2d/3d, their lazy forms and
    SyncBatchNorm; instance norms are left alone): drop ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` (the buffers stay registered as None, so ``state_dict`` no longer
    lists them) and set ``track_running_stats = False``. Returns ``root``."""
    from tensorgraft.nn.modules.batchnorm import _BatchNorm
    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
