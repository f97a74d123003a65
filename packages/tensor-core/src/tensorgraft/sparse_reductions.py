"""PyTorch's top-level sparse COO kernels that compose from what tensorgraft already has:
``native_norm`` (the p-norm of a sparse tensor's values) and ``indices_copy``.

PyTorch registers ``native_norm`` for sparse tensors only and refuses it for dense ones with its
"Could not run ... from the 'CPU' backend" NotImplementedError: the same here, with that message
and the function to use instead. Unlike PyTorch's (whose derivative is "not implemented"), the
result is differentiable: it is ``vector_norm`` of the coalesced values.
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

from .memory_layout import sparse_coo
from .ops.sparse_compressed import _copy_function
from .tensor import Tensor

__all__ = ["indices_copy", "native_norm"]

indices_copy = _copy_function("indices")

_NO_KWARG = object()


def native_norm(input, p=2, dim=_NO_KWARG, keepdim=_NO_KWARG, dtype=_NO_KWARG):
    """``native_norm(input, p=2)`` or ``native_norm(input, p, dim, keepdim, dtype)``: the p-norm
    of a sparse COO tensor's values, a 0-d tensor (only full reductions, as in PyTorch)."""
    given = (dim is not _NO_KWARG, keepdim is not _NO_KWARG, dtype is not _NO_KWARG)
    if any(given) and not all(given):
        shown = ", ".join(["Tensor", c_type_name(p)] + [c_type_name(a) for a, g in zip((dim, keepdim, dtype), given)
                                                          if g])
        raise TypeError(f"native_norm() received an invalid combination of arguments - got ({shown}), but expected "
                        "one of:\n * (Tensor input, Number p = 2)\n * (Tensor input, Number p, tuple of ints dim, "
                        "bool keepdim, torch.dtype dtype)\n")
    if not isinstance(input, Tensor):
        raise TypeError(f"native_norm(): argument 'input' (position 1) must be Tensor, not {c_type_name(input)}")
    if not (isinstance(p, numbers.Number) or p is None and all(given)):
        raise TypeError(f"native_norm(): argument 'p' (position 2) must be Number, not {c_type_name(p)}")
    if input.layout != sparse_coo:
        overload = "aten::native_norm.ScalarOpt_dim_dtype" if all(given) else "aten::native_norm"
        raise NotImplementedError(f"Could not run '{overload}' with arguments from the '{input.device.type.upper()}' "
                                  "backend: native_norm takes sparse COO tensors only (use "
                                  "tensorgraft.linalg.vector_norm for a dense tensor)")
    if all(given):
        dims = [dim] if isinstance(dim, int) else list(dim)
        if dims and sorted(d % input.dim() for d in dims) != list(range(input.dim())):
            raise RuntimeError("norm_sparse currently only supports full reductions, so 'dim' must either be empty "
                               "or contain all dimensions of the input")
        if keepdim:
            raise RuntimeError("norm_sparse currently does not support keepdim=True")
        if dtype is not None:
            raise RuntimeError("norm_sparse currently does not support 'dtype' argument")
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{input.dtype.scalar_type} instead.")
    return input.coalesce().values().norm(2 if p is None else p)


# PyTorch's native_norm is C++-bound: its argument parser takes axis=/keepdims= for dim=/keepdim=
from .ops._frontend.axis_aliases import with_axis_alias as _with_axis_alias  # noqa: E402

native_norm = _with_axis_alias(native_norm, "native_norm")
