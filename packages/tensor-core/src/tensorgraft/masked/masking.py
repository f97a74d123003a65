"""The pieces every masked operation shares: the canonical dims, the canonical input mask and the
identity value that stands in for masked-out elements.

A masked reduction is the plain reduction run on ``where(mask, input, identity)``: the identity
(0 for sum, 1 for prod, -inf for amax ...) leaves the result as if the masked-out elements were not
there, and ``where`` passes no gradient to the positions it did not pick, so masked-out elements
get exact zero gradients with no formula of our own. This mirrors ``torch/masked/_ops.py`` step by
step, because PyTorch's values, dtypes and error messages are the specification.
"""
from __future__ import annotations

import math
import sys

import tensorgraft as tg

# Reductions (one value per reduced slice) and normalizations (one value per element): the output
# mask of the first is "any element of the slice was masked in", of the second the input mask.
REDUCTION_NAMES = frozenset({"sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "norm", "var",
                             "std", "logsumexp"})
NORMALIZATION_NAMES = frozenset({"softmax", "log_softmax", "softmin", "normalize", "cumsum", "cumprod"})


def is_masked_tensor(obj, /):
    """True if ``obj`` is a MaskedTensor. Looks the class up without importing it: no MaskedTensor
    can exist before maskedtensor.py is loaded, and loading it turns on subclass dispatch."""
    module = sys.modules.get("tensorgraft.masked.maskedtensor")
    return module is not None and isinstance(obj, module.MaskedTensor)


def reduction_identity(op_name, input, *args):
    """The value a masked-out element is replaced by for ``op_name`` (``None`` where none is defined,
    as for mean/var/std, whose masked-out elements are left out by counting instead)."""
    dtype = input.dtype
    device = input.device
    op_name = op_name.rsplit(".", 1)[-1]
    if op_name in {"sum", "cumsum"}:
        return tg.tensor(0, dtype=dtype, device=device)
    if op_name in {"prod", "cumprod"}:
        return tg.tensor(1, dtype=dtype, device=device)
    if op_name in {"amax", "argmax", "logaddexp"}:
        if tg.is_floating_point(input):
            return tg.tensor(-math.inf, dtype=dtype, device=device)
        if tg.is_signed(input) or dtype == tg.uint8:
            return tg.tensor(tg.iinfo(dtype).min, dtype=dtype, device=device)
    elif op_name == "logsumexp":
        if tg.is_floating_point(input):
            return tg.tensor(-math.inf, dtype=dtype, device=device)
        if tg.is_complex(input):
            return tg.tensor(complex(-math.inf, 0), dtype=dtype, device=device)
        if tg.is_signed(input) or dtype == tg.uint8:
            return tg.tensor(tg.iinfo(dtype).min, dtype=dtype, device=device)
    elif op_name in {"amin", "argmin"}:
        if tg.is_floating_point(input):
            return tg.tensor(math.inf, dtype=dtype, device=device)
        if tg.is_signed(input) or dtype == tg.uint8:
            return tg.tensor(tg.iinfo(dtype).max, dtype=dtype, device=device)
    elif op_name == "mean":
        return None
    elif op_name == "norm":
        ord = args[0] if args else 2
        if ord == -math.inf:
            if not tg.is_floating_point(input):
                raise AssertionError(f"input must be floating point, got {input.dtype}")
            return tg.tensor(math.inf, dtype=dtype, device=device)
        return tg.tensor(0, dtype=dtype, device=device)
    elif op_name == "median":
        dtype = input.dtype if tg.is_floating_point(input) else tg.float32
        return tg.tensor(math.nan, dtype=dtype, device=device)
    elif op_name in {"var", "std"}:
        return None
    # PyTorch raises NotImplementedError here too (bool input to amax, complex input to amin ...)
    raise NotImplementedError(f"identity of {op_name} on {dtype} input")


def canonical_dim(dim, ndim):
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of non-negative dims."""
    dims = []
    if dim == ():
        dim = None
    if dim is None:
        return tuple(range(ndim))
    ndim = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as PyTorch's reductions do
    dims_ = (dim,) if isinstance(dim, int) else dim
    for d in dims_:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def check_strided(op_name, input, what="strided"):
    """tensorgraft runs the masked operations on dense (strided) tensors only; PyTorch also runs a
    few of them on sparse COO/CSR tensors."""
    if input.layout != tg.strided:
        raise ValueError(f"masked {op_name} expects {what} tensor (got {input.layout} tensor); tensorgraft's "
                         f"masked operations take strided tensors only: pass input.to_dense() and a dense mask")


def any_over(input, dims, keepdim):
    result = input
    for d in reversed(dims):
        result = result.any(dim=d, keepdim=keepdim)
    return result


def input_mask(input, *args, **kwargs):
    """The mask broadcast to ``input``'s shape, as a bool tensor."""
    if input.layout not in {tg.strided, tg.sparse_coo, tg.sparse_csr}:
        raise ValueError(f"_input_mask expects strided or sparse COO or sparse CSR tensor but got {input.layout}")
    mask = kwargs.get("mask")
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if mask.layout != tg.strided:
        raise ValueError(f"tensorgraft's masked operations take a strided (dense) mask, got a {mask.layout} mask; "
                         f"pass mask.to_dense()")
    if mask.shape != input.shape:
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher than of the "
                             "input)")
        mask = tg.broadcast_to(mask.clone(), input.shape)
    return mask.to(dtype=tg.bool)


def output_mask(op, input, *args, **kwargs):
    """The mask of the result of the masked operation ``op`` applied to these arguments."""
    if not callable(op):
        raise ValueError(f"_output_mask expected masked operation (got {type(op).__name__} object)")
    if op.__name__ in REDUCTION_NAMES:
        if op.__name__ == "norm" and args:
            args = args[1:]  # lstrip the ord argument
        dim = args[0] if args else kwargs.get("dim")
        outmask = input_mask(input, *args, **kwargs)
        keepdim = kwargs.get("keepdim", False)
        return any_over(outmask, canonical_dim(dim, input.ndim), bool(keepdim))
    if op.__name__ in NORMALIZATION_NAMES:
        return input_mask(input, *args, **kwargs)
    raise ValueError(f"_output_mask expected masked operation (got callable {op.__module__}.{op.__name__})")


def where(mask, input, fill_value):
    if mask.layout != tg.strided:
        raise ValueError(f"tensorgraft's masked operations take strided tensors only, got a {mask.layout} mask")
    return tg.where(mask, input, fill_value)


def combine_input_and_mask(op, input, mask, *args):
    """``input`` with its masked-out elements replaced by ``op``'s identity. A MaskedTensor input
    brings its own mask (and ``mask`` is then ignored, as PyTorch ignores it)."""
    if is_masked_tensor(input):
        # gradients reach the MaskedTensor's data through get_data(); its own mask replaces ``mask``
        input, mask = input.get_data(), input.get_mask()
    if mask is None:
        return input
    canonical_mask = input_mask(input, mask=mask)
    fill_value = reduction_identity(op.__name__, input, *args)
    return where(canonical_mask, input, fill_value)
