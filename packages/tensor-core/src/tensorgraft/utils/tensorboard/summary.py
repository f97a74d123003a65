"""``tensorgraft.utils.tensorboard.summary``: the builders behind ``SummaryWriter``'s ``add_*``
methods, each returning one ``Summary`` record, under PyTorch's names (its tutorials import
``hparams`` and ``scalar`` from here). They live by kind in ``_scalars.py``, ``_media.py`` and
``_pr_curve.py``; this module only gathers them.
"""
from ._scalars import (custom_scalars, half_to_int, histogram, histogram_raw, hparams, int_to_half, make_histogram,
                       scalar, tensor_proto, text)

__all__ = ["half_to_int", "int_to_half", "hparams", "scalar", "histogram_raw", "histogram", "make_histogram",
           "custom_scalars", "text", "tensor_proto"]
