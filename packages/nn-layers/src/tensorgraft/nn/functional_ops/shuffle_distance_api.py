"""The distance and pixel-shuffle frontends of ``nn.functional``: ``F.pairwise_distance``,
``F.cosine_similarity``, ``F.pixel_shuffle`` and ``F.pixel_unshuffle``: PyTorch's signatures and
defaults in front of the functions of ``shuffle_distance.py`` that do the work (checks, kernels,
formulas). ``F.pdist`` and ``F.channel_shuffle`` are that module's own functions.
"""
from __future__ import annotations

from tensorgraft.amp._state import state as _autocast
from tensorgraft.ops._frontend.axis_aliases import with_axis_alias

from . import shuffle_distance as _distance


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    if _autocast.on:
        x1, x2 = _autocast.fp32_cuda(x1, x2)
    return _distance.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _distance.pairwise_distance(x1, x2, p, eps, keepdim)


# PyTorch's two are its C++ bindings (torch.cosine_similarity, torch.pairwise_distance), whose argument
# parser takes axis=/keepdims= for dim=/keepdim=
cosine_similarity = with_axis_alias(cosine_similarity, "cosine_similarity")
pairwise_distance = with_axis_alias(pairwise_distance, "pairwise_distance")


def pixel_shuffle(input, upscale_factor):
    return _distance.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _distance.pixel_unshuffle(input, downscale_factor)
