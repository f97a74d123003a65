"""Masked normalizations (``torch.masked.softmax, log_softmax, softmin, normalize``): one value
per element. Masked-out elements enter softmax as -inf (softmin as +inf), so they get probability 0
and zero gradient, and a fully masked-out slice gives nan, as in PyTorch.

The softmaxes are the core's ``tensorgraft.softmax``/``log_softmax`` (not ``nn.functional``), so
they work where only tensorgraft-core is installed.
"""
from __future__ import annotations

import tensorgraft as tg

from .masking import canonical_dim, check_strided, combine_input_and_mask
from .reductions import amax, amin, norm, sum


def softmax(input, dim, *, dtype=None, mask=None):
    """softmax(input, dim, *, dtype=None, mask=None) -> Tensor: softmax over the masked-in
    elements along ``dim``; masked-out elements get 0."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    mask_input = combine_input_and_mask(amax, input, mask)
    check_strided("softmax", mask_input)
    return tg.softmax(mask_input, dim_, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """log_softmax(input, dim, *, dtype=None, mask=None) -> Tensor: log of the masked softmax;
    masked-out elements get -inf."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    mask_input = combine_input_and_mask(amax, input, mask)
    check_strided("log_softmax", mask_input)
    return tg.log_softmax(mask_input, dim_, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    """softmin(input, dim, *, dtype=None, mask=None) -> Tensor: softmax of ``-input`` over the
    masked-in elements; masked-out elements get 0."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    mask_input = combine_input_and_mask(amin, input, mask)
    check_strided("softmin", mask_input)
    # nn.functional.softmin is softmax(-input); spelled out so core-only installs need no nn
    return tg.softmax(-mask_input, dim_, dtype=dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None) -> Tensor: ``input``
    divided by the masked ``ord``-norm along ``dim`` (at least ``eps``); masked-out elements get 0."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(sum, input, mask)
    check_strided("normalize", mask_input)
    nrm_ = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    denom = tg.maximum(nrm_, nrm_.new_full([], eps))
    return tg.divide(mask_input, denom)
