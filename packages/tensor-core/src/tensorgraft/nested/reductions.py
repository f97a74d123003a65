"""Nested-tensor handlers of reductions and normalisations: ``sum``/``mean`` over the ragged or
the regular dims, the other reductions, ``softmax`` and ``layer_norm``."""
from __future__ import annotations

from ..memory_layout import jagged, strided
from ..tensor import Tensor
from .nested_tensor import components, from_components, like, like_jagged, nested_dim, nested_shape
from .handlers import _arg, _layout, _no_kernel, _norm_dim, _refuse, _register, _replace_arg


def _dims_arg(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return sorted({_norm_dim(d, ndim) for d in dim})
    return [_norm_dim(dim, ndim)]


@_register("sum", "mean")
def _reduce(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    dtype = kwargs.get("dtype")
    ndim = nested_dim(nt)
    if _layout(nt) is strided:
        if short == "mean":
            raise _no_kernel("mean.dim")
        if dim is None:
            raise _no_kernel("sum")
        dims = _dims_arg(dim, ndim)
        if len(dims) > 1:
            raise RuntimeError("NestedTensor only allows reduction of a single dimension for now.")
        if dims != [ndim - 1]:
            raise RuntimeError(f"NestedTensor can only be reduced across the last dimension for now got dimension "
                               f"{dims[0] if dims[0] != ndim - 1 else dims[-1]} instead.")
        if not keepdim:
            raise RuntimeError("NestedTensor always requires keepdim=True for now.")
        return from_components([c.sum(-1, keepdim=True, dtype=dtype) for c in components(nt)], strided)
    extra = {"dtype": dtype} if dtype is not None else {}
    r = nt.__dict__["_ragged_idx"]
    holes = nt.__dict__["_lengths"] is not None
    holes_msg = (f"{short}(): reducing across the ragged dimension is not supported for non-contiguous nested "
                 "tensors with holes")
    if dim is None:
        if holes:
            raise RuntimeError(holes_msg)
        return getattr(Tensor, short)(nt, **extra)
    dims = _dims_arg(dim, ndim)
    if 0 in dims and r in dims:
        if holes:
            raise RuntimeError(holes_msg)
        # over the batch and the ragged dim together: a dense result (PyTorch's values reduction)
        vdims = [d - 1 for d in dims if d != 0]
        return getattr(Tensor, short)(nt, vdims, keepdim, **extra)
    if 0 in dims:
        raise RuntimeError(f"{short}(): reducing along the batch dimension but not the ragged dimension is not "
                           "supported for nested tensors")
    if r in dims:
        if len(dims) > 1:
            raise RuntimeError(f"{short}(): reducing along a ragged and non-batch dimension is not supported for "
                               "nested tensors")
        if holes:
            raise RuntimeError(holes_msg)
        from .. import stack
        if short == "mean" and dtype is None and not (nt.is_floating_point() or nt.is_complex()):
            # PyTorch divides each component's sum by its length: a float result even for ints
            from .. import get_default_dtype
            outs = [Tensor.sum(c, r - 1, keepdim).to(get_default_dtype()) / c.shape[r - 1] for c in components(nt)]
            return stack(outs)
        outs = [getattr(Tensor, short)(c, r - 1, keepdim, **extra) for c in components(nt)]
        return stack(outs)
    out = getattr(Tensor, short)(nt, [d - 1 for d in dims], keepdim, **extra)
    if keepdim:
        return like(out, nt)
    # the ragged dim of the values moves left by the reduced dims before it
    shift = sum(1 for d in dims if d < r)
    return like_jagged(out, nt, ragged_idx=r - shift)


_STRIDED_REDUCTION_ATEN = {"max": ("max", "max.dim"), "min": ("min", "min.dim"), "amax": ("amax", "amax"),
                           "amin": ("amin", "amin"), "argmax": ("argmax", "argmax"), "argmin": ("argmin", "argmin"),
                           "prod": ("prod", "prod.dim_int"), "var": ("var.correction", "var.correction"),
                           "std": ("std.correction", "std.correction"), "all": ("all", "all.dim"),
                           "any": ("any", "any.dim")}


@_register(*_STRIDED_REDUCTION_ATEN)
def _other_reduction(func, short, args, kwargs):
    """max/min/amax/... : the whole tensor, or (jagged) one dim that is neither the batch nor the
    ragged dim, reduced on the values."""
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    if _layout(nt) is strided:
        raise _no_kernel(_STRIDED_REDUCTION_ATEN[short][dim is not None])
    if short in ("var", "std"):
        raise NotImplementedError(f"aten.{short}.correction")
    holes_msg = (f"{short}(): reducing across the ragged dimension is not supported for non-contiguous nested "
                 "tensors with holes")
    if dim is None:
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(holes_msg)
        return func(*args, **kwargs)
    if isinstance(dim, (tuple, list)):
        raise _refuse(f"torch.{short} over several dims of a jagged tensor")
    d = _norm_dim(dim, nested_dim(nt))
    r = nt.__dict__["_ragged_idx"]
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    if d == 0:
        raise RuntimeError(f"{short}(): reducing along the batch dimension but not the ragged dimension is not "
                           "supported for nested tensors")
    if d == r:  # over the ragged dim alone: a dense result, one row per component
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(holes_msg)
        from .. import stack
        outs = [func(c, r - 1, keepdim) for c in components(nt)]
        if isinstance(outs[0], tuple):  # (values, indices)
            return type(outs[0])(*[stack([o[k] for o in outs]) for k in range(len(outs[0]))])
        return stack(outs)
    out = func(nt, d - 1, keepdim)
    new_r = r if keepdim or d > r else r - 1

    def wrap_out(o):
        return like_jagged(o, nt, ragged_idx=new_r)
    if isinstance(out, tuple):  # (values, indices)
        return type(out)(*[wrap_out(o) for o in out])
    return wrap_out(out)


@_register("softmax", "log_softmax")
def _softmax(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    if dim is None:
        raise _refuse(f"torch.{short} without dim")
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    if _layout(nt) is strided:
        if short == "log_softmax":
            raise _no_kernel("_log_softmax")
        if d == 0:
            raise RuntimeError("Cannot apply softmax across nested dimension 0")
        return from_components([func(c, d - 1, **_dtype_kw(args, kwargs)) for c in components(nt)], strided)
    r = nt.__dict__["_ragged_idx"]
    if d == 0:
        raise RuntimeError(f"{short}(): not supported when reducing across the batch dimension for NestedTensor")
    if d == r:
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(f"{short}(): not supported where lengths is not None if reducing across the ragged "
                               "dimension for NestedTensor")
        if r > 1:
            raise RuntimeError(f"{short}(): not supported when reducing along the ragged dimension for ragged_idx > 1 "
                               "for NestedTensor")
        return from_components([func(c, 0, **_dtype_kw(args, kwargs)) for c in components(nt)], jagged, nt)
    args, kwargs = _replace_arg(args, kwargs, 1, "dim", d - 1)
    return like(func(*args, **kwargs), nt)


def _dtype_kw(args, kwargs):
    dtype = kwargs.get("dtype")
    return {"dtype": dtype} if dtype is not None else {}


@_register("layer_norm")
def _layer_norm(func, short, args, kwargs):
    nt = args[0]
    shape = _arg(args, kwargs, 1, "normalized_shape")
    weight, bias = _arg(args, kwargs, 2, "weight"), _arg(args, kwargs, 3, "bias")
    eps = _arg(args, kwargs, 4, "eps", 1e-5)
    n = len(shape) if isinstance(shape, (list, tuple)) else 1
    if _layout(nt) is strided:
        if weight is None or bias is None:
            raise ValueError("NestedTensor layer_norm requires weight and bias")
        full = nested_shape(nt)
        if any(x is None for x in full[len(full) - n:]):
            raise RuntimeError("normalized_shape extends into irregular dimensions for the nested tensor")
        wanted = list(shape) if isinstance(shape, (list, tuple)) else [shape]
        for k, (want, have) in enumerate(zip(wanted, full[len(full) - n:])):
            if want != have:
                raise RuntimeError(f"The shape at dimension {k}of normalized_shape doesn't match the input")
        return from_components([func(c, shape, weight, bias, eps) for c in components(nt)], strided)
    if nested_dim(nt) <= 2:
        raise RuntimeError("layer_norm(): not supported for NestedTensor objects with 2 or fewer dimensions")
    out = func(*args, **kwargs)  # on the values, as PyTorch (whose shape errors are the values')
    if nt.__dict__["_ragged_idx"] - 1 >= nt._data.ndim - n:
        raise _refuse("torch.nn.functional.layer_norm over the ragged dim")
    return like(out, nt)
