"""Masked reductions (``torch.masked.sum`` ... ``std``): each is the plain reduction of
``where(mask, input, identity)`` (see masking.py), so values, dtypes and gradients are those of
the tensorgraft op underneath; mean/var/std divide by the count of masked-in elements instead.

Fully masked-out slices give the identity (sum 0, amax -inf, ...), or nan where none exists (mean,
median, var, std), as in PyTorch.
"""
from __future__ import annotations

import tensorgraft as tg

from .masking import canonical_dim, check_strided, combine_input_and_mask, input_mask, is_masked_tensor

# Integer and bool sums/products accumulate in int64, as torch.sum does
_PROMOTED_TO_INT64 = frozenset({tg.uint8, tg.bool, tg.int8, tg.int16, tg.int32})


def _sum_dtype(input, dtype):
    if dtype is None:
        dtype = tg.int64 if input.dtype in _PROMOTED_TO_INT64 else input.dtype
    return dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """sum(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the sum of the
    masked-in elements along ``dim`` (identity 0)."""
    dtype = _sum_dtype(input, dtype)
    dim_ = canonical_dim(dim, input.ndim)
    mask_input = combine_input_and_mask(sum, input, mask)
    check_strided("sum", mask_input, "strided, sparse_coo or sparse_csr")
    return tg.sum(mask_input, dim_, bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """prod(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the product of the
    masked-in elements along ``dim`` (identity 1)."""
    dtype = _sum_dtype(input, dtype)
    dim_ = canonical_dim(dim, input.ndim)
    mask_input = combine_input_and_mask(prod, input, mask)
    check_strided("prod", mask_input, "strided, sparse_coo or sparse_csr")
    # torch.prod reduces one dim at a time; so does PyTorch's masked prod (the order matters for rounding)
    result = mask_input.to(dtype=dtype)
    for d in reversed(dim_):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input, dim, *, dtype=None, mask=None):
    """cumsum(input, dim, *, dtype=None, mask=None) -> Tensor: masked-out elements count as 0."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    mask_input = combine_input_and_mask(sum, input, mask)
    check_strided("cumsum", mask_input)
    return tg.cumsum(mask_input, dim_, dtype=dtype).to(dtype=dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """cumprod(input, dim, *, dtype=None, mask=None) -> Tensor: masked-out elements count as 1."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    mask_input = combine_input_and_mask(prod, input, mask)
    check_strided("cumprod", mask_input)
    return tg.cumprod(mask_input, dim_, dtype=dtype).to(dtype=dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """amax(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the largest masked-in
    element (identity -inf, or the dtype's minimum for integers)."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(amax, input, mask)
    dim_ = canonical_dim(dim, mask_input.ndim)
    check_strided("amax", mask_input, "strided, sparse_coo or sparse_csr")
    return tg.amax(mask_input, dim_, bool(keepdim)).to(dtype=dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """amin(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the smallest masked-in
    element (identity inf, or the dtype's maximum for integers)."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(amin, input, mask)
    dim_ = canonical_dim(dim, mask_input.ndim)
    check_strided("amin", mask_input, "strided, sparse_coo or sparse_csr")
    return tg.amin(mask_input, dim_, bool(keepdim)).to(dtype=dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor: the index of the
    largest masked-in element; ``dtype`` (default: input's dtype, as in PyTorch) is the index dtype."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(argmax, input, mask)
    check_strided("argmax", mask_input)
    return tg.argmax(mask_input, dim, bool(keepdim)).to(dtype=dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None) -> Tensor: the index of the
    smallest masked-in element; ``dtype`` (default: input's dtype) is the index dtype."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(argmin, input, mask)
    check_strided("argmin", mask_input)
    return tg.argmin(mask_input, dim, bool(keepdim)).to(dtype=dtype)


def _count_and_total(input, dim, keepdim, dtype, mask):
    """How many elements are masked in along ``dim``, and their sum (in ``dtype``)."""
    if mask is None:
        count = sum(tg.ones(input.shape, dtype=tg.int64, device=input.device), dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
        return count, total, None
    inmask = input_mask(input, mask=mask)
    count = inmask.sum(dim=dim, keepdim=bool(keepdim))
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return count, total, inmask


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """mean(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the mean of the
    masked-in elements; fully masked-out slices give nan."""
    dtype_source = "Optional"
    if dtype is None:
        dtype = input.dtype
        dtype_source = "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {dtype_source} dtype must be either a floating "
                         f"point or complex dtype. Got: {dtype}")
    check_strided("mean", input, "strided or sparse_csr")
    count, total, _ = _count_and_total(input, dim, keepdim, dtype, mask)
    return total / count


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """median(input, dim=-1, *, keepdim=False, dtype=None, mask=None) -> Tensor: the lower median
    of the masked-in elements along one dim; fully masked-out slices give nan (and are an error for
    integer input, which has no nan)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)[0]
    is_float = tg.is_floating_point(input)
    if not is_float:
        input = input.to(dtype=tg.float32)
    # masked-out elements become nan, which nanmedian skips
    mask_input = combine_input_and_mask(median, input, mask)
    check_strided("median", mask_input)
    output = tg.nanmedian(mask_input, dim_, keepdim).values
    if is_float:
        return output
    if not tg.isnan(output).any():
        return output.to(dtype=dtype)
    raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """logsumexp(input, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: masked-out
    elements count as -inf (so fully masked-out slices give -inf)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = canonical_dim(dim, input.ndim)
    mask_input = combine_input_and_mask(logsumexp, input, mask)
    check_strided("logsumexp", mask_input)
    return tg.logsumexp(mask_input, dim_, keepdim=keepdim).to(dtype=dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None) -> Tensor:
    elementwise logaddexp with each operand's masked-out elements counting as -inf."""
    if dtype is None:
        dtype = input.dtype
    if input.layout != tg.strided or other.layout != tg.strided:
        raise ValueError(f"masked logaddexp expects strided tensors (got {input.layout} tensor for input, "
                         f"{other.layout} for other)")
    mask_input = combine_input_and_mask(logaddexp, input, input_mask)
    mask_other = combine_input_and_mask(logaddexp, other, other_mask)
    return tg.logaddexp(mask_input, mask_other).to(dtype=dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """norm(input, ord, dim, *, keepdim=False, dtype=None, mask=None) -> Tensor: the vector norm of
    the masked-in elements (identity 0, or inf for ``ord=-inf``)."""
    if dtype is None:
        dtype = input.dtype
    mask_input = combine_input_and_mask(norm, input, mask, ord)
    check_strided("norm", mask_input)
    dim_ = canonical_dim(dim, input.ndim)
    return tg.linalg.vector_norm(mask_input, ord, dim_, bool(keepdim), dtype=dtype)


def _std_var(input, dim, unbiased, *, correction_opt, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction_opt is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = 1.0
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if correction_opt is not None:
        correction = float(correction_opt)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = tg.float32
    compute_dtype = dtype
    if not (compute_dtype.is_floating_point or compute_dtype.is_complex):
        compute_dtype = tg.float32
    check_strided("std/var", input)
    count, sample_total, inmask = _count_and_total(input, dim, True, dtype, mask)
    sample_mean = tg.divide(sample_total, count)
    if is_masked_tensor(input):
        # PyTorch's deviations stay a MaskedTensor, so their sum uses the MaskedTensor's own mask
        # (``count`` above used ``mask``); computed on the data so that no op runs on a MaskedTensor
        inmask = input.get_mask()
        input = input.get_data()
    x = tg.subtract(input, sample_mean)
    total = sum(x * x.conj(), dim, keepdim=keepdim, dtype=compute_dtype, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if correction != 0:
        real_dtype = compute_dtype.to_real() if compute_dtype.is_complex else compute_dtype
        count = count.to(real_dtype)
        count = tg.subtract(count, correction)
        count = tg.maximum(count, count.new_zeros([]))
    output = tg.divide(total, count).to(dtype=dtype)
    if take_sqrt:
        output = tg.sqrt(output)
    return output


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """var(input, dim, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None) ->
    Tensor: the variance of the masked-in elements (correction 1 unless told); fully masked-out
    slices give nan."""
    return _std_var(input=input, dim=dim, unbiased=unbiased, correction_opt=correction, keepdim=keepdim,
                    dtype=dtype, mask=mask, take_sqrt=False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """std(input, dim, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None) ->
    Tensor: the standard deviation of the masked-in elements; fully masked-out slices give nan."""
    return _std_var(input=input, dim=dim, unbiased=unbiased, correction_opt=correction, keepdim=keepdim,
                    dtype=dtype, mask=mask, take_sqrt=True)

