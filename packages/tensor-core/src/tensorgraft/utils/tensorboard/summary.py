"""``tensorgraft.utils.tensorboard.summary``: the builders behind ``SummaryWriter``'s ``add_*``
methods, each returning one ``Summary`` record, under PyTorch's names (its tutorials import
``hparams`` and ``scalar`` from here). They live by kind in ``_scalars.py`` (numbers, text,
layouts), ``_media.py`` (images, video, audio, meshes) and ``_pr_curve.py``; this module only
gathers them. Importing it needs neither Pillow nor matplotlib: those load when an image is built.
"""
from ._media import (audio, draw_boxes, image, image_boxes, make_image, make_video, mesh,
                     video)
from ._pr_curve import compute_curve, pr_curve, pr_curve_raw
from ._scalars import (custom_scalars, half_to_int, histogram, histogram_raw, hparams, int_to_half, make_histogram,
                       scalar, tensor_proto, text)

__all__ = ["half_to_int", "int_to_half", "hparams", "scalar", "histogram_raw", "histogram", "make_histogram", "image",
           "image_boxes", "draw_boxes", "make_image", "video", "make_video", "audio", "custom_scalars", "text",
           "tensor_proto", "pr_curve_raw", "pr_curve", "compute_curve", "mesh"]
